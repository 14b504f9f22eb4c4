"""tools/student_edition.py: the student edition ships the book, the chapters as notebooks,
the released exercises, coursepkg, the local check and the student lock, and nothing that
gives an answer away.

The edition is built from this repository (the book is a small stand-in folder, so no
book build runs here); each check reads the built files, imports its modules in a fresh
interpreter that cannot see this repository, or runs `python -m autograder validate`
from it. The attack tests hand the builder a leaking input and check that nothing ships.
"""
import html
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import edition_audit as ea  # noqa: E402
import student_edition as se  # noqa: E402

SOLUTIONS, RELEASE = REPO / "solutions", REPO / "exercises"

# Run Python as on a student's machine: the repository's editable install (which also
# finds courseref) is switched off, only the edition folder is importable.
ISOLATE = """\
import sys
def _editable(finder):
    names = (getattr(finder, "__module__", ""), getattr(finder, "__name__", ""),
             type(finder).__module__, type(finder).__name__)
    return any("editable" in str(n).lower() for n in names)
sys.meta_path[:] = [f for f in sys.meta_path if not _editable(f)]
sys.path_hooks[:] = [h for h in sys.path_hooks if not _editable(h)]
sys.path[:] = [p for p in sys.path if p.rstrip("/") != %r]
sys.path_importer_cache.clear()
"""


def fake_book(root: Path, body: str = "<p>The zoo.</p>") -> Path:
    root.mkdir(parents=True)
    (root / "index.html").write_text(f"<html><body>{body}</body></html>")
    (root / "_static").mkdir()
    (root / "_static" / "style.css").write_text("body { margin: 0 }")
    return root


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("edition")
    out = tmp / "student-edition"
    files = se.build(out, fake_book(tmp / "html"))
    return out, files


def student_env(edition_dir: Path, tmp: Path) -> dict:
    """Environment whose Python imports coursepkg/autograder only from ``edition_dir``."""
    site = tmp / "isolate"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(ISOLATE % str(REPO))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(edition_dir)])
    return env


def test_edition_holds_book_chapters_exercises_package_check_and_no_instructor_code(edition):
    out, files = edition
    assert (out / "book" / "index.html").is_file() and (out / "book" / "_static" / "style.css").is_file()
    released = sorted(str(p.relative_to(REPO)) for p in RELEASE.glob("*/*.ipynb"))
    assert released and [f for f in files if f.startswith("exercises/")] == released
    for nb in released:
        assert (out / nb).read_bytes() == (REPO / nb).read_bytes()
    chapters = sorted(p.name for p in (REPO / "book").glob("*.ipynb"))
    assert len(chapters) >= 5
    assert [f for f in files if f.startswith("notebooks/")] == \
        sorted(f"notebooks/{n}" for n in chapters + ["matplotlibrc"])
    assert (out / "coursepkg" / "dp" / "__init__.py").is_file()
    assert {"commands/__init__.py", "commands/validate.py", "__main__.py"} <= {
        str(p.relative_to(out / "autograder")) for p in (out / "autograder").rglob("*.py")}
    assert {f.split("/")[0] for f in files} == {
        "book", "notebooks", "exercises", "coursepkg", "autograder", "README.md",
        "pyproject.toml", "requirements.txt", "requirements.lock"}
    assert '"coursepkg.bookdata" = ["*.npz"]' in (out / "pyproject.toml").read_text()
    assert (out / "requirements.lock").read_bytes() == (REPO / "requirements-student.lock").read_bytes()
    assert (out / "requirements.txt").read_bytes() == (REPO / "requirements-student.txt").read_bytes()
    assert not any("courseref" in f or f.startswith("solutions") or "__pycache__" in f
                   for f in files)
    with zipfile.ZipFile(out.with_suffix(".zip")) as zf:
        assert sorted(zf.namelist()) == sorted(f"student-edition/{f}" for f in files)


def test_readme_says_how_to_install_from_the_lock_and_what_it_costs(edition):
    out, _ = edition
    readme = (out / "README.md").read_text()
    assert "pip install --require-hashes -r requirements.lock" in readme
    assert "pip install --no-deps --no-build-isolation -e ." in readme
    assert "notebooks/" in readme and "?" not in readme.split("## Set up")[1].split("##")[0]


