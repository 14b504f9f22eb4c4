"""Execute one sanitized hand-in in its own sandboxed kernel (runs in a grading worker).

This is nbgrader's `Execute` preprocessor with three changes, each for one reason:

- `SandboxedKernelManager` launches the kernel through `Sandbox.wrap` (bubblewrap +
  limits), talks to it over `ipc` sockets in a folder bound into the sandbox, and
  interrupts by message (a SIGINT would hit bwrap, not the kernel);
- an output budget: a hand-in printing without end cannot fill the worker's memory;
- a notebook deadline: a watchdog kills the sandbox after `notebook_timeout` seconds.

When the kernel dies (os._exit, a signal, the CPU limit, the deadline) the cells that
never ran get an error output. That matters: nbgrader scores a test cell with no error
output as passed, so an unexecuted test must not look like a passed one.

`execute_handin(job)` is the worker entry point: a `jobs.Job` in, a `jobs.Outcome` out.
When the job names trusted cells, the notebook runs in lock-step (autograder/worker/lockstep.py):
test cells in the trusted runner, in a second sandbox, the rest in the student kernel.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import typing
from collections.abc import Callable
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute
from traitlets import Any, Integer
from traitlets.config import Config

from autograder.common import cells
from autograder.grading import steps as pipeline
from autograder.grading.job import Job, Outcome
from autograder.sandbox.bubblewrap import Limits, Sandbox, is_root, unsandboxed_wrap

MAX_OUTPUT_BYTES = 2_000_000  # per notebook, before nbgrader's LimitOutput trims per cell


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command runs inside `wrap(cmd)`."""
    wrap = Any(help="function: kernel argv -> argv that starts it sandboxed")
    owner_uid = Any(None, allow_none=True, help="uid that must read the connection file")
    log_path = Any(None, allow_none=True, help="file for the kernel's own stdout/stderr")
    process = Any(None, allow_none=True, help="the launched (bwrap) process, kept for its exit status")

    async def _async_pre_start_kernel(self, **kw: typing.Any) -> tuple[list[str], dict[str, typing.Any]]:
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: typing.Any) -> None:
        if self.log_path is not None:  # keep the kernel's banner and crash output out of the terminal
            kw["stdout"] = kw["stderr"] = open(self.log_path, "ab")
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self.process = self.provisioner.process

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return self.wrap(super().format_kernel_cmd(extra_arguments))

    def write_connection_file(self, **kwargs: typing.Any) -> None:
        super().write_connection_file(**kwargs)
        if self.owner_uid is not None and is_root():
            os.chown(self.connection_file, self.owner_uid, self.owner_uid)


def message_size(msg: dict) -> int:
    """Bytes a kernel message costs the worker: its content as JSON plus binary buffers."""
    try:
        size = len(json.dumps(msg.get("content", {}), default=str))
    except (TypeError, ValueError):
        size = len(repr(msg.get("content")))
    return size + sum(len(b) for b in msg.get("buffers") or [])


