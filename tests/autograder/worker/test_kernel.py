"""worker/kernel.py: the grading kernel is ipykernel's own, started without debugpy, and
a killed kernel is waited for in 10 ms steps."""
import asyncio
from queue import Empty

from agtools import handin, submit
from autograder.demo import tiny_class as tiny
from autograder.grading.grader import GradeOptions, Grader
from autograder.worker import kernel
from autograder.worker.handin import execute_handin


def test_the_kernel_command_keeps_ipykernels_launcher_but_not_its_debugger():
    cmd = kernel.grading_kernel_cmd(["/py", "-m", "ipykernel_launcher", "-f", "c.json", "--x"])
    assert cmd[:2] == ["/py", "-c"] and cmd[3:] == ["-f", "c.json", "--x"]
    assert "sys.modules['debugpy'] = None" in cmd[2] and "launch_new_instance()" in cmd[2]
    custom = ["/py", "-m", "my_kernel", "-f", "c.json"]
    assert kernel.grading_kernel_cmd(custom) == custom


def test_the_sandboxed_kernel_runs_student_code_as_usual_without_debugpy(course):
    probe = ("import sys\n"
             "print('DEBUGPY', sys.modules.get('debugpy'), 'KERNEL', type(get_ipython()).__name__)\n"
             "print('HISTORY', len(In) > 1)\n")
    submit(course, "ada", handin(course, {"square": tiny.CORRECT["square"] + "\n" + probe}))
    out = execute_handin(Grader(course, "tiny", GradeOptions(workers=1, quiet=True)).prepare("ada"))
    assert out.error is None, out.error
    assert "DEBUGPY None KERNEL ZMQInteractiveShell" in out.notebook
    assert "HISTORY True" in out.notebook


def test_a_killed_kernel_is_polled_every_10_ms(monkeypatch):
    naps = []

    async def sleep(seconds):
        naps.append(seconds)
    alive = iter([True, True, False])

    async def is_alive(self):
        return next(alive)
    monkeypatch.setattr(asyncio, "sleep", sleep)
    monkeypatch.setattr(kernel.SandboxedKernelManager, "_async_is_alive", is_alive)
    asyncio.run(kernel.SandboxedKernelManager(wrap=list)._async_wait())
    assert naps == [0.01, 0.01]


class _Channel:
    """A fake zmq channel: get_msg returns the queued messages, then raises Empty."""

    def __init__(self, messages=()):
        self.messages, self.timeouts = list(messages), []

    async def get_msg(self, timeout=None):
        self.timeouts.append(timeout)
        if not self.messages:
            raise Empty()
        return self.messages.pop(0)


def _client(iopub_messages):
    client = kernel.GradingKernelClient()
    asked = []
    client.kernel_info = lambda: asked.append(1)
    client._shell_channel = _Channel([{"msg_type": "kernel_info_reply", "content": {}}] * 5)
    client._iopub_channel = _Channel(iopub_messages)
    client._handle_kernel_info_reply = lambda msg: None
    return client, asked


def test_the_kernel_is_ready_without_waiting_for_iopub_to_fall_silent():
    status = {"msg_type": "status", "content": {"execution_state": "idle"}}
    client, asked = _client([status, status])
    asyncio.run(client.wait_for_ready(timeout=5))
    assert asked == [1]                              # one kernel_info, answered
    assert client.iopub_channel.messages == []        # what had arrived is drained
    assert max(client.iopub_channel.timeouts) < 0.2   # jupyter_client: 0.2 s, twice


def test_lost_iopub_messages_make_it_ask_again_not_wait():
    client, asked = _client([])
    arrivals = iter([None, None, {"msg_type": "status", "content": {}}])
    real = client.iopub_channel.get_msg

    async def get_msg(timeout=None):
        message = next(arrivals, None)
        if message is not None:
            client.iopub_channel.messages.append(message)
        return await real(timeout)
    client.iopub_channel.get_msg = get_msg

    async def alive():
        return True
    client._async_is_alive = alive
    asyncio.run(client.wait_for_ready(timeout=5))
    assert asked == [1, 1, 1]


def test_the_sandboxed_kernel_manager_hands_out_the_grading_client():
    assert isinstance(kernel.SandboxedKernelManager(wrap=list).client(),
                      kernel.GradingKernelClient)
