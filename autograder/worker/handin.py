"""One hand-in, executed in a grading worker: `execute_handin(job)` takes a
`grading.job.Job` and returns an `Outcome`.

The hand-in's files go into a scratch folder; the student's kernel runs in a sandbox
(kernel.py) and, when the job names trusted cells, the test cells run in lock-step in
the trusted runner (lockstep.py, runner_client.py), in a second sandbox. A watchdog
kills the sandbox after `notebook_timeout` seconds.

When the kernel dies (os._exit, a signal, the CPU limit, the deadline) the cells that
never ran get an error output. That matters: nbgrader scores a test cell with no error
output as passed, so an unexecuted test must not look like a passed one.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import typing
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from traitlets.config import Config

from autograder.common import cells
from autograder.grading import steps as pipeline
from autograder.grading.job import Job, Outcome
from autograder.sandbox import fontcache
from autograder.sandbox.bubblewrap import Limits, Sandbox, unsandboxed_wrap
from autograder.sandbox.channel import ChannelSandbox
from autograder.worker import lockstep
from autograder.worker.kernel import SandboxedExecute, SandboxedKernelManager
from autograder.worker.runner_client import RunnerClient, start_runner


def _kernel_pid(execute: SandboxedExecute) -> int | None:
    km = execute.last_km
    return km.process.pid if km is not None and km.process is not None else None


def _mark_unexecuted(nb: nbformat.NotebookNode, executed: set[int], reason: str) -> int:
    """Give every code cell that never ran an error output; returns how many."""
    n_marked = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and index not in executed:
            cell.outputs = list(cell.get("outputs", [])) + [nbformat.v4.new_output(
                "error", ename="KernelDied", evalue=reason,
                traceback=[f"KernelDied: {reason}; this cell did not run"])]
            n_marked += 1
    return n_marked


def _exit_reason(returncode: int | None, deadline_hit: bool, limits: Limits,
                 notebook_timeout: float) -> str:
    if deadline_hit:
        return f"notebook timeout: still running after {notebook_timeout:g} s, killed"
    if returncode is None:
        return "kernel died (exit status unknown)"
    code = returncode - 128 if returncode > 128 else -returncode if returncode < 0 else None
    if code is not None and code > 0:
        name = signal.Signals(code).name if code in signal.Signals._value2member_map_ else code
        if code == signal.SIGXCPU:
            return f"CPU time limit ({limits.cpu_seconds} s) reached, kernel killed by {name}"
        if code == signal.SIGKILL:
            return f"kernel killed by {name} (memory exhaustion or an explicit kill)"
        return f"kernel killed by signal {name}"
    return f"kernel exited by itself with status {returncode} (sys.exit / os._exit?)"


def _problems_in_outputs(nb: nbformat.NotebookNode, memory_mb: int) -> list[str]:
    """Errors in outputs that say a limit was hit, named for the status record."""
    problems = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            where = cells.grade_id(cell) or cell.get("id", "?")
            if out.ename == "CellTimeoutError":
                problems.append(f"cell timeout in cell {where}")
            elif out.ename == "MemoryError":
                problems.append(f"memory limit ({memory_mb} MB) hit in cell {where}")
            elif "No space left on device" in str(out.get("evalue", "")):
                problems.append(f"storage total full in cell {where}")
    return problems


def steps_after_execute(job: Job) -> tuple[str, ...]:
    """Import paths of the steps that follow the executor in this worker."""
    if job.steps is not None:
        return job.steps
    return pipeline.build(Config()).execute_paths()


@dataclass
class _Run:
    """What one hand-in's execution holds while it runs (closed in `execute_handin`)."""
    job: Job
    limits: Limits
    work: Path
    problems: list = field(default_factory=list)
    runner: RunnerClient | None = None
    sandbox: Sandbox | None = None
    execute: SandboxedExecute | None = None
    deadline_hit: threading.Event = field(default_factory=threading.Event)

    @property
    def scratch(self) -> Path:
        return self.work / "scratch"

    @property
    def runtime(self) -> Path:
        return self.work / "run"


