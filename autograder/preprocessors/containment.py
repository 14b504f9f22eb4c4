"""Keep one hand-in's failure inside that hand-in: nbgrader steps that a notebook can break
are run through `run_steps` (the error names the step and the cell), and test-cell outputs
are cleaned before nbgrader scores them.

Why each piece exists (found by handing in hostile notebooks):
- nbgrader's SaveAutoGrades raises on a test cell whose execute_result is above the cell's
  points (ValueError) or has no text/plain (KeyError); it gives full credit to a negative
  or NaN result. `CleanTestOutputs` clamps partial credit to [0, points] (not finite:
  refused, 0 points; autograder/common/scoring.py), drops execute_results without
  text/plain and every display_data of a test cell (nbgrader scores only errors, stderr
  and execute_result); the record says what it changed.
- nbgrader's DeduplicateIds blanks the metadata of a repeated grade_id to `{}`, which
  CheckCellMetadata then rejects (SchemaTooOldError) and the whole hand-in fails.
  `DeduplicateIdsAndSay` removes the metadata instead: the copy becomes a plain cell,
  the last cell with that grade_id is graded (nbgrader's choice), the record says so.
- widget state (notebook metadata "widgets") can be any size: `DropWidgetState`.
- `MAX_NOTEBOOK_BYTES` caps a hand-in as read and as written after grading.
"""
import math
from collections.abc import Callable, Iterable

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbgrader.preprocessors import DeduplicateIds
from nbgrader.preprocessors.base import NbGraderPreprocessor

from autograder.common import cells
from autograder.common.scoring import clamp_credit

MAX_NOTEBOOK_BYTES = 10_000_000  # a submitted or autograded notebook above it fails


class StepFailed(Exception):
    """An nbgrader step failed on one hand-in; the message names the step and the cell."""


def _cell_name(nb: NotebookNode, index: int | None) -> str:
    if index is None or not 0 <= index < len(nb.cells):
        return "the notebook as a whole"
    cell = nb.cells[index]
    grade_id = cells.grade_id(cell)
    return f"cell {index}" + (f" ({grade_id})" if grade_id else "")


def run_steps(steps: Iterable[Preprocessor], nb: NotebookNode,
              resources: dict) -> tuple[NotebookNode, dict]:
    """Apply nbgrader preprocessors in order; any error becomes a StepFailed naming the
    step and, where the step works cell by cell, the cell it was on."""
    for step in steps:
        current = [None]
        original = step.preprocess_cell

        def tracking(cell: NotebookNode, res: dict, index: int,
                     _original: Callable[[NotebookNode, dict, int], tuple[NotebookNode, dict]] = original,
                     current: list[int | None] = current) -> tuple[NotebookNode, dict]:
            current[0] = index
            return _original(cell, res, index)

        step.preprocess_cell = tracking
        try:
            nb, resources = step(nb, resources)
        except Exception as error:
            raise StepFailed(f"{type(step).__name__} failed on {_cell_name(nb, current[0])}: "
                             f"{type(error).__name__}: {error}") from error
        finally:
            del step.preprocess_cell
    return nb, resources


def notes(resources: dict) -> list[str]:
    """What the cleaning steps changed, for the hand-in's record."""
    return resources.setdefault("autograder_notes", [])


class DeduplicateIdsAndSay(DeduplicateIds):
    """nbgrader's DeduplicateIds, but a repeated cell loses its nbgrader metadata entirely
    (it is graded as an ordinary cell); the last cell with a grade_id keeps it."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self._n_cells = len(nb.cells)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: dict,
                        cell_index: int) -> tuple[NotebookNode, dict]:
        grade_id = cells.grade_id(cell)
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
            index = self._n_cells - 1 - cell_index  # DeduplicateIds walks backwards
            notes(resources).append(f"cell {index} repeats grade_id {grade_id!r}: ignored "
                                    "(the last cell with that id is graded)")
        return cell, resources


class DropWidgetState(NbGraderPreprocessor):
    """No widget state in the notebooks we store (it can be any size)."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        if nb.metadata.pop("widgets", None) is not None:
            notes(resources).append("widget state removed from the notebook")
        return nb, resources


def clamp_partial_credit(text: str | list[str], points: float) -> tuple[str | None, str | None]:
    """(cleaned text/plain or None to keep it as is, note or None) for a test cell's
    execute_result; nbgrader reads a float from it as partial credit."""
    value = "".join(text) if isinstance(text, list) else str(text)
    try:
        credit = float(value)
    except ValueError:
        return None, None  # not a number: nbgrader gives full credit, as in a plain run
    if not math.isfinite(credit):
        return "0.0", f"partial credit {value.strip()[:40]!r} refused (0 points)"
    clamped = clamp_credit(credit, points)
    if clamped != credit:
        return repr(clamped), f"partial credit {value.strip()[:40]} clamped to {clamped:g}"
    return None, None


class CleanTestOutputs(NbGraderPreprocessor):
    """Test cells keep only what nbgrader scores, in a form it cannot choke on: streams,
    errors and an execute_result whose text/plain is clamped partial credit."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict,
                        index: int) -> tuple[NotebookNode, dict]:
        if not cells.is_test(cell):
            return cell, resources
        points = float(cell.metadata["nbgrader"].get("points", 0) or 0)
        where = f"cell {index} ({cell.metadata['nbgrader'].get('grade_id')})"
        kept = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind in ("stream", "error"):
                kept.append(out)
            elif kind == "execute_result":
                text = out.get("data", {}).get("text/plain")
                if not text:
                    notes(resources).append(f"{where}: a result without text/plain ignored")
                    continue
                cleaned, note = clamp_partial_credit(text, points)
                if note:
                    notes(resources).append(f"{where}: {note}")
                out["data"] = {"text/plain": cleaned if cleaned is not None else text}
                kept.append(out)
            # display_data (and anything else) is not scored by nbgrader: dropped
        cell.outputs = kept
        return cell, resources
