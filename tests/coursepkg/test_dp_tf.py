"""coursepkg.dp against TensorFlow: same values and same gradients (GradientTape, float64).

Shapes are drawn from a seeded Generator; binary operations are checked on broadcasting
patterns (bias rows onto batches, columns, (1, 1) scalars, numbers on either side).
A function with a non-scalar output is compared through sum(f(...) * R), R random.
"""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402  (imported once for the whole module)

from coursepkg import dp  # noqa: E402
from coursepkg.dp import Node  # noqa: E402

# name -> (dp function, TensorFlow function, input domain)
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, "real"),
    "exp": (lambda x: x.exp(), tf.exp, "real"),
    "log": (lambda x: x.log(), tf.math.log, "positive"),
    "tanh": (lambda x: x.tanh(), tf.tanh, "real"),
    "sigmoid": (lambda x: x.sigmoid(), tf.sigmoid, "wide"),
    "relu": (lambda x: x.relu(), tf.nn.relu, "real"),
    # alpha 0.25: exact in float32, which tf.nn.leaky_relu stores it in
    "leaky_relu": (lambda x: x.leaky_relu(0.25), lambda x: tf.nn.leaky_relu(x, alpha=0.25), "real"),
    "elu": (lambda x: x.elu(), tf.nn.elu, "real"),
    "elu_alpha": (lambda x: x.elu(0.5), lambda x: tf.where(x > 0, x, 0.5 * (tf.exp(x) - 1)), "real"),
    "swish": (lambda x: x.swish(), tf.nn.silu, "real"),
    "swish_beta": (lambda x: x.swish(2.0), lambda x: x * tf.sigmoid(2.0 * x), "real"),
    # tf.nn.gelu rounds its constants to float32 (see the separate test): write GELU out in float64
    "gelu": (lambda x: x.gelu(), lambda x: 0.5 * x * (1 + tf.math.erf(x / np.sqrt(2.0))), "real"),
    "gelu_tanh": (
        lambda x: x.gelu(approximate=True),
        lambda x: 0.5 * x * (1 + tf.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
        "real",
    ),
    "softplus": (lambda x: x.softplus(), tf.nn.softplus, "wide"),
    "square": (lambda x: x.square(), tf.square, "real"),
    "sqrt": (lambda x: x.sqrt(), tf.sqrt, "positive"),
    "abs": (lambda x: x.abs(), tf.abs, "real"),
    "pow": (lambda x: x**3, lambda x: x**3, "real"),
    "pow_fraction": (lambda x: x**1.5, lambda x: x**1.5, "positive"),
    "transpose": (lambda x: x.T, tf.transpose, "real"),
    "reshape": (lambda x: x.reshape(1, -1), lambda x: tf.reshape(x, (1, -1)), "real"),
    "sum": (lambda x: x.sum(), lambda x: tf.reduce_sum(x, keepdims=True), "real"),
    "sum_axis0": (lambda x: x.sum(axis=0), lambda x: tf.reduce_sum(x, axis=0, keepdims=True), "real"),
    "sum_axis1": (lambda x: x.sum(axis=1), lambda x: tf.reduce_sum(x, axis=1, keepdims=True), "real"),
    "mean": (lambda x: x.mean(), lambda x: tf.reduce_mean(x, keepdims=True), "real"),
    "mean_axis0": (lambda x: x.mean(axis=0), lambda x: tf.reduce_mean(x, axis=0, keepdims=True), "real"),
    "clip": (lambda x: x.clip(-0.5, 0.5), lambda x: tf.clip_by_value(x, -0.5, 0.5), "real"),
}

BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


def draw(rng, shape, domain):
    if domain == "positive":
        return rng.uniform(0.2, 3.0, size=shape)
    if domain == "wide":  # includes saturated values
        return rng.normal(scale=15.0, size=shape)
    return rng.normal(size=shape)


def dp_value_and_grads(f, arrays, projection):
    nodes = [Node(a) for a in arrays]
    out = f(*nodes)
    (out * projection).sum().backward()
    return out.value, [n.grad for n in nodes]


def tf_value_and_grads(f, arrays, projection):
    variables = [tf.Variable(a, dtype=tf.float64) for a in arrays]
    with tf.GradientTape() as tape:
        out = f(*variables)
        scalar = tf.reduce_sum(out * projection)
    grads = tape.gradient(scalar, variables)
    return out.numpy(), [g.numpy() if g is not None else np.zeros(v.shape) for g, v in zip(grads, variables)]


def assert_same_as_tf(dp_f, tf_f, arrays, rng):
    out_shape = dp_f(*[Node(a) for a in arrays]).value.shape
    projection = rng.normal(size=out_shape)
    dp_out, dp_grads = dp_value_and_grads(dp_f, arrays, projection)
    tf_out, tf_grads = tf_value_and_grads(tf_f, arrays, projection)
    np.testing.assert_allclose(dp_out, tf_out, rtol=1e-10, atol=1e-12)
    for k, (ours, theirs) in enumerate(zip(dp_grads, tf_grads)):
        assert ours.shape == arrays[k].shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12, err_msg=f"gradient of input {k}")


