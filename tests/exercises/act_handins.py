"""Hostile and trivial hand-ins for the activations assignment, each with its honest score.

Every hand-in here is built from the released (blank) student notebook, or from the
reference answers with one hostile change, as a student would hand it in. `ATTACKS` maps a
name to (answers {answer cell grade_id: source}, the test cells it must lose). Built at test
time from the committed notebooks, so they follow the visible tests as they are:

- `zeros`, `identity`, `always_raises`: trivial answers (every function returns zeros, or
  its input, or raises the ValueError one test expects elsewhere): they earn nothing;
- `linear_tanh_sigmoid`: tanh(x) = x and sigmoid(x) = (x + 2) / 4 satisfy the identity
  tanh(x) + 1 = 2 sigmoid(2x) exactly; the identity test must still give nothing;
- `hard_coded`: every answer looked up in a table of the visible tests' calls (recorded by
  running the visible tests on the reference answers, as `validate` would), zeros
  elsewhere: the hidden variants leave it nothing;
- `errstate_ignored`: the reference, but a sigmoid that overflows (exp(x) / (1 + exp(x)))
  inside ``np.errstate(all="ignore")`` and patches the nan away with ``np.nan_to_num``:
  numpy's error state is the student's process's, so only the values can tell (sigmoid,
  swish and d_swish are wrong at x >= 710): it loses test_large_inputs, nothing else.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import textwrap

import numpy as np

from .harness import answer_cells, source_version, student_version

ASSIGNMENT = "activations"
ALL_TESTS = {"test_sigmoid", "test_d_sigmoid", "test_tanh", "test_d_tanh", "test_relu", "test_d_relu",
             "test_leaky_relu", "test_d_leaky_relu", "test_elu", "test_d_elu", "test_swish",
             "test_d_swish", "test_d_prelu_dx", "test_d_prelu_dalpha", "test_large_inputs",
             "test_max_abs_gap", "test_tanh_sigmoid_identity", "test_collapse_linear",
             "test_vanishing_range", "test_vanishing_range_bad_threshold"}

# answer cell -> the functions it defines, with their parameters after the first
FUNCTIONS = {
    "sigmoid_tanh": {"sigmoid": "", "d_sigmoid": "", "tanh": "", "d_tanh": ""},
    "relu_family": {"relu": "", "d_relu": "", "leaky_relu": ", alpha=0.01", "d_leaky_relu": ", alpha=0.01",
                    "elu": ", alpha=1.0", "d_elu": ", alpha=1.0"},
    "swish": {"swish": ", beta=1.0", "d_swish": ", beta=1.0"},
    "prelu_derivatives": {"d_prelu_dx": ", alpha", "d_prelu_dalpha": ", alpha"},
}


def _cells(body: str) -> dict[str, str]:
    """Answer cells whose every elementwise function returns `body` (an expression of x)."""
    return {cell: "\n\n".join(f"def {name}(x{params}):\n    return {body}" for name, params in names.items())
            for cell, names in FUNCTIONS.items()}


def _zeros() -> dict[str, str]:
    return {**_cells("np.zeros(np.shape(x))"),
            "max_abs_gap": "def max_abs_gap(f, g, x):\n    return 0.0",
            "collapse_linear": "def collapse_linear(weights, biases):\n"
                               "    return np.zeros((len(weights[0]), len(biases[-1]))), np.zeros(len(biases[-1]))",
            "vanishing_range": "def vanishing_range(threshold):\n    return 0.0"}


def _identity() -> dict[str, str]:
    return {**_cells("x"),
            "max_abs_gap": "def max_abs_gap(f, g, x):\n    return float(np.max(x))",
            "collapse_linear": "def collapse_linear(weights, biases):\n    return weights[0], biases[0]",
            "vanishing_range": "def vanishing_range(threshold):\n    return threshold"}


def _always_raises() -> dict[str, str]:
    raising = 'raise ValueError("no")'
    cells = {cell: source.replace(f"return {raising}", raising) for cell, source in _cells(raising).items()}
    return {**cells,
            "max_abs_gap": f"def max_abs_gap(f, g, x):\n    {raising}",
            "collapse_linear": f"def collapse_linear(weights, biases):\n    {raising}",
            "vanishing_range": f"def vanishing_range(threshold):\n    {raising}"}


LINEAR_TANH_SIGMOID = {"sigmoid_tanh": '''
def sigmoid(x):
    return (x + 2.0) / 4.0

def tanh(x):
    return x
'''}


# ------------------------------------------------------------------ hard-coded answers

def _key(name: str, args: tuple, kwargs: dict) -> str:
    """The key of one call: its name and the bytes of its numeric arguments (the tests'
    side, and, as source text, the hand-in's)."""
    parts = [name]
    for arg in args:
        for value in (arg if isinstance(arg, (list, tuple)) else [arg]):
            if callable(value):  # a function handed in by the tests
                continue
            array = np.asarray(value, dtype=float)
            parts.append(f"{array.shape}:{array.tobytes().hex()}")
    parts.append(repr(sorted((k, float(v)) for k, v in kwargs.items())))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


_LOOKUP = '''
import hashlib
import json


''' + inspect.getsource(_key) + '''

def _answer(name, default, *args, **kwargs):
    entry = _TABLE.get(_key(name, args, kwargs))
    if entry is None:
        return default
    if entry == "raise":
        raise ValueError("out of range")
    if isinstance(entry, list):
        return tuple(np.array(item["v"], dtype=float).reshape(item["s"]) for item in entry)
    return np.array(entry["v"], dtype=float).reshape(entry["s"]) if entry["s"] is not None else entry["v"]
'''


def _encode(value):
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if isinstance(value, float):
        return {"v": value, "s": None}
    array = np.asarray(value, dtype=float)
    return {"v": array.ravel().tolist(), "s": list(array.shape)}


def _record_visible_calls() -> dict:
    """Run the released notebook's visible tests on the reference answers in this process
    and record every call of an answer function: key -> encoded result or "raise"."""
    released, source = student_version(ASSIGNMENT), source_version(ASSIGNMENT)
    answers = {grade_id: source.cells[index].source for grade_id, index in answer_cells(source).items()}
    namespace: dict = {"__name__": "__main__"}
    table: dict = {}

    def recording(name, func):
        def call(*args, **kwargs):
            key = _key(name, args, kwargs)
            try:
                result = func(*args, **kwargs)
            except ValueError:
                table[key] = "raise"
                raise
            table[key] = _encode(result)
            return result
        return call

    for cell in released.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            exec(answers[meta["grade_id"]], namespace)  # noqa: S102 - the course's own reference
            for name in answer_names(answers[meta["grade_id"]]):
                namespace[name] = recording(name, namespace[name])
        else:
            try:
                exec(cell.source, namespace)  # noqa: S102 - the released notebook's visible tests
            except Exception as error:  # a visible test of the reference must pass
                raise AssertionError(f"visible test {meta.get('grade_id')} fails on the reference: {error}") from error
    return table


def answer_names(source: str) -> list[str]:
    return [line[4:line.index("(")] for line in source.splitlines() if line.startswith("def ")]


def _hard_coded() -> dict[str, str]:
    table = json.dumps(_record_visible_calls())
    head = _LOOKUP + f"\n_TABLE = json.loads({table!r})\n"
    cells = {}
    for cell, names in FUNCTIONS.items():
        functions = "\n\n".join(f"def {name}(x, *args, **kwargs):\n"
                                f"    return _answer({name!r}, np.zeros(np.shape(x)), x, *args, **kwargs)"
                                for name in names)
        cells[cell] = (head if cell == "sigmoid_tanh" else "") + "\n\n" + functions
    cells["max_abs_gap"] = "def max_abs_gap(f, g, x):\n    return _answer('max_abs_gap', 0.0, f, g, x)"
    cells["collapse_linear"] = textwrap.dedent('''
        def collapse_linear(weights, biases):
            zeros = np.zeros((len(weights[0]), len(biases[-1]))), np.zeros(len(biases[-1]))
            return _answer("collapse_linear", zeros, weights, biases)''')
    cells["vanishing_range"] = ("def vanishing_range(threshold):\n"
                                "    return _answer('vanishing_range', 0.0, threshold)")
    return cells


# ------------------------------------------------------------------ reference + one change

ERRSTATE_IGNORED_SIGMOID = '''
    with np.errstate(all="ignore"):      # numpy's warnings off inside, whatever the tests ask
        return np.nan_to_num(np.exp(x) / (1.0 + np.exp(x)))'''


# name -> the test cells the hand-in must lose (all others it passes honestly)
LOST = {
    "zeros": ALL_TESTS,
    "identity": ALL_TESTS,
    "always_raises": ALL_TESTS,
    "linear_tanh_sigmoid": ALL_TESTS,
    "hard_coded": ALL_TESTS,
    "errstate_ignored": {"test_large_inputs"},
    # the reference sigmoid/tanh cell replaced by an import of the course's reference module,
    # which the grading sandbox does not hold: those functions and the ones built on them fail
    "imports_courseref": {"test_sigmoid", "test_d_sigmoid", "test_tanh", "test_d_tanh", "test_swish",
                          "test_d_swish", "test_large_inputs", "test_tanh_sigmoid_identity"},
}
ATTACK_NAMES = tuple(LOST)


def attacks() -> dict[str, tuple[dict[str, str] | tuple[str, str | None, str], set[str]]]:
    """name -> (answers for the blank notebook, or (cell, old, new) applied to the reference
    answers as `harness.mistake_handin` does; the test cells it must lose)."""
    answers = {
        "zeros": _zeros(),
        "identity": _identity(),
        "always_raises": _always_raises(),
        "linear_tanh_sigmoid": LINEAR_TANH_SIGMOID,
        "hard_coded": _hard_coded(),
        "errstate_ignored": ("sigmoid_tanh", "\n    return np.exp(-np.logaddexp(0.0, -x))",
                             ERRSTATE_IGNORED_SIGMOID),
        "imports_courseref": ("sigmoid_tanh", None,
                              "from courseref.activations import sigmoid, d_sigmoid, tanh, d_tanh"),
    }
    return {name: (answers[name], LOST[name]) for name in ATTACK_NAMES}
