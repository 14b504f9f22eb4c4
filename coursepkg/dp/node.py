"""`Node`: a 2-D numpy array that remembers how it was computed.

Every operation on Nodes builds a new Node holding

* ``value``      the result (always a 2-D float64 array),
* ``_parents``   the Nodes it was computed from,
* ``_backward``  a small function that, given ``out.grad`` (dL/d out), adds each parent's
                 share of the gradient to that parent's ``grad`` (the chain rule).

``loss.backward()`` orders the graph topologically (iteratively, so a graph thousands of
Nodes deep is fine) and runs the ``_backward`` functions from the loss back to the inputs.
Each operation below is written as its forward computation followed directly by its
local backward rule, in the spirit of Karpathy's micrograd, but on numpy arrays.

Shapes: every value is 2-D. ``Node(3.0)`` is ``(1, 1)``, ``Node(np.arange(4))`` is the
column ``(4, 1)``. Binary operations broadcast like numpy, and gradients are summed back
to each operand's own shape (a bias ``(1, n)`` added to a batch ``(m, n)`` gets the sum of
the ``m`` row gradients).
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf as _erf
from scipy.special import expit as _expit  # sigmoid without overflow for large |x|

#: ``log`` clips its input to at least ``LOG_EPS`` so that ``log(0)`` (e.g. ``log(1 - out)``
#: of a saturated sigmoid, where ``out`` rounds to exactly 1.0) is ``log(1e-12) = -27.6``
#: instead of ``-inf``. Below the clip the gradient is 0, as for any clipped value.
LOG_EPS = 1e-12

_SQRT_2 = np.sqrt(2.0)
_SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)


def _as_2d(value) -> np.ndarray:
    """Convert a scalar, list or array to a 2-D float64 array (1-D becomes a column)."""
    if type(value) is np.ndarray and value.ndim == 2 and value.dtype == np.float64:
        return value  # fast path: results of Node operations are already 2-D float64
    if isinstance(value, Node):
        raise TypeError("Node(...) expects an array or number, got a Node; use the Node itself")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"Node(...) expects a number or a numeric array, got {type(value).__name__}: {error}"
        ) from None
    if array.ndim == 0:
        return array.reshape(1, 1)
    if array.ndim == 1:
        return array.reshape(-1, 1)
    if array.ndim == 2:
        return array
    raise ValueError(f"Node values are 2-D; got an array of shape {array.shape} (ndim {array.ndim})")


def _as_node(other) -> "Node":
    """Wrap a number or array operand as a constant Node (Nodes pass through)."""
    return other if isinstance(other, Node) else Node(other)


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes along which an operand of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    if shape[0] == 1 and grad.shape[0] != 1:
        grad = grad.sum(axis=0, keepdims=True)
    if shape[1] == 1 and grad.shape[1] != 1:
        grad = grad.sum(axis=1, keepdims=True)
    return grad


def _no_backward():
    """Backward rule of a leaf: nothing to propagate."""


class Node:
    """A 2-D float64 array ``value`` plus the gradient ``grad`` of a scalar loss w.r.t. it.

    Create leaves with ``Node(array_or_number)``; everything else comes from operations.
    The value is not copied (a float64 2-D array is wrapped as is).

    ``grad`` has the shape of ``value``. It is filled by ``loss.backward()``: leaves (the
    Nodes you created) *accumulate* gradients over several backward calls, like PyTorch
    and micrograd, so call ``zero_grad()`` between steps (``Model.get_grad`` does it for
    its parameters). A Node used twice in a graph receives the sum of both gradients.
    Treat ``grad`` as read-only (copy it before changing it in place).
    """

    __slots__ = ("value", "_grad", "_parents", "_backward", "op")
    __array_ufunc__ = None  # make numpy defer: `array + node` calls Node.__radd__

    def __init__(self, value, _parents: tuple = (), _op: str = ""):
        self.value = _as_2d(value)
        self._grad = None  # None means "zero" (allocated lazily, saves time in big graphs)
        self._parents = _parents
        self._backward = _no_backward
        self.op = _op

    # ---------------------------------------------------------------- bookkeeping
    @property
    def grad(self) -> np.ndarray:
        """dL/d value, same shape as ``value`` (zeros before any ``backward``)."""
        if self._grad is None:
            return np.zeros_like(self.value)
        return self._grad

    @grad.setter
    def grad(self, new_grad):
        new_grad = None if new_grad is None else _as_2d(new_grad)
        if new_grad is not None and new_grad.shape != self.value.shape:
            raise ValueError(f"grad must have the value's shape {self.value.shape}, got {new_grad.shape}")
        self._grad = new_grad

    def zero_grad(self) -> None:
        """Reset this Node's gradient to zero."""
        self._grad = None

    def _add_grad(self, grad: np.ndarray) -> None:
        """Accumulate ``grad`` into this Node's gradient (never in place: arrays may be shared)."""
        self._grad = grad if self._grad is None else self._grad + grad

    @property
    def shape(self) -> tuple:
        return self.value.shape

    def __repr__(self) -> str:
        op = f", op={self.op!r}" if self.op else ""
        return f"Node(shape={self.value.shape}{op}, value={np.array2string(self.value, threshold=6)})"

    def _topological_order(self) -> list:
        """All Nodes this one depends on, each after its parents (iterative DFS, no recursion)."""
        order, visited = [], set()
        stack = [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if node in visited:
                continue
            visited.add(node)
            stack.append((node, True))
            for parent in node._parents:
                if parent not in visited:
                    stack.append((parent, False))
        return order

    def backward(self, grad=None) -> None:
        """Compute d self / d x for every Node x this one depends on, into ``x.grad``.

        ``self`` is normally a ``(1, 1)`` loss. For another shape pass ``grad``, the
        gradient of some scalar w.r.t. ``self`` (same shape as ``self.value``).
        Intermediate Nodes start from zero at each call; leaves accumulate.
        """
        if grad is None:
            if self.value.shape != (1, 1):
                raise ValueError(
                    f"backward() without a grad needs a (1, 1) loss Node, got shape {self.value.shape}; "
                    "reduce it with .sum() or .mean(), or pass grad=<array of that shape>"
                )
            grad = np.ones((1, 1))
        grad = _as_2d(grad)
        if grad.shape != self.value.shape:
            raise ValueError(f"backward(grad=...) needs shape {self.value.shape}, got {grad.shape}")
        order = self._topological_order()
        for node in order:
            if node._parents:  # intermediate results: forget gradients of earlier calls
                node._grad = None
        self._add_grad(grad)
        for node in reversed(order):
            if node._grad is not None:
                node._backward()

    # ---------------------------------------------------------------- arithmetic
    def __add__(self, other) -> "Node":
        other = _as_node(other)
        out = Node(self.value + other.value, (self, other), "+")

        def _backward():
            self._add_grad(_unbroadcast(out._grad, self.value.shape))
            other._add_grad(_unbroadcast(out._grad, other.value.shape))

        out._backward = _backward
        return out

    def __radd__(self, other) -> "Node":
        return _as_node(other) + self

    def __neg__(self) -> "Node":
        out = Node(-self.value, (self,), "neg")

        def _backward():
            self._add_grad(-out._grad)

        out._backward = _backward
        return out

    def __sub__(self, other) -> "Node":
        other = _as_node(other)
        out = Node(self.value - other.value, (self, other), "-")

        def _backward():
            self._add_grad(_unbroadcast(out._grad, self.value.shape))
            other._add_grad(_unbroadcast(-out._grad, other.value.shape))

        out._backward = _backward
        return out

    def __rsub__(self, other) -> "Node":
        return _as_node(other) - self

    def __mul__(self, other) -> "Node":
        other = _as_node(other)
        out = Node(self.value * other.value, (self, other), "*")

        def _backward():
            self._add_grad(_unbroadcast(out._grad * other.value, self.value.shape))
            other._add_grad(_unbroadcast(out._grad * self.value, other.value.shape))

        out._backward = _backward
        return out

    def __rmul__(self, other) -> "Node":
        return _as_node(other) * self

    def __truediv__(self, other) -> "Node":
        other = _as_node(other)
        out = Node(self.value / other.value, (self, other), "/")

        def _backward():
            self._add_grad(_unbroadcast(out._grad / other.value, self.value.shape))
            other._add_grad(_unbroadcast(-out._grad * out.value / other.value, other.value.shape))

        out._backward = _backward
        return out

    def __rtruediv__(self, other) -> "Node":
        return _as_node(other) / self

    def __matmul__(self, other) -> "Node":
        other = _as_node(other)
        if self.value.shape[1] != other.value.shape[0]:
            raise ValueError(
                f"matmul shape mismatch: {self.value.shape} @ {other.value.shape} "
                f"({self.value.shape[1]} columns vs {other.value.shape[0]} rows)"
            )
        out = Node(self.value @ other.value, (self, other), "@")

        def _backward():
            self._add_grad(out._grad @ other.value.T)
            other._add_grad(self.value.T @ out._grad)

        out._backward = _backward
        return out

    def __rmatmul__(self, other) -> "Node":
        return _as_node(other) @ self

    def __pow__(self, exponent) -> "Node":
        if isinstance(exponent, Node) or np.ndim(exponent) != 0:
            raise TypeError(f"Node ** exponent needs a number as exponent, got {type(exponent).__name__}")
        exponent = float(exponent)
        out = Node(self.value**exponent, (self,), f"**{exponent:g}")

        def _backward():
            self._add_grad(out._grad * exponent * self.value ** (exponent - 1))

        out._backward = _backward
        return out

    # ---------------------------------------------------------------- reductions and shapes
    def sum(self, axis=None) -> "Node":
        """Sum of all entries as a (1, 1) Node, or over ``axis`` 0 / 1 keeping 2-D."""
        if axis not in (None, 0, 1, -1, -2):
            raise ValueError(f"sum(axis=...) accepts None, 0 or 1, got {axis!r}")
        out = Node(self.value.sum(axis=axis, keepdims=True), (self,), "sum")

        def _backward():
            self._add_grad(np.broadcast_to(out._grad, self.value.shape).copy())

        out._backward = _backward
        return out

    def mean(self, axis=None) -> "Node":
        """Mean of all entries as a (1, 1) Node, or over ``axis`` 0 / 1 keeping 2-D."""
        count = self.value.size if axis is None else self.value.shape[axis]
        return self.sum(axis) * (1.0 / count)

    def transpose(self) -> "Node":
        out = Node(self.value.T, (self,), "T")

        def _backward():
            self._add_grad(out._grad.T)

        out._backward = _backward
        return out

    @property
    def T(self) -> "Node":
        return self.transpose()

    def reshape(self, *shape) -> "Node":
        """Reshape to another 2-D shape (``-1`` allowed once), e.g. ``x.reshape(1, -1)``."""
        if len(shape) == 1 and isinstance(shape[0], tuple):
            shape = shape[0]
        if len(shape) != 2:
            raise ValueError(f"reshape needs a 2-D shape like (rows, cols), got {shape}")
        out = Node(self.value.reshape(shape), (self,), "reshape")

        def _backward():
            self._add_grad(out._grad.reshape(self.value.shape))

        out._backward = _backward
        return out

    def clip(self, low=None, high=None) -> "Node":
        """Limit values to [low, high]; the gradient is 0 where a value was clipped."""
        out = Node(np.clip(self.value, low, high), (self,), "clip")

        def _backward():
            inside = np.ones(self.value.shape, dtype=bool)
            if low is not None:
                inside &= self.value >= low
            if high is not None:
                inside &= self.value <= high
            self._add_grad(out._grad * inside)

        out._backward = _backward
        return out

    # ---------------------------------------------------------------- elementwise functions
    def exp(self) -> "Node":
        out = Node(np.exp(self.value), (self,), "exp")

        def _backward():
            self._add_grad(out._grad * out.value)

        out._backward = _backward
        return out

    def log(self) -> "Node":
        """Natural log of max(value, LOG_EPS); see ``LOG_EPS`` for why it clips."""
        clipped = np.maximum(self.value, LOG_EPS)
        out = Node(np.log(clipped), (self,), "log")

        def _backward():
            self._add_grad(out._grad * (self.value >= LOG_EPS) / clipped)

        out._backward = _backward
        return out

    def square(self) -> "Node":
        out = Node(self.value * self.value, (self,), "square")

        def _backward():
            self._add_grad(out._grad * 2.0 * self.value)

        out._backward = _backward
        return out

    def sqrt(self) -> "Node":
        out = Node(np.sqrt(self.value), (self,), "sqrt")

        def _backward():
            self._add_grad(out._grad * 0.5 / out.value)

        out._backward = _backward
        return out

    def abs(self) -> "Node":
        """|x|; the gradient at exactly 0 is taken as 0."""
        out = Node(np.abs(self.value), (self,), "abs")

        def _backward():
            self._add_grad(out._grad * np.sign(self.value))

        out._backward = _backward
        return out

    # ---------------------------------------------------------------- activation functions
    def sigmoid(self) -> "Node":
        """1 / (1 + exp(-x)), computed without overflow; derivative out * (1 - out)."""
        out = Node(_expit(self.value), (self,), "sigmoid")

        def _backward():
            self._add_grad(out._grad * out.value * (1.0 - out.value))

        out._backward = _backward
        return out

    def tanh(self) -> "Node":
        """tanh(x); derivative 1 - out**2."""
        out = Node(np.tanh(self.value), (self,), "tanh")

        def _backward():
            self._add_grad(out._grad * (1.0 - out.value * out.value))

        out._backward = _backward
        return out

    def relu(self) -> "Node":
        """max(0, x); derivative 1 for x > 0, else 0."""
        out = Node(np.maximum(self.value, 0.0), (self,), "relu")

        def _backward():
            self._add_grad(out._grad * (self.value > 0))

        out._backward = _backward
        return out

    def leaky_relu(self, alpha: float = 0.01) -> "Node":
        """x for x > 0, else alpha * x."""
        slope = np.where(self.value > 0, 1.0, alpha)
        out = Node(self.value * slope, (self,), "leaky_relu")

        def _backward():
            self._add_grad(out._grad * slope)

        out._backward = _backward
        return out

    def elu(self, alpha: float = 1.0) -> "Node":
        """x for x > 0, else alpha * (exp(x) - 1); derivative 1, else out + alpha."""
        positive = self.value > 0
        out = Node(np.where(positive, self.value, alpha * np.expm1(np.minimum(self.value, 0.0))), (self,), "elu")

        def _backward():
            self._add_grad(out._grad * np.where(positive, 1.0, out.value + alpha))

        out._backward = _backward
        return out

    def swish(self, beta: float = 1.0) -> "Node":
        """x * sigmoid(beta * x) (SiLU for beta = 1); derivative s + beta * x * s * (1 - s)."""
        s = _expit(beta * self.value)
        out = Node(self.value * s, (self,), "swish")

        def _backward():
            self._add_grad(out._grad * (s + beta * self.value * s * (1.0 - s)))

        out._backward = _backward
        return out

    def gelu(self, approximate: bool = False) -> "Node":
        """x * Phi(x) with Phi the standard normal CDF (``approximate=True``: tanh formula)."""
        x = self.value
        if approximate:
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
            t = np.tanh(inner)
            value = 0.5 * x * (1.0 + t)
            local = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
        else:
            cdf = 0.5 * (1.0 + _erf(x / _SQRT_2))
            value = x * cdf
            local = cdf + x * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
        out = Node(value, (self,), "gelu")

        def _backward():
            self._add_grad(out._grad * local)

        out._backward = _backward
        return out

    def softplus(self) -> "Node":
        """log(1 + exp(x)), computed without overflow; derivative sigmoid(x)."""
        out = Node(np.logaddexp(0.0, self.value), (self,), "softplus")

        def _backward():
            self._add_grad(out._grad * _expit(self.value))

        out._backward = _backward
        return out
