"""Training the chapter's networks, with a weight cache keyed by the whole configuration.

``train_mlp`` trains one :func:`build_mlp` network with SGD + momentum and early stopping
on the validation accuracy (the best epoch's weights are kept), or loads it from the
cache when the same configuration (:func:`train_config`: activation, sizes, optimiser,
epochs, data fingerprint, Keras version) was trained before. ``n_epochs`` counts passes
over the training images. ``compare_activations`` does it once per activation function.
The cache lives in :func:`default_cache_dir`, outside the source tree.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ._tensorflow import import_quietly
from .layers import STUDY_PARAMS, activation_layer, canonical_name, layer_params
from .mlp import HIDDEN_SIZES, as_batch, build_mlp, loss_fn
from .study_data import StudyData

tf, keras = import_quietly()

__all__ = ["STUDY_ACTIVATIONS", "TUTORIAL_TEST_ACCURACY", "QUICK_SCHEDULE", "FULL_SCHEDULE",
           "default_cache_dir", "TrainResult", "train_config", "cache_paths", "train_mlp",
           "save_trained", "evaluate", "compare_activations"]

# The six activation functions the UvA tutorial compares, in its order (our names).
STUDY_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "swish")
# The UvA tutorial's test accuracies on Fashion-MNIST (50 epochs at most, patience 7).
TUTORIAL_TEST_ACCURACY = {"sigmoid": 0.7846, "tanh": 0.8857, "relu": 0.8865,
                          "leaky_relu": 0.8833, "elu": 0.8832, "swish": 0.8833}
QUICK_SCHEDULE = {"n_epochs": 25, "patience": 5}
FULL_SCHEDULE = {"n_epochs": 50, "patience": 7}  # the UvA tutorial's


def default_cache_dir() -> Path:
    """Where trained weights go: ``coursepkg.data.cache_dir("deepnets")``, i.e.
    ``$COURSEPKG_CACHE_DIR/deepnets`` or ``~/.cache/coursepkg/deepnets``; never the
    source tree."""
    from coursepkg import data as course_data
    try:
        return Path(course_data.cache_dir("deepnets"))
    except TypeError:  # a coursepkg.data whose cache_dir() takes no sub-folder
        return Path(course_data.cache_dir()) / "deepnets"


@dataclass
class TrainResult:
    """A trained network, its configuration, per-epoch history and test accuracy."""

    net: keras.Model
    config: dict
    history: dict = field(default_factory=dict)  # "loss", "accuracy", "val_loss", "val_accuracy"
    test_accuracy: float = float("nan")
    from_cache: bool = False


def train_config(act_func: str, data: StudyData, *, hidden_sizes: Sequence[int] = HIDDEN_SIZES,
                 act_params: dict | None = None,
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


def cache_paths(config: dict, cache_dir: str | Path | None = None) -> tuple[Path, Path]:
    """(weights file, config file) of a training configuration in the cache."""
    key = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    stem = Path(cache_dir or default_cache_dir()) / f"{config['act_func']}_{key}"
    return stem.with_suffix(".weights.h5"), stem.with_suffix(".json")


def train_mlp(act_func: str, data: StudyData, *, hidden_sizes: Sequence[int] = HIDDEN_SIZES,
              act_params: dict | None = None, n_epochs: int = 50, patience: int = 7,
              lr: float = 1e-2, momentum: float = 0.9, batch_size: int = 256, seed: int = 42,
              cache_dir: str | Path | None = None, retrain: bool = False,
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


def save_trained(net: keras.Model, config: dict, history: dict | None = None,
                 cache_dir: str | Path | None = None) -> Path:
    """Write ``net``'s weights and ``config`` (+ history) to the cache; the weights file."""
    weights_file, config_file = cache_paths(config, cache_dir)
    weights_file.parent.mkdir(parents=True, exist_ok=True)
    net.save_weights(weights_file)
    config_file.write_text(json.dumps({"config": config, "history": history or {}}, indent=1))
    return weights_file


def evaluate(net: keras.Model, X: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> float:
    """Accuracy of ``net`` on ``(X, y)``, a float in [0, 1]."""
    X, y = as_batch(X, y)
    logits = np.concatenate([np.asarray(net(X[i:i + batch_size], training=False))
                             for i in range(0, len(X), batch_size)])
    return float(np.mean(logits.argmax(axis=1) == y))


def compare_activations(data: StudyData, act_funcs: Iterable[str] = STUDY_ACTIVATIONS,
                        full: bool = False, retrain: bool = False,
                        cache_dir: str | Path | None = None, seed: int = 42,
                        **train_kwargs: Any) -> dict[str, TrainResult]:
    """:func:`train_mlp` once per activation function: {name: TrainResult}.

    ``full=True`` is the UvA tutorial's schedule (at most 50 epochs, patience 7); the
    default is the quick one of the book build, ``QUICK_SCHEDULE``. The leaky ReLU uses
    the tutorial's alpha = 0.1 (``STUDY_PARAMS``). Other keywords go to :func:`train_mlp`.
    """
    schedule = {**(FULL_SCHEDULE if full else QUICK_SCHEDULE), **train_kwargs}
    return {canonical_name(name): train_mlp(name, data, retrain=retrain, cache_dir=cache_dir,
                                            act_params=STUDY_PARAMS.get(canonical_name(name)),
                                            seed=seed, **schedule)
            for name in act_funcs}


def _compile(net: keras.Model, lr: float, momentum: float) -> None:
    net.compile(optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=momentum),
                loss=loss_fn, metrics=["accuracy"])


class _EpochBar(keras.callbacks.Callback):
    """A tqdm bar over epochs showing the latest validation accuracy."""

    def __init__(self, n_epochs: int, desc: str):
        super().__init__()
        self.n_epochs, self.desc = n_epochs, desc

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.bar = tqdm(total=self.n_epochs, desc=self.desc, unit="epoch", file=sys.stderr)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.bar.set_postfix(val_acc=f"{(logs or {}).get('val_accuracy', float('nan')):.3f}")
        self.bar.update(1)

    def on_train_end(self, logs: dict | None = None) -> None:
        self.bar.close()


def _fingerprint(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]
