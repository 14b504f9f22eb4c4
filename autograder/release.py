"""`release`: solutions/<id>/ -> exercises/<id>/ with nbgrader's GenerateAssignment.

nbgrader does the work (clears solutions, strips hidden tests, locks cells, records
checksums and the cells in the gradebook). We run it into a private build folder and then
copy only the files whose bytes changed into exercises/<id>/, so releasing twice leaves
the working tree untouched and a reader of exercises/ never sees a half-written folder.

`register` runs the same generation only for its gradebook side effect: on a fresh clone
the committed exercises/ exist but the (gitignored) gradebook does not, and autograding
needs the assignment's cells and checksums in it.
"""
import filecmp
import logging
import tempfile
from pathlib import Path

from .course import Course, UsageError, atomic_write


def _generate(course: Course, assignment_id: str, build: Path) -> Path:
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


def _sync(built: Path, target: Path) -> list[str]:
    """Make `target` hold exactly the files of `built`; returns what changed."""
    changed = []
    wanted = {p.relative_to(built) for p in built.rglob("*") if p.is_file()}
    for rel in sorted(wanted):
        dest = target / rel
        if dest.is_file() and filecmp.cmp(built / rel, dest, shallow=False):
            continue
        atomic_write(dest, (built / rel).read_bytes())
        changed.append(f"wrote {dest}")
    if target.is_dir():
        for stale in sorted(p for p in target.rglob("*") if p.is_file()):
            if stale.relative_to(target) not in wanted:
                stale.unlink()
                changed.append(f"removed {stale} (not in the source folder)")
    return changed


def release(course: Course, assignment_ids: list[str] | None = None) -> dict[str, list[str]]:
    """Generate exercises/<id>/ for each id (all known ids when none given)."""
    ids = assignment_ids or course.assignment_ids()
    if not ids:
        raise UsageError(f"no assignments to release: {course.source} holds no <id>/<id>.ipynb")
    for assignment_id in ids:
        course.check_assignment(assignment_id)
    report = {}
    for assignment_id in ids:
        with tempfile.TemporaryDirectory(prefix="autograder-release-") as build:
            built = _generate(course, assignment_id, Path(build))
            report[assignment_id] = _sync(built, course.release_folder(assignment_id))
    return report


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
        _generate(course, assignment_id, Path(build))
