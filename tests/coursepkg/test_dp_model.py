"""coursepkg.dp.Model: layers, parameters, gradients, initialisation, error messages."""

import numpy as np
import pytest

from coursepkg import dp
from coursepkg.data import load_iris_binary
from coursepkg.dp import Model, Node


class MLP(Model):
    """n_hidden_layers dense layers of n_hidden_neurons with act_func, sigmoid output, summed BCE."""

    def __init__(self, n_features=4, n_hidden_layers=1, n_hidden_neurons=10, act_func="tanh", seed=None):
        super().__init__(seed=seed)
        sizes = [n_features] + [n_hidden_neurons] * n_hidden_layers + [1]
        self.layers = [self.Linear_Layer(n_in, n_out, f"h{k}")
                       for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]))]
        self.act_func = act_func

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = getattr(layer(x), self.act_func)()
        return self.layers[-1](x).sigmoid()

    def loss(self, x, y):
        y = y if isinstance(y, Node) else Node(y)
        y_hat = self.forward(x)
        return -(y * y_hat.log() + (1 - y) * (1 - y_hat).log()).sum()


def test_linear_layer_registers_named_parameters_in_creation_order():
    net = MLP(n_features=4, n_hidden_layers=2, n_hidden_neurons=5)
    param = net.get_param()
    assert list(param) == ["h0_W", "h0_b", "h1_W", "h1_b", "h2_W", "h2_b"]
    assert [p.shape for p in param.values()] == [(4, 5), (1, 5), (5, 5), (1, 5), (5, 1), (1, 1)]


def test_linear_layer_computes_x_at_W_plus_b():
    net = MLP(n_features=3, n_hidden_layers=1, n_hidden_neurons=2)
    param = {"h0_W": np.arange(6.0).reshape(3, 2), "h0_b": np.array([[0.5, -1.0]]),
             "h1_W": np.ones((2, 1)), "h1_b": np.zeros((1, 1))}
    net.set_param(param)
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]])
    assert np.allclose(net.layers[0](x).value, x @ param["h0_W"] + param["h0_b"])
    assert net.layers[0](Node(x)).value.shape == (2, 2)


def test_glorot_uniform_initialisation_and_zero_biases():
    net = MLP(n_features=4, n_hidden_layers=3, n_hidden_neurons=50, seed=1)
    for name, value in net.get_param().items():
        if name.endswith("_b"):
            assert np.all(value == 0)
        else:
            limit = np.sqrt(6 / sum(value.shape))
            assert np.abs(value).max() <= limit
            assert np.abs(value).max() > 0.8 * limit  # really spread over the whole range
            if value.size >= 200:
                assert np.isclose(value.var(), limit**2 / 3, rtol=0.25)


def test_initialisation_is_reproducible_from_seed_or_generator():
    same = [MLP(seed=7).get_param(), MLP(seed=7).get_param()]
    assert all(np.array_equal(same[0][k], same[1][k]) for k in same[0])
    other = MLP(seed=8).get_param()
    assert not np.array_equal(same[0]["h0_W"], other["h0_W"])
    # no seed: the documented fixed default, identical on every run
    default = MLP().get_param()
    assert np.array_equal(default["h0_W"], MLP(seed=dp.DEFAULT_SEED).get_param()["h0_W"])
    # a shared Generator draws different nets, reproducibly
    rng = np.random.default_rng(3)
    first, second = MLP(seed=rng).get_param(), MLP(seed=rng).get_param()
    assert not np.array_equal(first["h0_W"], second["h0_W"])
    rng_again = np.random.default_rng(3)
    assert np.array_equal(MLP(seed=rng_again).get_param()["h0_W"], first["h0_W"])
    with pytest.raises(TypeError, match="seed must be None, an int or a numpy.random.Generator"):
        MLP(seed="seven")


def test_get_param_returns_copies_and_set_param_copies_in():
    net = MLP()
    param = net.get_param()
    param["h0_W"][:] = 0.0
    assert not np.all(net.get_param()["h0_W"] == 0.0), "changing get_param's arrays must not change the model"
    net.set_param(param)
    assert np.all(net.get_param()["h0_W"] == 0.0)
    param["h0_W"][:] = 1.0  # the model keeps its own copy
    assert np.all(net.get_param()["h0_W"] == 0.0)


