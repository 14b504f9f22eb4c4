"""`Model`: the base class of the networks, with the deep.TEACHING notebook's interface.

A subclass creates its layers in ``__init__`` with ``self.Linear_Layer(n_in, n_out, name)``
and defines ``forward(x)`` and ``loss(x, y)``; the optimizers only use ``get_param``,
``set_param`` and ``get_grad``::

    class Net(Model):
        def __init__(self):
            super().__init__()                      # or super().__init__(seed=1)
            self.hidden = self.Linear_Layer(4, 10, "h0")
            self.out = self.Linear_Layer(10, 1, "h1")

        def forward(self, x):                       # x: (batch, 4) -> y_hat: (batch, 1)
            return self.out(self.hidden(x).tanh()).sigmoid()

        def loss(self, x, y):                       # summed binary cross-entropy, (1, 1)
            y_hat = self.forward(x)                 # y: labels, a Node or an array
            return -(y * y_hat.log() + (1 - y) * (1 - y_hat).log()).sum()

Layers and Node arithmetic accept numpy arrays as well as Nodes; arrays become constants
(no gradient is computed for them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .node import Node

#: Seed used when ``Model(seed=None)``: every network starts from the same weights, so a
#: notebook gives the same numbers on every run. Pass ``seed=`` to get other weights.
DEFAULT_SEED = 0


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A Generator from ``None`` (fixed ``DEFAULT_SEED``), an int, or a Generator (used as is)."""
    if seed is None:
        return np.random.default_rng(DEFAULT_SEED)
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise TypeError(f"seed must be None, an int or a numpy.random.Generator, got {type(seed).__name__}")


class Linear:
    """A dense layer ``x @ W + b``: x (batch, n_in) -> (batch, n_out).

    ``W`` (n_in, n_out) and ``b`` (1, n_out) are the model's parameter Nodes, so the
    layer always uses the model's current values.
    """

    def __init__(self, name: str, W: Node, b: Node):
        self.name, self.W, self.b = name, W, b
        self._op = f"linear {name}"  # the graph Node's label

    def __call__(self, x: Node | np.ndarray) -> Node:
        """``x @ W + b`` as one graph Node (same result and gradients as the three-op version)."""
        if not isinstance(x, Node):
            x = Node(x, requires_grad=False)
        W, b = self.W, self.b
        x_value, W_value = x.value, W.value
        if x_value.shape[1] != W_value.shape[0]:
            raise ValueError(
                f"layer '{self.name}' expects inputs with {W_value.shape[0]} features "
                f"(W is {W_value.shape}), got an input of shape {x_value.shape}"
            )
        z = x_value @ W_value
        z += b.value

        def backward(grad: np.ndarray) -> None:  # z = x @ W + b, b broadcast over the batch rows
            if x.requires_grad:
                x._add_grad(grad @ W_value.T)
            if W.requires_grad:
                W._add_grad(x_value.T @ grad)
            if b.requires_grad:
                b._add_grad(np.add.reduce(grad, axis=0, keepdims=True))  # grad.sum(axis=0), faster

        requires_grad = x.requires_grad or W.requires_grad or b.requires_grad
        return Node(z, requires_grad, (x, W, b), self._op, backward)

    def __repr__(self) -> str:
        n_in, n_out = self.W.value.shape
        return f"Linear(name={self.name!r}, n_in={n_in}, n_out={n_out})"


