"""Trivial, constant and hard-coded hand-ins for the deeper_networks assignment, each with
its honest score.

`attacks()` maps a name to ({answer cell grade_id: source}, the test cells it must lose);
each is filled into the released (blank) student notebook, as a student would hand it in:

- `zeros`, `identity`, `always_raises`, `constants`: every answer returns zeros, or its
  first argument, or raises the ValueError the notebook asks for elsewhere, or a constant
  (every unit dead, every layer vanishing, gradients of 1): they earn nothing;
- `hard_coded`: every answer looked up in a table of the visible tests' inputs (their
  expected values computed here, as a student could paste them from a correct run), zeros
  elsewhere, and unknown activation names rejected as asked: the hidden variants in every
  test cell leave it nothing.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np

from .harness import answer_cells, source_version, student_version

ASSIGNMENT = "deeper_networks"
ALL_TESTS = {"test_hidden_outputs", "test_count_dead", "test_grad_mean_abs", "test_grad_std",
             "test_vanishing_layers"}

# the visible tests' networks (checked against the released notebook by `_visible_inputs`)
HIDDEN_NET = (0, 4, [3, 4, 3, 2], ["relu", "tanh"], None)
DEAD_NETS = ((1, 6, [4, 8, 6, 5, 3], ["relu", "tanh", "leaky_relu"], [-1.0, -2.0, -2.0]),
             (2, 10, [5, 7, 7, 7, 4], ["relu", "relu", "relu"], [-0.5, -0.5, -0.5]))
GRAD_NET = (4, 8, [5, 6, 6, 6, 3], ["sigmoid", "tanh", "relu"], None)
VANISHING = (([1e-05, 0.0003, 0.02, 0.1], 0.01), ([0.5, 0.2, 0.3], 0.5), ([0.03, 0.02, 0.04], 0.01))

ZEROS = {
    "forward": '''
def hidden_outputs(X, weights, biases, acts):
    return [np.zeros((len(X), np.shape(W)[1])) for W, _ in zip(weights, acts)]
''',
    "dead_units": '''
def count_dead(X, weights, biases, acts):
    return np.zeros(len(acts), dtype=int)
''',
    "grad_stats": '''
def gradient_stats(X, y, weights, biases, acts):
    return np.zeros(len(weights)), np.zeros(len(weights))
''',
    "vanishing": '''
def vanishing_layers(mean_abs, factor=0.01):
    return []
''',
}

IDENTITY = {
    "forward": '''
def hidden_outputs(X, weights, biases, acts):
    return X
''',
    "dead_units": '''
def count_dead(X, weights, biases, acts):
    return X
''',
    "grad_stats": '''
def gradient_stats(X, y, weights, biases, acts):
    return X, y
''',
    "vanishing": '''
def vanishing_layers(mean_abs, factor=0.01):
    return mean_abs
''',
}

ALWAYS_RAISES = {cell: f'''
def {name}(*args, **kwargs):
    raise ValueError("relu, leaky_relu, tanh, sigmoid")
''' for cell, name in (("forward", "hidden_outputs"), ("dead_units", "count_dead"),
                       ("grad_stats", "gradient_stats"), ("vanishing", "vanishing_layers"))}

CONSTANTS = {
    "forward": '''
def hidden_outputs(X, weights, biases, acts):
    return [np.ones((len(X), np.shape(W)[1])) for W, _ in zip(weights, acts)]
''',
    "dead_units": '''
def count_dead(X, weights, biases, acts):
    return np.array([np.shape(W)[1] for W, _ in zip(weights, acts)])
''',
    "grad_stats": '''
def gradient_stats(X, y, weights, biases, acts):
    return np.ones(len(weights)), np.ones(len(weights))
''',
    "vanishing": '''
def vanishing_layers(mean_abs, factor=0.01):
    return list(range(len(mean_abs)))
''',
}

# ------------------------------------------------------------------ hard-coded answers
_LOOKUP = '''
import hashlib
import json


def _key(name, X):
    X = np.asarray(X, dtype=float)
    return hashlib.sha256(f"{name}|{X.shape}|{X.tobytes().hex()}".encode()).hexdigest()
'''


def _key(name: str, X) -> str:
    """The same key as _LOOKUP's (tests' side)."""
    X = np.asarray(X, dtype=float)
    return hashlib.sha256(f"{name}|{X.shape}|{X.tobytes().hex()}".encode()).hexdigest()


def _network(seed, n, widths, acts, shifts=None):
    """The visible tests' _deep_network, repeated (the hard-coder reads it off the notebook)."""
    rng = np.random.default_rng(seed)
    shifts = list(shifts or [0.0] * len(acts)) + [0.0]
    X = rng.standard_normal((n, widths[0]))
    weights = [rng.normal(0.0, np.sqrt(2.0 / a), (a, b)) for a, b in zip(widths[:-1], widths[1:])]
    biases = [rng.normal(shift, 0.1, b) for shift, b in zip(shifts, widths[1:])]
    return X, weights, biases, list(acts), rng.integers(0, widths[-1], n)


