"""`validate PATH.ipynb`: a student's local check before handing in.

Runs a copy of the notebook top to bottom in a normal local kernel (the student's own
code on the student's own machine: no sandbox) and reports, per autograded test cell,
passed or failed with the reason and the points. The file itself is not changed.
Hidden tests are not in the student's notebook; they run only when the instructor grades.

Every failure says why: the error (``AssertionError: ...``), and anything the cell wrote
to stderr, because nbgrader scores a test cell that writes to stderr as 0 even when no
assertion fails (a RuntimeWarning from ``np.exp`` overflowing is enough). Cells are named
by their nbgrader ``grade_id`` or, for cells without one, by the heading above them,
never by a cell index (Jupyter shows none). The report also lists the answer cells that
still hold ``YOUR CODE HERE`` / ``YOUR ANSWER HERE``, with their points.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.commands.args import add_cell_timeout
from autograder.common import cells, defaults
from autograder.common.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from nbformat import NotebookNode

STDERR_RULE = ("anything a test cell writes to stderr (warnings included) fails it, "
               "as in nbgrader's grading")


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
class Unanswered:
    """An answer cell the student has not filled in yet."""
    label: str          # grade_id, or the heading above the cell
    kind: str           # "written" (markdown, graded by hand) or "code"
    points: float | None  # the cell's own points, None when its tests carry the points


@dataclass
class ValidateReport:
    path: Path
    tests: list[TestResult] = field(default_factory=list)
    other_errors: list[tuple[str, str]] = field(default_factory=list)   # (cell label, message)
    unanswered: list[Unanswered] = field(default_factory=list)

    @property
    def all_passed(self) -> bool:
        return all(t.passed for t in self.tests) and not self.other_errors


_NUMPY_SCALAR = re.compile(r"np\.(?:float|int|uint|complex|bool_?|str_)\d*\(([^()]*)\)")


def plain_numbers(text: str) -> str:
    """`np.float64(0.25)` -> `0.25` (numpy 2 reprs in messages), floats to 6 digits."""
    def repl(match: re.Match) -> str:
        inner = match.group(1)
        try:
            return f"{float(inner):.6g}" if re.search(r"[.eE]", inner) else inner
        except ValueError:
            return inner
    return _NUMPY_SCALAR.sub(repl, text)


def _outputs(cell: NotebookNode, kind: str) -> list:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == kind]


def _error_message(cell: NotebookNode) -> str:
    for out in _outputs(cell, "error"):
        return plain_numbers(f"{out.get('ename')}: {out.get('evalue')}".rstrip(": "))
    return ""


def _stderr_text(cell: NotebookNode, limit: int = 1500) -> str:
    text = "".join(o.get("text", "") for o in _outputs(cell, "stream") if o.get("name") == "stderr")
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + " ..."


def _failure_reason(cell: NotebookNode) -> str:
    """Why nbgrader gives this test cell 0: its error, its stderr, or both."""
    parts = []
    error = _error_message(cell)
    if error:
        parts.append(error)
    stderr = _stderr_text(cell)
    if stderr:
        parts.append(f"the cell wrote to stderr ({STDERR_RULE}):\n" + plain_numbers(stderr))
    return "\n".join(parts)


def _heading(cell: NotebookNode) -> str | None:
    for line in cell.source.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return None


def _labels(notebook_cells: Iterable[NotebookNode]) -> list[str]:
    """A name per cell: its grade_id, else 'a cell under "<heading>"' (the heading above)."""
    labels, heading = [], None
    for cell in notebook_cells:
        if cell.cell_type == "markdown":
            heading = _heading(cell) or heading
        grade_id = cells.grade_id(cell)
        if grade_id:
            labels.append(grade_id)
        elif cell.cell_type == "markdown" and _heading(cell):
            labels.append(f'the heading "{_heading(cell)}"')
        else:
            labels.append(f'a cell under "{heading}"' if heading else "a cell before the first heading")
    return labels


def _is_unanswered(cell: NotebookNode) -> bool:
    """Unchanged since release, or still holding the stub: the `YOUR ANSWER HERE` text of a
    written answer, the `raise NotImplementedError` of a code answer (a student may keep
    the `# YOUR CODE HERE` comment above working code)."""
    from nbgrader import utils
    meta = cell.metadata.get("nbgrader", {})
    if "checksum" in meta and meta["checksum"] == utils.compute_checksum(cell):
        return True
    if cell.cell_type == "markdown":
        return "YOUR ANSWER HERE" in cell.source
    return "YOUR CODE HERE" in cell.source and "NotImplementedError" in cell.source


def validate(path: Path, cell_timeout: float = defaults.CELL_TIMEOUT) -> ValidateReport:
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
    report = ValidateReport(path)
    labels = _labels(nb.cells)
    for cell, label in zip(nb.cells, labels):   # before running: outputs do not matter here
        if utils.is_solution(cell) and _is_unanswered(cell):
            points = utils.determine_grade(cell)[1] if utils.is_grade(cell) else None
            kind = "written" if cell.cell_type == "markdown" else "code"
            report.unanswered.append(Unanswered(label, kind, points))

    kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
    runner = ExecutePreprocessor(timeout=int(cell_timeout), allow_errors=True, kernel_name=kernel)
    try:
        runner.preprocess(nb, {"metadata": {"path": str(path.parent.resolve())}})
    except DeadKernelError:
        pass  # cells that did not run have no outputs; reported below as not run
    for cell, label in zip(nb.cells, labels):
        if cells.is_test(cell):
            ran = cell.get("execution_count") is not None or cell.get("outputs")
            points, max_points = utils.determine_grade(cell)
            message = _failure_reason(cell)
            if not ran:
                points, message = 0.0, "did not run (the kernel died or timed out before it)"
            report.tests.append(TestResult(label, points, max_points, message))
        elif cell.cell_type == "code" and _error_message(cell):
            report.other_errors.append((label, _error_message(cell)))
    return report


def _points(value: float) -> str:
    return f"{value:g}"


def format_report(report: ValidateReport) -> str:
    lines = [f"Validating {report.path}"]
    width = max([len(t.grade_id) for t in report.tests] + [20])
    score_width = max([len(f"{_points(t.points)} / {_points(t.max_points)}")
                       for t in report.tests] + [5])
    indent = " " * 9
    for t in report.tests:
        mark = "PASS" if t.passed else "FAIL"
        score = f"{_points(t.points)} / {_points(t.max_points)}"
        lines.append(f"  [{mark}] {t.grade_id:<{width}}  {score:>{score_width}} points")
        if t.message and not t.passed:
            lines += [indent + line for line in t.message.splitlines()]
        elif not t.passed:
            lines.append(indent + "no error and no stderr output, but nbgrader gave it "
                         f"{_points(t.points)}: the cell's last value is read as partial credit")
    n_passed = sum(t.passed for t in report.tests)
    points = sum(t.points for t in report.tests)
    max_points = sum(t.max_points for t in report.tests)
    lines.append(f"Visible tests: {n_passed} of {len(report.tests)} passed, "
                 f"{_points(points)} / {_points(max_points)} points. Hidden tests run only at grading.")
    for label, message in report.other_errors:
        lines.append(f"  error in {label}: {message}")
    if report.unanswered:
        lines.append("Not answered yet (the cell still holds YOUR CODE HERE / YOUR ANSWER HERE):")
        for u in report.unanswered:
            what = ("written answer, graded by hand" if u.kind == "written"
                    else "code, checked by the tests after it")
            points = f", {_points(u.points)} point{'s' if u.points != 1 else ''}" if u.points else ""
            lines.append(f"  {u.label} ({what}{points})")
    if not report.tests:
        lines.append("  (this notebook has no autograded test cells)")
    return "\n".join(lines)


def add_arguments(parser) -> None:
    parser.add_argument("path", type=Path, metavar="PATH.ipynb")
    add_cell_timeout(parser)


def run(args, course) -> int:
    report = validate(args.path, cell_timeout=args.cell_timeout)
    print(format_report(report))
    return 0 if report.all_passed else 1
