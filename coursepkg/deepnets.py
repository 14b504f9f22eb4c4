"""Activation functions in deeper networks, with Keras 3 on TensorFlow.

The study behind the book chapter "Deeper networks" (after the UvA deep-learning
tutorial on activation functions, seed 002 of the course), in five parts:

1. the activation functions as Keras layers (:func:`activation_layer`), with the same
   names and parameters as the numpy functions of :mod:`courseref.activations`;
2. a plain multi-layer perceptron (:func:`build_mlp`) whose weights *and* biases start
   uniform in ``[-1/sqrt(fan_in), +1/sqrt(fan_in)]``, fan_in being the layer's number
   of inputs (PyTorch's default for linear layers, which the seed copies);
3. the gradient flow at initialisation (:func:`weight_gradients`): the loss gradient
   of every Dense kernel, ``grad_w``, for one batch of images;
4. a training comparison (:func:`train_mlp`, :func:`compare_activations`): SGD with
   momentum, early stopping on the validation accuracy, and a weight cache keyed by
   the full training configuration, so a book build trains each network only once;
5. what the trained networks compute: activation values per layer
   (:func:`layer_outputs`) and dead neurons, units that output exactly 0 for every
   training image (:func:`count_dead_neurons`).

Shapes: images are flattened rows, ``X`` has shape ``(n_images, 784)`` (float32,
pixels scaled to [-1, 1]), labels ``y`` shape ``(n_images,)`` (int). A network maps
``X`` to logits of shape ``(n_images, n_classes)``; the softmax lives in the loss.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402
from tqdm import tqdm  # noqa: E402

# The six activation functions the seed compares, in its order (our names).
STUDY_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "swish")
# The seed's test accuracies on Fashion-MNIST (50 epochs at most, patience 7).
SEED_TEST_ACCURACY = {"sigmoid": 0.7846, "tanh": 0.8857, "relu": 0.8865,
                      "leaky_relu": 0.8833, "elu": 0.8832, "swish": 0.8833}
HIDDEN_SIZES = (512, 256, 256, 128)
DEEP_HIDDEN_SIZES = (256,) * 5 + (128,) * 5
# The quick protocol of the book build (full=False): a training-set cap and a schedule.
QUICK_N_TRAIN = 4_000
QUICK_SCHEDULE = {"n_epochs": 25, "patience": 5}
FULL_SCHEDULE = {"n_epochs": 50, "patience": 7}  # the seed's


# --------------------------------------------------------------------------------------
# 1. Activation functions as Keras layers
# --------------------------------------------------------------------------------------

class ActivationLayer(keras.layers.Layer):
    """Base class: an element-wise activation function, output shape = input shape.

    Subclasses set ``act_name`` (the name in :mod:`courseref.activations`) and
    implement ``call``; their parameters are constructor arguments and appear in
    ``get_config()`` so that a saved network remembers them.
    """

    act_name = ""

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="coursepkg")
class Sigmoid(ActivationLayer):
    """sigmoid(x) = 1 / (1 + exp(-x)), values in (0, 1), slope at most 1/4."""

    act_name = "sigmoid"

    def call(self, x):
        return ops.sigmoid(x)  # the stable form: no overflow of exp(-x) for x << 0


@keras.saving.register_keras_serializable(package="coursepkg")
class Tanh(ActivationLayer):
    """tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)), values in (-1, 1)."""

    act_name = "tanh"

    def call(self, x):
        return ops.tanh(x)


@keras.saving.register_keras_serializable(package="coursepkg")
class ReLU(ActivationLayer):
    """relu(x) = max(x, 0)."""

    act_name = "relu"

    def call(self, x):
        return ops.maximum(x, 0.0)


@keras.saving.register_keras_serializable(package="coursepkg")
class LeakyReLU(ActivationLayer):
    """leaky_relu(x) = x for x > 0, alpha * x otherwise (default 0.01; the seed uses 0.1)."""

    act_name = "leaky_relu"

    def __init__(self, alpha=0.01, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, x):
        return ops.where(x > 0, x, self.alpha * x)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


@keras.saving.register_keras_serializable(package="coursepkg")
class ELU(ActivationLayer):
    """elu(x) = x for x > 0, alpha * (exp(x) - 1) otherwise.

    The seed's ELU drops ``alpha`` (it computes exp(x) - 1, i.e. alpha = 1 always);
    this one honours it.
    """

    act_name = "elu"

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, x):
        # exp of min(x, 0): the branch not taken never overflows (no inf * 0 = nan grads)
        return ops.where(x > 0, x, self.alpha * (ops.exp(ops.minimum(x, 0.0)) - 1.0))

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


@keras.saving.register_keras_serializable(package="coursepkg")
class Swish(ActivationLayer):
    """swish(x) = x * sigmoid(beta * x); beta = 1 is SiLU."""

    act_name = "swish"

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.beta = float(beta)

    def call(self, x):
        return x * ops.sigmoid(self.beta * x)

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}


@keras.saving.register_keras_serializable(package="coursepkg")
class GELU(ActivationLayer):
    """gelu(x) = x * Phi(x), Phi the standard normal CDF; ``approximate=True`` uses
    the tanh formula 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    act_name = "gelu"

    def __init__(self, approximate=False, **kwargs):
        super().__init__(**kwargs)
        self.approximate = bool(approximate)

    def call(self, x):
        if self.approximate:
            inner = np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)
            return 0.5 * x * (1.0 + ops.tanh(inner))
        return 0.5 * x * (1.0 + ops.erf(x / np.sqrt(2.0)))

    def get_config(self):
        return {**super().get_config(), "approximate": self.approximate}


