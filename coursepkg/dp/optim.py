"""Optimizers with the deep.TEACHING notebook's interface: ``SGD``, ``Momentum``, ``Adam``.

``Optimizer._train`` is the training loop: draw a random batch, ``model.get_grad``, call
``_update(param, grad, g, i)`` for every parameter name ``g``, ``model.set_param``. A
subclass defines ``_set_param`` (read ``hyperparam``), ``_update`` and the class attribute
``n_grad_stores``: how many dicts (name -> array) ``grad_stores`` holds as ``_update``'s
memory (0 for SGD, 1 for momentum's velocity, 2 for Adam's moment estimates).

The learning rate is ``hyperparam={"alpha": ...}``, as in deep.TEACHING (everywhere
else the course calls it ``lr``; ``alpha`` is the LeakyReLU/ELU slope).

To record something at every step override ``on_step(i, grad, loss)``, which ``_train``
calls after each update with the step number ``i`` (1, 2, ...), that step's gradients
``grad`` (dict: parameter name -> array of the parameter's shape) and its ``loss`` (a
``(1, 1)`` Node). For example, how far the weights grow (their overall L2 norm)::

    norms = []

    class NormLog(SGD):
        def on_step(self, i, grad, loss):
            params = self.model.get_param().values()
            norms.append(float(np.sqrt(sum(np.sum(p ** 2) for p in params))))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .model import live_params, make_rng
from .node import Node


class Optimizer:
    """Trains ``model`` on (``x_train``, ``y_train``) with random mini-batches.

    model: a :class:`~coursepkg.dp.Model` (or any object with ``get_param``,
    ``set_param`` and ``get_grad``).
    x_train: (n, n_features) array; y_train: (n,) or (n, 1) labels.
    hyperparam: dict of hyper-parameters, e.g. ``{"alpha": 0.01}`` (the learning rate).
    batch_size: rows per batch, drawn with replacement (as in deep.TEACHING).
    seed: None (fixed default, reproducible), an int or a numpy Generator for the batches.
    After training, ``history`` holds the loss of every step.
    """

    #: How many gradient stores (dicts name -> array, zeros at the start) ``_train`` gives
    #: ``_update`` in ``self.grad_stores``. Subclasses set it.
    n_grad_stores: int = 0

    def __init__(self, model: Any, x_train: np.ndarray | None = None, y_train: np.ndarray | None = None,
                 hyperparam: dict | None = None, batch_size: int = 128, *,
                 seed: int | np.random.Generator | None = None):
        self.model = model
        self.x_train = None if x_train is None else np.asarray(x_train, dtype=np.float64)
        self.y_train = None if y_train is None else np.asarray(y_train, dtype=np.float64)
        if self.x_train is not None and self.y_train is not None and len(self.x_train) != len(self.y_train):
            raise ValueError(f"x_train and y_train need the same number of rows, "
                             f"got {self.x_train.shape} and {self.y_train.shape}")
        if not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.hyperparam = dict(hyperparam or {})
        self.rng = make_rng(seed)
        self._set_param()
        self.grad_stores: list[dict[str, np.ndarray]] = []
        self.history: list[float] = []  # loss after each step

    def _set_param(self) -> None:
        """Read the hyper-parameters from ``self.hyperparam`` (subclasses)."""

    def _update(self, param: dict, grad: dict, g: str, i: int) -> None:
        """Update ``param[g]`` in place from ``grad[g]`` at step ``i`` (1, 2, ...) (subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must define _update(self, param, grad, g, i)")

    def train(self, steps: int = 1000, print_each: int | None = 100) -> np.ndarray:
        """``steps`` SGD steps (one mini-batch each); see ``_train``."""
        return self._train(steps, print_each=print_each)

    def random_batch(self) -> tuple[Node, Node]:
        """``batch_size`` random rows (with replacement) as constant Nodes ``(x, y)``."""
        if self.x_train is None or self.y_train is None:
            raise ValueError("this optimizer has no data: pass x_train=... and y_train=... when creating it")
        indices = self.rng.integers(0, self.x_train.shape[0], size=self.batch_size)
        x, y = self.x_train[indices], self.y_train[indices]
        return Node(x, requires_grad=False), Node(y, requires_grad=False)

    def on_step(self, i: int, grad: dict, loss: Node) -> None:
        """Called after the update of step ``i`` (1-based) with that step's gradients and loss.

        Does nothing; override it to record gradients, losses, parameters, ...
        """

    def _train(self, steps: int = 1000, num_grad_stores: int | None = None,
               print_each: int | None = 100) -> np.ndarray:
        """Run ``steps`` updates; print the loss at step 1 and every ``print_each`` steps.

        ``num_grad_stores``: None takes the class's ``n_grad_stores`` (a deep.TEACHING-style
        subclass may pass its number here instead). ``print_each=0`` or ``None`` prints
        nothing. Returns the last loss value (1, 1).
        """
        n_stores = self.n_grad_stores if num_grad_stores is None else num_grad_stores
        if isinstance(n_stores, bool) or not isinstance(n_stores, int | np.integer) or n_stores < 0:
            raise ValueError(f"the number of gradient stores must be a non-negative int, got {n_stores!r}")
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
            raise ValueError(f"steps must be a positive int, got {steps!r}")
        model = self.model
        # _update changes these arrays in place and set_param skips the model's own, so no
        # copying per step; an _update that assigns new arrays (param[g] = ...) works too.
        param = live_params(model)
        self.grad_stores = [{g: np.zeros_like(p) for g, p in param.items()} for _ in range(n_stores)]
        if print_each:
            print("iteration\tloss")
        for i in range(1, steps + 1):
            x, y = self.random_batch()
            grad, loss = model.get_grad(x, y)
            self.history.append(float(loss.value[0, 0]))
            if print_each and (i % print_each == 0 or i == 1):
                print(i, "\t", loss.value[0, 0])
            for g in grad:
                self._update(param, grad, g, i)
            model.set_param(param)
            self.on_step(i, grad, loss)
        return loss.value


class SGD(Optimizer):
    """Plain stochastic gradient descent: ``W -= alpha * dW``.

    hyperparam: ``alpha`` (learning rate, default 0.001).
    """

    def _set_param(self) -> None:
        self.alpha = self.hyperparam.get("alpha", 0.001)

    def _update(self, param: dict, grad: dict, g: str, i: int) -> None:
        param[g] -= self.alpha * grad[g]


class Momentum(Optimizer):
    """SGD with (heavy-ball) momentum: ``v = beta * v + dW``; ``W -= alpha * v``.

    hyperparam: ``alpha`` (default 0.001), ``beta`` (default 0.9).
    ``grad_stores[0]`` holds the velocity ``v`` of each parameter.
    """

    n_grad_stores = 1

    def _set_param(self) -> None:
        self.alpha = self.hyperparam.get("alpha", 0.001)
        self.beta = self.hyperparam.get("beta", 0.9)

    def _update(self, param: dict, grad: dict, g: str, i: int) -> None:
        velocity = self.grad_stores[0]
        velocity[g] = self.beta * velocity[g] + grad[g]
        param[g] -= self.alpha * velocity[g]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias-corrected moment estimates.

    hyperparam: ``alpha`` (default 0.001), ``beta1`` (0.9), ``beta2`` (0.999), ``eps`` (1e-8).
    ``grad_stores[0]`` holds the first moments m, ``grad_stores[1]`` the second moments v.
    """

    n_grad_stores = 2

    def _set_param(self) -> None:
        self.alpha = self.hyperparam.get("alpha", 0.001)
        self.beta1 = self.hyperparam.get("beta1", 0.9)
        self.beta2 = self.hyperparam.get("beta2", 0.999)
        self.eps = self.hyperparam.get("eps", 1e-8)

    def _update(self, param: dict, grad: dict, g: str, i: int) -> None:
        m, v = self.grad_stores
        m[g] = self.beta1 * m[g] + (1 - self.beta1) * grad[g]
        v[g] = self.beta2 * v[g] + (1 - self.beta2) * grad[g] ** 2
        m_hat = m[g] / (1 - self.beta1**i)
        v_hat = v[g] / (1 - self.beta2**i)
        param[g] -= self.alpha * m_hat / (np.sqrt(v_hat) + self.eps)
