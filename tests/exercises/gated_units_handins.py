"""Trivial, hard-coded and lying hand-ins for the gated_units assignment, each with its
honest score.

`attacks()` maps a name to ({answer cell grade_id: source}, the test cells it must lose);
each is filled into the released (blank) student notebook, as a student would hand it in:

- `zeros`, `identity`, `always_raises`: every answer returns zeros, or its input (the
  backward rules return `grad` for both inputs, the operations return `a`, the block
  returns `x`), or raises the ValueError a student might raise: they earn nothing;
- `hard_coded`: every answer looked up in a table of the visible tests' inputs (their
  expected values computed here with numpy, as a student could paste them from a correct
  run), zeros elsewhere; the operations' backward rules really call the numpy rules (so the
  wiring checks pass on any input): the hidden variants in every test cell leave it nothing;
- `made_up_net`: correct rules and operations, but a `SwiGLUFFN` with no layers whose
  `get_param` reports the right names and shapes, whose `set_param` ignores what it gets
  and whose `get_grad` reports made-up gradients and loss: the tests recompute everything
  from their own parameters, so it loses both block tests and keeps the other 10 points.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np

from .harness import answer_cells, source_version, student_version

ASSIGNMENT = "gated_units"
ALL_TESTS = {"test_glu_backward", "test_swiglu_backward", "test_glu_op", "test_swiglu_op",
             "test_ffn_forward", "test_ffn_gradients"}

# the visible tests' inputs (checked against the released notebook by `_visible_inputs`)
A = [[0.5, -1.0, 2.0], [-1.5, 0.25, 1.0]]
B = [[1.0, -2.0, 0.5], [0.0, 3.0, -0.75]]
G = [[1.0, 0.5, -2.0], [0.25, -1.0, 1.5]]
FFN_FORWARD = (0, 4, 3, 5, 1.0)  # seed, n, d_model, d_hidden, beta of the visible forward test
FFN_GRADIENTS = (1, 4, 3, 5, 1.5)

ZEROS = {
    "backward_rules": '''
def glu_backward(a, b, grad):
    return np.zeros(np.shape(a)), np.zeros(np.shape(a))

def swiglu_backward(a, b, grad, beta=1.0):
    return np.zeros(np.shape(a)), np.zeros(np.shape(a))
''',
    "gated_ops": '''
def glu(a, b):
    return Node(np.zeros(a.value.shape))

def swiglu(a, b, beta=1.0):
    return Node(np.zeros(a.value.shape))
''',
    "swiglu_ffn": '''
class SwiGLUFFN(Model):
    def __init__(self, d_model, d_hidden, beta=1.0, seed=None):
        super().__init__(seed=seed)
        self.d_model = d_model
        self.up = self.Linear_Layer(d_model, d_hidden, "up")
        self.gate = self.Linear_Layer(d_model, d_hidden, "gate")
        self.down = self.Linear_Layer(d_hidden, d_model, "down")

    def forward(self, x):
        return Node(np.zeros((np.shape(getattr(x, "value", x))[0], self.d_model)))

    def loss(self, x, y):
        return ((self.forward(x) - y) ** 2).mean()
''',
}

IDENTITY = {
    "backward_rules": '''
def glu_backward(a, b, grad):
    return grad, grad

def swiglu_backward(a, b, grad, beta=1.0):
    return grad, grad
''',
    "gated_ops": '''
def glu(a, b):
    return a

def swiglu(a, b, beta=1.0):
    return a
''',
    "swiglu_ffn": ZEROS["swiglu_ffn"].replace(
        'return Node(np.zeros((np.shape(getattr(x, "value", x))[0], self.d_model)))',
        "return x if isinstance(x, Node) else Node(x)"),
}

ALWAYS_RAISES = {
    "backward_rules": '''
def glu_backward(a, b, grad):
    raise ValueError("no")

def swiglu_backward(a, b, grad, beta=1.0):
    raise ValueError("no")
''',
    "gated_ops": '''
def glu(a, b):
    raise ValueError("no")

def swiglu(a, b, beta=1.0):
    raise ValueError("no")
''',
    "swiglu_ffn": '''
class SwiGLUFFN(Model):
    def __init__(self, d_model, d_hidden, beta=1.0, seed=None):
        raise ValueError("no")
''',
}

_REFERENCE_RULES = '''
def glu_backward(a, b, grad):
    s = 1.0 / (1.0 + np.exp(-np.asarray(b, dtype=float)))
    return grad * s, grad * a * s * (1.0 - s)

def swiglu_backward(a, b, grad, beta=1.0):
    s = 1.0 / (1.0 + np.exp(-beta * np.asarray(b, dtype=float)))
    return grad * b * s, grad * a * (s + beta * b * s * (1.0 - s))
'''

_REFERENCE_OPS = '''
def _op(name, value, a, b, rule, *extra):
    def backward(grad):
        grad_a, grad_b = rule(a.value, b.value, grad, *extra)
        a._add_grad(grad_a)
        b._add_grad(grad_b)
    return Node(value, a.requires_grad or b.requires_grad, (a, b), name, backward)

def glu(a, b):
    return _op("glu", a.value / (1.0 + np.exp(-b.value)), a, b, glu_backward)

def swiglu(a, b, beta=1.0):
    return _op("swiglu", a.value * b.value / (1.0 + np.exp(-beta * b.value)), a, b, swiglu_backward, beta)
'''

MADE_UP_NET = {
    "backward_rules": _REFERENCE_RULES,
    "gated_ops": _REFERENCE_OPS,
    "swiglu_ffn": '''
class SwiGLUFFN:
    """No layers: reports the parameters' names and shapes, and made-up gradients."""
    def __init__(self, d_model, d_hidden, beta=1.0, seed=None):
        self.d_model = d_model
        self.shapes = {"up_W": (d_model, d_hidden), "up_b": (1, d_hidden), "gate_W": (d_model, d_hidden),
                       "gate_b": (1, d_hidden), "down_W": (d_hidden, d_model), "down_b": (1, d_model)}

    def get_param(self):
        return {name: np.full(shape, 0.1) for name, shape in self.shapes.items()}

    def set_param(self, param):
        pass

    def forward(self, x):
        return Node(np.full((np.shape(getattr(x, "value", x))[0], self.d_model), 0.5))

    def get_grad(self, x, y):
        return {name: np.full(shape, 0.01) for name, shape in self.shapes.items()}, Node(1.0)
