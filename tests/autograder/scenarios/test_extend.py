"""Per-student due dates: `extend` stores them where nbgrader does (the gradebook's
SubmittedAssignment.extension, or a pending file `grade` applies), the late penalty of a
real `grade` uses the student's own due date and only that student's, `status` shows it;
on SQLite and on PostgreSQL. Bad input is refused with a message naming what is accepted."""
import contextlib
import io
import os
import shutil
import zipfile
from datetime import UTC, datetime, timedelta
from unittest import mock

import nbformat
import pytest

from agtools import cli_env, handin, run_cli
from autograder import commands as cli
from autograder.common.course import Course
from autograder.demo import tiny_class as tiny
from autograder.grading import extensions
from servers import postgres, postgres_bin

DUE = datetime(2026, 1, 15, 23, 59)


@pytest.fixture
def late_zero(tmp_path, monkeypatch):
    """The instructor's nbgrader config: a late hand-in scores zero (nbgrader's
    LateSubmissionPlugin 'zero'); also seen by the CLI subprocesses."""
    folder = tmp_path / "jupyter"
    folder.mkdir()
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(folder))
    return folder


def _canvas_download(course, path):
    """alice and bob correct but flagged LATE by Canvas, carol partial and on time."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, answers in (("smithalice_LATE_12345_67890_tiny.ipynb", tiny.CORRECT),
                              ("jonesbob_LATE_23456_78901_tiny.ipynb", tiny.CORRECT),
                              ("doecarol_34567_89012_tiny.ipynb", tiny.PARTIAL)):
            zf.writestr(name, nbformat.writes(handin(course, answers)))
    return path


def _roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("lms_id,student_id,name\n12345,alice,Alice Smith\n23456,bob,Bob Jones\n"
                    "34567,carol,Carol Doe\n")
    return path


def _ok(course, *args):
    """`python -m autograder *args`; extend and status (quick, no worker processes) run
    the same entry point in this process, which saves an interpreter start each."""
    if args[0] in ("extend", "status"):
        out = io.StringIO()
        with mock.patch.dict(os.environ, cli_env(course)), contextlib.redirect_stdout(out):
            code = cli.main(list(args))
        assert code == 0, f"{args}\n{out.getvalue()}"
        return out.getvalue()
    result = run_cli(course, *args)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _grades(course) -> dict:
    """student -> (raw score, late penalty) from the gradebook."""
    with course.gradebook() as gb:
        return {s.student.id: (s.score, s.late_submission_penalty)
                for s in gb.find_assignment("tiny").submissions}


def _extension_story(course, tmp_path, full=True):
    """bob's extension is given before his hand-in is collected (pending, applied by
    grade); alice's after grading (gradebook, penalty recomputed at once). `full` adds
    a LATE flag taken as within an extension at a second collect, and a regrade."""
    with course.gradebook() as gb:
        gb.update_or_create_assignment("tiny", duedate=DUE)
    roster = _roster(tmp_path)
    later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d %H:%M")
    out = _ok(course, "extend", "tiny", "bob", "--due", "2026-01-20 12:00 +01:00",
              "--roster", str(roster))
    assert "bob due 2026-01-20 11:00:00 UTC (+4d11h01m, pending)" in out
    out = _ok(course, "collect", "tiny", str(_canvas_download(course, tmp_path / "c.zip")),
              "--roster", str(roster))
    assert "has an extension to 2026-01-20 11:00:00 UTC" in out   # bob's LATE flag
    _ok(course, "grade", "tiny", "--workers", "2", "--cell-timeout", "30")
    graded = _grades(course)
    assert graded == {"alice": (3.0, 3.0), "bob": (3.0, 0.0), "carol": (1.0, 0.0)}
    assert not extensions.pending_path(course, "tiny").read_text().strip("{}\n ")
    status = _ok(course, "status", "tiny")
    assert "late: -3" in _line(status, "alice")
    assert "own due date 2026-01-20 11:00:00 UTC" in _line(status, "bob")

    # alice's LATE flag carried no time: collect recorded its own moment (now), which is
    # after this extension; extend says so and how to take it as within the extension
    out = _ok(course, "extend", "tiny", "alice", "--due", "2026-01-18 00:00")
    assert "flagged late by canvas without a time" in out and "now 3" in out
    if not full:
        out = _ok(course, "extend", "tiny", "alice", "--due", later)
        assert "late penalty recomputed, now 0" in out
        assert _grades(course) == {**graded, "alice": (3.0, 0.0)}
        return
    out = _ok(course, "collect", "tiny", str(tmp_path / "c.zip"), "--roster", str(roster))
    assert "has an extension to 2026-01-18 00:00:00 UTC" in out
    # a regrade applies it and keeps bob's (update_or_create_submission keeps extensions)
    _ok(course, "grade", "tiny", "--force", "--workers", "2", "--cell-timeout", "30")
    assert _grades(course) == {**graded, "alice": (3.0, 0.0)}
    # given or removed after grading, the penalty is recomputed at once, for alice only
    out = _ok(course, "extend", "tiny", "alice", "--clear")
    assert "alice has no extension" in out and "now 3" in out
    assert _grades(course) == graded
    out = _ok(course, "extend", "tiny", "alice", "--due", later)
    assert "late penalty recomputed, now 0" in out
    assert _grades(course) == {**graded, "alice": (3.0, 0.0)}
    listing = _ok(course, "extend", "tiny", "--list")
    assert "tiny: 2 extension(s)" in listing and "in the gradebook" in _line(listing, "alice")
    assert "own due date" in _line(_ok(course, "status", "tiny"), "alice")


def _line(text, student):
    return next(line for line in text.splitlines() if line.strip().startswith(student))


@pytest.mark.slow
def test_an_extension_removes_the_late_penalty_of_that_student_only(course, tmp_path,
                                                                    late_zero):
    _extension_story(course, tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(postgres_bin() is None or shutil.which("setpriv") is None,
                    reason="PostgreSQL binaries or setpriv absent")
def test_extensions_on_postgresql(course, tmp_path, late_zero, monkeypatch):
    with postgres() as db_url:
        monkeypatch.setenv("AUTOGRADER_DB_URL", db_url)
        pg = Course(course.root, course.source, course.release, db=db_url)
        _extension_story(pg, tmp_path, full=False)
        with pg.gradebook() as gb:
            assert gb.find_submission("tiny", "bob").extension == timedelta(
                days=4, hours=11, minutes=1)


def _cli(monkeypatch, capsys, course, *argv):
    monkeypatch.setenv("AUTOGRADER_COURSE_DIR", str(course.root))
    monkeypatch.setenv("AUTOGRADER_SOURCE_DIR", str(course.source))
    monkeypatch.setenv("AUTOGRADER_RELEASE_DIR", str(course.release))
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def test_bad_input_is_refused_naming_what_is_accepted(course, monkeypatch, capsys):
    from agtools import submit
    submit(course, "alice", handin(course, tiny.CORRECT))
    code, out = _cli(monkeypatch, capsys, course, "extend", "tiny", "alice", "--due",
                     "2026-02-01 10:00")
    assert code == 2 and "has no due date in the gradebook" in out
    with course.gradebook() as gb:
        gb.update_or_create_assignment("tiny", duedate=DUE)
    for argv, expected in [
        (("nosuch", "alice", "--due", "2026-02-01 10:00"), "unknown assignment id 'nosuch'"),
        (("tiny", "zed", "--due", "2026-02-01 10:00"), "unknown student 'zed'"),
        (("tiny", "alice", "--due", "next friday"), "accepted: \"YYYY-MM-DD HH:MM[:SS] [TZ]\""),
        (("tiny", "alice", "--due", "2026-02-30 10:00"), "day is out of range"),
        (("tiny", "alice", "--due", "2026-02-01 10:00 Mars/Olympus"), "unknown time zone"),
        (("tiny", "alice", "--due", "2026-01-15 23:58"), "before the assignment's own, "
                                                         "2026-01-15 23:59:00 UTC"),
        (("tiny", "--due", "2026-02-01 10:00"), "STUDENT is required"),
    ]:
        code, out = _cli(monkeypatch, capsys, course, "extend", *argv)
        assert code == 2 and expected in out, (argv, out)
    code, out = _cli(monkeypatch, capsys, course, "extend", "tiny", "zed", "--due",
                     "2026-02-01 10:00")
    assert "known: alice" in out
    assert not extensions.pending_path(course, "tiny").exists()
    # the assignment's own due date is no extension; a time zone is converted to UTC
    code, out = _cli(monkeypatch, capsys, course, "extend", "tiny", "alice", "--due",
                     "2026-01-16 00:59 Europe/Amsterdam")
    assert code == 0 and "alice has no extension" in out
    code, out = _cli(monkeypatch, capsys, course, "extend", "tiny", "alice", "--due",
                     "2026-01-17T01:59:30 +02:00")
    assert code == 0 and "due 2026-01-16 23:59:30 UTC (+1d00h00m, pending)" in out
    assert extensions.due_dates(course, "tiny") == {"alice": datetime(2026, 1, 16, 23, 59, 30)}
    code, out = _cli(monkeypatch, capsys, course, "status", "tiny")
    assert "own due date 2026-01-16 23:59:30 UTC" in out