ACTIVATION_LAYERS = {cls.act_name: cls for cls in
                     (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Swish, GELU)}
# Other spellings, as in courseref.activations (the seed writes "leakyrelu").
ALIASES = {"leakyrelu": "leaky_relu", "logistic": "sigmoid", "silu": "swish"}
# Names that stand for a layer with a fixed parameter.
VARIANTS = {"gelu_tanh": ("gelu", {"approximate": True}),
            "gelu_approx": ("gelu", {"approximate": True})}
# The parameters of the seed's study: its LeakyReLU uses alpha = 0.1.
STUDY_PARAMS = {"leaky_relu": {"alpha": 0.1}}


def canonical_name(act_func: str) -> str:
    """The registry name of an activation function, e.g. "Leaky-ReLU" -> "leaky_relu"."""
    if not isinstance(act_func, str):
        raise TypeError(f"act_func must be a name (str), got {type(act_func).__name__}; "
                        f"accepted: {', '.join(ACTIVATION_LAYERS)}")
    name = act_func.strip().lower().replace("-", "_").replace(" ", "_")
    name = ALIASES.get(name, name)
    name = VARIANTS.get(name, (name,))[0]
    if name not in ACTIVATION_LAYERS:
        raise ValueError(f"unknown activation function {act_func!r}; accepted: "
                         f"{', '.join(ACTIVATION_LAYERS)} "
                         f"(also: {', '.join([*ALIASES, *VARIANTS])})")
    return name


def activation_layer(act_func: str, name: str | None = None, **act_params) -> ActivationLayer:
    """A Keras layer computing activation function ``act_func`` with ``act_params``.

    >>> activation_layer("elu", alpha=0.5)   # ELU layer with alpha = 0.5
    """
    cls = ACTIVATION_LAYERS[canonical_name(act_func)]
    variant = str(act_func).strip().lower().replace("-", "_").replace(" ", "_")
    act_params = {**VARIANTS.get(variant, (None, {}))[1], **act_params}
    unknown = set(act_params) - set(_parameter_names(cls))
    if unknown:
        raise ValueError(f"activation {cls.act_name!r} has no parameter(s) "
                         f"{', '.join(sorted(unknown))}; accepted parameters: "
                         f"{', '.join(_parameter_names(cls)) or 'none'}")
    return cls(name=name, **act_params)


def _parameter_names(cls) -> list[str]:
    return sorted(layer_params(cls(name="probe")))


def layer_params(layer: ActivationLayer) -> dict:
    """The activation parameters of a layer, e.g. {"alpha": 1.0} for ELU."""
    base = set(ActivationLayer(name="probe").get_config())
    return {key: value for key, value in layer.get_config().items() if key not in base}


# --------------------------------------------------------------------------------------
# 2. The network
# --------------------------------------------------------------------------------------

