"""deep.TEACHING's own code runs unchanged on coursepkg.dp and trains as the notebook says.

The classes below are copied verbatim from the deep.TEACHING notebook "Activation
Functions (Differentiable Programming)" (K. Strohmenger, code under the MIT licence, see
LICENSE); only the import line differs (`from coursepkg.dp import Model, Node` instead of
`from dp import ...`). They are reference code for a compatibility test, not course code.
"""

import numpy as np
import pytest
from sklearn import datasets

from coursepkg import dp  # noqa: F401  (the notebook imports the module too)
from coursepkg.dp import Model, Node


# ----------------------------------------------------------------- deep.TEACHING, verbatim
class Net(Model):    
    def __init__(self, n_features, n_hidden_neurons, n_layers, act_func):
        super(Net, self).__init__()
        self.hidden = self.Linear_Layer(n_features, 10, "h0")
        self.out = self.Linear_Layer(10, 1, "h1")
        
    def loss(self, x, y):
        if not type(y) == Node:
            y = Node(y)
        out = self.forward(x)
        loss = -1 * (y * out.log() + (1 - y) * (1 - out).log())
        return loss.sum()
    
    def forward(self, x):
        if not type(x) == Node:
            x = Node(x)
        x = self.hidden(x).tanh()
        x = self.out(x).sigmoid()
        return x


class Optimizer(object):
    
    def __init__(self, model, x_train=None, y_train=None, hyperparam=dict(), batch_size=128):
        self.model = model
        self.x_train = x_train
        self.y_train = y_train
        self.batch_size=batch_size
        self.hyperparam = hyperparam
        self._set_param()
        self.grad_stores = [] # list of dicts for momentum, etc. 
        
    def random_batch(self):
        n = self.x_train.shape[0]
        indices = np.random.randint(0, n, size=self.batch_size)
        return Node(self.x_train[indices]), Node(self.y_train[indices])

    def train(self, steps=1000, print_each=100):
        raise NotImplementedError()

    def _train(self, steps=1000, num_grad_stores=0, print_each=100):
        assert num_grad_stores in (0,1,2)
        model = self.model
        if num_grad_stores>0:
            x, y = self.random_batch()
            grad, loss = model.get_grad(x, y)
            self.grad_stores = [dict() for _ in range(num_grad_stores)]
        for grad_store in self.grad_stores:
            for g in grad:
                grad_store[g] = np.zeros_like(grad[g])
                
        param = model.get_param()
        print("iteration\tloss")    
        for i in range(1, steps+1):
            x, y = self.random_batch()
            grad, loss = model.get_grad(x, y)
            if i%print_each==0 or i==1:
                print(i, "\t",loss.value[0,0])       
                
            for g in grad:
                self._update(param, grad, g, i)
            
            model.set_param(param)
        
        return loss.value

    
    
class SGD(Optimizer):
    
    def __init__(self, model, x_train=None, y_train=None, hyperparam=dict(), batch_size=128):
        super(SGD, self).__init__(model, x_train, y_train, hyperparam, batch_size)
        
    def _set_param(self):
        self.alpha = self.hyperparam.get("alpha", 0.001)

    def _update(self, param, grad, g, i):
        param[g] -= self.alpha * grad[g]    
             
    def train(self, steps=1000, print_each=100):
        return self._train(steps, num_grad_stores=1, print_each=print_each)
# ----------------------------------------------------------------- end of the notebook's code


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
    optimiser.train(steps=n_epochs,print_each=n_epochs//10);
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
