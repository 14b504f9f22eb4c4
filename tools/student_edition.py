"""Build the student edition: what students get instead of the instructor repository.

    python tools/student_edition.py [--html _build/html | --no-book] [--out _build/student-edition]

writes ``OUT/`` and ``OUT.zip`` (one top folder ``student-edition/``) with

    book/          the rendered book (a copy of the ``--html`` folder)
    exercises/     the released notebooks (``python -m autograder release`` output)
    coursepkg/     the helper package (``courseref``, the reference answers, is not in it)
    autograder/    only what ``python -m autograder validate`` imports
    README.md      set-up, the local check, hand-in
    pyproject.toml, requirements*.txt   to install the two packages and their dependencies

and never ``solutions/``, hidden tests or ``courseref/``. Copying is by allow-list, and
before anything is written out the folder is audited (``audit``): no file may contain an
nbgrader solution/hidden-test marker or a line of a source notebook's hidden tests, no
``.py`` file may define an exercise's answer at module level. A failed audit removes the
half-built folder and exits with status 1 naming each problem, so a leak never ships.
"""
from __future__ import annotations

import argparse
import ast
import html
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# Entry modules of `python -m autograder validate`; the audit adds what they import.
VALIDATE_ENTRY = ("__init__.py", "__main__.py", "cli.py", "validate.py")
# cli.py imports every sub-command lazily inside run(); only its module-level imports count.
LAZY_IMPORTERS = ("cli.py",)
# Solution-cell names that coursepkg may define: the vanishing_gradients notebook copies
# dp's Optimizer/SGD and the exercise extends them (dp's own record no gradient log).
GIVEN_NAMES = {"Optimizer", "SGD"}
MIN_LINE = 30   # hidden-test lines shorter than this ("x = 1.0") prove nothing
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".jupyter_cache"}


class EditionError(Exception):
    """The edition cannot be built (bad input) or did not pass the audit."""


# ----------------------------------------------------------------------------- sources
def _cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _flat(text: str) -> str:
    """``text`` with every run of white space made one blank, stripped."""
    return re.sub(r"\s+", " ", text).strip()


def hidden_test_lines(solutions: Path, release: Path) -> dict[str, str]:
    """{line: notebook} of the hidden-test regions of every source notebook (white space
    flattened), without what a released notebook shows anyway and lines under MIN_LINE."""
    shown = " ".join(_flat(_source(cell)) for nb in release.glob("*/*.ipynb")
                     for cell in _cells(nb))
    lines = {}
    for nb in sorted(solutions.glob("*/*.ipynb")):
        for cell in _cells(nb):
            inside = False
            for ln in _source(cell).splitlines():
                if "BEGIN HIDDEN TESTS" in ln:
                    inside = True
                elif "END HIDDEN TESTS" in ln:
                    inside = False
                elif inside and len(ln.strip()) >= MIN_LINE and _flat(ln) not in shown:
                    lines[_flat(ln)] = nb.name
    return lines


def answer_names(solutions: Path) -> dict[str, str]:
    """{name: notebook} of every function/class a solution cell defines."""
    names = {}
    for nb in sorted(solutions.glob("*/*.ipynb")):
        for cell in _cells(nb):
            if cell.get("cell_type") == "code" and \
                    cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                for name in re.findall(r"^(?:def|class) (\w+)", _source(cell), re.M):
                    names[name] = nb.name
    return names


def validate_modules(package: Path) -> list[str]:
    """File names in ``package`` (autograder/) that ``validate`` needs: VALIDATE_ENTRY and
    the modules their relative imports reach (module level only for LAZY_IMPORTERS)."""
    needed, todo = set(), list(VALIDATE_ENTRY)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        if not (package / name).is_file():
            raise EditionError(f"{package / name} is missing: validate needs it")
        needed.add(name)
        tree = ast.parse((package / name).read_text(encoding="utf-8"))
        nodes = tree.body if name in LAZY_IMPORTERS else ast.walk(tree)
        for node in nodes:
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                targets = [node.module] if node.module else [a.name for a in node.names]
                todo += [t.split(".")[0] + ".py" for t in targets]
    return sorted(needed)


# ----------------------------------------------------------------------------- audit
def _text(path: Path) -> str:
    """What a reader sees in a file: notebooks' strings, HTML without tags, else the text."""
    raw = path.read_bytes().decode("utf-8", errors="ignore")
    if path.suffix == ".ipynb":
        strings = []

        def walk(value):
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, list):
                [walk(v) for v in value]
            elif isinstance(value, dict):
                [walk(v) for v in value.values()]
        walk(json.loads(raw))
        raw = "".join(strings)
    elif path.suffix in (".html", ".htm", ".xml"):
        raw = raw + "\n" + html.unescape(re.sub(r"<[^>]+>", "", raw))
    return raw


