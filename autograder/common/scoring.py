"""Partial credit, the one rule: a test cell whose last expression is a number scores that
number of points, clamped to [0, points]; a number that is not finite (NaN, +-inf) scores
0 (a test that cannot say how well the answer did gives nothing, fail closed). Used by the
trusted runner (runner/runner.py) and by CleanTestOutputs before nbgrader reads it."""
import math


def clamp_credit(value: float, points: float | None) -> float:
    """`value` as points: 0 when not finite, else clamped to [0, points] (no upper bound
    when `points` is None)."""
    value = float(value)
    if not math.isfinite(value):
        return 0.0
    return min(max(value, 0.0), float(points)) if points is not None else max(value, 0.0)