def fan_in_uniform(fan_in: int, seed: int) -> keras.initializers.Initializer:
    """Uniform initialiser on [-1/sqrt(fan_in), +1/sqrt(fan_in)] (used for W and b)."""
    bound = 1.0 / np.sqrt(fan_in)
    return keras.initializers.RandomUniform(minval=-bound, maxval=bound, seed=int(seed))


def build_mlp(act_func: str = "relu", hidden_sizes=HIDDEN_SIZES, n_classes: int = 10,
              seed: int = 42, n_inputs: int = 784, act_params: dict | None = None
              ) -> keras.Sequential:
    """A multi-layer perceptron: ``Dense -> act_func`` per hidden size, then a Dense
    layer to ``n_classes`` logits.

    Layers are named ``dense_0, act_0, dense_1, act_1, ..., logits``. Weights and
    biases of every Dense layer start uniform in +-1/sqrt(fan_in), drawn from ``seed``
    (same seed, same network). Input ``(n, n_inputs)``, output ``(n, n_classes)``.
    """
    act_params = dict(act_params or {})
    hidden_sizes = tuple(int(size) for size in hidden_sizes)
    if not hidden_sizes or min(hidden_sizes) < 1:
        raise ValueError(f"hidden_sizes must be a non-empty list of positive layer widths, "
                         f"got {hidden_sizes}")
    activation_layer(act_func, **act_params)  # fail early on a bad name or parameter
    init_seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=2 * len(hidden_sizes) + 2)

    def dense(n_units, fan_in, index, name):
        return keras.layers.Dense(n_units, name=name,
                                  kernel_initializer=fan_in_uniform(fan_in, init_seeds[2 * index]),
                                  bias_initializer=fan_in_uniform(fan_in, init_seeds[2 * index + 1]))

    layers, fan_in = [keras.Input(shape=(n_inputs,), name="X")], n_inputs
    for i, size in enumerate(hidden_sizes):
        layers.append(dense(size, fan_in, i, f"dense_{i}"))
        layers.append(activation_layer(act_func, name=f"act_{i}", **act_params))
        fan_in = size
    layers.append(dense(n_classes, fan_in, len(hidden_sizes), "logits"))
    return keras.Sequential(layers, name=f"mlp_{canonical_name(act_func)}")


def architecture_table(net: keras.Model):
    """One row per layer of ``net``: its type, output width, number of parameters and,
    for Dense layers, the bound 1/sqrt(fan_in) of the initial weights; a DataFrame."""
    import pandas as pd
    rows = []
    for layer in net.layers:
        is_dense = isinstance(layer, keras.layers.Dense)
        rows.append({"layer": layer.name, "type": type(layer).__name__,
                     "units": layer.output.shape[-1], "parameters": layer.count_params(),
                     "init bound": (1 / np.sqrt(layer.kernel.shape[0])) if is_dense else np.nan})
    table = pd.DataFrame(rows).set_index("layer").round(4)
    return table.astype({"init bound": object}).fillna("")  # blank, not NaN, for non-Dense rows


def dense_layers(net: keras.Model) -> list[keras.layers.Dense]:
    """The Dense layers of ``net``, input side first."""
    return [layer for layer in net.layers if isinstance(layer, keras.layers.Dense)]


# --------------------------------------------------------------------------------------
# 3. Gradient flow at initialisation
# --------------------------------------------------------------------------------------

_loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def weight_gradients(net: keras.Model, X, y) -> list[np.ndarray]:
    """``grad_w`` of the mean cross-entropy on the batch ``(X, y)``, one array per
    Dense kernel (input side first), each of the kernel's shape ``(n_in, n_out)``."""
    X, y = _as_batch(X, y)
    kernels = [layer.kernel for layer in dense_layers(net)]
    with tf.GradientTape() as tape:
        loss = _loss_fn(y, net(X, training=False))
    return [np.asarray(grad_w) for grad_w in tape.gradient(loss, kernels)]


def gradient_flow(data: "StudyData", act_funcs=STUDY_ACTIVATIONS, batch_size: int = 256,
                  seed: int = 42) -> dict[str, list[np.ndarray]]:
    """:func:`weight_gradients` of a freshly built :func:`build_mlp` per activation
    function, on the first ``batch_size`` training images. Returns {name: [grad_w]}."""
    X, y = data.X_train[:batch_size], data.y_train[:batch_size]
    return {canonical_name(name): weight_gradients(
                build_mlp(name, seed=seed, act_params=STUDY_PARAMS.get(canonical_name(name))), X, y)
            for name in act_funcs}


