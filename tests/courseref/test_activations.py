"""courseref.activations: values, derivatives (finite differences and TensorFlow),
identities, stability at extreme inputs, dtypes, and the registry."""

import math
import os
import warnings

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402  (once per module: the reference implementation)

from courseref import activations as A  # noqa: E402

ELEMENTWISE = [n for n in A.names() if n != "softmax"]

# Each case: registry name, keyword parameters. Non-default parameters are included
# so that the parameter really reaches f and df.
CASES = [(n, {}) for n in ELEMENTWISE] + [
    ("leaky_relu", {"alpha": 0.2}),
    ("prelu", {"alpha": 0.7}),
    ("elu", {"alpha": 0.5}),
    ("swish", {"beta": 2.5}),
]
CASE_IDS = [n + "".join(f"-{k}={v}" for k, v in p.items()) for n, p in CASES]


def tf_reference(name, params):
    """The same activation written with TensorFlow's own ops (independent of our code)."""
    a = params
    return {
        "sigmoid": tf.sigmoid,
        "tanh": tf.tanh,
        "relu": tf.nn.relu,
        # (tf.nn.leaky_relu keeps alpha as a float32 attribute: 0.01 -> 0.0099999998)
        "leaky_relu": lambda x: tf.where(x > 0, x, a.get("alpha", 0.01) * x),
        "prelu": lambda x: tf.maximum(x, 0.0) + a.get("alpha", 0.25) * tf.minimum(x, 0.0),
        "elu": lambda x: tf.where(x > 0, x, a.get("alpha", 1.0) * tf.math.expm1(tf.minimum(x, 0.0))),
        "selu": tf.nn.selu,
        "swish": lambda x: tf.nn.silu(x, beta=a.get("beta", 1.0)),
        "silu": tf.nn.silu,
        # (tf.nn.gelu loses ~1e-7 relative precision in float64, so it is spelled out)
        "gelu": lambda x: 0.5 * x * tf.math.erfc(-x / np.sqrt(2.0)),
        "gelu_tanh": lambda x: 0.5 * x * (1 + tf.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
        "softplus": tf.nn.softplus,
    }[name]


@pytest.fixture(scope="module")
def x_smooth():
    """float64 points in [-6, 6] away from the kinks at 0 (where relu & co. have no derivative)."""
    x = np.random.default_rng(0).uniform(-6, 6, size=200)
    x = x[np.abs(x) > 1e-2]
    return np.concatenate([x, [-3.0, -1.0, -0.5, 0.5, 1.0, 3.0]])


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_derivative_matches_central_finite_differences(name, params, x_smooth):
    act = A.get(name, **params)
    h = 1e-6
    fd = (act.f(x_smooth + h) - act.f(x_smooth - h)) / (2 * h)
    np.testing.assert_allclose(act.df(x_smooth), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_value_and_derivative_match_tensorflow_gradient_tape(name, params, x_smooth):
    act = A.get(name, **params)
    x = tf.constant(x_smooth, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf_reference(name, params)(x)
    dy = tape.gradient(y, x)
    np.testing.assert_allclose(act.f(x_smooth), y.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(act.df(x_smooth), dy.numpy(), rtol=1e-10, atol=1e-12)


def test_relu_family_derivative_at_the_kink_is_the_tensorflow_convention():
    """At exactly 0 the derivative is a convention; we use TensorFlow's."""
    x = tf.constant([0.0], dtype=tf.float64)
    for ours, ref in [(A.d_relu, tf.nn.relu),
                      (lambda v: A.d_leaky_relu(v, 0.2), lambda v: tf.nn.leaky_relu(v, 0.2))]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = ref(x)
        # (TF keeps leaky_relu's alpha in float32, hence approx)
        assert ours(np.array([0.0]))[0] == pytest.approx(tape.gradient(y, x).numpy()[0], rel=1e-7)


def test_prelu_derivative_wrt_alpha_matches_finite_differences_and_tensorflow():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 3)) * 3
    alpha = np.array([0.1, 0.25, 0.6])  # one slope per neuron, broadcast over rows
    h = 1e-6
    for j in range(3):
        e = np.zeros(3)
        e[j] = h
        fd = (A.prelu(x, alpha + e) - A.prelu(x, alpha - e))[:, j] / (2 * h)
        np.testing.assert_allclose(A.d_prelu_alpha(x, alpha)[:, j], fd, rtol=1e-6, atol=1e-9)
    a_tf = tf.Variable(alpha)
    with tf.GradientTape() as tape:
        y = tf.maximum(x, 0.0) + a_tf * tf.minimum(tf.constant(x), 0.0)
        loss = tf.reduce_sum(y)
    # upstream gradient of ones, summed over the rows alpha is broadcast along
    np.testing.assert_allclose(A.d_prelu_alpha(x, alpha).sum(axis=0), tape.gradient(loss, a_tf).numpy())


def test_softmax_jacobian_vector_product_and_jacobian_match_tensorflow():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 6)) * 2
    v = rng.normal(size=(4, 6))
    xt = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        s = tf.nn.softmax(xt, axis=-1)
        loss = tf.reduce_sum(s * v)
    np.testing.assert_allclose(A.softmax(x), s.numpy(), rtol=1e-12)
    np.testing.assert_allclose(A.d_softmax(x, v), tape.gradient(loss, xt).numpy(), rtol=1e-10, atol=1e-12)
    J_tf = tape.batch_jacobian(s, xt).numpy()  # (4, 6, 6)
    np.testing.assert_allclose(A.softmax_jacobian(x), J_tf, rtol=1e-10, atol=1e-12)
    # and the JVP is J @ v, row by row
    np.testing.assert_allclose(A.d_softmax(x, v), np.einsum("nij,nj->ni", J_tf, v), atol=1e-12)


