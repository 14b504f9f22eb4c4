"""Fixtures of the autograder tests; the helpers live in agtools.py."""
import shutil

import pytest

from agtools import make_course
from autograder.common.course import Course


@pytest.fixture(scope="session")
def template_course(tmp_path_factory):
    """The `tiny` assignment released once (a new gradebook costs seconds: nbgrader runs
    alembic); tests get a copy."""
    return make_course(tmp_path_factory.mktemp("template"))


@pytest.fixture
def course(template_course, tmp_path):
    """A throw-away course holding the generated `tiny` assignment, released."""
    base = tmp_path / "c"
    shutil.copytree(template_course.root.parent, base)
    return Course(root=base / "course", source=base / "source", release=base / "release")
