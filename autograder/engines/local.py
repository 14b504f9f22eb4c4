"""The local engine: a pool of forkserver processes on this machine (the default).

Speed (benchmarks/grading.py, about 1 s per worker per run): the modules in `preload` are
imported once, in the forkserver, and the processes start at once (a no-op job each), so
they are ready while the parent still prepares the first hand-ins. Each pool process dies
with the grading process, even one killed with -9.
"""
import concurrent.futures as cf
import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from autograder.common.errors import UsageError
from autograder.engines.base import Completion, Engine, WorkerFunction
from autograder.sandbox import bytecode


def _init_pool_worker(grading_pid: int) -> None:
    """Each pool process dies with the grading process. Its parent is the pool's
    forkserver, which outlives a `grade` killed with -9, so PR_SET_PDEATHSIG alone would
    keep it (and the forkserver) alive: a thread also watches the grading process."""
    try:
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


def _started() -> None:
    """No-op job: submitting one per worker starts the processes before the first hand-in."""


class LocalPool(Engine):
    """`workers` forkserver processes on this machine.

    Speed (benchmarks/grading.py, about 1 s per worker per run): the modules in `preload`
    are imported once, in the forkserver, and the processes start at once (a no-op job
    each), so they are ready while the parent still prepares the first hand-ins."""

    def __init__(self, run: WorkerFunction, workers: int, preload: tuple[str, ...] = ()):
        super().__init__(run)
        if workers < 1:
            raise UsageError(f"the local pool needs at least 1 worker, got {workers}")
        self.workers = workers
        bytecode.ensure()  # the sandboxes these processes start cannot write it themselves
        context = start_forkserver(preload)
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                           initializer=_init_pool_worker,
                                           initargs=(os.getpid(),))
        for _ in range(workers):
            self.pool.submit(_started)
        self.running: dict[cf.Future, str] = {}

    def submit(self, key: str, job: Any) -> None:
        self.running[self.pool.submit(self.run, job)] = key

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
    there. Called early (commands/grade.py) its imports overlap this process's own."""
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
