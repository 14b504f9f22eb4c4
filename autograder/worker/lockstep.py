"""Lock-step execution: student cells in the student's kernel, test cells in the trusted
runner, in notebook order (runs in a grading worker).

For each code cell in order:

- a student cell runs in the student kernel, exactly as nbgrader's Execute runs it;
- a *trusted cell* (its grade_id is, in the instructor's source, an autograded test or
  starts with ``test_``; see grade.trusted_cells) never reaches the kernel. The kernel
  gets one silent execute_request (no history, no hooks) that makes its agent serve the
  channel; the trusted runner runs the instructor's source; the runner's outputs, and
  only those, become the cell's outputs. What the student's code printed meanwhile is
  appended as one stdout stream labelled as such, capped, but only until the first
  cell holding hidden tests: from then on the student's process has seen hidden inputs,
  so its prints during test cells are dropped, and every student cell that runs after
  it gets the metadata ``autograder.after_hidden_tests`` (its outputs are kept for the
  instructor; feedback.py replaces them by a note).

`TrustedRunner` drives the runner process over its stdin/stdout. `ChannelSandbox` is a
`Sandbox` with extra binds and, for the runner, another uid and no /handin.
"""
from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync

from autograder.common.cells import AFTER_HIDDEN, grade_id
from autograder.common.course import REPO
from autograder.entrypoints import CHANNEL_PACKAGE, RUNNER_MODULE
from autograder.runner.segments import has_hidden
from autograder.sandbox.bubblewrap import Sandbox, is_root
from autograder.worker.handin import SandboxedExecute

if TYPE_CHECKING:
    from collections.abc import Callable

    from jupyter_client import KernelClient

    from autograder.grading.job import Job, TrustedCell
    from autograder.sandbox.bubblewrap import Limits
    from autograder.worker.handin import SandboxedKernelManager

AGENT_INSIDE = "/opt/autograder-agent"  # holds the channel package as `agchannel`
TRUSTED_UID_OFFSET = 1  # sandbox.Sandbox: 0 is the student kernel's uid, 1 the runner's
STUDENT_OUTPUT_LIMIT = 20_000
STUDENT_LABEL = "[your code's output while the test ran]\n"
BLANKED = "# test cell: it runs in the trusted grading process, not in this kernel\n"


class ChannelSandbox(Sandbox):
    """`Sandbox` plus extra binds, environment and hidden folders for the channel.

    ro_binds / rw_binds: (outside, inside) pairs; env: (name, value) pairs; tmpfs:
    folders hidden under an empty tmpfs. The trusted runner's sandbox is one with
    scratch=None (no /handin) and uid_offset=1 (a uid apart from the student kernel's).
    Only `bwrap_argv` is extended; the base's life cycle (prepare, wrap, close) is kept."""

    def __init__(self, *args: Any, ro_binds: Iterable[tuple[Path, Path]] = (),
                 rw_binds: Iterable[tuple[Path, Path]] = (), env: Iterable[tuple[str, str]] = (),
                 tmpfs: Iterable[Path] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.ro_binds, self.rw_binds = tuple(ro_binds), tuple(rw_binds)
        self.env, self.tmpfs = tuple(env), tuple(tmpfs)

    def bwrap_argv(self) -> list[str]:
        from autograder.sandbox.bubblewrap import _Mounts
        argv = super().bwrap_argv()[:-1]  # drop the final "--"
        mounts = _Mounts()
        mounts._made.update(a for a in argv if a.startswith("/"))
        for outside, inside in self.ro_binds:
            mounts.bind(outside, inside)
        for outside, inside in self.rw_binds:
            mounts.bind(outside, inside, writable=True)
        for folder in self.tmpfs:
            mounts.argv += ["--tmpfs", str(folder)]
        for name, value in self.env:
            mounts.argv += ["--setenv", name, value]
        return argv + mounts.argv + ["--"]


def blank_trusted_cells(nb: nbformat.NotebookNode, trusted: dict) -> nbformat.NotebookNode:
    """A copy of `nb` whose trusted cells hold no source (the file the student sandbox sees)."""
    copy = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in copy.cells:
        if cell.cell_type == "code" and grade_id(cell) in trusted:
            cell.source = BLANKED
    return copy


class TrustedRunner:
    """The trusted runner process (`python -m autograder.runner`), one per hand-in."""

    def __init__(self, argv: list[str], log_path: Path, cwd: Path, sandbox: Sandbox | None = None):
        self.started = time.monotonic()
        self.sandbox = sandbox  # closed (cgroup removed) with the runner
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self._log, cwd=cwd, text=True, bufsize=1)
        self._lines: queue.Queue = queue.Queue()
        self.ready_seconds: float | None = None  # start-up time, Popen to "ready"
        self._ready = False
        threading.Thread(target=self._read, daemon=True).start()
        self.seq = 0
        self._write_lock = threading.Lock()
        self.student_names: tuple[str, ...] = ()  # names.student_names, sent with each run

    def _read(self) -> None:
        for line in self.process.stdout:
            if self.ready_seconds is None:  # the first line is {"ready": true}
                self.ready_seconds = time.monotonic() - self.started
            self._lines.put(line)
        self._lines.put(None)

    def _reply(self, timeout: float) -> dict:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"the trusted test runner gave no answer in {timeout:g} s") from None
        if line is None:
            raise RuntimeError(f"the trusted test runner exited (status {self.process.poll()})")
        return json.loads(line)

    def wait_ready(self, timeout: float = 60) -> None:
        if not self._ready:
            self._reply(timeout)
            self._ready = True

    def _send(self, command: dict) -> None:
        with self._write_lock:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def cancel(self, seq: int) -> None:
        """The kernel went idle without its agent connecting for run `seq`."""
        try:
            self._send({"cmd": "cancel", "seq": seq})
        except (OSError, ValueError):
            pass

    def run(self, cell: TrustedCell, timeout: float, seq: int) -> dict:
        """Run one TrustedCell as run number `seq`; the runner's result dict (see
        autograder/runner/runner.py)."""
        try:
            self.wait_ready()
            self._send({"cmd": "run", "seq": seq, "cell": cell.grade_id,
                        "source": cell.source, "points": cell.points, "timeout": timeout,
                        "student_names": list(self.student_names)})
            return self._reply(timeout + 30)
        except (RuntimeError, OSError, ValueError) as error:
            self.close()
            reason = f"{type(error).__name__}: {error}"
            shown = "the trusted test runner failed; this test did not run"
            return {"outputs": [{"output_type": "error", "ename": "TrustedRunnerFailed",
                                 "evalue": shown, "traceback": [f"TrustedRunnerFailed: {shown}"]}],
                    "passed": False, "resolved": [], "requests": 0, "seconds_waiting": 0.0,
                    "seconds": 0.0, "hidden_failures": [],
                    "review": [f"{cell.grade_id}: the trusted test runner failed ({reason})"]}

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                self.process.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.process.stdin.flush()
                self.process.wait(timeout=3)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._log.close()
            if self.sandbox is not None:
                self.sandbox.close()
                self.sandbox = None


