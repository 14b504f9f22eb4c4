"""`export-feedback ID --format canvas|moodle --output FILE.zip [--roster CSV]`: the
feedback pages in the layout of the LMS's bulk upload (autograder/insight/lms_feedback.py)."""
import argparse
from pathlib import Path

from autograder.commands.args import add_db_url
from autograder.common.course import Course
from autograder.common.roster import Roster
from autograder.insight.lms_feedback import export_feedback, format_export


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID")
    parser.add_argument("--format", choices=("canvas", "moodle"), required=True,
                        help="Canvas \"Re-upload Submissions\" zip, or Moodle \"Upload "
                             "multiple feedback files in a zip\"")
    parser.add_argument("--output", type=Path, required=True, metavar="FILE.zip")
    parser.add_argument("--roster", type=Path, metavar="CSV",
                        help="the collect roster (lms_id,student_id,name): Moodle ids of "
                             "students not collected from a Moodle download")
    add_db_url(parser)


def run(args: argparse.Namespace, course: Course) -> int:
    roster = Roster.load(args.roster) if args.roster else None
    result = export_feedback(course, args.id, args.format, args.output, roster=roster)
    print(format_export(result))
    return 0
