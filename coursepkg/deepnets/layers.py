"""The activation functions as Keras layers, and a registry of them by name.

The layers have the same names and parameters as the numpy functions of
``courseref.activations`` (sigmoid, tanh, relu, leaky_relu with ``alpha``, elu with
``alpha``, swish with ``beta``, gelu with ``approximate``); each is element-wise, so the
output shape is the input shape. :func:`activation_layer` builds one from its name.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._tensorflow import import_quietly

tf, keras = import_quietly()
from keras import ops  # noqa: E402

__all__ = ["ActivationLayer", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "Swish", "GELU",
           "ACTIVATION_LAYERS", "ALIASES", "VARIANTS", "STUDY_PARAMS", "canonical_name",
           "activation_layer", "layer_params"]


class ActivationLayer(keras.layers.Layer):
    """Base class: an element-wise activation function, output shape = input shape.

    Subclasses set ``act_name`` (the name in :mod:`courseref.activations`) and
    implement ``call``; their parameters are constructor arguments and appear in
    ``get_config()`` so that a saved network remembers them.
    """

    act_name = ""

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape


@keras.saving.register_keras_serializable(package="coursepkg")
class Sigmoid(ActivationLayer):
    """sigmoid(x) = 1 / (1 + exp(-x)), values in (0, 1), slope at most 1/4."""

    act_name = "sigmoid"

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return ops.sigmoid(x)  # the stable form: no overflow of exp(-x) for x << 0


@keras.saving.register_keras_serializable(package="coursepkg")
class Tanh(ActivationLayer):
    """tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)), values in (-1, 1)."""

    act_name = "tanh"

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return ops.tanh(x)


@keras.saving.register_keras_serializable(package="coursepkg")
class ReLU(ActivationLayer):
    """relu(x) = max(x, 0)."""

    act_name = "relu"

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return ops.maximum(x, 0.0)


@keras.saving.register_keras_serializable(package="coursepkg")
class LeakyReLU(ActivationLayer):
    """leaky_relu(x) = x for x > 0, alpha * x otherwise (default 0.01; the UvA tutorial uses 0.1)."""

    act_name = "leaky_relu"

    def __init__(self, alpha: float = 0.01, **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return ops.where(x > 0, x, self.alpha * x)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


@keras.saving.register_keras_serializable(package="coursepkg")
class ELU(ActivationLayer):
    """elu(x) = x for x > 0, alpha * (exp(x) - 1) otherwise.

    The UvA tutorial's ELU drops ``alpha`` (it computes exp(x) - 1, i.e. alpha = 1 always);
    this one honours it.
    """

    act_name = "elu"

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        # exp of min(x, 0): the branch not taken never overflows (no inf * 0 = nan grads)
        return ops.where(x > 0, x, self.alpha * (ops.exp(ops.minimum(x, 0.0)) - 1.0))

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


@keras.saving.register_keras_serializable(package="coursepkg")
class Swish(ActivationLayer):
    """swish(x) = x * sigmoid(beta * x); beta = 1 is SiLU."""

    act_name = "swish"

    def __init__(self, beta: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.beta = float(beta)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return x * ops.sigmoid(self.beta * x)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta": self.beta}


@keras.saving.register_keras_serializable(package="coursepkg")
class GELU(ActivationLayer):
    """gelu(x) = x * Phi(x), Phi the standard normal CDF; ``approximate=True`` uses
    the tanh formula 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    act_name = "gelu"

    def __init__(self, approximate: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.approximate = bool(approximate)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        if self.approximate:
            inner = np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)
            return 0.5 * x * (1.0 + ops.tanh(inner))
        return 0.5 * x * (1.0 + ops.erf(x / np.sqrt(2.0)))

    def get_config(self) -> dict:
        return {**super().get_config(), "approximate": self.approximate}


ACTIVATION_LAYERS = {cls.act_name: cls for cls in
                     (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Swish, GELU)}
# Other spellings, as in courseref.activations (the UvA tutorial writes "leakyrelu").
ALIASES = {"leakyrelu": "leaky_relu", "logistic": "sigmoid", "silu": "swish"}
# Names that stand for a layer with a fixed parameter.
VARIANTS = {"gelu_tanh": ("gelu", {"approximate": True}),
            "gelu_approx": ("gelu", {"approximate": True})}
# The parameters of the UvA tutorial's study: its LeakyReLU uses alpha = 0.1.
STUDY_PARAMS = {"leaky_relu": {"alpha": 0.1}}


def canonical_name(act_func: str) -> str:
    """The registry name of an activation function, e.g. "Leaky-ReLU" -> "leaky_relu"."""
    if not isinstance(act_func, str):
        raise TypeError(f"act_func must be a name (str), got {type(act_func).__name__}; "
                        f"accepted: {', '.join(ACTIVATION_LAYERS)}")
    name = act_func.strip().lower().replace("-", "_").replace(" ", "_")
    name = ALIASES.get(name, name)
    name = VARIANTS.get(name, (name,))[0]
    if name not in ACTIVATION_LAYERS:
        raise ValueError(f"unknown activation function {act_func!r}; accepted: "
                         f"{', '.join(ACTIVATION_LAYERS)} "
                         f"(also: {', '.join([*ALIASES, *VARIANTS])})")
    return name


def activation_layer(act_func: str, name: str | None = None, **act_params: Any) -> ActivationLayer:
    """A Keras layer computing activation function ``act_func`` with ``act_params``.

    >>> activation_layer("elu", alpha=0.5)   # ELU layer with alpha = 0.5
    """
    cls = ACTIVATION_LAYERS[canonical_name(act_func)]
    variant = str(act_func).strip().lower().replace("-", "_").replace(" ", "_")
    act_params = {**VARIANTS.get(variant, (None, {}))[1], **act_params}
    unknown = set(act_params) - set(_parameter_names(cls))
    if unknown:
        raise ValueError(f"activation {cls.act_name!r} has no parameter(s) "
                         f"{', '.join(sorted(unknown))}; accepted parameters: "
                         f"{', '.join(_parameter_names(cls)) or 'none'}")
    return cls(name=name, **act_params)


def _parameter_names(cls: type[ActivationLayer]) -> list[str]:
    return sorted(layer_params(cls(name="probe")))


def layer_params(layer: ActivationLayer) -> dict:
    """The activation parameters of a layer, e.g. {"alpha": 1.0} for ELU."""
    base = set(ActivationLayer(name="probe").get_config())
    return {key: value for key, value in layer.get_config().items() if key not in base}
