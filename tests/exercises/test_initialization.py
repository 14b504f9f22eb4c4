"""The `initialization` assignment grades right answers full and each wrong answer exactly
where it is wrong (see suite.py for the checks every assignment's suite runs).

- `second`: an independent correct implementation (table lookup, standard normals scaled,
  uniform from `rng.random`, hand-written backpropagation in numpy instead of dp);
- one hand-in per typical mistake (WRONG), with the test cells it must lose.
"""
from __future__ import annotations

import pytest

from .suite import AssignmentSuite

pytestmark = pytest.mark.slow

ALTERNATIVE = {
    "initializers": '''
SCHEMES = ("lecun", "glorot", "he")
DISTRIBUTIONS = ("normal", "uniform")
_FANS = {"lecun": lambda a, b: 1.0 / a, "glorot": lambda a, b: 2.0 / (a + b), "he": lambda a, b: 2.0 / a}

def target_variance(scheme, n_in, n_out):
    if scheme not in _FANS:
        raise ValueError(f"unknown scheme {scheme!r}: use lecun, glorot or he")
    return _FANS[scheme](n_in, n_out)

def init_weights(n_in, n_out, scheme, distribution, rng):
    std = target_variance(scheme, n_in, n_out) ** 0.5
    if distribution == "uniform":
        return (2.0 * rng.random((n_in, n_out)) - 1.0) * std * 3 ** 0.5
    if distribution != "normal":
        raise ValueError(f"unknown distribution {distribution!r}: use normal or uniform")
    return std * rng.standard_normal((n_in, n_out))
''',
    "gain": '''
def gain(f, n_samples, rng):
    second_moment = np.square(f(rng.normal(size=n_samples))).mean()
    return float(second_moment ** -0.5)
''',
    "layer_variances": '''
_ACTS = {"tanh": (np.tanh, lambda h: 1 - h * h),
         "relu": (lambda z: np.where(z > 0, z, 0.0), lambda h: (h > 0).astype(float)),
         "sigmoid": (lambda z: 0.5 * (1 + np.tanh(z / 2)), lambda h: h * (1 - h))}

def layer_variances(X, weights, act_func, upstream):
    act, d_act = _ACTS[act_func]
    layers = [np.asarray(X, dtype=float)]
    for W in weights:
        layers.append(act(layers[-1] @ W))
    delta, grads = np.asarray(upstream, dtype=float), []
    for k in range(len(weights) - 1, -1, -1):
        delta = delta * d_act(layers[k + 1])
        grads.insert(0, layers[k].T @ delta)
        delta = delta @ weights[k].T
    return np.array([h.var() for h in layers[1:]]), np.array([g.var() for g in grads])
''',
}

WRONG = {
    # (answer cell, text in the reference, replacement, test cells it must lose)
    "glorot_uses_n_in_only": ("initializers", "2.0 / (n_in + n_out)", "1.0 / n_in",
                              {"test_target_variance", "test_init_normal", "test_init_uniform"}),
    "he_uses_n_out": ("initializers", "return 2.0 / n_in", "return 2.0 / n_out",
                      {"test_target_variance", "test_init_normal", "test_init_uniform"}),
    "normal_scale_is_variance": ("initializers", "rng.normal(0.0, np.sqrt(variance)",
                                 "rng.normal(0.0, variance", {"test_init_normal"}),
    "uniform_limit_without_3": ("initializers", "np.sqrt(3.0 * variance)", "np.sqrt(variance)",
                                {"test_init_uniform"}),
    "uniform_from_zero": ("initializers", "rng.uniform(-limit, limit", "rng.uniform(0.0, limit",
                          {"test_init_uniform"}),
    "global_numpy_random": ("initializers", "rng.normal(0.0, np.sqrt(variance)",
                            "np.random.normal(0.0, np.sqrt(variance)", {"test_init_normal"}),
    "distributions_swapped": ("initializers", 'if distribution == "normal":', 'if distribution == "uniform":',
                              {"test_init_normal", "test_init_uniform", "test_unknown_values"}),
    "unknown_scheme_keyerror": ("initializers",
                                "raise ValueError(f\"scheme must be one of {', '.join(SCHEMES)}; got {scheme!r}\")",
                                "raise KeyError(scheme)", {"test_unknown_values"}),
    "gain_without_sqrt": ("gain", "1.0 / np.sqrt(np.mean(f(z) ** 2))", "1.0 / np.mean(f(z) ** 2)",
                          {"test_gain"}),
    "gain_variance_of_f": ("gain", "np.mean(f(z) ** 2)", "np.var(f(z))", {"test_gain"}),
    "gain_fixed_sample_size": ("gain", "rng.standard_normal(n_samples)", "rng.standard_normal(1000)",
                               {"test_gain"}),
    "act_var_of_inputs": ("layer_variances", "for W in params:\n        h = getattr(h @ W, act_func)()\n"
                          "        activations.append(h)",
                          "for W in params:\n        activations.append(h)\n"
                          "        h = getattr(h @ W, act_func)()", {"test_activation_variances"}),
    "grad_var_of_activations": ("layer_variances", "np.var(W.grad) for W in params",
                                "np.var(a.grad) for a in activations", {"test_gradient_variances"}),
    "loss_without_upstream": ("layer_variances", "(h * Node(upstream)).sum()", "h.sum()",
                              {"test_gradient_variances"}),
}

class TestInitialization(AssignmentSuite):
    ASSIGNMENT = "initialization"
    AUTOGRADED_POINTS = 14
    MANUAL_POINTS = {"spread_answer": 3}
    ALTERNATIVE = ALTERNATIVE
    WRONG = WRONG
    TIMEOUT = 60
