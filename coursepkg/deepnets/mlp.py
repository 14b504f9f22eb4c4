"""The network of the deeper-networks chapter: a multi-layer perceptron in Keras.

``build_mlp`` stacks ``Dense -> activation`` per hidden width and a Dense layer to the
logits. Weights *and* biases of every Dense layer start uniform in
``[-1/sqrt(fan_in), +1/sqrt(fan_in)]``, fan_in being the layer's number of inputs
(PyTorch's default for linear layers, which the UvA tutorial uses). Input ``(n, n_inputs)``
float32, output ``(n, n_classes)`` logits; the softmax lives in the loss (``loss_fn``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._tensorflow import import_quietly
from .layers import activation_layer, canonical_name

if TYPE_CHECKING:
    import pandas as pd

tf, keras = import_quietly()

__all__ = ["HIDDEN_SIZES", "DEEP_HIDDEN_SIZES", "fan_in_uniform", "build_mlp",
           "architecture_table", "dense_layers", "loss_fn", "as_batch"]

HIDDEN_SIZES = (512, 256, 256, 128)
DEEP_HIDDEN_SIZES = (256,) * 5 + (128,) * 5


def fan_in_uniform(fan_in: int, seed: int) -> keras.initializers.Initializer:
    """Uniform initialiser on [-1/sqrt(fan_in), +1/sqrt(fan_in)] (used for W and b)."""
    bound = 1.0 / np.sqrt(fan_in)
    return keras.initializers.RandomUniform(minval=-bound, maxval=bound, seed=int(seed))


def build_mlp(act_func: str = "relu", hidden_sizes: Sequence[int] = HIDDEN_SIZES, n_classes: int = 10,
              seed: int = 42, n_inputs: int = 784, act_params: dict | None = None
              ) -> keras.Sequential:
    """A multi-layer perceptron: ``Dense -> act_func`` per hidden size, then a Dense
    layer to ``n_classes`` logits.

    Layers are named ``dense_0, act_0, dense_1, act_1, ..., logits``. Weights and
    biases of every Dense layer start uniform in +-1/sqrt(fan_in), drawn from ``seed``
    (same seed, same network). Input ``(n, n_inputs)``, output ``(n, n_classes)``.
    """
    act_params = dict(act_params or {})
    hidden_sizes = tuple(int(size) for size in hidden_sizes)
    if not hidden_sizes or min(hidden_sizes) < 1:
        raise ValueError(f"hidden_sizes must be a non-empty list of positive layer widths, "
                         f"got {hidden_sizes}")
    activation_layer(act_func, **act_params)  # fail early on a bad name or parameter
    init_seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=2 * len(hidden_sizes) + 2)

    def dense(n_units: int, fan_in: int, index: int, name: str) -> keras.layers.Dense:
        return keras.layers.Dense(n_units, name=name,
                                  kernel_initializer=fan_in_uniform(fan_in, init_seeds[2 * index]),
                                  bias_initializer=fan_in_uniform(fan_in, init_seeds[2 * index + 1]))

    layers, fan_in = [keras.Input(shape=(n_inputs,), name="X")], n_inputs
    for i, size in enumerate(hidden_sizes):
        layers.append(dense(size, fan_in, i, f"dense_{i}"))
        layers.append(activation_layer(act_func, name=f"act_{i}", **act_params))
        fan_in = size
    layers.append(dense(n_classes, fan_in, len(hidden_sizes), "logits"))
    return keras.Sequential(layers, name=f"mlp_{canonical_name(act_func)}")


def architecture_table(net: keras.Model) -> pd.DataFrame:
    """One row per layer of ``net``: its type, output width, number of parameters and,
    for Dense layers, the bound 1/sqrt(fan_in) of the initial weights; a DataFrame."""
    import pandas as pd
    rows = []
    for layer in net.layers:
        is_dense = isinstance(layer, keras.layers.Dense)
        rows.append({"layer": layer.name, "type": type(layer).__name__,
                     "units": layer.output.shape[-1], "parameters": layer.count_params(),
                     "init bound": (1 / np.sqrt(layer.kernel.shape[0])) if is_dense else np.nan})
    table = pd.DataFrame(rows).set_index("layer").round(4)
    return table.astype({"init bound": object}).fillna("")  # blank, not NaN, for non-Dense rows


def dense_layers(net: keras.Model) -> list[keras.layers.Dense]:
    """The Dense layers of ``net``, input side first."""
    return [layer for layer in net.layers if isinstance(layer, keras.layers.Dense)]


loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def as_batch(X: np.ndarray, y: np.ndarray | None = None) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """``X`` as float32 (n, n_features) and, if given, ``y`` as int64 (n,); clear errors."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_images, n_features), got {X.shape}")
    if y is None:
        return X
    y = np.asarray(y)
    if y.shape != (len(X),):
        raise ValueError(f"y must have shape ({len(X)},) to match X, got {y.shape}")
    return X, y.astype(np.int64)
