"""Which names the trusted runner may take from the student's notebook, decided statically
from the INSTRUCTOR's source notebook (never from a hand-in).

A test cell that reads a name it did not define (``Net``, ``sigmoid``) gets the student's
global of that name only when the name is *declared*: bound at the top level of one of the
instructor's solution cells (what the student is asked to write) and bound by none of the
trusted cells (tests and test helpers). Every other missing name is a NameError in the
runner: a helper the tests define (``_vg_run``, ``np``) can never come from the student,
not even when the cell that defines it did not run. Test code reaches any other student
global explicitly, with ``coursepkg.grading.get_student_global("grad_w")``.

"Bound" is read with `ast`, over every statement that runs at the cell's top level
(inside if/for/while/try/with/match too, not inside def/class/lambda bodies):
assignments (also augmented, annotated, starred and nested targets), def and class
names, imports (``import a.b`` binds ``a``), for/with/except/match targets, walrus
targets (also in comprehensions), ``del`` targets, and every ``global`` declaration in
a function of the cell. A cell that does not parse binds nothing it can be trusted for:
its names are unknown, so a trusted cell that does not parse makes the whole solution
set empty (fail closed).
"""
from __future__ import annotations

import ast
from collections.abc import Iterable

import nbformat

from autograder.common import cells

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class _Binder(ast.NodeVisitor):
    """Collects the module-level names one cell binds."""

    def __init__(self):
        self.names: set[str] = set()

    def _target(self, node: ast.AST | None) -> None:
        if node is None:
            return
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                self.names.add(sub.id)
            elif isinstance(sub, ast.Starred) and isinstance(sub.value, ast.Name):
                self.names.add(sub.value.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._target(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._target(node.target)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._target(node.target)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        self._target(node.target)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            self._target(item.optional_vars)
        self.generic_visit(node)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.names.add(node.name)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._target(target)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.names.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.names.add(alias.asname or alias.name)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.names.add(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.names.add(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.names.add(node.rest)
        self.generic_visit(node)

    def _scope(self, node: ast.AST) -> None:
        """def/class/lambda: its name, and what its decorators, defaults and bases (run
        at module level) bind; nothing of its body but `global` declarations."""
        outer = list(getattr(node, "decorator_list", [])) + list(getattr(node, "bases", []))
        if hasattr(node, "args"):
            outer += list(node.args.defaults) + [d for d in node.args.kw_defaults if d]
        for part in outer:
            self.visit(part)
        if not isinstance(node, ast.Lambda):
            self.names.add(node.name)
        for sub in ast.walk(node):  # `global x` in a function binds the module's x
            if isinstance(sub, ast.Global):
                self.names.update(sub.names)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scope(node)

    def visit_ListComp(self, node: ast.AST) -> None:  # comprehension targets are local,
        for sub in ast.walk(node):                     # walrus targets are not
            if isinstance(sub, ast.NamedExpr):
                self._target(sub.target)
            if isinstance(sub, ast.Global):
                self.names.update(sub.names)

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp


def bound_names(source: str) -> set[str] | None:
    """The names the cell `source` binds at module level; None when it does not parse.
    IPython magics (lines starting with % or !) are dropped before parsing."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return None
    binder = _Binder()
    binder.visit(tree)
    return binder.names


def student_names(source_notebook: nbformat.NotebookNode,
                  trusted_ids: Iterable[str]) -> tuple[str, ...]:
    """The declared names: bound by a solution cell of the instructor's notebook, bound by
    no trusted cell (grade_ids `trusted_ids`). Sorted, for the Job."""
    trusted_ids = set(trusted_ids)
    solution, instructor = set(), set()
    for cell in source_notebook.cells:
        if cell.cell_type != "code":
            continue
        names = bound_names(cell.source)
        if cells.grade_id(cell) in trusted_ids:
            if names is None:
                return ()
            instructor |= names
        elif cells.is_answer(cell) and names is not None:
            solution |= names
    return tuple(sorted(solution - instructor))
