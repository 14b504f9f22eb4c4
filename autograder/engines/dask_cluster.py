"""The Dask engine: `grade --scheduler tcp://HOST:PORT` (or a scheduler JSON file) runs
each job as one Dask task on the cluster's workers; the parent alone records results.

Start-up: connect (CONNECT_TIMEOUT), wait for a first worker (WORKER_TIMEOUT), register
the worker plugin `SandboxCheck` on every worker, present and future. Its `setup` runs
`sandbox.check_bwrap()` on the worker; a worker that cannot build the sandbox logs the
reason to the scheduler's event log (topic EVENT_TOPIC) and closes itself and its nanny,
so it never receives a hand-in (a task that still reaches it is rescheduled). The parent
asks every worker for its plugin's verdict (and reads those events for workers already
gone): the broken workers are named on stderr, and with no healthy worker left `grade`
stops with a UsageError naming each worker and its reason. A run with no worker left
for WORKER_TIMEOUT stops with EngineLost.

Faults, all handled by Dask's own machinery:
- a worker dies mid-task: the scheduler runs the task again on another worker; the
  client gets one result per key, and `completed()` reports each key once;
- a task whose workers keep dying (more than `distributed.scheduler.allowed-failures`,
  a setting of the scheduler, default 3) errs with KilledWorker -> a Completion with
  that failure (recorded FAILED by grade);
- the scheduler goes away: the client cancels every future ("scheduler-connection-lost")
  -> EngineLost; nothing of the lost tasks was recorded, so a re-run grades them.

Sandbox uids come from the worker thread's id (sandbox/bubblewrap.py), unique on the
machine, so any number of worker processes and threads may share one machine.
"""
import asyncio
import importlib
import logging
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from distributed import Client, Future, Reschedule, Worker, WorkerPlugin, get_worker, wait
from distributed.client import FutureCancelledError, FuturesCancelledError
from distributed.scheduler import KilledWorker

from autograder.common.errors import UsageError
from autograder.engines.base import Completion, Engine, EngineLost, WorkerFunction
from autograder.entrypoints import WORKER_MODULES

log = logging.getLogger("autograder")
PLUGIN_NAME = "autograder-sandbox"
EVENT_TOPIC = "autograder-sandbox"
CONNECT_TIMEOUT = 30       # s to reach the scheduler (also the client's reconnect window)
WORKER_TIMEOUT = 60        # s to wait for a first worker, or with none left
POLL = 5                   # s between checks that workers are left

class SandboxCheck(WorkerPlugin):
    """Checks at worker start that this worker can sandbox student code. `problem` is
    None when the worker may run hand-ins."""
    name = PLUGIN_NAME

    def __init__(self, run_id: str, require_sandbox: bool = True):
        self.run_id, self.require_sandbox = run_id, require_sandbox
        self.problem: str | None = None

    async def setup(self, worker: Worker) -> None:
        from autograder.sandbox import bytecode
        from autograder.sandbox.bubblewrap import check_bwrap
        if self.require_sandbox:
            self.problem = await asyncio.to_thread(check_bwrap)  # keeps heartbeats going
        if self.problem is None:  # warm up now: the first hand-in need not wait for imports
            # (before any task of ours can arrive: imports racing in two threads break)
            for module in WORKER_MODULES:
                await asyncio.to_thread(importlib.import_module, module)
            await asyncio.to_thread(bytecode.ensure)  # this machine's tree (sandbox/bytecode.py)
        else:
            log.error("autograder: this worker cannot sandbox student code and closes "
                      "itself: %s", self.problem)
            worker.log_event(EVENT_TOPIC, {"run_id": self.run_id, "worker": worker.address,
                                           "problem": self.problem})
            # after the event is sent and plugin registration has answered
            asyncio.get_running_loop().call_later(1.0, lambda: asyncio.ensure_future(
                worker.close(nanny=True, reason="autograder: no working sandbox")))


def _run_on_dask_worker(run: WorkerFunction, job: Any) -> Any:
    """The task Dask runs: `run(job)` on a worker that passed the sandbox check."""
    plugin = get_worker().plugins.get(PLUGIN_NAME)
    if plugin is None or plugin.problem is not None:
        raise Reschedule()  # this worker is closing (no sandbox): let another one run it
    return run(job)


def _plugin_problem(dask_worker: Worker) -> str | None:
    """(client.run) this worker's sandbox problem, None when it may run hand-ins."""
    plugin = dask_worker.plugins.get(PLUGIN_NAME)
    return "the autograder's worker plugin is missing" if plugin is None else plugin.problem


def _connect(scheduler: str) -> Client:
    """A Client for 'tcp://HOST:PORT' (or HOST:PORT) or a scheduler JSON file."""
    as_file = Path(scheduler).expanduser()
    if not as_file.is_file() and ":" not in scheduler:
        raise UsageError(f"--scheduler {scheduler!r}: expected a scheduler address "
                         "(tcp://HOST:PORT) or the JSON file that `dask scheduler "
                         "--scheduler-file FILE` writes")
    try:
        if as_file.is_file():
            return Client(scheduler_file=str(as_file), timeout=CONNECT_TIMEOUT)
        return Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, KeyError) as error:
        raise UsageError(f"cannot reach the Dask scheduler {scheduler!r} within "
                         f"{CONNECT_TIMEOUT} s: {type(error).__name__}: {error}") from error


