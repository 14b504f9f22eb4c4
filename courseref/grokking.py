"""Grokking-style MNIST in plain numpy: one hidden layer, dropout, softmax output.

This is the small network of the "Grokking Deep Learning" chapter on activation
functions (Trask, 2019), written vectorised so a whole run takes seconds on a laptop:

    h     = act_func(X_batch @ W_1)                  (batch_size, n_hidden_neurons)
    h     = h * mask / keep_prob                      inverted dropout, training only
    y_hat = softmax(h @ W_2)                          (batch_size, n_classes)

and plain mini-batch gradient descent on the mean cross-entropy:

    delta_2 = (y_hat - Y_batch) / batch_size          softmax + cross-entropy
    delta_1 = (delta_2 @ W_2.T) * act_func'(h) * mask / keep_prob
    W_2    -= lr * h.T @ delta_2
    W_1    -= lr * X_batch.T @ delta_1

``act_func'`` is computed from the layer's *output* (``1 - h**2`` for tanh, ``h > 0``
for ReLU), as the book explains. There are no biases, as in the original.

Two ready-made recipes follow the original's hyper-parameters:

- ``train_tanh_dropout``: tanh hidden layer, weights uniform in +-0.01 (W_1) and
  +-0.1 (W_2), 300 epochs;
- ``train_relu_dropout``: ReLU hidden layer, weights uniform in +-0.01, 100 epochs.

The original writes the learning rate as ``alpha = 2`` applied to a delta that is
divided by ``batch_size * 100`` (tanh) or ``batch_size * 10`` (ReLU); on the mean
cross-entropy gradient used here that is ``lr = 0.02`` and ``lr = 0.2``.

Example
-------
>>> from courseref import grokking
>>> history = grokking.train_tanh_dropout(X_train, y_train, X_test, y_test, seed=0)
>>> history.test_acc[-1]          # accuracy on the test set after the last epoch
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from courseref import activations

__all__ = ["History", "one_hot", "predict", "train", "train_tanh_dropout", "train_relu_dropout",
           "train_output_layer"]

# act_func name -> (function, derivative computed from the function's output)
_HIDDEN = {
    "tanh": (activations.tanh, activations.d_tanh_from_output),
    "relu": (activations.relu, activations.d_relu_from_output),
    "sigmoid": (activations.sigmoid, activations.d_sigmoid_from_output),
}


@dataclass
class History:
    """What a training run returns.

    train_acc, test_acc: arrays of shape (n_epochs,). ``train_acc[e]`` is the share of
        training images classified correctly *during* epoch ``e`` (with dropout on, as in
        the original); ``test_acc[e]`` is measured after epoch ``e`` without dropout.
    train_loss: shape (n_epochs,), mean cross-entropy over the epoch's batches.
    W_1: (n_features, n_hidden_neurons) and W_2: (n_hidden_neurons, n_classes), the
        trained weights.
    act_func: "tanh" or "relu"; seconds: wall-clock training time.
    """

    act_func: str
    train_acc: np.ndarray
    test_acc: np.ndarray
    train_loss: np.ndarray
    W_1: np.ndarray
    W_2: np.ndarray
    seconds: float = 0.0
    hyperparam: dict = field(default_factory=dict)


def one_hot(y, n_classes: int = 10) -> np.ndarray:
    """Labels ``y`` of shape (n,) with values 0..n_classes-1 -> array (n, n_classes) of 0/1."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of class labels, got shape {y.shape}")
    if y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"y must hold integer class labels in 0..{n_classes - 1}, "
            f"got dtype {y.dtype} with values in [{y.min()}, {y.max()}]")
    Y = np.zeros((y.shape[0], n_classes))
    Y[np.arange(y.shape[0]), y] = 1.0
    return Y


def predict(X, W_1, W_2, act_func: str = "tanh") -> np.ndarray:
    """Class probabilities for images X (n, n_features), dropout off -> (n, n_classes)."""
    f, _ = _hidden(act_func)
    return activations.softmax(f(np.asarray(X, dtype=np.float64) @ W_1) @ W_2, axis=1)


def _hidden(act_func: str):
    if act_func not in _HIDDEN:
        raise ValueError(f"act_func must be one of {sorted(_HIDDEN)}, got {act_func!r}")
    return _HIDDEN[act_func]


