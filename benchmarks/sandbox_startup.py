"""Start-up deaths after hostile hand-ins: fork bomb, kill, correct, in ONE worker, N rounds.

    .venv/bin/python benchmarks/sandbox_startup.py [--rounds 12]

The old sandbox (rlimits only, one uid per worker slot) let a fork bomb's processes,
still dying in their PID namespace, count against the next kernel's RLIMIT_NPROC: that
kernel died "before replying to kernel_info" (7 of 36 hand-ins here). Prints, per hand-in,
its seconds and problems, the sandbox processes alive when it started, and the count of
start-up deaths. Uses the generated `tiny` assignment in a temporary course.
"""
import argparse
import tempfile
from pathlib import Path

from autograder.demo import tiny_class as tiny
from autograder.demo.classroom import handin, make_course, submit
from autograder.grading.grader import GradeOptions, Grader
from autograder.sandbox.processes import sandbox_processes
from autograder.worker.handin import execute_handin

SQUARE = "def square(x):\n    return x * x\n"
KINDS = {
    "bomb": {"square": SQUARE + "import os\nwhile True:\n    try:\n        os.fork()\n"
                                "    except OSError:\n        pass"},
    "kill": {"square": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"},
    "ok": tiny.CORRECT,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    course = make_course(Path(tempfile.mkdtemp(prefix="startup-bench-")))
    for kind, answers in KINDS.items():
        submit(course, kind, handin(course, answers))
    options = GradeOptions(workers=1, cell_timeout=6, notebook_timeout=45, memory_mb=1024)
    grader = Grader(course, "tiny", options)
    jobs = {kind: grader.prepare(kind) for kind in KINDS}
    deaths = 0
    for round_ in range(args.rounds):
        for kind, job in jobs.items():
            alive_before = len(sandbox_processes())
            result = execute_handin(job)
            text = (result.error or "") + "; ".join(result.problems)
            died = "kernel_info" in text
            deaths += died
            print(f"{round_:2d} {kind:4s} {result.seconds:5.1f} s  sandbox processes at "
                  f"start: {alive_before:3d}  {'START-UP DEATH ' if died else ''}{text[:110]}",
                  flush=True)
    print(f"start-up deaths: {deaths} of {len(KINDS) * args.rounds} hand-ins")


if __name__ == "__main__":
    main()