class SandboxedExecute(Execute):
    """nbgrader's Execute with a sandboxed kernel, an output budget and cell bookkeeping.

    The budget counts every iopub message the kernel sends (stream, display_data,
    execute_result, update_display_data, error, clear_output, comm_open/comm_msg/
    comm_close): nbclient hands them all to `process_message`, and widget (comm)
    messages never reach `output()`. Over the budget, messages are dropped, except that
    an error still leaves a short error output (a dropped error would pass a test cell).
    Widget messages are counted and then ignored: no widget state is kept.
    """
    max_output_bytes = Integer(MAX_OUTPUT_BYTES).tag(config=True)

    def __init__(self, make_kernel_manager: Callable[..., SandboxedKernelManager], **kwargs: typing.Any):
        super().__init__(**kwargs)
        self._make_kernel_manager = make_kernel_manager
        self.executed_cells: set[int] = set()
        self.last_km = None  # nbclient drops self.km on clean-up; we need its process
        self.output_bytes = 0
        self.output_truncated = False
        self._noted_truncation = False
        self.after_cell = None  # called after every executed cell (sandbox sampling)
        self.store_widget_state = False
        self.comm_open_handlers = {}  # no frontend emulation (Output widgets) either
        # one stdout and one stderr output per cell, however the kernel flushed them (a
        # loaded machine splits one print into several messages): readable feedback
        self.coalesce_streams = True

    def create_kernel_manager(self) -> SandboxedKernelManager:
        self.km = self.last_km = self._make_kernel_manager(
            kernel_name=self.kernel_name or "python3", config=self.config)
        return self.km

    def on_cell_executed(self, **kwargs: typing.Any) -> None:
        self.executed_cells.add(kwargs["cell_index"])
        if self.after_cell is not None:
            self.after_cell()
        return super().on_cell_executed(**kwargs)

    def process_message(self, msg: dict[str, typing.Any], cell: nbformat.NotebookNode,
                        cell_index: int) -> nbformat.NotebookNode | None:
        msg_type = msg["msg_type"]
        if msg_type in ("status", "execute_input"):
            return super().process_message(msg, cell, cell_index)
        self.output_bytes += message_size(msg)
        within = self.output_bytes <= self.max_output_bytes
        if msg_type.startswith("comm"):
            self.output_truncated |= not within
            return None
        if within:
            return super().process_message(msg, cell, cell_index)
        if not self._noted_truncation:  # say it once, in the cell where it happened
            self.output_truncated = self._noted_truncation = True
            cell.outputs.append(nbformat.v4.new_output(
                "stream", name="stderr",
                text=f"\n[autograder] output limit of {self.max_output_bytes} bytes "
                     "reached: further output of this notebook is dropped\n"))
        if msg_type == "error" and not any(o.get("output_type") == "error" for o in cell.outputs):
            content = msg["content"]  # one short error per cell: enough to fail a test
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename=str(content.get("ename", "Error"))[:200],
                evalue=str(content.get("evalue", ""))[:500],
                traceback=["(traceback dropped: output limit reached)"]))
        return None


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


