"""The runner's protocol over its stdin/stdout: one JSON object per line. The worker
(worker/runner_client.py) writes requests, the runner (runner.py) answers.

    worker -> runner   {"cmd": RUN, "seq": n, "cell": grade_id, "source": ..., "points":
                        p or None, "timeout": s, "student_names": [...]}
                       {"cmd": CANCEL, "seq": n}   the kernel went idle without its agent
                                                   connecting for run n
                       {"cmd": QUIT}
    runner -> worker   {"ready": true} once, then one CellResult per RUN
"""
import json
from dataclasses import asdict, dataclass, field, fields

RUN, CANCEL, QUIT = "run", "cancel", "quit"


@dataclass
class CellResult:
    """What running one trusted cell gave.

    outputs          the cell's outputs as nbformat dicts (the only ones it gets)
    passed           no error (a test cell's points are then given, or its partial credit)
    resolved         student globals the cell read through the channel, in order
    requests         channel requests made; seconds_waiting: time spent waiting for them
    seconds          the cell's wall time in the runner
    hidden_failures  details of failed hidden segments, for the instructor only
    review           why the hand-in needs review (kernel did not serve, channel broke, a
                     helper cell raised, the runner failed); empty: none
    """
    outputs: list = field(default_factory=list)
    passed: bool = False
    resolved: list = field(default_factory=list)
    requests: int = 0
    seconds_waiting: float = 0.0
    seconds: float = 0.0
    hidden_failures: list = field(default_factory=list)
    review: list = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, line: str) -> "CellResult":
        """Parse a runner's reply; ValueError when it is not a CellResult."""
        data = json.loads(line)
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or set(data) != names:
            raise ValueError(f"not a cell result: {str(line)[:200]!r}")
        return cls(**data)

    @classmethod
    def runner_failed(cls, grade_id: str, reason: str) -> "CellResult":
        """The result of a cell the runner could not run: it fails, the hand-in needs review."""
        shown = "the trusted test runner failed; this test did not run"
        return cls(outputs=[{"output_type": "error", "ename": "TrustedRunnerFailed",
                             "evalue": shown, "traceback": [f"TrustedRunnerFailed: {shown}"]}],
                   review=[f"{grade_id}: the trusted test runner failed ({reason})"])
