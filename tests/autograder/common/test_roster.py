"""LMS downloads in: Canvas and Moodle zips (their documented file names), nbgrader's
zip_collect folder and named_regexp, the roster, late flags as nbgrader timestamps, and
every file that could not be placed reported."""
import zipfile
from datetime import datetime, timedelta

import nbformat
import pytest

from agtools import handin, run_cli, snapshot
from autograder.commands.collect import collect, format_report
from autograder.common.errors import UsageError
from autograder.common.roster import Roster, parse
from autograder.demo import tiny_class as tiny

DUE = datetime(2026, 1, 15, 23, 59)


def _zip(path, files: dict):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def _nb(course, answers=tiny.CORRECT):
    return nbformat.writes(handin(course, answers))


def _canvas_files(course):
    return {
        "smithalice_12345_67890_tiny.ipynb": _nb(course),
        "jonesbob_LATE_23456_78901_tiny-1.ipynb": _nb(course, tiny.PARTIAL),
        "doecarol_34567_89012_notes.txt": "my notes",
        "doecarol_34567_89013_tiny.ipynb": _nb(course),
        "syllabus.ipynb": _nb(course),                       # nobody's: reported
    }


def _roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("lms_id,student_id,name,email\n12345,alice,Alice Smith,alice@uni.example\n"
                    "23456,bob,Bob Jones,bob@uni.example\n")
    return Roster.load(path)


def test_parse_knows_canvas_and_moodle_names():
    late = parse("jonesbob_LATE_23456_78901_tiny-1.ipynb")
    assert (late.lms, late.lms_id, late.late, late.filename) == \
        ("canvas", "23456", True, "tiny-1.ipynb")
    assert not parse("smithalice_12345_67890_my_tiny.ipynb").late
    assert parse("smithalice_12345_67890_my_tiny.ipynb").filename == "my_tiny.ipynb"
    folder = parse("Alice Smith_12345_assignsubmission_file_/sub/tiny.ipynb")
    assert (folder.lms, folder.lms_id, folder.lms_name, folder.filename) == \
        ("moodle", "12345", "Alice Smith", "sub/tiny.ipynb")
    assert parse("Alice Smith_12345_assignsubmission_file_tiny.ipynb").lms == "moodle"
    assert parse("alice/tiny.ipynb") is None and parse("tiny.ipynb") is None


def test_canvas_zip_maps_roster_ids_records_late_flag_and_reports_strays(course, tmp_path):
    with course.gradebook() as gb:
        gb.update_or_create_assignment("tiny", duedate=DUE)
    archive = _zip(tmp_path / "submissions.zip", _canvas_files(course))
    before = archive.read_bytes()
    report = collect(course, "tiny", archive, roster=_roster(tmp_path))
    assert archive.read_bytes() == before
    # roster ids, and the LMS user id for someone not in the roster
    assert sorted(report.collected) == ["34567", "alice", "bob"]
    assert any("not in the roster" in n for n in report.collected["34567"])
    assert report.unplaced == ["syllabus.ipynb: no Canvas, Moodle or named_regexp file name; "
                               "not collected"]
    assert "could not place: syllabus.ipynb" in format_report(report)
    assert any("notes.txt" in n for n in report.collected["34567"])
    # the late flag is a submission time after the due date, as nbgrader reads it
    coursedir = course.coursedir("tiny")
    bob = coursedir.get_existing_timestamp(str(course.submitted("bob", "tiny").parent))
    assert bob > DUE
    assert not (course.submitted("alice", "tiny").parent / "timestamp.txt").exists()
    assert nbformat.read(course.submitted("bob", "tiny"), as_version=4) == \
        handin(course, tiny.PARTIAL)
    with course.gradebook() as gb:
        assert gb.find_student("alice").email == "alice@uni.example"
        assert gb.find_student("bob").last_name == "Jones"


