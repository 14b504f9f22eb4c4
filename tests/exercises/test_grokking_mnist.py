"""The `grokking_mnist` assignment grades right answers full and each wrong answer exactly where it is wrong.

One grading run of the suites' pipeline (`python -m autograder grade`, test cells in the trusted
process) grades a batch of hand-ins built from the committed student
version (exercises/grokking_mnist/grokking_mnist.ipynb), including the two end-to-end MNIST
training runs (offline 5,000-image subset, 10 epochs each) of every hand-in:

- `solution`: the reference answers from solutions/grokking_mnist/grokking_mnist.ipynb;
- `second`: a differently written correct implementation (ALTERNATIVE below: log-sum-exp
  softmax, binomial dropout draws, in-place updates, a name table for the activations);
- `blank`: the student version as released;
- one hand-in per typical mistake (WRONG below), each with the set of test cells it must lose.
  The two end-to-end cells test the whole loop, so a mistake that breaks learning loses them
  too; the expected sets say so explicitly.
"""
from __future__ import annotations

import pytest

from .suite import AssignmentSuite

pytestmark = pytest.mark.slow  # one nbgrader batch: ~1 min of CPU, several minutes on a busy machine

ASSIGNMENT = "grokking_mnist"
AUTOGRADED_POINTS = 22
MANUAL_POINTS = {"answer_inverted_dropout": 1, "answer_train_vs_test": 2}

ALTERNATIVE = {
    "softmax": '''
def softmax(x):
    # log-sum-exp form: log softmax = x - max - log(sum(exp(x - max)))
    x = np.asarray(x, dtype=float)
    top = np.max(x, axis=1, keepdims=True)
    log_norm = top + np.log(np.sum(np.exp(x - top), axis=1, keepdims=True))
    return np.exp(x - log_norm)
''',
    "tanh_deriv": '''
def tanh_deriv_from_output(y):
    y = np.asarray(y, dtype=float)
    return (1.0 - y) * (1.0 + y)
''',
    "dropout_mask": '''
def dropout_mask(shape, p_keep, rng):
    if p_keep <= 0 or p_keep > 1:
        raise ValueError("p_keep must satisfy 0 < p_keep <= 1")
    return rng.binomial(1, p_keep, size=shape).astype(float) * (1.0 / p_keep)
''',
    "relu_pieces": '''
def relu(x):
    return np.clip(np.asarray(x, dtype=float), 0.0, None)

def relu_deriv_from_output(y):
    return np.sign(np.asarray(y, dtype=float))   # y >= 0: sign is 1 where active, 0 where cut off
''',
    "predict_train_epoch": '''
ACTIVATIONS = {"tanh": (np.tanh, tanh_deriv_from_output),
               "relu": (relu, relu_deriv_from_output)}

def _lookup(act_func):
    if act_func not in ACTIVATIONS:
        raise ValueError(f"unknown act_func {act_func!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[act_func]

def predict(X, W_1, W_2, act_func="tanh"):
    forward, _ = _lookup(act_func)
    return softmax(np.dot(forward(np.dot(X, W_1)), W_2))

def train_epoch(X, Y, W_1, W_2, lr, batch_size, rng, p_keep=0.5, act_func="tanh"):
    forward, slope = _lookup(act_func)
    W_1, W_2 = np.array(W_1, dtype=float), np.array(W_2, dtype=float)
    n_correct = 0
    for start in range(0, len(X) - batch_size + 1, batch_size):
        X_b, Y_b = X[start:start + batch_size], Y[start:start + batch_size]
        hidden = forward(np.dot(X_b, W_1))
        mask = dropout_mask(hidden.shape, p_keep, rng)
        dropped = hidden * mask
        probabilities = softmax(np.dot(dropped, W_2))
        n_correct += np.count_nonzero(probabilities.argmax(axis=1) == Y_b.argmax(axis=1))
        error = (probabilities - Y_b) / batch_size
        back = np.dot(error, W_2.T) * mask * slope(hidden)
        W_2 -= lr * np.dot(dropped.T, error)
        W_1 -= lr * np.dot(X_b.T, back)
    return W_1, W_2, n_correct
''',
}

