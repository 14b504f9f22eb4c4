"""coursepkg.initstudy: gains, quadrature, the per-layer spread of deep networks, the
mean-field maps and SELU's alpha-dropout, checked against closed forms and measurements."""
import numpy as np
import pytest

from coursepkg import initstudy as ist


def test_gaussian_moment_matches_closed_forms():
    assert ist.gaussian_moment(lambda z: z ** 2, 0.0, 2.5) == pytest.approx(2.5, rel=1e-10)
    assert ist.gaussian_moment(lambda z: z ** 4, 0.0, 2.0) == pytest.approx(3 * 4.0, rel=1e-10)
    assert ist.gaussian_moment(lambda z: z, 1.5, 4.0) == pytest.approx(1.5, rel=1e-10)
    # a jump at 0 (ReLU's derivative) is integrated correctly: P(z > 0) = 1/2
    assert ist.gaussian_moment(lambda z: (z > 0).astype(float)) == pytest.approx(0.5, abs=1e-12)
    with pytest.raises(ValueError, match="var"):
        ist.gaussian_moment(np.exp, 0.0, -1.0)


def test_gains_of_the_classic_rules():
    assert ist.activation_gain("linear") == pytest.approx(1.0)
    assert ist.activation_gain("relu") == pytest.approx(np.sqrt(2))
    assert ist.activation_gain("leaky_relu") == pytest.approx(np.sqrt(2 / (1 + 0.01 ** 2)))
    assert ist.activation_gain("selu") == pytest.approx(1.0, abs=1e-4)      # SELU's constants
    # swish and GELU pass less of a small signal than ReLU: larger gains
    assert ist.activation_gain("swish") > ist.activation_gain("gelu") > ist.activation_gain("relu")
    with pytest.raises(ValueError, match="accepted.*relu"):
        ist.activation_gain("softsign")


def test_weight_variance_by_name():
    assert ist.weight_variance("lecun", 100) == pytest.approx(0.01)
    assert ist.weight_variance("glorot", 100, 300) == pytest.approx(2 / 400)
    assert ist.weight_variance("he", 50) == pytest.approx(0.04)
    assert ist.weight_variance("torch", 12) == pytest.approx(1 / 36)
    with pytest.raises(ValueError, match="accepted"):
        ist.weight_variance("orthogonal", 10)


@pytest.mark.parametrize("act, scale, per_layer", [
    ("relu", 1.0, 0.5),      # LeCun for ReLU: the variance halves in every layer
    ("relu", 2.0, 1.0),      # He: kept
    ("linear", 1.0, 1.0),
])
def test_propagate_follows_the_variance_recursion(act, scale, per_layer):
    width, depth = 256, 20
    s = ist.propagate(act, scale / width, n_layers=depth, width=width, n_examples=256,
                      rng=np.random.default_rng(3))
    assert s.z_std.shape == s.grad_std.shape == s.grad_w.shape == (depth,)
    predicted = per_layer ** ((depth - 1) / 2)           # std ratio last / first layer
    assert s.z_std[-1] / s.z_std[0] == pytest.approx(predicted, rel=0.35)
    assert s.grad_std[0] / s.grad_std[-1] == pytest.approx(predicted, rel=0.35)


def test_propagate_backward_is_the_true_gradient():
    """grad_std of layer 0 equals the std of d(sum(g * h_L))/dz_0 by finite differences
    of the same network (weights and g reproduced from the same generator)."""
    width, depth, n = 8, 3, 5
    s = ist.propagate("tanh", 1.0 / width, n_layers=depth, width=width, n_examples=n,
                      rng=np.random.default_rng(7))
    rng = np.random.default_rng(7)
    X = rng.standard_normal((n, width))
    Ws = [rng.normal(0, np.sqrt(1 / width), size=(width, width)) for _ in range(depth)]
    g = rng.standard_normal((n, width))

    def loss_of_z0(z0):
        h = np.tanh(z0)
        for W in Ws[1:]:
            h = np.tanh(h @ W)
        return np.sum(g * h)

    z0, eps = X @ Ws[0], 1e-6
    numeric = np.zeros_like(z0)
    for idx in np.ndindex(*z0.shape):
        step = np.zeros_like(z0)
        step[idx] = eps
        numeric[idx] = (loss_of_z0(z0 + step) - loss_of_z0(z0 - step)) / (2 * eps)
    assert s.grad_std[0] == pytest.approx(numeric.std(), rel=1e-6)


def test_mean_field_maps():
    assert ist.chi("relu", 2.0) == pytest.approx(1.0, abs=1e-12)   # the edge is He
    assert ist.chi("tanh", 0.5) == pytest.approx(0.5, abs=1e-6)    # q* = 0, tanh'(0) = 1
    assert ist.fixed_point("tanh", 0.5) < 1e-6
    q = ist.fixed_point("tanh", 2.0)
    assert ist.length_map("tanh", q, 2.0) == pytest.approx(q, rel=1e-9) and q > 0.1
    assert ist.chi("tanh", 2.0) > 1                                 # chaotic
    assert ist.fixed_point("selu", 1.0, q0=3.0) == pytest.approx(1.0, abs=1e-3)


def test_alpha_dropout_keeps_mean_zero_and_variance_one():
    rng = np.random.default_rng(0)
    x = ist.ACTIVATIONS["selu"][0](rng.standard_normal(400_000))   # mean 0, variance 1
    y = ist.alpha_dropout(x, 0.2, rng)
    assert abs(y.mean()) < 0.01 and y.var() == pytest.approx(1.0, abs=0.01)
    dropped_value = y.min()
    assert np.mean(np.isclose(y, dropped_value)) == pytest.approx(0.2, abs=0.01)


def test_selu_runs_with_and_without_dropout():
    means, variances = ist.selu_dropout_run("alpha", start_mean=0.5, start_std=2.0, n_layers=24)
    assert means.shape == variances.shape == (24,)
    assert abs(variances[-6:].mean() - 1) < 0.1
    _, var_std = ist.selu_dropout_run("standard", start_mean=0.5, start_std=2.0, n_layers=24)
    assert var_std[-6:].mean() > 1.3
    with pytest.raises(ValueError, match="'alpha'"):
        ist.selu_dropout_run("gaussian")


def test_dead_units_more_with_the_small_uniform_init():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 40))
    sizes = [64] * 8
    torch = ist.dead_units(X, sizes, "torch", np.random.default_rng(1))
    he = ist.dead_units(X, sizes, "he", np.random.default_rng(1))
    assert torch.shape == he.shape == (8,) and torch.dtype.kind == "i"
    assert torch.sum() > he.sum() and (torch <= 64).all()
    with pytest.raises(ValueError, match="'torch' or 'he'"):
        ist.dead_units(X, sizes, "lecun", rng)
