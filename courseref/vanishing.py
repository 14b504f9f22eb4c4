"""The vanishing-gradient experiment of the book's backpropagation chapter, with ``coursepkg.dp``.

A deep, narrow binary classifier on the two-class iris data (the set-up of the
deep.TEACHING notebooks):

    X (batch, 4) -> [Linear -> act_func] x n_hidden_layers -> Linear -> sigmoid -> y_hat (batch, 1)

trained with ``dp.SGD`` on the summed binary cross-entropy. At every step the mean
absolute gradient of each layer's weight matrix is recorded, so

    grad_w[layer, step] = mean(|dL/dW_layer|)     shape (n_hidden_layers + 1, n_steps)

(the last row is the output layer). The book plots ``grad_w`` for sigmoid, tanh and
ReLU networks of depth 10 to show the gradient fading towards the input layer.

The ``vanishing_gradients`` exercise asks students to write this themselves; the book
shows only the measurements, never this module's code.

>>> from courseref import vanishing
>>> result = vanishing.run("sigmoid", n_hidden_layers=10, n_steps=200, seed=0)
>>> result.grad_w.shape, result.accuracy
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coursepkg import dp
from coursepkg.data import load_iris_binary
from coursepkg.plots import layer_names

__all__ = ["ACT_FUNCS", "DeepNet", "RecordingSGD", "Result", "run", "plot_grad_w"]

ACT_FUNCS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "swish", "gelu")


class DeepNet(dp.Model):
    """``n_hidden_layers`` dense layers of ``n_hidden_neurons`` with ``act_func``, sigmoid output."""

    def __init__(self, n_features, n_hidden_neurons, n_hidden_layers, act_func, seed=None):
        super().__init__(seed=seed)
        if act_func not in ACT_FUNCS:
            raise ValueError(f"act_func must be one of {', '.join(ACT_FUNCS)}, got {act_func!r}")
        if n_hidden_layers < 1 or n_hidden_neurons < 1:
            raise ValueError("n_hidden_layers and n_hidden_neurons must be >= 1, got "
                             f"{n_hidden_layers} and {n_hidden_neurons}")
        self.act_func = act_func
        sizes = [n_features] + [n_hidden_neurons] * n_hidden_layers
        self.hidden = [self.Linear_Layer(n_in, n_out, f"h{k}")
                       for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]))]
        self.out = self.Linear_Layer(n_hidden_neurons, 1, "out")

    def forward(self, x):
        h = x if isinstance(x, dp.Node) else dp.Node(x)
        for layer in self.hidden:
            h = getattr(layer(h), self.act_func)()
        return self.out(h).sigmoid()

    def loss(self, x, y):
        y = y if isinstance(y, dp.Node) else dp.Node(y)
        y_hat = self.forward(x)
        return -(y * y_hat.log() + (1 - y) * (1 - y_hat).log()).sum()


class RecordingSGD(dp.SGD):
    """SGD that writes the mean |dW| of every layer into ``grad_w[layer, step - 1]``."""

    def __init__(self, model, x_train, y_train, grad_w, **kwargs):
        super().__init__(model, x_train, y_train, **kwargs)
        self.grad_w = grad_w

    def on_step(self, i, grad, loss):
        weight_names = [name for name in grad if name.endswith("_W")]
        for layer, name in enumerate(weight_names):
            self.grad_w[layer, i - 1] = np.mean(np.abs(grad[name]))


@dataclass
class Result:
    """grad_w (n_hidden_layers + 1, n_steps): mean |dW| per layer and step (last row: output
    layer); loss (n_steps,): the loss of each step's mini-batch, summed over its examples
    (divide by batch_size for the mean per example); accuracy: share of the 100 flowers
    classified correctly after training."""

    act_func: str
    grad_w: np.ndarray
    loss: np.ndarray
    accuracy: float


def run(act_func, n_hidden_layers=10, n_hidden_neurons=10, n_steps=200, lr=0.01,
        batch_size=32, seed=0, X=None, y=None) -> Result:
    """Train one deep net on binary iris (or on ``X`` (n, n_features), ``y`` (n,)).

    ``n_steps`` counts SGD steps (one mini-batch each); ``seed`` (int or Generator) fixes the
    initial weights and the batches.
    """
    if X is None or y is None:
        X, y = load_iris_binary()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    net = DeepNet(X.shape[1], n_hidden_neurons, n_hidden_layers, act_func, seed=rng)
    grad_w = np.zeros((n_hidden_layers + 1, n_steps))
    optimiser = RecordingSGD(net, X, y, grad_w, hyperparam={"alpha": lr},
                             batch_size=batch_size, seed=rng)
    optimiser.train(steps=n_steps, print_each=0)
    y_hat = net.forward(X).value.ravel()
    accuracy = float(np.mean((y_hat > 0.5) == (np.asarray(y) == 1)))
    return Result(act_func, grad_w, np.asarray(optimiser.history), accuracy)


def plot_grad_w(grad_w, log: bool = True, ax=None, layer_labels=None, xlabel: str = "step",
                title: str = "mean absolute weight gradient per layer"):
    """Curves of ``grad_w`` (shape (n_layers, n_steps)): one line per layer.

    Row 0 is hidden layer 0, the last row the output layer; the lines are
    labelled so (or with ``layer_labels``) and coloured from dark (first layer) to
    light (output layer). With ``log=True`` the y axis is logarithmic, which is how
    vanishing gradients (many orders of magnitude apart) become visible.
    Returns the Figure.
    """
    import matplotlib.pyplot as plt  # here: importing the module stays free of matplotlib

    grad_w = np.asarray(grad_w, dtype=np.float64)
    if grad_w.ndim != 2 or grad_w.shape[0] == 0:
        raise ValueError(f"grad_w must have shape (n_layers, n_steps), got {grad_w.shape}")
    n_layers, n_steps = grad_w.shape
    labels = layer_names(n_layers) if layer_labels is None else list(layer_labels)
    if len(labels) != n_layers:
        raise ValueError(f"got {len(labels)} layer_labels for {n_layers} rows of grad_w")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.8, 4), layout="constrained")
    else:
        fig = ax.figure
    colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, n_layers))
    steps = np.arange(n_steps)
    for row, label, colour in zip(grad_w, labels, colours):
        ax.plot(steps, row, color=colour, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean |dL/dW|" + (" (log scale)" if log else ""))
    ax.set_title(title)
    if n_layers <= 4:
        ax.legend()
    else:  # many layers: keep the legend off the curves
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig
