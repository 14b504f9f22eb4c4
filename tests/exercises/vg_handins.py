"""Hand-ins for the vanishing_gradients tests: a second correct implementation and wrong ones.

Every hand-in is a dict {answer cell grade_id: new source} applied to the committed student
notebook with `fill_solution`. A wrong hand-in changes ONE thing of a correct answer and
lists the test cells (grade_ids) that must lose their points because of it, and only those.

Optimizer hand-ins fill the student's stub in `_train` (the place the notebook marks), as a
student would; `record(snippet)` returns that filled cell source.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

import deepteaching

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

# Test cells per exercise, to spell out the expected losses.
GRAD_W_TESTS = {"test_grad_w_shape", "test_grad_w_nonnegative", "test_grad_w_row_order",
                "test_grad_w_weights_only", "test_grad_w_values", "test_grad_w_values_deeper"}
NET_TESTS = {"test_net_layers", "test_net_activation", "test_net_unknown_act_func",
             "test_net_output_sigmoid", "test_net_learns"}
ALL_TESTS = GRAD_W_TESTS | NET_TESTS | {"test_vanishing"}


def fill_stub(cell_source: str, snippet: str) -> str:
    """Replace the (indented) nbgrader stub in `cell_source` with `snippet`, same indentation."""
    lines = cell_source.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.strip() == "# YOUR CODE HERE" and lines[i + 1].strip() == "raise NotImplementedError()":
            indent = line[: len(line) - len(line.lstrip())]
            body = textwrap.indent(textwrap.dedent(snippet).strip("\n"), indent).splitlines()
            return "\n".join(lines[:i] + body + lines[i + 2:])
    raise ValueError(f"no '{STUB}' stub found in the cell:\n{cell_source}")


# ------------------------------------------------------------------ correct answers

# The solution's way (global grad_w, quick and dirty), used as the base of wrong hand-ins.
RECORD_GLOBAL = """
weight_names = [name for name in grad if name.endswith("_W")]
for layer, name in enumerate(weight_names):
    grad_w[layer, i - 1] = np.mean(np.abs(grad[name]))
