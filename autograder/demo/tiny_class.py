"""A tiny nbgrader assignment and a class of hand-ins for it, generated from code.

Used by `demo` and the benchmark when no real assignment is present, and by the tests,
which must not depend on the content of the real assignments. The assignment `tiny` has

    square   autograded answer, 2 points: one visible test, one hidden test
    cube     autograded answer, 1 point: one visible test
    explain  a manually graded markdown answer, 1 point

    test_helpers  a locked test-helper cell (grade_id ``test_``): runs with the tests
                  (in the trusted runner when grading). It hands student code one
                  object of the tests, ``tests_log``, exposed with its `note` method
                  only (as the real assignments hand the tests' network to SGD); its
                  other method returns SECRET_MARKER, which must never reach a student.

The hidden test carries HIDDEN_MARKER in its source and message only, so a test can grep
feedback HTML for it. The tests follow the trusted-grading style (coursepkg.grading):
they import what they use in the helper cell and never trust a value computed by
student code other than the one under test.
"""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.common import cells

ASSIGNMENT_ID = "tiny"
HIDDEN_MARKER = "hidden-check-7f3a9c"
SECRET_MARKER = "tests-internal-4b1d"
MAX_SCORE = 4.0  # 2 + 1 autograded, 1 manual
HELPERS = '''# helpers of the tests: they run with the tests (when grading, in a separate process)
import numpy as np
from coursepkg.grading import expose, set_student_global


class Log:
    """Notes that student code may send the tests; only `note` is exposed to it."""
    def __init__(self):
        self.notes = []

    def note(self, text):
        self.notes.append(str(text)[:100])
        return len(self.notes)

    def secret(self):
        return "-".join(["tests", "internal", "4b1d"])  # SECRET_MARKER, not quoted here


_log = Log()
set_student_global("tests_log", expose(_log, "note"))'''


def _cell(cell: nbformat.NotebookNode, grade_id: str, *, grade: bool = False, solution: bool = False,
          locked: bool = False, points: float | None = None) -> nbformat.NotebookNode:
    meta = {"grade": grade, "solution": solution, "locked": locked,
            "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    cell.id = grade_id.replace("_", "-")
    return cell


def source_notebook() -> nbformat.NotebookNode:
    """The instructor version: solutions, visible and hidden tests, a manual answer."""
    cells = [
        _cell(new_markdown_cell("# Tiny assignment\nImplement `square` and `cube`."),
              "intro", locked=True),
        _cell(new_code_cell(HELPERS), "test_helpers", locked=True),
        _cell(new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                            "    ### END SOLUTION"), "square", solution=True),
        _cell(new_code_cell(
            'assert square(3) == 9, "square(3) should be 9"\n'
            'assert np.allclose(square(np.array([1.5, 3.0])), [2.25, 9.0]), '
            '"square works elementwise on arrays"\n'
            "### BEGIN HIDDEN TESTS\n"
            f'assert square(-4) == 16, "{HIDDEN_MARKER}: negative inputs"\n'
            "### END HIDDEN TESTS"), "test_square", grade=True, locked=True, points=2),
        _cell(new_code_cell("def cube(x):\n    ### BEGIN SOLUTION\n    return x ** 3\n"
                            "    ### END SOLUTION"), "cube", solution=True),
        _cell(new_code_cell('assert cube(2) == 8, "cube(2) should be 8"'),
              "test_cube", grade=True, locked=True, points=1),
        _cell(new_markdown_cell("Why does `square` never return a negative number?\n\n"
                                "### BEGIN SOLUTION\nBecause x * x >= 0.\n### END SOLUTION"),
              "explain", grade=True, solution=True, points=1),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    return nb


def write_source(source_dir: Path) -> Path:
    """Write solutions-style source_dir/tiny/tiny.ipynb; returns its path."""
    path = Path(source_dir) / ASSIGNMENT_ID / f"{ASSIGNMENT_ID}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(), path)
    return path


def answer(nb: nbformat.NotebookNode, grade_id: str, code: str) -> nbformat.NotebookNode:
    """Put `code` into the cell `grade_id` of a released notebook (a student's edit)."""
    for cell in nb.cells:
        if cells.grade_id(cell) == grade_id:
            cell.source = code
            return nb
    raise KeyError(f"no cell with grade_id {grade_id!r}")


CORRECT = {"square": "def square(x):\n    return x * x",
           "cube": "def cube(x):\n    return x ** 3",
           "explain": "A product of a number with itself is never negative."}
PARTIAL = {"square": "def square(x):\n    return abs(x) * x",   # fails the hidden test
           "cube": "def cube(x):\n    return x ** 3"}
