"""The `activations` assignment grades right answers full and each wrong answer exactly where it is wrong.

One grading run of the suites' pipeline (`python -m autograder grade`, test cells in the trusted
process) grades a batch of hand-ins built from the committed student
version (exercises/activations/activations.ipynb):

- `solution`: the reference answers from solutions/activations/activations.ipynb;
- `second`: a second, differently written correct implementation (ALTERNATIVE below:
  sigmoid via tanh, ReLU via heaviside, collapse by pushing an identity matrix through the
  stack, the vanishing range by bisection, ...);
- `blank`: the student version as released (every answer raises NotImplementedError);
- one hand-in per typical mistake (WRONG below), each with the set of test cells it must lose;
- trivial, hard-coded and hostile hand-ins (tests/exercises/act_handins.py), each scoring
  exactly its honest score: zeros, the input, always raising, a linear tanh/sigmoid pair
  that satisfies the identity, answers looked up from the visible tests' calls, numpy's
  error state switched off around an overflowing sigmoid, and the course's reference
  module imported (it is not in the grading sandbox).
"""
from __future__ import annotations

import pytest

from . import act_handins as H
from .suite import AttackSuite

pytestmark = pytest.mark.slow  # one nbgrader batch: ~1 min of CPU, several minutes on a busy machine

ASSIGNMENT = "activations"
AUTOGRADED_POINTS = 25
MANUAL_POINTS = {"derivation_swish": 2, "derivation_prelu": 1, "proof_tanh_sigmoid": 2,
                 "proof_linear_collapse": 3}

# A second correct implementation, written independently of the reference solution.
ALTERNATIVE = {
    "sigmoid_tanh": '''
def sigmoid(x):
    # sigmoid(x) = (1 + tanh(x / 2)) / 2: tanh never overflows
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))

def d_sigmoid(x):
    half = np.tanh(0.5 * np.asarray(x, dtype=float))
    return 0.25 * (1.0 - half ** 2)

def tanh(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-2.0 * np.abs(x))
    return np.sign(x) * (1.0 - e) / (1.0 + e)

def d_tanh(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / (1.0 + e) ** 2
''',
    "relu_family": '''
def relu(x):
    x = np.asarray(x, dtype=float)
    return x * (x > 0)

def d_relu(x):
    return np.heaviside(np.asarray(x, dtype=float), 0.0)

def leaky_relu(x, alpha=0.01):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0.0) + alpha * np.minimum(x, 0.0)

def d_leaky_relu(x, alpha=0.01):
    positive = np.asarray(x, dtype=float) > 0
    return positive + alpha * ~positive

def elu(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0.0) + alpha * (np.exp(np.minimum(x, 0.0)) - 1.0)

def d_elu(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    out = np.ones_like(x)
    negative = x <= 0
    out[negative] = alpha * np.exp(x[negative])
    return out
''',
    "swish": '''
def swish(x, beta=1.0):
    x = np.asarray(x, dtype=float)
    return 0.5 * x * (1.0 + np.tanh(0.5 * beta * x))

def d_swish(x, beta=1.0):
    x = np.asarray(x, dtype=float)
    t = np.tanh(0.5 * beta * x)
    return 0.5 * (1.0 + t) + 0.25 * beta * x * (1.0 - t * t)
''',
    "prelu_derivatives": '''
def d_prelu_dx(x, alpha):
    x = np.asarray(x, dtype=float)
    return alpha + (1.0 - alpha) * np.heaviside(x, 0.0)

def d_prelu_dalpha(x, alpha):
    x = np.asarray(x, dtype=float)
    return x * (x < 0)
''',
    "max_abs_gap": '''
def max_abs_gap(f, g, x):
    differences = np.abs(np.subtract(f(x), g(x))).ravel()
    return float(differences.max())
''',
    "collapse_linear": '''
def collapse_linear(weights, biases):
    # Push a zero row and the identity through the stack: the zero row comes out as b,
    # row i of the identity as W[i] + b.
    n_0 = np.shape(weights[0])[0]
    probe = np.vstack([np.zeros((1, n_0)), np.eye(n_0)])
    for W_k, b_k in zip(weights, biases):
        probe = probe @ W_k + b_k
    b = probe[0]
    return probe[1:] - b, b
''',
    "vanishing_range": '''
def vanishing_range(threshold):
    if not 0 < threshold <= 0.25:
        raise ValueError("threshold must satisfy 0 < threshold <= 0.25")
    slope = lambda x: 1.0 / (4.0 * np.cosh(x / 2.0) ** 2)
    low, high = 0.0, 1.0
    while slope(high) >= threshold:
        high *= 2.0
    for _ in range(200):                      # bisection on the decreasing slope
        middle = 0.5 * (low + high)
        if slope(middle) >= threshold:
            low = middle
        else:
            high = middle
    return low
''',
}