def test_set_param_rejects_wrong_names_and_shapes_without_changing_anything():
    net = MLP()
    before = net.get_param()
    missing = {k: v for k, v in before.items() if k != "h1_b"}
    with pytest.raises(KeyError, match=r"missing \['h1_b'\]"):
        net.set_param(missing)
    with pytest.raises(KeyError, match=r"unknown \['h9_W'\]"):
        net.set_param({**before, "h9_W": np.zeros((1, 1))})
    wrong = {**before, "h0_W": np.zeros((4, 10)) + 1, "h1_W": np.zeros((1, 10))}
    with pytest.raises(ValueError, match=r"'h1_W' must have shape \(10, 1\), got \(1, 10\)"):
        net.set_param(wrong)
    after = net.get_param()
    assert all(np.array_equal(before[k], after[k]) for k in before), \
        "a rejected set_param must change nothing"
    with pytest.raises(TypeError, match="dict"):
        net.set_param([1, 2])


def test_layer_input_shape_mismatch_names_layer_and_both_shapes():
    net = MLP(n_features=10)
    message = (r"layer 'h0' expects inputs with 10 features \(W is \(10, 10\)\), "
               r"got an input of shape \(128, 4\)")
    with pytest.raises(ValueError, match=message):
        net.forward(np.ones((128, 4)))


def test_linear_layer_argument_errors():
    net = MLP()
    with pytest.raises(ValueError, match="already exists"):
        net.Linear_Layer(10, 1, "h0")
    with pytest.raises(ValueError, match="n_out must be a positive int"):
        net.Linear_Layer(3, 0, "new")
    with pytest.raises(ValueError, match="name"):
        net.Linear_Layer(3, 2, "")


def test_base_model_forward_and_loss_must_be_defined():
    model = Model()
    with pytest.raises(NotImplementedError, match="forward"):
        model.forward(np.ones((1, 1)))
    with pytest.raises(ValueError, match="no parameters"):
        model.get_grad(np.ones((1, 1)), np.ones(1))


def test_get_grad_matches_finite_differences_of_the_loss():
    """get_grad's dict has the parameters' keys and shapes and the right values."""
    X, y = load_iris_binary()
    net = MLP(n_hidden_layers=2, n_hidden_neurons=4, act_func="sigmoid", seed=2)
    grads, loss = net.get_grad(X[::7], y[::7])
    param = net.get_param()
    assert list(grads) == list(param) and loss.value.shape == (1, 1)
    eps = 1e-6
    for name, value in param.items():
        assert grads[name].shape == value.shape
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            shifted = {k: v.copy() for k, v in param.items()}
            shifted[name][index] += eps
            net.set_param(shifted)
            plus = net.loss(X[::7], y[::7]).value[0, 0]
            shifted[name][index] -= 2 * eps
            net.set_param(shifted)
            minus = net.loss(X[::7], y[::7]).value[0, 0]
            numeric[index] = (plus - minus) / (2 * eps)
        net.set_param(param)
        assert np.allclose(grads[name], numeric, rtol=1e-5, atol=1e-7), name


def test_get_grad_does_not_accumulate_over_calls():
    X, y = load_iris_binary()
    net = MLP()
    first, _ = net.get_grad(X, y)
    second, _ = net.get_grad(X, y)
    assert all(np.allclose(first[k], second[k]) for k in first)


def test_ten_layer_sigmoid_net_has_vanishing_gradients_at_initialisation():
    """The course's effect: the first layer's mean |dW| is >= 100x smaller than the output layer's."""
    X, y = load_iris_binary()
    for seed in range(3):
        net = MLP(n_hidden_layers=10, n_hidden_neurons=10, act_func="sigmoid", seed=seed)
        grads, _ = net.get_grad(X, y)
        mean_abs = [np.mean(np.abs(grads[f"h{k}_W"])) for k in range(11)]
        assert mean_abs[0] * 100 <= mean_abs[-1], mean_abs
        assert mean_abs[0] > 0


def test_relu_and_tanh_nets_train_through_the_same_model_class():
    X, y = load_iris_binary()
    for act_func in ("relu", "tanh", "leaky_relu", "elu", "swish", "gelu"):
        net = MLP(n_hidden_layers=2, act_func=act_func, seed=0)
        optimizer = dp.SGD(net, X, y, {"alpha": 0.01}, seed=0)
        optimizer.train(30, print_each=0)
        accuracy = np.mean(net.forward(X).value.round().ravel() == y)
        assert accuracy == 1.0, act_func
