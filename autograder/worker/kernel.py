"""The student's kernel, sandboxed: nbgrader's `Execute` with three changes, each for one
reason:

- `SandboxedKernelManager` launches the kernel through `Sandbox.wrap` (bubblewrap +
  limits), talks to it over `ipc` sockets in a folder bound into the sandbox, and
  interrupts by message (a SIGINT would hit bwrap, not the kernel);
- an output budget (`SandboxedExecute`): a hand-in printing without end cannot fill the
  worker's memory;
- cell bookkeeping: which cells ran (those that never did get an error in handin.py).
"""
import json
import os
import time
import typing
from collections.abc import Callable
from queue import Empty

import nbformat
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute
from traitlets import Any, Integer, Type

from autograder.sandbox.bubblewrap import is_root

MAX_OUTPUT_BYTES = 2_000_000  # per notebook, before nbgrader's LimitOutput trims per cell
MAX_FIGURE_BYTES = 1_000_000  # per rich output (a figure's base64 PNG): larger -> a note
RICH = ("display_data", "execute_result", "update_display_data")


# ipykernel's own launcher (ipykernel_launcher.py) without debugpy, which ipykernel imports
# for its debugger: about 50 ms of CPU at every hand-in's start, and no front end ever
# attaches a debugger to a grading kernel. (IPython's history is already in memory:
# nbgrader's Execute passes --HistoryManager.hist_file=:memory:.)
KERNEL_MAIN = ("import sys\n"
               "if sys.path and sys.path[0] == '': del sys.path[0]\n"
               "sys.modules['debugpy'] = None\n"
               "from ipykernel import kernelapp\n"
               "kernelapp.launch_new_instance()")


def grading_kernel_cmd(cmd: list[str]) -> list[str]:
    """`python -m ipykernel_launcher ARGS` -> `python -c KERNEL_MAIN ARGS`; any other
    kernel command (a custom kernelspec) is left as it is."""
    if cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return cmd
    return [cmd[0], "-c", KERNEL_MAIN, *cmd[3:]]


class GradingKernelClient(AsyncKernelClient):
    """jupyter_client's client, ready as soon as the kernel is. jupyter_client's
    wait_for_ready waits 0.2 s for an IOPub message after each kernel_info reply (its check
    that IOPub is subscribed: a kernel's first messages are often published before) and
    then drains IOPub until it has been silent for 0.2 s: 0.2-0.4 s of every hand-in spent
    idle. Here the check waits 20 ms before asking again, and the drain takes only what
    has arrived (anything later belongs to kernel_info, and nbclient and the lock-step
    executor read only the messages of the request they sent)."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        give_up = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            if await self._kernel_info_and_iopub():
                break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > give_up:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:  # what is already there, no waiting for silence
            try:
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                return

    async def _kernel_info_and_iopub(self) -> bool:
        """Ask for kernel_info; True once it is answered and IOPub delivers messages."""
        self.kernel_info()
        try:
            reply = await self.shell_channel.get_msg(timeout=1)
        except Empty:
            return False
        if reply["msg_type"] != "kernel_info_reply":
            return False
        try:  # 20 ms, then ask again: lost messages do not come later
            await self.iopub_channel.get_msg(timeout=0.02)
        except Empty:
            return False
        self._handle_kernel_info_reply(reply)
        return True


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command runs inside `wrap(cmd)`."""
    client_factory = Type(GradingKernelClient, klass=AsyncKernelClient)
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
        return self.wrap(grading_kernel_cmd(super().format_kernel_cmd(extra_arguments)))

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        """Wait for the killed kernel to exit, polling every 10 ms: jupyter_client's 100 ms
        were an idle tenth of a second at the end of most hand-ins (benchmarks/grading.py)."""
        await super()._async_wait(pollinterval=min(pollinterval, 0.01))

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



def figure_note(msg: dict, limit: int) -> dict:
    """A stderr stream message saying that the rich output `msg` was too large to keep."""
    note = (f"[autograder] an output of {message_size(msg) / 1e6:.1f} MB (a figure?) is over "
            f"the limit of {limit / 1e6:g} MB per output: not kept\n")
    return {"msg_type": "stream", "header": {**msg.get("header", {}), "msg_type": "stream"},
            "parent_header": msg.get("parent_header", {}),
            "content": {"name": "stderr", "text": note}}

class SandboxedExecute(Execute):
    """nbgrader's Execute with a sandboxed kernel, an output budget and cell bookkeeping.

    The budget counts every iopub message the kernel sends (stream, display_data,
    execute_result, update_display_data, error, clear_output, comm_open/comm_msg/
    comm_close): nbclient hands them all to `process_message`, and widget (comm)
    messages never reach `output()`. Over the budget, messages are dropped, except that
    an error still leaves a short error output (a dropped error would pass a test cell).
    Widget messages are counted and then ignored: no widget state is kept. One rich
    output (a figure's PNG) over `max_figure_bytes` becomes a short note instead.
    """
    max_output_bytes = Integer(MAX_OUTPUT_BYTES).tag(config=True)
    max_figure_bytes = Integer(MAX_FIGURE_BYTES).tag(config=True)

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
        if msg_type in RICH and message_size(msg) > self.max_figure_bytes:  # one big figure
            msg, msg_type = figure_note(msg, self.max_figure_bytes), "stream"
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
