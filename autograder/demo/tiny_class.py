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

`insight_class(course)` hands in a class of 8 for the instructor's insight commands
(analytics, similarity, extensions): one hand-in per kind (INSIGHT_KINDS), among them a
planted copy (COPY_PAIR) and a malformed file.

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


# --- a small class for the instructor's insight commands (analytics, similarity, ...) ---
ALICE = {  # correct, with a helper of its own: enough code for a copy to be recognisable
    "square": '''import numpy as np


def _as_float_array(values):
    """A number stays a number; a list or an array becomes a float array."""
    if np.isscalar(values):
        return values
    return np.asarray(values, dtype=float)


def square(x):
    data = _as_float_array(x)
    result = data * data
    return result''',
    "cube": '''def cube(x):
    total = 1
    for _ in range(3):
        total = total * x
    return total''',
    "explain": "Multiplying a number by itself gives a non-negative product."}
BOB = {  # correct, written independently of ALICE (another structure, other calls)
    "square": '''import numpy as np


def square(x):
    # np.power keeps scalars scalar and works elementwise on arrays
    return np.power(x, 2)''',
    "cube": "def cube(x):\n    return x * x * x",
    "explain": "Both factors have the same sign, so the product is >= 0."}
MALLORY = {  # ALICE's answers: variables renamed, functions reordered, comments changed
    "square": '''import numpy as np


def square(v):
    arr = _to_floats(v)
    out = arr * arr
    return out


def _to_floats(vals):
    # scalars pass through, sequences are converted
    if np.isscalar(vals):
        return vals
    return np.asarray(vals, dtype=float)''',
    "cube": '''def cube(n):
    acc = 1
    for _ in range(3):
        acc = acc * n
    return acc''',
    "explain": "A number times itself is never negative."}
WRONG_CUBE = {"square": CORRECT["square"],                  # fails the visible cube test
              "cube": "def cube(x):\n    return 3 * x * x"}
RAISES = {"square": "import activation_helpers  # a module on the student's laptop only\n\n"
                    + CORRECT["square"],                     # raises ModuleNotFoundError
          "cube": CORRECT["cube"]}
MALFORMED = '{"cells": [{"cell_type": '                      # not a notebook: grading fails
INSIGHT_KINDS = {"alice": "correct", "bob": "correct-independent", "carol": "partial-hidden",
                 "dave": "partial-visible", "erin": "blank", "frank": "raises",
                 "grace": "malformed", "mallory": "copy"}
COPY_PAIR = ("alice", "mallory")  # mallory's hand-in is alice's, disguised
_INSIGHT_ANSWERS = {"alice": ALICE, "bob": BOB, "carol": PARTIAL, "dave": WRONG_CUBE,
                    "erin": {}, "frank": RAISES, "mallory": MALLORY}


def insight_handins(released: nbformat.NotebookNode) -> dict[str, str]:
    """student -> the text of the notebook they hand in, made from the `released`
    notebook of `tiny`; one student per kind of INSIGHT_KINDS (8 students)."""
    texts = {}
    for student, kind in INSIGHT_KINDS.items():
        if kind == "malformed":
            texts[student] = MALFORMED
            continue
        nb = nbformat.from_dict(released)
        for grade_id, code in _INSIGHT_ANSWERS[student].items():
            answer(nb, grade_id, code)
        texts[student] = nbformat.writes(nb)
    return texts


def insight_class(course, folder: Path | None = None) -> dict[str, str]:
    """Hand in the insight class for `tiny` (released in `course`): into
    submitted/<student>/tiny/ (what `collect` would do), or, with `folder`, as
    folder/<student>.ipynb for `python -m autograder collect tiny FOLDER`.
    Returns student -> kind (INSIGHT_KINDS): correct, correct-independent (same scores,
    other code), partial-hidden (fails the hidden test), partial-visible (fails the
    visible cube test), blank, raises (its first answer cell raises at import),
    malformed (not a notebook: grading fails), copy (COPY_PAIR)."""
    released = nbformat.read(course.release_folder(ASSIGNMENT_ID) / f"{ASSIGNMENT_ID}.ipynb",
                             as_version=4)
    for student, text in insight_handins(released).items():
        path = (Path(folder) / f"{student}.ipynb" if folder is not None
                else course.submitted(student, ASSIGNMENT_ID))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return dict(INSIGHT_KINDS)
