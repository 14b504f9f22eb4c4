"""Files in the Keras cache: check their hashes, download missing or corrupt ones.

:func:`fetch` is the only entry point. It uses ``keras.utils.get_file``, imported only
when a download is needed, so that reading the data never loads TensorFlow.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import urllib.error
import urllib.request

from ._base import DataCacheError, DataError, keras_cache_dir

#: Where Keras' own loaders fetch from (keras/src/datasets/mnist.py, fashion_mnist.py).
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
STALL_TIMEOUT = 30.0  # seconds without data before a started download gives up


def _file_hash(path: str, algorithm: str) -> str:
    h = hashlib.sha256() if algorithm == "sha256" else hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hash_ok(path: str, expected: str | None) -> bool:
    """Keras' rule: a 64-hex-digit hash is sha256, otherwise md5. None = no check."""
    if expected is None:
        return True
    return _file_hash(path, "sha256" if len(expected) == 64 else "md5") == expected.lower()


def _probe(url: str, timeout: float) -> str | None:
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


def fetch(files: dict[str, str | None], subdir: str, mirror: str, timeout: float,
          verbose: bool) -> tuple[dict[str, str] | None, str | None]:
    """Local paths of ``files`` (file name -> expected hash) in the Keras cache ``subdir``.

    Valid cached files are used as they are. Missing or corrupt ones are fetched from
    ``mirror`` with ``keras.utils.get_file`` (a corrupt one with ``force_download``), if
    the mirror answers within ``timeout`` s. Returns ``(paths, None)``, or ``(None,
    reason)`` when the data is not available offline. A corrupt cached file that cannot
    be fetched again raises DataCacheError; a failed download raises DataError.
    """
    root = keras_cache_dir()
    folder = os.path.join(root, subdir)
    paths = {f: os.path.join(folder, f) for f in files}
    missing = [f for f in files if not os.path.exists(paths[f])]
    corrupt = [f for f in files if f not in missing and not hash_ok(paths[f], files[f])]
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
    socket.setdefaulttimeout(STALL_TIMEOUT)
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