def gradient_table(grads: dict[str, list[np.ndarray]], formatted: bool = True):
    """Mean |grad_w| per layer (columns) and activation function (rows), a DataFrame;
    ``formatted`` turns the numbers into strings like "2.1e-06" for display."""
    import pandas as pd
    rows = {name: [float(np.abs(g).mean()) for g in grad_ws] for name, grad_ws in grads.items()}
    n_layers = max(len(r) for r in rows.values())
    rows = {name: r + [np.nan] * (n_layers - len(r)) for name, r in rows.items()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=[f"layer {i}" for i in range(n_layers)])
    if formatted:
        table = table.map(lambda v: "" if np.isnan(v) else f"{v:.1e}")
    return table.rename_axis("mean |grad_w|")


def plot_gradient_flow(grads: dict[str, list[np.ndarray]], bins: int = 30):
    """One row of per-layer histograms of grad_w per activation function; a Figure."""
    n_layers = max(len(grad_ws) for grad_ws in grads.values())
    fig = _histogram_grid({name: [g.ravel() for g in grad_ws] for name, grad_ws in grads.items()},
                          [f"weights {i}" for i in range(n_layers)], bins=bins, xlabel="grad_w",
                          title="Weight gradients at initialisation (one batch)")
    return fig


def _histogram_grid(rows: dict[str, list[np.ndarray]], column_titles: list[str], bins: int,
                    xlabel: str, title: str, density: bool = False):
    """Histograms in a grid: one row per key of ``rows``, one column per array."""
    import matplotlib.pyplot as plt
    n_rows, n_cols = len(rows), len(column_titles)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.9 * n_cols + 0.6, 1.45 * n_rows + 0.6),
                             squeeze=False)
    for r, (name, arrays) in enumerate(rows.items()):
        for c, ax in enumerate(axes[r]):
            if c >= len(arrays):
                ax.set_visible(False)
                continue
            ax.hist(arrays[c], bins=bins, density=density, color=f"C{r % 10}")
            ax.tick_params(labelsize=6)
            ax.xaxis.get_offset_text().set_fontsize(6)
            ax.yaxis.get_offset_text().set_fontsize(6)
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3))
            if r == 0:
                ax.set_title(column_titles[c], fontsize=8)
            if r == n_rows - 1:
                ax.set_xlabel(xlabel, fontsize=7)
        axes[r][0].set_ylabel(name, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _as_batch(X, y=None):
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_images, n_features), got {X.shape}")
    if y is None:
        return X
    y = np.asarray(y)
    if y.shape != (len(X),):
        raise ValueError(f"y must have shape ({len(X)},) to match X, got {y.shape}")
    return X, y.astype(np.int64)


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------

@dataclass
class StudyData:
    """Train / validation / test split of an image data set; X flat float32 in [-1, 1]."""

    name: str  # what coursepkg.data returned, e.g. "Fashion-MNIST (keras.datasets)"
    dataset: str  # "fashion_mnist" or "mnist": which images these really are
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def summary(self) -> str:
        return (f"{self.name}: {len(self.y_train)} training, {len(self.y_val)} validation, "
                f"{len(self.y_test)} test images of {self.X_train.shape[1]} pixels")


def scale_images(X) -> np.ndarray:
    """Pixels 0..255 of any image shape -> flat float32 rows in [-1, 1] (as the seed)."""
    X = np.asarray(X, dtype=np.float32)
    return (X.reshape(len(X), -1) / 255.0 - 0.5) / 0.5