def test_autograder_in_the_edition_is_only_what_validate_needs(edition):
    out, _ = edition
    shipped = {str(p.relative_to(out / "autograder")) for p in (out / "autograder").rglob("*.py")}
    assert shipped == set(se.validate_modules(REPO / "autograder"))
    for instructor_only in ("commands/grade.py", "commands/collect.py", "sandbox/bubblewrap.py",
                            "demo/tiny_class.py", "commands/feedback.py", "grading/grader.py",
                            "runner/runner.py", "worker/handin.py"):
        assert instructor_only not in shipped


def test_the_real_edition_holds_no_answer_and_no_hidden_test(edition):
    """The fixture's build ran the audit; run it again on the written folder, and check that
    it had something to look for."""
    out, _ = edition
    found = ea.secrets(SOLUTIONS)
    assert len([s for s in found if s.kind == "answer"]) >= 60
    assert len([s for s in found if s.kind == "hidden test"]) >= 50
    assert ea.audit(out, SOLUTIONS) == []


def test_no_shipped_module_defines_an_answer_when_imported(edition, tmp_path):
    """Import every .py module of the edition in a fresh interpreter that cannot see this
    repository; none may define a function or class an exercise asks for."""
    out, files = edition
    modules = [f[:-3].replace("/", ".").removesuffix(".__init__") for f in files
               if f.endswith(".py") and f.split("/")[0] in ("coursepkg", "autograder")
               and not f.endswith("__main__.py")]
    assert "coursepkg.dp" in modules and "autograder.commands.validate" in modules
    answers = sorted(set(ea.answer_names(SOLUTIONS)) - ea.GIVEN_NAMES)
    assert {"sigmoid", "softmax", "plot_grad_w", "Net", "train_epoch"} <= set(answers)
    code = textwrap.dedent(f"""
        import importlib, json, sys
        found, origins = {{}}, {{}}
        for name in {modules!r}:
            module = importlib.import_module(name)
            origins[name] = module.__file__
            found[name] = sorted(a for a in {answers!r} if callable(getattr(module, a, None)))
        try:
            import courseref
            found["courseref importable"] = [courseref.__file__]
        except ImportError:
            pass
        print(json.dumps({{"found": found, "origins": origins}}))
    """)
    env = student_env(out, tmp_path)
    env["COURSEPKG_CACHE_DIR"] = str(tmp_path / "cache")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert all(Path(f).is_relative_to(out) for f in report["origins"].values()), report["origins"]
    assert {k: v for k, v in report["found"].items() if v} == {}


def test_dp_sgd_in_the_edition_records_no_gradient_log():
    """dp.SGD is the framework the vanishing_gradients notebook copies; exercise 1 (the
    grad_w log) must still be the student's work."""
    import numpy as np

    from coursepkg import dp
    from coursepkg.data import load_iris_binary

    class Tiny(dp.Model):
        def __init__(self):
            super().__init__(seed=0)
            self.h = self.Linear_Layer(4, 3, "h0")
            self.o = self.Linear_Layer(3, 1, "h1")

        def forward(self, x):
            return self.o(self.h(x if isinstance(x, dp.Node) else dp.Node(x)).sigmoid()).sigmoid()

        def loss(self, x, y):
            y_hat = self.forward(x)
            return -(y * y_hat.log() + (1 - y) * (1 - y_hat).log()).sum()

    X, y = load_iris_binary()
    opt = dp.SGD(Tiny(), X, y, {"alpha": 0.01}, batch_size=8, seed=0)
    opt.train(steps=3, print_each=0)
    assert not any(isinstance(v, np.ndarray) and v.shape == (2, 3) for v in vars(opt).values())


