"""The student edition's leak audit: no shipped file may hold an answer or a hidden test.

``secrets(solutions)`` reads the instructor's source notebooks (``solutions/<id>/<id>.ipynb``)
and returns every line a student must not be given:

- **answer lines**: every line of every nbgrader solution cell, code or markdown (inside
  ``BEGIN SOLUTION``/``END SOLUTION`` when the cell has the markers, else the whole cell:
  what nbgrader replaces by ``YOUR CODE HERE`` / ``YOUR ANSWER HERE``);
- **hidden-test lines**: every line between ``BEGIN HIDDEN TESTS`` and ``END HIDDEN TESTS``.

``audit(edition, solutions)`` then looks for each of them in every shipped file (white
space normalised: every run of blanks and newlines counts as one blank, so a line wrapped
or split into highlighting ``<span>``s is still found; the typographic minus counts as
``-``). The text of a file is what a reader sees: a notebook's strings (cells and
outputs), an HTML page both raw and with its tags removed and entities unescaped, any
other file as UTF-8 text.

A line that proves nothing is not looked for (the rule, tested in tests/tools/):

1. **short**: under ``MIN_CHARS`` characters once normalised (``s = sigmoid(x)``,
   ``return W, b``, ``W = W @ W_k``);
2. **generic**: Python syntax that says nothing about an answer (``GENERIC``): imports,
   lone brackets and keywords (``else:``, ``pass``, ``return``), ``return`` of bare names,
   ``super().__init__()``, ``plt.show()``, storing an argument (``self.act_func =
   act_func``), the argument conversion ``x = np.asarray(x, dtype=float)`` and
   ``with np.errstate(all="ignore"):``;
3. **given anyway**: the line occurs (as a line or inside one) in what the instructor's
   notebook shows students on purpose, outside the tests: its markdown, the given code
   cells, and the parts of the solution cells around the solution (signatures,
   docstrings). For a hidden-test line the visible test cells count as shown too (a hidden
   line equal to a visible one tells nothing). Visible *test* cells (graded cells and the
   ``test_`` helper cells the trusted runner runs, as ``autograder.grading.grader.trusted_cells``
   decides) never excuse an answer line: a reference implementation in a visible test
   cell is a leak.

The exemptions come from the instructor's sources, never from the shipped files, so an
answer planted in a released notebook is found like one planted anywhere else.
"""
from __future__ import annotations

import ast
import bisect
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.common import cells

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# A marker as nbgrader writes it: a comment that ends its line (prose that names a marker,
# as in "between ``### BEGIN HIDDEN TESTS`` and ...", is not one).
MARKER_LINE = re.compile(r"#+\s*(" + "|".join(MARKERS) + r")\s*$", re.M)
MIN_CHARS = 16
GENERIC = [re.compile(p) for p in (
    r"(from \S+ )?import [\w., ]+( as \w+)?",           # imports
    r"[\s()\[\]{}:,;.\\]*",                              # lone brackets, punctuation
    r"(else|try|finally|pass|break|continue|return|raise|\$\$|```\w*)\s*:?",
    r"except( \w+( as \w+)?)?:",
    r"return \(?\w+(, \w+)*\)?",                          # return of bare names / tuples
    r"super\(\)\.__init__\(\)",
    r"self\.(\w+) = \1",                                  # storing an argument
    r"plt\.show\(\)|fig\.tight_layout\(\)",
    r"(\w+) = np\.asarray\(\1(, dtype=\w+)?\)",          # argument conversion
    r"with np\.errstate\([\w=\"', ]*\):",                # numpy's error state
    r"#+ (BEGIN|END) (SOLUTION|HIDDEN TESTS)",
)]
# Solution-cell names that coursepkg may define: the vanishing_gradients notebook copies
# dp's Optimizer/SGD and the exercise extends them (dp's own record no gradient log).
GIVEN_NAMES = {"Optimizer", "SGD"}
SKIP_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".woff", ".woff2", ".ttf", ".ico", ".npz",
                 ".npy", ".zip", ".pdf", ".eot", ".otf")