def load_study_data(full: bool = False, n_val: int | None = None, seed: int = 42,
                    **loader_kwargs) -> StudyData:
    """The data of the chapter: :func:`coursepkg.data.load_fashion_mnist` split into
    training, validation and test sets.

    ``full=True`` follows the seed (the whole training set, 10,000 of it held out for
    validation). The default holds out 2,000 (at most a sixth) and keeps at most
    ``QUICK_N_TRAIN`` training images, so the chapter's six networks train in a few
    minutes on a laptop CPU. The validation images are drawn from the training images
    with ``seed``. ``loader_kwargs`` go to ``load_fashion_mnist`` (e.g. ``source="subset"``).
    """
    from coursepkg import data as course_data
    loaded = course_data.load_fashion_mnist(**loader_kwargs)  # prints which data set it is
    X_train, X_test = scale_images(loaded.X_train), scale_images(loaded.X_test)
    y_train, y_test = np.asarray(loaded.y_train, np.int64), np.asarray(loaded.y_test, np.int64)
    if n_val is None:
        n_val = min(10_000 if full else 2_000, len(y_train) // 6)
    if not 0 < n_val < len(y_train):
        raise ValueError(f"n_val must be between 1 and {len(y_train) - 1}, got {n_val}")
    order = np.random.default_rng(seed).permutation(len(y_train))
    val, train = order[:n_val], order[n_val:]
    if not full:
        train = train[:QUICK_N_TRAIN]
    return StudyData(loaded.name, loaded.dataset, X_train[train], y_train[train],
                     X_train[val], y_train[val], X_test, y_test)


# --------------------------------------------------------------------------------------
# 4. Training, with a weight cache
# --------------------------------------------------------------------------------------

def default_cache_dir() -> Path:
    """$COURSEPKG_CACHE_DIR/deepnets if that variable is set, else <repo>/cache/deepnets."""
    root = os.environ.get("COURSEPKG_CACHE_DIR")
    base = Path(root) if root else Path(__file__).resolve().parents[1] / "cache"
    return base / "deepnets"


@dataclass
class TrainResult:
    """A trained network, its configuration, per-epoch history and test accuracy."""

    net: keras.Model
    config: dict
    history: dict = field(default_factory=dict)  # "loss", "accuracy", "val_loss", "val_accuracy"
    test_accuracy: float = float("nan")
    from_cache: bool = False


def train_config(act_func: str, data: StudyData, *, hidden_sizes=HIDDEN_SIZES, act_params=None,
                 n_epochs: int = 50, patience: int = 7, lr: float = 1e-2, momentum: float = 0.9,
                 batch_size: int = 256, seed: int = 42) -> dict:
    """Everything that determines a trained network, as a JSON-able dict (the cache key)."""
    act = activation_layer(act_func, **(act_params or {}))
    return {
        "act_func": act.act_name, "act_params": layer_params(act),
        "hidden_sizes": [int(s) for s in hidden_sizes], "n_classes": int(data.y_train.max()) + 1,
        "n_inputs": int(data.X_train.shape[1]), "init": "fan_in_uniform",
        "optimizer": "sgd", "lr": float(lr), "momentum": float(momentum),
        "batch_size": int(batch_size), "n_epochs": int(n_epochs), "patience": int(patience),
        "early_stopping": "val_accuracy, best weights restored", "seed": int(seed),
        "data": {"name": data.name, "n_train": len(data.y_train), "n_val": len(data.y_val),
                 "fingerprint": _fingerprint(data.X_train, data.y_train, data.X_val, data.y_val)},
        "keras": keras.__version__,
    }


def cache_paths(config: dict, cache_dir=None) -> tuple[Path, Path]:
    """(weights file, config file) of a training configuration in the cache."""
    key = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    stem = Path(cache_dir or default_cache_dir()) / f"{config['act_func']}_{key}"
    return stem.with_suffix(".weights.h5"), stem.with_suffix(".json")


def train_mlp(act_func: str, data: StudyData, *, hidden_sizes=HIDDEN_SIZES, act_params=None,
              n_epochs: int = 50, patience: int = 7, lr: float = 1e-2, momentum: float = 0.9,
              batch_size: int = 256, seed: int = 42, cache_dir=None, retrain: bool = False,
              progress: bool = True) -> TrainResult:
    """Train :func:`build_mlp` on ``data`` (or load it from the cache) and test it.

    SGD with momentum on the mean cross-entropy, shuffled batches, at most ``n_epochs``
    epochs; training stops once the validation accuracy has not improved for
    ``patience`` epochs, and the weights of the best epoch are kept. The weights and
    their configuration (:func:`train_config`) go to ``cache_dir``; a later call with
    the same configuration loads them instead of training, unless ``retrain=True``.
    A different configuration (activation, sizes, optimiser, epochs, data...) has a
    different cache key and trains anew.
    """
    config = train_config(act_func, data, hidden_sizes=hidden_sizes, act_params=act_params,
                          n_epochs=n_epochs, patience=patience, lr=lr, momentum=momentum,
                          batch_size=batch_size, seed=seed)
    weights_file, config_file = cache_paths(config, cache_dir)
    net = build_mlp(config["act_func"], hidden_sizes, config["n_classes"], seed=seed,
                    n_inputs=config["n_inputs"], act_params=config["act_params"])
    if not retrain and weights_file.exists() and config_file.exists():
        saved = json.loads(config_file.read_text())
        if saved.get("config") == config:
            net.load_weights(weights_file)  # before compile: the optimiser state is not reused
            _compile(net, lr, momentum)
            return TrainResult(net, config, saved.get("history", {}),
                               evaluate(net, data.X_test, data.y_test), from_cache=True)
    _compile(net, lr, momentum)

    keras.utils.set_random_seed(seed)  # shuffling order: same seed, same run
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max",
                                               patience=patience, restore_best_weights=True)]
    if progress:
        callbacks.append(_EpochBar(n_epochs, f"{config['act_func']:>10}"))
    fit = net.fit(data.X_train, data.y_train, batch_size=batch_size, epochs=n_epochs,
                  validation_data=(data.X_val, data.y_val), shuffle=True,
                  callbacks=callbacks, verbose=0)
    history = {key: [float(v) for v in values] for key, values in fit.history.items()}
    save_trained(net, config, history, cache_dir)
    return TrainResult(net, config, history, evaluate(net, data.X_test, data.y_test))


