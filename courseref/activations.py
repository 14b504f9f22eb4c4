"""Activation functions and their derivatives, in plain numpy.

Every function here maps an array ``x`` of any shape to an array of the same shape
and dtype (float32 in -> float32 out; integers are promoted to float64). Each
activation ``f`` has its derivative ``d_f`` right beside it, so you can read the
formula and its derivative together, e.g. ``sigmoid`` and ``d_sigmoid``.

Some derivatives can be written in terms of the *output* y = f(x) alone, which is
what a backward pass usually has at hand:

    sigmoid' = y (1 - y)        tanh' = 1 - y**2        relu' = 1 if y > 0 else 0

These are ``d_sigmoid_from_output``, ``d_tanh_from_output``, ``d_relu_from_output``
(and the same for leaky_relu and elu).

The functions are written to be numerically stable: for |x| up to 1e4 (float32 and
float64) they give finite results without overflow warnings. The trick is never to
evaluate ``exp`` of a large positive number, e.g. ``sigmoid(x) = 1 / (1 + exp(-x))``
for x >= 0 but ``exp(x) / (1 + exp(x))`` for x < 0.

``softmax`` is not element-wise: it normalises along an axis. Its derivative is a
matrix (the Jacobian); ``d_softmax(x, v)`` returns the Jacobian-vector product J v,
``softmax_jacobian(x)`` the full matrix.

The registry describes each activation with its formula and properties:

>>> from courseref import activations
>>> act = activations.get("tanh")
>>> act.f(0.5), act.df(0.5), act.output_range, act.zero_centred
>>> activations.names()          # the accepted names
>>> activations.get("leaky_relu", alpha=0.1).f(-2.0)   # parameters are bound by keyword
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

try:  # scipy ships with scikit-learn; fall back to math.erfc if it is missing
    from scipy.special import erfc as _erfc
except ImportError:  # pragma: no cover - scipy is in the project's environment
    _erfc_vec = np.vectorize(math.erfc, otypes=[np.float64])

    def _erfc(x):
        x = np.asarray(x)
        return _erfc_vec(x).astype(x.dtype, copy=False)


__all__ = [
    "Activation", "get", "names",
    "sigmoid", "d_sigmoid", "d_sigmoid_from_output",
    "tanh", "d_tanh", "d_tanh_from_output",
    "relu", "d_relu", "d_relu_from_output",
    "leaky_relu", "d_leaky_relu", "d_leaky_relu_from_output",
    "prelu", "d_prelu", "d_prelu_alpha",
    "elu", "d_elu", "d_elu_from_output",
    "selu", "d_selu", "SELU_ALPHA", "SELU_SCALE",
    "swish", "d_swish", "silu", "d_silu",
    "gelu", "d_gelu",
    "softplus", "d_softplus",
    "softmax", "d_softmax", "softmax_jacobian",
]

# SELU constants (Klambauer et al., 2017), the values used by Keras and PyTorch.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_K = 0.044715


def _as_float(x) -> np.ndarray:
    """``x`` as a floating-point array; float dtypes are kept, anything else -> float64."""
    a = np.asarray(x)
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64)
    return a


def _out(a: np.ndarray, like: np.ndarray):
    """Return ``a`` in the dtype of ``like``; a 0-d result becomes a numpy scalar."""
    a = np.asarray(a, dtype=like.dtype)
    return a[()] if a.ndim == 0 else a


# ----------------------------------------------------------------------------- sigmoid
def sigmoid(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), range (0, 1). Stable for any x."""
    x = _as_float(x)
    e = np.exp(-np.abs(x))  # always in (0, 1]: no overflow
    return _out(np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), x)


def d_sigmoid(x):
    """sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)); at most 1/4, at x = 0."""
    s = np.asarray(sigmoid(x))
    return _out(s * (1 - s), s)


def d_sigmoid_from_output(y):
    """sigmoid' written with the output y = sigmoid(x): y (1 - y)."""
    y = _as_float(y)
    return _out(y * (1 - y), y)


# ----------------------------------------------------------------------------- tanh
def tanh(x):
    """Hyperbolic tangent, range (-1, 1); tanh(x) = 2 sigmoid(2x) - 1."""
    x = _as_float(x)
    return _out(np.tanh(x), x)


def d_tanh(x):
    """tanh'(x) = 1 - tanh(x)**2; at most 1, at x = 0."""
    t = np.asarray(tanh(x))
    return _out(1 - t * t, t)


def d_tanh_from_output(y):
    """tanh' written with the output y = tanh(x): 1 - y**2."""
    y = _as_float(y)
    return _out(1 - y * y, y)


