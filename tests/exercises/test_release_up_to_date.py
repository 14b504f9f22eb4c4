"""The committed student versions exercises/<id>/<id>.ipynb match what nbgrader generates now.

Every assignment in solutions/ is regenerated with real `nbgrader generate_assignment` into a
temporary release folder and compared cell by cell with the committed one: cell types,
sources and nbgrader metadata (grade_id, points, locks, checksums). Outputs and other
metadata are ignored (notebooks are committed without outputs). A failure names the
assignment and the first differing cell, and says how to regenerate.
"""
from __future__ import annotations

import difflib

import nbformat
import pytest

from .harness import EXERCISES, SOLUTIONS

ASSIGNMENTS = sorted(p.name for p in SOLUTIONS.iterdir()
                     if p.is_dir() and (p / f"{p.name}.ipynb").exists()) if SOLUTIONS.exists() else []

REGENERATE = ("regenerate it with `python -m autograder release {id}` (or "
              "`cd autograder && nbgrader generate_assignment {id} --force`) and commit it")


def _comparable(cell) -> tuple[str, str, dict]:
    return (cell.cell_type, cell.source, dict(cell.get("metadata", {}).get("nbgrader", {})))


def _label(cell, index: int) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {index}" + (f" (grade_id {grade_id!r})" if grade_id else "")


@pytest.mark.skipif(not ASSIGNMENTS, reason="no assignment in solutions/ yet")
@pytest.mark.parametrize("assignment_id", ASSIGNMENTS or ["none"])
def test_committed_student_version_is_up_to_date(assignment_id, release_assignment):
    committed_path = EXERCISES / assignment_id / f"{assignment_id}.ipynb"
    assert committed_path.exists(), (
        f"{assignment_id}: exercises/{assignment_id}/{assignment_id}.ipynb is missing; "
        + REGENERATE.format(id=assignment_id))
    fresh = nbformat.read(release_assignment(assignment_id), as_version=4)
    committed = nbformat.read(committed_path, as_version=4)

    for index, (new, old) in enumerate(zip(fresh.cells, committed.cells)):
        if _comparable(new) == _comparable(old):
            continue
        new_type, new_source, new_meta = _comparable(new)
        old_type, old_source, old_meta = _comparable(old)
        if new_type != old_type:
            what = f"cell type {old_type!r} committed, {new_type!r} generated"
        elif new_source != old_source:
            diff = "\n".join(difflib.unified_diff(old_source.splitlines(), new_source.splitlines(),
                                                  "committed", "generated", lineterm="", n=1))
            what = f"source differs:\n{diff[:2000]}"
        else:
            what = f"nbgrader metadata differs: committed {old_meta}, generated {new_meta}"
        pytest.fail(f"{assignment_id}: exercises/{assignment_id}/{assignment_id}.ipynb is out of "
                    f"date at {_label(new, index)}: {what}\n" + REGENERATE.format(id=assignment_id))

    assert len(fresh.cells) == len(committed.cells), (
        f"{assignment_id}: the committed student version has {len(committed.cells)} cells, "
        f"nbgrader generates {len(fresh.cells)}; " + REGENERATE.format(id=assignment_id))
