"""preprocessors/metadata.py: CheckCellMetadataSchemaOnce gives nbgrader's CheckCellMetadata
verdicts (the same notebooks pass, the same ones fail, with the same message), and checks
the schema once per process instead of once per cell."""
import copy

import jsonschema
import nbformat
import pytest
from nbgrader.nbgraderformat import ValidationError
from nbgrader.nbgraderformat.common import SchemaTooNewError, SchemaTooOldError
from nbgrader.preprocessors import CheckCellMetadata

from autograder.common.course import REPO
from autograder.preprocessors.metadata import CheckCellMetadataSchemaOnce

RELEASED = REPO / "solutions" / "vanishing_gradients" / "vanishing_gradients.ipynb"


def _notebook():
    return nbformat.read(RELEASED, as_version=4)


def _first(nb, pred):
    return next(c for c in nb.cells if "nbgrader" in c.metadata and pred(c.metadata.nbgrader))


def _break(how):
    nb = _notebook()
    graded = _first(nb, lambda m: m.get("grade"))
    if how == "points missing":
        del graded.metadata.nbgrader["points"]
    elif how == "points not a number":
        graded.metadata.nbgrader["points"] = "ten"
    elif how == "grade_id empty":
        graded.metadata.nbgrader["grade_id"] = ""
    elif how == "unknown key":
        graded.metadata.nbgrader["hidden"] = True
    elif how == "duplicate grade_id":
        other = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")][1]
        other.metadata.nbgrader["grade_id"] = graded.metadata.nbgrader["grade_id"]
    elif how == "markdown grade not solution":
        graded.cell_type = "markdown"
        graded.metadata.nbgrader["solution"] = False
        graded.pop("outputs", None)
        graded.pop("execution_count", None)
    elif how == "schema too old":
        graded.metadata.nbgrader["schema_version"] = 1
    elif how == "schema too new":
        graded.metadata.nbgrader["schema_version"] = 4
    elif how == "grade not a bool":
        graded.metadata.nbgrader["grade"] = "yes"
    return nb


def _verdict(step, nb):
    try:
        step.preprocess(copy.deepcopy(nb), {})
    except (ValidationError, jsonschema.ValidationError, SchemaTooOldError,
            SchemaTooNewError) as error:
        return type(error).__name__, str(error)
    return "valid", ""


@pytest.mark.parametrize("how", ["intact", "points missing", "points not a number",
                                 "grade_id empty", "unknown key", "duplicate grade_id",
                                 "markdown grade not solution", "schema too old",
                                 "schema too new", "grade not a bool"])
def test_the_verdict_is_nbgraders(how):
    nb = _notebook() if how == "intact" else _break(how)
    ours = _verdict(CheckCellMetadataSchemaOnce(), nb)
    assert ours == _verdict(CheckCellMetadata(), nb)
    assert (ours[0] == "valid") == (how == "intact")


def test_the_schema_is_checked_once_not_per_cell(monkeypatch):
    checks = []
    real = jsonschema.Draft4Validator.check_schema
    monkeypatch.setattr(jsonschema.Draft4Validator, "check_schema",
                        classmethod(lambda cls, schema: checks.append(1) or real(schema)))
    nb = _notebook()
    n_cells = sum("nbgrader" in c.metadata for c in nb.cells)
    CheckCellMetadata().preprocess(copy.deepcopy(nb), {})
    theirs, checks[:] = len(checks), []
    for _ in range(3):
        CheckCellMetadataSchemaOnce().preprocess(copy.deepcopy(nb), {})
    assert theirs == n_cells > 10 and len(checks) <= 1

