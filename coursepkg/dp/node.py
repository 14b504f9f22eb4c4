"""`Node`: a 2-D numpy array that remembers how it was computed.

Every operation on Nodes returns a new Node holding

* ``value``      the result (always a 2-D float64 array),
* ``_parents``   the Nodes it was computed from,
* ``_backward``  the operation's local backward rule: given ``grad`` = dL/d(result), it
                 adds each parent's share, dL/d(parent), to that parent's gradient.

``loss.backward()`` puts the graph in topological order (without recursion, so graphs
thousands of Nodes deep are fine) and runs the backward rules from the loss back to the
inputs: the chain rule, one operation at a time. Each operation below is its forward
computation followed directly by its backward rule, in the spirit of Karpathy's
micrograd, but on numpy arrays. The elementwise and activation functions (``exp``,
``log``, ``sigmoid``, ``tanh``, ``relu``, ...) are written the same way in
``functions.py``; ``Node`` inherits them.

Shapes: every value is 2-D. ``Node(3.0)`` is ``(1, 1)``, ``Node(np.arange(4))`` is the
column ``(4, 1)``. Binary operations broadcast like numpy, and gradients are summed back
to each operand's own shape (a bias ``(1, n)`` added to a batch ``(m, n)`` gets the sum of
the ``m`` row gradients).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from operator import attrgetter
from typing import Union

import numpy as np

from .functions import LOG_EPS, SIGMOID_FLOOR, ElementwiseFunctions

__all__ = ["Node", "LOG_EPS", "SIGMOID_FLOOR"]

#: What operations and ``Node(...)`` accept: a Node (operations only), a number or an array.
Operand = Union["Node", float, np.ndarray]

_FLOAT64 = np.dtype(np.float64)
_creation_counter = itertools.count()  # creation order is a topological order of any graph
_creation_index = attrgetter("_index")


def _as_2d(value: Operand) -> np.ndarray:
    """Convert a scalar, list or array to a 2-D float64 array (1-D becomes a column)."""
    if type(value) is np.ndarray and value.ndim == 2 and value.dtype is _FLOAT64:
        return value  # fast path: results of Node operations are already 2-D float64
    if isinstance(value, Node):
        raise TypeError(
            "Node(...) expects an array or a number, got a Node: use that Node directly "
            "(e.g. `y = y if isinstance(y, Node) else Node(y)`)"
        )
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


def _as_node(other: Operand) -> Node:
    """Wrap a number or array operand as a constant Node (Nodes pass through)."""
    return other if isinstance(other, Node) else Node(other, requires_grad=False)


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes along which an operand of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    if shape[0] == 1 and grad.shape[0] != 1:
        grad = np.add.reduce(grad, axis=0, keepdims=True)  # = grad.sum(axis=0, keepdims=True)
    if shape[1] == 1 and grad.shape[1] != 1:
        grad = np.add.reduce(grad, axis=1, keepdims=True)
    return grad


def _no_backward(grad: np.ndarray) -> None:
    """Backward rule of a leaf: nothing to propagate."""


class Node(ElementwiseFunctions):
    """A 2-D float64 array ``value`` plus the gradient ``grad`` of a scalar loss w.r.t. it.

    Create leaves with ``Node(array_or_number)``; everything else comes from operations.
    The value is not copied (a float64 2-D array is wrapped as is).

    ``requires_grad=False`` marks a constant (data, labels): backward computes no gradient
    for it or for results computed from constants only, which saves time. Numbers and
    arrays used in operations (``1 - y``, ``x * 2``) become such constants.

    ``grad`` has the shape of ``value``. It is filled by ``loss.backward()``: leaves (the
    Nodes you created) *accumulate* gradients over several backward calls, as in
    micrograd; reset one with ``node.grad = None`` (``Model.get_grad`` resets its
    parameters before each backward pass). A Node used twice in a graph receives the sum of both gradients.
    Treat ``grad`` as read-only (copy it before changing it in place).
    """

    __slots__ = ("value", "requires_grad", "_grad", "_parents", "_backward", "op", "_index")
    __array_ufunc__ = None  # make numpy defer: `array + node` calls Node.__radd__

    def __init__(self, value: Operand, requires_grad: bool = True, _parents: tuple = (), _op: str = "",
                 _backward: Callable[[np.ndarray], None] = _no_backward):
        # operations pass 2-D float64 arrays: skip the conversion for them (a hot path)
        if type(value) is not np.ndarray or value.ndim != 2 or value.dtype is not _FLOAT64:
            value = _as_2d(value)
        self.value = value
        self.requires_grad = requires_grad
        self._grad = None  # None means "zero" (allocated lazily)
        self._parents = _parents  # the Nodes this one was computed from
        self._backward = _backward  # the creating operation's backward rule
        self.op = _op  # the operation's name, for printing
        self._index = next(_creation_counter)  # parents are always created before children

    # ---------------------------------------------------------------- bookkeeping
    @property
    def grad(self) -> np.ndarray:
        """dL/d value, same shape as ``value`` (zeros before any ``backward``)."""
        if self._grad is None:
            return np.zeros_like(self.value)
        return self._grad

    @grad.setter
    def grad(self, new_grad: Operand | None) -> None:
        new_grad = None if new_grad is None else _as_2d(new_grad)
        if new_grad is not None and new_grad.shape != self.value.shape:
            raise ValueError(f"grad must have the value's shape {self.value.shape}, got {new_grad.shape}")
        self._grad = new_grad

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
        """The results (non-leaf Nodes) needing gradients that this one depends on,
        each after its parents (plus ``self``).

        No recursion (graphs may be thousands of Nodes deep): collect the Nodes with a
        stack, then sort them by creation time. A Node is always created after its
        parents, so creation order is a topological order. Leaves are left out: they
        have no backward rule, their gradients arrive from their children.
        """
        found, stack = {self}, [self]
        while stack:
            for parent in stack.pop()._parents:
                if parent._parents and parent.requires_grad and parent not in found:
                    found.add(parent)
                    stack.append(parent)
        return sorted(found, key=_creation_index)

    def backward(self, grad: Operand | None = None) -> None:
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
            grad = np.array([[1.0]])  # d loss / d loss
        if not self.requires_grad:
            raise ValueError("backward(): this Node depends on no Node with requires_grad=True")
        grad = _as_2d(grad)
        if grad.shape != self.value.shape:
            raise ValueError(f"backward(grad=...) needs shape {self.value.shape}, got {grad.shape}")
        order = self._topological_order()
        for node in order:
            if node._parents:  # results: forget gradients of earlier calls (leaves keep theirs)
                node._grad = None
        self._add_grad(grad)
        for node in reversed(order):
            if node._grad is not None:
                node._backward(node._grad)

    # ---------------------------------------------------------------- arithmetic
    def __add__(self, other: Operand) -> Node:
        other = _as_node(other)

        def backward(grad: np.ndarray) -> None:
            if self.requires_grad:
                self._add_grad(_unbroadcast(grad, self.value.shape))
            if other.requires_grad:
                other._add_grad(_unbroadcast(grad, other.value.shape))

        requires_grad = self.requires_grad or other.requires_grad
        return Node(self.value + other.value, requires_grad, (self, other), "+", backward)

    def __radd__(self, other: Operand) -> Node:
        return _as_node(other) + self

    def __sub__(self, other: Operand) -> Node:
        other = _as_node(other)

        def backward(grad: np.ndarray) -> None:
            if self.requires_grad:
                self._add_grad(_unbroadcast(grad, self.value.shape))
            if other.requires_grad:
                other._add_grad(_unbroadcast(-grad, other.value.shape))

        requires_grad = self.requires_grad or other.requires_grad
        return Node(self.value - other.value, requires_grad, (self, other), "-", backward)

    def __rsub__(self, other: Operand) -> Node:
        return _as_node(other) - self

    def __neg__(self) -> Node:
        def backward(grad: np.ndarray) -> None:
            self._add_grad(-grad)

        return Node(-self.value, self.requires_grad, (self,), "neg", backward)

    def __mul__(self, other: Operand) -> Node:
        other = _as_node(other)

        def backward(grad: np.ndarray) -> None:
            if self.requires_grad:
                self._add_grad(_unbroadcast(grad * other.value, self.value.shape))
            if other.requires_grad:
                other._add_grad(_unbroadcast(grad * self.value, other.value.shape))

        requires_grad = self.requires_grad or other.requires_grad
        return Node(self.value * other.value, requires_grad, (self, other), "*", backward)

    def __rmul__(self, other: Operand) -> Node:
        return _as_node(other) * self

    def __truediv__(self, other: Operand) -> Node:
        other = _as_node(other)
        quotient = self.value / other.value

        def backward(grad: np.ndarray) -> None:
            if self.requires_grad:
                self._add_grad(_unbroadcast(grad / other.value, self.value.shape))
            if other.requires_grad:  # d(a/b)/db = -a/b**2 = -quotient/b
                other._add_grad(_unbroadcast(-grad * quotient / other.value, other.value.shape))

        return Node(quotient, self.requires_grad or other.requires_grad, (self, other), "/", backward)

    def __rtruediv__(self, other: Operand) -> Node:
        return _as_node(other) / self

    def __matmul__(self, other: Operand) -> Node:
        other = _as_node(other)
        if self.value.shape[1] != other.value.shape[0]:
            raise ValueError(
                f"matmul shape mismatch: {self.value.shape} @ {other.value.shape} "
                f"({self.value.shape[1]} columns vs {other.value.shape[0]} rows)"
            )

        def backward(grad: np.ndarray) -> None:
            if self.requires_grad:
                self._add_grad(grad @ other.value.T)
            if other.requires_grad:
                other._add_grad(self.value.T @ grad)

        requires_grad = self.requires_grad or other.requires_grad
        return Node(self.value @ other.value, requires_grad, (self, other), "@", backward)

    def __rmatmul__(self, other: Operand) -> Node:
        return _as_node(other) @ self

    def __pow__(self, exponent: float) -> Node:
        if isinstance(exponent, Node) or np.ndim(exponent) != 0:
            raise TypeError(f"Node ** exponent needs a number as exponent, got {type(exponent).__name__}")
        exponent = float(exponent)

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * exponent * self.value ** (exponent - 1))

        return Node(self.value**exponent, self.requires_grad, (self,), f"**{exponent:g}", backward)

    # ---------------------------------------------------------------- reductions and shapes
    def sum(self, axis: int | None = None) -> Node:
        """Sum of all entries as a (1, 1) Node, or over ``axis`` 0 / 1 keeping 2-D."""
        if axis not in (None, 0, 1, -1, -2):
            raise ValueError(f"sum(axis=...) accepts None, 0 or 1, got {axis!r}")

        def backward(grad: np.ndarray) -> None:  # every entry contributed once: spread grad back over them
            spread = np.empty_like(self.value)
            spread[...] = grad
            self._add_grad(spread)

        return Node(self.value.sum(axis=axis, keepdims=True), self.requires_grad, (self,), "sum", backward)

    def mean(self, axis: int | None = None) -> Node:
        """Mean of all entries as a (1, 1) Node, or over ``axis`` 0 / 1 keeping 2-D."""
        count = self.value.size if axis is None else self.value.shape[axis]
        return self.sum(axis) * (1.0 / count)

    def transpose(self) -> Node:
        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad.T)

        return Node(self.value.T, self.requires_grad, (self,), "T", backward)

    @property
    def T(self) -> Node:
        return self.transpose()

    def reshape(self, *shape: int | tuple[int, int]) -> Node:
        """Reshape to another 2-D shape (``-1`` allowed once), e.g. ``x.reshape(1, -1)``."""
        if len(shape) == 1 and isinstance(shape[0], tuple):
            shape = shape[0]
        if len(shape) != 2:
            raise ValueError(f"reshape needs a 2-D shape like (rows, cols), got {shape}")

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad.reshape(self.value.shape))

        return Node(self.value.reshape(shape), self.requires_grad, (self,), "reshape", backward)

    def clip(self, low: float | None = None, high: float | None = None) -> Node:
        """Limit values to [low, high]; the gradient is 0 where a value was clipped."""
        inside = np.ones(self.value.shape, dtype=bool)
        if low is not None:
            inside &= self.value >= low
        if high is not None:
            inside &= self.value <= high

        def backward(grad: np.ndarray) -> None:
            self._add_grad(grad * inside)

        return Node(np.clip(self.value, low, high), self.requires_grad, (self,), "clip", backward)