@pytest.mark.slow
def test_validate_runs_from_the_edition_on_a_released_exercise(edition, tmp_path):
    """From the edition alone: the blank released notebook fails every visible test, the
    same notebook with the answers filled in passes them all."""
    out, _ = edition
    env = student_env(out, tmp_path)
    blank = "exercises/activations/activations.ipynb"
    proc = subprocess.run([sys.executable, "-m", "autograder", "validate", blank], cwd=out,
                          env=env, capture_output=True, text=True, timeout=600)
    assert "Visible tests: 0 of" in proc.stdout, proc.stdout + proc.stderr[-2000:]

    nb = json.loads((out / blank).read_text())
    answers = {c["metadata"]["nbgrader"]["grade_id"]: c for c in
               json.loads((SOLUTIONS / "activations" / "activations.ipynb").read_text())["cells"]
               if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            lines = "".join(answers[meta["grade_id"]]["source"]).splitlines(keepends=True)
            cell["source"] = [ln for ln in lines if "BEGIN SOLUTION" not in ln
                              and "END SOLUTION" not in ln]
    filled = tmp_path / "activations.ipynb"
    filled.write_text(json.dumps(nb))
    proc = subprocess.run([sys.executable, "-m", "autograder", "validate", str(filled)],
                          cwd=out, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert "[FAIL]" not in proc.stdout


# ----------------------------------------------------------------------------- attacks
def instructor_copy(tmp: Path) -> Path:
    """A copy of what the builder reads from the repository, to plant leaks in."""
    repo = tmp / "repo"
    for name in ("solutions", "exercises", "coursepkg", "autograder"):
        shutil.copytree(REPO / name, repo / name, ignore=shutil.ignore_patterns("__pycache__", "course"))
    (repo / "book").mkdir()
    for nb in list((REPO / "book").glob("*.ipynb")) + [REPO / "book" / "matplotlibrc"]:
        shutil.copy2(nb, repo / "book" / nb.name)
    for name in se.STUDENT_REQUIREMENTS:
        shutil.copy2(REPO / name, repo / name)
    return repo


def an_answer(cell_id: str = "") -> ea.Secret:
    """An answer line of the real solutions (of the solution cell ``cell_id`` if given)."""
    return next(s for s in ea.secrets(SOLUTIONS) if s.kind == "answer" and len(s.text) > 30
                and (not cell_id or f"cell {cell_id}," in s.origin))


def plant_in_exercise_cell(repo: Path, line: str) -> str:
    """The line as code in the released notebook's first given (non-solution) code cell."""
    path = repo / "exercises" / "vanishing_gradients" / "vanishing_gradients.ipynb"
    nb = json.loads(path.read_text())
    index = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
                 and not c["metadata"].get("nbgrader", {}).get("solution"))
    nb["cells"][index]["source"] = ["# helper\n", f"{line}\n"]
    path.write_text(json.dumps(nb))
    return (f"exercises/vanishing_gradients/vanishing_gradients.ipynb, cell {index} "
            f"({nb['cells'][index].get('id', 'no id')}), line 2")


def plant_in_docstring(repo: Path, line: str) -> str:
    path = repo / "coursepkg" / "dp" / "model.py"
    text = path.read_text()
    assert text.startswith('"""')
    path.write_text('"""Example::\n\n    ' + line + "\n\n" + text[3:])
    return "coursepkg/dp/model.py, line 3"


def plant_in_chapter(repo: Path, line: str) -> str:
    """In a chapter notebook's cell OUTPUT (what a run printed), split over two lines."""
    path = repo / "book" / "activation_zoo.ipynb"
    nb = json.loads(path.read_text())
    index = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    words = line.split(" ")
    half = len(words) // 2
    nb["cells"][index]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": [
        "result:\n", " ".join(words[:half]) + "\n", "    " + " ".join(words[half:]) + "\n"]}]
    path.write_text(json.dumps(nb))
    return (f"notebooks/activation_zoo.ipynb, cell {index} "
            f"({nb['cells'][index].get('id', 'no id')}) output, line 2")


def plant_in_book_page(tmp: Path, line: str) -> Path:
    """HTML-escaped and split into highlighting spans, as Sphinx renders code."""
    spans = "".join(f'<span class="n">{html.escape(word)}</span> ' for word in line.split(" "))
    return fake_book(tmp / "html", f"<pre>{spans}</pre>")


@pytest.mark.parametrize("where", ["exercise cell", "coursepkg docstring", "chapter output",
                                   "book page"])
