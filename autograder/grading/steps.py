"""nbgrader's autograde pipelines, made ours: which steps run, in which order, and where.

nbgrader's `Autograde` converter declares two ordered lists, `sanitize_preprocessors` and
`autograde_preprocessors` (configurable: `c.Autograde.autograde_preprocessors = [...]` in
an nbgrader_config.py). We take those lists, from the course's config when it sets them,
else nbgrader's defaults, and change only this:

    replaced   DeduplicateIds -> DeduplicateIdsAndSay          (preprocessors/containment.py)
               SaveAutoGrades -> SaveAutoGradesInOneTransaction (below)
               CheckCellMetadata -> CheckCellMetadataSchemaOnce (preprocessors/metadata.py)
               Execute        -> the sandboxed executor          (worker/)
    inserted   DropWidgetState before OverwriteKernelspec and before SaveAutoGrades;
               CleanTestOutputs before SaveAutoGrades                (preprocessors/containment.py)

and split the autograde list where the gradebook is first needed:

    sanitize   parent   nbgrader's sanitize list
    execute    worker   the autograde list up to SaveAutoGrades (Execute first)
    record     parent   SaveAutoGrades and what follows it

With nbgrader's defaults that is

    sanitize   ClearOutput, DeduplicateIdsAndSay, DropWidgetState, OverwriteKernelspec,
               OverwriteCells, CheckCellMetadataSchemaOnce
    execute    Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput
    record     DropWidgetState, CleanTestOutputs, SaveAutoGradesInOneTransaction,
               AssignLatePenalties, CheckCellMetadataSchemaOnce

(nbconvert's ClearMetadataPreprocessor is disabled unless configured, as in nbgrader).
The worker steps travel to the worker as import paths, so they must be importable there.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbgrader.api import Gradebook
from nbgrader.converters import Autograde
from nbgrader.preprocessors import (
    CheckCellMetadata,
    DeduplicateIds,
    Execute,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets.config import Config
from traitlets.utils.importstring import import_item

from autograder.common.errors import UsageError
from autograder.preprocessors.containment import CleanTestOutputs, DeduplicateIdsAndSay, DropWidgetState
from autograder.preprocessors.metadata import CheckCellMetadataSchemaOnce

if TYPE_CHECKING:
    from nbformat import NotebookNode


class SaveAutoGradesInOneTransaction(SaveAutoGrades):
    """nbgrader's SaveAutoGrades commits after every cell; here the per-cell commits only
    flush and the hand-in's grades are committed together, so a kill -9 leaves all of
    them or none."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        with Gradebook(self.db_url) as self.gradebook:
            session = self.gradebook.db
            session.commit = session.flush
            try:
                nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
            except BaseException:
                session.rollback()
                raise
            finally:
                del session.commit
            session.commit()
        return nb, resources


REPLACED = {DeduplicateIds: DeduplicateIdsAndSay, SaveAutoGrades: SaveAutoGradesInOneTransaction,
            CheckCellMetadata: CheckCellMetadataSchemaOnce}
INSERTED_BEFORE = {OverwriteKernelspec: [DropWidgetState],
                   SaveAutoGrades: [DropWidgetState, CleanTestOutputs]}
LISTS = ("sanitize_preprocessors", "autograde_preprocessors")


@dataclass(frozen=True)
class Pipelines:
    """Step classes in order. `execute[0]` is nbgrader's Execute: the worker runs its own
    sandboxed executor in its place; `execute_paths()` names the others for the worker."""
    sanitize: list[type]
    execute: list[type]
    record: list[type]

    def execute_paths(self) -> tuple[str, ...]:
        """Import paths of the worker's steps after Execute ("module.Class")."""
        return tuple(f"{step.__module__}.{step.__qualname__}" for step in self.execute[1:])


def _configured(config: Config, name: str) -> list[type]:
    """nbgrader's list `Autograde.<name>` from `config`, else its default; import strings
    (as a .json config has them) are imported."""
    section = config.get("Autograde", {})
    steps = section[name] if name in section else Autograde.class_traits()[name].default()
    resolved = []
    for step in steps:
        if isinstance(step, str):
            try:
                step = import_item(step)
            except Exception as error:
                raise UsageError(f"Autograde.{name}: cannot import {step!r} ({error})") from None
        if not (isinstance(step, type) and hasattr(step, "preprocess")):
            raise UsageError(f"Autograde.{name}: {step!r} is not a preprocessor class; a "
                             "list of nbconvert/nbgrader Preprocessor classes is accepted")
        resolved.append(step)
    return resolved


def _ours(steps: list[type]) -> list[type]:
    out = []
    for step in steps:
        out += INSERTED_BEFORE.get(step, [])
        out.append(REPLACED.get(step, step))
    return out


def build(config: Config) -> Pipelines:
    """Our three pipelines from nbgrader's lists in `config` (see the module docstring).
    Raises UsageError when the autograde list cannot be split: it must start with
    Execute and contain SaveAutoGrades, as nbgrader's default does."""
    sanitize = _ours(_configured(config, "sanitize_preprocessors"))
    autograde = _configured(config, "autograde_preprocessors")
    names = [step.__name__ for step in autograde]
    if not autograde or autograde[0] is not Execute or SaveAutoGrades not in autograde:
        raise UsageError("Autograde.autograde_preprocessors must start with Execute and "
                         f"contain SaveAutoGrades (nbgrader's default does); got {names}")
    if autograde.count(Execute) > 1 or autograde.count(SaveAutoGrades) > 1:
        raise UsageError(f"Autograde.autograde_preprocessors lists Execute or SaveAutoGrades "
                         f"twice: {names}")
    split = autograde.index(SaveAutoGrades)
    execute, record = autograde[:split], _ours(autograde[split:])
    return Pipelines(sanitize=sanitize, execute=execute, record=record)


def worker_config(config: Config) -> Config:
    """`config` without nbgrader's step lists: the worker gets its steps as import paths
    (a config file may hold classes, which need not pickle)."""
    copy = Config(config)
    if "Autograde" in copy:
        copy.Autograde = Config({k: v for k, v in copy.Autograde.items() if k not in LISTS})
    return copy


def worker_steps(paths: tuple[str, ...], config: Config) -> list:
    """The worker's steps after Execute, instantiated from their import paths."""
    return [import_item(path)(config=config) for path in paths]