# Typical mistakes: (answer cell, text in the reference answer, replacement, lost test cells).
# A function that is wrong at large |x| too loses test_large_inputs as well (it compares the
# values of the exp-based functions there).
WRONG = {
    "d_sigmoid_of_x": ("sigmoid_tanh", "    s = sigmoid(x)\n    return s * (1.0 - s)",
                       "    return x * (1.0 - x)", {"test_d_sigmoid", "test_large_inputs"}),
    "d_tanh_wrong_sign": ("sigmoid_tanh", "return 1.0 - t * t", "return t * t - 1.0",
                          {"test_d_tanh"}),
    "d_relu_wrong_at_negatives": ("relu_family", "return (x > 0).astype(float)",
                                  "return np.sign(x)", {"test_d_relu"}),
    "d_relu_one_at_kink": ("relu_family", "return (x > 0).astype(float)",
                           "return (x >= 0).astype(float)", {"test_d_relu"}),
    "leaky_alpha_ignored": ("relu_family", "+ alpha * np.minimum(x, 0.0)", "+ 0.01 * np.minimum(x, 0.0)",
                            {"test_leaky_relu"}),
    "d_leaky_one_at_kink": ("relu_family", "    return np.where(x > 0, 1.0, alpha)\n",
                            "    return np.where(x >= 0, 1.0, alpha)\n", {"test_d_leaky_relu"}),
    "d_elu_one_at_kink": ("relu_family", "np.where(x > 0, 1.0, elu(x, alpha) + alpha)",
                          "np.where(x >= 0, 1.0, elu(x, alpha) + alpha)", {"test_d_elu"}),
    "swish_beta_ignored": ("swish", "sigmoid(beta * x)", "sigmoid(x)",
                           {"test_swish", "test_d_swish"}),
    "d_prelu_dalpha_no_min": ("prelu_derivatives", "return np.minimum(x, 0.0)", "return x",
                              {"test_d_prelu_dalpha"}),
    # exp of large positive numbers: the values come out nan at x >= 710 (inf / inf, 0 * inf)
    "sigmoid_nan_at_large": ("sigmoid_tanh", "return np.exp(-np.logaddexp(0.0, -x))",
                             "return np.exp(x) / (1.0 + np.exp(x))", {"test_large_inputs"}),
    "elu_mask_times_inf": ("relu_family", "return np.maximum(x, 0.0) + alpha * np.expm1(np.minimum(x, 0.0))",
                           "return x * (x > 0) + alpha * np.expm1(x) * (x <= 0)", {"test_large_inputs"}),
    "gap_without_abs": ("max_abs_gap", "np.max(np.abs(f(x) - g(x)))", "np.max(f(x) - g(x))",
                        {"test_max_abs_gap"}),
    "collapse_transposed": ("collapse_linear", "return W, b", "return W.T, b",
                            {"test_collapse_linear"}),
    "vanishing_lower_root": ("vanishing_range", "s = 0.5 * (1.0 + np.sqrt", "s = 0.5 * (1.0 - np.sqrt",
                             {"test_vanishing_range"}),
    "vanishing_no_validation": ("vanishing_range", "    if not 0.0 < threshold <= 0.25:\n",
                                "    if False:\n", {"test_vanishing_range_bad_threshold"}),
}


class TestActivations(AttackSuite):
    ATTACKS = H
    ASSIGNMENT, AUTOGRADED_POINTS, MANUAL_POINTS = ASSIGNMENT, AUTOGRADED_POINTS, MANUAL_POINTS
    ALTERNATIVE, WRONG = ALTERNATIVE, WRONG
    TIMEOUT = 60
