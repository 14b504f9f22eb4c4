"""`validate`: the student's local check says why every failing test fails, names the cells
a student still has to answer, and never refers to a cell by an index.

Real kernels run the released `tiny` assignment (autograder/demo/tiny_class.py) with edited answers."""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from agtools import handin
from autograder.commands.validate import TestResult as Result
from autograder.commands.validate import ValidateReport, format_report, plain_numbers, validate
from autograder.demo import tiny_class as tiny


def _write(nb, tmp_path) -> Path:
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_test_failing_only_through_stderr_shows_the_stderr_text_and_the_rule(course, tmp_path):
    # cube is right, but it overflows np.exp on the way: numpy prints a RuntimeWarning to
    # stderr inside the test cell, no assertion fails, and nbgrader still gives 0
    cube = ("import numpy as np\n"
            "def cube(x):\n"
            "    np.exp(np.float64(1000.0))\n"
            "    return x ** 3")
    path = _write(handin(course, {"square": tiny.CORRECT["square"], "cube": cube}), tmp_path)
    report = validate(path, cell_timeout=60)
    result = {t.grade_id: t for t in report.tests}
    assert result["test_square"].passed
    assert not result["test_cube"].passed and result["test_cube"].points == 0
    text = format_report(report)
    assert "overflow encountered in exp" in text
    assert "writes to stderr" in text and "fails it" in text
    assert "[FAIL] test_cube" in text


def test_unanswered_cells_are_named_with_their_points(course, tmp_path):
    path = _write(handin(course, {"square": tiny.CORRECT["square"]}), tmp_path)
    text = format_report(validate(path, cell_timeout=60))
    section = text.split("Not answered yet", 1)[1]
    assert "explain (written answer, graded by hand, 1 point)" in section
    assert "cube (code, checked by the tests after it)" in section
    assert "square" not in section   # answered


def test_answered_cells_are_not_listed_even_with_the_stub_comment_kept(course, tmp_path):
    answers = {**tiny.CORRECT, "cube": "# YOUR CODE HERE\n" + tiny.CORRECT["cube"]}
    path = _write(handin(course, answers), tmp_path)
    report = validate(path, cell_timeout=60)
    assert report.unanswered == [] and report.all_passed
    assert "Not answered yet" not in format_report(report)


def test_an_error_outside_the_tests_is_located_by_its_heading_not_an_index(course, tmp_path):
    nb = handin(course, tiny.CORRECT)
    nb.cells.insert(1, new_code_cell("1 / 0"))   # a student's scratch cell under the title
    report = validate(_write(nb, tmp_path), cell_timeout=60)
    text = format_report(report)
    assert 'error in a cell under "Tiny assignment": ZeroDivisionError: division by zero' in text
    assert "cell 2" not in text and not report.all_passed


def test_numpy_scalar_reprs_print_as_plain_numbers():
    assert plain_numbers("expected np.float64(0.00033512345678), found np.int64(3)") == \
        "expected 0.000335123, found 3"
    assert plain_numbers("np.True_ and np.bool_(True)") == "np.True_ and True"
    assert plain_numbers("f(x) = 2.5") == "f(x) = 2.5"


def test_columns_stay_aligned_for_long_test_names():
    report = ValidateReport(Path("x.ipynb"), tests=[
        Result("test_short", 1, 1),
        Result("test_vanishing_range_bad_threshold_really_long_name", 0, 2, "AssertionError: no"),
        Result("test_mid_sized_name", 10, 10)])
    rows = [line for line in format_report(report).splitlines() if line.startswith("  [")]
    columns = {line.index(" points") for line in rows}
    assert len(rows) == 3 and len(columns) == 1, rows
