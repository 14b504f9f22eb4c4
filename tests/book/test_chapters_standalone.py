"""The chapters run in students' hands: without ``courseref``, which the student edition
does not ship.

Each chapter's MyST source is turned into a notebook (jupytext) and executed to the end by
a real kernel whose ``courseref`` import fails the way it fails in the edition's
environment (a package of that name on PYTHONPATH that raises ModuleNotFoundError). Before
``coursepkg.bookdata``, the zoo, vanishing-gradient and Grokking chapters stopped at their
first cell here.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from booktools import REPO

BOOK = REPO / "book"
# the chapters that used courseref before coursepkg.bookdata (deeper_networks trains Keras
# models for minutes and why_nonlinearity needs nothing of ours; the source check covers all)
EXECUTED = ["activation_zoo", "vanishing_gradient", "grokking_mnist"]
BLOCKER = 'raise ModuleNotFoundError("No module named \'courseref\'", name="courseref")\n'


def test_no_chapter_imports_courseref():
    offenders = []
    for md in sorted(BOOK.glob("*.md")):
        for number, line in enumerate(md.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"^\s*(import|from)\s+courseref\b", line):
                offenders.append(f"{md.name}:{number}: {line.strip()}")
    assert not offenders, "chapters must not import courseref (use coursepkg.bookdata):\n" + "\n".join(offenders)


@pytest.fixture
def without_courseref(tmp_path, monkeypatch):
    """PYTHONPATH for kernels: a courseref that cannot be imported, then the repository."""
    (tmp_path / "courseref").mkdir()
    (tmp_path / "courseref" / "__init__.py").write_text(BLOCKER)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), str(REPO)]))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("chapter", EXECUTED)
def test_chapter_runs_to_the_end_without_courseref(chapter, without_courseref):
    import jupytext
    import nbclient

    nb = jupytext.read(BOOK / f"{chapter}.md")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(BOOK)}})
    client.execute()  # raises CellExecutionError naming the cell on any error
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code), f"{chapter}: not every cell ran"


def test_the_blocker_really_blocks(without_courseref):
    """The fixture's courseref fails like a missing one (else the test above proves nothing)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import courseref"], capture_output=True, text=True,
                          env=os.environ.copy(), cwd=Path(without_courseref))
    assert proc.returncode != 0 and "No module named 'courseref'" in proc.stderr