# ----------------------------------------------------------------------------- ReLU family
def relu(x):
    """Rectified linear unit max(0, x)."""
    x = _as_float(x)
    return _out(np.maximum(x, 0), x)


def d_relu(x):
    """relu'(x) = 1 for x > 0, else 0 (we take 0 at the kink x = 0, as TensorFlow does)."""
    x = _as_float(x)
    return _out(x > 0, x)


def d_relu_from_output(y):
    """relu' written with the output y = relu(x): 1 where y > 0, else 0."""
    y = _as_float(y)
    return _out(y > 0, y)


def leaky_relu(x, alpha=0.01):
    """Leaky ReLU: x for x > 0, alpha * x otherwise (a small slope instead of 0)."""
    x = _as_float(x)
    return _out(np.where(x > 0, x, alpha * x), x)


def d_leaky_relu(x, alpha=0.01):
    """leaky_relu'(x) = 1 for x > 0, alpha otherwise (alpha at the kink x = 0)."""
    x = _as_float(x)
    return _out(np.where(x > 0, 1.0, alpha), x)


def d_leaky_relu_from_output(y, alpha=0.01):
    """leaky_relu' from its output: 1 where y > 0, alpha otherwise (alpha > 0)."""
    y = _as_float(y)
    return _out(np.where(y > 0, 1.0, alpha), y)


def prelu(x, alpha):
    """Parametric ReLU: like leaky_relu, but alpha is a learned parameter.

    ``alpha`` is a scalar or an array broadcastable to ``x`` (e.g. one slope per
    neuron, shape ``(n_neurons,)`` for ``x`` of shape ``(n, n_neurons)``).
    """
    x = _as_float(x)
    return _out(np.maximum(x, 0) + alpha * np.minimum(x, 0), x)


def d_prelu(x, alpha):
    """d prelu / d x = 1 for x > 0, alpha otherwise."""
    x = _as_float(x)
    return _out(np.where(x > 0, 1.0, alpha), x)


def d_prelu_alpha(x, alpha):
    """d prelu / d alpha = min(0, x), element-wise (shape of x broadcast with alpha).

    To get the gradient of a loss w.r.t. a per-neuron alpha, multiply by the upstream
    gradient and sum over the axes alpha was broadcast along.
    """
    x = _as_float(x)
    return _out(np.minimum(x, 0) + 0 * np.asarray(alpha, dtype=x.dtype), x)


def elu(x, alpha=1.0):
    """Exponential linear unit: x for x > 0, alpha (exp(x) - 1) otherwise; range (-alpha, inf)."""
    x = _as_float(x)
    neg = alpha * np.expm1(np.minimum(x, 0))  # exp only of non-positive numbers
    return _out(np.where(x > 0, x, neg), x)


def d_elu(x, alpha=1.0):
    """elu'(x) = 1 for x > 0, alpha exp(x) otherwise."""
    x = _as_float(x)
    return _out(np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))), x)


def d_elu_from_output(y, alpha=1.0):
    """elu' from its output: 1 where y > 0, y + alpha otherwise."""
    y = _as_float(y)
    return _out(np.where(y > 0, 1.0, y + alpha), y)


def selu(x):
    """Scaled ELU: SELU_SCALE * elu(x, SELU_ALPHA); self-normalising for suitable inits."""
    x = _as_float(x)
    return _out(SELU_SCALE * np.asarray(elu(x, SELU_ALPHA)), x)


def d_selu(x):
    """selu'(x) = SELU_SCALE for x > 0, SELU_SCALE * SELU_ALPHA * exp(x) otherwise."""
    x = _as_float(x)
    return _out(SELU_SCALE * np.asarray(d_elu(x, SELU_ALPHA)), x)


# ----------------------------------------------------------------------------- smooth ones
def swish(x, beta=1.0):
    """Swish x * sigmoid(beta x); with beta = 1 it is SiLU. Smooth, not monotonic."""
    x = _as_float(x)
    return _out(x * np.asarray(sigmoid(beta * x)), x)


def d_swish(x, beta=1.0):
    """swish'(x) = s + beta x s (1 - s), with s = sigmoid(beta x)."""
    x = _as_float(x)
    s = np.asarray(sigmoid(beta * x))
    return _out(s + beta * x * s * (1 - s), x)


def silu(x):
    """SiLU (sigmoid linear unit) = swish with beta = 1: x * sigmoid(x)."""
    return swish(x, 1.0)


def d_silu(x):
    """silu'(x) = d_swish(x, beta=1)."""
    return d_swish(x, 1.0)


