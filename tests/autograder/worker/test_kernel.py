"""worker/kernel.py: the grading kernel is ipykernel's own, started without debugpy, and
a killed kernel is waited for in 10 ms steps."""
import asyncio

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