def _check_data(X, y, name: str):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"{name}: X must be 2-D (n_images, n_pixels), got shape {X.shape}; "
                         "flatten images with X.reshape(len(X), -1)")
    if y.shape != (X.shape[0],):
        raise ValueError(f"{name}: y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    return X, y


def train(X_train, y_train, X_test, y_test, *, act_func: str = "tanh",
          n_hidden_neurons: int = 100, n_classes: int = 10, lr: float = 0.02,
          n_epochs: int = 300, batch_size: int = 100, keep_prob: float = 0.5,
          init_scale: tuple = (0.01, 0.1), seed=0, progress: bool = False) -> History:
    """Train the one-hidden-layer dropout network; return a ``History``.

    X_train: (n_train, n_features) pixel values scaled to [0, 1]; y_train: (n_train,)
    integer labels. X_test, y_test likewise. The last incomplete batch of an epoch is
    dropped, as in the original. ``init_scale=(a, b)`` draws W_1 uniform in [-a, a] and
    W_2 uniform in [-b, b]. ``keep_prob`` is the probability of keeping a hidden unit
    (1.0 switches dropout off). ``seed`` is an int or a ``numpy.random.Generator``; it
    drives the initial weights and the dropout masks. ``progress=True`` shows a tqdm bar
    with the latest accuracies.
    """
    f, df_from_output = _hidden(act_func)
    X_train, y_train = _check_data(X_train, y_train, "training data")
    X_test, y_test = _check_data(X_test, y_test, "test data")
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(f"X_test has {X_test.shape[1]} features, X_train {X_train.shape[1]}")
    if not 0.0 < keep_prob <= 1.0:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
    if lr <= 0:
        raise ValueError(f"lr must be positive, got {lr}")
    if n_epochs < 1 or batch_size < 1 or n_hidden_neurons < 1:
        raise ValueError("n_epochs, batch_size and n_hidden_neurons must be >= 1, got "
                         f"{n_epochs}, {batch_size}, {n_hidden_neurons}")
    n_batches = X_train.shape[0] // batch_size
    if n_batches == 0:
        raise ValueError(f"batch_size {batch_size} is larger than the {X_train.shape[0]} "
                         "training images")

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    Y_train = one_hot(y_train, n_classes)
    n_features = X_train.shape[1]
    W_1 = rng.uniform(-init_scale[0], init_scale[0], size=(n_features, n_hidden_neurons))
    W_2 = rng.uniform(-init_scale[1], init_scale[1], size=(n_hidden_neurons, n_classes))

    train_acc = np.zeros(n_epochs)
    test_acc = np.zeros(n_epochs)
    train_loss = np.zeros(n_epochs)
    start = time.perf_counter()
    bar = tqdm(range(n_epochs), desc=f"{act_func}+dropout", disable=not progress)
    # The matrices are small: one BLAS thread is faster than several fighting for cores.
    with threadpool_limits(limits=1, user_api="blas"):
        for epoch in bar:
            n_correct, loss_sum = 0, 0.0
            for b in range(n_batches):
                X_b = X_train[b * batch_size:(b + 1) * batch_size]
                Y_b = Y_train[b * batch_size:(b + 1) * batch_size]
                # forward, with inverted dropout on the hidden layer
                h = f(X_b @ W_1)
                mask = (rng.random(h.shape) < keep_prob) / keep_prob
                h_drop = h * mask
                y_hat = activations.softmax(h_drop @ W_2, axis=1)
                n_correct += int(np.sum(y_hat.argmax(axis=1) == Y_b.argmax(axis=1)))
                loss_sum += float(-np.mean(np.sum(Y_b * np.log(y_hat + 1e-12), axis=1)))
                # backward: softmax + cross-entropy, then the hidden layer via its output
                delta_2 = (y_hat - Y_b) / batch_size
                delta_1 = (delta_2 @ W_2.T) * df_from_output(h) * mask
                W_2 -= lr * (h_drop.T @ delta_2)
                W_1 -= lr * (X_b.T @ delta_1)
            train_acc[epoch] = n_correct / (n_batches * batch_size)
            train_loss[epoch] = loss_sum / n_batches
            y_hat_test = predict(X_test, W_1, W_2, act_func)
            test_acc[epoch] = np.mean(y_hat_test.argmax(axis=1) == y_test)
            bar.set_postfix(train=f"{train_acc[epoch]:.3f}", test=f"{test_acc[epoch]:.3f}")

    hyperparam = dict(n_hidden_neurons=n_hidden_neurons, lr=lr, n_epochs=n_epochs,
                      batch_size=batch_size, keep_prob=keep_prob, init_scale=init_scale)
    return History(act_func, train_acc, test_acc, train_loss, W_1, W_2,
                   time.perf_counter() - start, hyperparam)


def train_tanh_dropout(X_train, y_train, X_test, y_test, *, n_epochs: int = 300,
                       lr: float = 0.02, seed=0, progress: bool = False, **kwargs) -> History:
    """The original's first recipe: tanh hidden layer, softmax output, dropout 0.5."""
    return train(X_train, y_train, X_test, y_test, act_func="tanh", lr=lr,
                 n_epochs=n_epochs, init_scale=(0.01, 0.1), seed=seed, progress=progress,
                 **kwargs)


def train_relu_dropout(X_train, y_train, X_test, y_test, *, n_epochs: int = 100,
                       lr: float = 0.2, seed=0, progress: bool = False, **kwargs) -> History:
    """The original's second recipe: ReLU hidden layer, softmax output, dropout 0.5."""
    return train(X_train, y_train, X_test, y_test, act_func="relu", lr=lr,
                 n_epochs=n_epochs, init_scale=(0.01, 0.01), seed=seed, progress=progress,
                 **kwargs)


def train_output_layer(X, y, *, output: str = "sigmoid", n_classes: int = 10,
                       n_epochs: int = 30, lr: float = 0.5, batch_size: int = 100,
                       seed=0) -> np.ndarray:
    """Weights W (n_features, n_classes) of a network with NO hidden layer, trained on
    images X (n, n_features) in [0, 1] with labels y (n,): ``y_hat = out(X @ W)``.

    ``output="sigmoid"`` trains every output unit on its own (one binary cross-entropy
    per class, the Grokking book's "sigmoid output layer"); ``"softmax"`` trains them
    together (cross-entropy of the softmax). Both gradients are (y_hat - Y) / batch_size.
    Column k of W, reshaped to the image size, shows what output unit k looks for.
    """
    if output not in ("sigmoid", "softmax"):
        raise ValueError(f"output must be 'sigmoid' or 'softmax', got {output!r}")
    X, y = _check_data(X, y, "training data")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    Y = one_hot(y, n_classes)
    W = rng.uniform(-0.01, 0.01, size=(X.shape[1], n_classes))
    out = activations.sigmoid if output == "sigmoid" else (
        lambda z: activations.softmax(z, axis=1))
    for _ in range(n_epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X) - batch_size + 1, batch_size):
            rows = order[start:start + batch_size]
            y_hat = out(X[rows] @ W)
            W -= lr * X[rows].T @ ((y_hat - Y[rows]) / batch_size)
    return W
