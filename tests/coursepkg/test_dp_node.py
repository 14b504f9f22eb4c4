"""coursepkg.dp.Node: shapes, every operation's gradient (finite differences), graphs."""

import warnings

import numpy as np
import pytest

from coursepkg.dp import LOG_EPS, GradcheckError, Node, gradcheck

# name -> (function of one Node, domain of valid inputs)
UNARY_OPS = {
    "neg": (lambda x: -x, "real"),
    "exp": (lambda x: x.exp(), "real"),
    "log": (lambda x: x.log(), "positive"),
    "tanh": (lambda x: x.tanh(), "real"),
    "sigmoid": (lambda x: x.sigmoid(), "real"),
    "relu": (lambda x: x.relu(), "real"),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), "real"),
    "leaky_relu_default": (lambda x: x.leaky_relu(), "real"),
    "elu": (lambda x: x.elu(0.7), "real"),
    "swish": (lambda x: x.swish(1.5), "real"),
    "swish_default": (lambda x: x.swish(), "real"),
    "gelu": (lambda x: x.gelu(), "real"),
    "gelu_tanh": (lambda x: x.gelu(approximate=True), "real"),
    "softplus": (lambda x: x.softplus(), "real"),
    "square": (lambda x: x.square(), "real"),
    "sqrt": (lambda x: x.sqrt(), "positive"),
    "abs": (lambda x: x.abs(), "real"),
    "pow3": (lambda x: x**3, "real"),
    "pow_neg_half": (lambda x: x**-0.5, "positive"),
    "transpose": (lambda x: x.transpose(), "real"),
    "T": (lambda x: x.T, "real"),
    "reshape": (lambda x: x.reshape(1, -1), "real"),
    "sum": (lambda x: x.sum(), "real"),
    "sum_axis0": (lambda x: x.sum(axis=0), "real"),
    "sum_axis1": (lambda x: x.sum(axis=1), "real"),
    "mean": (lambda x: x.mean(), "real"),
    "mean_axis0": (lambda x: x.mean(axis=0), "real"),
    "mean_axis1": (lambda x: x.mean(axis=1), "real"),
    "clip": (lambda x: x.clip(-0.5, 0.8), "real"),
}

BINARY_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}

# (shape of a, shape of b): equal shapes, a bias row, a column, a (1, 1) scalar
BROADCAST_SHAPES = [((5, 3), (5, 3)), ((5, 3), (1, 3)), ((5, 3), (5, 1)), ((5, 3), (1, 1)), ((1, 3), (4, 1))]


def random_input(rng, shape, domain):
    """Values away from kinks (0 for relu/abs, clip bounds) so finite differences are exact."""
    if domain == "positive":
        return rng.uniform(0.5, 2.0, size=shape)
    x = rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    x[np.abs(np.abs(x) - 0.5) < 0.05] += 0.1  # keep away from the clip bounds -0.5 and 0.8
    x[np.abs(x - 0.8) < 0.05] += 0.1
    return x


@pytest.mark.parametrize("name", UNARY_OPS)
def test_unary_op_gradient_matches_finite_differences(name):
    f, domain = UNARY_OPS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    for shape in [(4, 3), (1, 1), (6, 1), tuple(rng.integers(1, 6, size=2))]:
        gradcheck(f, [random_input(rng, shape, domain)])


@pytest.mark.parametrize("name", BINARY_OPS)
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_binary_op_gradient_matches_finite_differences_with_broadcasting(name, shapes):
    """Gradients are summed back to each operand's shape (bias rows, columns, scalars)."""
    f = BINARY_OPS[name]
    rng = np.random.default_rng(7)
    a = random_input(rng, shapes[0], "positive")
    b = random_input(rng, shapes[1], "positive")
    report = gradcheck(f, [a, b])
    assert report.analytic[0].shape == shapes[0]
    assert report.analytic[1].shape == shapes[1]
    gradcheck(lambda a, b: f(b, a), [a, b])


def test_matmul_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    gradcheck(lambda x, w: x @ w, [rng.normal(size=(5, 3)), rng.normal(size=(3, 2))])
    x, w, b = rng.normal(size=(7, 4)), rng.normal(size=(4, 3)), rng.normal(size=(1, 3))
    gradcheck(lambda x, w, b: (x @ w + b).tanh(), [x, w, b])


@pytest.mark.parametrize("name", BINARY_OPS)
def test_numbers_and_arrays_work_on_either_side(name):
    """`2 - x`, `x - 2`, `array * x`, `x / array` give the numpy result and right gradients."""
    f = BINARY_OPS[name]
    rng = np.random.default_rng(11)
    x = random_input(rng, (3, 2), "positive")
    other = random_input(rng, (1, 2), "positive")
    for constant in (2.5, 3, np.float64(1.5), other):
        left = f(constant, Node(x))
        right = f(Node(x), constant)
        assert isinstance(left, Node) and isinstance(right, Node)
        assert np.allclose(left.value, f(constant, x))
        assert np.allclose(right.value, f(x, constant))
        gradcheck(lambda n, c=constant: f(c, n), [x])
        gradcheck(lambda n, c=constant: f(n, c), [x])
    assert np.allclose((other @ Node(x.T)).value, other @ x.T)  # array @ Node


