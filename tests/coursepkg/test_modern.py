"""coursepkg.modern: GELU and its approximations, the mobile and smooth ReLUs, and the
framework defaults read from the installed Keras (cross-checked by calling the layers)."""
import numpy as np
import pytest
from scipy.stats import norm

from coursepkg import modern

X = np.linspace(-6, 6, 1201)


def test_gelu_and_its_approximations():
    assert np.allclose(modern.gelu(X), X * norm.cdf(X))
    assert np.abs(modern.gelu_tanh(X) - modern.gelu(X)).max() < 1e-3
    gap = np.abs(modern.gelu_sigmoid(X) - modern.gelu(X)).max()
    assert 0.01 < gap < 0.03


def test_mask_average_converges_to_gelu():
    x = np.array([-2.0, -0.5, 0.0, 0.7, 3.0])
    few = modern.gelu_mask_average(x, 50, np.random.default_rng(0))
    many = modern.gelu_mask_average(x, 200_000, np.random.default_rng(0))
    assert np.abs(many - modern.gelu(x)).max() < 0.02
    assert set(np.unique(few[x == 3.0] / 3.0)) <= set(np.arange(51) / 50)


def test_hard_swish_relu6_mish_relu_squared():
    assert np.all(modern.hard_swish(X[X <= -3]) == 0) and np.allclose(modern.hard_swish(X[X >= 3]), X[X >= 3])
    assert modern.hard_swish(np.array(1.0)) == pytest.approx(4 / 6)
    assert modern.relu6(np.array([-1.0, 3.0, 9.0])).tolist() == [0.0, 3.0, 6.0]
    assert modern.mish(np.array(0.0)) == 0 and modern.mish(np.array(30.0)) == pytest.approx(30.0)
    assert modern.mish(X).min() < modern.silu(X).min() < 0
    assert modern.relu_squared(np.array([-2.0, 3.0])).tolist() == [0.0, 9.0]
    assert np.isfinite(modern.softplus(np.array([1000.0]))).all()


def test_framework_defaults_agree_with_what_the_layers_do():
    import keras

    d = modern.framework_defaults()
    slope = d["keras.layers.LeakyReLU(negative_slope=...)"]
    assert float(keras.layers.LeakyReLU()(np.array([-2.0], "float32"))[0]) == pytest.approx(-2 * slope)
    fn_slope = d["keras.activations.leaky_relu(negative_slope=...)"]
    assert float(keras.activations.leaky_relu(np.array([-2.0], "float32"))[0]) == pytest.approx(-2 * fn_slope)
    x = np.array([1.0], "float32")
    exact, approx = float(modern.gelu(x)[0]), float(modern.gelu_tanh(x)[0])
    for key, fn in [("keras.activations.gelu(approximate=...)", keras.activations.gelu),
                    ("keras.ops.gelu(approximate=...)", keras.ops.gelu)]:
        got = float(keras.ops.convert_to_numpy(fn(x))[0])
        assert got == pytest.approx(approx if d[key] else exact, abs=1e-6), key
