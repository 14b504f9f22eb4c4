"""MNIST and Fashion-MNIST: the table of data sets, their file formats, the loaders.

Each data set is one :class:`DataSpec` row of ``DATASETS``: its Keras files with their
official hashes, the Keras cache sub-folder, the reader of its file format and its class
names. :func:`load_images` does the rest the same way for every row: the Keras cache or
a download (``_download.fetch``), else the offline subset (``subset``).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from . import subset
from ._base import DataCacheError, DataError, check_count, keras_cache_dir
from ._download import KERAS_ORIGIN, fetch

SOURCES = ("auto", "keras", "subset")
MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # X_train, y_train, X_test, y_test


# ----------------------------------------------------------------------------- file formats
def _read_mnist_npz(paths: dict[str, str]) -> Arrays:
    """Keras' mnist.npz (keys x_train, y_train, x_test, y_test)."""
    path = paths["mnist.npz"]
    try:
        with np.load(path, allow_pickle=False) as f:
            return tuple(f[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    except Exception as e:
        raise DataCacheError(f"{path} is not a readable MNIST .npz file ({e}); "
                             "delete it and load again") from e


def read_idx(path: str, magic: int, ndim: int) -> np.ndarray:
    """One gzip-compressed IDX file (the MNIST/Fashion-MNIST format), checked: uint8, ``ndim`` axes.

    Magic 2049 marks labels (1 axis), 2051 images (3 axes: n, rows, columns).
    """
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise DataCacheError(f"{path} is not a complete gzip file ({e}); delete it and load again") from e
    header = 4 + 4 * ndim
    if len(raw) < header or int.from_bytes(raw[:4], "big") != magic:
        raise DataCacheError(f"{path} is not an IDX file with magic number {magic}; delete it and load again")
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    if len(raw) - header != int(np.prod(dims)):
        raise DataCacheError(f"{path} holds {len(raw) - header} bytes of data, its header promises "
                             f"{int(np.prod(dims))} for shape {tuple(dims)}; delete it and load again")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(dims)


def _read_fashion_idx(paths: dict[str, str]) -> Arrays:
    """The four IDX files of Fashion-MNIST."""
    return (read_idx(paths["train-images-idx3-ubyte.gz"], 2051, 3),
            read_idx(paths["train-labels-idx1-ubyte.gz"], 2049, 1),
            read_idx(paths["t10k-images-idx3-ubyte.gz"], 2051, 3),
            read_idx(paths["t10k-labels-idx1-ubyte.gz"], 2049, 1))


# ----------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class DataSpec:
    """One image data set as Keras stores it.

    label        its human-readable name, e.g. "Fashion-MNIST"
    files        file name -> official hash (sha256 if 64 hex digits, else md5)
    subdir       the sub-folder of the Keras cache root that holds the files
    read         file name -> local path  =>  (X_train, y_train, X_test, y_test)
    class_names  the 10 class names, index = label
    offline      True if the offline subset holds these very images (only MNIST)
    """

    label: str
    files: dict[str, str | None]
    subdir: str
    read: Callable[[dict[str, str]], Arrays]
    class_names: tuple[str, ...]
    offline: bool


DATASETS: dict[str, DataSpec] = {
    # sha256 of mnist.npz as hard-coded in keras.datasets.mnist
    "mnist": DataSpec("MNIST", {
        "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    }, "datasets", _read_mnist_npz, MNIST_CLASSES, offline=True),
    # the MD5s the Fashion-MNIST authors publish for their four files
    "fashion_mnist": DataSpec("Fashion-MNIST", {
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    }, os.path.join("datasets", "fashion-mnist"), _read_fashion_idx, FASHION_MNIST_CLASSES, offline=False),
}


# ----------------------------------------------------------------------------- result type
@dataclass(frozen=True, eq=False, repr=False)
class ImageData:
    """Images and labels of one data set, split into train and test.

    X_train  uint8 (n_train, 28, 28), values 0..255;  y_train int64 (n_train,)
    X_test   uint8 (n_test, 28, 28);                  y_test  int64 (n_test,)
    name         human-readable name of what was returned, e.g. "MNIST (keras.datasets)"
                 or SUBSET_NAME
    dataset      "mnist" or "fashion_mnist": which images these really are
    source       "keras" (full data set via the Keras cache/download) or "subset"
    class_names  the 10 class names, index = label
    message      the line that was printed

    Unpacks like Keras: ``(X_train, y_train), (X_test, y_test) = data``.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str
    dataset: str
    source: str
    class_names: tuple
    message: str = ""

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        yield (self.X_train, self.y_train)
        yield (self.X_test, self.y_test)

    def __repr__(self) -> str:
        return (f"ImageData(name={self.name!r}, X_train={self.X_train.shape}, "
                f"X_test={self.X_test.shape})")


# ----------------------------------------------------------------------------- helpers
def flatten_and_scale(X: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """Images (n, 28, 28) uint8 -> rows (n, 784) of floats in [0, 1] (pixel / 255)."""
    X = np.asarray(X)
    if X.ndim < 2:
        raise ValueError(f"expected images of shape (n, height, width), got shape {X.shape}")
    return X.reshape(len(X), -1).astype(dtype) / 255.0


def one_hot(y: np.ndarray, n_classes: int = 10, dtype: type = np.float64) -> np.ndarray:
    """Labels (n,) with values 0..n_classes-1 -> one-hot rows (n, n_classes)."""
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"expected a 1-D array of integer labels, got dtype {y.dtype} "
                         f"and shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1} for n_classes={n_classes}, "
                         f"got values {y.min()}..{y.max()}")
    out = np.zeros((len(y), n_classes), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


# ----------------------------------------------------------------------------- loading
def _load_keras(spec: DataSpec, mirror: str, file_hashes: dict | None, timeout: float,
                verbose: bool) -> tuple[Arrays | None, str | None]:
    """(arrays, None) from the Keras cache/origin, or (None, reason) when offline."""
    files = dict(spec.files)
    if file_hashes:
        unknown = set(file_hashes) - set(files)
        if unknown:
            raise ValueError(f"file_hashes names unknown file(s) {sorted(unknown)}; "
                             f"the {spec.label} files are {sorted(files)}")
        files.update(file_hashes)
    paths, reason = fetch(files, spec.subdir, mirror, timeout, verbose)
    if paths is None:
        return None, reason
    X_train, y_train, X_test, y_test = spec.read(paths)
    for X, y, part in ((X_train, y_train, "train"), (X_test, y_test, "test")):
        if X.ndim != 3 or X.shape[1:] != (28, 28) or len(X) != len(y) or X.dtype != np.uint8:
            raise DataCacheError(f"the {spec.label} {part} images have shape {X.shape} and dtype {X.dtype} "
                                 f"for {len(y)} labels; expected uint8 (n, 28, 28): delete the cached "
                                 f"files in {os.path.join(keras_cache_dir(), spec.subdir)} and load again")
    return (X_train, y_train.astype(np.int64), X_test, y_test.astype(np.int64)), None


def _say(message: str, verbose: bool) -> str:
    if verbose:
        print(f"coursepkg.data: {message}")
    return message


def load_images(dataset: str, n_train: int | None, n_test: int | None, seed: int, source: str,
                mirror: str | None, file_hashes: dict | None, timeout: float,
                verbose: bool) -> ImageData:
    """The loaders' common body; ``dataset`` is a key of DATASETS (see load_mnist's doc)."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(map(repr, SOURCES))}, got {source!r}")
    spec = DATASETS[dataset]
    check_count("n_train", n_train, 60000)
    check_count("n_test", n_test, 10000)
    mirror = mirror or os.environ.get("COURSEPKG_DATA_MIRROR") or KERAS_ORIGIN

    reason = "source='subset' was asked for"
    if source in ("auto", "keras"):
        try:
            arrays, reason = _load_keras(spec, mirror, file_hashes, timeout, verbose)
        except DataError as e:
            if source == "keras" or isinstance(e, DataCacheError):
                raise
            arrays, reason = None, str(e)  # a failed download: say why, then fall back
        if arrays is not None:
            X_train, y_train, X_test, y_test = arrays
            X_train, y_train = X_train[:n_train], y_train[:n_train]
            X_test, y_test = X_test[:n_test], y_test[:n_test]
            name = f"{spec.label} (keras.datasets)"
            message = _say(f"{name}: {len(X_train):,} train / {len(X_test):,} test images "
                           f"(the first ones of the official split)", verbose)
            return ImageData(X_train, y_train, X_test, y_test, name=name, dataset=dataset,
                             source="keras", class_names=spec.class_names, message=message)
        if source == "keras":
            raise DataError(f"{spec.label} is not available: {reason}")

    # The offline subset: 5,000 MNIST digits.
    n_train_eff, n_test_eff, note = subset.subset_sizes(n_train, n_test, strict=source == "subset")
    X_all, y_all = subset.load_subset_arrays(verbose)
    X_train, y_train, X_test, y_test = subset.split_subset(X_all, y_all, n_train_eff, n_test_eff, seed)
    message = (f"{subset.SUBSET_NAME}: {n_train_eff:,} train / {n_test_eff:,} test images, stratified "
               f"split with seed={seed} ({reason}" + (f"; {note})" if note else ")"))
    if not spec.offline:
        message = (f"WARNING: {spec.label} is not available, so these are MNIST DIGITS, "
                   "not clothes! " + message)
    _say(message, verbose)
    return ImageData(X_train, y_train, X_test, y_test, name=subset.SUBSET_NAME, dataset="mnist",
                     source="subset", class_names=MNIST_CLASSES, message=message)
