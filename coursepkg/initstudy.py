"""Initialisation meets activation: the numpy study behind the book chapter of that name.

- ``ACTIVATIONS``: the activation functions of the study by name, each a pair
  ``(f, df)`` of numpy functions (elementwise, any shape).
- ``gaussian_moment``: E[g(z)] for z ~ N(mean, var), by Gauss-Hermite quadrature
  (deterministic, accurate to ~1e-10 for the smooth and piecewise-smooth functions here).
- ``gain``: the factor g with which Var(W) = g**2 / n_in keeps the variance of the
  pre-activations at 1 from layer to layer (``g**2 = 1 / E[f(z)**2]``, z ~ N(0, 1)).
- ``INIT_SCALES`` and ``weight_variance``: LeCun, Glorot/Xavier, He/Kaiming and the
  PyTorch/UvA default (uniform +-1/sqrt(n_in)) as a weight variance.
- ``propagate``: a deep fully connected network at initialisation; the spread (std) of
  the pre-activations and of the gradients of every layer, forward and backward.
- ``length_map``, ``chi``: the mean-field maps of the edge-of-chaos theory.
- ``selu_dropout_run``: SELU layers with no dropout, standard dropout or alpha-dropout.

Shapes: inputs ``X`` are ``(n_examples, width)``; per-layer results are 1-D arrays with
one entry per layer, numbered from 0 (the first layer after the input). Randomness
only through the ``rng`` (a ``numpy.random.Generator``) or ``seed`` arguments.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import erf, expit
from threadpoolctl import threadpool_limits

__all__ = ["ACTIVATIONS", "SELU_ALPHA", "SELU_LAMBDA", "INIT_SCALES", "gaussian_moment",
           "activation_gain", "weight_variance", "Spread", "propagate", "length_map", "chi",
           "fixed_point", "alpha_dropout", "selu_dropout_run", "dead_units"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946
LEAKY_ALPHA = 0.01


def one_blas_thread(func):
    """Run ``func`` with one BLAS thread: its matrices are small, and several BLAS
    threads fighting for busy cores make it many times slower."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)
    return wrapper


def _selu(z):
    return SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0)))


def _dselu(z):
    return SELU_LAMBDA * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0)))


def _gelu(z):
    return 0.5 * z * (1 + erf(z / np.sqrt(2)))


def _dgelu(z):
    return 0.5 * (1 + erf(z / np.sqrt(2))) + z * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)