''',
}

# ------------------------------------------------------------------ hard-coded answers
_LOOKUP = '''
import hashlib
import json


def _key(name, *arrays):
    text = name + "|" + "|".join(f"{np.shape(getattr(x, 'value', x))}:"
                                 f"{np.asarray(getattr(x, 'value', x), dtype=float).tobytes().hex()}" for x in arrays)
    return hashlib.sha256(text.encode()).hexdigest()


def _look(key, shape, count=None):
    entry = _TABLE.get(key)
    if entry is None:
        return tuple(np.zeros(shape) for _ in range(count)) if count else np.zeros(shape)
    if count:
        return tuple(np.array(item, dtype=float) for item in entry)
    return np.array(entry, dtype=float)
'''


def _key(name: str, *arrays) -> str:
    """The same key as _LOOKUP's (tests' side)."""
    text = name + "|" + "|".join(f"{np.shape(x)}:{np.asarray(x, dtype=float).tobytes().hex()}" for x in arrays)
    return hashlib.sha256(text.encode()).hexdigest()


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _ffn_data(seed, n, d_model, d_hidden):
    """The visible tests' _gated_ffn_data, repeated (the hard-coder reads it off the notebook)."""
    rng = np.random.default_rng(seed)
    shapes = {"up_W": (d_model, d_hidden), "up_b": (1, d_hidden), "gate_W": (d_model, d_hidden),
              "gate_b": (1, d_hidden), "down_W": (d_hidden, d_model), "down_b": (1, d_model)}
    params = {name: rng.normal(0.0, 0.8, shape) for name, shape in shapes.items()}
    return params, rng.normal(size=(n, d_model)), rng.normal(size=(n, d_model))


def _ffn(p, X, Y, beta):
    a, g = X @ p["up_W"] + p["up_b"], X @ p["gate_W"] + p["gate_b"]
    s = _sig(beta * g)
    h = a * g * s
    y_hat = h @ p["down_W"] + p["down_b"]
    d_y = 2.0 * (y_hat - Y) / y_hat.size
    d_h = d_y @ p["down_W"].T
    d_a, d_g = d_h * g * s, d_h * a * (s + beta * g * s * (1.0 - s))
    grads = {"up_W": X.T @ d_a, "up_b": d_a.sum(0, keepdims=True), "gate_W": X.T @ d_g,
             "gate_b": d_g.sum(0, keepdims=True), "down_W": h.T @ d_y, "down_b": d_y.sum(0, keepdims=True)}
    return y_hat, float(np.mean((y_hat - Y) ** 2)), grads


def _visible_inputs() -> None:
    """The constants above are the visible tests' (fails when the notebook changes them)."""
    text = "\n".join(cell.source for cell in source_version(ASSIGNMENT).cells)
    for array in (A, B, G):
        assert f"np.array({array})" in text, f"visible input {array} is no longer in the notebook"
    for seed, n, d_model, d_hidden, _ in (FFN_FORWARD, FFN_GRADIENTS):
        assert f"_gated_ffn_data({seed}, {n}, {d_model}, {d_hidden})" in text


def _table() -> dict:
    a, b, g = (np.array(x, dtype=float) for x in (A, B, G))
    table = {}
    s = _sig(b)
    table[_key("glu_backward", a, b, g)] = [(g * s).tolist(), (g * a * s * (1 - s)).tolist()]
    table[_key("glu", a, b)] = (a * s).tolist()
    for beta in (1.0, 1.7):
        s = _sig(beta * b)
        table[_key(f"swiglu_backward{beta}", a, b, g)] = [(g * b * s).tolist(),
                                                          (g * a * (s + beta * b * s * (1 - s))).tolist()]
        table[_key(f"swiglu{beta}", a, b)] = (a * b * s).tolist()
    for seed, n, d_model, d_hidden, beta in (FFN_FORWARD, FFN_GRADIENTS):
        params, X, Y = _ffn_data(seed, n, d_model, d_hidden)
        y_hat, loss, grads = _ffn(params, X, Y, beta)
        table[_key("forward", X)] = y_hat.tolist()
        table[_key("get_grad", X, Y)] = {"loss": loss, "grads": {k: v.tolist() for k, v in grads.items()}}
    return table


def _hard_coded() -> dict[str, str]:
    _visible_inputs()
    table = f"_TABLE = json.loads({json.dumps(json.dumps(_table()))})\n"
    return {
        "backward_rules": _LOOKUP + table + '''

