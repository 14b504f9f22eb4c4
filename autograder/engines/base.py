"""Where `grade` runs its hand-ins: a local process pool (the default) or a Dask cluster.

An engine knows nothing of what a job holds. The parent gives it opaque, picklable jobs
under a key of its own and gets back, once per key, what the worker function returned:

    with make_engine(run, workers=2, scheduler=None) as engine:   # autograder/engines/__init__.py
        engine.submit("ada", job)                                 # any picklable job
        for done in engine.completed():                           # in completion order
            done.key, done.result, done.failure                   # failure: str | None

`run(job)` is a module-level function (pickled by reference: every worker imports it).
(Sandbox uids and cgroup names come from the worker's thread id, see sandbox/bubblewrap.py.)

`failure` is set when the engine got no result at all (a pool process crashed; a hand-in
killed more Dask workers than `distributed.scheduler.allowed-failures`). When the engine
itself goes away (the Dask scheduler), `completed()` raises EngineLost: the caller stops,
and the jobs not yet reported were not recorded, so the next run does them.
"""
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Self

from autograder.common.errors import UsageError

WorkerFunction = Callable[[Any], Any]  # job -> result


@dataclass(frozen=True)
class Completion:
    """One finished job: the worker function's `result`, or why there is none."""
    key: str
    result: Any = None
    failure: str | None = None


class EngineLost(UsageError):
    """The engine can run nothing more (the Dask scheduler went away)."""


class Engine(ABC):
    """Runs `run(job)` for submitted jobs; yields each key's Completion once."""

    def __init__(self, run: WorkerFunction):
        self.run = run

    @abstractmethod
    def submit(self, key: str, job: Any) -> None: ...

    @abstractmethod
    def completed(self) -> Iterator[Completion]:
        """Completions of all jobs submitted so far, as they finish, each key once."""

    @abstractmethod
    def n_workers(self) -> int:
        """Workers available now (for the progress bar)."""

    def close(self) -> None:  # noqa: B027 (optional hook: most engines hold nothing to close)
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