def trusted_command(socket_path: Path) -> list[str]:
    return [sys.executable, "-m", RUNNER_MODULE, "--socket", str(socket_path)]


def serve_code(socket_path: Path, sandboxed: bool) -> str:
    """The silent request that makes the student kernel serve one trusted cell."""
    folder, package = (AGENT_INSIDE, "agchannel") if sandboxed else \
        (str(CHANNEL_PACKAGE.parent), "channel")
    return (f"(lambda s: s.path.insert(0, {folder!r}) if {folder!r} not in s.path else None)"
            f"(__import__('sys'))\n"
            f"__import__({package + '.agent'!r}, fromlist=['serve']).serve("
            f"{str(socket_path)!r}, get_ipython().user_ns)\n")


class LockstepExecute(SandboxedExecute):
    """SandboxedExecute whose trusted cells run in `runner` (see the module docstring)."""

    def __init__(self, make_kernel_manager: Callable[..., SandboxedKernelManager],
                 trusted_cells: dict[str, TrustedCell], runner: TrustedRunner,
                 serve_code: str, **kwargs: Any):
        super().__init__(make_kernel_manager, **kwargs)
        self.trusted_cells, self.runner, self.serve_code = trusted_cells, runner, serve_code
        self.timings = {"kernel_start": 0.0, "trusted_cells": 0.0, "channel_wait": 0.0,
                        "channel_requests": 0}
        self.resolved: dict[str, list[str]] = {}
        self.review: list[str] = []           # why the hand-in needs review (trusted.py)
        self.hidden_failures: list[str] = []  # the instructor's details of hidden failures
        self.after_hidden = False             # a cell with hidden tests has run

    async def async_start_new_kernel(self, **kwargs: Any) -> None:
        started = time.monotonic()
        result = await super().async_start_new_kernel(**kwargs)
        self.timings["kernel_start"] += time.monotonic() - started
        return result

    async def async_start_new_kernel_client(self) -> KernelClient:
        started = time.monotonic()
        result = await super().async_start_new_kernel_client()
        self.timings["kernel_start"] += time.monotonic() - started
        return result

    # nbclient binds the sync names to its own coroutines at class level: rebind them
    start_new_kernel = run_sync(async_start_new_kernel)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    async def async_execute_cell(self, cell: nbformat.NotebookNode, cell_index: int,
                                 execution_count: int | None = None,
                                 store_history: bool = True) -> nbformat.NotebookNode:
        spec = self.trusted_cells.get(grade_id(cell)) if cell.cell_type == "code" else None
        if spec is None:
            if self.after_hidden and cell.cell_type == "code":  # see feedback.py
                cell.metadata.setdefault("autograder", {})[AFTER_HIDDEN] = True
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        if not await self.km.is_alive():
            raise DeadKernelError("Kernel died")
        started = time.monotonic()
        msg_id = self.kc.execute(self.serve_code, silent=True, store_history=False,
                                 allow_stdin=False)
        loop = asyncio.get_running_loop()
        seq = self.runner.next_seq()
        result = loop.run_in_executor(None, self.runner.run, spec, float(self.timeout or 60),
                                      seq)
        printed = await self._follow_kernel(msg_id, result, seq)
        result = await result
        outputs = list(result["outputs"])
        self.after_hidden |= has_hidden(spec.source)
        if printed and not self.after_hidden:  # it may quote hidden inputs: not shown then
            outputs.append({"output_type": "stream", "name": "stdout",
                            "text": STUDENT_LABEL + printed})
        cell.outputs = [nbformat.from_dict(out) for out in outputs]
        cell.execution_count = None
        self.executed_cells.add(cell_index)
        self.resolved[spec.grade_id] = result["resolved"]
        self.review += result.get("review", [])
        self.hidden_failures += result.get("hidden_failures", [])
        self.timings["trusted_cells"] += time.monotonic() - started
        self.timings["channel_wait"] += result["seconds_waiting"]
        self.timings["channel_requests"] += result["requests"]
        return cell

    execute_cell = run_sync(async_execute_cell)  # nbclient binds the sync name at class level

    async def _follow_kernel(self, msg_id: str, result: asyncio.Future[dict], seq: int) -> str:
        """Collect the kernel's stdout for `msg_id` until it is idle again; interrupt it
        when it keeps running after the test finished; DeadKernelError when it died."""
        printed, size, idle = [], 0, False
        grace_end = interrupted = None
        while not idle:
            try:
                msg = await self.kc.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                msg = None
            if msg is not None and msg.get("parent_header", {}).get("msg_id") == msg_id:
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream" and content.get("name") == "stdout" and \
                        size < STUDENT_OUTPUT_LIMIT:
                    text = str(content.get("text", ""))[:STUDENT_OUTPUT_LIMIT - size]
                    printed.append(text)
                    size += len(text)
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
                    # the agent has returned: if it never connected, stop the wait (a
                    # connected run ends by itself; then this late cancel is ignored)
                    self.runner.cancel(seq)
            if idle or not result.done():
                continue
            now = time.monotonic()
            if not await self.km.is_alive():
                raise DeadKernelError("Kernel died")
            if grace_end is None:
                grace_end = now + 5
            elif interrupted is None and now > grace_end:
                await self.km.interrupt_kernel()
                interrupted = now
            elif interrupted is not None and now > interrupted + 5:
                raise CellTimeoutError("the kernel kept running after a test cell ended")
        text = "".join(printed)
        return text + ("\n[cut]\n" if size >= STUDENT_OUTPUT_LIMIT else "") if text else ""


