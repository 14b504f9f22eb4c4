"""The worker's side of the trusted runner: `start_runner` starts the runner process
(`python -m autograder.runner`) in its own sandbox, `RunnerClient` drives it over its
stdin/stdout, one JSON line per request and per reply (autograder/runner/protocol.py).
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.common.course import REPO
from autograder.entrypoints import CHANNEL_PACKAGE, RUNNER_MODULE
from autograder.runner.protocol import CANCEL, QUIT, RUN, CellResult
from autograder.sandbox.bubblewrap import Sandbox, is_root, unsandboxed_wrap
from autograder.sandbox.channel import ChannelSandbox

if TYPE_CHECKING:
    from autograder.grading.job import Job, TrustedCell
    from autograder.sandbox.bubblewrap import Limits

AGENT_INSIDE = "/opt/autograder-agent"  # holds the channel package as `agchannel`
TRUSTED_UID_OFFSET = 1  # sandbox.Sandbox: 0 is the student kernel's uid, 1 the runner's


class RunnerClient:
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

    def _reply(self, timeout: float) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"the trusted test runner gave no answer in {timeout:g} s") from None
        if line is None:
            raise RuntimeError(f"the trusted test runner exited (status {self.process.poll()})")
        return line

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
            self._send({"cmd": CANCEL, "seq": seq})
        except (OSError, ValueError):
            pass

    def run(self, cell: TrustedCell, timeout: float, seq: int) -> CellResult:
        """Run one TrustedCell as run number `seq`."""
        try:
            self.wait_ready()
            self._send({"cmd": RUN, "seq": seq, "cell": cell.grade_id,
                        "source": cell.source, "points": cell.points, "timeout": timeout,
                        "student_names": list(self.student_names)})
            return CellResult.from_json(self._reply(timeout + 30))
        except (RuntimeError, OSError, ValueError) as error:
            self.close()
            return CellResult.runner_failed(cell.grade_id, f"{type(error).__name__}: {error}")

    def close(self) -> None:
        """Stop the runner. In a sandbox with a cgroup it is killed with all in it (it has
        answered every run, nothing of it needs a clean exit, which cost the worker ~30 ms
        per hand-in); otherwise it is asked to QUIT, then killed after 3 s."""
        in_cgroup = self.sandbox is not None and self.sandbox.cgroup is not None
        try:
            if self.process.poll() is None and not in_cgroup:
                self.process.stdin.write(json.dumps({"cmd": QUIT}) + "\n")
                self.process.stdin.flush()
                self.process.wait(timeout=3)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.sandbox is not None:  # kills what is in its cgroup, bwrap included
                self.sandbox.close()
                self.sandbox = None
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            self._log.close()


def runner_command(socket_path: Path) -> list[str]:
    return [sys.executable, "-m", RUNNER_MODULE, "--socket", str(socket_path)]


def start_runner(job: Job, work: Path, limits: Limits) -> tuple[RunnerClient, dict]:
    """Start the trusted runner for `job` (sandboxed when job.sandbox) with its socket in
    work/chan; returns it and the ChannelSandbox arguments of the student's sandbox,
    which joins the runner's cgroup: `limits.memory_mb` is the total of both."""
    chan = work / "chan"
    chan.mkdir(mode=0o755)
    socket_path = chan / "s"
    command = runner_command(socket_path)
    if job.sandbox:
        course_dir = REPO / "autograder" / "course"
        box = ChannelSandbox(None, work / "trusted-run", limits,
                             uid_offset=TRUSTED_UID_OFFSET, use_cgroups=job.cgroups,
                             ro_binds=((REPO / "autograder", REPO / "autograder"),),
                             rw_binds=((chan, chan),),
                             tmpfs=(course_dir,) if course_dir.is_dir() else (),
                             env=(("PYTHONPATH", str(REPO)), ("MPLBACKEND", "Agg")))
        box.prepare()
        if is_root():
            os.chown(chan, box.uid, box.uid)
        argv = box.wrap(command)
    else:
        box, argv = None, unsandboxed_wrap(command, limits)
    runner = RunnerClient(argv, work / "trusted.log", cwd=REPO, sandbox=box)
    student = {"ro_binds": ((CHANNEL_PACKAGE, f"{AGENT_INSIDE}/agchannel"),),
               "rw_binds": ((chan, chan),),
               # one total per hand-in: the kernel joins the runner's cgroup
               "shared_cgroup": box.cgroup if box is not None else None}
    return runner, student
