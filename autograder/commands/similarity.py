"""`python -m autograder similarity ID [--threshold T] [--html FILE]`: pairs of hand-ins
whose answer code matches (autograder.insight.similarity), ranked, with a closing summary;
--html writes the side-by-side view."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.common.course import Course
from autograder.common.errors import UsageError


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from autograder.insight.similarity import DEFAULT_THRESHOLD
    parser.add_argument("id", metavar="ID")
    parser.add_argument("--threshold", type=_threshold, default=DEFAULT_THRESHOLD, metavar="T",
                        help="flag pairs whose score (share of the smaller hand-in's answer "
                             f"code found in the other) is at least T (default {DEFAULT_THRESHOLD})")
    parser.add_argument("--html", type=Path, metavar="FILE",
                        help="also write the ranked pairs side by side, matches marked, "
                             "to this offline HTML file")


def run(args: argparse.Namespace, course: Course) -> int:
    from autograder.insight.similarity import format_report, similarity
    report = similarity(course, args.id, threshold=args.threshold)
    if args.html:
        from autograder.insight.similarity_html import write_html
        try:
            print(f"side-by-side view: {write_html(report, args.html)}", file=sys.stderr)
        except OSError as error:
            raise UsageError(f"--html {args.html}: cannot write it ({error.strerror or error}); "
                             "give a file path in a writable folder") from None
    print(format_report(report))
    return 0