def gelu(x, approximate=False):
    """Gaussian error linear unit x * Phi(x), Phi the standard normal CDF.

    Exact form: 0.5 x (1 + erf(x / sqrt 2)), computed as 0.5 x erfc(-x / sqrt 2),
    which keeps full precision in the far negative tail. With ``approximate=True`` the tanh form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))) of Hendrycks & Gimpel (2016).
    """
    x = _as_float(x)
    if approximate:
        xc = np.clip(x, -20, 20)  # tanh is exactly +-1 beyond; avoids overflow of x**3
        t = np.tanh(_SQRT_2_OVER_PI * (xc + _GELU_K * xc**3))
        return _out(0.5 * x * (1 + t), x)
    return _out(0.5 * x * _erfc(-x / _SQRT_2), x)


def d_gelu(x, approximate=False):
    """gelu'(x) = Phi(x) + x phi(x) (exact) or the derivative of the tanh form."""
    x = _as_float(x)
    xc = np.clip(x, -40, 40)  # beyond, the second term is exactly 0 anyway
    if approximate:
        xc = np.clip(x, -20, 20)
        t = np.tanh(_SQRT_2_OVER_PI * (xc + _GELU_K * xc**3))
        dt = (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _GELU_K * xc**2)
        return _out(0.5 * (1 + t) + 0.5 * xc * dt, x)
    cdf = 0.5 * _erfc(-x / _SQRT_2)
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * xc * xc)
    return _out(cdf + xc * pdf, x)


def softplus(x):
    """Softplus log(1 + exp(x)), a smooth ReLU; written as max(x, 0) + log1p(exp(-|x|))."""
    x = _as_float(x)
    return _out(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))), x)


def d_softplus(x):
    """softplus'(x) = sigmoid(x)."""
    return sigmoid(x)


