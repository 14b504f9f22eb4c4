"""Lock-step execution with the real sandboxes: `execute_handin` on one Job (student
kernel + trusted runner, both in bubblewrap), and the notebook order through a real
`python -m autograder grade` run."""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from agtools import handin, outputs_text, run_cli, submit
from autograder.common import records
from autograder.demo import tiny_class as tiny
from autograder.grading.grader import GradeOptions, trusted_cells
from autograder.grading.job import Job, TrustedCell
from autograder.worker.handin import execute_handin
from autograder.worker.lockstep import BLANKED, STUDENT_LABEL

pytestmark = pytest.mark.slow


def _job(cells: list, trusted: dict, sandbox: bool = True, names=("f",)) -> Job:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    options = GradeOptions(cell_timeout=20, notebook_timeout=90)
    return Job(notebook=nbformat.writes(nb), notebook_name="t.ipynb", resources={},
               cell_timeout=20, notebook_timeout=90, limits=vars(options.limits()),
               sandbox=sandbox, config={}, trusted_cells=trusted, student_names=names)


def _cell(source, grade_id=None):
    cell = new_code_cell(source)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade_id": grade_id}
    return cell


WHO = ("import os\n"
       "print('uid', os.getuid(), 'handin' if os.path.exists('/handin') else 'no-handin')")


def test_test_cells_run_apart_from_the_kernel_which_never_sees_their_source():
    test_source = WHO + "\nassert f(2) == 4  # TEST-SOURCE-MARKER"
    job = _job([_cell("def f(x):\n    print('student printed', x)\n    return x * x"),
                _cell(WHO),
                _cell("print(open('/handin/t.ipynb').read())\nprint(In)"),
                _cell("placeholder, replaced by the instructor's source", "test_f")],
               {"test_f": TrustedCell("test_f", test_source, 1.0)})
    outcome = execute_handin(job)
    assert outcome.error is None, outcome.error
    nb = nbformat.reads(outcome.notebook, as_version=4)
    kernel_who = nb.cells[1].outputs[0]["text"]
    tests = nb.cells[3].outputs
    trusted_who = tests[0]["text"]
    assert kernel_who.startswith("uid") and "handin" in kernel_who.split()[-1]
    assert trusted_who.split()[-1] == "no-handin"           # the runner has no /handin ...
    assert trusted_who.split()[1] != kernel_who.split()[1]   # ... and a uid of its own
    assert [o["output_type"] for o in tests] == ["stream", "stream"]  # passed: no error
    assert tests[1]["text"] == STUDENT_LABEL + "student printed 2\n"
    assert nb.cells[3].source.startswith("placeholder")      # the notebook keeps its cell
    leaked = nb.cells[2].outputs[0]["text"]                  # what the kernel could read
    assert BLANKED.strip() in leaked and "TEST-SOURCE-MARKER" not in leaked
    assert outcome.resolved == {"test_f": ["f"]}
    assert outcome.timings["channel_requests"] >= 2 and outcome.timings["trusted_start"] > 0
    assert outcome.timings["kernel_start"] > 0


def test_a_kernel_that_dies_inside_a_test_fails_that_test_and_the_rest():
    job = _job([_cell("import os\ndef f(x):\n    os._exit(3)"),
                _cell("", "test_f"), _cell("", "test_g")],
               {"test_f": TrustedCell("test_f", "assert f(1) == 1", 1.0),
                "test_g": TrustedCell("test_g", "assert 1 == 1", 1.0)})
    outcome = execute_handin(job)
    nb = nbformat.reads(outcome.notebook, as_version=4)
    for cell in nb.cells[1:]:
        assert any(o["output_type"] == "error" for o in cell.outputs), cell.outputs
    assert any("exited by itself with status 3" in p for p in outcome.problems), outcome.problems


def test_each_test_sees_the_students_state_after_the_cells_before_it(course):
    nb = handin(course, tiny.CORRECT)
    cells = nb.cells
    after_square_test = next(i for i, c in enumerate(cells)
                             if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
    cells.insert(after_square_test + 1, new_code_cell("def square(x):\n    return 0"))
    cube = next(i for i, c in enumerate(cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == "cube")
    cells[cube].source = "pass  # cube comes later"
    cells.append(new_code_cell(tiny.CORRECT["cube"]))        # defined after its test ran
    submit(course, "order", nb)
    done = run_cli(course, "grade", "tiny", "--workers", "1", "--cell-timeout", "20")
    assert done.returncode == 0, done.stderr[-2000:]
    record = records.load(course, "tiny", "order")
    assert record["score"] == 2.0   # square passed before it was broken; cube came too late
    graded = nbformat.read(course.autograded("order", "tiny"), as_version=4)
    assert "NameError" in outputs_text(graded)


def test_trusted_cells_are_decided_by_the_instructors_notebook_only(course):
    source = nbformat.read(course.source_notebook("tiny"), as_version=4)
    cells = trusted_cells(source)
    assert sorted(cells) == ["test_cube", "test_helpers", "test_square"]
    assert tiny.HIDDEN_MARKER in cells["test_square"].source   # hidden tests included
    assert cells["test_square"].points == 2 and cells["test_helpers"].points is None
