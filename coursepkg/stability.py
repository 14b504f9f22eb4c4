"""Exploding gradients and the other half of the fix: the study behind the book chapter.

- ``product_log_norms``: log10 of |x W_1 ... W_l| for random Gaussian matrices, after
  every factor: vanishing and exploding products (numpy).
- ``float_formats``: the ranges of float16, bfloat16 and float32 (numpy / ml_dtypes).
- ``first_overflow``: the smallest input on a grid at which a function, computed in a
  given float format, returns inf or nan.
- ``first_overflowing_layer``: the first layer of a deep ReLU network whose outputs no
  longer fit in float16.
- ``build_deep``, ``layer_gradients``, ``train_deep``: deep Keras networks with optional
  batch or layer normalisation and residual connections; the per-layer spread of the
  signal and of the gradient; training with or without gradient clipping.

Shapes: ``X`` (n, n_features), ``y`` (n,) int labels; per-layer results are 1-D arrays,
layer 0 next to the input. Randomness only through ``rng``/``seed`` arguments.
"""

from __future__ import annotations

from collections.abc import Callable

import ml_dtypes
import numpy as np

from .initstudy import one_blas_thread

__all__ = ["product_log_norms", "float_formats", "DTYPES", "first_overflow",
           "first_overflowing_layer", "NORMS", "build_deep", "layer_gradients", "train_deep"]

DTYPES = {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16, "float32": np.float32}


@one_blas_thread
def product_log_norms(scale: float, n_layers: int, width: int, n_trials: int,
                      rng: np.random.Generator) -> np.ndarray:
    """log10 |v W_1 ... W_l| for l = 1..n_layers, one unit vector v per trial and
    Gaussian W with std ``scale / sqrt(width)``; shape (n_trials, n_layers)."""
    out = np.empty((n_trials, n_layers))
    v = rng.standard_normal((n_trials, width))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    log_norm = np.zeros(n_trials)
    for layer in range(n_layers):
        W = rng.normal(0.0, scale / np.sqrt(width), size=(n_trials, width, width))
        v = np.matmul(v[:, None, :], W)[:, 0, :]
        norms = np.linalg.norm(v, axis=1)
        log_norm += np.log10(norms)
        v /= norms[:, None]             # renormalise: the log norm accumulates, no overflow
        out[:, layer] = log_norm
    return out


def float_formats() -> dict[str, dict[str, float]]:
    """Largest value, smallest normal and subnormal number, and machine epsilon (the
    gap after 1) of each format in ``DTYPES``."""
    table = {}
    for name, dtype in DTYPES.items():
        info = ml_dtypes.finfo(dtype)
        table[name] = {"largest": float(info.max), "smallest normal": float(info.smallest_normal),
                       "smallest subnormal": float(info.smallest_subnormal),
                       "epsilon": float(info.eps)}
    return table


def first_overflow(fn: Callable[[np.ndarray], np.ndarray], dtype: str,
                   grid: np.ndarray | None = None) -> float:
    """The smallest x of ``grid`` (default 0..400 in steps of 0.01) at which ``fn``,
    applied to the grid cast to ``dtype``, returns inf or nan; ``inf`` if none does."""
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; accepted: {list(DTYPES)}")
    grid = np.arange(0.0, 400.0, 0.01) if grid is None else np.asarray(grid, float)
    x = grid.astype(DTYPES[dtype])
    with np.errstate(over="ignore", invalid="ignore"):
        bad = ~np.isfinite(np.asarray(fn(x), dtype=np.float64))
    return float(grid[np.argmax(bad)]) if bad.any() else float("inf")


@one_blas_thread
def first_overflowing_layer(gain_per_layer: float, n_layers: int, width: int, n_examples: int,
                            rng: np.random.Generator) -> int:
    """Run a ReLU network with weight variance ``gain_per_layer**2 * 2 / width`` (He times
    gain**2: the signal grows by about ``gain_per_layer`` per layer) in float16 on
    N(0, 1) inputs; the first layer (from 0) with an inf or nan, or -1 if none."""
    h = rng.standard_normal((n_examples, width)).astype(np.float16)
    std = gain_per_layer * np.sqrt(2.0 / width)
    with np.errstate(over="ignore", invalid="ignore"):
        for layer in range(n_layers):
            W = rng.normal(0.0, std, size=(width, width)).astype(np.float16)
            h = np.maximum(h @ W, np.float16(0))
            if not np.isfinite(h).all():
                return layer
    return -1


NORMS = ("none", "batch", "layer")