@pytest.mark.parametrize("name", UNARY)
def test_unary_op_matches_tensorflow_on_random_shapes(name):
    dp_f, tf_f, domain = UNARY[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    for _ in range(3):
        shape = tuple(rng.integers(1, 7, size=2))
        assert_same_as_tf(dp_f, tf_f, [draw(rng, shape, domain)], rng)


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_matches_tf_nn_gelu_to_float32_constant_precision(approximate):
    rng = np.random.default_rng(9)
    x = Node(rng.normal(size=(5, 4)))
    out = x.gelu(approximate=approximate)
    out.sum().backward()
    x_var = tf.Variable(x.value)
    with tf.GradientTape() as tape:
        expected = tf.nn.gelu(x_var, approximate=approximate)
        total = tf.reduce_sum(expected)
    np.testing.assert_allclose(out.value, expected.numpy(), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(x.grad, tape.gradient(total, x_var).numpy(), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_matches_tensorflow_with_broadcasting(name):
    f = BINARY[name]
    rng = np.random.default_rng(sum(map(ord, name)) + 100)
    for _ in range(3):
        m, n = rng.integers(2, 7, size=2)
        pairs = [((m, n), (m, n)), ((m, n), (1, n)), ((m, n), (m, 1)), ((m, n), (1, 1)), ((1, n), (m, 1))]
        for shape_a, shape_b in pairs:
            a, b = draw(rng, shape_a, "positive"), draw(rng, shape_b, "positive")
            assert_same_as_tf(f, f, [a, b], rng)
            assert_same_as_tf(lambda x, y: f(y, x), lambda x, y: f(y, x), [a, b], rng)


@pytest.mark.parametrize("name", BINARY)
def test_numbers_on_either_side_match_tensorflow(name):
    f = BINARY[name]
    rng = np.random.default_rng(3)
    x = draw(rng, (4, 3), "positive")
    assert_same_as_tf(lambda a: f(2.5, a), lambda a: f(tf.constant(2.5, tf.float64), a), [x], rng)
    assert_same_as_tf(lambda a: f(a, 2.5), lambda a: f(a, tf.constant(2.5, tf.float64)), [x], rng)


def test_matmul_and_dense_layer_match_tensorflow():
    rng = np.random.default_rng(4)
    for _ in range(3):
        batch, n_in, n_out = rng.integers(1, 8, size=3)
        x, W, b = rng.normal(size=(batch, n_in)), rng.normal(size=(n_in, n_out)), rng.normal(size=(1, n_out))
        assert_same_as_tf(lambda x, W: x @ W, lambda x, W: x @ W, [x, W], rng)
        assert_same_as_tf(lambda x, W, b: (x @ W + b).tanh(), lambda x, W, b: tf.tanh(x @ W + b),
                          [x, W, b], rng)

    # the Model's fused Linear layer gives TensorFlow's gradients for x, W and b
    model = dp.Model(seed=0)
    layer = model.Linear_Layer(3, 2, "h0")
    params = model._params  # the live parameter Nodes, whose .grad backward fills
    x = rng.normal(size=(5, 3))
    x_node = Node(x)
    projection = rng.normal(size=(5, 2))
    (layer(x_node).sigmoid() * projection).sum().backward()
    x_var, W_var, b_var = (tf.Variable(v) for v in (x, params["h0_W"].value, params["h0_b"].value))
    with tf.GradientTape() as tape:
        scalar = tf.reduce_sum(tf.sigmoid(x_var @ W_var + b_var) * projection)
    gx, gW, gb = tape.gradient(scalar, [x_var, W_var, b_var])
    np.testing.assert_allclose(x_node.grad, gx.numpy(), rtol=1e-10)
    np.testing.assert_allclose(params["h0_W"].grad, gW.numpy(), rtol=1e-10)
    np.testing.assert_allclose(params["h0_b"].grad, gb.numpy(), rtol=1e-10)


def test_reused_nodes_match_tensorflow():
    """x feeds several branches; W is used by two layers (weight sharing)."""
    rng = np.random.default_rng(5)
    x, W = rng.normal(size=(4, 3)), rng.normal(size=(3, 3))

    def dp_f(x, W):
        h = (x @ W).tanh()
        return (h @ W).sigmoid() * x + x.square() - h

    def tf_f(x, W):
        h = tf.tanh(x @ W)
        return tf.sigmoid(h @ W) * x + tf.square(x) - h

    assert_same_as_tf(dp_f, tf_f, [x, W], rng)


def test_binary_cross_entropy_network_matches_tensorflow():
    """deep.TEACHING's loss on a 2-layer net: summed BCE of a sigmoid output, labels as a 1-D vector."""
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(16, 4)), (rng.random(16) > 0.5).astype(float)
    W1, b1 = rng.normal(size=(4, 5)), rng.normal(size=(1, 5))
    W2, b2 = rng.normal(size=(5, 1)), rng.normal(size=(1, 1))

    def dp_f(W1, b1, W2, b2):
        out = ((Node(x) @ W1 + b1).tanh() @ W2 + b2).sigmoid()
        target = Node(y)
        return (-1 * (target * out.log() + (1 - target) * (1 - out).log())).sum()

    def tf_f(W1, b1, W2, b2):
        out = tf.sigmoid(tf.tanh(x @ W1 + b1) @ W2 + b2)
        target = y.reshape(-1, 1)
        bce = -(target * tf.math.log(out) + (1 - target) * tf.math.log(1 - out))
        return tf.reduce_sum(bce, keepdims=True)

    assert_same_as_tf(dp_f, tf_f, [W1, b1, W2, b2], rng)
