"""The `gated_units` assignment grades right answers full and each wrong answer exactly
where it is wrong (see suite.py for the checks every assignment's suite runs).

- `second`: an independent correct implementation (sigmoid through tanh, one generic
  operation builder that sets the parents' `grad` instead of calling `_add_grad`, the
  block's layers created in another order, the loss as a sum of squares over the size);
- one hand-in per typical mistake (WRONG), with the test cells it must lose;
- trivial, hard-coded and lying hand-ins (gated_units_handins.py), each scoring exactly
  its honest score, graded in the same batch.
"""
from __future__ import annotations

import pytest

from . import gated_units_handins as H
from .suite import AttackSuite

pytestmark = pytest.mark.slow

ALTERNATIVE = {
    "backward_rules": '''
def _gate(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))

def glu_backward(a, b, grad):
    s = _gate(b)
    return np.multiply(grad, s), np.multiply(grad, a) * (s - s * s)

def swiglu_backward(a, b, grad, beta=1.0):
    s = _gate(beta * np.asarray(b, dtype=float))
    swish = b * s
    # d/db [b s(beta b)] = s + beta * b * s' = s + beta * (swish - swish * s)
    return grad * swish, grad * a * (s + beta * (swish - swish * s))
''',
    "gated_ops": '''
def _gated(name, a, b, value, rule, *extra):
    parents = (a, b)

    def rule_of_node(upstream):
        for parent, share in zip(parents, rule(a.value, b.value, upstream, *extra)):
            parent.grad = parent.grad + share

    return Node(value, any(p.requires_grad for p in parents), parents, name, rule_of_node)

def glu(a, b):
    return _gated("glu", a, b, a.value * _gate(b.value), glu_backward)

def swiglu(a, b, beta=1.0):
    return _gated("swiglu", a, b, a.value * b.value * _gate(beta * b.value), swiglu_backward, beta)
''',
    "swiglu_ffn": '''
class SwiGLUFFN(Model):
    def __init__(self, d_model, d_hidden, beta=1.0, seed=None):
        Model.__init__(self, seed)
        self.layers = {name: self.Linear_Layer(n_in, n_out, name)
                       for name, n_in, n_out in (("down", d_hidden, d_model), ("gate", d_model, d_hidden),
                                                 ("up", d_model, d_hidden))}
        self.beta = float(beta)

    def forward(self, x):
        hidden = swiglu(self.layers["up"](x), self.layers["gate"](x), beta=self.beta)
        return self.layers["down"](hidden)

    def loss(self, x, y):
        error = self.forward(x) - y
        return error.square().sum() * (1.0 / error.value.size)
''',
}

WRONG = {
    # (answer cell, text in the reference, replacement, test cells it must lose)
    "glu_grad_b_without_a": ("backward_rules", "grad * a * gate * (1.0 - gate)\n",
                             "grad * gate * (1.0 - gate)\n", {"test_glu_backward"}),
    "glu_grad_a_is_grad": ("backward_rules", "return grad * gate, grad * a", "return grad, grad * a",
                           {"test_glu_backward"}),
    "swiglu_chain_rule_without_beta": ("backward_rules", "d_swish = gate + beta * b * gate",
                                       "d_swish = gate + b * gate", {"test_swiglu_backward", "test_ffn_gradients"}),
    "swiglu_grad_a_is_the_gate": ("backward_rules", "return grad * b * gate,", "return grad * gate,",
                                  {"test_swiglu_backward", "test_ffn_gradients"}),
    "swiglu_grad_b_without_product_rule": ("backward_rules", "d_swish = gate + beta * b * gate * (1.0 - gate)",
                                           "d_swish = beta * b * gate * (1.0 - gate)",
                                           {"test_swiglu_backward", "test_ffn_gradients"}),
    "glu_forward_sign": ("gated_ops", "a.value / (1.0 + np.exp(-b.value))", "a.value / (1.0 + np.exp(b.value))",
                         {"test_glu_op"}),
    "glu_built_from_dp_ops": ("gated_ops",
                              'return Node(value, a.requires_grad or b.requires_grad, (a, b), "glu", backward)',
                              "return a * b.sigmoid()", {"test_glu_op"}),
    "swiglu_built_from_dp_ops": ("gated_ops",
                                 'return Node(value, a.requires_grad or b.requires_grad, (a, b), "swiglu", backward)',
                                 "return a * b.swish(beta)", {"test_swiglu_op", "test_ffn_gradients"}),
    "swiglu_op_drops_beta": ("gated_ops", "swiglu_backward(a.value, b.value, grad, beta)",
                             "swiglu_backward(a.value, b.value, grad)", {"test_swiglu_op", "test_ffn_gradients"}),
    "ops_swap_the_parents": ("gated_ops", "a._add_grad(grad_a)\n        b._add_grad(grad_b)",
                             "a._add_grad(grad_b)\n        b._add_grad(grad_a)",
                             {"test_glu_op", "test_swiglu_op", "test_ffn_gradients"}),
    "ops_need_both_parents": ("gated_ops", "a.requires_grad or b.requires_grad", "a.requires_grad and b.requires_grad",
                              {"test_glu_op", "test_swiglu_op"}),
    "ffn_up_and_gate_swapped": ("swiglu_ffn", "swiglu(self.up(x), self.gate(x), self.beta)",
                                "swiglu(self.gate(x), self.up(x), self.beta)",
                                {"test_ffn_forward", "test_ffn_gradients"}),
    "ffn_ignores_beta": ("swiglu_ffn", "self.gate(x), self.beta)", "self.gate(x))",
                         {"test_ffn_forward", "test_ffn_gradients"}),
    "ffn_loss_sum": ("swiglu_ffn", "** 2).mean()", "** 2).sum()", {"test_ffn_gradients"}),
}


class TestGatedUnits(AttackSuite):
    ATTACKS = H
    ASSIGNMENT = "gated_units"
    AUTOGRADED_POINTS = 15
    MANUAL_POINTS = {"gated_answer": 2}
    ALTERNATIVE = ALTERNATIVE
    WRONG = WRONG
    TIMEOUT = 60
