"""`release`: solutions/<id>/ -> exercises/<id>/ with nbgrader's GenerateAssignment.

nbgrader does the work (clears solutions, strips hidden tests, locks cells, records
checksums and the cells in the gradebook). We run it into a private build folder and then
copy only the files whose bytes changed into exercises/<id>/, so releasing twice leaves
the working tree untouched and a reader of exercises/ never sees a half-written folder.

The generation itself is autograder/common/generate.py (collect and grade register the
assignment in the gradebook with it).
"""
import filecmp
import tempfile
from pathlib import Path

from autograder.common.course import Course, atomic_write
from autograder.common.errors import UsageError
from autograder.common.generate import generate


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
            built = generate(course, assignment_id, Path(build))
            report[assignment_id] = _sync(built, course.release_folder(assignment_id))
    return report


def add_arguments(parser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help="assignment ids (default: all)")


def run(args, course: Course) -> int:
    for assignment_id, changes in release(course, args.ids).items():
        print(f"{assignment_id}: " + ("unchanged" if not changes else f"{len(changes)} change(s)"))
        for line in changes:
            print("  " + line)
    return 0