MAX_BYTES = 50_000_000


@dataclass(frozen=True)
class Secret:
    """One line a student must not get: ``text`` (normalised), what it is and where from."""
    text: str
    kind: str     # "answer" or "hidden test"
    origin: str   # "activations.ipynb, cell sigmoid_tanh, line 5"


def flat(text: str) -> str:
    """``text`` with every run of white space made one blank, the typographic minus (U+2212,
    as prose writes formulas) made ``-``, stripped."""
    return re.sub(r"\s+", " ", text.replace("\u2212", "-")).strip()


def proves_nothing(line: str) -> bool:
    """Rules 1 and 2 of the module docstring, for a normalised line."""
    return len(line) < MIN_CHARS or any(p.fullmatch(line) for p in GENERIC)


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _regions(text: str, begin: str, end: str) -> tuple[list[tuple[int, str]], list[str]]:
    """(numbered lines inside begin/end regions, lines outside), marker lines dropped."""
    inside, outside, active = [], [], False
    for number, line in enumerate(text.splitlines(), 1):
        if begin in line:
            active = True
        elif end in line:
            active = False
        else:
            (inside.append((number, line)) if active else outside.append(line))
    return inside, outside


def _is_test(cell: dict) -> bool:
    """Graded test cells and ``test_`` helper cells (of any cell type; autograder/common/cells.py)."""
    return cells.is_test(cell) or (cells.grade_id(cell) or "").startswith(cells.HELPER_PREFIX)