def execute_handin(job: Job) -> Outcome:
    """Run job.notebook (sanitized, as JSON text) in a sandbox; the Outcome holds the
    executed notebook (JSON text), the seconds it took and any problems found."""
    started = time.monotonic()
    job = Job(**job) if isinstance(job, dict) else job
    limits = Limits(**job.limits)
    nb = nbformat.reads(job.notebook, as_version=4)
    work = Path(tempfile.mkdtemp(prefix="autograder-handin-"))
    problems: list[str] = []
    runner = None
    sandbox = execute = None
    try:
        scratch, runtime = work / "scratch", work / "run"
        scratch.mkdir()
        for rel, data in job.extra_files.items():
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            (scratch / rel).write_bytes(data)
        if job.trusted_cells:
            from autograder.worker import lockstep
            runner, student_binds = lockstep.start_runner(job, work, limits)
            runner.student_names = tuple(job.student_names)
            visible = nbformat.writes(lockstep.blank_trusted_cells(nb, job.trusted_cells))
        else:
            student_binds, visible = {}, job.notebook
        (scratch / job.notebook_name).write_text(visible)
        if job.sandbox:
            sandbox = (lockstep.ChannelSandbox if runner else Sandbox)(
                scratch, runtime, limits, use_cgroups=job.cgroups,
                **student_binds)
            sandbox.prepare()
            problems += sandbox.notes
            wrap, owner = sandbox.wrap, sandbox.uid  # bwrap --chdir's to INSIDE_SCRATCH
        else:
            runtime.mkdir()
            wrap, owner = (lambda cmd: unsandboxed_wrap(cmd, limits)), None

        def make_kernel_manager(**kwargs: typing.Any) -> SandboxedKernelManager:
            return SandboxedKernelManager(
                wrap=wrap, owner_uid=owner, transport="ipc", ip=str(runtime / "kernel"),
                connection_file=str(runtime / "kernel.json"), log_path=work / "kernel.log",
                **kwargs)

        config = Config(job.config)
        options = dict(config=config, timeout=int(job.cell_timeout), shutdown_kernel="immediate")
        steps = [
            lockstep.LockstepExecute(make_kernel_manager, job.trusted_cells, runner,
                                     lockstep.serve_code(work / "chan" / "s", job.sandbox),
                                     **options)
            if runner else SandboxedExecute(make_kernel_manager, **options),
            *pipeline.worker_steps(steps_after_execute(job), config),
        ]
        execute = steps[0]
        if sandbox is not None:  # storage and tasks seen at the end of every cell
            execute.after_cell = lambda: sandbox.watch(_kernel_pid(execute))
        resources = {"metadata": {"path": str(scratch)}, "nbgrader": job.resources}
        deadline_hit = threading.Event()

        def kill_at_deadline() -> None:
            km = execute.last_km
            if km is not None and km.provisioner is not None and km.provisioner.pid:
                deadline_hit.set()
                os.kill(km.provisioner.pid, signal.SIGKILL)

        finished = threading.Event()

        def watch() -> None:
            """Kill the sandbox at the deadline; meanwhile sample its process count."""
            deadline = time.monotonic() + job.notebook_timeout
            while not finished.wait(1.0):
                if sandbox is not None:
                    sandbox.watch(None)
                if time.monotonic() > deadline:
                    kill_at_deadline()
                    return

        watchdog = threading.Thread(target=watch, daemon=True)
        watchdog.start()
        try:
            nb, resources = execute(nb, resources)
        except (DeadKernelError, CellTimeoutError) as error:
            process = execute.last_km.process if execute.last_km is not None else None
            if process is not None:
                try:  # a kernel that has just died: give bwrap a moment to exit too
                    process.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    pass
            alive = process is not None and process.poll() is None
            if isinstance(error, CellTimeoutError) and "IOPub" in str(error):
                reason = ("kernel output never ended: no idle status within the IOPub "
                          "timeout after its cell finished (an output flood, or a kernel "
                          "too busy to answer), killed")
                if alive:
                    process.kill()
            elif isinstance(error, CellTimeoutError) and alive:
                reason = ("kernel stopped responding: no output or reply within the cell "
                          f"timeout ({job.cell_timeout:g} s), killed")
                process.kill()
            else:  # dead (nbclient may notice it as a missing reply first)
                returncode = process.wait(timeout=10) if process is not None else None
                reason = _exit_reason(returncode, deadline_hit.is_set(), limits,
                                      job.notebook_timeout)
            problems.append(reason)
            _mark_unexecuted(nb, execute.executed_cells, reason)
        finally:
            finished.set()
            watchdog.join()
        if sandbox is not None:
            problems += sandbox.report()
            sandbox.close()  # nothing of this hand-in still runs when the next one starts
        for step in steps[1:]:
            nb, resources = step(nb, resources)
        problems += _problems_in_outputs(nb, limits.memory_mb)
        if execute.output_truncated:
            problems.append(f"output limit ({execute.max_output_bytes} bytes) reached")
        timings = dict(getattr(execute, "timings", {}))
        if runner is not None:
            timings["trusted_start"] = runner.ready_seconds or 0.0
        return Outcome(notebook=nbformat.writes(nb), problems=problems,
                       seconds=time.monotonic() - started, timings=timings,
                       resolved=dict(getattr(execute, "resolved", {})),
                       review=list(getattr(execute, "review", [])),
                       hidden_failures=list(getattr(execute, "hidden_failures", [])))
    except Exception as error:  # the hand-in fails, the run goes on
        message = f"{type(error).__name__}: {error}"
        log = work / "kernel.log"
        if "kernel_info" in message:  # why the kernel never came up
            km = execute.last_km if execute is not None else None
            process = km.process if km is not None else None
            status = process.poll() if process is not None else None
            text = log.read_text(errors="replace")[-300:].strip() if log.is_file() else ""
            message += f" (exit status {status}, kernel log: {text!r})"
        return Outcome(notebook=None, problems=problems, seconds=time.monotonic() - started,
                       error=message)
    finally:
        if runner is not None:
            runner.close()
        if sandbox is not None:
            sandbox.close()
        shutil.rmtree(work, ignore_errors=True)
