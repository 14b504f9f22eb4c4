"""coursepkg.plots (panels.py): panels in rows, log axes, labels, ax/axes honoured, PNG renders."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from coursepkg import plots
from figures import close_figures, render, visible_axes  # noqa: F401 (autouse fixture)


def test_plot_per_layer_rows_log_and_labels(tmp_path):
    fig = plots.plot_per_layer({"a": {"x": [1, 0.1, 0.01]}, "b": {"x": [1, 2, 4], "y": [1, 1, 1]}},
                                     ylabel="std")
    axes = visible_axes(fig)
    assert len(axes) == 2 and all(ax.get_yscale() == "log" for ax in axes)
    assert [ax.get_title() for ax in axes] == ["a", "b"] and axes[-1].get_xlabel() == "layer"
    assert fig.get_size_inches()[0] <= 5.6   # tests/book/test_layout.py: <= 6.1 in after bbox "tight"
    assert np.allclose(axes[1].lines[0].get_ydata(), [1, 2, 4])
    render(fig, tmp_path, "per_layer")


def test_plot_curves_and_bands_use_given_axes(tmp_path):
    fig, axs = plt.subplots(2, 1)
    x = np.linspace(0, 1, 5)
    out = plots.plot_curves(x, {"p": {"f": x}, "q": {"g": x ** 2}}, axes=axs, ylabels=["f", "g"])
    assert out is fig and axs[1].get_ylabel() == "g"
    runs = {"s": np.cumsum(np.ones((10, 4)), axis=1)}
    fig2 = plots.plot_bands(runs, ylabel="log")
    assert np.allclose(fig2.axes[0].lines[0].get_ydata(), [1, 2, 3, 4])
    render(fig2, tmp_path, "bands")
    with pytest.raises(ValueError, match="need 3 axes"):
        plots.plot_per_layer({"a": {}, "b": {}, "c": {}}, ylabel="", axes=axs)
