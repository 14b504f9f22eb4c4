"""coursepkg: the helper package of the Activation Functions course.

Submodules (import the one you need; importing ``coursepkg`` itself is cheap and
loads neither TensorFlow nor matplotlib):

- ``coursepkg.data``         iris (binary), MNIST and Fashion-MNIST loaders, offline fallback
- ``coursepkg.plots``        function/derivative grids, per-layer histograms (generic helpers)
- ``coursepkg.dp``           a small reverse-mode autodiff framework (Node, Model, SGD)
- ``coursepkg.deepnets``     the Keras study of the deeper-networks chapter
- ``coursepkg.grading``      the test-cell contract of the assignments
- ``coursepkg.bookdata``     the book chapters' recorded results: ``bookdata.load(name)``

Code that solves an exercise (the reference activations, the vanishing-gradient net and
plot, the Grokking loop) lives in ``courseref``, which students do not get.
"""

__all__ = ["data", "plots", "dp", "deepnets", "grading", "bookdata"]
