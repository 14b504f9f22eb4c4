"""The trusted test runner: ``python -m autograder.trusted --socket PATH``.

A plain Python process (no Jupyter kernel, no student code), started per hand-in by the
grading worker in a bubblewrap sandbox of its own (another uid than the student kernel,
no /handin). It runs the instructor's test cells, one at a time, when the worker asks:

    stdin  (JSON lines)  {"cmd": "run", "seq": n, "cell": grade_id, "source": ...,
                          "points": p|null, "timeout": seconds}  |  {"cmd": "quit"}
                         {"cmd": "cancel", "seq": n}: the student kernel went idle
                          without connecting for run n (its agent was sabotaged); stop
                          waiting for it. Ignored (no reply) for any other n.
    stdout (JSON lines)  {"ready": true}   once, when the socket listens; then per run:
                         {"outputs": [nbformat outputs], "passed": bool, "resolved": [names],
                          "requests": n, "seconds_waiting": s, "seconds": s}

For each cell it accepts one connection from the student kernel's agent on the Unix
socket PATH, executes the source in a namespace whose missing names are the student's
globals (see `TestNamespace`), and sends "done" to the agent. Outputs: what the test
printed (stdout/stderr streams); when the cell's last statement is an expression giving
a number, an execute_result with that number clamped to [0, points] (partial credit);
when it raised, an error output whose traceback names the test cell's line numbers but
quotes none of its source (it is compiled under a filename that linecache does not know).
A test passed only when its code ran to the end here.
"""
from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import io
import json
import math
import os
import select
import signal
import socket
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from coursepkg import grading

from .channel.proxy import RemoteError, TrustedChannel

if TYPE_CHECKING:
    from types import FrameType

FILENAME = "<trusted test cell>"
STREAM_LIMIT = 100_000      # characters of test output kept per stream
MESSAGE_LIMIT = 2_000
CONNECT_SECONDS = 30


class CellTimeoutError(TimeoutError):
    pass


class TestNamespace(dict):
    """Globals of the test cells. A name the tests did not define (and no builtin) is
    looked up among the student's globals through the channel, every time (lock-step:
    the student's value may change between cells). Python 3.11 calls ``__missing__`` of a
    dict subclass for LOAD_NAME at cell level and LOAD_GLOBAL in functions defined there."""

    def __init__(self, channel: TrustedChannel):
        super().__init__()
        self._channel = channel

    def __missing__(self, name: str) -> Any:
        if hasattr(builtins, name):
            return getattr(builtins, name)
        return self._channel.request("global", name)


def _stream(name: str, text: str) -> dict:
    if len(text) > STREAM_LIMIT:
        text = text[:STREAM_LIMIT] + f"\n[autograder] test output cut at {STREAM_LIMIT} characters\n"
    return {"output_type": "stream", "name": name, "text": text}


def _error_output(error: BaseException) -> dict:
    ename = getattr(error, "remote_type", None) if isinstance(error, RemoteError) else None
    ename = ename or ("CellTimeoutError" if isinstance(error, TimeoutError)  # as nbgrader's
                      else type(error).__name__)
    try:
        evalue = str(error)[:MESSAGE_LIMIT]
    except Exception:
        evalue = "(message could not be shown)"
    lines = [f"{ename}: {evalue}" if evalue else ename]
    cell_lines = [f.lineno for f in traceback.extract_tb(error.__traceback__)
                  if f.filename == FILENAME]
    if cell_lines:
        lines.append(f"  (in the test cell, line {cell_lines[-1]}; "
                     "the tests ran in the trusted grading process)")
    if isinstance(error, RemoteError):
        lines.append("  (raised by the notebook's code, called from the test)")
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": lines}


