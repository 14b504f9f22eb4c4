"""Where `grade` runs its hand-ins: a local process pool (the default) or a Dask cluster.

An engine knows nothing of what a job holds. The parent gives it opaque, picklable jobs
under a key of its own and gets back, once per key, what the worker function returned:

    with make_engine(run, workers=2, scheduler=None) as engine:   # or "tcp://host:8786"
        engine.submit("ada", job)                                 # any picklable job
        for done in engine.completed():                           # in completion order
            done.key, done.result, done.failure                   # failure: str | None

`run(job, slot)` is a module-level function (pickled by reference: every worker imports
it). `slot` is distinct among the jobs running at once on one machine: the pool's worker
index (0..N-1), or on a Dask worker `pid * SLOTS_PER_PROCESS + thread` (dask_engine.py).
(Sandbox uids and cgroup names come from the thread id instead, see sandbox.py.)

`failure` is set when the engine got no result at all (a pool process crashed; a hand-in
killed more Dask workers than `distributed.scheduler.allowed-failures`). When the engine
itself goes away (the Dask scheduler), `completed()` raises EngineLost: the caller stops,
and the jobs not yet reported were not recorded, so the next run does them.
"""
import concurrent.futures as cf
import multiprocessing
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Self

from .course import UsageError

WorkerFunction = Callable[[Any, int], Any]  # (job, slot) -> result


@dataclass(frozen=True)
class Completion:
    """One finished job: the worker function's `result`, or why there is none."""
    key: str
    result: Any = None
    failure: str | None = None


class EngineLost(UsageError):
    """The engine can run nothing more (the Dask scheduler went away)."""


class Engine(ABC):
    """Runs `run(job, slot)` for submitted jobs; yields each key's Completion once."""

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


# --- the local process pool ---------------------------------------------------------------
_SLOT = 0


def _init_pool_worker(slots: "multiprocessing.queues.Queue[int]", grading_pid: int) -> None:
    """Each pool process takes a slot number (its sandbox uid) and dies with the grading
    process. Its parent is the pool's forkserver, which outlives a `grade` killed with -9,
    so PR_SET_PDEATHSIG alone would keep it (and the forkserver) alive: a thread also
    watches the grading process itself."""
    global _SLOT
    _SLOT = slots.get()
    try:
        import ctypes
        import signal
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    threading.Thread(target=_exit_with, args=(grading_pid,), daemon=True).start()


def _exit_with(pid: int) -> None:
    """Exit this worker once process `pid` is gone (polled each second)."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # alive, another user's (cannot happen for our parent)
            pass


def _call_with_slot(run: WorkerFunction, job: Any) -> Any:
    return run(job, _SLOT)


def _started() -> None:
    """No-op job: submitting one per worker starts the processes before the first hand-in."""


class LocalPool(Engine):
    """`workers` forkserver processes on this machine, slots 0..workers-1.

    Speed (benchmarks/grading.py, about 1 s per worker per run): the modules in `preload`
    are imported once, in the forkserver, and the processes start at once (a no-op job
    each), so they are ready while the parent still prepares the first hand-ins."""

    def __init__(self, run: WorkerFunction, workers: int, preload: tuple[str, ...] = ()):
        super().__init__(run)
        if workers < 1:
            raise UsageError(f"the local pool needs at least 1 worker, got {workers}")
        self.workers = workers
        context = start_forkserver(preload)
        slots = context.Queue()
        for slot in range(workers):
            slots.put(slot)
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                           initializer=_init_pool_worker,
                                           initargs=(slots, os.getpid()))
        for _ in range(workers):
            self.pool.submit(_started)
        self.running: dict[cf.Future, str] = {}

    def submit(self, key: str, job: Any) -> None:
        self.running[self.pool.submit(_call_with_slot, self.run, job)] = key

    def completed(self) -> Iterator[Completion]:
        for future in cf.as_completed(list(self.running)):
            key = self.running.pop(future)
            try:
                completion = Completion(key, result=future.result())
            except Exception as error:  # the pool process itself died
                completion = Completion(key, failure="grading worker crashed: "
                                                     f"{type(error).__name__}: {error}")
            yield completion

    def n_workers(self) -> int:
        return self.workers

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        stop_forkserver()


def start_forkserver(preload: tuple[str, ...] = ()) -> multiprocessing.context.BaseContext:
    """Start the local pool's forkserver now (a no-op when it runs), importing `preload`
    there. Called early (cli.py) its imports overlap this process's own."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    from multiprocessing import forkserver
    forkserver.ensure_running()
    return context


def stop_forkserver() -> None:
    """The pool's forkserver outlives the pool (multiprocessing keeps one per program);
    stop it so that no process of ours is left once `grade` returns."""
    from multiprocessing import forkserver
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()


def make_engine(run: WorkerFunction, workers: int, scheduler: str | None = None,
                require_sandbox: bool = True, preload: tuple[str, ...] = ()) -> Engine:
    """The local pool of `workers` processes, or the Dask cluster behind `scheduler`.
    `preload`: modules `run` needs, imported ahead in the local pool's processes."""
    if scheduler:
        from .dask_engine import DaskEngine  # imports distributed only when asked for
        return DaskEngine(run, scheduler, require_sandbox=require_sandbox)
    return LocalPool(run, workers, preload)
