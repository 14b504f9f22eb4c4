"""The trusted test runner: ``python -m autograder.runner --socket PATH``.

A plain Python process (no Jupyter kernel, no student code), started per hand-in by the
grading worker in a bubblewrap sandbox of its own (another uid than the student kernel,
no /handin). It runs the instructor's test cells, one at a time, when the worker asks:

    stdin   RUN, CANCEL, QUIT requests (autograder/runner/protocol.py); a CANCEL for run
            n (the student kernel went idle without its agent connecting: sabotaged) stops
            the wait for it, and is ignored (no reply) for any other n
    stdout  {"ready": true} once, when the socket listens; then one CellResult per RUN

It fails closed. Every cell it is sent RUNS, whether or not the student kernel's agent
connects for it; without a connection every request to the student's side raises
`ChannelError` ("the notebook's kernel did not serve this test"). A missing name is taken
from the student only when it is one of `student_names` (see `TestNamespace`,
autograder/grading/names.py). A channel failure during a cell (not served, broken, a malformed
or undecodable reply) fails the cell whatever the test code did with the error, and
puts a reason in "review"; so does a test-helper cell (points null) that raised. The
worker records such a hand-in as needing review.

The cell is cut into visible and hidden segments (autograder/runner/segments.py), run in order
in one namespace. Outputs: what the visible segments printed (stdout/stderr streams);
nothing of a hidden segment: its failure becomes one generic error with a hint, and its
details go to "hidden_failures" (the instructor's record, never the notebook). When the
cell's last statement is an expression giving a number, an execute_result with that
number clamped to [0, points] (partial credit); when a visible segment raised, an error
output whose traceback names the test cell's line numbers but quotes none of its source
(it is compiled under a filename that linecache does not know). A test passed only when
its code ran to the end here.
"""
from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import io
import json
import os
import select
import signal
import socket
import time
import traceback
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from autograder.channel.protocol import Op
from autograder.channel.proxy import CHANNEL_ENAME, NOT_SERVED, RemoteError, TrustedChannel
from autograder.common.scoring import clamp_credit
from autograder.runner import segments as segments_mod
from autograder.runner.backend import TrustedBackend
from autograder.runner.protocol import CANCEL, QUIT, RUN, CellResult
from coursepkg import grading

if TYPE_CHECKING:
    from types import FrameType

FILENAME = segments_mod.FILENAME
DETAIL_LIMIT = 600          # characters of a hidden failure kept for the instructor
STREAM_LIMIT = 100_000      # characters of test output kept per stream
MESSAGE_LIMIT = 2_000
CONNECT_SECONDS = 30


class CellTimeoutError(TimeoutError):
    pass


class TestNamespace(dict):
    """Globals of the test cells. A name the tests did not define (and no builtin) is
    looked up among the student's globals through the channel, every time (lock-step:
    the student's value may change between cells), but only when it is one of
    `student_names` (autograder/grading/names.py: bound by a solution cell, by no test cell);
    any other missing name is a NameError, never a student's object. Python 3.11 calls
    ``__missing__`` of a dict subclass for LOAD_NAME at cell level and LOAD_GLOBAL in
    functions defined there."""

    def __init__(self, channel: TrustedChannel, student_names: frozenset = frozenset()):
        super().__init__()
        self._channel = channel
        self.student_names = frozenset(student_names)

    def __missing__(self, name: str) -> Any:
        if hasattr(builtins, name):
            return getattr(builtins, name)
        if name in self.student_names:
            return self._channel.request(Op.GLOBAL, name)
        raise NameError(f"name {name!r} is not defined in the tests (they take from the "
                        "notebook only the names its exercises define; use "
                        f"get_student_global({name!r}) for another of the notebook's globals)")


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
    return clamp_credit(value, points)


def execute(tree: ast.Module | str, namespace: dict, last: bool = True) -> Any:
    """Run `tree` (or source) like a notebook cell; with `last`, the value of a final
    expression statement."""
    if isinstance(tree, str):
        tree = ast.parse(tree, filename=FILENAME)
    body = list(tree.body)
    final = body.pop() if last and body and isinstance(body[-1], ast.Expr) else None
    exec(compile(ast.Module(body, type_ignores=[]), FILENAME, "exec"), namespace)
    if final is None:
        return None
    return eval(compile(ast.Expression(final.value), FILENAME, "eval"), namespace)


def _on_alarm(signum: int, frame: FrameType | None) -> NoReturn:
    raise CellTimeoutError("the test cell did not finish within its timeout")


class Commands:
    """JSON lines from fd 0, readable with a timeout (select on the raw fd)."""

    def __init__(self, fd: int = 0):
        self.fd, self.buffer = fd, b""

    def next(self, timeout: float | None = None,
             also: socket.socket | None = None) -> dict | str | None:
        """The next command; "accept" when `also` (a listener) became ready first; None
        at the timeout; a QUIT at end of input."""
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
                return {"cmd": QUIT}
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
        if got.get("cmd") == CANCEL and got.get("seq") == seq:
            return None
        if got.get("cmd") == QUIT:
            raise SystemExit(0)
    return None


