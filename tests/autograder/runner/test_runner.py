"""The trusted runner (`python -m autograder.runner`) as a real process, driven over its
stdin/stdout like the grading worker does, with the real agent serving a namespace
(the student's globals) over the real Unix socket."""
import json
import subprocess
import sys
import threading

import pytest

from autograder.channel import agent
from autograder.common.course import REPO


class Runner:
    def __init__(self, tmp_path):
        self.socket = str(tmp_path / "s")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.runner", "--socket", self.socket],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        assert json.loads(self.process.stdout.readline()) == {"ready": True}
        self.seq = 0

    def run(self, source, student_ns=None, points=None, timeout=20, connect=True,
            student_names=None):
        """Run `source` as a test cell; the agent serves `student_ns` meanwhile; the
        runner may take `student_names` (default: the names of `student_ns`) from it."""
        names = sorted(student_ns or {}) if student_names is None else list(student_names)
        self.seq += 1
        server = None
        if connect:
            server = threading.Thread(target=agent.serve, args=(self.socket, student_ns or {}),
                                      daemon=True)
            server.start()
        self.process.stdin.write(json.dumps({"cmd": "run", "seq": self.seq, "cell": "t",
                                             "source": source, "points": points,
                                             "timeout": timeout,
                                             "student_names": names}) + "\n")
        self.process.stdin.flush()
        if not connect:
            self.process.stdin.write(json.dumps({"cmd": "cancel", "seq": self.seq}) + "\n")
            self.process.stdin.flush()
        result = json.loads(self.process.stdout.readline())
        if server is not None:
            server.join(3)  # a student call still sleeping is abandoned (daemon thread)
        return result

    def close(self):
        self.process.stdin.close()
        self.process.wait(10)


@pytest.fixture
def runner(tmp_path):
    r = Runner(tmp_path)
    yield r
    r.close()


def _kinds(result):
    return [o["output_type"] for o in result["outputs"]]


def test_a_final_number_is_partial_credit_clamped_to_the_points(runner):
    assert runner.run("0.5", points=2)["outputs"][-1]["data"]["text/plain"] == "0.5"
    assert runner.run("1e9", points=2)["outputs"][-1]["data"]["text/plain"] == "2.0"
    assert runner.run("-3", points=2)["outputs"][-1]["data"]["text/plain"] == "0.0"
    assert runner.run("float('nan')", points=2)["outputs"][-1]["data"]["text/plain"] == "0.0"
    assert _kinds(runner.run("True", points=2)) == []          # not a number: full marks
    assert _kinds(runner.run("print(5)", points=2)) == ["stream"]  # printed: no credit


def test_a_failing_test_shows_its_line_but_never_its_source(runner):
    source = 'secret_expected = "SOURCE-LINE-MARKER"\nassert square(3) == secret_expected'
    result = runner.run(source, {"square": lambda x: x * x})
    assert not result["passed"] and _kinds(result) == ["error"]
    error = result["outputs"][0]
    assert error["ename"] == "AssertionError" and "line 2" in "\n".join(error["traceback"])
    assert "SOURCE-LINE-MARKER" not in json.dumps(result)


def test_names_resolve_to_the_current_student_globals_and_are_audited(runner):
    ns = {"square": lambda x: x * x, "n": 1}
    helper = "def check(k):\n    return square(k) + n\nseen = []"
    assert runner.run(helper, ns)["passed"]
    first = runner.run("seen.append(check(3))\nprint(seen, len(seen))", ns)
    ns["n"] = 100                                   # the student's state moves on
    second = runner.run("seen.append(check(3))\nprint(seen)", ns)
    assert first["outputs"][0]["text"] == "[10] 1\n"
    assert second["outputs"][0]["text"] == "[10, 109]\n"
    assert first["resolved"] == ["square", "n"]     # builtins and test names: never asked


def test_an_error_from_student_code_fails_the_test_with_the_student_error(runner):
    def broken(x):
        raise ZeroDivisionError("student bug")
    result = runner.run("try:\n    f(1)\nexcept ZeroDivisionError:\n    raise", {"f": broken})
    assert result["outputs"][0]["ename"] == "ZeroDivisionError"
    assert "raised by the notebook's code" in "\n".join(result["outputs"][0]["traceback"])


