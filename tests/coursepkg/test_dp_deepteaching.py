"""deep.TEACHING's own code runs unchanged on coursepkg.dp and trains as the notebook says.

The code is deep.TEACHING's, verbatim (tests/support/deepteaching.py); it runs here as the
notebook's cells do, with `Model`, `Node` and `np` in scope.
"""

import numpy as np
import pytest
from sklearn import datasets

from coursepkg.dp import Model, Node
from deepteaching import NET, OPTIMIZER, SGD

_cells = {"np": np, "Model": Model, "Node": Node}
exec(NET + OPTIMIZER + SGD, _cells)  # the notebook's two code cells
Net, SGD = _cells["Net"], _cells["SGD"]  # noqa: F811 (the notebook's SGD class)


def load_notebook_iris():
    """Iris as the notebook loads it: first 100 rows (classes 0 and 1), standardised features."""
    iris = datasets.load_iris()
    X = iris.data[:100]
    y = iris.target[:100]
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, y


def run_training_cell(global_seed):
    """The notebook's training cell, unchanged; returns the net and the printed lines."""
    np.random.seed(global_seed)  # the notebook's Optimizer draws batches from numpy's global RNG
    X, y = load_notebook_iris()

    n_epochs = 100
    n_hidden_layers = 1 # number of hidden layers
    n_hidden_neurons = 1 # number of neurons per hidden layer
    n_features = X.shape[1]
    act_func = 'sigmoid'

    grad_w = np.zeros(shape=(n_hidden_layers+1, n_epochs)) ### n_hidden_layers + 1 (for output)  # noqa: F841
    net = Net(n_features, n_hidden_neurons, n_hidden_layers, act_func)

    optimiser = SGD(
        net,
        x_train=X,
        y_train=y
    )
    optimiser.train(steps=n_epochs,print_each=n_epochs//10)
    return net, X, y


@pytest.mark.parametrize("global_seed", [0, 1, 2])
def test_notebook_training_cell_prints_loss_table_and_reaches_full_accuracy(global_seed, capsys):
    """The loss table every 10 steps, falling losses, then 100 % training accuracy."""
    X, y = load_notebook_iris()
    untrained_loss = Net(4, 1, 1, "sigmoid").loss(X, y).value[0, 0]
    net, X, y = run_training_cell(global_seed)
    lines = capsys.readouterr().out.splitlines()

    assert lines[0] == "iteration\tloss"
    table = [line.split() for line in lines[1:]]
    assert [int(row[0]) for row in table] == [1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    losses = [float(row[1]) for row in table]
    assert all(np.isfinite(losses))
    assert losses[-1] < losses[0] / 5, f"summed BCE should fall a lot in 100 steps: {losses}"
    # the notebook's accuracy formula, on what the trained model now predicts
    y_pred = net.forward(X).value
    assert y_pred.shape == (100, 1)
    acc = (len(y) - np.sum(np.abs(y - y_pred.round().flatten()))) / len(y)
    assert acc == 1.0
    # set_param reached the model: its loss on all 100 flowers fell from the untrained one
    assert net.loss(X, y).value[0, 0] < untrained_loss / 5


def test_notebook_training_is_reproducible_under_numpy_global_seed(capsys):
    """Same np.random.seed, same printed table and weights; another seed, other batches."""
    runs = []
    for global_seed in (5, 5, 6):
        net, _, _ = run_training_cell(global_seed)
        runs.append((capsys.readouterr().out, net.get_param()))
    assert runs[0][0] == runs[1][0] and runs[0][0] != runs[2][0]
    assert all(np.array_equal(runs[0][1][k], runs[1][1][k]) for k in runs[0][1])
    assert not np.array_equal(runs[0][1]["h0_W"], runs[2][1]["h0_W"])


def test_notebook_get_param_set_param_roundtrip_updates_model():
    """The notebook mutates get_param()'s arrays in place and hands them back with set_param."""
    net = Net(4, 1, 1, "sigmoid")
    param = net.get_param()
    assert list(param) == ["h0_W", "h0_b", "h1_W", "h1_b"]
    before = net.forward(np.ones((2, 4))).value.copy()
    param["h1_b"] -= 3.0  # in place, as `param[g] -= alpha * grad[g]`
    assert np.allclose(net.forward(np.ones((2, 4))).value, before), "get_param must return a copy"
    net.set_param(param)
    after = net.forward(np.ones((2, 4))).value
    assert np.all(after < before)