def test_an_answer_line_planted_anywhere_stops_the_build(tmp_path, where):
    """Each plant is an answer line of a real solution cell; the build refuses, names the
    file, the line and the solution cell, and leaves nothing behind."""
    secret = an_answer()
    repo = instructor_copy(tmp_path)
    html_dir, expected = None, "book/index.html, text, line 1"
    if where == "exercise cell":
        expected = plant_in_exercise_cell(repo, secret.text)
    elif where == "coursepkg docstring":
        expected = plant_in_docstring(repo, secret.text)
    elif where == "chapter output":
        expected = plant_in_chapter(repo, secret.text)
    else:
        html_dir = plant_in_book_page(tmp_path, secret.text)
    out = tmp_path / "student-edition"
    with pytest.raises(se.EditionError) as error:
        se.build(out, html_dir, repo=repo)
    assert f"{expected}: holds the answer line {secret.text!r} of {secret.origin}" in str(error.value)
    assert not out.exists() and not out.with_suffix(".zip").exists()


def test_the_gradient_log_line_in_a_docstring_stops_the_build(tmp_path):
    """The leak the issue found: the answer's exact grad_w line in coursepkg/dp/optim.py."""
    secret = next(s for s in ea.secrets(SOLUTIONS) if "grad_w[" in s.text and s.kind == "answer")
    repo = instructor_copy(tmp_path)
    path = repo / "coursepkg" / "dp" / "optim.py"
    path.write_text(path.read_text().replace('"""', f'"""\n    {secret.text}\n', 1))
    with pytest.raises(se.EditionError, match=r"coursepkg/dp/optim.py, line 2: holds the answer line"):
        se.build(tmp_path / "out", None, repo=repo)


def test_a_hidden_test_line_in_a_book_page_stops_the_build(tmp_path):
    secret = next(s for s in ea.secrets(SOLUTIONS) if s.kind == "hidden test")
    with pytest.raises(se.EditionError, match="holds the hidden test line"):
        se.build(tmp_path / "out", plant_in_book_page(tmp_path, secret.text))
    assert not (tmp_path / "out").exists()


def test_a_solver_module_in_coursepkg_stops_the_build(tmp_path):
    repo = instructor_copy(tmp_path)
    (repo / "coursepkg" / "shortcut.py").write_text("def softmax(x):\n    return x\n")
    with pytest.raises(se.EditionError, match=r"coursepkg/shortcut.py: defines softmax, an answer of"):
        se.build(tmp_path / "out", None, repo=repo)
    assert not (tmp_path / "out").exists()


def test_a_release_left_with_solutions_stops_the_build(tmp_path):
    repo = instructor_copy(tmp_path)
    shutil.copy2(SOLUTIONS / "activations" / "activations.ipynb",
                 repo / "exercises" / "activations" / "activations.ipynb")
    with pytest.raises(se.EditionError, match="BEGIN SOLUTION"):
        se.build(tmp_path / "out", None, repo=repo)


def test_bad_inputs_are_named(tmp_path):
    with pytest.raises(se.EditionError, match="no index.html.*make book"):
        se.build(tmp_path / "out", tmp_path)
    repo = instructor_copy(tmp_path)
    (repo / "requirements-student.lock").unlink()
    with pytest.raises(se.EditionError, match="requirements-student.lock missing.*make lock-student"):
        se.build(tmp_path / "out", None, repo=repo)
    for nb in (repo / "book").glob("*.ipynb"):
        nb.unlink()
    with pytest.raises(se.EditionError, match="no chapter notebooks.*make book"):
        se.build(tmp_path / "out", None, repo=repo)
    shutil.rmtree(repo / "exercises")
    (repo / "exercises").mkdir()
    with pytest.raises(se.EditionError, match="no released notebooks"):
        se.build(tmp_path / "out", None, repo=repo)
    assert not (tmp_path / "out").exists()


def test_make_target_runs_the_builder_and_builds_the_book_only_when_needed():
    def dry(args):
        return subprocess.run(["make", "-n", "student-edition", f"STUDENT_EDITION_ARGS={args}"],
                              cwd=REPO, capture_output=True, text=True, timeout=60).stdout
    out = dry("--no-book --out /tmp/x")
    assert "tools/student_edition.py --no-book --out /tmp/x" in out
    assert "_build/html/index.html ]]; then $(MAKE) book" in (REPO / "Makefile").read_text()
