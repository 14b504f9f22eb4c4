"""courseref: the course's reference code, for the book's figures and the instructors only.

Everything here solves an exercise (or part of one), so this package is left out of the
student edition (``make student-edition``) and out of the grading sandbox, which binds
only ``coursepkg/``. Students use ``coursepkg`` (data, ``dp``, generic plots, grading).

- ``courseref.activations``  numpy activation functions, their derivatives, a registry
                             (the ``activations`` assignment's answers)
- ``courseref.vanishing``    the deep ``dp`` net on iris, its recording optimiser and
                             ``plot_grad_w`` (exercises 1-3 of ``vanishing_gradients``)
- ``courseref.grokking``     the vectorised numpy MNIST loop (the ``grokking_mnist`` answers)
"""

__all__ = ["activations", "vanishing", "grokking"]
