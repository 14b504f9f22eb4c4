"""Activations in modern networks: the numpy functions behind the book chapter of that name.

- GELU three ways: ``gelu`` (exact, x * Phi(x)), ``gelu_tanh`` (the tanh approximation)
  and ``gelu_sigmoid`` (x * sigmoid(1.702 x)); ``gelu_mask_average`` estimates GELU as
  the average of x * m over random masks m ~ Bernoulli(Phi(x)).
- ``relu6``, ``hard_sigmoid``, ``hard_swish`` (MobileNetV3), ``silu`` (Swish), ``mish``,
  ``relu_squared`` (Primer).
- ``framework_defaults``: the default slopes and GELU variants of the installed
  Keras / TensorFlow, read from their signatures (nothing hard-coded).

All functions are elementwise on numpy arrays of any shape.
"""

from __future__ import annotations

import inspect

import numpy as np
from scipy.special import erf, expit
from scipy.stats import norm

__all__ = ["gelu", "gelu_tanh", "gelu_sigmoid", "gelu_mask_average", "silu", "relu6",
           "hard_sigmoid", "hard_swish", "mish", "relu_squared", "softplus",
           "framework_defaults"]


def gelu(x):
    """Exact GELU: x * Phi(x), Phi the standard normal CDF."""
    x = np.asarray(x, dtype=float)
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def gelu_tanh(x):
    """The tanh approximation of GELU (Hendrycks & Gimpel):
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))."""
    x = np.asarray(x, dtype=float)
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def gelu_sigmoid(x):
    """The sigmoid approximation of GELU: x * sigmoid(1.702 x)."""
    x = np.asarray(x, dtype=float)
    return x * expit(1.702 * x)


def gelu_mask_average(x, n_masks: int, rng: np.random.Generator):
    """Mean of x * m over ``n_masks`` random masks m ~ Bernoulli(Phi(x)), drawn
    independently for every entry of ``x``: an unbiased estimate of GELU(x)."""
    x = np.asarray(x, dtype=float)
    masks = rng.random((n_masks, *x.shape)) < norm.cdf(x)
    return (x * masks).mean(axis=0)


def silu(x, beta: float = 1.0):
    """SiLU / Swish: x * sigmoid(beta x)."""
    x = np.asarray(x, dtype=float)
    return x * expit(beta * x)


def softplus(x):
    """log(1 + exp(x)), computed without overflow."""
    return np.logaddexp(0.0, np.asarray(x, dtype=float))


def relu6(x):
    """min(max(x, 0), 6)."""
    return np.clip(np.asarray(x, dtype=float), 0.0, 6.0)


def hard_sigmoid(x):
    """ReLU6(x + 3) / 6: the piecewise-linear sigmoid of MobileNetV3."""
    return relu6(np.asarray(x, dtype=float) + 3.0) / 6.0


def hard_swish(x):
    """x * ReLU6(x + 3) / 6 (Howard et al. 2019)."""
    x = np.asarray(x, dtype=float)
    return x * hard_sigmoid(x)


def mish(x):
    """x * tanh(softplus(x)) (Misra 2019)."""
    x = np.asarray(x, dtype=float)
    return x * np.tanh(softplus(x))


def relu_squared(x):
    """max(x, 0)**2 (So et al. 2021, the Primer search)."""
    return np.square(np.clip(np.asarray(x, dtype=float), 0.0, None))


def _default(func, name: str):
    return inspect.signature(func).parameters[name].default


def framework_defaults() -> dict[str, object]:
    """Default arguments of the installed Keras and TensorFlow that differ between APIs:
    the LeakyReLU slope of the layer, of the activation function and of ``tf.nn``, and
    whether each GELU entry point approximates by default. Read from the signatures."""
    import keras
    import tensorflow as tf

    return {
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "keras.layers.LeakyReLU(negative_slope=...)": _default(keras.layers.LeakyReLU.__init__,
                                                              "negative_slope"),
        "keras.activations.leaky_relu(negative_slope=...)": _default(
            keras.activations.leaky_relu, "negative_slope"),
        "tf.nn.leaky_relu(alpha=...)": _default(tf.nn.leaky_relu, "alpha"),
        "keras.activations.gelu(approximate=...)": _default(keras.activations.gelu,
                                                            "approximate"),
        "keras.ops.gelu(approximate=...)": _default(keras.ops.gelu, "approximate"),
        "tf.nn.gelu(approximate=...)": _default(tf.nn.gelu, "approximate"),
    }
