"""Helpers of the tests that draw figures (tests/coursepkg/test_plots.py,
tests/courseref/test_vanishing.py): Agg backend, figures closed after each test, a
check that a figure renders to a real PNG.

    from figures import close_figures, render, visible_axes  # noqa: F401 (autouse fixture)
"""
import pathlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


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
