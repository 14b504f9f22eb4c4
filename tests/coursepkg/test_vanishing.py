"""coursepkg.vanishing: the deep dp network whose per-layer gradients the book plots."""
import numpy as np
import pytest

from coursepkg import vanishing


def test_sigmoid_gradient_vanishes_towards_the_input_but_relu_does_not():
    sig = vanishing.run("sigmoid", n_hidden_layers=10, n_epochs=30, seed=0)
    relu = vanishing.run("relu", n_hidden_layers=10, n_epochs=30, seed=0)
    assert sig.grad_w.shape == (11, 30)
    first, last = sig.grad_w[0].mean(), sig.grad_w[-1].mean()
    assert first < 1e-3 * last                      # many orders of magnitude smaller
    assert relu.grad_w[0].mean() > 1e-2 * relu.grad_w[-1].mean()


def test_grad_w_rows_are_the_weight_gradients_of_each_layer():
    """Row k equals mean |dL/dW| of layer k at that step, recomputed independently."""
    X = np.random.default_rng(0).normal(size=(8, 4))
    y = np.array([0, 1] * 4)
    res = vanishing.run("tanh", n_hidden_layers=2, n_hidden_neurons=3, n_epochs=1,
                        batch_size=8, seed=5, X=X, y=y)
    rng = np.random.default_rng(5)
    net = vanishing.DeepNet(4, 3, 2, "tanh", seed=rng)
    batch = rng.integers(0, 8, size=8)          # the optimizer's first batch, same stream
    grads, _ = net.get_grad(X[batch], y[batch].astype(float))
    expected = [np.mean(np.abs(grads[f"{n}_W"])) for n in ("h0", "h1", "out")]
    np.testing.assert_allclose(res.grad_w[:, 0], expected)


def test_training_reaches_full_accuracy_with_tanh():
    assert vanishing.run("tanh", n_hidden_layers=3, n_epochs=150, seed=0).accuracy == 1.0


def test_unknown_activation_is_rejected_with_the_accepted_names():
    with pytest.raises(ValueError, match="act_func must be one of sigmoid, tanh, relu"):
        vanishing.run("step", n_epochs=1)
