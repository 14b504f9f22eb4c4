"""What the runner may take from the student (autograder/grading/names.py) and how it cuts a test
cell into visible and hidden segments (autograder/runner/segments.py): static, from source."""
from nbformat.v4 import new_code_cell, new_notebook

from autograder.grading.names import bound_names, student_names
from autograder.runner import segments


def test_every_kind_of_module_level_binding_is_seen():
    source = """
import numpy as np, os.path
from math import sqrt as root
a = b, *c = 1, 2, 3
d += 1
e: int = 2
for f, (g, h) in []:
    pass
with open(x) as i, open(y) as (j, k):
    pass
try:
    pass
except ValueError as l:
    pass
if (m := 3):
    n = [(o := v) for v in w]
def p(q, r=(s := 1)):
    global t
    t = q
    local = 1
class U:
    inside = 1
del v2
match z:
    case {"k": cap, **rest}:
        pass
    case [first, *others]:
        pass
lam = lambda arg: arg
%matplotlib inline
"""
    names = bound_names(source)
    assert names >= {"np", "os", "root", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k",
                     "l", "m", "n", "o", "p", "s", "t", "U", "v2", "cap", "rest", "first",
                     "others", "lam"}
    assert not names & {"q", "r", "local", "inside", "v", "arg", "sqrt", "math", "w", "x"}
    assert bound_names("def broken(:\n") is None


def _nb(*cells):
    nb = new_notebook()
    for source, meta in cells:
        cell = new_code_cell(source)
        if meta:
            cell.metadata["nbgrader"] = meta
        nb.cells.append(cell)
    return nb


def test_declared_names_are_the_solutions_minus_anything_a_test_binds():
    nb = _nb(("import numpy as np\nX = 1", {"grade_id": "given", "locked": True}),
             ("def f(x):\n    return x\nhelper = 1\nnp = None", {"grade_id": "f", "solution": True}),
             ("helper = 2\nassert f(1) == 1", {"grade_id": "test_f", "grade": True}),
             ("g = 3", None))
    assert student_names(nb, {"test_f"}) == ("f", "np")
    broken = _nb(("def f(x):\n    return x", {"grade_id": "f", "solution": True}),
                 ("this is not python (", {"grade_id": "test_f", "grade": True}))
    assert student_names(broken, {"test_f"}) == ()   # unknown test names: trust nothing


def test_cells_are_cut_at_top_level_hidden_markers_keeping_line_numbers():
    source = ("a = 1\n### BEGIN HIDDEN TESTS\n# hint: look at b\nb = 2\n"
              "### END HIDDEN TESTS\nc = 3\n### BEGIN HIDDEN TESTS\nd = 4\n### END HIDDEN TESTS")
    parts = segments.split(source)
    assert [(s.hidden, s.hint) for s in parts] == [(False, None), (True, "look at b"),
                                                   (False, None), (True, None)]
    assert parts[1].tree.body[0].lineno == 4 and parts[3].tree.body[0].lineno == 8
    inside = "def f():\n    ### BEGIN HIDDEN TESTS\n    return 1\n    ### END HIDDEN TESTS\nf()"
    whole = segments.split(inside)
    assert len(whole) == 1 and whole[0].hidden and whole[0].note   # fail closed
    assert [s.hidden for s in segments.split("x = 1")] == [False]