def _score(value: Any, points: float | None) -> float | None:
    """A number for partial credit, clamped to [0, points]; None when `value` is none."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                    np.floating)):
        return None
    value = float(value)
    if not math.isfinite(value):
        return 0.0
    return min(max(value, 0.0), float(points)) if points is not None else max(value, 0.0)


def execute(source: str, namespace: dict) -> Any:
    """Run `source` like a notebook cell; the value of a final expression statement."""
    tree = ast.parse(source, filename=FILENAME)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, FILENAME, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), FILENAME, "eval"), namespace)


def _on_alarm(signum: int, frame: FrameType | None) -> NoReturn:
    raise CellTimeoutError("the test cell did not finish within its timeout")


class Commands:
    """JSON lines from fd 0, readable with a timeout (select on the raw fd)."""

    def __init__(self, fd: int = 0):
        self.fd, self.buffer = fd, b""

    def next(self, timeout: float | None = None,
             also: socket.socket | None = None) -> dict | str | None:
        """The next command; "accept" when `also` (a listener) became ready first; None
        at the timeout; {"cmd": "quit"} at end of input."""
        give_up = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = None if give_up is None else max(0.0, give_up - time.monotonic())
            ready, _, _ = select.select([self.fd] + ([also] if also else []), [], [], left)
            if also is not None and also in ready:
                return "accept"
            if not ready:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return {"cmd": "quit"}
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


def _connect(listener: socket.socket, commands: Commands, seq: int,
             timeout: float) -> socket.socket | None:
    """The agent's connection for run `seq`, or None (cancelled, timed out, quit)."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        got = commands.next(give_up - time.monotonic(), also=listener)
        if got == "accept":
            return listener.accept()[0]
        if got is None:
            return None
        if got.get("cmd") == "cancel" and got.get("seq") == seq:
            return None
        if got.get("cmd") == "quit":
            raise SystemExit(0)
    return None


def run_cell(command: dict, namespace: TestNamespace, channel: TrustedChannel,
             listener: socket.socket, commands: Commands) -> dict:
    started = time.monotonic()
    timeout = float(command.get("timeout") or 60)
    before = (channel.n_requests, channel.seconds_waiting)
    channel.resolved = []
    out, err = io.StringIO(), io.StringIO()
    outputs, passed = [], False
    sock = _connect(listener, commands, command.get("seq"), min(timeout, CONNECT_SECONDS))
    if sock is None:
        return {"outputs": [{"output_type": "error", "ename": "KernelNotConnected",
                             "evalue": "the notebook's kernel did not connect to the tests",
                             "traceback": ["KernelNotConnected: the notebook's kernel did not "
                                           "connect to the tests; this test did not run"]}],
                "passed": False, "resolved": [], "requests": 0, "seconds_waiting": 0.0,
                "seconds": time.monotonic() - started}
    channel.attach(sock, started + timeout)
    value = None
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            value = execute(command["source"], namespace)
        passed = True
    except BaseException as error:  # SystemExit / KeyboardInterrupt in test code included
        signal.setitimer(signal.ITIMER_REAL, 0)
        failure = _error_output(error)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        channel.detach()
    for name, buffer in (("stdout", out), ("stderr", err)):
        if buffer.getvalue():
            outputs.append(_stream(name, buffer.getvalue()))
    if passed:
        score = _score(value, command.get("points"))
        if score is not None:
            outputs.append({"output_type": "execute_result", "execution_count": None,
                            "metadata": {}, "data": {"text/plain": repr(score)}})
    else:
        outputs.append(failure)
    return {"outputs": outputs, "passed": passed, "resolved": channel.resolved,
            "requests": channel.n_requests - before[0],
            "seconds_waiting": channel.seconds_waiting - before[1],
            "seconds": time.monotonic() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.trusted")
    parser.add_argument("--socket", required=True, help="Unix socket path to listen on")
    args = parser.parse_args(argv)
    replies = os.fdopen(os.dup(1), "w", buffering=1)  # the protocol keeps the real stdout
    os.dup2(2, 1)                                      # stray prints go to the log
    signal.signal(signal.SIGALRM, _on_alarm)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(args.socket)
    os.chmod(args.socket, 0o666)  # the student kernel runs as another uid
    listener.listen(1)
    channel = TrustedChannel()
    grading._install_backend(grading._TrustedBackend(channel))
    namespace = TestNamespace(channel)
    replies.write(json.dumps({"ready": True}) + "\n")
    commands = Commands()
    while True:
        command = commands.next()
        if command.get("cmd") == "cancel":  # late: that run is over already
            continue
        if command.get("cmd") != "run":
            return 0
        result = run_cell(command, namespace, channel, listener, commands)
        replies.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    sys.exit(main())