def audit(edition: Path, solutions: Path, release: Path) -> list[str]:
    """Problems of an edition folder; an empty list means it may ship."""
    hidden = hidden_test_lines(solutions, release)
    answers = answer_names(solutions)
    problems = []
    for path in sorted(p for p in edition.rglob("*") if p.is_file()):
        rel = path.relative_to(edition)
        if {"solutions", "courseref", "source"} & set(rel.parts[:-1]):
            problems.append(f"{rel}: instructor folder {rel.parts[0]}/ must not ship")
            continue
        if path.stat().st_size > 50_000_000 or path.suffix in (".png", ".jpg", ".woff",
                                                               ".woff2", ".ttf", ".ico"):
            continue
        text = _text(path)
        problems += [f"{rel}: contains the marker {m!r}" for m in MARKERS if m in text]
        flat = _flat(text)
        for line, nb in hidden.items():
            if line in flat:
                problems.append(f"{rel}: contains a hidden test line of {nb}: {line[:60]!r}")
        if path.suffix == ".py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            top = {n.name for n in tree.body
                   if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))}
            for name in sorted(top & set(answers) - GIVEN_NAMES):
                problems.append(f"{rel}: defines {name}, an answer of {answers[name]}")
    return problems


# ----------------------------------------------------------------------------- build
def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=lambda d, names: [n for n in names if n in SKIP_DIRS
                                                       or n.endswith(".pyc")])


STUDENT_PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "activation-functions-course-student"
version = "0.1.0"
description = "Student edition of the Activation Functions course: helper package and local check"
requires-python = ">=3.11"

[tool.setuptools.packages.find]
include = ["coursepkg*", "autograder*"]
"""

STUDENT_README = """\
# Activation Functions: student edition

This folder holds what you need for the course: the rendered book (`book/`), the
exercise notebooks (`exercises/`), the helper package `coursepkg` the notebooks import,
and the local check (`python -m autograder validate`). It contains no solutions and no
hidden tests; those stay with your instructor.

## Set up (once)

Python 3.11 or newer; everything runs offline on a laptop CPU.

```bash
python3 -m venv .venv
source .venv/bin/activate          # Windows: .venv\\Scripts\\activate
pip install -r requirements.txt    # numpy, matplotlib, TensorFlow, Jupyter, nbgrader, ...
pip install --no-deps -e .         # coursepkg and the local check, from this folder
```

## Read the book

Open `book/index.html` in a browser. The chapters run their code with `coursepkg`
and the course's reference code; you see the results, not that code.

## Solve an exercise

```bash
jupyter lab exercises/activations/activations.ipynb
```

Fill in the `YOUR CODE HERE` and `YOUR ANSWER HERE` cells and run the test cells below
each exercise: a failing test says what it expected, what it found and gives a hint.

## Check before you hand in

Restart the kernel and run all cells (Kernel > Restart & Run All), then, from this folder:

```bash
python -m autograder validate exercises/activations/activations.ipynb
```

It runs a copy of your notebook and prints PASS/FAIL per visible test with its points;
your file is not changed. At grading, hidden tests (other inputs, other network shapes)
run as well, so make your code general.

## Hand in

Hand in the `.ipynb` file itself, under its original name (`activations.ipynb`,
`vanishing_gradients.ipynb`, `grokking_mnist.ipynb`), the way your instructor says
(JupyterHub exchange or the LMS upload). Do not rename or delete cells: the grader
finds the tests by their cell ids.
"""


def build(out: Path, html_dir: Path | None, repo: Path = REPO) -> list[str]:
    """Write ``out/`` and ``out.zip``; returns the edition's files (relative paths).

    html_dir: the rendered book (``_build/html``) or None for an edition without it (tests).
    Raises EditionError on bad input or a failed audit (then nothing is left at ``out``).
    """
    solutions, release = repo / "solutions", repo / "exercises"
    if html_dir is not None and not (Path(html_dir) / "index.html").is_file():
        raise EditionError(f"{html_dir} is not a rendered book (no index.html): run "
                           f"`make book` first, or pass --no-book")
    if not any(release.glob("*/*.ipynb")):
        raise EditionError(f"{release} has no released notebooks: run "
                           "`python -m autograder release` first")
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    try:
        if html_dir is not None:
            _copy_tree(Path(html_dir), out / "book")
        _copy_tree(release, out / "exercises")
        _copy_tree(repo / "coursepkg", out / "coursepkg")
        (out / "autograder").mkdir()
        for name in validate_modules(repo / "autograder"):
            shutil.copy2(repo / "autograder" / name, out / "autograder" / name)
        for name in ("requirements.txt", "requirements.lock", "requirements-lock.txt"):
            if (repo / name).is_file():
                shutil.copy2(repo / name, out / name)
        (out / "pyproject.toml").write_text(STUDENT_PYPROJECT, encoding="utf-8")
        (out / "README.md").write_text(STUDENT_README, encoding="utf-8")
        problems = audit(out, solutions, release)
        if problems:
            raise EditionError("the student edition would leak answers:\n  "
                               + "\n  ".join(problems))
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    with zipfile.ZipFile(out.with_suffix(".zip"), "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in files:
            zf.write(out / rel, f"student-edition/{rel}")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/student_edition.py", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "_build" / "student-edition")
    book = parser.add_mutually_exclusive_group()
    book.add_argument("--html", type=Path, default=REPO / "_build" / "html",
                      help="the rendered book to include (default: _build/html)")
    book.add_argument("--no-book", action="store_true", help="leave the book out")
    args = parser.parse_args(argv)
    try:
        files = build(args.out, None if args.no_book else args.html)
    except EditionError as error:
        print(f"student-edition: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}/ ({len(files)} files) and {args.out.with_suffix('.zip')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
