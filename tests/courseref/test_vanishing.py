"""courseref.vanishing: the deep dp network whose per-layer gradients the book plots, and
plot_grad_w, which draws one labelled curve per row of grad_w (exercise 3)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from courseref import vanishing  # noqa: E402
from figures import close_figures, render, visible_axes  # noqa: E402, F401 (autouse fixture)


def test_sigmoid_gradient_vanishes_towards_the_input_but_relu_does_not():
    sig = vanishing.run("sigmoid", n_hidden_layers=10, n_steps=30, seed=0)
    relu = vanishing.run("relu", n_hidden_layers=10, n_steps=30, seed=0)
    assert sig.grad_w.shape == (11, 30)
    first, last = sig.grad_w[0].mean(), sig.grad_w[-1].mean()
    assert first < 1e-3 * last                      # many orders of magnitude smaller
    assert relu.grad_w[0].mean() > 1e-2 * relu.grad_w[-1].mean()


def test_grad_w_rows_are_the_weight_gradients_of_each_layer():
    """Row k equals mean |dL/dW| of layer k at that step, recomputed independently."""
    X = np.random.default_rng(0).normal(size=(8, 4))
    y = np.array([0, 1] * 4)
    res = vanishing.run("tanh", n_hidden_layers=2, n_hidden_neurons=3, n_steps=1,
                        batch_size=8, seed=5, X=X, y=y)
    rng = np.random.default_rng(5)
    net = vanishing.DeepNet(4, 3, 2, "tanh", seed=rng)
    batch = rng.integers(0, 8, size=8)          # the optimizer's first batch, same stream
    grads, _ = net.get_grad(X[batch], y[batch].astype(float))
    expected = [np.mean(np.abs(grads[f"{n}_W"])) for n in ("h0", "h1", "out")]
    np.testing.assert_allclose(res.grad_w[:, 0], expected)


def test_training_reaches_full_accuracy_with_tanh():
    assert vanishing.run("tanh", n_hidden_layers=3, n_steps=150, seed=0).accuracy == 1.0


def test_unknown_activation_is_rejected_with_the_accepted_names():
    with pytest.raises(ValueError, match="act_func must be one of sigmoid, tanh, relu"):
        vanishing.run("step", n_steps=1)


def test_plot_grad_w_plots_one_line_per_layer_on_a_log_scale(tmp_path):
    n_steps = 30
    # vanishing gradients: each layer 10x smaller than the next, output layer largest
    grad_w = np.array([10.0 ** (-3 + i) * np.linspace(1, 0.5, n_steps) for i in range(4)])
    fig = vanishing.plot_grad_w(grad_w)
    render(fig, tmp_path, "grad_w")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 4
    for row, line in zip(grad_w, lines):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(n_steps))
        np.testing.assert_array_equal(line.get_ydata(), row)
    assert ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["hidden layer 0", "hidden layer 1", "hidden layer 2", "output layer"]
    assert [ln.get_label() for ln in lines] == labels
    assert ax.get_xlabel() == "step" and "gradient" in ax.get_title()
    assert "log" in ax.get_ylabel()


def test_plot_grad_w_linear_scale_custom_labels_and_given_ax():
    fig, (a0, a1) = plt.subplots(1, 2)
    out = vanishing.plot_grad_w([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], log=False, ax=a1,
                            layer_labels=["first", "last"])
    assert out is fig and not a0.get_lines()
    assert a1.get_yscale() == "linear"
    assert [ln.get_label() for ln in a1.get_lines()] == ["first", "last"]
    np.testing.assert_array_equal(a1.get_lines()[1].get_ydata(), [4, 5, 6])


def test_plot_grad_w_rejects_wrong_shapes_and_label_counts():
    with pytest.raises(ValueError, match=r"\(n_layers, n_steps\)"):
        vanishing.plot_grad_w(np.zeros(5))
    with pytest.raises(ValueError, match="2 layer_labels for 3 rows"):
        vanishing.plot_grad_w(np.ones((3, 4)), layer_labels=["a", "b"])


def test_plot_grad_w_never_calls_show(monkeypatch):
    def fail():
        raise AssertionError("plt.show() called")

    monkeypatch.setattr(plt, "show", fail)
    vanishing.plot_grad_w(np.ones((2, 3)))


def test_plot_grad_w_text_is_at_least_9_px_at_the_books_column_width():
    """The book's Fig. of an 11-layer grad_w, legend outside: font px x image scale >= 9."""
    import io
    import struct

    import matplotlib.text
    fig = vanishing.plot_grad_w(np.abs(np.random.default_rng(0).normal(size=(11, 50))))
    buf = io.BytesIO()
    fig.savefig(buf, dpi=100, bbox_inches="tight", format="png")
    scale = min(1.0, 730 / struct.unpack(">I", buf.getvalue()[16:20])[0])
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip()]
    assert min(sizes) * 100 / 72 * scale >= 9
