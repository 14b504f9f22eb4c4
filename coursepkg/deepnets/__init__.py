"""Activation functions in deeper networks, with Keras 3 on TensorFlow.

The study behind the book chapter "Deeper networks" (after the activation-function
tutorial of the UvA deep-learning course), one module per job:

- :mod:`.layers`      the activation functions as Keras layers, by name
                      (:func:`activation_layer`, same names and parameters as
                      ``courseref.activations``);
- :mod:`.mlp`         the multi-layer perceptron (:func:`build_mlp`), fan-in uniform init;
- :mod:`.study_data`  Fashion-MNIST (or the offline MNIST subset) split three ways;
- :mod:`.training`    :func:`train_mlp` / :func:`compare_activations` with a weight cache
                      in ``coursepkg.data.cache_dir("deepnets")`` (not the source tree);
- :mod:`.analysis`    gradients at initialisation, layer outputs, dead neurons.

Tables and figures of the results are drawn by :mod:`coursepkg.plots`. Everything is
importable from here: ``from coursepkg import deepnets as dn; dn.build_mlp("relu")``.

Importing this package imports TensorFlow through :mod:`._tensorflow`, which hides
TensorFlow's CPU-machine start-up messages (oneDNN, missing CUDA drivers, the red
``failed call to cuInit``): it sets ``TF_CPP_MIN_LOG_LEVEL=2`` and, without a GPU,
``CUDA_VISIBLE_DEVICES=""``, only where you have not set them, and filters the known
start-up lines from stderr while TensorFlow loads. ``COURSEPKG_GPU=1`` keeps CUDA visible.

Shapes: images are flattened rows, ``X`` has shape ``(n_images, 784)`` (float32, pixels
in [-1, 1]), labels ``y`` shape ``(n_images,)`` (int). A network maps ``X`` to logits of
shape ``(n_images, n_classes)``; the softmax lives in the loss.
"""

from ._tensorflow import import_quietly

import_quietly()

from . import analysis, layers, mlp, study_data, training  # noqa: E402
from .analysis import *  # noqa: E402,F401,F403
from .layers import *  # noqa: E402,F401,F403
from .mlp import *  # noqa: E402,F401,F403
from .study_data import *  # noqa: E402,F401,F403
from .training import *  # noqa: E402,F401,F403

__all__ = [*layers.__all__, *mlp.__all__, *study_data.__all__, *training.__all__,
           *analysis.__all__]
