"""`extend ID STUDENT --due "YYYY-MM-DD HH:MM[:SS] [TZ]"`, `extend ID --list`,
`extend ID STUDENT --clear`: per-student due dates (autograder/insight/extensions.py)."""
import argparse
from pathlib import Path

from autograder.commands.args import add_db_url
from autograder.common.course import Course
from autograder.common.errors import UsageError
from autograder.common.roster import Roster
from autograder.grading import extensions


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID")
    parser.add_argument("student", nargs="?", metavar="STUDENT")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--due", metavar="WHEN",
                      help='the student\'s own due date, "YYYY-MM-DD HH:MM[:SS] [TZ]" '
                           "(TZ: UTC, +HH:MM or a zone such as Europe/Amsterdam; default UTC)")
    what.add_argument("--clear", action="store_true", help="remove the student's extension")
    what.add_argument("--list", action="store_true",
                      help="list the assignment's extensions (or STUDENT's)")
    parser.add_argument("--roster", type=Path, metavar="CSV",
                        help="the collect roster: its students may get an extension before "
                             "they hand in")
    add_db_url(parser)


def run(args: argparse.Namespace, course: Course) -> int:
    if args.list:
        found = [e for e in extensions.list_extensions(course, args.id)
                 if args.student in (None, e.student)]
        print(format_list(args.id, found))
        return 0
    if not args.student:
        raise UsageError("STUDENT is required with --due and --clear (extend ID STUDENT "
                         '--due "YYYY-MM-DD HH:MM")')
    roster = Roster.load(args.roster) if args.roster else None
    due = None if args.clear else extensions.parse_due(args.due)
    extension, notes = extensions.set_due(course, args.id, args.student, due, roster)
    if extension is None:
        print(f"{args.id}: {args.student} has no extension (the assignment's due date "
              "applies)")
    else:
        print(f"{args.id}: {args.student} due {extensions.show(extension.due)} "
              f"(+{_delta(extension.extension)}, {extension.where})")
    for note in notes:
        print(f"  - {note}")
    return 0


def _delta(delta) -> str:
    hours, rest = divmod(int(delta.total_seconds()) % 86400, 3600)
    days = delta.days
    return (f"{days}d{hours:02d}h" if days else f"{hours}h") + f"{rest // 60:02d}m"


def format_list(assignment_id: str, found: list) -> str:
    lines = [f"{assignment_id}: {len(found)} extension(s)"]
    width = max((len(e.student) for e in found), default=0)
    for e in found:
        where = "in the gradebook" if e.where == "gradebook" else \
            "not graded yet: applied by grade"
        lines.append(f"  {e.student:<{width}}  due {extensions.show(e.due)}  (+{_delta(e.extension)}, "
                     f"{where})")
    return "\n".join(lines)
