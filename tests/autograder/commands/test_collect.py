"""collect: every layout of SOURCE, per-student problems that do not stop the run,
originals never modified, students registered in the gradebook."""
import zipfile

import nbformat
import pytest

from agtools import handin, snapshot
from autograder.commands.collect import collect, format_report
from autograder.common.errors import UsageError


def _lms_folder(course, root):
    good = handin(course, {"square": "def square(x):\n    return x * x"})
    (root / "alice").mkdir(parents=True)
    nbformat.write(good, root / "alice" / "tiny.ipynb")
    (root / "alice" / "notes.txt").write_text("my notes")
    nbformat.write(good, root / "bob.ipynb")                        # <student>.ipynb
    (root / "carol").mkdir()
    nbformat.write(good, root / "carol" / "Tiny (1).ipynb")        # wrong name, only one
    (root / "dan").mkdir()
    nbformat.write(good, root / "dan" / "a.ipynb")                  # two, none named tiny
    nbformat.write(good, root / "dan" / "b.ipynb")
    (root / "erin").mkdir()                                         # nothing handed in
    (root / "frank.ipynb").write_text('{"cells": [')                # malformed JSON
    (root / "bad name!").mkdir()
    nbformat.write(good, root / "bad name!" / "tiny.ipynb")
    (root / "README.pdf").write_bytes(b"%PDF-1.4")                  # not a hand-in


def _check(course, report):
    assert sorted(report.collected) == ["alice", "bob", "carol", "frank"]
    assert sorted(report.problems) == ["bad name!", "dan", "erin", "frank"]
    assert any("no .ipynb" in p for p in report.problems["erin"])
    assert any("several notebooks" in p for p in report.problems["dan"])
    assert any("malformed JSON" in p for p in report.problems["frank"])
    assert any("expected 'tiny.ipynb'" in n for n in report.collected["carol"])
    assert any("notes.txt" in n for n in report.collected["alice"])
    assert report.ignored == ["README.pdf (not a notebook, not a student folder)"]
    for student in ("alice", "bob", "carol", "frank"):
        assert course.submitted(student, "tiny").is_file()
    assert not course.submitted("dan", "tiny").exists()
    # the malformed hand-in is kept byte for byte, so nothing is lost
    assert course.submitted("frank", "tiny").read_text() == '{"cells": ['
    with course.gradebook() as gb:
        assert sorted(s.id for s in gb.students) == ["alice", "bob", "carol", "frank"]
    text = format_report(report)
    assert "dan: NOT collected" in text and "frank: collected" in text


def test_collect_folder_reports_per_student_and_leaves_originals(course, tmp_path):
    source = tmp_path / "download"
    _lms_folder(course, source)
    before = snapshot(source)
    report = collect(course, "tiny", source)
    assert snapshot(source) == before
    _check(course, report)


def test_collect_lms_zip(course, tmp_path):
    source = tmp_path / "download"
    _lms_folder(course, source)
    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(source.rglob("*")):
            zf.write(path, path.relative_to(source))
    before = archive.read_bytes()
    _check(course, collect(course, "tiny", archive))
    assert archive.read_bytes() == before


def test_collect_refuses_unusable_sources_with_a_clear_message(course, tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        collect(course, "tiny", tmp_path / "missing")
    (tmp_path / "grades.txt").write_text("x")
    with pytest.raises(UsageError, match="not a .zip"):
        collect(course, "tiny", tmp_path / "grades.txt")
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    with pytest.raises(UsageError, match="not a readable .zip"):
        collect(course, "tiny", tmp_path / "broken.zip")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../escape.ipynb", "{}")
    with pytest.raises(UsageError, match="outside"):
        collect(course, "tiny", evil)
    assert not (tmp_path / "escape.ipynb").exists()