def _write_files(run: _Run, nb: nbformat.NotebookNode) -> dict:
    """The hand-in's files into scratch/ (test cells blanked when a runner takes them);
    starts the runner. Returns the ChannelSandbox arguments of the student's sandbox."""
    job = run.job
    run.scratch.mkdir()
    fontcache.stage(run.scratch)
    for rel, data in job.extra_files.items():
        (run.scratch / rel).parent.mkdir(parents=True, exist_ok=True)
        (run.scratch / rel).write_bytes(data)
    student_binds, visible = {}, job.notebook
    if job.trusted_cells:
        run.runner, student_binds = start_runner(job, run.work, run.limits)
        run.runner.student_names = tuple(job.student_names)
        visible = nbformat.writes(lockstep.blank_trusted_cells(nb, job.trusted_cells))
    (run.scratch / job.notebook_name).write_text(visible)
    return student_binds


def _kernel_factory(run: _Run, student_binds: dict) -> typing.Callable:
    """Prepares the student's sandbox; returns what makes its kernel manager."""
    if run.job.sandbox:
        run.sandbox = (ChannelSandbox if run.runner else Sandbox)(
            run.scratch, run.runtime, run.limits, use_cgroups=run.job.cgroups, **student_binds)
        run.sandbox.prepare()
        run.problems += run.sandbox.notes
        wrap, owner = run.sandbox.wrap, run.sandbox.uid  # bwrap --chdir's to INSIDE_SCRATCH
    else:
        run.runtime.mkdir()
        wrap, owner = (lambda cmd: unsandboxed_wrap(cmd, run.limits)), None

    def make_kernel_manager(**kwargs: typing.Any) -> SandboxedKernelManager:
        return SandboxedKernelManager(
            wrap=wrap, owner_uid=owner, transport="ipc", ip=str(run.runtime / "kernel"),
            connection_file=str(run.runtime / "kernel.json"),
            log_path=run.work / "kernel.log", **kwargs)
    return make_kernel_manager


def _steps(run: _Run, make_kernel_manager: typing.Callable) -> list:
    """The executor (lock-step when a runner takes the tests) and the steps after it."""
    job = run.job
    config = Config(job.config)
    options = dict(config=config, timeout=int(job.cell_timeout), shutdown_kernel="immediate")
    if run.runner:
        run.execute = lockstep.LockstepExecute(
            make_kernel_manager, job.trusted_cells, run.runner,
            lockstep.serve_code(run.work / "chan" / "s", job.sandbox), **options)
    else:
        run.execute = SandboxedExecute(make_kernel_manager, **options)
    if run.sandbox is not None:  # storage and tasks seen at the end of every cell
        run.execute.after_cell = lambda: run.sandbox.watch(_kernel_pid(run.execute))
    return [run.execute, *pipeline.worker_steps(steps_after_execute(job), config)]


def _watchdog(run: _Run, finished: threading.Event) -> None:
    """Kill the sandbox at the notebook deadline; meanwhile sample its process count."""
    deadline = time.monotonic() + run.job.notebook_timeout
    while not finished.wait(1.0):
        if run.sandbox is not None:
            run.sandbox.watch(None)
        if time.monotonic() > deadline:
            km = run.execute.last_km
            if km is not None and km.provisioner is not None and km.provisioner.pid:
                run.deadline_hit.set()
                os.kill(km.provisioner.pid, signal.SIGKILL)
            return


