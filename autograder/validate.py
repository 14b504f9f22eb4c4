"""`validate PATH.ipynb`: a student's local check before handing in.

Runs a copy of the notebook top to bottom in a normal local kernel (the student's own
code on the student's own machine: no sandbox) and reports, per autograded test cell,
passed or failed with the error message and the points. The file itself is not changed.
Hidden tests are not in the student's notebook; they run only when the instructor grades.
"""
from dataclasses import dataclass, field
from pathlib import Path

from .course import UsageError


@dataclass
class TestResult:
    grade_id: str
    points: float
    max_points: float
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.points == self.max_points


@dataclass
class ValidateReport:
    path: Path
    tests: list = field(default_factory=list)          # TestResult per test cell
    other_errors: list = field(default_factory=list)   # (cell label, message)

    @property
    def all_passed(self) -> bool:
        return all(t.passed for t in self.tests) and not self.other_errors


def _error_message(cell) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue')}".rstrip(": ")
    return ""


def validate(path: Path, cell_timeout: float = 120) -> ValidateReport:
    import nbformat
    from nbclient.exceptions import DeadKernelError
    from nbconvert.preprocessors import ExecutePreprocessor
    from nbgrader import utils

    path = Path(path)
    if not path.is_file() or path.suffix != ".ipynb":
        raise UsageError(f"{path}: not a notebook file (expected an existing PATH.ipynb)")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:
        raise UsageError(f"{path} is not a readable notebook ({type(error).__name__}: "
                         f"{error}); was it saved completely?") from error
    kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
    runner = ExecutePreprocessor(timeout=int(cell_timeout), allow_errors=True, kernel_name=kernel)
    try:
        runner.preprocess(nb, {"metadata": {"path": str(path.parent.resolve())}})
    except DeadKernelError:
        pass  # cells that did not run have no outputs; reported below as not run
    report = ValidateReport(path)
    for index, cell in enumerate(nb.cells):
        label = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
        if utils.is_grade(cell) and cell.cell_type == "code" and not utils.is_solution(cell):
            ran = cell.get("execution_count") is not None or cell.get("outputs")
            points, max_points = utils.determine_grade(cell)
            message = _error_message(cell)
            if not ran:
                points, message = 0.0, "did not run (the kernel died or timed out before it)"
            report.tests.append(TestResult(label, points, max_points, message))
        elif cell.cell_type == "code" and _error_message(cell):
            report.other_errors.append((label, _error_message(cell)))
    return report


def format_report(report: ValidateReport) -> str:
    lines = [f"Validating {report.path}"]
    for t in report.tests:
        mark = "PASS" if t.passed else "FAIL"
        line = f"  [{mark}] {t.grade_id:<28} {t.points:g} / {t.max_points:g} points"
        lines.append(line + (f"\n         {t.message}" if t.message and not t.passed else ""))
    n_passed = sum(t.passed for t in report.tests)
    points = sum(t.points for t in report.tests)
    max_points = sum(t.max_points for t in report.tests)
    lines.append(f"Visible tests: {n_passed} of {len(report.tests)} passed, "
                 f"{points:g} / {max_points:g} points. Hidden tests run only at grading.")
    for label, message in report.other_errors:
        lines.append(f"  error in {label}: {message}")
    if not report.tests:
        lines.append("  (this notebook has no autograded test cells)")
    return "\n".join(lines)