def _notebook_secrets(nb: Path) -> tuple[list[Secret], set[str], set[str]]:
    """(secrets, task material, visible tests) of one source notebook; the last two as the
    normalised visible text of each cell (a secret may span a cell's lines, not cells)."""
    found, given, tests = [], set(), set()
    for index, cell in enumerate(json.loads(nb.read_text(encoding="utf-8"))["cells"]):
        name = cells.grade_id(cell) or f"#{index}"
        text = _source(cell)
        hidden, visible = _regions(text, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
        found += [Secret(flat(ln), "hidden test", f"{nb.name}, cell {name}, line {n}")
                  for n, ln in hidden]
        if cells.is_answer(cell):
            if "BEGIN SOLUTION" in text:
                answer, template = _regions(text, "BEGIN SOLUTION", "END SOLUTION")
            else:
                answer, template = list(enumerate(text.splitlines(), 1)), []
            found += [Secret(flat(ln), "answer", f"{nb.name}, cell {name}, line {n}")
                      for n, ln in answer]
            given.add(flat(" ".join(template)))
        elif _is_test(cell):
            tests.add(flat(" ".join(visible)))
        else:
            given.add(flat(" ".join(visible)))
    return found, given, tests


def secrets(solutions: Path) -> list[Secret]:
    """Every answer and hidden-test line of ``solutions/*/*.ipynb`` that proves something
    (the module docstring's rules), one entry per distinct line, first origin kept."""
    found, given, tests = [], set(), set()
    for nb in sorted(Path(solutions).glob("*/*.ipynb")):
        f, g, t = _notebook_secrets(nb)
        found, given, tests = found + f, given | g, tests | t
    given_text = "\n".join(sorted(given))
    shown_text = given_text + "\n" + "\n".join(sorted(tests))
    kept = {}
    for s in found:
        shown = given_text if s.kind == "answer" else shown_text
        if s.text not in kept and not proves_nothing(s.text) and s.text not in shown:
            kept[s.text] = s
    return list(kept.values())


def answer_names(solutions: Path) -> dict[str, str]:
    """{name: notebook} of every function/class a solution cell defines."""
    names = {}
    for nb in sorted(Path(solutions).glob("*/*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell.get("cell_type") == "code" and cells.is_answer(cell):
                for name in re.findall(r"^(?:def|class) (\w+)", _source(cell), re.M):
                    names[name] = nb.name
    return names


# ----------------------------------------------------------------------------- reading
def _strip_tags(raw: str) -> str:
    """HTML without its tags (a tag's newlines kept, so line numbers stay), unescaped."""
    return html.unescape(re.sub(r"<[^>]*>", lambda m: "\n" * m.group().count("\n"), raw))


def views(path: Path) -> list[tuple[str, list[str]]]:
    """What a reader sees in ``path``: [(label, lines)], label naming the file part."""
    raw = path.read_bytes().decode("utf-8", errors="ignore")
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(raw).get("cells", [])
        except (json.JSONDecodeError, AttributeError):
            return [("", raw.splitlines())]
        out = []
        for index, cell in enumerate(cells):
            label = f"cell {index} ({cell.get('id', 'no id')})"
            out.append((label, _source(cell).splitlines()))
            out.append((f"{label} output", [line for output in cell.get("outputs", [])
                                            for line in _output_lines(output)]))
        return out
    if path.suffix in (".html", ".htm", ".xml"):
        return [("", raw.splitlines()), ("text", _strip_tags(raw).splitlines())]
    return [("", raw.splitlines())]


def _output_lines(output: dict) -> list[str]:
    """The lines of one notebook output: stream text, every representation of a result or
    display (each nbformat multi-line string joined first), an error's traceback."""
    lines = []
    for key, value in output.items():
        if key in ("output_type", "name", "execution_count", "metadata"):
            continue
        if key == "traceback":
            lines += [str(v) for v in value]
            continue
        for item in (value.values() if key == "data" and isinstance(value, dict) else [value]):
            if isinstance(item, list):
                item = "".join(str(v) for v in item)
            lines += (item if isinstance(item, str) else json.dumps(item)).splitlines()
    return lines


def find(lines: list[str], wanted: list[Secret]) -> list[tuple[int, Secret]]:
    """[(1-based line where it starts, secret)] for every secret found in ``lines``
    (white space normalised, so a secret may span lines)."""
    parts, starts, pos = [], [], 0
    for number, line in enumerate(lines, 1):
        f = flat(line)
        if f:
            starts.append(pos)
            parts.append((number, f))
            pos += len(f) + 1
    text = " ".join(f for _, f in parts)
    hits = []
    for s in wanted:
        at = text.find(s.text)
        if at >= 0:
            hits.append((parts[bisect.bisect_right(starts, at) - 1][0], s))
    return hits


# ----------------------------------------------------------------------------- audit
def audit(edition: Path, solutions: Path) -> list[str]:
    """Problems of an edition folder, one line each (file, line, what it matches); an empty
    list means it may ship."""
    wanted = secrets(solutions)
    answers = answer_names(solutions)
    problems = []
    for path in sorted(p for p in Path(edition).rglob("*") if p.is_file()):
        rel = path.relative_to(edition)
        if {"solutions", "courseref", "source"} & set(rel.parts[:-1]):
            problems.append(f"{rel}: instructor folder {rel.parts[0]}/ must not ship")
            continue
        if path.stat().st_size > MAX_BYTES or path.suffix.lower() in SKIP_SUFFIXES:
            continue
        seen = set()
        for label, lines in views(path):
            where = f"{rel}{', ' + label if label else ''}"
            joined = "\n".join(lines)
            problems += [f"{where}: contains the marker {m!r}"
                         for m in dict.fromkeys(MARKER_LINE.findall(joined))]
            for number, s in find(lines, wanted):
                if s.text in seen:
                    continue
                seen.add(s.text)
                problems.append(f"{where}, line {number}: holds the {s.kind} line "
                                f"{s.text[:100]!r} of {s.origin}")
        if path.suffix == ".py":
            problems += _answer_definitions(path, rel, answers)
    return problems


def _answer_definitions(path: Path, rel: Path, answers: dict[str, str]) -> list[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError as error:
        return [f"{rel}: not valid Python ({error.msg}, line {error.lineno})"]
    top = {n.name for n in tree.body
           if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)}
    return [f"{rel}: defines {name}, an answer of {answers[name]}"
            for name in sorted(top & set(answers) - GIVEN_NAMES)]
