"""common/records.py: a hand-in counts as done only when its record says graded AND the
submitted file is still the one that was graded."""
from autograder.common import records
from autograder.common.course import Course


def _course(tmp_path) -> Course:
    return Course(root=tmp_path / "course", source=tmp_path / "source", release=tmp_path / "release")


def _submit(course: Course, student: str, text: str) -> None:
    path = course.submitted(student, "tiny")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_graded_and_unchanged_is_done(tmp_path):
    course = _course(tmp_path)
    _submit(course, "ada", "{}")
    sha = records.file_sha256(course.submitted("ada", "tiny"))
    records.save(course, "tiny", "ada", state=records.GRADED, submission_sha256=sha)
    assert records.is_done(course, "tiny", "ada")


def test_a_changed_handin_a_failed_record_or_no_record_is_not_done(tmp_path):
    course = _course(tmp_path)
    _submit(course, "ada", "{}")
    sha = records.file_sha256(course.submitted("ada", "tiny"))
    assert not records.is_done(course, "tiny", "ada")                      # no record
    records.save(course, "tiny", "ada", state=records.FAILED, submission_sha256=sha)
    assert not records.is_done(course, "tiny", "ada")                      # failed
    records.save(course, "tiny", "ada", state=records.GRADED, submission_sha256=sha)
    _submit(course, "ada", '{"cells": []}')
    assert not records.is_done(course, "tiny", "ada")                      # re-submitted


def test_a_torn_record_reads_as_missing_not_as_an_error(tmp_path):
    course = _course(tmp_path)
    path = records.record_path(course, "tiny", "ada")
    path.parent.mkdir(parents=True)
    path.write_text('{"state": "gra')
    assert records.load(course, "tiny", "ada") is None
