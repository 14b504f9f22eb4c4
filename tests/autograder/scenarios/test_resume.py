"""kill -9 in the middle of `grade`, then `grade` again: every hand-in ends up graded
exactly once, with the score a clean run gives, and nothing is graded twice."""
import os
import signal
import subprocess
import time

import pytest

from agtools import grade_until_recorded, handin, submit
from autograder.common import records
from autograder.demo import tiny_class as tiny
from autograder.grading.grader import GradeOptions, grade

pytestmark = pytest.mark.slow
SLOW_CUBE = "import time\ntime.sleep(2)\n" + tiny.CORRECT["cube"]


def _forkservers() -> set[int]:
    """Pids of multiprocessing forkservers (a local pool's, with its workers) on the machine."""
    found = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                    if b"multiprocessing.forkserver" in f.read():
                        found.add(int(entry.name))
            except OSError:
                pass
    return found


def test_kill_9_mid_run_then_resume(course):
    expected = {}
    for i in range(6):
        correct = i % 2 == 0
        answers = {**(tiny.CORRECT if correct else tiny.PARTIAL), "cube": SLOW_CUBE}
        submit(course, f"s{i}", handin(course, answers))
        expected[f"s{i}"] = 3.0 if correct else 1.0

    forkservers_before = _forkservers()
    proc = grade_until_recorded(course, "--workers", "1", stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    status = course.status_dir("tiny")
    assert proc.poll() is None, "grade finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = sorted(p.stem for p in status.glob("*.json"))
    assert 2 <= len(done_before) < 6

    summary = grade(course, "tiny", options=GradeOptions(workers=2, quiet=True))
    assert sorted(summary.skipped) == done_before
    assert sorted(summary.graded) == sorted(set(expected) - set(done_before))
    for student, score in expected.items():
        assert records.load(course, "tiny", student)["score"] == score
    with course.gradebook() as gb:
        assignment = gb.find_assignment("tiny")
        assert sorted(s.student.id for s in assignment.submissions) == sorted(expected)
        for student, score in expected.items():
            submission = gb.find_submission("tiny", student)
            assert submission.score == score
            grade_ids = [g.name for nb in submission.notebooks for g in nb.grades]
            assert sorted(grade_ids) == ["explain", "test_cube", "test_square"]

    # the killed run left no kernel behind (workers die with their parent, kernels with
    # their worker: allow the chain a few seconds)
    if os.geteuid() == 0:
        from autograder.sandbox.processes import sandbox_processes
        for _ in range(30):
            if not sandbox_processes():
                break
            time.sleep(1)
        assert sandbox_processes() == [], "a sandboxed kernel outlived the killed run"

    # nor its pool: the workers watch the grading process and exit with it, and their
    # forkserver with them
    for _ in range(30):
        if not _forkservers() - forkservers_before:
            break
        time.sleep(0.5)
    assert _forkservers() - forkservers_before == set(), "the killed run's pool outlived it"