"""

# Second implementation of Exercise 1, written independently: the whole cell rewritten,
# grad_w kept on the optimiser (`self.grad_w`), filled column by column through a hook.
SECOND_OPTIMIZER = '''
class Optimizer:
    """Mini-batch trainer that keeps a log self.grad_w of shape (n_layers, steps)."""

    def __init__(self, model, x_train=None, y_train=None, hyperparam=dict(), batch_size=128, seed=0):
        self.model, self.x_train, self.y_train = model, x_train, y_train
        self.batch_size, self.hyperparam = batch_size, hyperparam
        self.rng = np.random.default_rng(seed)
        self._set_param()
        self.grad_stores = []
        self.grad_w = None

    def random_batch(self):
        n = self.x_train.shape[0]
        indices = self.rng.integers(0, n, size=self.batch_size)
        return Node(self.x_train[indices]), Node(self.y_train[indices])

    def train(self, steps=1000, print_each=100):
        raise NotImplementedError()

    def _log(self, grad, column):
        self.grad_w[:, column] = [np.abs(grad[key]).mean() for key in self._weight_keys]

    def _train(self, steps=1000, num_grad_stores=0, print_each=100):
        param = self.model.get_param()
        self._weight_keys = [key for key in param if key[-2:] == "_W"]
        self.grad_w = np.zeros((len(self._weight_keys), steps))
        self.grad_stores = [{k: np.zeros_like(v) for k, v in param.items()} for _ in range(num_grad_stores)]
        for step in range(steps):
            x, y = self.random_batch()
            grad, loss = self.model.get_grad(x, y)
            if step == 0 or (step + 1) % print_each == 0:
                print(step + 1, loss.value[0, 0])
            self._log(grad, step)
            for key in grad:
                self._update(param, grad, key, step + 1)
            self.model.set_param(param)
        return loss.value


class SGD(Optimizer):
    def _set_param(self):
        self.alpha = self.hyperparam.get("alpha", 0.001)

    def _update(self, param, grad, g, i):
        param[g] = param[g] - self.alpha * grad[g]

    def train(self, steps=1000, print_each=100):
        return self._train(steps, print_each=print_each)
'''

# Exercise 1 written from the deep.TEACHING original (seed 000) API, unchanged but for the
# gradient log: batches from np.random.randint (numpy's global state, no seed argument),
# SGD.train with num_grad_stores=1 (one get_grad BEFORE the loop, without an update), and
# grad_w filled as a global in _train.
ORIGINAL_API_OPTIMIZER = deepteaching.with_grad_w_logging() + deepteaching.SGD

# Second implementation of Exercise 2: one loop over a list of sizes, activations in a dict,
# other layer names, the output layer created by the same loop.
SECOND_NET = '''
_HIDDEN_ACTIVATIONS = {
    "relu": lambda node: node.relu(),
    "sigmoid": lambda node: node.sigmoid(),
    "tanh": lambda node: node.tanh(),
}


class Net(Model):
    def __init__(self, n_features, n_hidden_neurons, n_layers, act_func):
        super().__init__()
        if act_func not in _HIDDEN_ACTIVATIONS:
            raise ValueError("unknown act_func %r; accepted: %s" % (act_func, ", ".join(sorted(_HIDDEN_ACTIVATIONS))))
        self.activation = _HIDDEN_ACTIVATIONS[act_func]
        sizes = [n_features] + n_layers * [n_hidden_neurons] + [1]
        self.layers = []
        for k in range(len(sizes) - 1):
            name = "out" if k == len(sizes) - 2 else "L%d" % (k + 1)
            self.layers.append(self.Linear_Layer(sizes[k], sizes[k + 1], name))

    def forward(self, x):
        a = x if isinstance(x, Node) else Node(x)
        *hidden, output = self.layers
        for layer in hidden:
            a = self.activation(layer(a))
        return output(a).sigmoid()

    def loss(self, x, y):
        y = y if isinstance(y, Node) else Node(y)
        p = self.forward(x)
        return (-1 * (y * p.log() + (1 - y) * (1 - p).log())).sum()
'''

SECOND_PLOT = '''
def plot_grad_w(grad_w):
    fig = plt.figure(figsize=(9, 2 * len(grad_w)))
    for row in range(len(grad_w)):
        ax = fig.add_subplot(len(grad_w), 1, row + 1)
        ax.semilogy(np.arange(1, grad_w.shape[1] + 1), grad_w[row])
        ax.set_title("output layer" if row == len(grad_w) - 1 else "hidden layer %d" % row)
    fig.tight_layout()
    plt.show()
'''

# The plotting slip of the deep.TEACHING original: the output layer's panel shows the last hidden row again.
PLOT_SLIP = '''
def plot_grad_w(grad_w):
    n_hidden_layers = len(grad_w) - 1
    fig, axs = plt.subplots(nrows=n_hidden_layers + 1, ncols=1, figsize=(10, 12))
    for i in range(n_hidden_layers):
        axs[i].set_title("hidden layer %d" % i)
        axs[i].plot(np.arange(grad_w.shape[1]), grad_w[i, :])
    axs[-1].set_title("output layer")
    axs[-1].plot(np.arange(grad_w.shape[1]), grad_w[i, :])
    plt.show()
'''

# A Net with no layers whose parameters and gradients are made up (issue 19).
FAKE_NET = '''
class Net(Model):
    def __init__(self, n_features, n_hidden_neurons, n_layers, act_func):
        super().__init__()
        if act_func not in ("sigmoid", "tanh", "relu"):
            raise ValueError("act_func must be sigmoid, tanh or relu")
        sizes = [n_features] + [n_hidden_neurons] * n_layers + [1]
        self.made_up = {}
        for k in range(len(sizes) - 1):
            self.made_up[f"h{k}_W"] = np.zeros((sizes[k], sizes[k + 1]))
            self.made_up[f"h{k}_b"] = np.zeros((1, sizes[k + 1]))

    def get_param(self):
        return {name: value.copy() for name, value in self.made_up.items()}

    def set_param(self, param):
        self.made_up = {name: np.array(value) for name, value in param.items()}

    def get_grad(self, x, y):
        n = len(self.made_up) // 2
        grad = {name: np.full(value.shape, 10.0 ** (index // 2 - n))
                for index, (name, value) in enumerate(self.made_up.items())}
        return grad, Node(np.ones((1, 1)))

    def forward(self, x):
        rows = x.value.shape[0] if isinstance(x, Node) else np.shape(x)[0]
        return Node(np.full((rows, 1), 0.5))

    def loss(self, x, y):
        return Node(np.ones((1, 1)))
'''

# Exercise 1 right only where a visible test (of this notebook or of the one before it)
# looks: the (layers, steps) of their runs; any other configuration gets nothing.
VISIBLE_ONLY = """
if (len(grad_w), steps) in {(2, 12), (5, 15), (3, 10), (2, 20), (3, 5), (3, 15), (2, 10)}:
    weight_names = [name for name in grad if name.endswith("_W")]
    for layer, name in enumerate(weight_names):
        grad_w[layer, i - 1] = np.mean(np.abs(grad[name]))
