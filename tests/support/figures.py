"""Helpers of the tests that draw figures (tests/coursepkg/test_plots.py,
tests/courseref/test_vanishing.py): Agg backend, figures closed after each test, a
check that a figure renders to a real PNG.

    from figures import close_figures, render, visible_axes  # noqa: F401 (autouse fixture)
"""
import pathlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from coursepkg import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def render(fig: plt.Figure, tmp_path: pathlib.Path, name: str) -> pathlib.Path:
    """Save `fig` as tmp_path/<name>.png (dpi 50) and check it is a non-trivial PNG."""
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 2000
    return path


def visible_axes(fig: plt.Figure) -> list:
    return [ax for ax in fig.axes if ax.axison]


ZOO_FNS = plots.ZOO  # the zoo explorer's functions


def fake_zoo(n: int = 61) -> dict:
    """A mapping with the keys of activation_zoo.npz; the values need not be the real
    functions, only distinguishable (each function and parameter its own numbers)."""
    x = np.linspace(-6, 6, n)
    zoo = {"x": x, "alpha": np.round(np.arange(0, 0.51, 0.05), 2), "beta": np.arange(0.25, 4.01, 0.25),
           "T": np.arange(0.25, 4.01, 0.25), "logits": np.array([2.0, 1.0, 0.5, 0.0, -1.0])}
    for k, fn in enumerate(ZOO_FNS):
        zoo[f"f/{fn}"], zoo[f"df/{fn}"] = np.tanh(x) + k, np.full(n, 0.1 * k)
    for fn, p in [("leaky_relu", "alpha"), ("elu", "alpha"), ("swish", "beta")]:
        zoo[f"f/{fn}@{p}"] = np.stack([x * v for v in zoo[p]])
        zoo[f"df/{fn}@{p}"] = np.stack([np.full(n, v) for v in zoo[p]])
    e = np.exp(zoo["logits"][None, :] / zoo["T"][:, None])
    zoo["softmax@T"] = e / e.sum(axis=1, keepdims=True)
    return zoo
