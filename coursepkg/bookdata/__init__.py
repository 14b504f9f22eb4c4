"""Results the book's chapters plot, shipped as data with ``coursepkg``.

Some chapters show results that need an exercise's answer (the activation functions, the
vanishing-gradient network, the Grokking training loop). The book does not ship that code,
so the instructor-side generator ``tools/book_data.py`` runs it once and stores what the
chapters plot in ``coursepkg/bookdata/<name>.npz``. A chapter notebook downloaded on its own
therefore runs wherever ``coursepkg`` is installed, offline.

>>> from coursepkg import bookdata
>>> bookdata.names()
['activation_zoo', 'grokking_mnist', 'vanishing_gradient']
>>> zoo = bookdata.load("activation_zoo")
>>> zoo["x"].shape, zoo["f/relu"].shape          # (601,), (601,)

The keys of each file are listed in ``tools/book_data.py`` (and in the chapters that use
them). Every value is a numpy array; text (e.g. the name of the data set a run used) is a
0-d string array: ``str(data["dataset"])``.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load", "names"]


def names() -> list[str]:
    """The names ``load`` accepts, sorted (one per ``.npz`` file shipped here)."""
    folder = resources.files(__name__)
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".npz"))


def load(name: str) -> dict[str, np.ndarray]:
    """The arrays of ``coursepkg/bookdata/<name>.npz`` as a dict ``key -> numpy.ndarray``.

    Raises ValueError naming the available data sets when ``name`` is not one of them.
    """
    available = names()
    if not isinstance(name, str) or name not in available:
        raise ValueError(f"no book data named {name!r}; available: {', '.join(available) or 'none'} "
                         "(instructors write them with tools/book_data.py)")
    with resources.as_file(resources.files(__name__) / f"{name}.npz") as path:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
