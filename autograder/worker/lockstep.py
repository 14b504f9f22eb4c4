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
  instructor; preprocessors/feedback.py replaces them by a note).

The runner process is started and driven by runner_client.py; its sandbox and the
student kernel's are `ChannelSandbox`es (autograder/sandbox/channel.py).
"""
from __future__ import annotations

import asyncio
import json
import queue
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync

from autograder.common.cells import AFTER_HIDDEN, grade_id
from autograder.entrypoints import CHANNEL_PACKAGE
from autograder.runner.segments import has_hidden
from autograder.worker.kernel import SandboxedExecute
from autograder.worker.runner_client import AGENT_INSIDE, RunnerClient

if TYPE_CHECKING:
    from collections.abc import Callable

    from jupyter_client import KernelClient

    from autograder.grading.job import TrustedCell
    from autograder.runner.protocol import CellResult
    from autograder.worker.kernel import SandboxedKernelManager

STUDENT_OUTPUT_LIMIT = 20_000
STUDENT_LABEL = "[your code's output while the test ran]\n"
BLANKED = "# test cell: it runs in the trusted grading process, not in this kernel\n"


def blank_trusted_cells(nb: nbformat.NotebookNode, trusted: dict) -> nbformat.NotebookNode:
    """A copy of `nb` whose trusted cells hold no source (the file the student sandbox sees)."""
    copy = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in copy.cells:
        if cell.cell_type == "code" and grade_id(cell) in trusted:
            cell.source = BLANKED
    return copy


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
                 trusted_cells: dict[str, TrustedCell], runner: RunnerClient,
                 serve_code: str, **kwargs: Any):
        super().__init__(make_kernel_manager, **kwargs)
        self.trusted_cells, self.runner, self.serve_code = trusted_cells, runner, serve_code
        self.timings = {"kernel_start": 0.0, "trusted_cells": 0.0, "channel_wait": 0.0,
                        "channel_requests": 0}
        self.resolved: dict[str, list[str]] = {}
        self.review: list[str] = []           # why the hand-in needs review (runner/)
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
            if self.after_hidden and cell.cell_type == "code":  # see preprocessors/feedback.py
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
        result: CellResult = await result
        outputs = list(result.outputs)
        self.after_hidden |= has_hidden(spec.source)
        if printed and not self.after_hidden:  # it may quote hidden inputs: not shown then
            outputs.append({"output_type": "stream", "name": "stdout",
                            "text": STUDENT_LABEL + printed})
        cell.outputs = [nbformat.from_dict(out) for out in outputs]
        cell.execution_count = None
        self.executed_cells.add(cell_index)
        self.resolved[spec.grade_id] = result.resolved
        self.review += result.review
        self.hidden_failures += result.hidden_failures
        self.timings["trusted_cells"] += time.monotonic() - started
        self.timings["channel_wait"] += result.seconds_waiting
        self.timings["channel_requests"] += result.requests
        return cell

    execute_cell = run_sync(async_execute_cell)  # nbclient binds the sync name at class level

    async def _follow_kernel(self, msg_id: str, result: asyncio.Future[CellResult], seq: int) -> str:
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
