"""common/defaults.py: one place for the grading defaults, read by the commands."""
import os

from autograder.commands import build_parser
from autograder.common import defaults


def test_grade_runs_one_hand_in_more_than_there_are_cores_by_default():
    assert defaults.workers() == (os.cpu_count() or 1) + 1
    args = build_parser().parse_args(["grade", "x"])
    assert args.workers == defaults.workers()
    assert build_parser().parse_args(["grade", "x", "--workers", "1"]).workers == 1