class Model:
    """Holds named parameters, creates layers, computes gradients of ``loss``.

    ``seed``: None (the fixed ``DEFAULT_SEED``: reproducible by default), an int, or a
    ``numpy.random.Generator`` (shared and advanced; use it to draw several different nets).
    Weights use Glorot/Xavier uniform initialisation, U(-a, a) with
    a = sqrt(6 / (n_in + n_out)), which suits sigmoid and tanh networks; biases start at 0.
    """

    def __init__(self, seed: int | np.random.Generator | None = None):
        self.rng = make_rng(seed)
        self._params: dict[str, Node] = {}  # creation order: h0_W, h0_b, h1_W, ...

    # ---------------------------------------------------------------- building
    def Linear_Layer(self, n_in: int, n_out: int, name: str) -> Linear:
        """Create, register and return a dense layer with parameters ``{name}_W``, ``{name}_b``."""
        for label, n in (("n_in", n_in), ("n_out", n_out)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
                raise ValueError(f"Linear_Layer {label} must be a positive int, got {n!r}")
        if not isinstance(name, str) or not name:
            raise ValueError(f"Linear_Layer name must be a non-empty string, got {name!r}")
        if f"{name}_W" in self._params:
            raise ValueError(f"a layer named '{name}' already exists in this model; "
                             "layer names must be unique")
        limit = np.sqrt(6.0 / (n_in + n_out))
        W = Node(self.rng.uniform(-limit, limit, size=(n_in, n_out)))
        b = Node(np.zeros((1, n_out)))
        self._params[f"{name}_W"] = W
        self._params[f"{name}_b"] = b
        return Linear(name, W, b)

    # ---------------------------------------------------------------- to be defined by subclasses
    def forward(self, x: Node | np.ndarray) -> Node:
        """The network's output for inputs ``x`` (batch, n_features). Define it in your subclass."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(self, x)")

    def loss(self, x: Node | np.ndarray, y: Node | np.ndarray) -> Node:
        """A (1, 1) Node: the loss on inputs ``x`` and labels ``y``. Define it in your subclass."""
        raise NotImplementedError(f"{type(self).__name__} must define loss(self, x, y)")

    # ---------------------------------------------------------------- parameters and gradients
    def get_param(self) -> dict[str, np.ndarray]:
        """A *copy* of the parameters: name -> numpy array, in creation order.

        Changing the returned arrays does not change the model until you pass the dict to
        ``set_param`` (the deep.TEACHING optimizer does exactly that after each update).
        """
        return {name: node.value.copy() for name, node in self._params.items()}

    def set_param(self, param: dict[str, np.ndarray]) -> None:
        """Copy the arrays in ``param`` (name -> array, same names and shapes) into the model.

        Arrays that already are the model's own (see :func:`live_params`) are kept as
        they are, so an optimizer updating those in place pays no copy.
        """
        if not isinstance(param, dict):
            raise TypeError(f"set_param expects a dict name -> array, got {type(param).__name__}")
        if param.keys() != self._params.keys():
            missing = [k for k in self._params if k not in param]
            unknown = [k for k in param if k not in self._params]
            raise KeyError(
                f"set_param got the wrong parameter names: missing {missing}, unknown {unknown}; "
                f"expected exactly {list(self._params)}"
            )
        new_values = {}
        for name, node in self._params.items():
            value = param[name]
            if value is node.value:
                continue
            value = np.asarray(value, dtype=np.float64)
            if value.shape != node.value.shape:
                raise ValueError(
                    f"set_param: '{name}' must have shape {node.value.shape}, got {value.shape}"
                )
            new_values[name] = value
        for name, value in new_values.items():  # only change the model once all are valid
            self._params[name].value = value.copy()

    def get_grad(self, x: Node | np.ndarray, y: Node | np.ndarray) -> tuple[dict[str, np.ndarray], Node]:
        """Gradients of ``loss(x, y)``: returns ``(grads, loss)``.

        ``grads`` maps each parameter name to dL/d param (same shape as the parameter,
        zeros for parameters the loss does not use); ``loss`` is the (1, 1) loss Node.
        """
        if not self._params:
            raise ValueError("this model has no parameters; create layers with self.Linear_Layer(...)")
        for node in self._params.values():  # gradients of this call only (no accumulation)
            node._grad = None
        loss = self.loss(x, y)
        if not isinstance(loss, Node):
            raise TypeError(f"loss(x, y) must return a Node, got {type(loss).__name__}")
        loss.backward()
        return {name: node.grad for name, node in self._params.items()}, loss


def live_params(model: Any) -> dict[str, np.ndarray]:
    """The parameter arrays an optimizer may update in place, by name (creation order).

    For a :class:`Model` these are the model's own arrays, not ``get_param()``'s copies:
    changing them changes the model at once, and ``set_param`` skips them (no copy per
    step). Any other object with the deep.TEACHING interface (``get_param``,
    ``set_param``, ``get_grad``) gets ``get_param()``'s copies.
    """
    params = getattr(model, "_params", None) if isinstance(model, Model) else None
    if params is None:
        return model.get_param()
    return {name: node.value for name, node in params.items()}
