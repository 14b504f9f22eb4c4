"""The `deeper_networks` assignment grades right answers full and each wrong answer exactly
where it is wrong (see suite.py for the checks every assignment's suite runs).

- `second`: an independent correct implementation (the activations through `coursepkg.dp`'s
  Node methods, dead units counted as "never non-zero", the gradients by `dp` backpropagation
  of a log-softmax built from Node operations instead of hand-written numpy);
- one hand-in per typical mistake (WRONG), with the test cells it must lose;
- trivial, constant, hard-coded hand-ins (deeper_networks_handins.py), each scoring exactly
  its honest score, graded in the same batch.
"""
from __future__ import annotations

import pytest

from . import deeper_networks_handins as H
from .suite import AttackSuite

pytestmark = pytest.mark.slow

ALTERNATIVE = {
    "forward": '''
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")

def activate(z, act):
    if act not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}; accepted: {ACTIVATIONS}")
    return getattr(Node(np.asarray(z, dtype=float)), act)().value

def hidden_outputs(X, weights, biases, acts):
    layers, h = [], X
    for k in range(len(acts)):
        h = activate(np.dot(h, weights[k]) + np.reshape(biases[k], (1, -1)), acts[k])
        layers.append(h)
    return layers
''',
    "dead_units": '''
def count_dead(X, weights, biases, acts):
    counts = []
    for h in hidden_outputs(X, weights, biases, acts):
        ever_active = (h != 0).any(axis=0)
        counts.append(h.shape[1] - int(ever_active.sum()))
    return np.array(counts)
''',
    "grad_stats": '''
def gradient_stats(X, y, weights, biases, acts):
    params = [Node(np.asarray(W, dtype=float)) for W in weights]
    h = Node(np.asarray(X, dtype=float))
    for k, W in enumerate(params):
        h = h @ W + Node(np.reshape(biases[k], (1, -1)))
        if k < len(acts):
            h = getattr(h, acts[k])()
    z = h - Node(h.value.max(axis=1, keepdims=True))
    log_p = z - z.exp().sum(axis=1).log()
    onehot = np.eye(z.value.shape[1])[np.asarray(y)]
    loss = (log_p * Node(-onehot / len(onehot))).sum()
    loss.backward()
    grads = [W.grad for W in params]
    return np.array([np.abs(g).mean() for g in grads]), np.array([g.std() for g in grads])
''',
    "vanishing": '''
def vanishing_layers(mean_abs, factor=0.01):
    top = max(float(v) for v in mean_abs)
    return [k for k, v in enumerate(mean_abs) if float(v) < factor * top]
''',
}

GRADS = {"test_grad_mean_abs", "test_grad_std"}

WRONG = {
    # (answer cell, text in the reference, replacement, test cells it must lose)
    "forward_without_bias": ("forward", "activate(h @ W + b, act)", "activate(h @ W, act)",
                             {"test_hidden_outputs", "test_count_dead"}),
    "unknown_activation_keyerror": ("forward", 'raise ValueError(f"act must be one of', 'raise KeyError(f"act must be one of',
                                    {"test_hidden_outputs"}),
    "dead_on_any_example": ("dead_units", "np.all(h == 0.0, axis=0)", "np.any(h == 0.0, axis=0)", {"test_count_dead"}),
    "dead_means_not_positive": ("dead_units", "h == 0.0", "h <= 0.0", {"test_count_dead"}),
    "dead_counted_per_example": ("dead_units", "axis=0", "axis=1", {"test_count_dead"}),
    "dead_share_not_count": ("dead_units", "int(np.all(h == 0.0, axis=0).sum())", "np.all(h == 0.0, axis=0).mean()",
                             {"test_count_dead"}),
    "loss_summed_not_mean": ("grad_stats", "delta = delta / len(y)", "delta = delta / 1", GRADS),
    "no_activation_slope": ("grad_stats", "delta = (delta @ weights[k].T) * _slope(pre[k - 1], acts[k - 1])",
                            "delta = delta @ weights[k].T", GRADS),
    "tanh_slope_from_pre_activation": ("grad_stats", "1.0 - np.tanh(z) ** 2", "1.0 - z ** 2", GRADS),
    "softmax_without_label": ("grad_stats", "delta[np.arange(len(y)), y] -= 1.0", "pass", GRADS),
    "mean_without_abs": ("grad_stats", "np.mean(np.abs(dW))", "np.mean(dW)", {"test_grad_mean_abs"}),
    "std_of_abs": ("grad_stats", "np.std(dW)", "np.std(np.abs(dW))", {"test_grad_std"}),
    "vanishing_relative_to_last": ("vanishing", "mean_abs.max()", "mean_abs[-1]", {"test_vanishing_layers"}),
    "vanishing_at_or_below": ("vanishing", "mean_abs < factor", "mean_abs <= factor", {"test_vanishing_layers"}),
}


class TestDeeperNetworks(AttackSuite):
    ATTACKS = H
    ASSIGNMENT = "deeper_networks"
    AUTOGRADED_POINTS = 11
    MANUAL_POINTS = {"deep_answer": 2}
    ALTERNATIVE = ALTERNATIVE
    WRONG = WRONG
    TIMEOUT = 60