def test_the_runner_survives_exit_in_test_code_and_a_kernel_that_never_connects(runner):
    assert runner.run("raise SystemExit(0)")["outputs"][0]["ename"] == "SystemExit"
    missing = runner.run("assert square(2) == 4", connect=False, student_names=["square"])
    assert missing["outputs"][-1]["ename"] == "ChannelError" and not missing["passed"]
    assert "did not serve this test" in missing["outputs"][-1]["evalue"]
    assert missing["review"] and "did not serve" in missing["review"][0]
    assert runner.run("assert 1 + 1 == 2")["passed"]


def test_a_cell_the_kernel_does_not_serve_still_runs_and_defines_its_helpers(runner):
    """Issue 19: the helper cell whose kernel did not connect used to be skipped, and the
    next test took `check` from the student (a no-op there)."""
    helper = runner.run("import math\ndef check(k):\n    assert square(k) == k * k",
                        connect=False, student_names=["square"])
    assert helper["passed"] and helper["review"]  # it needed nothing of the student's
    student = {"square": lambda x: x * x + 1, "check": lambda k: None, "math": None}
    result = runner.run("check(3)", student, points=1, student_names=["square"])
    assert not result["passed"] and result["outputs"][-1]["ename"] == "AssertionError"
    assert result["resolved"] == ["square"] and result["review"] == []


def test_names_the_tests_bind_never_come_from_the_student(runner):
    student = {"_helper": lambda: True, "square": lambda x: x * x}
    result = runner.run("assert _helper()", student, student_names=["square"])
    assert not result["passed"] and result["outputs"][-1]["ename"] == "NameError"
    assert "get_student_global" in result["outputs"][-1]["evalue"]
    assert result["resolved"] == []
    explicit = runner.run("from coursepkg.grading import get_student_global\n"
                          "assert get_student_global('_helper')()", student,
                          student_names=["square"])
    assert explicit["passed"]


def test_a_channel_failure_fails_the_cell_even_when_the_test_swallows_it(runner):
    swallow = "try:\n    square(2)\nexcept Exception:\n    pass\nprint('done')"
    result = runner.run(swallow, {"square": lambda x: x * x}, connect=False,
                        student_names=["square"])
    assert not result["passed"] and result["outputs"][-1]["ename"] == "ChannelError"
    assert result["review"]


HIDDEN_CELL = """print("visible part")
assert square(2) == 4
### BEGIN HIDDEN TESTS
# hint: try negative numbers
print("HIDDEN-INPUT-41")
assert square(-41) == 1681, "HIDDEN-MESSAGE"
### END HIDDEN TESTS
print("after")"""


def test_hidden_segments_show_nothing_but_a_hint(runner):
    def square(x):
        print("student saw", x)
        if x < 0:
            raise ValueError(f"cannot take {x} (STUDENT-ECHO)")
        return x * x
    result = runner.run(HIDDEN_CELL, {"square": square}, points=1)
    shown = json.dumps(result["outputs"])
    assert not result["passed"] and result["outputs"][0]["text"] == "visible part\n"
    assert result["outputs"][-1]["ename"] == "HiddenTestFailed"
    assert "try negative numbers" in result["outputs"][-1]["evalue"]
    for secret in ("41", "HIDDEN", "STUDENT-ECHO", "after"):
        assert secret not in shown
    assert "STUDENT-ECHO" in result["hidden_failures"][0]   # the instructor's record
    passing = runner.run(HIDDEN_CELL.replace("# hint: try negative numbers\n", ""),
                         {"square": lambda x: x * x}, points=1)
    assert passing["passed"] and "HIDDEN" not in json.dumps(passing["outputs"])
    assert [o.get("text") for o in passing["outputs"]] == ["visible part\nafter\n"] or \
        [o.get("text") for o in passing["outputs"]] == ["visible part\n", "after\n"]
    failing = runner.run(HIDDEN_CELL.replace("# hint: try negative numbers\n", ""),
                         {"square": square}, points=1)
    assert "visible examples" in failing["outputs"][-1]["evalue"]    # the default hint


def test_a_test_that_outlives_its_timeout_fails_and_the_next_one_runs(runner):
    import time
    result = runner.run("slow()", {"slow": lambda: time.sleep(60)}, timeout=1)
    assert not result["passed"] and result["outputs"][0]["ename"] == "CellTimeoutError"
    assert runner.run("assert 2 * 2 == 4")["passed"]
