"""coursepkg.bookdata: the data the book's chapters plot, shipped with the package.

The chapters must run without ``courseref`` (the student edition leaves it out), so what
needs an exercise's answer is computed once by ``tools/book_data.py`` and shipped as
``coursepkg/bookdata/*.npz``. These tests check the keys and shapes the chapters (and the
interactive figures) rely on, that the committed files are what a fresh generation writes,
and that a built wheel carries them.
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from coursepkg import bookdata

REPO = Path(__file__).resolve().parents[2]
ZOO = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "swish", "gelu", "softplus")


def _generator():
    spec = importlib.util.spec_from_file_location("book_data", REPO / "tools" / "book_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_names_and_a_clear_error_for_an_unknown_name():
    assert bookdata.names() == ["activation_zoo", "grokking_mnist", "vanishing_gradient"]
    with pytest.raises(ValueError, match=r"no book data named 'zoo'; available: activation_zoo, "
                                         r"grokking_mnist, vanishing_gradient"):
        bookdata.load("zoo")


def test_activation_zoo_keys_shapes_and_values():
    zoo = bookdata.load("activation_zoo")
    x = zoo["x"]
    assert x.shape == (601,) and x[0] == -6 and x[-1] == 6
    for fn in ZOO:
        assert zoo[f"f/{fn}"].shape == zoo[f"df/{fn}"].shape == x.shape, fn
    np.testing.assert_allclose(zoo["alpha"], np.arange(11) * 0.05, atol=1e-12)
    np.testing.assert_allclose(zoo["beta"], np.arange(1, 17) * 0.25, atol=1e-12)
    np.testing.assert_allclose(zoo["T"], np.arange(1, 17) * 0.25, atol=1e-12)
    for key in ("f/leaky_relu@alpha", "df/leaky_relu@alpha", "f/elu@alpha", "df/elu@alpha"):
        assert zoo[key].shape == (11, 601), key
    assert zoo["f/swish@beta"].shape == zoo["df/swish@beta"].shape == (16, 601)
    assert zoo["logits"].shape == (5,) and zoo["softmax@T"].shape == (16, 5)
    # values: independent formulas, and each derivative against the slope of its function
    np.testing.assert_allclose(zoo["f/tanh"], np.tanh(x), atol=1e-15)
    np.testing.assert_allclose(zoo["f/leaky_relu@alpha"][2], np.where(x > 0, x, 0.1 * x), atol=1e-15)
    np.testing.assert_allclose(zoo["f/swish@beta"][7], x / (1 + np.exp(-2 * x)), atol=1e-12)
    np.testing.assert_allclose(zoo["softmax@T"].sum(axis=1), 1.0)
    inner = slice(1, -1)
    for fn in ZOO:
        slope = np.gradient(zoo[f"f/{fn}"], x)
        smooth = np.abs(x[inner]) > 0.05  # away from the kinks at 0
        np.testing.assert_allclose(slope[inner][smooth], zoo[f"df/{fn}"][inner][smooth], atol=2e-3,
                                   err_msg=fn)


def test_vanishing_gradient_keys():
    vg = bookdata.load("vanishing_gradient")
    n_steps = int(vg["n_steps"])
    for act in ("sigmoid", "tanh", "relu"):
        assert vg[f"grad_w/{act}/10"].shape == (11, n_steps)
        assert vg[f"loss/{act}/10"].shape == (n_steps,)
        assert 0 <= float(vg[f"accuracy/{act}/10"]) <= 1
        assert np.all(vg[f"grad_w/{act}/10"] >= 0)


def test_grokking_mnist_keys():
    gm = bookdata.load("grokking_mnist")
    assert "MNIST" in str(gm["dataset"])
    for v, n_epochs in (("tanh", 300), ("relu", 100), ("sigmoid", 300)):
        for key in ("train_acc", "test_acc", "train_loss"):
            assert gm[f"{key}/{v}"].shape == (n_epochs,), (key, v)
    assert gm["W_out/sigmoid"].shape == gm["W_out/softmax"].shape == (784, 10)
    assert gm["mean_images"].shape == (10, 784)
    assert gm["sample_images"].shape == (16, 28, 28)


@pytest.mark.slow
def test_committed_files_equal_a_fresh_generation():
    gen = _generator()
    problems = []
    for name, generate in gen.GENERATORS.items():
        problems += gen.differences(name, generate(), bookdata.load(name))
    assert not problems, "run .venv/bin/python tools/book_data.py and commit:\n" + "\n".join(problems)


def test_differences_reports_a_changed_value():
    gen = _generator()
    stored = bookdata.load("vanishing_gradient")
    changed = dict(stored, **{"accuracy/relu/10": np.asarray(0.5)})
    del changed["n_steps"]
    found = gen.differences("vanishing_gradient", changed, stored)
    assert any("'accuracy/relu/10' differs" in p for p in found), found
    assert any("'n_steps' is no longer generated" in p for p in found), found


@pytest.mark.slow
def test_a_built_wheel_ships_the_data(tmp_path):
    src = tmp_path / "src"  # a copy: building in the repository would leave build/ behind
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT"):
        shutil.copy2(REPO / name, src / name)
    for package in ("coursepkg", "courseref", "autograder"):
        shutil.copytree(REPO / package, src / package,
                        ignore=shutil.ignore_patterns("__pycache__", "course"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(tmp_path / "dist")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in bookdata.names():
        assert f"coursepkg/bookdata/{name}.npz" in names, sorted(n for n in names if "bookdata" in n)
