"""Build the student edition: what students get instead of the instructor repository.

    python tools/student_edition.py [--html _build/html | --no-book] [--out _build/student-edition]

writes ``OUT/`` and ``OUT.zip`` (one top folder ``student-edition/``) with

    book/          the rendered book (a copy of the ``--html`` folder)
    notebooks/     every chapter as a notebook (the book's ``.ipynb`` twins) and its matplotlibrc
    exercises/     the released notebooks (``python -m autograder release`` output)
    coursepkg/     the helper package with its data (``coursepkg/bookdata``); ``courseref``,
                   the reference answers, is not in it
    autograder/    only what ``python -m autograder validate`` imports
    README.md      set-up, the chapters, the local check, hand-in
    pyproject.toml                 installs coursepkg and the local check
    requirements.txt, .lock        the student install: ``requirements-student.txt`` and its
                                   hash-pinned lock ``requirements-student.lock`` (make lock-student)

and never ``solutions/``, hidden tests or ``courseref/``. Copying is by allow-list, and
before anything is written out the folder is audited (``edition_audit.audit``): every line
of every solution cell and every hidden-test line is looked for in every shipped file (the
rule for lines that prove nothing is in edition_audit's docstring), and no ``.py`` file may
define an exercise's answer. A failed audit removes the half-built folder and exits with
status 1 naming each file, line and the solution cell it matches, so a leak never ships.
"""
from __future__ import annotations

import argparse
import ast
import shutil
import sys
import textwrap
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edition_audit import audit  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
# Entry modules of `python -m autograder validate`; the audit adds what they import. The
# command table (autograder/commands/__init__.py) names the other commands by string and
# imports only the chosen one, so they are not followed.
VALIDATE_ENTRY = ("__init__.py", "__main__.py", "commands/__init__.py", "commands/validate.py")
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".jupyter_cache"}
# The student install: source in the repository -> name in the edition.
STUDENT_REQUIREMENTS = {"requirements-student.txt": "requirements.txt",
                        "requirements-student.lock": "requirements.lock"}


class EditionError(Exception):
    """The edition cannot be built (bad input) or did not pass the audit."""


def _module_file(package: Path, dotted: str) -> str | None:
    """autograder.x.y -> "x/y.py" (or "x/y/__init__.py"), relative to `package`."""
    parts = dotted.split(".")[1:]
    for candidate in ("/".join(parts) + ".py", "/".join(parts + ["__init__.py"])):
        if candidate.strip("/") and (package / candidate).is_file():
            return candidate
    return None


def validate_modules(package: Path) -> list[str]:
    """Files in ``package`` (autograder/), relative paths, that ``validate`` needs:
    VALIDATE_ENTRY, every autograder module they import (at any level), and the
    ``__init__.py`` of each folder on the way."""
    needed, todo = set(), list(VALIDATE_ENTRY)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        if not (package / name).is_file():
            raise EditionError(f"{package / name} is missing: validate needs it")
        needed.add(name)
        folder = Path(name).parent
        if folder != Path("."):
            todo.append(str(folder / "__init__.py"))
        for node in ast.walk(ast.parse((package / name).read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] == "autograder":
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.split(".")[0] == "autograder"]
            todo += [f for f in map(lambda t: _module_file(package, t), targets) if f]
    return sorted(needed)


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

[tool.setuptools.package-data]
# the results the book's chapters load (coursepkg.bookdata), also for a non-editable install
"coursepkg.bookdata" = ["*.npz"]
"""

STUDENT_README = """\
# Activation Functions: student edition

This folder holds what you need for the course: the rendered book (`book/`), every chapter
as a notebook you can run (`notebooks/`), the exercise notebooks (`exercises/`), the
helper package `coursepkg` the notebooks import, and the local check (`python -m
autograder validate`). It contains no solutions and no hidden tests; those stay with your
instructor.

## Set up (once)

Python 3.11 or newer. The lock covers Linux, macOS and Windows (the course is tested on
Linux); everything runs on a laptop CPU, and offline once installed.

```bash
python3 -m venv .venv
source .venv/bin/activate          # Windows: .venv\\Scripts\\activate
pip install --require-hashes -r requirements.lock   # the exact, checked versions
pip install --no-deps --no-build-isolation -e .     # coursepkg and the local check
```

