"""`CheckCellMetadataSchemaOnce`: nbgrader's CheckCellMetadata, the same checks, with the
JSON schema compiled once per process.

nbgrader's validator calls ``jsonschema.validate(metadata, schema)`` for every nbgrader
cell, and ``jsonschema.validate`` first checks the schema itself against the JSON Schema
meta-schema: about 90% of the step, ~35 ms of CPU per notebook, and grading runs the step
twice per hand-in (sanitize and record). Here the schema is checked once, when its
validator is built, and each cell is validated by that validator, which is what
``jsonschema.validate`` does after its schema check: the same errors, the same order
(`best_match`). nbgrader's own checks (grade ids, points, cell types, duplicates) run
unchanged: `SchemaOnceValidator` slots in below nbgrader's MetadataValidatorV3.
"""
from __future__ import annotations

import json
import traceback
from functools import cache
from typing import TYPE_CHECKING, Any

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import (
    BaseMetadataValidator,
    SchemaTooNewError,
    SchemaTooOldError,
)
from nbgrader.preprocessors import CheckCellMetadata

if TYPE_CHECKING:
    from nbformat import NotebookNode


@cache
def _compiled(schema_json: str) -> Any:
    schema = json.loads(schema_json)
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


class _SchemaOnceBase(BaseMetadataValidator):
    def _validator(self) -> Any:
        if getattr(self, "_compiled_validator", None) is None:  # once per notebook
            self._compiled_validator = _compiled(json.dumps(self.schema, sort_keys=True))
        return self._compiled_validator

    def validate_cell(self, cell: NotebookNode) -> None:
        """nbgrader's BaseMetadataValidator.validate_cell with a compiled validator."""
        if "nbgrader" not in cell.metadata:
            return
        schema = cell.metadata["nbgrader"].get("schema_version", 0)
        if schema < self.schema_version:
            raise SchemaTooOldError(f"Outdated schema version: {schema} (expected "
                                    f"{self.schema_version})", schema, self.schema_version)
        if schema > self.schema_version:
            raise SchemaTooNewError(f"Schema version is too new: {schema} (expected "
                                    f"{self.schema_version})", schema, self.schema_version)
        error = best_match(self._validator().iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class SchemaOnceValidator(MetadataValidator, _SchemaOnceBase):
    """nbgrader's current MetadataValidator; its ``super().validate_cell`` reaches
    `_SchemaOnceBase` (method resolution order: this, MetadataValidatorV3,
    _SchemaOnceBase, BaseMetadataValidator)."""


class CheckCellMetadataSchemaOnce(CheckCellMetadata):
    """nbgrader's CheckCellMetadata (same checks, same error) with `SchemaOnceValidator`."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        try:
            SchemaOnceValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg) from None
        return nb, resources
