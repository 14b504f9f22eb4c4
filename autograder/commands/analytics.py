"""`python -m autograder analytics ID [--html FILE] [--csv FILE]`: per-test pass rates,
failure groups, the score distribution, failed and review hand-ins, grading times."""
import argparse
from pathlib import Path

from autograder.commands.args import add_db_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID")
    parser.add_argument("--html", type=Path, metavar="FILE",
                        help="also write a one-file offline HTML report with plots")
    parser.add_argument("--csv", type=Path, metavar="FILE",
                        help="also write one row per (student, test) as CSV")
    add_db_url(parser)


def run(args: argparse.Namespace, course) -> int:
    from autograder.insight.analytics import analyse, format_report, write_csv
    result = analyse(course, args.id)
    if args.csv:
        n_rows = write_csv(result, args.csv)
        print(f"wrote {n_rows} row(s) to {args.csv}")
    if args.html:
        from autograder.insight.report_html import write_html
        write_html(result, args.html)
        print(f"wrote {args.html}")
    print(format_report(result))
    return 0