def test_node_reused_gets_summed_gradient():
    """x used several times (x * x + tanh(x) * x) receives the sum of all paths' gradients."""
    rng = np.random.default_rng(5)
    x_value = rng.normal(size=(3, 4))
    x = Node(x_value)
    y = (x * x + x.tanh() * x + x).sum()
    y.backward()
    t = np.tanh(x_value)
    expected = 2 * x_value + (1 - t**2) * x_value + t + 1
    assert np.allclose(x.grad, expected)
    gradcheck(lambda x: x * x + x.tanh() * x + x, [x_value])


def test_shared_subexpression_in_a_diamond_graph():
    """h = tanh(x) feeds two branches that meet again: h's gradient is their sum, once."""
    x_value = np.linspace(-1, 1, 6).reshape(3, 2)
    gradcheck(lambda x: (lambda h: (h * 2 + h.sigmoid()) * h)(x.tanh()), [x_value])


def test_scalars_vectors_and_matrices_become_2d():
    assert Node(3.0).value.shape == (1, 1)
    assert Node(np.arange(4)).value.shape == (4, 1)
    assert Node([[1, 2, 3]]).value.shape == (1, 3)
    assert Node(np.arange(4)).value.dtype == np.float64
    assert Node(np.ones((2, 3))).sum().value.shape == (1, 1)
    assert Node(np.ones((2, 3))).sum(axis=0).value.shape == (1, 3)
    assert Node(np.ones((2, 3))).sum(axis=1).value.shape == (2, 1)
    assert Node(np.ones((2, 3))).mean().value[0, 0] == 1.0


def test_bad_inputs_give_clear_errors():
    with pytest.raises(ValueError, match=r"2-D.*\(2, 2, 2\)"):
        Node(np.ones((2, 2, 2)))
    with pytest.raises(TypeError, match="numeric"):
        Node("abc")
    with pytest.raises(ValueError, match=r"\(2, 3\) @ \(2, 3\)"):
        Node(np.ones((2, 3))) @ Node(np.ones((2, 3)))
    with pytest.raises(TypeError, match="exponent"):
        Node(2.0) ** Node(3.0)
    with pytest.raises(ValueError, match=r"\(1, 1\) loss.*\(2, 3\)"):
        Node(np.ones((2, 3))).tanh().backward()
    with pytest.raises(ValueError, match="axis"):
        Node(np.ones((2, 3))).sum(axis=2)


def test_backward_with_explicit_grad_for_non_scalar_output():
    x = Node(np.array([[1.0, -2.0]]))
    (x * 3).backward(np.array([[1.0, 10.0]]))
    assert np.allclose(x.grad, [[3.0, 30.0]])


def test_leaves_accumulate_over_backward_calls_until_their_grad_is_reset():
    x = Node(np.array([[2.0]]))
    loss = (x * x).sum()
    loss.backward()
    loss.backward()  # intermediate nodes restart from zero, the leaf accumulates: 4 + 4
    assert x.grad[0, 0] == 8.0
    x.grad = None
    assert x.grad[0, 0] == 0.0
    (x * x).sum().backward()
    assert x.grad[0, 0] == 4.0


def test_deep_chain_of_5000_nodes_has_no_recursion_limit():
    """An iterative topological sort: a 5000-op chain is fine and its gradient is right."""
    x = Node(np.array([[0.3]]))
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert np.isclose(x.grad[0, 0], 1.0001**5000)


def test_fifty_layer_tanh_network_gradient_matches_finite_differences():
    """50 dense tanh layers (width 3): no RecursionError and a correct input gradient."""
    rng = np.random.default_rng(0)
    weights = [rng.normal(scale=0.9, size=(3, 3)) for _ in range(50)]
    biases = [rng.normal(scale=0.1, size=(1, 3)) for _ in range(50)]

    def net(x):
        for W, b in zip(weights, biases):
            x = (x @ W + b).tanh()
        return x.sum()

    gradcheck(net, [rng.normal(size=(2, 3))], atol=1e-7)


def test_sigmoid_softplus_and_log_stay_finite_without_warnings_for_large_inputs():
    x = Node(np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow / divide warning fails the test
        s = x.sigmoid()
        assert 0.0 <= s.value[0, 0] < 1e-300  # floored at sigmoid(SIGMOID_FLOOR) ~ 1e-304
        assert np.allclose(s.value[:, 1:], [[4.248354255291589e-18, 0.5, 1.0, 1.0]], rtol=1e-12, atol=0)
        assert np.allclose(x.softplus().value, [[0.0, 4.248354255291589e-18, np.log(2), 40.0, 1000.0]])
        bce = -((1 - s).log()).sum()  # log(1 - 1.0) is clipped at log(LOG_EPS)
        assert np.isfinite(bce.value).all()
        bce.backward()
        assert np.isfinite(x.grad).all()
    assert np.isclose(Node(0.0).log().value[0, 0], np.log(LOG_EPS))


def test_gradcheck_reports_the_worst_wrong_entry():
    """A deliberately wrong backward (a constant copy hides a path) is caught and located."""
    def wrong(x):
        return (Node(x.value * 2.0) * x).sum()  # the first factor passes no gradient: 2x, not 4x

    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(2, 2\)\) at \(1, 1\)"):
        gradcheck(wrong, [np.array([[1.0, 2.0], [3.0, 4.0]])])
    report = gradcheck(wrong, [np.array([[1.0, 2.0], [3.0, 4.0]])], raise_on_failure=False)
    assert not report.passed and report.max_abs_error > 1.0


def test_gradcheck_leaves_its_inputs_unchanged():
    x = np.array([[1.0, 2.0]])
    gradcheck(lambda n: n.exp(), [x])
    assert np.array_equal(x, [[1.0, 2.0]])