def _failure_reason(run: _Run, error: Exception) -> str:
    """Why the kernel stopped (it is killed here if still alive)."""
    km = run.execute.last_km
    process = km.process if km is not None else None
    if process is not None:
        try:  # a kernel that has just died: give bwrap a moment to exit too
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            pass
    alive = process is not None and process.poll() is None
    if isinstance(error, CellTimeoutError) and "IOPub" in str(error):
        if alive:
            process.kill()
        return ("kernel output never ended: no idle status within the IOPub timeout after "
                "its cell finished (an output flood, or a kernel too busy to answer), killed")
    if isinstance(error, CellTimeoutError) and alive:
        process.kill()
        return ("kernel stopped responding: no output or reply within the cell timeout "
                f"({run.job.cell_timeout:g} s), killed")
    returncode = process.wait(timeout=10) if process is not None else None
    return _exit_reason(returncode, run.deadline_hit.is_set(), run.limits,
                        run.job.notebook_timeout)


def _execute(run: _Run, steps: list, nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run the executor under the watchdog, then the steps after it."""
    resources = {"metadata": {"path": str(run.scratch)}, "nbgrader": run.job.resources}
    finished = threading.Event()
    watchdog = threading.Thread(target=_watchdog, args=(run, finished), daemon=True)
    watchdog.start()
    try:
        nb, resources = run.execute(nb, resources)
    except (DeadKernelError, CellTimeoutError) as error:
        reason = _failure_reason(run, error)
        run.problems.append(reason)
        _mark_unexecuted(nb, run.execute.executed_cells, reason)
    finally:
        finished.set()
        watchdog.join()
    if run.sandbox is not None:
        run.problems += run.sandbox.report()
        run.sandbox.close()  # nothing of this hand-in still runs when the next one starts
    for step in steps[1:]:
        nb, resources = step(nb, resources)
    return nb


def _outcome(run: _Run, nb: nbformat.NotebookNode, started: float) -> Outcome:
    execute = run.execute
    run.problems += _problems_in_outputs(nb, run.limits.memory_mb)
    if execute.output_truncated:
        run.problems.append(f"output limit ({execute.max_output_bytes} bytes) reached")
    timings = dict(getattr(execute, "timings", {}))
    if run.runner is not None:
        timings["trusted_start"] = run.runner.ready_seconds or 0.0
    return Outcome(notebook=nbformat.writes(nb), problems=run.problems,
                   seconds=time.monotonic() - started, timings=timings,
                   resolved=dict(getattr(execute, "resolved", {})),
                   review=list(getattr(execute, "review", [])),
                   hidden_failures=list(getattr(execute, "hidden_failures", [])))


def _start_failure(run: _Run, error: Exception) -> str:
    """The error message, with the kernel's exit status and log when it never came up."""
    message = f"{type(error).__name__}: {error}"
    log = run.work / "kernel.log"
    if "kernel_info" in message:
        km = run.execute.last_km if run.execute is not None else None
        process = km.process if km is not None else None
        status = process.poll() if process is not None else None
        text = log.read_text(errors="replace")[-300:].strip() if log.is_file() else ""
        message += f" (exit status {status}, kernel log: {text!r})"
    return message


def execute_handin(job: Job) -> Outcome:
    """Run job.notebook (sanitized, as JSON text) in a sandbox; the Outcome holds the
    executed notebook (JSON text), the seconds it took and any problems found."""
    started = time.monotonic()
    job = Job(**job) if isinstance(job, dict) else job
    run = _Run(job, Limits(**job.limits), Path(tempfile.mkdtemp(prefix="autograder-handin-")))
    try:
        nb = nbformat.reads(job.notebook, as_version=4)
        student_binds = _write_files(run, nb)
        steps = _steps(run, _kernel_factory(run, student_binds))
        return _outcome(run, _execute(run, steps, nb), started)
    except Exception as error:  # the hand-in fails, the run goes on
        return Outcome(notebook=None, problems=run.problems,
                       seconds=time.monotonic() - started, error=_start_failure(run, error))
    finally:
        if run.runner is not None:
            run.runner.close()
        if run.sandbox is not None:
            run.sandbox.close()
        shutil.rmtree(run.work, ignore_errors=True)
