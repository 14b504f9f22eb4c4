"""A throw-away course holding the generated `tiny` assignment (demo/tiny_class.py) and
hand-ins written from a dict of answers: what the tests (tests/support/agtools.py) and
the benchmarks build their classes with."""
from pathlib import Path

import nbformat

from autograder.commands.release import release
from autograder.common.course import Course
from autograder.demo import tiny_class as tiny


def make_course(base: Path) -> Course:
    """A course under `base` with `tiny` as its source, released."""
    base = Path(base).resolve()
    course = Course(root=base / "course", source=base / "source", release=base / "release")
    tiny.write_source(course.source)
    release(course, [tiny.ASSIGNMENT_ID])
    return course


def released(course: Course) -> nbformat.NotebookNode:
    """The student's notebook of `tiny`, as released."""
    return nbformat.read(course.release_folder("tiny") / "tiny.ipynb", as_version=4)


def handin(course: Course, answers: dict, tests: dict | None = None) -> nbformat.NotebookNode:
    """The released notebook with `answers` (grade_id -> code) and edited `tests`."""
    nb = released(course)
    for grade_id, code in {**answers, **(tests or {})}.items():
        tiny.answer(nb, grade_id, code)
    return nb


def submit(course: Course, student: str, nb_or_text) -> Path:
    """Put a hand-in straight into submitted/ (what collect would do)."""
    path = course.submitted(student, "tiny")
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb_or_text, str):
        path.write_text(nb_or_text)
    else:
        nbformat.write(nb_or_text, path)
    return path
