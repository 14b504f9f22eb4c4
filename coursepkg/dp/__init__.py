"""coursepkg.dp: the small reverse-mode autodiff ("differentiable programming") framework
of the deep.TEACHING notebook "Activation Functions (Differentiable Programming)", with
its interface, imported as ``dp``.

    from coursepkg import dp
    from coursepkg.dp import Model, Node

* ``Node``        a 2-D numpy array with a gradient; operations build the graph,
                  ``loss.backward()`` fills ``.grad``          (node.py; exp, log, sigmoid,
                  tanh, relu, ... in functions.py)
* ``Model``       base class: ``Linear_Layer``, ``get_param``, ``set_param``,
                  ``get_grad``; subclasses define ``forward`` and ``loss``  (model.py)
* ``Optimizer``, ``SGD``, ``Momentum``, ``Adam``                            (optim.py)
* ``gradcheck``   finite-difference check of any function of Nodes         (gradcheck.py)
"""

from .gradcheck import GradcheckError, GradcheckReport, gradcheck
from .model import DEFAULT_SEED, Linear, Model
from .node import LOG_EPS, Node
from .optim import SGD, Adam, Momentum, Optimizer

__all__ = [
    "Node",
    "Model",
    "Linear",
    "Optimizer",
    "SGD",
    "Momentum",
    "Adam",
    "gradcheck",
    "GradcheckError",
    "GradcheckReport",
    "LOG_EPS",
    "DEFAULT_SEED",
]
