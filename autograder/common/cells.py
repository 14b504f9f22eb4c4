"""What a notebook cell is to the grader: the one place these rules are written.

A cell's nbgrader metadata (``cell.metadata.nbgrader``) decides:

    grade_id      its name, unique in the notebook (None for plain cells)
    answer        ``solution: true``: the student writes it (code or markdown)
    test          a code cell with ``grade: true`` and no ``solution``: an autograded test
    helper        a code cell whose grade_id starts with ``test_``: helpers of the tests
    trusted       test or helper: runs in the trusted runner when grading, never in the
                  student's kernel (decided from the INSTRUCTOR's notebook only)
"""
import re
from datetime import UTC, datetime

from nbformat import NotebookNode

HELPER_PREFIX = "test_"
AFTER_HIDDEN = "after_hidden_tests"  # autograder metadata: the cell ran after hidden tests
SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
NBGRADER_TIME = "%Y-%m-%d %H:%M:%S.%f UTC"  # nbgrader's timestamp.txt format


def nbgrader_meta(cell: NotebookNode) -> dict:
    """The cell's nbgrader metadata ({} for a plain cell)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell: NotebookNode) -> str | None:
    return nbgrader_meta(cell).get("grade_id") or None


def is_answer(cell: NotebookNode) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_test(cell: NotebookNode) -> bool:
    """An autograded test cell: code, graded, not an answer."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_helper(cell: NotebookNode) -> bool:
    """A test-helper cell: code whose grade_id starts with ``test_``."""
    return cell.get("cell_type") == "code" and (grade_id(cell) or "").startswith(HELPER_PREFIX)


def is_trusted(cell: NotebookNode) -> bool:
    """Runs in the trusted runner when grading: a test or a test helper."""
    return is_test(cell) or is_helper(cell)


def points(cell: NotebookNode) -> float:
    return float(nbgrader_meta(cell).get("points", 0) or 0)


def strip_solution_markers(source: str) -> str:
    """`source` without its ``### BEGIN/END SOLUTION`` lines."""
    return "\n".join(line for line in source.splitlines() if not SOLUTION_MARKER.match(line))


def nbgrader_time(moment: datetime) -> str:
    """A moment as nbgrader writes it in timestamp.txt ("2026-01-31 23:59:00.000000 UTC")."""
    return moment.astimezone(UTC).strftime(NBGRADER_TIME)
