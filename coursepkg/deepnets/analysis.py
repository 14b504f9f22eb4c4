"""What the networks compute: gradients at initialisation, layer outputs, dead units.

- ``weight_gradients`` / ``gradient_flow``: ``grad_w``, the gradient of the mean
  cross-entropy with respect to every Dense kernel, for one batch (input side first);
- ``layer_outputs`` / ``activation_values``: the outputs of the hidden layers;
- ``count_dead_neurons`` / ``dead_neuron_study``: units that output exactly 0 for every
  training image.
Tables and figures of these results are in :mod:`coursepkg.plots`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ._tensorflow import import_quietly
from .layers import STUDY_PARAMS, ActivationLayer, canonical_name
from .mlp import DEEP_HIDDEN_SIZES, as_batch, build_mlp, dense_layers, loss_fn
from .study_data import StudyData
from .training import STUDY_ACTIVATIONS, TrainResult

tf, keras = import_quietly()

__all__ = ["weight_gradients", "gradient_flow", "layer_outputs", "activation_values",
           "DeadNeurons", "count_dead_neurons", "dead_neuron_study"]


def weight_gradients(net: keras.Model, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """``grad_w`` of the mean cross-entropy on the batch ``(X, y)``, one array per
    Dense kernel (input side first), each of the kernel's shape ``(n_in, n_out)``."""
    X, y = as_batch(X, y)
    kernels = [layer.kernel for layer in dense_layers(net)]
    with tf.GradientTape() as tape:
        loss = loss_fn(y, net(X, training=False))
    return [np.asarray(grad_w) for grad_w in tape.gradient(loss, kernels)]


def gradient_flow(data: StudyData, act_funcs: Iterable[str] = STUDY_ACTIVATIONS, batch_size: int = 256,
                  seed: int = 42) -> dict[str, list[np.ndarray]]:
    """:func:`weight_gradients` of a freshly built :func:`build_mlp` per activation
    function, on the first ``batch_size`` training images. Returns {name: [grad_w]}."""
    X, y = data.X_train[:batch_size], data.y_train[:batch_size]
    return {canonical_name(name): weight_gradients(
                build_mlp(name, seed=seed, act_params=STUDY_PARAMS.get(canonical_name(name))), X, y)
            for name in act_funcs}


def layer_outputs(net: keras.Model, X: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Output of every hidden layer for the images ``X``: [(title, array (n, units))],
    alternating "Layer 0 - Dense", "Layer 1 - <act_func>", ... (logits left out)."""
    X = as_batch(X)
    hidden = net.layers[:-1]
    probe = keras.Model(net.inputs[0], [layer.output for layer in hidden])
    outputs = probe(X, training=False)
    titles = [f"Layer {i} - " + ("Dense" if isinstance(layer, keras.layers.Dense)
                                 else getattr(layer, "act_name", layer.name))
              for i, layer in enumerate(hidden)]
    return list(zip(titles, [np.asarray(out) for out in outputs]))


def activation_values(results: dict[str, TrainResult], X: np.ndarray, include_dense: bool = False
                      ) -> dict[str, dict[str, np.ndarray]]:
    """{network name: {layer label: outputs (n, units)}} of every hidden activation layer
    of each trained network in ``results`` ({name: TrainResult}) for the images ``X``,
    layers numbered from 0 ("hidden layer 0", ...). With ``include_dense`` the Dense
    outputs (pre-activations) come too, labelled as :func:`layer_outputs` does."""
    values = {}
    for name, result in results.items():
        outs = layer_outputs(result.net, X)
        if include_dense:
            values[name] = {title.replace("Layer", "layer"): v for title, v in outs}
        else:
            values[name] = {f"hidden layer {k}": v for k, (_, v) in enumerate(outs[1::2])}
    return values


@dataclass
class DeadNeurons:
    """Dead units per hidden layer: ``counts[i]`` of ``sizes[i]`` units in layer i
    never output anything but 0 on the data they were measured on."""

    counts: list[int]
    sizes: list[int]

    @property
    def percentages(self) -> list[float]:
        return [100.0 * c / s for c, s in zip(self.counts, self.sizes)]


def count_dead_neurons(net: keras.Model, X: np.ndarray, batch_size: int = 1024) -> DeadNeurons:
    """Count, per activation layer of ``net``, the units whose output is exactly 0 for
    every row of ``X`` (all training images, in batches of ``batch_size``)."""
    X = as_batch(X)
    acts = [layer for layer in net.layers if isinstance(layer, ActivationLayer)]
    if not acts:
        raise ValueError("net has no activation layers (coursepkg.deepnets.ActivationLayer)")
    probe = keras.Model(net.inputs[0], [layer.output for layer in acts])
    alive = [np.zeros(layer.output.shape[-1], dtype=bool) for layer in acts]
    for start in range(0, len(X), batch_size):
        outputs = probe(X[start:start + batch_size], training=False)
        for i, out in enumerate(outputs):
            alive[i] |= np.any(np.asarray(out) != 0, axis=0)
    return DeadNeurons([int((~a).sum()) for a in alive], [len(a) for a in alive])


def dead_neuron_study(data: StudyData, trained_relu: TrainResult | None = None,
                      seed: int = 42) -> dict[str, DeadNeurons]:
    """Dead ReLU units over the whole training set: the 4-layer net at initialisation,
    after training (if ``trained_relu`` is given) and a 10-layer net at initialisation."""
    counts = {"4 layers, initialisation": count_dead_neurons(build_mlp("relu", seed=seed), data.X_train)}
    if trained_relu is not None:
        counts["4 layers, trained"] = count_dead_neurons(trained_relu.net, data.X_train)
    counts["10 layers, initialisation"] = count_dead_neurons(
        build_mlp("relu", DEEP_HIDDEN_SIZES, seed=seed), data.X_train)
    return counts
