"""Gated feed-forward blocks (GLU, ReGLU, GEGLU, SwiGLU) against plain ones, in Keras.

The transformer's feed-forward sublayer maps each token's vector x (width ``d_model``)
through a hidden layer of width ``d_ff`` and back: ``FFN(x) = act(x W1) W2``. A gated
variant multiplies two projections elementwise: ``act(x W) * (x V)``, then ``W2``
(Dauphin et al. 2017; Shazeer 2020). It has three matrices instead of two, so for the
same number of parameters its hidden width is 2/3 of ``d_ff`` (:func:`hidden_width`).

- ``VARIANTS``: the block variants by name and their activation.
- ``FeedForward``: the sublayer as a Keras layer (no biases, as in Shazeer 2020).
- ``build_model``: input -> Dense(d_model) -> ``n_blocks`` x [x + FFN(LayerNorm(x))]
  -> LayerNorm -> Dense(n_classes) logits.
- ``train_variant`` / ``compare_variants``: train on the image data of
  :func:`coursepkg.deepnets.load_study_data` and return test accuracy, loss, parameter
  count and the share of exactly-zero hidden values (activation sparsity).

Shapes: ``X`` (n, n_features) float32, ``y`` (n,) int labels; the hidden values of a
block are (n, hidden_width). Randomness only through the ``seed`` arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .deepnets._tensorflow import import_quietly

import_quietly()

import keras  # noqa: E402

__all__ = ["VARIANTS", "GATED", "hidden_width", "FeedForward", "build_model", "Result",
           "train_variant", "compare_variants"]


def _relu2(x):
    return keras.ops.square(keras.ops.relu(x))


VARIANTS = {
    "ReLU": keras.activations.relu,
    "GELU": lambda x: keras.activations.gelu(x, approximate=False),
    "ReLU²": _relu2,
    "GLU": keras.activations.sigmoid,
    "ReGLU": keras.activations.relu,
    "GEGLU": lambda x: keras.activations.gelu(x, approximate=False),
    "SwiGLU": keras.activations.silu,
}
GATED = ("GLU", "ReGLU", "GEGLU", "SwiGLU")


def _check(variant: str) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; accepted: {list(VARIANTS)}")


def hidden_width(variant: str, d_ff: int) -> int:
    """The hidden width that gives ``variant`` the parameters of a plain block of width
    ``d_ff``: ``d_ff`` itself, or round(2/3 d_ff) for the gated ones (3 matrices, not 2)."""
    _check(variant)
    return int(round(2 * d_ff / 3)) if variant in GATED else d_ff


@keras.saving.register_keras_serializable(package="coursepkg")
class FeedForward(keras.layers.Layer):
    """``act(x W1) W2`` or, gated, ``(act(x W) * (x V)) W2``; no biases.
    Input and output (..., d_model); ``hidden(x)`` returns the (..., width) hidden values."""

    def __init__(self, variant: str, d_model: int, width: int, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        _check(variant)
        self.variant, self.d_model, self.width, self.seed = variant, d_model, width, seed
        init = keras.initializers.GlorotUniform
        self.w_in = keras.layers.Dense(width, use_bias=False, kernel_initializer=init(seed))
        self.w_gate = (keras.layers.Dense(width, use_bias=False, kernel_initializer=init(seed + 1))
                       if variant in GATED else None)
        self.w_out = keras.layers.Dense(d_model, use_bias=False, kernel_initializer=init(seed + 2))

    def hidden(self, x):
        h = VARIANTS[self.variant](self.w_in(x))
        return h * self.w_gate(x) if self.w_gate is not None else h

    def call(self, x):
        return self.w_out(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "variant": self.variant, "d_model": self.d_model,
                "width": self.width, "seed": self.seed}


def build_model(variant: str, n_features: int = 784, d_model: int = 64, d_ff: int = 256,
                n_blocks: int = 2, n_classes: int = 10, seed: int = 0) -> keras.Model:
    """Dense(d_model) -> n_blocks pre-LayerNorm residual FFN blocks -> LayerNorm -> logits."""
    width = hidden_width(variant, d_ff)
    x_in = keras.Input((n_features,))
    x = keras.layers.Dense(d_model, kernel_initializer=keras.initializers.GlorotUniform(seed))(x_in)
    for block in range(n_blocks):
        ffn = FeedForward(variant, d_model, width, seed=seed + 10 * (block + 1),
                          name=f"ffn{block}")
        x = x + ffn(keras.layers.LayerNormalization()(x))
    x = keras.layers.LayerNormalization()(x)
    logits = keras.layers.Dense(n_classes, kernel_initializer=keras.initializers.GlorotUniform(seed + 99))(x)
    return keras.Model(x_in, logits, name="ffn_" + variant.replace("²", "2"))


@dataclass
class Result:
    """One trained variant: test accuracy and loss, the FFN blocks' parameter count,
    the share of exactly-zero hidden values of the first block on the test images, and
    ``history``, the per-epoch training ``loss`` and ``accuracy`` (lists of n_epochs)."""

    variant: str
    seed: int
    test_accuracy: float
    test_loss: float
    ffn_params: int
    zero_share: float
    history: dict = field(default_factory=dict)


def _zero_share(model: keras.Model, X: np.ndarray) -> float:
    ffn = model.get_layer("ffn0")
    upto = keras.Model(model.input, ffn.input)
    h = keras.ops.convert_to_numpy(ffn.hidden(upto.predict(X, verbose=0)))
    return float(np.mean(h == 0.0))


def train_variant(variant: str, data, n_epochs: int = 6, lr: float = 1e-3, batch_size: int = 128,
                  seed: int = 0, **model_kwargs) -> Result:
    """Train ``build_model(variant, seed=seed)`` with Adam on ``data.X_train``/``y_train``
    (a :class:`coursepkg.deepnets.StudyData`) and evaluate on ``data.X_test``."""
    keras.utils.set_random_seed(seed)
    model = build_model(variant, n_features=data.X_train.shape[1], seed=seed, **model_kwargs)
    model.compile(keras.optimizers.Adam(lr),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    fitted = model.fit(data.X_train, data.y_train, batch_size=batch_size, epochs=n_epochs, verbose=0,
                       shuffle=True)
    loss, acc = model.evaluate(data.X_test, data.y_test, verbose=0)
    n_params = sum(int(np.prod(w.shape)) for layer in model.layers
                   if isinstance(layer, FeedForward) for w in layer.weights)
    history = {k: [float(v) for v in fitted.history[k]] for k in ("loss", "accuracy")}
    return Result(variant, seed, float(acc), float(loss), n_params, _zero_share(model, data.X_test),
                  history)


def compare_variants(data, variants=tuple(VARIANTS), seeds=(0, 1), **kwargs) -> list[Result]:
    """:func:`train_variant` for every variant and seed."""
    return [train_variant(v, data, seed=s, **kwargs) for v in variants for s in seeds]
