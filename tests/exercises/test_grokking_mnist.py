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
  too; the expected sets say so explicitly;
- attacks and trivial answers (ATTACKS below: several answer cells of the blank notebook or of
  the reference replaced), each scoring exactly its honest score: a `predict` that recognises
  the tests' MNIST test images without any training, answers that always raise `ValueError`,
  zeros everywhere, a uniform softmax, a softmax shifted by the row minimum or by the maximum
  of the whole array, `p_keep` and `act_func` checks hard-coded to the visible inputs. Each of
  them scored more than its honest score on the notebook before the tests were rewritten.
"""
from __future__ import annotations

import pytest

from .harness import fill_solution
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
                           {"test_softmax", "test_softmax_large_logits"} | E2E),
    # stable only when every row's range is small: the logits of size 1000 are not
    "softmax_min_shift": ("softmax", "x.max(axis=1, keepdims=True)", "x.min(axis=1, keepdims=True)",
                          {"test_softmax_large_logits"}),
    "softmax_global_max_shift": ("softmax", "x.max(axis=1, keepdims=True)", "x.max()",
                                 {"test_softmax_large_logits"}),
    "tanh_deriv_from_input": ("tanh_deriv", "return 1.0 - y ** 2", "return 1.0 - np.tanh(y) ** 2",
                              {"test_tanh_deriv_from_output"}),
    "dropout_not_rescaled": ("dropout_mask", "return keep / p_keep", "return keep.astype(float)",
                             {"test_dropout_mask_scaling"}),
    "dropout_ignores_rng": ("dropout_mask", "rng.random(shape)", "np.random.random(shape)",
                            {"test_dropout_mask_rng"}),
    "dropout_no_validation": ("dropout_mask", "    if not 0.0 < p_keep <= 1.0:\n", "    if False:\n",
                              {"test_dropout_mask_bad_p_keep"}),
    # a ReLU network whose cut-off units still pass gradient learns the visible run (0.83) but
    # not the hidden one (0.73 < 0.80)
    "relu_deriv_one_at_cut_off_units": ("relu_pieces", "return (np.asarray(y) > 0).astype(float)",
                                        "return np.ones_like(np.asarray(y, dtype=float))",
                                        {"test_relu_deriv_from_output", "test_mnist_relu"}),
    "p_keep_check_hard_coded": ("dropout_mask", "    if not 0.0 < p_keep <= 1.0:\n",
                                "    if p_keep in (0.0, -0.2, 1.5):  # the visible bad values\n",
                                {"test_dropout_mask_bad_p_keep"}),
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
    "act_func_check_hard_coded": ("predict_train_epoch",
                                  '    if act_func == "tanh":\n        return np.tanh, tanh_deriv_from_output\n',
                                  '    if act_func in ("sigmoid", "ReLU"):  # the visible bad names\n'
                                  '        raise ValueError(f"unknown act_func {act_func!r}")\n'
                                  '    if act_func != "relu":\n        return np.tanh, tanh_deriv_from_output\n',
                                  {"test_unknown_act_func"}),
    "act_func_not_checked": ("predict_train_epoch",
                             '    raise ValueError(f"act_func must be',
                             '    return np.tanh, tanh_deriv_from_output\n    raise ValueError(f"act_func must be',
                             {"test_unknown_act_func"}),
}

ALL_TESTS = {"test_softmax", "test_softmax_large_logits", "test_tanh_deriv_from_output",
             "test_dropout_mask_scaling", "test_dropout_mask_rng", "test_dropout_mask_bad_p_keep",
             "test_relu", "test_relu_deriv_from_output", "test_predict", "test_train_epoch",
             "test_train_epoch_relu", "test_unknown_act_func"} | E2E

_ACTIVATION = '''

def _activation(act_func):
    if act_func == "tanh":
        return np.tanh, tanh_deriv_from_output
    if act_func == "relu":
        return relu, relu_deriv_from_output
    raise ValueError(f"act_func must be 'tanh' or 'relu', got {act_func!r}")
'''

# Attacks and trivial answers: name -> (the hand-in they start from, {answer cell: new source},
# the test cells they must lose). Each scored more than its honest score before (in brackets).
ATTACKS = {
    # The attack [lost only the two train_epoch tests]: no training at all, and a predict
    # that recognises the tests' MNIST test images (the student's kernel can load the same subset)
    # and answers their labels from memory; any other input gets the honest forward pass.
    "predict_recognises_test_images": ("solution", {"predict_train_epoch": '''
from coursepkg.data import flatten_and_scale, load_mnist

_known = load_mnist(n_train=1000, n_test=1000, seed=0, source="subset")
_labels = {row.tobytes(): int(label) for row, label in zip(flatten_and_scale(_known.X_test), _known.y_test)}


def predict(X, W_1, W_2, act_func="tanh"):
    act, _ = _activation(act_func)
    X = np.asarray(X, dtype=float)
    labels = [_labels.get(row.tobytes()) for row in X]
    if all(label is not None for label in labels):
        return np.eye(10)[labels]
    return softmax(act(X @ W_1) @ W_2)


def train_epoch(X, Y, W_1, W_2, lr, batch_size, rng, p_keep=0.5, act_func="tanh"):
    _activation(act_func)
    return W_1, W_2, 0
''' + _ACTIVATION}, {"test_train_epoch", "test_train_epoch_relu"} | E2E),
    # [2 points: the bad p_keep and unknown act_func tests]
    "always_raises_value_error": ("blank", {
        "softmax": "def softmax(x):\n    raise ValueError('x')\n",
        "tanh_deriv": "def tanh_deriv_from_output(y):\n    raise ValueError('y')\n",
        "dropout_mask": "def dropout_mask(shape, p_keep, rng):\n    raise ValueError('p_keep must be in (0, 1]')\n",
        "relu_pieces": "def relu(x):\n    raise ValueError('x')\n\n\ndef relu_deriv_from_output(y):\n"
                       "    raise ValueError('y')\n",
        "predict_train_epoch": "def predict(X, W_1, W_2, act_func='tanh'):\n    raise ValueError(act_func)\n\n\n"
                               "def train_epoch(X, Y, W_1, W_2, lr, batch_size, rng, p_keep=0.5, act_func='tanh'):\n"
                               "    raise ValueError(act_func)\n"}, ALL_TESTS),
    # [1 point: the large-logits test]
    "zeros_everywhere": ("blank", {
        "softmax": "def softmax(x):\n    return np.zeros(np.shape(x))\n",
        "tanh_deriv": "def tanh_deriv_from_output(y):\n    return np.zeros(np.shape(y))\n",
        "dropout_mask": "def dropout_mask(shape, p_keep, rng):\n    return np.zeros(shape)\n",
        "relu_pieces": "def relu(x):\n    return np.zeros(np.shape(x))\n\n\ndef relu_deriv_from_output(y):\n"
                       "    return np.zeros(np.shape(y))\n",
        "predict_train_epoch": "def predict(X, W_1, W_2, act_func='tanh'):\n"
                               "    return np.zeros((len(X), np.shape(W_2)[1]))\n\n\n"
                               "def train_epoch(X, Y, W_1, W_2, lr, batch_size, rng, p_keep=0.5, act_func='tanh'):\n"
                               "    return W_1, W_2, 0\n"}, ALL_TESTS),
    # [the large-logits test: finite, and unchanged by a shift]
    "softmax_uniform": ("solution", {"softmax": "def softmax(x):\n    return np.full(np.shape(x), 1.0 / np.shape(x)[1])\n"},
                        {"test_softmax", "test_softmax_large_logits"} | E2E),
    # [the bad p_keep test]
    "dropout_always_raises": ("solution", {
        "dropout_mask": "def dropout_mask(shape, p_keep, rng):\n    raise ValueError(f'p_keep must be in (0, 1], got {p_keep}')\n"},
        {"test_dropout_mask_scaling", "test_dropout_mask_rng", "test_dropout_mask_bad_p_keep"} | E2E),
}
WRONG.update({name: (None, None, None, lost) for name, (_, _, lost) in ATTACKS.items()})
RAISING = {"always_raises_value_error", "dropout_always_raises"}  # their own ValueError is the message


# Mistakes graded in one kernel only (plain nbgrader): importing the course's reference
# module is caught by check_own, which reads the function's module and so works only there.
# (In trusted grading the sandbox simply does not hold courseref.)
ONE_KERNEL_ONLY = {"predict_from_courseref": "courseref.grokking"}  # mistake -> the module it imports


class TestGrokkingMnist(AssignmentSuite):
    ASSIGNMENT, AUTOGRADED_POINTS, MANUAL_POINTS = ASSIGNMENT, AUTOGRADED_POINTS, MANUAL_POINTS
    ALTERNATIVE, WRONG, ONE_KERNEL_ONLY = ALTERNATIVE, WRONG, ONE_KERNEL_ONLY
    TIMEOUT = 120

    @classmethod
    def handins(cls, names) -> dict:
        """The suite's hand-ins, plus the ATTACKS among `names` (several cells replaced)."""
        handins = super().handins([name for name in names if name not in ATTACKS])
        for name in names:
            if name in ATTACKS:
                base, cells, _ = ATTACKS[name]
                handins[name] = fill_solution(handins[base], cells)
        return handins

    def test_failures_tell_the_student_what_was_expected(self, request, graded, mistake):
        """As the suite's, except that an answer that raises shows its own error where a test
        calls it directly (the ValueError of the attacks that always raise), and that a failed
        hidden test shows only its hint (the fail-closed runner's HiddenTestFailed)."""
        for name, message in self.result(request, graded, mistake).messages.items():
            if mistake in RAISING and message.startswith("ValueError: "):
                continue
            if message.startswith("HiddenTestFailed: ") and "Hint: " in message:
                continue
            assert message.startswith("AssertionError: ") and "expect" in message.lower(), (
                f"{mistake}, {name}: unhelpful failure message {message!r}")