def glu_backward(a, b, grad):
    return _look(_key("glu_backward", a, b, grad), np.shape(a), 2)

def swiglu_backward(a, b, grad, beta=1.0):
    return _look(_key(f"swiglu_backward{float(beta)}", a, b, grad), np.shape(a), 2)
''',
        "gated_ops": '''
def _op(name, value, a, b, rule, *extra):
    def backward(grad):
        grad_a, grad_b = rule(a.value, b.value, grad, *extra)
        a._add_grad(grad_a)
        b._add_grad(grad_b)
    return Node(value, a.requires_grad or b.requires_grad, (a, b), name, backward)

def glu(a, b):
    return _op("glu", _look(_key("glu", a, b), a.value.shape), a, b, glu_backward)

def swiglu(a, b, beta=1.0):
    return _op("swiglu", _look(_key(f"swiglu{float(beta)}", a, b), a.value.shape), a, b, swiglu_backward, beta)
''',
        "swiglu_ffn": '''
class SwiGLUFFN(Model):
    def __init__(self, d_model, d_hidden, beta=1.0, seed=None):
        super().__init__(seed=seed)
        self.d_model = d_model
        self.up = self.Linear_Layer(d_model, d_hidden, "up")
        self.gate = self.Linear_Layer(d_model, d_hidden, "gate")
        self.down = self.Linear_Layer(d_hidden, d_model, "down")

    def forward(self, x):
        return Node(_look(_key("forward", x), (np.shape(getattr(x, "value", x))[0], self.d_model)))

    def get_grad(self, x, y):
        entry = _TABLE.get(_key("get_grad", x, y))
        if entry is None:
            return {name: np.zeros(value.shape) for name, value in self.get_param().items()}, Node(0.0)
        return {k: np.array(v) for k, v in entry["grads"].items()}, Node(entry["loss"])
''',
    }


def attacks() -> dict[str, tuple[dict[str, str], set[str]]]:
    """name -> (answer cells, the test cells it must lose)."""
    cells = set(answer_cells(student_version(ASSIGNMENT)))
    out = {"zeros": (ZEROS, ALL_TESTS), "identity": (IDENTITY, ALL_TESTS),
           "always_raises": (ALWAYS_RAISES, ALL_TESTS), "hard_coded": (_hard_coded(), ALL_TESTS),
           "made_up_net": (MADE_UP_NET, {"test_ffn_forward", "test_ffn_gradients"})}
    for name, (answers, _) in out.items():
        missing = cells - set(answers) - {"gated_answer"}
        assert not missing, f"{name} leaves answer cells {missing} blank"
    return out


ATTACK_NAMES = ("zeros", "identity", "always_raises", "hard_coded", "made_up_net")
LOST = {"zeros": ALL_TESTS, "identity": ALL_TESTS, "always_raises": ALL_TESTS, "hard_coded": ALL_TESTS,
        "made_up_net": {"test_ffn_forward", "test_ffn_gradients"}}