def save_trained(net: keras.Model, config: dict, history: dict | None = None, cache_dir=None) -> Path:
    """Write ``net``'s weights and ``config`` (+ history) to the cache; the weights file."""
    weights_file, config_file = cache_paths(config, cache_dir)
    weights_file.parent.mkdir(parents=True, exist_ok=True)
    net.save_weights(weights_file)
    config_file.write_text(json.dumps({"config": config, "history": history or {}}, indent=1))
    return weights_file


def evaluate(net: keras.Model, X, y, batch_size: int = 1024) -> float:
    """Accuracy of ``net`` on ``(X, y)``, a float in [0, 1]."""
    X, y = _as_batch(X, y)
    logits = np.concatenate([np.asarray(net(X[i:i + batch_size], training=False))
                             for i in range(0, len(X), batch_size)])
    return float(np.mean(logits.argmax(axis=1) == y))


def compare_activations(data: StudyData, act_funcs=STUDY_ACTIVATIONS, full: bool = False,
                        retrain: bool = False, cache_dir=None, seed: int = 42,
                        **train_kwargs) -> dict[str, TrainResult]:
    """:func:`train_mlp` once per activation function: {name: TrainResult}.

    ``full=True`` is the seed's schedule (at most 50 epochs, patience 7); the default
    is the quick one of the book build, ``QUICK_SCHEDULE``. The leaky ReLU uses the
    seed's alpha = 0.1 (``STUDY_PARAMS``). Other keywords go to :func:`train_mlp`.
    """
    schedule = {**(FULL_SCHEDULE if full else QUICK_SCHEDULE), **train_kwargs}
    return {canonical_name(name): train_mlp(name, data, retrain=retrain, cache_dir=cache_dir,
                                            act_params=STUDY_PARAMS.get(canonical_name(name)),
                                            seed=seed, **schedule)
            for name in act_funcs}


def accuracy_table(results: dict[str, TrainResult], with_seed: bool = True):
    """Test accuracy (%) per activation function, next to the seed's published
    numbers (Fashion-MNIST, 50 epochs at most) when ``with_seed``; a DataFrame."""
    import pandas as pd
    table = pd.DataFrame({
        "test accuracy (%)": {n: 100 * r.test_accuracy for n, r in results.items()},
        "best val. accuracy (%)": {n: 100 * max(r.history.get("val_accuracy", [np.nan]))
                                   for n, r in results.items()},
        "epochs": {n: len(r.history.get("val_accuracy", [])) for n, r in results.items()},
    })
    if with_seed:
        table["seed 002 (%)"] = [100 * SEED_TEST_ACCURACY.get(n, np.nan) for n in table.index]
    return table.round(2).rename_axis("act_func")


