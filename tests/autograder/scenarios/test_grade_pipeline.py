"""The pipeline on a small class with real nbgrader, real kernels and the real sandbox:
collect -> grade (2 workers) -> status -> feedback -> export, validate, idempotence."""
import csv

import nbformat
import pytest

from agtools import handin, run_cli
from autograder.commands.collect import collect
from autograder.commands.export import export
from autograder.commands.feedback import feedback
from autograder.commands.status import status_table
from autograder.common import records
from autograder.demo import tiny_class as tiny
from autograder.grading.grader import GradeOptions, grade

pytestmark = pytest.mark.slow
FAST = GradeOptions(workers=2, cell_timeout=20, notebook_timeout=90, quiet=True)
NBGRADER_CSV_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name",
                        "first_name", "email", "raw_score", "late_submission_penalty",
                        "score", "max_score"]


def test_small_class_end_to_end(course, tmp_path):
    folder = tmp_path / "handins"
    folder.mkdir()
    nbformat.write(handin(course, tiny.CORRECT), folder / "alice.ipynb")
    nbformat.write(handin(course, tiny.PARTIAL), folder / "bob.ipynb")
    nbformat.write(handin(course, {}), folder / "carol.ipynb")
    collect(course, "tiny", folder)

    summary = grade(course, "tiny", options=FAST)
    scores = {s: r["score"] for s, r in summary.graded.items()}
    # square 2 pts (visible + hidden test), cube 1 pt; the essay waits for formgrader
    assert scores == {"alice": 3.0, "bob": 1.0, "carol": 0.0}
    assert summary.failed == {}
    assert all(r["max_score"] == tiny.MAX_SCORE for r in summary.graded.values())
    assert records.load(course, "tiny", "alice")["needs_manual_grade"] is True
    with course.gradebook() as gb:
        assert gb.find_submission("tiny", "bob").score == 1.0

    # a second run skips everything; a changed hand-in is graded again
    again = grade(course, "tiny", options=FAST)
    assert again.skipped == ["alice", "bob", "carol"] and not again.graded
    nbformat.write(handin(course, tiny.CORRECT), course.submitted("carol", "tiny"))
    again = grade(course, "tiny", options=FAST)
    assert list(again.graded) == ["carol"] and again.graded["carol"]["score"] == 3.0

    table = status_table(course, "tiny")
    assert "3 collected, 3 graded, 0 failed" in table and "needs manual grading" in table
    # a grader scores the essay (what formgrader does); status and export follow
    with course.gradebook() as gb:
        essay = gb.find_grade("explain", "tiny", "tiny", "alice")
        essay.manual_score = 1.0
        essay.needs_manual_grade = False
        gb.db.commit()
    alice = next(ln for ln in status_table(course, "tiny").splitlines() if "alice" in ln)
    assert "4 / 4" in alice and "needs manual grading" not in alice

    # feedback: scores and visible messages, never the hidden test's source
    autograded = course.autograded("bob", "tiny").read_text()
    assert tiny.HIDDEN_MARKER in autograded      # nbgrader restored the hidden test ...
    paths = feedback(course, "tiny")
    assert len(paths) == 3
    for path in paths:
        html = path.read_text()
        assert tiny.HIDDEN_MARKER not in html    # ... and feedback leaves it out
        assert "hidden tests: not shown" in html
    bob = course.feedback("bob", "tiny").read_text()
    assert "a hidden test of this cell failed" in bob and "square(3) should be 9" in bob

    out = tmp_path / "grades.csv"
    assert export(course, out) == 3
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == NBGRADER_CSV_COLUMNS
    assert {r["student_id"]: float(r["score"]) for r in rows} == \
        {"alice": 4.0, "bob": 1.0, "carol": 3.0}


def test_validate_reports_visible_tests_without_changing_the_file(course, tmp_path):
    path = tmp_path / "tiny.ipynb"
    nbformat.write(handin(course, {"square": "def square(x):\n    return x + x",
                                   "cube": tiny.CORRECT["cube"]}), path)
    before = path.read_bytes()
    done = run_cli(course, "validate", str(path))
    assert path.read_bytes() == before
    assert done.returncode == 1
    assert "[FAIL] test_square" in done.stdout and "square(3) should be 9" in done.stdout
    assert "[PASS] test_cube" in done.stdout
    assert "1 of 2 passed, 1 / 3 points" in done.stdout
    assert tiny.HIDDEN_MARKER not in done.stdout


def test_no_sandbox_says_what_it_drops_and_still_grades(course):
    from agtools import submit
    submit(course, "alice", handin(course, tiny.CORRECT))
    done = run_cli(course, "grade", "tiny", "--no-sandbox", "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert "WITHOUT bubblewrap" in done.stderr and "no network isolation" in done.stderr
    assert records.load(course, "tiny", "alice")["score"] == 3.0
    assert records.load(course, "tiny", "alice")["sandbox"] is False


def test_grade_refuses_to_run_unsandboxed_without_the_flag(course, monkeypatch):
    from autograder.common.errors import UsageError
    from autograder.sandbox import bubblewrap as sandbox
    monkeypatch.setattr(sandbox, "BWRAP", "/nonexistent/bwrap")
    with pytest.raises(UsageError, match="--no-sandbox"):
        grade(course, "tiny", options=FAST)
