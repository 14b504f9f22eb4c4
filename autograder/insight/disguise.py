"""How a student hides a copied answer, for testing and benchmarking `similarity`.

`disguise(code, rng)` returns the same program with every local name (parameters and
names assigned inside functions) renamed, every comment reworded and the top-level
functions and classes in another order. The behaviour is unchanged as long as no caller
passes those parameters by keyword from another cell. Deterministic for a given
`numpy.random.Generator`.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize

import numpy as np

WORDS = ("value", "tmp", "arr", "res", "acc", "item", "val", "data", "out", "buf",
         "mine", "thing", "q", "z", "w", "aux", "part", "piece", "step", "cur")
COMMENTS = ("# my own work", "# computes the thing", "# TODO check", "# works now",
            "# see lecture", "# helper", "# loop over it", "# done")


def local_names(tree: ast.AST) -> set[str]:
    """Parameters and names assigned inside any function of `tree` (never `self`)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = node.args
            for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                        arguments.vararg, arguments.kwarg]:
                if arg is not None:
                    names.add(arg.arg)
            if not isinstance(node, ast.Lambda):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                        names.add(inner.id)
    names.discard("self")
    return names


def _rename_and_recomment(code: str, rng: np.random.Generator) -> str:
    tree = ast.parse(code)
    taken = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    mapping = {}
    for name in sorted(local_names(tree)):
        new = f"{WORDS[rng.integers(len(WORDS))]}_{rng.integers(100)}"
        while new in taken:
            new += "x"
        taken.add(new)
        mapping[name] = new
    lines = code.splitlines(keepends=True)
    edits = []  # (row, col, end_col, text), applied from the end
    previous = None
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.NAME and token.string in mapping and previous != ".":
            edits.append((*token.start, token.end[1], mapping[token.string]))
        elif token.type == tokenize.COMMENT:
            edits.append((*token.start, token.end[1], COMMENTS[rng.integers(len(COMMENTS))]))
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = token.string
    for row, col, end, text in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + text + line[end:]
    return "".join(lines)


def _reorder(code: str, rng: np.random.Generator) -> str:
    """The top-level function and class definitions of `code` shuffled among their own
    places (other statements stay where they are)."""
    tree = ast.parse(code)
    lines = code.splitlines(keepends=True)
    chunks, kinds, start = [], [], 0
    for node in tree.body:
        first = min([node.lineno, *[d.lineno for d in getattr(node, "decorator_list", [])]]) - 1
        end = node.end_lineno
        if first > start:
            chunks.append("".join(lines[start:first]))
            kinds.append(False)
        chunks.append("".join(lines[first:end]))
        kinds.append(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
        start = end
    tail = "".join(lines[start:])
    places = [i for i, is_def in enumerate(kinds) if is_def]
    order = rng.permutation(len(places))
    if len(places) > 1 and (order == np.arange(len(places))).all():
        order = np.roll(order, 1)
    moved = list(chunks)
    for place, source in zip(places, order):
        moved[place] = chunks[places[source]]
    return "".join(chunk if chunk.endswith("\n") else chunk + "\n" for chunk in moved) + tail


def edit(code: str, rng: np.random.Generator, n: int) -> str:
    """`code` with `n` small edits on random body lines, as a student tinkering with an
    answer: an unused assignment after the line, a redundant `* 1` or a literal rewritten
    (1.0 -> 1.00). Returns `code` unchanged when no line qualifies."""
    lines = code.splitlines()
    body = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith(
        ("def ", "class ", "#", "@", "return", "else", "elif", "except", "finally", '"'))]
    for i in sorted(rng.choice(body, size=min(n, len(body)), replace=False), reverse=True):
        line = lines[i]
        indent = line[:len(line) - len(line.lstrip())]
        kind = rng.integers(3)
        if kind == 0 and not line.rstrip().endswith((":", ",", "(", "[", "\\")):
            lines.insert(i + 1, f"{indent}_unused_{i} = {rng.integers(10)}")
        elif kind == 1 and " * " in line:
            lines[i] = line.replace(" * ", " * 1 * ", 1)
        else:
            lines[i] = re.sub(r"\b(\d+)\.(\d+)\b", r"\1.\g<2>0", line, count=1)
    return "\n".join(lines)


def disguise(code: str, rng: np.random.Generator) -> str:
    """`code` with locals renamed, comments reworded and top-level definitions reordered;
    code that does not parse is returned unchanged."""
    try:
        return _reorder(_rename_and_recomment(code, rng), rng)
    except (SyntaxError, tokenize.TokenError, ValueError, RecursionError):
        return code