def start_runner(job: Job, work: Path, limits: Limits) -> tuple[TrustedRunner, dict]:
    """Start the trusted runner for `job` (sandboxed when job.sandbox) with its socket in
    work/chan; returns it and the ChannelSandbox arguments of the student's sandbox,
    which joins the runner's cgroup: `limits.memory_mb` is the total of both."""
    from autograder.sandbox.bubblewrap import unsandboxed_wrap
    chan = work / "chan"
    chan.mkdir(mode=0o755)
    socket_path = chan / "s"
    command = trusted_command(socket_path)
    if job.sandbox:
        course_dir = REPO / "autograder" / "course"
        box = ChannelSandbox(None, work / "trusted-run", limits,
                             uid_offset=TRUSTED_UID_OFFSET, use_cgroups=job.cgroups,
                             ro_binds=((REPO / "autograder", REPO / "autograder"),),
                             rw_binds=((chan, chan),),
                             tmpfs=(course_dir,) if course_dir.is_dir() else (),
                             env=(("PYTHONPATH", str(REPO)),))
        box.prepare()
        if is_root():
            os.chown(chan, box.uid, box.uid)
        argv = box.wrap(command)
    else:
        box, argv = None, unsandboxed_wrap(command, limits)
    runner = TrustedRunner(argv, work / "trusted.log", cwd=REPO, sandbox=box)
    student = {"ro_binds": ((CHANNEL_PACKAGE, f"{AGENT_INSIDE}/agchannel"),),
               "rw_binds": ((chan, chan),),
               # one total per hand-in: the kernel joins the runner's cgroup
               "shared_cgroup": box.cgroup if box is not None else None}
    return runner, student
