"""A tiny nbgrader assignment and a class of hand-ins for it, generated from code.

Used by `demo` and the benchmark when no real assignment is present, and by the tests,
which must not depend on the content of the real assignments. The assignment `tiny` has

    square   autograded answer, 2 points: one visible test, one hidden test
    cube     autograded answer, 1 point: one visible test
    explain  a manually graded markdown answer, 1 point

The hidden test carries HIDDEN_MARKER in its source and message only, so a test can grep
feedback HTML for it.
"""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ASSIGNMENT_ID = "tiny"
HIDDEN_MARKER = "hidden-check-7f3a9c"
MAX_SCORE = 4.0  # 2 + 1 autograded, 1 manual


def _cell(cell, grade_id, *, grade=False, solution=False, locked=False, points=None):
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
        _cell(new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                            "    ### END SOLUTION"), "square", solution=True),
        _cell(new_code_cell(
            'assert square(3) == 9, "square(3) should be 9"\n'
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
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = code
            return nb
    raise KeyError(f"no cell with grade_id {grade_id!r}")


CORRECT = {"square": "def square(x):\n    return x * x",
           "cube": "def cube(x):\n    return x ** 3",
           "explain": "A product of a number with itself is never negative."}
PARTIAL = {"square": "def square(x):\n    return abs(x) * x",   # fails the hidden test
           "cube": "def cube(x):\n    return x ** 3"}
