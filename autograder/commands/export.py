"""`export [--output FILE] [--format nbgrader|canvas|moodle] [--roster CSV]`: the gradebook
as a CSV file that nbgrader, Canvas or Moodle reads.

- nbgrader: nbgrader's CsvExportPlugin, one row per (assignment, student): assignment,
  duedate, timestamp, student_id, last_name, first_name, email, raw_score,
  late_submission_penalty, score, max_score (what `nbgrader export` writes).
- canvas: Canvas's gradebook import file: Student, ID, SIS User ID, SIS Login ID, Section,
  then one column per assignment; the second row is "Points Possible". ID is the Canvas
  user id (from the roster), SIS User ID our student id. Canvas matches rows by ID or SIS
  User ID and ignores what it cannot match.
- moodle: Moodle's "Import grades from CSV": ID number (our student id), Email address,
  then one column per assignment; map "ID number" (or "Email address") to the user field
  and each assignment column to its grade item in Moodle's import form.
Scores are after late penalties, with manual scores from formgrader; a student without
a hand-in has an empty cell. The file is rendered completely, then moved into place.
"""
import csv
import io
import tempfile
from pathlib import Path

from autograder.commands.args import add_db_url
from autograder.common.course import Course, atomic_write
from autograder.common.errors import UsageError
from autograder.common.roster import Roster

FORMATS = ("nbgrader", "canvas", "moodle")


def _grades(course: Course) -> tuple[list[str], dict[str, tuple[str, str, str]],
                                   dict[tuple[str, str], float], dict[str, float]]:
    """(assignment ids, {student id: (last, first, email)}, {(aid, sid): score after the
    late penalty}, {aid: max score})."""
    from nbgrader.api import MissingEntry
    with course.gradebook() as gb:
        assignments = sorted(a.name for a in gb.assignments)
        students = {s.id: (s.last_name or "", s.first_name or "", s.email or "")
                    for s in gb.students}
        scores, max_scores = {}, {}
        for aid in assignments:
            assignment = gb.find_assignment(aid)
            max_scores[aid] = assignment.max_score
            for sid in students:
                try:
                    submission = gb.find_submission(aid, sid)
                except MissingEntry:
                    continue
                # as nbgrader's CSV: the raw score minus the late penalty, never below 0
                scores[aid, sid] = max(0.0, submission.score
                                       - (submission.late_submission_penalty or 0.0))
    return assignments, students, scores, max_scores


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _canvas(course: Course, roster: Roster | None) -> str:
    assignments, students, scores, max_scores = _grades(course)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *assignments])
    writer.writerow(["Points Possible", "", "", "", "", *(_number(max_scores[a])
                                                            for a in assignments)])
    for sid, (last, first, email) in sorted(students.items()):
        entry = roster.by_student.get(sid) if roster else None
        name = (entry.name if entry and entry.name else
                ", ".join(filter(None, [last, first])) or sid)
        writer.writerow([name, entry.lms_id if entry else "", sid,
                         (entry.email if entry and entry.email else email), "",
                         *(_number(scores.get((a, sid))) for a in assignments)])
    return out.getvalue()


def _moodle(course: Course, roster: Roster | None) -> str:
    assignments, students, scores, _ = _grades(course)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ID number", "Email address", *assignments])
    for sid, (_, _, email) in sorted(students.items()):
        entry = roster.by_student.get(sid) if roster else None
        writer.writerow([sid, (entry.email if entry and entry.email else email),
                         *(_number(scores.get((a, sid))) for a in assignments)])
    return out.getvalue()


def _nbgrader(course: Course) -> str:
    from nbgrader.plugins import CsvExportPlugin
    with tempfile.TemporaryDirectory(prefix="autograder-export-") as tmp:
        build = Path(tmp) / "grades.csv"
        with course.gradebook() as gb:
            CsvExportPlugin(to=str(build)).export(gb)
        return build.read_text()


def export(course: Course, output: Path, format: str = "nbgrader",
           roster: Roster | None = None) -> int:
    """Write the CSV; returns the number of data rows (students or hand-ins)."""
    if format not in FORMATS:
        raise UsageError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    if not course.gradebook_exists():
        raise UsageError(f"no gradebook at {course.db_url}: collect and grade something "
                         "first (or set --db-url / AUTOGRADER_DB_URL)")
    if format == "canvas":
        text, header_rows = _canvas(course, roster), 2
    elif format == "moodle":
        text, header_rows = _moodle(course, roster), 1
    else:
        text, header_rows = _nbgrader(course), 1
    atomic_write(Path(output), text)
    return max(len(text.splitlines()) - header_rows, 0)


def add_arguments(parser) -> None:
    parser.add_argument("--output", type=Path, default=Path("grades.csv"), metavar="FILE")
    parser.add_argument("--format", choices=FORMATS, default="nbgrader",
                        help="nbgrader's CSV (default), Canvas gradebook import, Moodle grade "
                             "import")
    parser.add_argument("--roster", type=Path, metavar="CSV",
                        help="the collect roster: fills Canvas's ID / names and emails")
    add_db_url(parser)


def run(args, course: Course) -> int:
    roster = Roster.load(args.roster) if args.roster else None
    n_rows = export(course, args.output, format=args.format, roster=roster)
    print(f"wrote {n_rows} row(s) to {args.output} ({args.format})")
    return 0
