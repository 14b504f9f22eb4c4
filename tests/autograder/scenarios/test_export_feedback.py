"""`export-feedback`: the feedback pages of a real collect -> grade -> feedback run, in
the zip each LMS's bulk upload reads (Canvas "Re-upload Submissions": files named with the
user id and attachment id of the downloaded file; Moodle "Upload multiple feedback files
in a zip": one <Full Name>_<id>_assignsubmission_file_ folder per participant). The names
round-trip through autograder/common/roster.py's own parser of downloads; students without an LMS
id are named in a warning and left out."""
import zipfile

import nbformat
import pytest

from agtools import handin, run_cli
from autograder.common.errors import UsageError
from autograder.common.roster import parse
from autograder.demo import tiny_class as tiny
from autograder.insight.lms_feedback import export_feedback

pytestmark = pytest.mark.slow   # one class collected, graded and given feedback (~40 s)
CANVAS = {"smithalice_12345_67890_tiny.ipynb": ("alice", tiny.CORRECT),
          "jonesbob_LATE_23456_78901_tiny-1.ipynb": ("bob", tiny.PARTIAL)}
MOODLE = {"Carol Doe_34567_assignsubmission_file_/tiny.ipynb": ("carol", tiny.CORRECT),
          "Dave van Dijk_45678_assignsubmission_file_/work/tiny.ipynb": ("dave", {})}


def _ok(course, *args):
    result = run_cli(course, *args)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _download(course, path, files):
    with zipfile.ZipFile(path, "w") as zf:
        for name, (_, answers) in files.items():
            zf.writestr(name, nbformat.writes(handin(course, answers)))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One class collected from a Canvas download (alice, bob), a Moodle download (carol,
    dave) and a plain folder (erin), graded and given feedback with the real CLI."""
    from agtools import make_course
    base = tmp_path_factory.mktemp("exportfb")
    course = make_course(base / "c")
    roster = base / "roster.csv"
    roster.write_text("lms_id,student_id,name\n12345,alice,Alice Smith\n23456,bob,Bob Jones\n"
                      "34567,carol,Carol Doe\n45678,dave,Dave van Dijk\n"
                      "56789,erin,Erin_O'Neil\n")
    _ok(course, "collect", "tiny", str(_download(course, base / "canvas.zip", CANVAS)),
        "--roster", str(roster))
    _ok(course, "collect", "tiny", str(_download(course, base / "moodle.zip", MOODLE)),
        "--roster", str(roster))
    folder = base / "folder"
    folder.mkdir()
    nbformat.write(handin(course, tiny.CORRECT), folder / "erin.ipynb")
    _ok(course, "collect", "tiny", str(folder))
    _ok(course, "grade", "tiny", "--workers", "2", "--cell-timeout", "30")
    _ok(course, "feedback", "tiny")
    return course, roster


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_canvas_zip_names_each_page_after_the_downloaded_file(graded, tmp_path):
    course, _ = graded
    out = _ok(course, "export-feedback", "tiny", "--format", "canvas", "--output",
              str(tmp_path / "canvas.zip"))
    members = _members(tmp_path / "canvas.zip")
    assert sorted(members) == ["jonesbob_LATE_23456_78901_tiny-feedback.html",
                               "smithalice_12345_67890_tiny-feedback.html"]
    for name, data in members.items():
        info = parse(name)   # what collect would read from a download named so
        student = next(s for n, (s, _) in CANVAS.items() if parse(n).lms_id == info.lms_id)
        original = next(parse(n) for n, (s, _) in CANVAS.items() if s == student)
        assert (info.lms, info.lms_id, info.attachment, info.lms_name, info.late) == \
            ("canvas", original.lms_id, original.attachment, original.lms_name,
             original.late)
        assert data == course.feedback(student, "tiny").read_bytes()
        # Canvas reads the first two all-digit "_" parts as user id and attachment id
        assert [p for p in name.split("_") if p.isdigit()][:2] == \
            [original.lms_id, original.attachment]
    assert "wrote 2 feedback file(s) of 2 student(s)" in out
    warning = out[out.index("WARNING: 3 student(s)"):]
    for student in ("carol", "dave", "erin"):
        assert f"  {student}: no Canvas file recorded at collect" in warning


def test_moodle_zip_has_one_folder_per_participant(graded, tmp_path):
    course, roster = graded
    out = _ok(course, "export-feedback", "tiny", "--format", "moodle", "--output",
              str(tmp_path / "moodle.zip"))
    members = _members(tmp_path / "moodle.zip")
    assert sorted(members) == [
        "Carol Doe_34567_assignsubmission_file_/tiny-feedback.html",
        "Dave van Dijk_45678_assignsubmission_file_/tiny-feedback.html"]
    for name, data in members.items():
        info = parse(name)
        student = {"34567": "carol", "45678": "dave"}[info.lms_id]
        original = next(parse(n) for n, (s, _) in MOODLE.items() if s == student)
        assert (info.lms, info.lms_name) == ("moodle", original.lms_name)
        assert data == course.feedback(student, "tiny").read_bytes()
    assert "WARNING: 3 student(s)" in out and "  erin: no Moodle participant id" in out
    # nbgrader's submission_secret.txt sits next to each page: never sent
    assert (course.feedback("carol", "tiny").parent / "submission_secret.txt").is_file()

    # with the roster, erin (collected from a folder) gets her folder; "_" is no
    # separator inside a Moodle name
    out = _ok(course, "export-feedback", "tiny", "--format", "moodle", "--output",
              str(tmp_path / "moodle2.zip"), "--roster", str(roster))
    members = _members(tmp_path / "moodle2.zip")
    erin = "Erin O'Neil_56789_assignsubmission_file_/tiny-feedback.html"
    assert erin in members and parse(erin).lms_id == "56789"
    # alice and bob came from Canvas, whose user ids are no Moodle participant ids ...
    # ... but the roster maps them, as it mapped collect's ids
    assert len(members) == 5 and "WARNING" not in out


def test_nothing_to_export_is_an_error_and_writes_no_zip(graded, tmp_path, course):
    with pytest.raises(UsageError, match="no feedback pages for 'tiny'"):
        export_feedback(course, "tiny", "canvas", tmp_path / "x.zip")
    graded_course, _ = graded
    with pytest.raises(UsageError, match="must be a .zip"):
        export_feedback(graded_course, "tiny", "canvas", tmp_path / "x.tar")
    result = run_cli(graded_course, "export-feedback", "nosuch", "--format", "moodle",
                     "--output", str(tmp_path / "y.zip"))
    assert result.returncode == 2 and "unknown assignment id 'nosuch'" in result.stderr
    assert not (tmp_path / "x.zip").exists() and not (tmp_path / "y.zip").exists()