def plot_validation_curves(results: dict[str, TrainResult]):
    """Validation accuracy per epoch for each trained network; a Figure."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, result in results.items():
        val_acc = result.history.get("val_accuracy", [])
        ax.plot(range(1, len(val_acc) + 1), val_acc, marker="o", label=name)
    ax.set(xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy while training")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def _compile(net, lr, momentum):
    net.compile(optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=momentum),
                loss=_loss_fn, metrics=["accuracy"])


class _EpochBar(keras.callbacks.Callback):
    """A tqdm bar over epochs showing the latest validation accuracy."""

    def __init__(self, n_epochs, desc):
        super().__init__()
        self.n_epochs, self.desc = n_epochs, desc

    def on_train_begin(self, logs=None):
        self.bar = tqdm(total=self.n_epochs, desc=self.desc, unit="epoch", file=sys.stderr)

    def on_epoch_end(self, epoch, logs=None):
        self.bar.set_postfix(val_acc=f"{(logs or {}).get('val_accuracy', float('nan')):.3f}")
        self.bar.update(1)

    def on_train_end(self, logs=None):
        self.bar.close()


def _fingerprint(*arrays) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------------------
# 5. What the networks compute: activations per layer, dead neurons
# --------------------------------------------------------------------------------------

def layer_outputs(net: keras.Model, X) -> list[tuple[str, np.ndarray]]:
    """Output of every hidden layer for the images ``X``: [(title, array (n, units))],
    alternating "Layer 0 - Dense", "Layer 1 - <act_func>", ... (logits left out)."""
    X = _as_batch(X)
    hidden = net.layers[:-1]
    probe = keras.Model(net.inputs[0], [layer.output for layer in hidden])
    outputs = probe(X, training=False)
    titles = [f"Layer {i} - " + ("Dense" if isinstance(layer, keras.layers.Dense)
                                 else getattr(layer, "act_name", layer.name))
              for i, layer in enumerate(hidden)]
    return list(zip(titles, [np.asarray(out) for out in outputs]))


def plot_activation_distributions(results: dict[str, TrainResult], X, bins: int = 50,
                                  include_dense: bool = False):
    """Histograms (density) of every hidden activation layer's outputs for each trained
    network, one row per activation function, one column per layer; with
    ``include_dense`` the Dense outputs (pre-activations) get a column before each. A Figure."""
    per_act = {}
    for name, result in results.items():
        outs = layer_outputs(result.net, X)
        per_act[name] = [(title, values) for i, (title, values) in enumerate(outs)
                         if include_dense or i % 2 == 1]
    first = next(iter(per_act.values()))
    titles = [title.replace("Layer", "layer") for title, _ in first]
    if not include_dense:
        titles = [f"hidden layer {i}" for i in range(len(first))]
    return _histogram_grid({name: [values.ravel() for _, values in outs]
                            for name, outs in per_act.items()},
                           titles, bins=bins, xlabel="value", density=True,
                           title="Outputs of the hidden layers of the trained networks (density)")


@dataclass
class DeadNeurons:
    """Dead units per hidden layer: ``counts[i]`` of ``sizes[i]`` units in layer i
    never output anything but 0 on the data they were measured on."""

    counts: list[int]
    sizes: list[int]

    @property
    def percentages(self) -> list[float]:
        return [100.0 * c / s for c, s in zip(self.counts, self.sizes)]


def count_dead_neurons(net: keras.Model, X, batch_size: int = 1024) -> DeadNeurons:
    """Count, per activation layer of ``net``, the units whose output is exactly 0 for
    every row of ``X`` (all training images, in batches of ``batch_size``)."""
    X = _as_batch(X)
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


def dead_neuron_table(counts: dict[str, DeadNeurons]):
    """Dead units per layer as "count (percent)" strings, one row per network; a DataFrame."""
    import pandas as pd
    n_layers = max(len(d.counts) for d in counts.values())
    rows = {name: [f"{c} ({p:.1f}%)" for c, p in zip(d.counts, d.percentages)]
            + [""] * (n_layers - len(d.counts)) for name, d in counts.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=[f"layer {i}" for i in range(n_layers)]
                                  ).rename_axis("dead units")


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
