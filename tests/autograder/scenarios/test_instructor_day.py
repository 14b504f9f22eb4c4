"""An instructor's day after the deadline, end to end on one generated class, on SQLite and
on PostgreSQL: the insight class of `tiny` (correct, an independent correct solution,
partial on the hidden and on the visible test, blank, raising at import, malformed, and
mallory's planted copy of alice's answers) downloaded from Canvas with two hand-ins
flagged LATE, under the late-penalty rule 'zero'. With the real command line:
collect -> grade -> analytics (equals the gradebook and the autograded notebooks) ->
similarity (the planted copy ranked first, no independent pair flagged) -> extend (one
student's late penalty gone, nobody else's grade changed) -> feedback -> export-feedback
(one file per graded student, named as Canvas's re-upload expects)."""
import contextlib
import csv
import io
import os
import shutil
import zipfile
from datetime import datetime
from unittest import mock

import pytest

from agtools import cli_env, run_cli
from autograder import commands
from autograder.common.course import Course
from autograder.common.roster import parse
from autograder.demo import tiny_class as tiny
from autograder.insight.similarity import similarity
from servers import postgres, postgres_bin

pytestmark = pytest.mark.slow
DUE = datetime(2026, 1, 15, 23, 59)
LATE = {"alice", "mallory"}   # correct answers, both flagged LATE by Canvas


def _ok(course, *args):
    """`python -m autograder *args` as a subprocess (extend in this process: it starts no
    worker); its stdout, after checking the exit status."""
    if args[0] == "extend":
        out = io.StringIO()
        with mock.patch.dict(os.environ, cli_env(course)), contextlib.redirect_stdout(out):
            assert commands.main(list(args)) == 0, out.getvalue()
        return out.getvalue()
    result = run_cli(course, *args)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _canvas_download(course, tmp_path) -> tuple:
    """The insight class as Canvas names its files; returns (zip, student -> lms id)."""
    folder = tmp_path / "class"
    kinds = tiny.insight_class(course, folder)
    ids, path = {}, tmp_path / "canvas.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for n, student in enumerate(sorted(kinds)):
            ids[student] = str(10001 + n)
            late = "_LATE" if student in LATE else ""
            zf.write(folder / f"{student}.ipynb",
                     f"{student}doe{late}_{ids[student]}_{20001 + n}_tiny.ipynb")
    roster = tmp_path / "roster.csv"
    roster.write_text("lms_id,student_id,name\n" + "".join(
        f"{uid},{student},{student.title()} Doe\n" for student, uid in ids.items()))
    return path, roster, ids


def _gradebook(course) -> tuple[dict, dict]:
    """(student -> (score, late penalty), (student, test) -> points) from the gradebook."""
    with course.gradebook() as gb:
        totals = {s.student.id: (s.score, s.late_submission_penalty)
                  for s in gb.find_assignment("tiny").submissions}
        points = {(s, cell): gb.find_grade(cell, "tiny", "tiny", s).score
                  for s in totals for cell in ("test_square", "test_cube")}
    return totals, points


def _day(course, tmp_path):
    with course.gradebook() as gb:
        gb.update_or_create_assignment("tiny", duedate=DUE)
    download, roster, ids = _canvas_download(course, tmp_path)
    _ok(course, "collect", "tiny", str(download), "--roster", str(roster))
    _ok(course, "grade", "tiny", "--workers", "2", "--cell-timeout", "30")
    totals, points = _gradebook(course)
    graded = set(totals)
    assert "grace" not in graded and {"alice", "bob", "mallory", "erin"} <= graded
    assert {s for s, (_, penalty) in totals.items() if penalty} == LATE

    # analytics: every (student, test) row equals the gradebook, failures are grouped
    out = _ok(course, "analytics", "tiny", "--csv", str(tmp_path / "a.csv"))
    rows = list(csv.DictReader((tmp_path / "a.csv").open()))
    assert {(r["student"], r["test"]) for r in rows} == set(points)
    for row in rows:
        assert float(row["points"]) == points[row["student"], row["test"]], row
        assert (row["passed"] == "True") == (float(row["points"]) == float(row["max_points"]))
    assert "grace" in out   # the hand-in that failed to grade is named

    # similarity: the planted copy first, and the only flagged pair
    report = similarity(course, "tiny")
    assert [(p.a, p.b) for p in report.pairs] == [tiny.COPY_PAIR]

    # extend: alice's penalty goes, mallory's stays, no other grade changes
    _ok(course, "extend", "tiny", "alice", "--due", "2099-01-01 00:00")
    after, after_points = _gradebook(course)
    assert after == {**totals, "alice": (totals["alice"][0], 0.0)}
    assert after_points == points

    # feedback, then the Canvas zip: one page per graded student, Canvas's names
    _ok(course, "feedback", "tiny")
    _ok(course, "export-feedback", "tiny", "--format", "canvas", "--output",
        str(tmp_path / "fb.zip"))
    with zipfile.ZipFile(tmp_path / "fb.zip") as zf:
        names = zf.namelist()
    parsed = {parse(name).lms_id for name in names}
    assert len(names) == len(graded) and parsed == {ids[s] for s in graded}


@pytest.fixture
def late_zero(tmp_path, monkeypatch):
    """The instructor's nbgrader config: a late hand-in scores zero."""
    folder = tmp_path / "jupyter"
    folder.mkdir()
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(folder))


def test_an_instructors_day_on_sqlite(course, tmp_path, late_zero):
    _day(course, tmp_path)


@pytest.mark.skipif(postgres_bin() is None or shutil.which("setpriv") is None,
                    reason="PostgreSQL binaries or setpriv absent")
def test_an_instructors_day_on_postgresql(course, tmp_path, late_zero, monkeypatch):
    with postgres() as db_url:
        monkeypatch.setenv("AUTOGRADER_DB_URL", db_url)
        _day(Course(course.root, course.source, course.release, db=db_url), tmp_path)
        sqlite = Course(course.root, course.source, course.release, db=course.default_db_url)
        with sqlite.gradebook() as gb:   # the course's SQLite file holds no hand-in
            assert gb.find_assignment("tiny").submissions == []