E2E = {"test_mnist_tanh", "test_mnist_relu"}

# Typical mistakes: (answer cell, text in the reference answer, replacement, lost test cells).
WRONG = {
    "softmax_unstable": ("softmax", "np.exp(x - x.max(axis=1, keepdims=True))", "np.exp(x)",
                         {"test_softmax_large_logits"}),
    "softmax_wrong_axis": ("softmax",
                           "    e = np.exp(x - x.max(axis=1, keepdims=True))\n"
                           "    return e / e.sum(axis=1, keepdims=True)",
                           "    e = np.exp(x - x.max(axis=0, keepdims=True))\n"
                           "    return e / e.sum(axis=0, keepdims=True)",
                           {"test_softmax"} | E2E),
    "tanh_deriv_from_input": ("tanh_deriv", "return 1.0 - y ** 2", "return 1.0 - np.tanh(y) ** 2",
                              {"test_tanh_deriv_from_output"}),
    "dropout_not_rescaled": ("dropout_mask", "return keep / p_keep", "return keep.astype(float)",
                             {"test_dropout_mask_scaling"}),
    "dropout_ignores_rng": ("dropout_mask", "rng.random(shape)", "np.random.random(shape)",
                            {"test_dropout_mask_rng"}),
    "dropout_no_validation": ("dropout_mask", "    if not 0.0 < p_keep <= 1.0:\n", "    if False:\n",
                              {"test_dropout_mask_bad_p_keep"}),
    "relu_deriv_one_at_cut_off_units": ("relu_pieces", "return (np.asarray(y) > 0).astype(float)",
                                        "return np.ones_like(np.asarray(y, dtype=float))",
                                        {"test_relu_deriv_from_output"}),
    "dropout_at_test_time": ("predict_train_epoch",
                             "    return softmax(act(X @ W_1) @ W_2)",
                             "    h = act(X @ W_1)\n"
                             "    h = h * dropout_mask(h.shape, 0.5, np.random.default_rng())\n"
                             "    return softmax(h @ W_2)",
                             {"test_predict"}),
    "backward_ignores_mask": ("predict_train_epoch", "(delta_2 @ W_2.T) * mask * deriv(h)",
                              "(delta_2 @ W_2.T) * deriv(h)",
                              {"test_train_epoch", "test_train_epoch_relu"}),
    "gradient_ascent": ("predict_train_epoch", "W_2 = W_2 - lr", "W_2 = W_2 + lr",
                        {"test_train_epoch", "test_train_epoch_relu"} | E2E),
    "predict_from_courseref": ("predict_train_epoch", "def _activation(act_func):",
                               "from courseref.grokking import predict\n\n\ndef _activation(act_func):",
                               # the reference predict also accepts 'sigmoid' (the book's
                               # variant), so the act_func check is lost too
                               {"test_predict", "test_unknown_act_func"}),
    "act_func_not_checked": ("predict_train_epoch",
                             '    raise ValueError(f"act_func must be',
                             '    return np.tanh, tanh_deriv_from_output\n    raise ValueError(f"act_func must be',
                             {"test_unknown_act_func"}),
}


# Mistakes graded in one kernel only (plain nbgrader): importing the course's reference
# module is caught by check_own, which reads the function's module and so works only there.
# (In trusted grading the sandbox simply does not hold courseref.)
ONE_KERNEL_ONLY = {"predict_from_courseref": "courseref.grokking"}  # mistake -> the module it imports


class TestGrokkingMnist(AssignmentSuite):
    ASSIGNMENT, AUTOGRADED_POINTS, MANUAL_POINTS = ASSIGNMENT, AUTOGRADED_POINTS, MANUAL_POINTS
    ALTERNATIVE, WRONG, ONE_KERNEL_ONLY = ALTERNATIVE, WRONG, ONE_KERNEL_ONLY
    TIMEOUT = 120
