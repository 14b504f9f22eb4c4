"""Elementwise functions and activation functions of :class:`~coursepkg.dp.node.Node`.

Each method is the forward computation followed by its local backward rule, as in
``node.py``; ``Node`` inherits them from :class:`ElementwiseFunctions`, so they are
called as ``x.tanh()``, ``x.sigmoid()``, ... on any Node. Results are new Nodes
(``type(self)(value, requires_grad, parents, op, backward)``) with ``self`` as parent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .node import Node

#: ``log`` clips its input to at least ``LOG_EPS`` so that ``log(0)`` (e.g. ``log(1 - out)``
#: of a saturated sigmoid, where ``out`` rounds to exactly 1.0) is ``log(1e-12) = -27.6``
#: instead of ``-inf``. Below the clip the gradient is 0, as for any clipped value.
LOG_EPS = 1e-12

#: ``sigmoid`` computes 1 / (1 + exp(-max(x, SIGMOID_FLOOR))): exp never overflows, and
#: sigmoid(x) for x < -700 is ~1e-304 instead of something even closer to 0.
SIGMOID_FLOOR = -700.0

_SQRT_2 = np.sqrt(2.0)
_SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow warnings (see SIGMOID_FLOOR)."""
    e = np.negative(x)
    np.minimum(e, -SIGMOID_FLOOR, out=e)  # in place: this is a hot spot of every sigmoid net
    np.exp(e, out=e)
    e += 1.0
    return np.reciprocal(e, out=e)


class ElementwiseFunctions:
    """Mixin of :class:`Node`: ``value`` is a 2-D float64 array, ``_add_grad`` accumulates."""

    __slots__ = ()

    def exp(self) -> Node:
        e = np.exp(self.value)

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * e)

        return type(self)(e, self.requires_grad, (self,), "exp", backward)

    def log(self) -> Node:
        """Natural log of max(value, LOG_EPS); see ``LOG_EPS`` for why it clips."""
        clipped = np.maximum(self.value, LOG_EPS)

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * (self.value >= LOG_EPS) / clipped)

        return type(self)(np.log(clipped), self.requires_grad, (self,), "log", backward)

    def square(self) -> Node:
        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * 2.0 * self.value)

        return type(self)(self.value * self.value, self.requires_grad, (self,), "square", backward)

    def sqrt(self) -> Node:
        root = np.sqrt(self.value)

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * 0.5 / root)

        return type(self)(root, self.requires_grad, (self,), "sqrt", backward)

    def abs(self) -> Node:
        """|x|; the gradient at exactly 0 is taken as 0."""

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * np.sign(self.value))

        return type(self)(np.abs(self.value), self.requires_grad, (self,), "abs", backward)

    # ---------------------------------------------------------------- activation functions
    def sigmoid(self) -> Node:
        """1 / (1 + exp(-x)), computed without overflow; derivative s * (1 - s)."""
        s = _sigmoid(self.value)

        def backward(grad: np.ndarray) -> None:
            local = 1.0 - s  # grad * s * (1 - s), in place: sigmoid nets spend their time here
            local *= s
            local *= grad
            self._add_grad(local)

        return type(self)(s, self.requires_grad, (self,), "sigmoid", backward)

    def tanh(self) -> Node:
        """tanh(x); derivative 1 - tanh(x)**2."""
        t = np.tanh(self.value)

        def backward(grad: np.ndarray) -> None:
            local = t * t  # grad * (1 - t**2), in place
            np.subtract(1.0, local, out=local)
            local *= grad
            self._add_grad(local)

        return type(self)(t, self.requires_grad, (self,), "tanh", backward)

    def relu(self) -> Node:
        """max(0, x); derivative 1 for x > 0, else 0."""

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * (self.value > 0))

        return type(self)(np.maximum(self.value, 0.0), self.requires_grad, (self,), "relu", backward)

    def leaky_relu(self, alpha: float = 0.01) -> Node:
        """x for x > 0, else alpha * x."""
        slope = np.where(self.value > 0, 1.0, alpha)

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * slope)

        return type(self)(self.value * slope, self.requires_grad, (self,), "leaky_relu", backward)

    def elu(self, alpha: float = 1.0) -> Node:
        """x for x > 0, else alpha * (exp(x) - 1); derivative 1, else elu(x) + alpha."""
        positive = self.value > 0
        value = np.where(positive, self.value, alpha * np.expm1(np.minimum(self.value, 0.0)))

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * np.where(positive, 1.0, value + alpha))

        return type(self)(value, self.requires_grad, (self,), "elu", backward)

    def swish(self, beta: float = 1.0) -> Node:
        """x * sigmoid(beta * x) (SiLU for beta = 1); derivative s + beta * x * s * (1 - s)."""
        s = _sigmoid(beta * self.value)

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * (s + beta * self.value * s * (1.0 - s)))

        return type(self)(self.value * s, self.requires_grad, (self,), "swish", backward)

    def gelu(self, approximate: bool = False) -> Node:
        """x * Phi(x), Phi the standard normal CDF (``approximate=True``: the tanh formula)."""
        x = self.value
        if approximate:
            t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
            value = 0.5 * x * (1.0 + t)
            local = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
        else:
            from scipy.special import erf  # imported here: scipy.special takes 0.25 s to import

            cdf = 0.5 * (1.0 + erf(x / _SQRT_2))
            value = x * cdf
            local = cdf + x * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)  # Phi(x) + x * phi(x)

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * local)

        return type(self)(value, self.requires_grad, (self,), "gelu", backward)

    def softplus(self) -> Node:
        """log(1 + exp(x)), computed without overflow; derivative sigmoid(x)."""

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * _sigmoid(self.value))

        return type(self)(np.logaddexp(0.0, self.value), self.requires_grad, (self,), "softplus", backward)

