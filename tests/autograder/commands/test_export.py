"""export out: nbgrader's CSV, Canvas's gradebook import and Moodle's grade import, from
a really graded class (collected from a Canvas zip with a roster), checked against sample
files written the way each LMS documents and exports them."""
import csv
import io
import shutil
import zipfile

import nbformat
import pytest

from agtools import handin, run_cli
from autograder.commands.collect import collect
from autograder.commands.export import export
from autograder.common.course import Course
from autograder.common.errors import UsageError
from autograder.common.roster import Roster
from autograder.demo import tiny_class as tiny
from autograder.grading.grader import GradeOptions, grade

# What Canvas exports from Grades > Export (and accepts back in Grades > Import): five
# student columns, one column per assignment "Name (canvas id)", a Points Possible row.
CANVAS_SAMPLE = """Student,ID,SIS User ID,SIS Login ID,Section,Assignment 1 (6789)
    Points Possible,,,,,10
"Smith, Alice",12345,alice,alice@uni.example,Section A,8
"""
# Moodle's "Import grades > CSV file": one identifier column that the import form maps
# to a user field (ID number, email address, username) and one column per grade item.
MOODLE_SAMPLE = """ID number,Email address,Assignment 1
alice,alice@uni.example,8
"""


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture(scope="module")
def graded(template_course, tmp_path_factory):
    """One class graded once for the module (the tests only read it)."""
    tmp_path = tmp_path_factory.mktemp("export")
    shutil.copytree(template_course.root.parent, tmp_path / "c")
    base = tmp_path / "c"
    course = Course(root=base / "course", source=base / "source", release=base / "release")
    roster = tmp_path / "roster.csv"
    roster.write_text("lms_id,student_id,name,email\n12345,alice,Alice Smith,"
                      "alice@uni.example\n23456,bob,Bob Jones,bob@uni.example\n")
    archive = tmp_path / "canvas.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("smithalice_12345_1_tiny.ipynb",
                    nbformat.writes(handin(course, tiny.CORRECT)))
        zf.writestr("jonesbob_23456_2_tiny.ipynb", nbformat.writes(handin(course, tiny.PARTIAL)))
    collect(course, "tiny", archive, roster=Roster.load(roster))
    with course.gradebook() as gb:
        gb.add_student("carol")                       # enrolled, handed nothing in
    summary = grade(course, "tiny", options=GradeOptions(workers=2, cell_timeout=20,
                                                         notebook_timeout=90, quiet=True))
    assert summary.failed == {}
    return course, roster


def test_canvas_export_has_canvas_columns_points_row_and_scores(graded, tmp_path):
    course, roster = graded
    out = tmp_path / "canvas.csv"
    assert export(course, out, format="canvas", roster=Roster.load(roster)) == 3
    rows, sample = _rows(out.read_text()), _rows(CANVAS_SAMPLE)
    assert rows[0][:5] == sample[0][:5] and rows[0][5:] == ["tiny"]
    assert rows[1][0].strip() == sample[1][0].strip() == "Points Possible"
    assert rows[1][5] == f"{tiny.MAX_SCORE:g}"
    with course.gradebook() as gb:
        expected = {s: f"{gb.find_submission('tiny', s).score:g}" for s in ("alice", "bob")}
        assert all(gb.find_submission("tiny", s).late_submission_penalty == 0
                   for s in ("alice", "bob"))
    by_sis = {r[2]: r for r in rows[2:]}
    assert by_sis["alice"][:4] == ["Alice Smith", "12345", "alice", "alice@uni.example"]
    assert by_sis["alice"][5] == expected["alice"] and by_sis["bob"][5] == expected["bob"]
    assert expected["alice"] != expected["bob"]
    assert by_sis["carol"][1] == "" and by_sis["carol"][5] == ""   # no hand-in: empty cell


def test_moodle_export_has_an_identifier_column_and_one_column_per_assignment(graded, tmp_path):
    course, roster = graded
    out = tmp_path / "moodle.csv"
    result = run_cli(course, "export", "--format", "moodle", "--output", str(out),
                     "--roster", str(roster))
    assert result.returncode == 0, result.stderr
    rows, sample = _rows(out.read_text()), _rows(MOODLE_SAMPLE)
    assert rows[0][:2] == sample[0][:2] and rows[0][2:] == ["tiny"]
    with course.gradebook() as gb:
        alice = gb.find_submission("tiny", "alice").score
    assert ["alice", "alice@uni.example", f"{alice:g}"] in rows
    assert all(len(r) == len(rows[0]) for r in rows)


def test_nbgrader_export_keeps_nbgrader_columns(graded, tmp_path):
    course, _ = graded
    out = tmp_path / "grades.csv"
    assert export(course, out) == 3                 # alice, bob, carol x tiny
    assert _rows(out.read_text())[0][:4] == ["assignment", "duedate", "timestamp", "student_id"]


def test_export_without_a_gradebook_says_so(tmp_path):
    course = Course(root=tmp_path / "none", source=tmp_path, release=tmp_path)
    with pytest.raises(UsageError, match="no gradebook"):
        export(course, tmp_path / "x.csv")
    with pytest.raises(UsageError, match="unknown export format 'xls'"):
        export(course, tmp_path / "x.csv", format="xls")