def _dswish(z):
    s = expit(z)
    return s + z * s * (1 - s)


ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "linear": (lambda z: z, np.ones_like),
    "sigmoid": (expit, lambda z: expit(z) * (1 - expit(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (lambda z: np.where(z > 0, z, LEAKY_ALPHA * z),
                   lambda z: np.where(z > 0, 1.0, LEAKY_ALPHA)),
    "selu": (_selu, _dselu),
    "swish": (lambda z: z * expit(z), _dswish),
    "gelu": (_gelu, _dgelu),
}


def _act(name: str) -> tuple[Callable, Callable]:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; accepted: {sorted(ACTIVATIONS)}") from None


@functools.cache
def _hermite(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.hermite_e.hermegauss(n_nodes)


def gaussian_moment(g: Callable, mean: float = 0.0, var: float = 1.0, n_nodes: int = 200) -> float:
    """E[g(z)] for z ~ N(mean, var) by Gauss-Hermite quadrature with ``n_nodes`` nodes.

    An even ``n_nodes`` puts no node at 0, where ReLU-like derivatives jump: the nodes
    are symmetric, so a jump at the mean is then integrated correctly."""
    if var < 0:
        raise ValueError(f"var must be >= 0, got {var}")
    nodes, weights = _hermite(n_nodes)
    return float(np.sum(weights * g(mean + np.sqrt(var) * nodes)) / np.sqrt(2 * np.pi))


def activation_gain(act: str) -> float:
    """The gain g of ``act``: Var(W) = g**2 / n_in keeps Var(z) = 1 for z ~ N(0, 1).

    Forward, a layer maps Var(z_l) to n_in Var(W) E[f(z_l)**2], so variance 1 is kept
    when g**2 = 1 / E[f(z)**2]. For ReLU E[f(z)**2] = 1/2 and g = sqrt(2) (He et al.);
    for the identity g = 1 (LeCun, Glorot)."""
    f, _ = _act(act)
    return float(1.0 / np.sqrt(gaussian_moment(lambda z: f(z) ** 2)))


# weight variance = scale / n_in (Glorot: 2 / (n_in + n_out), see weight_variance)
INIT_SCALES = {
    "uniform 1/sqrt(n)": 1.0 / 3.0,   # PyTorch's Linear default, the UvA tutorial's init
    "LeCun / Glorot": 1.0,             # Glorot equals LeCun when n_in == n_out
    "He": 2.0,
}


def weight_variance(init: str, n_in: int, n_out: int | None = None) -> float:
    """Var(W) of an initialisation by name: ``"lecun"`` 1/n_in, ``"glorot"``
    2/(n_in + n_out), ``"he"`` 2/n_in, ``"torch"`` 1/(3 n_in) (uniform +-1/sqrt(n_in)),
    or one of the keys of ``INIT_SCALES``."""
    n_out = n_in if n_out is None else n_out
    table = {"lecun": 1.0 / n_in, "glorot": 2.0 / (n_in + n_out), "he": 2.0 / n_in,
             "torch": 1.0 / (3 * n_in)}
    if init in INIT_SCALES:
        return INIT_SCALES[init] / n_in
    if init not in table:
        raise ValueError(f"unknown initialisation {init!r}; accepted: {sorted(table)} "
                         f"or {sorted(INIT_SCALES)}")
    return table[init]


@dataclass
class Spread:
    """Per-layer spread of one deep network at initialisation (1-D arrays, one per layer).

    ``z_std``: std of the pre-activations z_l = h_{l-1} W_l; ``grad_std``: std of dL/dz_l
    for an upstream gradient of std 1 at the last layer; ``grad_w``: mean |dL/dW_l|."""

    z_std: np.ndarray
    grad_std: np.ndarray
    grad_w: np.ndarray


@one_blas_thread
def propagate(act: str, weight_var: float, n_layers: int = 50, width: int = 256,
              n_examples: int = 256, rng: np.random.Generator | None = None,
              X: np.ndarray | None = None) -> Spread:
    """Push ``X`` (default: N(0, 1) inputs, shape (n_examples, width)) through ``n_layers``
    square layers with Gaussian weights of variance ``weight_var`` and zero biases, then a
    standard-normal upstream gradient back; returns the per-layer :class:`Spread`."""
    f, df = _act(act)
    rng = np.random.default_rng(0) if rng is None else rng
    h = rng.standard_normal((n_examples, width)) if X is None else np.asarray(X, float)
    Ws, zs, hs = [], [], []
    for _ in range(n_layers):
        W = rng.normal(0.0, np.sqrt(weight_var), size=(h.shape[1], width))
        z = h @ W
        Ws.append(W)
        zs.append(z)
        hs.append(h)
        h = f(z)
    g = rng.standard_normal(h.shape)          # dL/dh of the last layer
    grad_std, grad_w = np.empty(n_layers), np.empty(n_layers)
    for layer in reversed(range(n_layers)):
        g = g * df(zs[layer])                 # dL/dz_l
        grad_std[layer] = g.std()
        grad_w[layer] = np.abs(hs[layer].T @ g).mean() / len(g)
        g = g @ Ws[layer].T                   # dL/dh_{l-1}
    return Spread(np.array([z.std() for z in zs]), grad_std, grad_w)


def length_map(act: str, q: float, weight_var_n: float, bias_var: float = 0.0) -> float:
    """One layer of the mean-field length map: q_{l+1} = sigma_w**2 E[f(sqrt(q) z)**2] +
    sigma_b**2 (``weight_var_n`` = sigma_w**2 = n_in Var(W), z ~ N(0, 1))."""
    f, _ = _act(act)
    return weight_var_n * gaussian_moment(lambda z: f(z) ** 2, 0.0, q) + bias_var


def fixed_point(act: str, weight_var_n: float, bias_var: float = 0.0, q0: float = 1.0,
                n_iter: int = 500) -> float:
    """The fixed point q* of :func:`length_map`, by iterating from ``q0``."""
    q = q0
    for _ in range(n_iter):
        q = length_map(act, q, weight_var_n, bias_var)
        if not np.isfinite(q) or q > 1e12:
            return float("inf")
    return float(q)


def chi(act: str, weight_var_n: float, bias_var: float = 0.0) -> float:
    """chi_1 = sigma_w**2 E[f'(sqrt(q*) z)**2]: the factor by which the mean squared
    gradient grows (> 1, chaotic) or shrinks (< 1, ordered) per layer at the fixed point."""
    _, df = _act(act)
    q = fixed_point(act, weight_var_n, bias_var)
    return weight_var_n * gaussian_moment(lambda z: df(z) ** 2, 0.0, q)


def alpha_dropout(x: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Alpha-dropout (Klambauer et al. 2017): dropped units are set to SELU's negative
    saturation -lambda*alpha, then an affine map a*x + b restores mean 0 and variance 1."""
    keep = 1.0 - rate
    a_prime = -SELU_LAMBDA * SELU_ALPHA
    a = (keep + a_prime ** 2 * keep * rate) ** -0.5
    b = -a * rate * a_prime
    mask = rng.random(x.shape) < keep
    return a * np.where(mask, x, a_prime) + b


@one_blas_thread
def selu_dropout_run(dropout: str, rate: float = 0.1, n_layers: int = 32, width: int = 256,
                     n_examples: int = 512, start_mean: float = 0.0, start_std: float = 1.0,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the outputs of every SELU layer (LeCun-normal weights) with
    ``dropout`` in ``"none"``, ``"standard"`` (inverted dropout) or ``"alpha"`` after
    each layer; returns two 1-D arrays of length ``n_layers``."""
    if dropout not in ("none", "standard", "alpha"):
        raise ValueError(f"dropout must be 'none', 'standard' or 'alpha', got {dropout!r}")
    rng = np.random.default_rng(seed)
    h = start_mean + start_std * rng.standard_normal((n_examples, width))
    means, variances = np.empty(n_layers), np.empty(n_layers)
    for layer in range(n_layers):
        h = _selu(h @ rng.normal(0.0, np.sqrt(1.0 / width), size=(width, width)))
        if dropout == "standard":
            h = h * (rng.random(h.shape) >= rate) / (1 - rate)
        elif dropout == "alpha":
            h = alpha_dropout(h, rate, rng)
        means[layer], variances[layer] = h.mean(), h.var()
    return means, variances


@one_blas_thread
def dead_units(X: np.ndarray, sizes: list[int], init: str, rng: np.random.Generator) -> np.ndarray:
    """Dead ReLU units per hidden layer of a fresh network on the inputs ``X`` (n, n_features).

    ``sizes``: the hidden widths. ``init``: ``"torch"`` draws weights and biases uniformly
    from +-1/sqrt(n_in) (PyTorch's default, the UvA tutorial's); ``"he"`` draws Gaussian
    weights of variance 2/n_in and zero biases. A unit is dead when its input is <= 0 for
    every row of ``X``. Returns the count per layer, shape (len(sizes),)."""
    if init not in ("torch", "he"):
        raise ValueError(f"init must be 'torch' or 'he', got {init!r}")
    h, counts = np.asarray(X, dtype=float), []
    for n_out in sizes:
        n_in = h.shape[1]
        if init == "torch":
            bound = 1.0 / np.sqrt(n_in)
            W = rng.uniform(-bound, bound, size=(n_in, n_out))
            b = rng.uniform(-bound, bound, size=n_out)
        else:
            W, b = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out)), np.zeros(n_out)
        z = h @ W + b
        counts.append(int(np.sum((z <= 0).all(axis=0))))
        h = np.maximum(z, 0.0)
    return np.array(counts)