class DaskEngine(Engine):
    """Jobs as Dask tasks on the cluster behind `scheduler` (tcp://HOST:PORT or file)."""

    def __init__(self, run: WorkerFunction, scheduler: str, require_sandbox: bool = True,
                 worker_timeout: float = WORKER_TIMEOUT):
        super().__init__(run)
        self.scheduler, self.worker_timeout = scheduler, worker_timeout
        self.client = _connect(scheduler)
        self.futures: dict[str, Any] = {}   # dask key -> future, until reported
        self.keys: dict[str, str] = {}      # dask key -> the caller's key
        try:
            self._check_workers(require_sandbox, worker_timeout)
        except BaseException:
            self.close()
            raise

    def _check_workers(self, require_sandbox: bool, worker_timeout: float) -> None:
        """Register the sandbox check on every worker; refuse to go on without a worker
        that passed it. Workers that failed it are named on stderr."""
        run_id = uuid.uuid4().hex
        try:
            self.client.wait_for_workers(1, timeout=worker_timeout)
        except TimeoutError:
            raise UsageError(f"no Dask worker joined the scheduler {self.scheduler} within "
                             f"{worker_timeout:g} s; start one in the course environment: "
                             f"dask worker {self.scheduler}") from None
        try:
            self.client.register_plugin(SandboxCheck(run_id, require_sandbox))
        except Exception as error:
            raise UsageError(f"a Dask worker of {self.scheduler} cannot load the autograder's "
                             f"worker plugin ({type(error).__name__}: {error}); every worker "
                             "needs the course environment with this repository") from error
        deadline = time.monotonic() + 10
        broken = {}
        while True:  # a failed worker answers or logs its event, then closes within a second
            problems = self.client.run(_plugin_problem, on_error="return")
            broken.update({worker: problem for worker, problem in problems.items()
                           if isinstance(problem, str)})
            broken.update({msg["worker"]: msg["problem"]
                           for _, msg in self.client.get_events(EVENT_TOPIC)
                           if isinstance(msg, dict) and msg.get("run_id") == run_id})
            present = set(self.client.nthreads())
            unknown = {w for w, p in problems.items() if p is not None and w not in broken}
            if not (present & (set(broken) | unknown)) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        healthy = present - set(broken)
        named = "\n".join(f"  {worker}: {problem}" for worker, problem in sorted(broken.items()))
        if not healthy:
            raise UsageError(f"no Dask worker of {self.scheduler} can sandbox student code; "
                             f"they closed themselves:\n{named}\nInstall bubblewrap on the "
                             "worker machines (apt-get install bubblewrap), then restart them")
        if broken:
            print(f"warning: Dask worker(s) without a working sandbox closed themselves and "
                  f"get no hand-ins:\n{named}", file=sys.stderr)

    def submit(self, key: str, job: Any) -> None:
        dask_key = f"autograde-{key}-{uuid.uuid4().hex[:12]}"  # never shared with a run
        self.keys[dask_key] = key
        self.futures[dask_key] = self.client.submit(_run_on_dask_worker, self.run, job,
                                                    key=dask_key, pure=False)

    def _lost(self, why: str) -> EngineLost:
        return EngineLost(f"lost the Dask scheduler {self.scheduler} ({why})")

    def completed(self) -> Iterator[Completion]:
        pending, idle_since = set(self.futures.values()), None
        while pending:
            try:
                done, pending = wait(pending, timeout=POLL, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            except FuturesCancelledError as error:  # we cancel nothing: the scheduler is gone
                reasons = {g.reason for g in getattr(error, "error_groups", [])}
                raise self._lost(", ".join(sorted(reasons)) or "futures cancelled") from None
            for future in done:
                yield self._completion(future)
            if done or self.client.status != "running":
                idle_since = None
                continue
            if self.n_workers() > 0:  # a run with no worker left would wait forever
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > self.worker_timeout:
                raise EngineLost(f"no Dask worker left at {self.scheduler} for "
                                 f"{self.worker_timeout:g} s")

    def _completion(self, future: Future) -> Completion:
        key = self.keys[future.key]
        try:
            completion = Completion(key, result=future.result())
        except FutureCancelledError as error:  # we cancel nothing: the scheduler is gone
            raise self._lost(error.reason) from None
        except KilledWorker as error:
            completion = Completion(key, failure=(
                f"the hand-in's Dask worker died {error.allowed_failures + 1} times while "
                f"running it (last {error.last_worker.address}); not retried further "
                "(distributed.scheduler.allowed-failures)"))
        except Exception as error:
            if self.client.status != "running":
                raise self._lost(f"{type(error).__name__}: {error}") from None
            completion = Completion(key, failure="Dask worker error: "
                                                 f"{type(error).__name__}: {error}")
        del self.futures[future.key]
        future.release()
        return completion

    def n_workers(self) -> int:
        try:
            return len(self.client.nthreads())
        except Exception:  # the scheduler is gone: completed() will say so
            return 0

    def close(self) -> None:
        if self.client.status != "running":  # closing a reconnecting client logs a
            for name in ("distributed.client", "distributed.utils"):  # CancelledError
                logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            self.client.close(timeout=5)
        except Exception:  # the scheduler is already gone
            pass
