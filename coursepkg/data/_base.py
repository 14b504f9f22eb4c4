"""What every part of :mod:`coursepkg.data` shares: the errors and the cache folders."""

from __future__ import annotations

import os

import numpy as np


class DataError(RuntimeError):
    """A data set could not be loaded (unreachable, download failed, or corrupt file)."""


class DataCacheError(DataError):
    """A cached file is corrupt or incomplete and could not be fetched again.

    Always raised, also with source="auto": the fix (delete the file) is the user's.
    """


def cache_dir(kind: str | None = None) -> str:
    """coursepkg's one cache folder, or its sub-folder ``kind`` (e.g. ``"deepnets"``).

    The root is ``$COURSEPKG_CACHE_DIR``, else ``$XDG_CACHE_HOME/coursepkg``, else
    ``~/.cache/coursepkg``; read at each call, never created here (the writer creates it).
    The parsed MNIST subset lives in the root, trained models in ``cache_dir("deepnets")``.
    """
    if os.environ.get("COURSEPKG_CACHE_DIR"):
        root = os.path.expanduser(os.environ["COURSEPKG_CACHE_DIR"])
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "coursepkg")
    if kind is None:
        return root
    if not isinstance(kind, str) or not kind or os.sep in kind or kind in (".", ".."):
        raise ValueError(f"cache_dir(kind) takes a plain folder name such as 'deepnets', got {kind!r}")
    return os.path.join(root, kind)


def keras_cache_dir() -> str:
    """Keras' cache root, read now (not at import): $KERAS_HOME, else ~/.keras (or /tmp/.keras)."""
    if os.environ.get("KERAS_HOME"):
        return os.environ["KERAS_HOME"]
    home = os.path.expanduser("~")
    return os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")


def check_count(name: str, n: int | None, limit: int) -> None:
    """Raise ValueError unless ``n`` is None or an int in 0..limit (``name`` is the argument)."""
    if n is None:
        return
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"{name} must be a non-negative int or None, got {n!r}")
    if n > limit:
        raise ValueError(f"{name}={n} is more than the {limit:,} images available")
