"""nbgrader's GenerateAssignment on one assignment: what `release` publishes, and what
`collect` and `grade` run for its gradebook side effect (`register`): on a fresh clone the
committed exercises/ exist but the (gitignored) gradebook does not, and autograding needs
the assignment's cells and checksums in it."""
import logging
import tempfile
from pathlib import Path

from autograder.common.course import Course
from autograder.common.errors import UsageError


def generate(course: Course, assignment_id: str, build: Path) -> Path:
    """Run nbgrader's GenerateAssignment with `build` as release folder; returns build/<id>."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.converters.base import NbGraderException

    coursedir = course.coursedir(assignment_id, **{"CourseDirectory.release_directory": str(build)})
    converter = GenerateAssignment(coursedir=coursedir, config=coursedir.config)
    course.root.mkdir(parents=True, exist_ok=True)  # nbgrader chdirs into it
    converter.force = True
    converter.log.setLevel(logging.WARNING)
    try:
        converter.start()
    except NbGraderException as error:
        raise UsageError(f"nbgrader could not generate {assignment_id!r} from "
                         f"{course.source_notebook(assignment_id)}: {error}") from error
    return build / assignment_id


def register(course: Course, assignment_id: str) -> None:
    """Make sure the gradebook knows the assignment's notebooks, cells and checksums."""
    from nbgrader.api import MissingEntry
    course.check_assignment(assignment_id)
    with course.gradebook() as gb:
        try:
            if gb.find_assignment(assignment_id).notebooks:
                return
        except MissingEntry:
            pass
    with tempfile.TemporaryDirectory(prefix="autograder-register-") as build:
        generate(course, assignment_id, Path(build))