def test_softmax_jacobian_matches_finite_differences():
    x = np.array([0.3, -1.2, 2.0, 0.0])
    h = 1e-6
    fd = np.stack([(A.softmax(x + h * e) - A.softmax(x - h * e)) / (2 * h) for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(A.softmax_jacobian(x), fd, rtol=1e-6, atol=1e-9)


def test_softmax_along_other_axis_sums_to_one_and_matches_tensorflow():
    x = np.random.default_rng(3).normal(size=(3, 5)) * 4
    s = A.softmax(x, axis=0)
    np.testing.assert_allclose(s.sum(axis=0), 1.0)
    np.testing.assert_allclose(s, tf.nn.softmax(x, axis=0).numpy(), rtol=1e-12)
    v = np.ones_like(x)
    np.testing.assert_allclose(A.d_softmax(x, v, axis=0), 0.0, atol=1e-15)  # sum is constant


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_stable_and_sums_to_one_for_huge_logits(dtype):
    x = np.array([[1e4, 1e4 - 1, -1e4, 0.0], [-1e4, -1e4, -1e4, -1e4]], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = A.softmax(x)
    assert s.dtype == dtype
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-6)
    # shift invariance: softmax(x) = softmax(x - c)
    np.testing.assert_allclose(s[0], A.softmax(np.array([1.0, 0.0, -2e4, -1e4]))
                               .astype(dtype), rtol=1e-6)
    np.testing.assert_allclose(s[1], 0.25, rtol=1e-6)


def test_tanh_is_a_rescaled_sigmoid():
    x = np.linspace(-10, 10, 2001)
    np.testing.assert_allclose(A.tanh(x), 2 * A.sigmoid(2 * x) - 1, atol=1e-15)


def test_sigmoid_derivative_peaks_at_one_quarter_at_zero():
    x = np.linspace(-10, 10, 20001)
    d = A.d_sigmoid(x)
    assert d.max() == pytest.approx(0.25, abs=1e-15)
    assert x[d.argmax()] == pytest.approx(0.0, abs=1e-12)
    assert A.d_sigmoid(0.0) == 0.25


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_registry_max_derivative_and_range_describe_the_function(name):
    act = A.get(name)
    x = np.concatenate([np.linspace(-60, 60, 240001), -np.logspace(-12, -1, 50)])
    d = np.abs(act.df(x))
    assert d.max() <= act.max_derivative + 1e-9
    assert d.max() >= act.max_derivative - 1e-4  # a supremum that is (nearly) attained on the grid
    y = act.f(x)
    low, high = act.output_range
    assert y.min() >= low - 1e-12 and y.max() <= high + 1e-12
    if math.isfinite(low):  # the bound is tight
        assert y.min() <= low + 1e-4
    else:  # really unbounded below
        assert act.f(-1e6) < -1e3
    if act.zero_centred:
        assert y.min() < 0 < y.max() and act.f(0.0) == 0


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if A.get(n).df_from_output is not None])
def test_derivative_from_output_equals_derivative(name, x_smooth):
    act = A.get(name)
    np.testing.assert_allclose(act.df_from_output(act.f(x_smooth)), act.df(x_smooth), rtol=1e-12, atol=1e-15)


