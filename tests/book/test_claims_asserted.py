"""A sentence that reads a number off a run is backed by an assertion in a hidden cell, so
a build whose numbers contradict the prose fails.

The chapters glue their numbers (myst-nb ``glue``) and check what the prose says about
them in cells tagged ``remove-cell``. ``make book`` builds with ``--warningiserror
--keep-going`` and the book's execute settings (``allow_errors: false``,
``nb_execution_raise_on_error: true``); the slow test builds a throwaway one-page book with
those same settings, read from the repository's _config.yml, once with a claim that holds
and once with the value patched so it no longer holds.
"""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from booktools import REPO

CHAPTERS_WITH_RUNS = ["why_nonlinearity", "activation_zoo", "vanishing_gradient", "grokking_mnist",
                      "deeper_networks", "initialisation", "modern_activations", "exploding_gradients"]


def _hidden_asserts(md: Path) -> int:
    """How many hidden code cells (tag remove-cell) of a MyST chapter hold an assert."""
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", md.read_text(encoding="utf-8"), flags=re.S)
    return sum(1 for c in cells if re.search(r"tags:\s*\[[^\]]*remove-cell", c) and "assert " in c)


@pytest.mark.parametrize("chapter", CHAPTERS_WITH_RUNS)
def test_chapters_back_their_claims_with_hidden_assertions(chapter):
    assert _hidden_asserts(REPO / "book" / f"{chapter}.md") >= 1, (
        f"{chapter}.md reads numbers off its runs but has no hidden cell that asserts them")


PAGE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A claim

```{{code-cell}} ipython3
from myst_nb import glue

accuracy = {value}
glue("accuracy", f"{{accuracy:.0%}}", display=False)
```

```{{code-cell}} ipython3
:tags: [remove-cell]

assert accuracy > 0.9, f"the text says above 90 %, the run gave {{accuracy}}"
```

The network classifies more than 90 % of the flowers correctly ({{glue:text}}`accuracy`).
"""


def _tiny_book(folder: Path, value: float) -> Path:
    """A one-page book with the repository's execute settings; returns its folder."""
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    tiny = {"title": "claim", "only_build_toc_files": True, "execute": config["execute"],
            "sphinx": {"config": {k: v for k, v in config["sphinx"]["config"].items()
                                  if k.startswith("nb_execution")}}}
    folder.mkdir()
    (folder / "_config.yml").write_text(yaml.safe_dump(tiny))
    (folder / "_toc.yml").write_text("format: jb-book\nroot: claim\n")
    (folder / "claim.md").write_text(PAGE.format(value=value))
    return folder


def _build(book: Path):
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    return subprocess.run([str(jupyter_book), "build", str(book), "--warningiserror", "--keep-going"],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_a_claim_that_stops_holding_fails_the_build(tmp_path):
    settings = yaml.safe_load((REPO / "_config.yml").read_text())
    assert settings["execute"]["allow_errors"] is False
    assert settings["sphinx"]["config"]["nb_execution_raise_on_error"] is True

    holds = _build(_tiny_book(tmp_path / "holds", 0.95))
    assert holds.returncode == 0, holds.stdout[-3000:] + holds.stderr[-3000:]
    assert "95%" in (tmp_path / "holds" / "_build" / "html" / "claim.html").read_text()

    broken = _build(_tiny_book(tmp_path / "broken", 0.85))
    log = broken.stdout + broken.stderr
    assert broken.returncode != 0, "the build passed although the asserted claim is false:\n" + log[-3000:]
    assert "AssertionError" in log and "the run gave 0.85" in log, textwrap.shorten(log[-3000:], 3000)
