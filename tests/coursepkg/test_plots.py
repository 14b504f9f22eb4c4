"""coursepkg.plots (generic helpers): each helper draws the right data, labels it, honours ax/axes, and
renders to PNG with the Agg backend."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from coursepkg import plots  # noqa: E402
from figures import close_figures, render, visible_axes  # noqa: E402, F401 (autouse fixture)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


CURVES = {
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
}


class _Leaky:
    """A registry-like activation object: name, params, f, df, elementwise."""
    name, elementwise = "leaky_relu", True

    def __init__(self, alpha):
        self.params = {"alpha": alpha}

    def f(self, x):
        return np.where(x > 0, x, self.params["alpha"] * x)

    def df(self, x):
        return np.where(x > 0, 1.0, self.params["alpha"])


def test_activation_grid_draws_each_function_and_its_derivative(tmp_path):
    x = np.linspace(-4, 4, 81)
    fig = plots.plot_activation_grid([(n, *fd) for n, fd in CURVES.items()], x=x, ncols=2)
    render(fig, tmp_path, "grid")
    axs = visible_axes(fig)
    assert len(axs) == 3 and len(fig.axes) == 4  # 2 x 2 grid, the spare panel switched off
    for (name, (f, df)), ax in zip(CURVES.items(), axs):
        f_line, df_line = ax.get_lines()[:2]
        np.testing.assert_array_equal(f_line.get_xdata(), x)
        np.testing.assert_allclose(f_line.get_ydata(), f(x))
        np.testing.assert_allclose(df_line.get_ydata(), df(x))
        assert ax.get_title() == name and ax.get_xlabel() == "x"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["f(x)", "f'(x)"]


def test_activation_grid_defaults_to_inputs_from_minus_5_to_5():
    fig = plots.plot_activation_grid(("tanh", *CURVES["tanh"]))
    x = visible_axes(fig)[0].get_lines()[0].get_xdata()
    assert x.min() == -5 and x.max() == 5 and len(visible_axes(fig)) == 1


def test_activation_grid_uses_given_axes_and_shows_bound_parameters():
    fig, axs = plt.subplots(1, 2)
    out = plots.plot_activation_grid([_Leaky(0.2), ("tanh", *CURVES["tanh"])],
                                     x=np.array([-2.0, 2.0]), axes=axs)
    assert out is fig and len(fig.axes) == 2
    np.testing.assert_allclose(axs[0].get_lines()[0].get_ydata(), [-0.4, 2.0])
    np.testing.assert_allclose(axs[0].get_lines()[1].get_ydata(), [0.2, 1.0])
    assert axs[0].get_title() == "leaky_relu (alpha=0.2)"


def test_activation_grid_rejects_bad_input():
    with pytest.raises(ValueError, match="tuple \\(name, f, df\\) or an object"):
        plots.plot_activation_grid(["sigmoid"])
    softmax = _Leaky(0.1)
    softmax.name, softmax.elementwise = "softmax", False
    with pytest.raises(ValueError, match="not element-wise"):
        plots.plot_activation_grid([softmax])
    with pytest.raises(ValueError, match="empty"):
        plots.plot_activation_grid([])
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="need 2 axes"):
        plots.plot_activation_grid([_Leaky(0.1), _Leaky(0.2)], axes=ax)


def test_layer_names_count_from_zero_and_end_with_the_output_layer():
    assert plots.layer_names(3) == ["hidden layer 0", "hidden layer 1", "output layer"]
    assert plots.layer_names(1) == ["output layer"]
    with pytest.raises(ValueError, match=">= 1"):
        plots.layer_names(0)


def test_layer_histograms_from_a_dict_show_each_layers_values(tmp_path):
    rng = np.random.default_rng(0)
    values = {"hidden layer 1": rng.normal(0, 0.01, size=(64, 32)),
              "hidden layer 2": rng.normal(0, 1.0, size=(32, 32)),
              "output layer": rng.uniform(-3, 3, size=(32, 1))}
    fig = plots.plot_layer_histograms(values, bins=20, title="weight gradients")
    render(fig, tmp_path, "hist")
    axs = visible_axes(fig)
    assert len(axs) == 3 and fig._suptitle.get_text() == "weight gradients"
    for (name, v), ax in zip(values.items(), axs):
        bars = ax.patches
        assert len(bars) == 20 and ax.get_title() == name
        heights = np.array([b.get_height() for b in bars])
        widths = np.array([b.get_width() for b in bars])
        assert np.sum(heights * widths) == pytest.approx(1.0)  # density
        expected, edges = np.histogram(v.ravel(), bins=20, density=True)
        np.testing.assert_allclose(heights, expected)
        assert bars[0].get_x() == pytest.approx(edges[0])
        assert ax.get_ylabel() == "density"


def test_layer_histograms_from_a_list_with_counts_log_scale_and_given_axes():
    fig, axs = plt.subplots(2, 2)
    data = [np.arange(10.0), np.array([1.0, 1.0, 2.0, np.nan])]
    out = plots.plot_layer_histograms(data, axes=axs, bins=5, density=False, log=True,
                                      xlabel="activation")
    assert out is fig
    flat = axs.ravel()
    assert [flat[0].get_title(), flat[1].get_title()] == ["layer 0", "layer 1"]
    assert sum(b.get_height() for b in flat[0].patches) == 10  # counts
    assert sum(b.get_height() for b in flat[1].patches) == 3   # NaN left out
    assert flat[0].get_yscale() == "log" and flat[0].get_xlabel() == "activation"
    assert not flat[2].patches and not flat[3].patches


def test_layer_histograms_reject_bad_input():
    with pytest.raises(ValueError, match="dict .* or a list"):
        plots.plot_layer_histograms(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="empty"):
        plots.plot_layer_histograms({})


def test_helpers_never_call_show(monkeypatch):
    def fail():
        raise AssertionError("plt.show() called")

    monkeypatch.setattr(plt, "show", fail)
    plots.plot_activation_grid([("tanh", *CURVES["tanh"])])
    plots.plot_layer_histograms([np.ones(3)])


# ----------------------------------------------------------------------------- readability
COLUMN_PX = 730  # the book's content column at 1280 px
DPI = 100        # matplotlib's and the book build's figure resolution


def smallest_rendered_text_px(fig) -> float:
    """Height in page pixels of the figure's smallest text, as the book shows it: font
    size (pt) at DPI, scaled down when the saved image is wider than the column."""
    import io
    import struct
    buf = io.BytesIO()
    fig.savefig(buf, dpi=DPI, bbox_inches="tight", format="png")
    width = struct.unpack(">I", buf.getvalue()[16:20])[0]
    scale = min(1.0, COLUMN_PX / width)
    fig.canvas.draw()
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip() and t.get_window_extent().width > 0]
    return min(sizes) * DPI / 72 * scale


def test_figures_text_is_at_least_9_px_at_the_books_column_width():
    rng = np.random.default_rng(0)
    networks = {f"net {i}": [rng.lognormal(-8 + i, 1, size=500) * (rng.random(500) > 0.2)
                             for i in range(5)] for i in range(6)}  # 6 networks x 5 layers
    ten = [(f"act {i}", np.tanh, lambda x: 1 - np.tanh(x) ** 2) for i in range(10)]
    figures = {
        "gradients": plots.plot_layer_distributions(networks, log_abs=True, xlabel="grad_w"),
        "outputs": plots.plot_layer_distributions(networks),
        "ten activations": plots.plot_activation_grid(ten),
        "histograms": plots.plot_layer_histograms([rng.normal(size=50) for _ in range(6)]),
        "validation": plots.plot_validation_curves({f"net {i}": [0.1, 0.5, 0.8] for i in range(6)}),
    }
    for name, fig in figures.items():
        assert smallest_rendered_text_px(fig) >= 9, name


def test_layer_distributions_draw_each_layers_share_of_values_on_a_log_axis():
    values = {"net": {"layer 0": np.array([1e-6, 1e-6, 0.0, 0.0]), "layer 1": np.array([1e-2, 1e-4])}}
    fig = plots.plot_layer_distributions(values, log_abs=True, bins=4)
    (ax,) = visible_axes(fig)
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "share of values"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["layer 0, 50% = 0", "layer 1"]
    first, second = ax.patches  # one outline (step) patch per layer
    ys0 = first.get_xy()[:, 1]
    assert ys0.max() == pytest.approx(0.5)  # two of four values in one bin, zeros left out
    assert second.get_xy()[:, 1].max() == pytest.approx(0.5)


def test_layer_distributions_reject_bad_input():
    with pytest.raises(ValueError, match="non-empty dict"):
        plots.plot_layer_distributions([np.ones(3)])
    with pytest.raises(ValueError, match=r"values\['a'\] must be a dict"):
        plots.plot_layer_distributions({"a": np.ones(3)})


def test_tables_put_layers_in_rows_numbered_from_0():
    from types import SimpleNamespace as NS
    grads = {"a": [np.full((2, 2), -2.0), np.ones((2, 1))], "b": [np.ones(3)]}
    table = plots.gradient_table(grads)
    assert list(table.index) == [0, 1] and table.loc[0, "a"] == "2.0e+00" and table.loc[1, "b"] == ""
    dead = {"x": NS(counts=[1, 0], percentages=[50.0, 0.0])}
    assert plots.dead_neuron_table(dead)["x"].tolist() == ["1 (50.0%)", "0 (0.0%)"]
