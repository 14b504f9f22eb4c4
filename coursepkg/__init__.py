"""coursepkg: the helper package of the Activation Functions course.

Submodules (import the one you need; importing ``coursepkg`` itself is cheap and
loads neither TensorFlow nor matplotlib):

- ``coursepkg.activations``  numpy activation functions, their derivatives, a registry
- ``coursepkg.data``         iris (binary), MNIST and Fashion-MNIST loaders, offline fallback
- ``coursepkg.plots``        function/derivative grids, per-layer gradient curves, histograms
- ``coursepkg.dp``           a small reverse-mode autodiff framework (Node, Model, SGD)
"""

__all__ = ["activations", "data", "plots", "dp"]