def _run_segments(segments: list, namespace: dict, hidden_log: list) -> tuple[list, Any]:
    """Run the cell's segments in order; (outputs, value of the final expression) or
    raises _Stop(outputs, failure output). Hidden segments' output goes to `hidden_log`."""
    outputs: list[dict] = []
    value = None
    for index, segment in enumerate(segments):
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                value = execute(segment.tree, namespace, last=index == len(segments) - 1)
        except BaseException as error:  # SystemExit / KeyboardInterrupt in test code too
            signal.setitimer(signal.ITIMER_REAL, 0)
            if segment.hidden:
                hidden_log.append(_hidden_detail(error, out, err))
                raise _Stop(outputs, segments_mod.hidden_failure(segment.hint)) from None
            outputs += _streams(out, err)
            raise _Stop(outputs, _error_output(error)) from None
        if not segment.hidden:
            outputs += _streams(out, err)
    return outputs, value


class _Stop(Exception):
    def __init__(self, outputs: list, failure: dict):
        super().__init__()
        self.outputs, self.failure = outputs, failure


def _streams(out: io.StringIO, err: io.StringIO) -> list[dict]:
    return [_stream(name, buffer.getvalue()) for name, buffer in (("stdout", out), ("stderr", err))
            if buffer.getvalue()]


def _hidden_detail(error: BaseException, out: io.StringIO, err: io.StringIO) -> str:
    """What a hidden segment's failure was, for the instructor's record only."""
    failure = _error_output(error)
    return (" | ".join(failure["traceback"]) + (" | printed: " + out.getvalue()[-300:]
                                                 if out.getvalue() else ""))[:DETAIL_LIMIT]


def run_cell(command: dict, namespace: TestNamespace, channel: TrustedChannel,
             listener: socket.socket, commands: Commands) -> CellResult:
    """Run one test cell (always, served by the kernel or not)."""
    started = time.monotonic()
    timeout = float(command.get("timeout") or 60)
    before = (channel.n_requests, channel.seconds_waiting)
    channel.resolved = []
    review, hidden_log = [], []
    cell = command.get("cell")
    sock = _connect(listener, commands, command.get("seq"), min(timeout, CONNECT_SECONDS))
    if sock is None:  # run anyway: what needs the student fails, the rest is the tests'
        channel.attach_unserved(NOT_SERVED)
        review.append(f"{cell}: {NOT_SERVED} (its agent never connected)")
    else:
        channel.attach(sock, started + timeout)
    value, failure = None, None
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        segments = segments_mod.split(command["source"])
        outputs, value = _run_segments(segments, namespace, hidden_log)
    except _Stop as stop:
        outputs, failure = stop.outputs, stop.failure
    except BaseException as error:  # the cell does not parse (an instructor's mistake)
        outputs, failure = [], _error_output(error)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        channel_failure = channel.detach()
    if channel_failure is not None:  # fail closed, whatever the test code made of it
        shown, detail = channel_failure
        review.append(f"{cell}: {shown}" + (f" ({detail})" if detail else ""))
        if failure is None or failure.get("ename") != CHANNEL_ENAME:
            outputs.append(_channel_output(shown))
        failure = failure or {}
    elif failure is not None and command.get("points") is None:
        review.append(f"{cell}: the test-helper cell raised {failure.get('ename')}")
    if failure is None:
        score = _score(value, command.get("points"))
        if score is not None:
            outputs.append({"output_type": "execute_result", "execution_count": None,
                            "metadata": {}, "data": {"text/plain": repr(score)}})
    elif failure:
        outputs.append(failure)
    return CellResult(outputs=outputs, passed=failure is None, resolved=channel.resolved,
                      requests=channel.n_requests - before[0], review=review,
                      hidden_failures=[f"{cell}: {text}" for text in hidden_log],
                      seconds_waiting=channel.seconds_waiting - before[1],
                      seconds=time.monotonic() - started)


def _channel_output(reason: str) -> dict:
    text = f"{reason}; this test cannot be scored and the hand-in is marked for review"
    return {"output_type": "error", "ename": CHANNEL_ENAME, "evalue": text,
            "traceback": [f"{CHANNEL_ENAME}: {text}"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.runner")
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
    grading.install_backend(TrustedBackend(channel))
    namespace = None
    replies.write(json.dumps({"ready": True}) + "\n")
    commands = Commands()
    while True:
        command = commands.next()
        if command.get("cmd") == CANCEL:  # late: that run is over already
            continue
        if command.get("cmd") != RUN:
            return 0
        if namespace is None:
            namespace = TestNamespace(channel)
        namespace.student_names = frozenset(command.get("student_names", ()))
        result = run_cell(command, namespace, channel, listener, commands)
        replies.write(result.to_json() + "\n")