`requirements.lock` pins every package with its hashes (numpy, matplotlib, scikit-learn,
TensorFlow for the CPU, JupyterLab, nbgrader, ...), so you get the versions the course
was tested with and pip refuses anything else; `requirements.txt` lists the same packages
as version ranges, if you manage your environment yourself.

{install_figures}

## Read the book, run the chapters

Open `book/index.html` in a browser. Every chapter with code is also a notebook in
`notebooks/`: `jupyter lab notebooks/activation_zoo.ipynb`, then *Run > Run All Cells*.
A chapter never uses an exercise's solution: results that need one (the trained
networks of the vanishing-gradient and Grokking chapters, for instance) are loaded from
data that `coursepkg` ships, and the chapter shows how to re-run them with your own
solution once you have it. The *Deeper networks* chapter trains six Keras networks the
first time (a few minutes) and keeps them in `~/.cache/coursepkg/deepnets/`.

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
# Measured on the course's build machine (Linux x86_64, CPython 3.11.7, pip 23.2.1, 2 cores
# shared with other jobs): `du` of the venv after the two commands above; pip's CPU time
# from downloaded wheels (user + sys), and the wall time of the download. Re-measure when
# the lock changes (tests/tools/test_student_install.py prints the size).
INSTALL_FIGURES = ("The environment takes {size} on disk. The first `pip install` downloads "
                   "{download} of wheels once and then needs about {cpu} of CPU time to "
                   "unpack and compile them (measured: {measured}).")
MEASURED = {"size": "2.3 GB", "download": "475 MB", "cpu": "70 s",
            "measured": "2.25 GB and 68 s of CPU on Linux x86_64 with CPython 3.11; the download "
                        "took 2 min 54 s here, the whole first install 3 min 31 s, on a busy "
                        "machine"}


def _copy_sources(out: Path, html_dir: Path | None, repo: Path) -> None:
    """Copy the allow-listed parts of ``repo`` into ``out`` (see the module docstring)."""
    release, chapters = repo / "exercises", sorted((repo / "book").glob("*.ipynb"))
    if not chapters:
        raise EditionError(f"{repo / 'book'} has no chapter notebooks (*.ipynb twins): "
                           "`make book` writes them")
    missing = [name for name in STUDENT_REQUIREMENTS if not (repo / name).is_file()]
    if missing:
        raise EditionError(f"{', '.join(missing)} missing in {repo}: the edition ships the "
                           "student install (`make lock-student` writes the lock)")
    if html_dir is not None:
        _copy_tree(Path(html_dir), out / "book")
    _copy_tree(release, out / "exercises")
    (out / "notebooks").mkdir()
    for nb in chapters + [repo / "book" / "matplotlibrc"]:
        if nb.is_file():
            shutil.copy2(nb, out / "notebooks" / nb.name)
    _copy_tree(repo / "coursepkg", out / "coursepkg")
    for name in validate_modules(repo / "autograder"):
        (out / "autograder" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / "autograder" / name, out / "autograder" / name)
    for source, name in STUDENT_REQUIREMENTS.items():
        shutil.copy2(repo / source, out / name)
    (out / "pyproject.toml").write_text(STUDENT_PYPROJECT, encoding="utf-8")
    figures = textwrap.fill(INSTALL_FIGURES.format(**MEASURED), 88)
    readme = STUDENT_README.replace("{install_figures}", figures)
    (out / "README.md").write_text(readme, encoding="utf-8")


def build(out: Path, html_dir: Path | None, repo: Path = REPO) -> list[str]:
    """Write ``out/`` and ``out.zip``; returns the edition's files (relative paths).

    html_dir: the rendered book (``_build/html``) or None for an edition without it (tests).
    Raises EditionError on bad input or a failed audit (then nothing is left at ``out``).
    """
    repo = Path(repo)
    if html_dir is not None and not (Path(html_dir) / "index.html").is_file():
        raise EditionError(f"{html_dir} is not a rendered book (no index.html): run "
                           f"`make book` first, or pass --no-book")
    if not any((repo / "exercises").glob("*/*.ipynb")):
        raise EditionError(f"{repo / 'exercises'} has no released notebooks: run "
                           "`python -m autograder release` first")
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    try:
        _copy_sources(out, html_dir, repo)
        problems = audit(out, repo / "solutions")
        if problems:
            raise EditionError(f"the student edition would leak answers ({len(problems)} "
                               "finding(s)); nothing was written:\n  " + "\n  ".join(problems))
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
