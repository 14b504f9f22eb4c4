"""A test cell cut into visible and hidden segments, as the trusted runner runs it.

nbgrader marks hidden tests with ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``
lines. The runner gets the instructor's source and cuts the cell at those lines into
segments that run in order, in one namespace. What a hidden segment prints (stdout,
stderr) and the error it raises never reach the notebook's outputs: a failure there
becomes one generic error (ename `HIDDEN_ENAME`) with a hint written for students:

- the instructor's hint: a comment line ``# hint: ...`` right after the BEGIN line;
- else `DEFAULT_HINT`.

The markers must stand at the cell's top level (not inside a def, loop or block): each
segment must parse on its own. When one does not, the whole cell counts as one hidden
segment (nothing it prints is shown; fail closed) and `Segment.note` says why.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
HINT_PREFIX = "# hint:"
HIDDEN_ENAME = "HiddenTestFailed"
DEFAULT_HINT = ("your code gives a wrong result (or an error) on inputs other than the "
                "visible examples: check it on other shapes, values and edge cases")
FILENAME = "<trusted test cell>"


@dataclass
class Segment:
    """Top-level statements of a cell. `tree`: their AST (line numbers as in the cell);
    `hidden`: between hidden-test markers; `hint`: the instructor's hint (hidden only)."""
    tree: ast.Module
    hidden: bool
    hint: str | None = None
    note: str | None = None


def has_hidden(source: str) -> bool:
    return any(BEGIN in line for line in source.splitlines())


def _parse(lines: list[str], start: int) -> ast.Module:
    """Parse lines[start:] ... keeping the cell's line numbers (blank lines before)."""
    return ast.parse("\n" * start + "\n".join(lines), filename=FILENAME)


def _hint(lines: list[str]) -> str | None:
    for line in lines:
        text = line.strip()
        if not text:
            continue
        if text.lower().startswith(HINT_PREFIX):
            return text[len(HINT_PREFIX):].strip() or None
        return None
    return None


def split(source: str) -> list[Segment]:
    """The cell's segments in order (empty ones dropped); SyntaxError when the cell does
    not parse as a whole (as a notebook cell would fail)."""
    whole = ast.parse(source, filename=FILENAME)
    lines = source.splitlines()
    if not has_hidden(source):
        return [Segment(whole, hidden=False)]
    parts, start, hidden = [], 0, False
    for number, line in enumerate(lines):
        marker = BEGIN in line or (END in line and hidden)
        if marker:
            parts.append((start, lines[start:number], hidden))
            start, hidden = number + 1, BEGIN in line
    parts.append((start, lines[start:], hidden))
    segments = []
    for first, body, is_hidden in parts:
        if not any(ln.strip() and not ln.strip().startswith("#") for ln in body):
            continue
        try:
            tree = _parse(body, first)
        except SyntaxError:
            return [Segment(whole, hidden=True, note="hidden-test markers inside a block: "
                            "the whole cell ran as hidden")]
        segments.append(Segment(tree, is_hidden, _hint(body) if is_hidden else None))
    return segments or [Segment(whole, hidden=False)]


def hidden_failure(hint: str | None) -> dict:
    """The error output of a failed hidden segment: nothing of the test, a hint."""
    text = ("a hidden test of this cell failed: your code did not give the expected result "
            f"on inputs that are not shown. Hint: {hint or DEFAULT_HINT}")
    return {"output_type": "error", "ename": HIDDEN_ENAME, "evalue": text,
            "traceback": [f"{HIDDEN_ENAME}: {text}"]}
