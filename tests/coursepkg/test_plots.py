"""coursepkg.plots: each helper draws the right data, labels it, honours ax/axes, and
renders to PNG with the Agg backend."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from coursepkg import activations, plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def render(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 2000
    return path


def visible_axes(fig):
    return [ax for ax in fig.axes if ax.axison]


def test_activation_grid_draws_each_function_and_its_derivative(tmp_path):
    x = np.linspace(-4, 4, 81)
    names = ["sigmoid", "relu", "gelu"]
    fig = plots.plot_activation_grid(names, x=x, ncols=2)
    render(fig, tmp_path, "grid")
    axs = visible_axes(fig)
    assert len(axs) == 3 and len(fig.axes) == 4  # 2 x 2 grid, the spare panel switched off
    for name, ax in zip(names, axs):
        f_line, df_line = ax.get_lines()[:2]
        act = activations.get(name)
        np.testing.assert_array_equal(f_line.get_xdata(), x)
        np.testing.assert_allclose(f_line.get_ydata(), act.f(x))
        np.testing.assert_allclose(df_line.get_ydata(), act.df(x))
        assert ax.get_title() == name and ax.get_xlabel() == "x"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["f(x)", "f'(x)"]


def test_activation_grid_defaults_to_all_elementwise_activations():
    fig = plots.plot_activation_grid()
    titles = [ax.get_title().split(" (")[0] for ax in visible_axes(fig)]
    assert titles == [n for n in activations.names() if n != "softmax"]
    assert visible_axes(fig)[3].get_title() == "leaky_relu (alpha=0.01)"  # parameters shown
    x = visible_axes(fig)[0].get_lines()[0].get_xdata()
    assert x.min() == -5 and x.max() == 5


def test_activation_grid_uses_given_axes_and_bound_parameters():
    fig, axs = plt.subplots(1, 2)
    leaky = activations.get("leaky_relu", alpha=0.2)
    out = plots.plot_activation_grid([leaky, "tanh"], x=np.array([-2.0, 2.0]), axes=axs)
    assert out is fig and len(fig.axes) == 2
    np.testing.assert_allclose(axs[0].get_lines()[0].get_ydata(), [-0.4, 2.0])
    np.testing.assert_allclose(axs[0].get_lines()[1].get_ydata(), [0.2, 1.0])
    assert axs[0].get_title() == "leaky_relu (alpha=0.2)"


def test_activation_grid_rejects_bad_input():
    with pytest.raises(ValueError, match="accepted names"):
        plots.plot_activation_grid(["sigmoid", "sigmod"])
    with pytest.raises(ValueError, match="not element-wise"):
        plots.plot_activation_grid(["softmax"])
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="need 2 axes"):
        plots.plot_activation_grid(["relu", "elu"], axes=ax)


def test_grad_w_plots_one_line_per_layer_on_a_log_scale(tmp_path):
    n_epochs = 30
    # vanishing gradients: each layer 10x smaller than the next, output layer largest
    grad_w = np.array([10.0 ** (-3 + i) * np.linspace(1, 0.5, n_epochs) for i in range(4)])
    fig = plots.plot_grad_w(grad_w)
    render(fig, tmp_path, "grad_w")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 4
    for row, line in zip(grad_w, lines):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(n_epochs))
        np.testing.assert_array_equal(line.get_ydata(), row)
    assert ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["hidden layer 1", "hidden layer 2", "hidden layer 3", "output layer"]
    assert [ln.get_label() for ln in lines] == labels
    assert ax.get_xlabel() == "epoch" and "gradient" in ax.get_title()
    assert "log" in ax.get_ylabel()


def test_grad_w_linear_scale_custom_labels_and_given_ax():
    fig, (a0, a1) = plt.subplots(1, 2)
    out = plots.plot_grad_w([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], log=False, ax=a1,
                            layer_labels=["first", "last"])
    assert out is fig and not a0.get_lines()
    assert a1.get_yscale() == "linear"
    assert [ln.get_label() for ln in a1.get_lines()] == ["first", "last"]
    np.testing.assert_array_equal(a1.get_lines()[1].get_ydata(), [4, 5, 6])


def test_grad_w_rejects_wrong_shapes_and_label_counts():
    with pytest.raises(ValueError, match=r"\(n_layers, n_epochs\)"):
        plots.plot_grad_w(np.zeros(5))
    with pytest.raises(ValueError, match="2 layer_labels for 3 rows"):
        plots.plot_grad_w(np.ones((3, 4)), layer_labels=["a", "b"])


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
    assert [flat[0].get_title(), flat[1].get_title()] == ["layer 1", "layer 2"]
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
    plots.plot_activation_grid(["tanh"])
    plots.plot_grad_w(np.ones((2, 3)))
    plots.plot_layer_histograms([np.ones(3)])
