"""What an assignment's test cells use to reach the student's code.

Test cells (nbgrader cells with ``grade: true`` and no solution) and test-helper cells
(grade_id starting with ``test_``) run in one of two modes:

- **one kernel** (a student's "Restart & Run All", ``python -m autograder validate``):
  everything runs in the student's own kernel; the functions below act on that kernel's
  global namespace directly.
- **trusted grading** (``python -m autograder grade``): test cells run in a separate,
  trusted process that holds no student code. A name that the test cells did not define
  themselves resolves to a *proxy* of the student's global of that name, but only for
  the names the instructor's solution cells define (``Net``, ``SGD``, ``sigmoid``, ...)
  and no test cell does; any other missing name is a NameError there. Calling a proxy, or
  reading its attributes, goes through a narrow channel that carries only plain data
  (numbers, strings, numeric arrays, containers of those, ``dp.Node`` values) and handles
  to remote objects. The grading runner installs a backend here (`install_backend`) so
  that the same test code works in both modes.

What the trusted runner trusts: the instructor's test source, its own computations, and
the channel's framing. What it never does: take a name the tests define from the
student (even when the cell that defines it failed or was not served), take a decoding
or connection failure for the student's exception (that is a ``ChannelError``, which
``except Exception`` does not catch; the cell fails and the hand-in is marked for
review), or show anything of a hidden segment (between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``) to the student: a failure there shows only a hint, the
instructor's from a ``# hint: ...`` comment line right after the BEGIN line.

Rules for test code that fails closed (both modes):

- Import and define everything the tests use in a test-helper cell.
- Reach a student global that no solution cell defines (``grad_w``, ``X``) explicitly:
  ``get_student_global("grad_w")``.
- Assigning a global in a test cell defines it for the tests only. To set a global the
  student's code reads (the seed-style ``grad_w`` array), use `set_student_global`.
- An object of the tests that student code must call back into (the tests' own network,
  a random Generator) is passed as ``expose(obj, "method", ...)``: student code sees only
  the listed methods.
- Nothing the student's process reports about itself is evidence. `student_errstate`
  (numpy's error state, applied BY the student's process) and `student_figures` (what
  the student's process SAYS it drew) are kept for one-kernel checks and hints; a test
  must not award points on them alone: compute expected values and judge results in the
  tests (for overflow: check the returned values on large inputs; for a figure:
  cross-check the data against the tests' own, or leave the point to the manual grader).
- Inputs the student must not learn and reference code go into hidden segments
  (top-level statements between the markers), never into visible test code.
"""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

MISSING = object()  # "no default given" (get_student_global); backends compare to it


class _LocalBackend:
    """One kernel: the student's globals are this kernel's user namespace."""

    @staticmethod
    def _namespace() -> dict:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
        if shell is not None:
            return shell.user_ns
        return vars(sys.modules["__main__"])

    def in_trusted_grading(self) -> bool:
        return False

    def expose(self, obj: Any, methods: tuple[str, ...]) -> Any:
        return obj

    def set_student_global(self, name: str, value: Any) -> None:
        self._namespace()[name] = value

    def get_student_global(self, name: str, default: Any) -> Any:
        value = self._namespace().get(name, default)
        if value is MISSING:
            raise NameError(f"the notebook defines no {name!r}")
        return value

    @contextlib.contextmanager
    def student_errstate(self, **kwargs: str) -> Iterator[None]:
        import numpy as np
        with np.errstate(**kwargs):
            yield

    def student_figures(self, close: bool) -> list[list[dict]]:
        return describe_figures(close)


_backend: Any = _LocalBackend()


def install_backend(backend: Any) -> None:
    """Where the test functions below act: the trusted grading runner installs its own
    (autograder/runner/backend.py) before the first test cell; without it they act on
    this kernel's globals. A backend has the methods of `_LocalBackend`."""
    global _backend
    _backend = backend


def in_trusted_grading() -> bool:
    """True when the tests run in the trusted grading process (the student's code is remote)."""
    return _backend.in_trusted_grading()


def expose(obj: Any, *methods: str) -> Any:
    """Hand `obj` to student code showing only `methods` (called through the channel).

    One kernel: returns `obj` itself. Example: ``SGD(expose(net, "get_param", "set_param",
    "get_grad", "forward", "loss"), x_train=X, y_train=y)``.
    """
    if not methods:
        raise ValueError("expose(obj, 'method', ...): name at least one method student code may call")
    return _backend.expose(obj, tuple(methods))


def set_student_global(name: str, value: Any) -> None:
    """Set the student's global `name` (e.g. a fresh ``grad_w`` array) to plain data."""
    _backend.set_student_global(name, value)


def get_student_global(name: str, default: Any = MISSING) -> Any:
    """The student's global `name`: plain data, or a proxy of a remote object.
    Raises NameError when it is missing and no `default` is given."""
    return _backend.get_student_global(name, default)


def student_errstate(**kwargs: str) -> contextlib.AbstractContextManager:
    """``with student_errstate(over="raise"):`` numpy's error state for the student calls
    made inside the block (``np.errstate`` in the student's process). NOT evidence: the
    student's process applies it (or ignores it); judge overflow from the values."""
    return _backend.student_errstate(**kwargs)


def student_figures(close: bool = True) -> list[list[dict]]:
    """The student's open matplotlib figures as plain data, see `describe_figures`. NOT
    evidence: it is what the student's process says it drew; cross-check the data."""
    return _backend.student_figures(close)


def expose_callable(function: Any) -> Any:
    """Hand a function of the tests to student code as something it can only call, ``f(x)``
    (for example the f and g of ``max_abs_gap(f, g, x)``, or a recording stand-in put in
    place of a student function). One kernel: `function` itself."""
    method = getattr(_backend, "expose_callable", None)
    return method(function) if method is not None else _backend.expose(function, ("__call__",))


@contextlib.contextmanager
def replace_student_global(name: str, value: Any) -> Iterator[None]:
    """``with replace_student_global("dropout_mask", expose_callable(recorder)):`` the
    student's global `name` is `value` inside the block, and the student's own object again
    afterwards (in trusted grading the tests hold only its handle; None if it was missing)."""
    old = get_student_global(name, None)
    set_student_global(name, value)
    try:
        yield
    finally:
        set_student_global(name, old)


@contextlib.contextmanager
def keep_student_figures() -> Iterator[None]:
    """``with keep_student_figures(): plot_grad_w(rows)``: the student's ``plt.show()`` inside
    the block closes no figure, so `student_figures` sees them (Jupyter's inline backend
    closes every figure on show). Trusted grading needs nothing: the grading kernel draws
    with matplotlib's Agg backend, whose show() closes nothing."""
    plt = sys.modules.get("matplotlib.pyplot")
    if in_trusted_grading() or plt is None:
        yield
        return
    show = plt.show
    plt.show = lambda *args, **kwargs: None
    try:
        yield
    finally:
        plt.show = show


def describe_figures(close: bool = True) -> list[list[dict]]:
    """Open matplotlib figures of THIS process: one list per figure, one dict per axes with
    "title", "xlabel", "ylabel" (str), "yscale" (str) and "lines": a list of 1-D float
    arrays (each line's y data). `close` closes the figures afterwards."""
    import numpy as np
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return []
    figures = []
    for number in plt.get_fignums():
        figure = plt.figure(number)
        figures.append([{
            "title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
            "yscale": ax.get_yscale(),
            "lines": [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()],
        } for ax in figure.axes])
    if close:
        plt.close("all")
    return figures
