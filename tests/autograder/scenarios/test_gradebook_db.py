"""The gradebook on a real PostgreSQL server (started here, on 127.0.0.1, by a throw-away
user): collect, grade, status, export and formgrader use it, no gradebook.db appears, and
two `grade` runs of different assignments at the same time lose no grade."""
import csv
import io
import shutil
import subprocess
import sys

import nbformat
import pytest

from agtools import cli_env, handin
from autograder.commands.release import release
from autograder.common.course import REPO, Course
from autograder.demo import tiny_class as tiny
from servers import formgrader, postgres, postgres_bin

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL binaries absent "
                                 "(/usr/lib/postgresql/*/bin; Debian package postgresql)"),
              pytest.mark.skipif(shutil.which("useradd") is None or shutil.which("setpriv")
                                 is None, reason="needs useradd and setpriv (root) to run "
                                 "postgres as an unprivileged user")]
EXPECTED = {"alice": 3.0, "bob": 1.0, "carol": 0.0}


def _two_assignments(base):
    """A course with `tiny` and its twin `tiny2`, released."""
    course = Course(root=base / "course", source=base / "source", release=base / "release")
    tiny.write_source(course.source)
    twin = course.source / "tiny2" / "tiny2.ipynb"
    twin.parent.mkdir(parents=True)
    shutil.copy(course.source_notebook("tiny"), twin)
    return course


def _run(course, db_url, *args):
    env = dict(cli_env(course), AUTOGRADER_DB_URL=db_url)
    return subprocess.Popen([sys.executable, "-m", "autograder", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _ok(proc):
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, f"{proc.args}\n{out}\n{err}"
    return out


def test_collect_grade_status_export_and_formgrader_on_postgres(tmp_path):
    with postgres() as db_url:
        course = _two_assignments(tmp_path)
        course = Course(course.root, course.source, course.release, db=db_url)
        release(course, ["tiny", "tiny2"])
        for aid in ("tiny", "tiny2"):
            folder = tmp_path / f"handins-{aid}"
            folder.mkdir()
            for student, answers in (("alice", tiny.CORRECT), ("bob", tiny.PARTIAL),
                                     ("carol", {})):
                nb = handin(course, answers)
                nbformat.write(nb, folder / f"{student}.ipynb")
            _ok(_run(course, db_url, "collect", aid, str(folder)))

        # two grade runs of different assignments at once, each with two workers
        runs = [_run(course, db_url, "grade", aid, "--workers", "2", "--cell-timeout", "20")
                for aid in ("tiny", "tiny2")]
        for proc in runs:
            _ok(proc)
        with course.gradebook() as gb:
            for aid in ("tiny", "tiny2"):
                assert {s: gb.find_submission(aid, s).score for s in EXPECTED} == EXPECTED
        assert not (course.root / "gradebook.db").exists()

        status = _ok(_run(course, db_url, "status", "tiny2"))
        assert "3 collected, 3 graded, 0 failed" in status and "3 / 4" in status
        out = tmp_path / "canvas.csv"
        _ok(_run(course, db_url, "export", "--format", "canvas", "--output", str(out)))
        rows = list(csv.reader(io.StringIO(out.read_text())))
        assert rows[0][5:] == ["tiny", "tiny2"]
        assert {r[2]: r[5:] for r in rows[2:]} == {
            s: [f"{v:g}"] * 2 for s, v in EXPECTED.items()}

        # formgrader, started with only AUTOGRADER_DB_URL, reads the same gradebook
        with formgrader(course) as server:
            submissions = server.api("/formgrader/api/submissions/tiny2")
            assert {s["student"]: s["score"] for s in submissions} == EXPECTED
