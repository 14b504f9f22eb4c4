"""`export [--output FILE]`: the gradebook as CSV, with nbgrader's own exporter.

nbgrader's CsvExportPlugin writes one row per (assignment, student) with the columns
assignment, duedate, timestamp, student_id, last_name, first_name, email, raw_score,
late_submission_penalty, score, max_score: the same file `nbgrader export` writes. We
render it into a temporary file and move it into place, so FILE is never half written.
"""
import tempfile
from pathlib import Path

from .course import Course, UsageError, atomic_write


def export(course: Course, output: Path) -> int:
    """Write the CSV; returns the number of data rows."""
    from nbgrader.plugins import CsvExportPlugin
    if not (course.root / "gradebook.db").is_file():
        raise UsageError(f"no gradebook at {course.root / 'gradebook.db'}: "
                         "collect and grade something first")
    with tempfile.TemporaryDirectory(prefix="autograder-export-") as tmp:
        build = Path(tmp) / "grades.csv"
        with course.gradebook() as gb:
            CsvExportPlugin(to=str(build)).export(gb)
        text = build.read_text()
    atomic_write(Path(output), text)
    return max(len(text.splitlines()) - 1, 0)