"""

# The solution's Net, as a template for the wrong Nets below ({...} filled per hand-in).
NET_TEMPLATE = '''
class Net(Model):
    def __init__(self, n_features, n_hidden_neurons, n_layers, act_func):
        super().__init__()
        {check}
        self.act_func = act_func
        self.hidden = []
        n_in = n_features
        for k in range({n_hidden}):
            self.hidden.append(self.Linear_Layer(n_in, {width}, f"h{{k}}"))
            n_in = {width}
        self.out = self.Linear_Layer(n_in, 1, "out")

    def loss(self, x, y):
        if not isinstance(y, Node):
            y = Node(y)
        y_hat = self.forward(x)
        return -(y * y_hat.log() + (1 - y) * (1 - y_hat).log()).sum()

    def forward(self, x):
        if not isinstance(x, Node):
            x = Node(x)
        for k, layer in enumerate(self.hidden):
            x = {hidden_act}
        return {output}
'''
CHECK = ('if act_func not in ("sigmoid", "tanh", "relu"):\n'
         '            raise ValueError(f"act_func must be sigmoid, tanh or relu, got {act_func!r}")')


def net(check=CHECK, n_hidden="n_layers", width="n_hidden_neurons",
        hidden_act="getattr(layer(x), self.act_func)()", output="self.out(x).sigmoid()") -> str:
    return NET_TEMPLATE.format(check=check, n_hidden=n_hidden, width=width, hidden_act=hidden_act,
                               output=output)


# ------------------------------------------------------------------ wrong answers

@dataclass(frozen=True)
class Wrong:
    """A wrong hand-in: what is wrong, the answers that differ from the solution, and the
    test cells that must lose their points (exactly those)."""
    why: str
    record: str | None = None   # snippet for the optimizer stub (None: the solution's)
    net: str | None = None      # whole Net cell (None: the solution's)
    plot: str | None = None     # whole plot_grad_w cell (None: the solution's)
    loses: frozenset = frozenset()


WRONG = {
    "transposed": Wrong(
        "grad_w kept on the optimiser with shape (n_steps, n_layers)",
        record="""
        if i == 1:
            self.grad_w = np.zeros((steps, len([n for n in grad if n.endswith("_W")])))
        for layer, name in enumerate(n for n in grad if n.endswith("_W")):
            self.grad_w[i - 1, layer] = np.mean(np.abs(grad[name]))
        """,
        loses=frozenset({"test_grad_w_shape"})),
    "biases_included": Wrong(
        "each entry averages the weights' and the biases' gradients together",
        record="""
        names = list(grad)
        for layer in range(len(names) // 2):
            dW, db = grad[names[2 * layer]], grad[names[2 * layer + 1]]
            grad_w[layer, i - 1] = np.mean(np.abs(np.concatenate([dW.ravel(), db.ravel()])))
        """,
        loses=frozenset({"test_grad_w_weights_only"})),
    "rows_reversed": Wrong(
        "row 0 holds the output layer",
        record="""
        weight_names = [name for name in grad if name.endswith("_W")]
        for layer, name in enumerate(reversed(weight_names)):
            grad_w[layer, i - 1] = np.mean(np.abs(grad[name]))
        """,
        loses=frozenset({"test_grad_w_row_order"})),
    "off_by_one_step": Wrong(
        "column i - 2 instead of i - 1: step 1 lands in the last column",
        record=RECORD_GLOBAL.replace("i - 1", "i - 2"),
        loses=frozenset({"test_grad_w_values", "test_grad_w_values_deeper"})),
    "mean_not_abs": Wrong(
        "mean of the signed gradients instead of their absolute values",
        record=RECORD_GLOBAL.replace("np.mean(np.abs(grad[name]))", "np.mean(grad[name])"),
        loses=frozenset({"test_grad_w_nonnegative"})),
    "only_last_layer": Wrong(
        "only the output layer is recorded",
        record="""
        last = [name for name in grad if name.endswith("_W")][-1]
        grad_w[-1, i - 1] = np.mean(np.abs(grad[last]))
        """,
        loses=frozenset({"test_grad_w_nonnegative", "test_grad_w_row_order", "test_grad_w_weights_only",
                         "test_grad_w_values", "test_grad_w_values_deeper"})),
    "output_not_sigmoid": Wrong(
        "the output layer uses act_func too (with tanh the cross-entropy of its output is undefined)",
        net=net(output="getattr(self.out(x), self.act_func)()"),
        loses=frozenset({"test_net_output_sigmoid", "test_net_learns"})),
    "act_func_ignored": Wrong(
        "every hidden layer is tanh whatever act_func says (and nothing is rejected)",
        net=net(check="pass", hidden_act="layer(x).tanh()"),
        loses=frozenset({"test_net_activation", "test_net_unknown_act_func", "test_vanishing"})),
    "act_only_first_layer": Wrong(
        "act_func in the first hidden layer only, tanh in the others (passes the visible 1-layer probe)",
        net=net(hidden_act="getattr(layer(x), self.act_func)() if k == 0 else layer(x).tanh()"),
        loses=frozenset({"test_net_activation", "test_vanishing"})),
    "one_layer_too_many": Wrong(
        "n_layers + 1 hidden layers",
        net=net(n_hidden="n_layers + 1"),
        loses=frozenset({"test_net_layers", "test_net_learns", "test_vanishing"})),
    "width_hard_coded": Wrong(
        "every hidden layer has 10 neurons whatever n_hidden_neurons says",
        net=net(width="10"),
        loses=frozenset({"test_net_layers", "test_net_output_sigmoid", "test_net_learns", "test_vanishing"})),
    "key_error_for_unknown": Wrong(
        "an unknown act_func fails with a KeyError from a dict lookup instead of a clear ValueError",
        net=net(check='{"sigmoid": 0, "tanh": 1, "relu": 2}[act_func]'),
        loses=frozenset({"test_net_unknown_act_func"})),
    "negated_loss": Wrong(
        "the loss is negated: gradient ascent (scored 17/17 before the tests checked that the net learns)",
        net=net().replace("return -(y * y_hat.log()", "return (y * y_hat.log()"),
        loses=frozenset({"test_net_learns"})),
}

# Hand-ins of the weak-test and attack classes of issue 19: each scores exactly its honest
# score, and each scored more on the notebook before it (see the test module).
ATTACKS = {
    "fake_net_no_layers": Wrong(
        "a Net with no layers: get_param/set_param/get_grad of its own return made-up arrays of the "
        "right shapes and made-up vanishing gradients, forward a constant 0.5 (only its ValueError is real)",
        net=FAKE_NET,
        loses=frozenset(NET_TESTS - {"test_net_unknown_act_func"}) | {"test_vanishing"}),
    "net_always_raises": Wrong(
        "Net raises the expected ValueError for every act_func, the valid ones too",
        net=net(check='raise ValueError("act_func must be sigmoid, tanh or relu")'),
        loses=frozenset(NET_TESTS | {"test_vanishing"})),
    "train_records_nothing": Wrong(
        "the placeholder in _train deleted, nothing recorded: grad_w stays the zeros the tests hand over",
        record="pass",
        loses=frozenset(GRAD_W_TESTS)),
    "grad_w_visible_cases_only": Wrong(
        "grad_w right only for the (layers, steps) of the visible tests (a table pasted from a run), "
        "nothing for any other configuration",
        record=VISIBLE_ONLY,
        loses=frozenset(GRAD_W_TESTS)),
}