def test_the_three_promised_from_output_helpers():
    y = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(A.d_sigmoid_from_output(y), [0.09, 0.25, 0.09])
    np.testing.assert_allclose(A.d_tanh_from_output(y), [0.99, 0.75, 0.19])
    np.testing.assert_array_equal(A.d_relu_from_output(np.array([0.0, 2.0])), [0.0, 1.0])
    assert {n for n in A.names() if A.get(n).df_from_output} >= {"sigmoid", "tanh", "relu"}


EXTREMES = [-1e4, -1e3, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1e3, 1e4]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_no_overflow_warning_finite_and_dtype_kept_at_extremes(name, params, dtype):
    act = A.get(name, **params)
    x = np.array(EXTREMES, dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        y, d = act.f(x), act.df(x)
        d_out = act.df_from_output(y) if act.df_from_output else d
    for arr in (y, d, d_out):
        assert arr.dtype == dtype
        assert np.all(np.isfinite(arr))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_limits_at_extremes_are_right(dtype):
    big = dtype(1e4)
    assert A.sigmoid(big) == 1 and A.sigmoid(-big) == 0 and A.d_sigmoid(big) == 0
    assert A.tanh(-big) == -1 and A.d_tanh(big) == 0
    assert A.softplus(big) == big and A.softplus(-big) == 0 and A.d_softplus(big) == 1
    assert A.swish(-big) == 0 and A.swish(big) == big and A.d_swish(big) == 1
    assert A.gelu(-big) == 0 and A.gelu(big) == big and A.d_gelu(-big) == 0
    assert A.gelu(big, approximate=True) == big and A.d_gelu(big, approximate=True) == 1
    assert A.elu(-big) == -1 and A.d_elu(-big) == 0
    assert A.selu(-big) == pytest.approx(-A.SELU_SCALE * A.SELU_ALPHA, rel=1e-6)


def test_dtypes_float32_kept_integers_promoted_scalars_stay_scalars():
    x32 = np.linspace(-3, 3, 7, dtype=np.float32)
    for n in ELEMENTWISE:
        assert A.get(n).f(x32).dtype == np.float32, n
    assert A.relu(np.array([-2, 3])).dtype == np.float64
    np.testing.assert_array_equal(A.relu(np.array([-2, 3])), [0.0, 3.0])
    assert np.ndim(A.sigmoid(0.0)) == 0 and A.sigmoid(0.0) == 0.5


def test_gelu_tanh_approximation_is_close_to_exact_gelu():
    x = np.linspace(-6, 6, 1201)
    gap = np.abs(A.gelu(x) - A.gelu(x, approximate=True))
    assert 0 < gap.max() < 1e-3
    assert A.get("gelu_tanh").f(1.0) == A.gelu(1.0, approximate=True)


def test_silu_is_swish_with_beta_one_and_beta_changes_swish():
    x = np.linspace(-5, 5, 101)
    np.testing.assert_array_equal(A.silu(x), A.swish(x, 1.0))
    assert not np.allclose(A.swish(x, 2.0), A.swish(x, 1.0))
    assert A.get("swish", beta=2.0).f(1.0) == A.swish(1.0, 2.0)


def test_unknown_name_raises_value_error_listing_all_names():
    with pytest.raises(ValueError) as err:
        A.get("sigmoidal")
    msg = str(err.value)
    assert "'sigmoidal'" in msg
    for n in A.names():
        assert n in msg


def test_unknown_parameter_and_non_string_name_are_rejected_clearly():
    with pytest.raises(ValueError, match="accepted parameters: alpha"):
        A.get("leaky_relu", beta=1.0)
    with pytest.raises(ValueError, match="accepted parameters: none"):
        A.get("tanh", alpha=1.0)
    with pytest.raises(TypeError, match="accepted names"):
        A.get(None)


def test_aliases_and_spelling_variants_resolve():
    assert A.get("LeakyReLU").name == "leaky_relu"
    assert A.get("leaky-relu").name == "leaky_relu"
    assert A.get(" Tanh ").name == "tanh"
    assert A.get("logistic").name == "sigmoid"
    assert A.get("silu").f(2.0) == A.swish(2.0)


def test_registry_entries_are_complete():
    assert A.names() == ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "selu",
                         "swish", "silu", "gelu", "gelu_tanh", "softplus", "softmax"]
    for n in A.names():
        act = A.get(n)
        assert act.name == n and act.latex and act.formula == act.latex
        assert act.saturating in {"both", "negative", "none"}
    assert A.get("sigmoid").max_derivative == 0.25
    assert A.get("tanh").zero_centred and not A.get("sigmoid").zero_centred
    assert A.get("sigmoid").saturating == "both" and A.get("leaky_relu").saturating == "none"
    assert not A.get("softmax").elementwise
    assert A.get("leaky_relu", alpha=0.3).params == {"alpha": 0.3}
