"""`gradcheck`: compare dp's backward pass with central finite differences.

    >>> from coursepkg.dp import gradcheck
    >>> gradcheck(lambda x, w: (x @ w).tanh().sum(), [np.ones((3, 2)), np.eye(2)])
    GradcheckReport(passed=True, ...)

For each entry ``u`` of each input, the numerical derivative is
``(f(u + eps) - f(u - eps)) / (2 * eps)``; its error is O(eps**2) plus rounding
O(1e-16 / eps), so ``eps=1e-6`` in float64 typically agrees to about 1e-8.
A function with a non-(1, 1) output is checked through the scalar ``(f(...) * R).sum()``
with a fixed random ``R``, so every output entry matters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .node import Node, _as_2d


class GradcheckError(AssertionError):
    """Backward and finite differences disagree (the message names the worst entry)."""


@dataclass
class GradcheckReport:
    """Result of ``gradcheck``: per input, the analytic and numeric gradients and errors."""

    passed: bool
    max_abs_error: float  # max |analytic - numeric| over all entries
    max_rel_error: float  # max |analytic - numeric| / max(|analytic|, |numeric|)
    worst: str  # the entry closest to (or furthest beyond) the tolerance, readable
    analytic: list = field(repr=False)
    numeric: list = field(repr=False)


def gradcheck(f: Callable[..., Node], inputs: Sequence | np.ndarray | Node | float, eps: float = 1e-6,
              atol: float = 1e-6, rtol: float = 1e-5, seed: int = 0,
              raise_on_failure: bool = True) -> GradcheckReport:
    """Check the gradients of ``f(*nodes)`` w.r.t. every input by central differences.

    f: takes one Node per input and returns a Node (any shape).
    inputs: list of arrays / numbers (or Nodes, whose values are used); never modified.
    eps: the finite-difference step. An entry passes if
    ``|analytic - numeric| <= atol + rtol * |numeric|``.
    seed: seeds the random projection R used for non-(1, 1) outputs.
    raise_on_failure: raise ``GradcheckError`` naming the worst entry (default), or
    return the report with ``passed=False``.
    """
    if isinstance(inputs, (np.ndarray, Node)) or np.isscalar(inputs):
        inputs = [inputs]
    values = [_as_2d(x.value if isinstance(x, Node) else x).copy() for x in inputs]

    def evaluate(arrays: Sequence[np.ndarray],
                 projection: np.ndarray | None = None) -> tuple[list[Node], Node]:
        nodes = [Node(a) for a in arrays]
        out = f(*nodes)
        if not isinstance(out, Node):
            raise TypeError(f"gradcheck: f must return a Node, got {type(out).__name__}")
        if projection is not None:
            out = (out * projection).sum()
        return nodes, out

    _, out = evaluate(values)
    projection = None
    if out.value.shape != (1, 1):
        projection = np.random.default_rng(seed).normal(size=out.value.shape)
    nodes, scalar = evaluate(values, projection)
    scalar.backward()
    analytic = [node.grad.copy() for node in nodes]

    numeric = []
    for value in values:
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + eps
            plus = evaluate(values, projection)[1].value[0, 0]
            value[index] = original - eps
            minus = evaluate(values, projection)[1].value[0, 0]
            value[index] = original
            grad[index] = (plus - minus) / (2 * eps)
        numeric.append(grad)

    worst_excess, worst, max_abs, max_rel = -np.inf, "no entries", 0.0, 0.0
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        if a.size == 0:
            continue
        error = np.abs(a - n)
        max_abs = max(max_abs, float(error.max()))
        scale = np.maximum(np.abs(a), np.abs(n))  # relative error; 0 where both are 0
        relative = np.divide(error, scale, out=np.zeros_like(error), where=scale > 0)
        max_rel = max(max_rel, float(relative.max()))
        excess = error - (atol + rtol * np.abs(n))
        index = np.unravel_index(np.argmax(excess), a.shape)
        if excess[index] > worst_excess:
            worst_excess = float(excess[index])
            worst = (
                f"input {k} (shape {a.shape}) at {tuple(int(i) for i in index)}: "
                f"backward gives {a[index]:.10g}, "
                f"finite differences give {n[index]:.10g} (abs error {error[index]:.3g}, "
                f"allowed {atol + rtol * abs(n[index]):.3g})"
            )
    passed = worst_excess <= 0
    report = GradcheckReport(passed, max_abs, max_rel, worst, analytic, numeric)
    if not passed and raise_on_failure:
        raise GradcheckError(f"gradcheck failed: worst mismatch is {worst}")
    return report