# ----------------------------------------------------------------------------- softmax
def softmax(x, axis=-1):
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j) along ``axis``; each slice sums to 1.

    Stable for large logits: the maximum is subtracted first, which does not change
    the result but keeps every exponent <= 0.
    """
    x = _as_float(x)
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return _out(e / np.sum(e, axis=axis, keepdims=True), x)


def d_softmax(x, v, axis=-1):
    """Jacobian-vector product J(x) v of softmax along ``axis``.

    J = diag(s) - s s^T is symmetric, so J v = s * (v - <s, v>); ``v`` has the shape
    of ``x`` (typically the upstream gradient dL/ds, then the result is dL/dx).
    """
    x = _as_float(x)
    s = np.asarray(softmax(x, axis=axis))
    v = np.asarray(v, dtype=x.dtype)
    return _out(s * (v - np.sum(s * v, axis=axis, keepdims=True)), x)


def softmax_jacobian(x):
    """Full Jacobian of softmax over the last axis: shape ``x.shape + (n,)``, n = x.shape[-1].

    ``J[..., i, j] = d s_i / d x_j = s_i (delta_ij - s_j)``.
    """
    x = _as_float(x)
    s = np.asarray(softmax(x, axis=-1))
    eye = np.eye(s.shape[-1], dtype=x.dtype)
    return s[..., :, None] * eye - s[..., :, None] * s[..., None, :]


# ----------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class Activation:
    """One activation function and what the course says about it.

    f, df            the function and its derivative (df(x), element-wise); for
                     softmax, df(x, v) is the Jacobian-vector product.
    df_from_output   derivative as a function of y = f(x), or None if not possible.
    latex            the formula, LaTeX.
    output_range     (low, high) of f; math.inf for unbounded.
    zero_centred     whether outputs are centred around 0 (negative values possible,
                     f(0) = 0 and the function roughly odd near 0).
    saturating       where the derivative goes to 0: "both" sides, "negative" side
                     only, or "none".
    max_derivative   supremum of |f'| over the real line (with the default params).
    params           keyword parameters bound into f and df, e.g. {"alpha": 0.01}.
    elementwise      False only for softmax.
    """

    name: str
    f: Callable
    df: Callable
    df_from_output: Callable | None
    latex: str
    output_range: tuple
    zero_centred: bool
    saturating: str
    max_derivative: float
    params: dict = field(default_factory=dict)
    elementwise: bool = True

    @property
    def formula(self) -> str:
        """Alias of ``latex``."""
        return self.latex


_INF = math.inf

# name -> (f, df, df_from_output, latex, range, zero_centred, saturating, max f', default params)
# max f' of swish (beta=1) and exact gelu are the maxima of their derivative curves,
# computed numerically (tests check them against a dense grid).
_TABLE = {
    "sigmoid": (sigmoid, d_sigmoid, d_sigmoid_from_output,
                r"\sigma(x) = \frac{1}{1 + e^{-x}}", (0.0, 1.0), False, "both", 0.25, {}),
    "tanh": (tanh, d_tanh, d_tanh_from_output,
             r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}", (-1.0, 1.0), True, "both", 1.0, {}),
    "relu": (relu, d_relu, d_relu_from_output,
             r"\mathrm{ReLU}(x) = \max(0, x)", (0.0, _INF), False, "negative", 1.0, {}),
    "leaky_relu": (leaky_relu, d_leaky_relu, d_leaky_relu_from_output,
                   r"\mathrm{LeakyReLU}(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}",
                   (-_INF, _INF), False, "none", 1.0, {"alpha": 0.01}),
    "prelu": (prelu, d_prelu, None,
              r"\mathrm{PReLU}(x) = \max(0, x) + \alpha \min(0, x), \ \alpha \text{ learned}",
              (-_INF, _INF), False, "none", 1.0, {"alpha": 0.25}),
    "elu": (elu, d_elu, d_elu_from_output,
            r"\mathrm{ELU}(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}",
            (-1.0, _INF), True, "negative", 1.0, {"alpha": 1.0}),
    "selu": (selu, d_selu, None,
             r"\mathrm{SELU}(x) = \lambda \begin{cases} x & x > 0 \\ "
             r"\alpha (e^{x} - 1) & x \le 0 \end{cases}",
             (-SELU_SCALE * SELU_ALPHA, _INF), True, "negative", SELU_SCALE * SELU_ALPHA, {}),
    "swish": (swish, d_swish, None,
              r"\mathrm{swish}(x) = x \, \sigma(\beta x)", (-0.2784645427610738, _INF), False,
              "negative", 1.0998393201288670, {"beta": 1.0}),
    "silu": (silu, d_silu, None,
             r"\mathrm{SiLU}(x) = x \, \sigma(x)", (-0.2784645427610738, _INF), False,
             "negative", 1.0998393201288670, {}),
    "gelu": (gelu, d_gelu, None,
             r"\mathrm{GELU}(x) = x \, \Phi(x) = \tfrac{x}{2}\left(1 + \mathrm{erf}(x/\sqrt{2})\right)",
             (-0.16997120747990369, _INF), False, "negative", 1.1289041451851550, {}),
    "gelu_tanh": (functools.partial(gelu, approximate=True), functools.partial(d_gelu, approximate=True),
                  None,
                  r"\tfrac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}\,(x + 0.044715 x^{3})\right)\right)",
                  (-0.17004075057125406, _INF), False, "negative", 1.1289930686587717, {}),
    "softplus": (softplus, d_softplus, None,
                 r"\mathrm{softplus}(x) = \ln(1 + e^{x})", (0.0, _INF), False, "negative", 1.0, {}),
    "softmax": (softmax, d_softmax, None,
                r"\mathrm{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}", (0.0, 1.0), False, "both",
                0.25, {"axis": -1}),
}

# Alternative spellings accepted by get(); names are also lower-cased and '-' or ' '
# become '_', so "Leaky-ReLU" works too.
_ALIASES = {"leakyrelu": "leaky_relu", "logistic": "sigmoid", "gelu_approx": "gelu_tanh"}


def names() -> list:
    """The accepted activation names, in the order the course introduces them."""
    return list(_TABLE)


def _canonical(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"activation name must be a str, got {type(name).__name__}; "
                        f"accepted names: {', '.join(names())}")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    if key not in _TABLE:
        raise ValueError(f"unknown activation {name!r}; accepted names: {', '.join(names())} "
                         f"(aliases: {', '.join(_ALIASES)})")
    return key


def get(name: str, **params) -> Activation:
    """The :class:`Activation` called ``name`` (see :func:`names`).

    Keyword parameters override the defaults and are bound into f, df and
    df_from_output, e.g. ``get("leaky_relu", alpha=0.1)`` or ``get("swish", beta=2.0)``.
    ``max_derivative`` and ``output_range`` describe the default parameters.
    """
    key = _canonical(name)
    f, df, dfo, latex, rng, zc, sat, maxd, defaults = _TABLE[key]
    unknown = set(params) - set(defaults)
    if unknown:
        accepted = ", ".join(defaults) if defaults else "none"
        raise ValueError(f"activation {key!r} has no parameter(s) {', '.join(sorted(unknown))}; "
                         f"accepted parameters: {accepted}")
    bound = {**defaults, **params}
    if bound:
        f, df = functools.partial(f, **bound), functools.partial(df, **bound)
        if dfo is not None:
            dfo = functools.partial(dfo, **bound)
    return Activation(name=key, f=f, df=df, df_from_output=dfo, latex=latex, output_range=rng,
                      zero_centred=zc, saturating=sat, max_derivative=maxd, params=bound,
                      elementwise=(key != "softmax"))