_ACT = {"relu": lambda z: np.maximum(z, 0.0), "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
        "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
_SLOPE = {"relu": lambda z: (z > 0) * 1.0, "leaky_relu": lambda z: np.where(z > 0, 1.0, 0.01),
          "tanh": lambda z: 1 - np.tanh(z) ** 2, "sigmoid": lambda z: _ACT["sigmoid"](z) * (1 - _ACT["sigmoid"](z))}


def _hidden(X, weights, biases, acts):
    out, h = [], X
    for W, b, name in zip(weights, biases, acts):
        h = _ACT[name](h @ W + b)
        out.append(h)
    return out


def _grad_stats(X, y, weights, biases, acts):
    hs, zs, h = [X], [], X
    for k, (W, b) in enumerate(zip(weights, biases)):
        zs.append(h @ W + b)
        h = _ACT[acts[k]](zs[-1]) if k < len(acts) else zs[-1]
        hs.append(h)
    p = np.exp(zs[-1] - zs[-1].max(1, keepdims=True))
    g = (p / p.sum(1, keepdims=True) - np.eye(p.shape[1])[y]) / len(y)
    out = []
    for k in reversed(range(len(weights))):
        out.insert(0, hs[k].T @ g)
        if k:
            g = (g @ weights[k].T) * _SLOPE[acts[k - 1]](zs[k - 1])
    return [float(np.mean(np.abs(d))) for d in out], [float(np.std(d)) for d in out]


def _visible_inputs() -> None:
    """The constants above are the visible tests' (fails when the notebook changes them)."""
    text = "\n".join(cell.source for cell in source_version(ASSIGNMENT).cells)
    for seed, n, widths, acts, shifts in (HIDDEN_NET, *DEAD_NETS, GRAD_NET):
        call = (f"_deep_network({seed}, {n}, {widths}, {acts}" + (f", {shifts})" if shifts else ")")).replace("'", '"')
        assert call in text, f"visible network {call} is no longer in the notebook"
    for mean_abs, _ in VANISHING:
        assert f"_deep_check_vanishing({mean_abs}" in text, f"visible input {mean_abs} is gone"


def _table() -> dict:
    table = {}
    X, W, B, A, _ = _network(*HIDDEN_NET)
    table[_key("hidden", X)] = [h.tolist() for h in _hidden(X, W, B, A)]
    for args in DEAD_NETS:
        X, W, B, A, _ = _network(*args)
        table[_key("dead", X)] = [int(np.all(h == 0, axis=0).sum()) for h in _hidden(X, W, B, A)]
    X, W, B, A, y = _network(*GRAD_NET)
    table[_key("grads", X)] = _grad_stats(X, y, W, B, A)
    for mean_abs, factor in VANISHING:
        table[_key(f"vanishing{factor}", mean_abs)] = [k for k, v in enumerate(mean_abs) if v < factor * max(mean_abs)]
    return table


def _hard_coded() -> dict[str, str]:
    _visible_inputs()
    table = f"_TABLE = json.loads({json.dumps(json.dumps(_table()))})\n"
    return {
        "forward": _LOOKUP + table + '''

def hidden_outputs(X, weights, biases, acts):
    for name in acts:
        if name not in ("relu", "leaky_relu", "tanh", "sigmoid"):
            raise ValueError("acts must be relu, leaky_relu, tanh or sigmoid")
    entry = _TABLE.get(_key("hidden", X))
    if entry is None:
        return [np.zeros((len(X), np.shape(W)[1])) for W, _ in zip(weights, acts)]
    return [np.array(h) for h in entry]
''',
        "dead_units": '''
def count_dead(X, weights, biases, acts):
    return np.array(_TABLE.get(_key("dead", X), [0] * len(acts)))
''',
        "grad_stats": '''
def gradient_stats(X, y, weights, biases, acts):
    entry = _TABLE.get(_key("grads", X))
    if entry is None:
        return np.zeros(len(weights)), np.zeros(len(weights))
    return np.array(entry[0]), np.array(entry[1])
''',
        "vanishing": '''
def vanishing_layers(mean_abs, factor=0.01):
    return _TABLE.get(_key(f"vanishing{float(factor)}", mean_abs), [])
''',
    }


def attacks() -> dict[str, tuple[dict[str, str], set[str]]]:
    """name -> (answer cells, the test cells it must lose)."""
    cells = set(answer_cells(student_version(ASSIGNMENT)))
    out = {"zeros": (ZEROS, ALL_TESTS), "identity": (IDENTITY, ALL_TESTS),
           "always_raises": (ALWAYS_RAISES, ALL_TESTS), "constants": (CONSTANTS, ALL_TESTS),
           "hard_coded": (_hard_coded(), ALL_TESTS)}
    for name, (answers, _) in out.items():
        missing = cells - set(answers) - {"deep_answer"}
        assert not missing, f"{name} leaves answer cells {missing} blank"
    return out


ATTACK_NAMES = ("zeros", "identity", "always_raises", "constants", "hard_coded")
LOST = {name: ALL_TESTS for name in ATTACK_NAMES}