def test_moodle_zip_collects_by_user_id_with_names(course, tmp_path):
    archive = _zip(tmp_path / "moodle.zip", {
        "Alice Smith_12345_assignsubmission_file_/tiny.ipynb": _nb(course),
        "Bob Jones_23456_assignsubmission_file_/Tiny (2).ipynb": _nb(course),
        "Carol Doe_34567_assignsubmission_onlinetext_/onlinetext.html": "<p>hi</p>",
        "Dan Roe_45678_assignsubmission_file_tiny.ipynb": _nb(course),   # flat download
    })
    report = collect(course, "tiny", archive)
    assert sorted(report.collected) == ["12345", "23456", "45678"]
    assert any("no .ipynb" in p for p in report.problems["34567"])
    assert any("expected 'tiny.ipynb'" in n for n in report.collected["23456"])
    with course.gradebook() as gb:
        alice = gb.find_student("12345")
        assert (alice.first_name, alice.last_name) == ("Alice", "Smith")


def test_zip_collect_folder_and_named_regexp_from_the_instructors_config(
        course, tmp_path, monkeypatch):
    downloaded = tmp_path / "downloaded" / "tiny"
    (downloaded / "archive").mkdir(parents=True)
    _zip(downloaded / "archive" / "canvas.zip",
         {k: v for k, v in _canvas_files(course).items() if k.startswith("smith")})
    assert sorted(collect(course, "tiny", downloaded).collected) == ["12345"]

    # a Blackboard-like name, described by FileNameCollectorPlugin.named_regexp in the
    # instructor's user-level nbgrader config; the timestamp group becomes timestamp.txt
    config_dir = tmp_path / "jupyter"
    config_dir.mkdir()
    (config_dir / "nbgrader_config.py").write_text(
        "c = get_config()\nc.FileNameCollectorPlugin.named_regexp = "
        "r'(?P<student_id>[a-z]+)_attempt_(?P<timestamp>[0-9-]+)_(?P<file_id>.*)'\n")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(config_dir))
    extracted = tmp_path / "downloaded2" / "tiny" / "extracted"
    extracted.mkdir(parents=True)
    (extracted / "erin_attempt_2026-01-16-10-30-00_tiny.ipynb").write_text(_nb(course))
    report = collect(course, "tiny", extracted.parent)
    assert sorted(report.collected) == ["erin"]
    stamp = course.coursedir("tiny").get_existing_timestamp(
        str(course.submitted("erin", "tiny").parent))
    assert stamp.date() == DUE.date() + timedelta(days=1)


def test_cli_collect_fails_when_nothing_could_be_placed(course, tmp_path):
    archive = _zip(tmp_path / "moodle.zip", {
        "Carol Doe_34567_assignsubmission_onlinetext_/onlinetext.html": "<p>hi</p>",
        "readme.txt": "x"})
    before = snapshot(course.root)
    result = run_cli(course, "collect", "tiny", str(archive))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "collected 0 hand-in(s)" in result.stdout
    assert "could not place: readme.txt" in result.stdout
    assert not (course.root / "submitted").exists() or \
        not any((course.root / "submitted").iterdir())
    assert set(before) <= set(snapshot(course.root))


def test_roster_with_missing_columns_or_duplicates_is_refused(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("id,student\n1,a\n")
    with pytest.raises(UsageError, match="lacks the column.*lms_id"):
        Roster.load(bad)
    bad.write_text("lms_id,student_id\n1,a\n1,b\n")
    with pytest.raises(UsageError, match="line 3.*already on line 2"):
        Roster.load(bad)


def test_a_later_on_time_hand_in_does_not_keep_the_earlier_late_time(course, tmp_path):
    with course.gradebook() as gb:
        gb.update_or_create_assignment("tiny", duedate=DUE)
    late = _zip(tmp_path / "late.zip", {"jonesbob_LATE_23456_1_tiny.ipynb": _nb(course)})
    collect(course, "tiny", late)
    stamp = course.submitted("23456", "tiny").parent / "timestamp.txt"
    assert stamp.is_file()
    again = _zip(tmp_path / "again.zip", {"jonesbob_23456_2_tiny.ipynb":
                                          _nb(course, tiny.PARTIAL)})
    report = collect(course, "tiny", again)
    assert any("replaces an earlier hand-in" in n for n in report.collected["23456"])
    assert not stamp.exists()