def build_deep(n_hidden_layers: int = 30, n_hidden_neurons: int = 64, act_func: str = "relu",
               norm: str = "none", residual: bool = False, n_features: int = 784,
               n_classes: int = 10, weight_scale: float | None = None, seed: int = 0):
    """A deep Keras MLP (a :class:`DeepMLP`) with Keras' default init (Glorot uniform,
    zero biases), or with Gaussian weights of variance ``weight_scale / n_in``.

    Hidden layer 0: ``h = act(Dense(x))``; every later one ``h = act(Dense(norm(h)))``, or
    with ``residual`` ``h = h + act(Dense(norm(h)))`` (pre-normalisation, as in pre-LN
    transformers); then Dense logits. ``norm``: ``"none"``, ``"batch"`` or ``"layer"``."""
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    model = _deep_mlp_class()(n_hidden_layers, n_hidden_neurons, act_func, norm, residual,
                              n_classes, weight_scale, seed)
    model(np.zeros((1, n_features), np.float32))      # create the weights
    return model


def _deep_mlp_class():
    import keras

    class DeepMLP(keras.Model):
        """See :func:`build_deep`. ``hidden_outputs(X)`` returns (logits, [h_0, ...])."""

        def __init__(self, n_hidden_layers, width, act_func, norm, residual, n_classes,
                     weight_scale, seed):
            super().__init__()
            def init(layer_seed):
                if weight_scale is None:
                    return keras.initializers.GlorotUniform(layer_seed)
                return keras.initializers.VarianceScaling(
                    weight_scale, "fan_in", "untruncated_normal", seed=layer_seed)
            self.residual = residual
            self.dense = [keras.layers.Dense(width, activation=act_func,
                                             kernel_initializer=init(seed + k))
                          for k in range(n_hidden_layers)]
            make = {"batch": keras.layers.BatchNormalization,
                    "layer": keras.layers.LayerNormalization}.get(norm)
            self.norms = [make() if make else None for _ in range(1, n_hidden_layers)]
            self.out = keras.layers.Dense(n_classes, kernel_initializer=init(seed + 999))

        def hidden_outputs(self, x, training=False):
            hs = [self.dense[0](x)]
            for dense, norm in zip(self.dense[1:], self.norms):
                z = dense(norm(hs[-1], training=training) if norm else hs[-1])
                hs.append(hs[-1] + z if self.residual else z)
            return self.out(hs[-1]), hs

        def call(self, x, training=False):
            return self.hidden_outputs(x, training=training)[0]

    return DeepMLP


def layer_gradients(model, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spread of the signal and of the gradient in every hidden layer of a
    :func:`build_deep` network for one batch (mean cross-entropy, training mode): the std
    of each layer's output h_l and the std of dL/dh_l; two arrays of shape
    (n_hidden_layers,), layer 0 first."""
    import keras
    import tensorflow as tf

    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        logits, hs = model.hidden_outputs(tf.constant(X), training=True)
        loss = loss_fn(y, logits)
    grads = tape.gradient(loss, hs)
    return (np.array([float(tf.math.reduce_std(h)) for h in hs]),
            np.array([float(tf.math.reduce_std(g)) for g in grads]))


def train_deep(model, X: np.ndarray, y: np.ndarray, n_steps: int = 200, lr: float = 0.01,
               clipnorm: float | None = None, batch_size: int = 128,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Plain SGD for ``n_steps`` mini-batches (drawn with ``seed``); with ``clipnorm`` the
    gradient is rescaled to global norm ``clipnorm`` whenever it is longer
    (``tf.clip_by_global_norm``). Returns the loss and the gradient's global norm before
    clipping at every step, two arrays of shape (n_steps,) (inf/nan once it diverged)."""
    import keras
    import tensorflow as tf

    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    weights = model.trainable_variables

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(loss, weights)
        norm = tf.linalg.global_norm(grads)
        if clipnorm is not None:
            grads, _ = tf.clip_by_global_norm(grads, clipnorm, use_norm=norm)
        for w, g in zip(weights, grads):
            w.assign_sub(lr * g)
        return loss, norm

    rng = np.random.default_rng(seed)
    losses, norms = np.empty(n_steps), np.empty(n_steps)
    for i in range(n_steps):
        idx = rng.choice(len(X), size=batch_size, replace=False)
        loss, norm = step(tf.constant(X[idx]), tf.constant(y[idx]))
        losses[i], norms[i] = float(loss), float(norm)
    return losses, norms
