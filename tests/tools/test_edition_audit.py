"""tools/edition_audit.py: which lines count as secrets, which prove nothing, and that a
secret is found wherever it is planted (notebook cell, docstring, HTML page), with the
file, the line and the solution cell it matches.

The rule tests use a small instructor notebook written here, so each exemption and each
non-exemption is pinned down; the planting tests use the course's real solutions.
"""
import html
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import edition_audit as ea  # noqa: E402


def cell(kind, source, **nbgrader):
    meta = {"nbgrader": {"schema_version": 3, **nbgrader}} if nbgrader else {}
    return {"cell_type": kind, "metadata": meta, "source": source,
            **({"outputs": [], "execution_count": None} if kind == "code" else {})}


def write_nb(path: Path, cells: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


ANSWER = "return np.where(x > 0, x, alpha * np.expm1(x))"
TEMPLATE = '"""x where x > 0, alpha * (exp(x) - 1) elsewhere."""'


@pytest.fixture
def solutions(tmp_path):
    root = tmp_path / "solutions"
    write_nb(root / "toy" / "toy.ipynb", [
        cell("markdown", "Write `elu`. Convert first: `z = np.clip(x, \u221250.0, 50.0)` helps.\n"),
        cell("code", "import numpy as np\n", grade_id="imports", locked=True),
        cell("code", f"def elu(x, alpha=1.0):\n    {TEMPLATE}\n    ### BEGIN SOLUTION\n"
                     f"    x = np.asarray(x, dtype=float)\n    z = np.clip(x, -50.0, 50.0)\n"
                     f"    s = np.exp(z)\n    {ANSWER}\n    ### END SOLUTION\n",
             grade_id="elu", solution=True),
        cell("code", "def stable(x):\n    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)\n",
             grade_id="unmarked", solution=True),
        cell("markdown", "Dropout keeps each unit with probability p_keep, so rescale by 1/p_keep.\n",
             grade_id="written", solution=True),
        cell("code", f"def _ref(x, alpha):\n    {ANSWER}\n\ncheck(elu, [1.0, -2.0])  # visible case\n"
                     "### BEGIN HIDDEN TESTS\ncheck(elu, [31.0, -7.5, 0.125])  # the hidden case\n"
                     "check(elu, [1.0, -2.0])  # visible case\n### END HIDDEN TESTS\n",
             grade_id="test_elu", grade=True, points=2),
    ])
    return root


def test_each_kind_of_secret_is_collected_with_its_origin(solutions):
    found = {s.text: s for s in ea.secrets(solutions)}
    assert found[ANSWER].kind == "answer"
    assert found[ANSWER].origin == "toy.ipynb, cell elu, line 7"
    # a solution cell without markers is an answer as a whole, markdown answers too
    assert "return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)" in found
    assert "def stable(x):" not in found                      # short: proves nothing
    assert found["Dropout keeps each unit with probability p_keep, so rescale by "
                 "1/p_keep."].kind == "answer"
    hidden = found["check(elu, [31.0, -7.5, 0.125]) # the hidden case"]
    assert hidden.kind == "hidden test" and hidden.origin == "toy.ipynb, cell test_elu, line 6"


def test_lines_that_prove_nothing_are_not_secrets(solutions):
    found = {s.text for s in ea.secrets(solutions)}
    assert TEMPLATE not in found                                # the template around the answer
    assert "x = np.asarray(x, dtype=float)" not in found        # generic: argument conversion
    assert "s = np.exp(z)" not in found                         # short
    assert "z = np.clip(x, -50.0, 50.0)" not in found           # given anyway: the task says it
    #                                                            (with a typographic minus)
    assert "check(elu, [1.0, -2.0]) # visible case" not in found  # a hidden line shown visibly


@pytest.mark.parametrize("line", ["return x", "pass", "])", "else:", "import numpy as np",
                                  "from coursepkg.dp import Node, Model", "return W_1, W_2, n_correct",
                                  "super().__init__()", "self.act_func = act_func", "plt.show()",
                                  "y = np.asarray(y, dtype=float)", "### END SOLUTION", "W = W @ W_k",
                                  'with np.errstate(all="ignore"):'])
def test_generic_or_short_lines_prove_nothing(line):
    assert ea.proves_nothing(ea.flat(line))


@pytest.mark.parametrize("line", [ANSWER, "e = np.exp(x - x.max(axis=1, keepdims=True))",
                                  "grad_w[layer, i - 1] = np.mean(np.abs(grad[name]))",
                                  "return keep / p_keep", "return np.maximum(x, 0)", "return np.tanh(x)", "self.out = self.Linear_Layer(n_in, 1, f'h{n}')"])
def test_answer_lines_prove_something(line):
    assert not ea.proves_nothing(ea.flat(line))


def test_a_reference_implementation_in_a_visible_test_cell_is_a_leak(solutions, tmp_path):
    """The visible test cell's `_ref` repeats the answer: test cells never excuse an answer,
    so the released notebook (here: its visible test cell, as nbgrader releases it) fails."""
    edition = tmp_path / "edition"
    write_nb(edition / "exercises" / "toy" / "toy.ipynb", [
        cell("code", f"def _ref(x, alpha):\n    {ANSWER}\n\ncheck(elu, [1.0, -2.0])  # visible case\n")])
    problems = ea.audit(edition, solutions)
    assert problems == [f"exercises/toy/toy.ipynb, cell 0 (no id), line 2: holds the answer line "
                        f"{ANSWER!r} of toy.ipynb, cell elu, line 7"]


def test_secrets_are_found_across_lines_spans_and_entities(solutions, tmp_path):
    edition = tmp_path / "edition"
    edition.mkdir()
    spans = "".join(f'<span class="n">{html.escape(w)}</span>\n' for w in ANSWER.split(" "))
    (edition / "page.html").write_text(f"<html><body>\n<p>intro</p>\n<pre>{spans}</pre></body></html>")
    (edition / "notes.md").write_text("# Notes\n\nDropout keeps each unit with probability\n"
                                      "p_keep, so rescale by 1/p_keep.\n")
    problems = ea.audit(edition, solutions)
    assert problems == [
        "notes.md, line 3: holds the answer line 'Dropout keeps each unit with probability "
        "p_keep, so rescale by 1/p_keep.' of toy.ipynb, cell written, line 1",
        f"page.html, text, line 3: holds the answer line {ANSWER!r} of toy.ipynb, cell elu, line 7"]


def test_markers_instructor_folders_and_answer_definitions_are_reported(solutions, tmp_path):
    edition = tmp_path / "edition"
    (edition / "courseref").mkdir(parents=True)
    (edition / "courseref" / "x.py").write_text("")
    (edition / "pkg").mkdir()
    (edition / "pkg" / "m.py").write_text("def stable(x):\n    return x\n")
    (edition / "pkg" / "n.py").write_text("# ### BEGIN HIDDEN TESTS\n")
    (edition / "pkg" / "prose.py").write_text('"""Hidden segments (``### BEGIN HIDDEN TESTS`` '
                                              '... ``### END HIDDEN TESTS``) never show."""\n')
    assert ea.audit(edition, solutions) == [
        "courseref/x.py: instructor folder courseref/ must not ship",
        "pkg/m.py: defines stable, an answer of toy.ipynb",
        "pkg/n.py: contains the marker 'BEGIN HIDDEN TESTS'"]


def test_the_real_solutions_give_answers_and_hidden_lines_to_look_for():
    found = ea.secrets(REPO / "solutions")
    answers = [s for s in found if s.kind == "answer"]
    hidden = [s for s in found if s.kind == "hidden test"]
    assert len(answers) >= 60 and len(hidden) >= 50
    origins = {s.origin.split(",")[0] for s in found}
    assert origins == {f"{nb.parent.name}.ipynb" for nb in (REPO / "solutions").glob("*/*.ipynb")}
    assert len(origins) >= 6
    assert not [s for s in found if ea.proves_nothing(s.text)]
