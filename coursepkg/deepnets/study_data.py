"""The chapter's data: Fashion-MNIST (or the offline MNIST subset) split three ways.

``load_study_data`` returns a :class:`StudyData`: training, validation and test images
as flat float32 rows in [-1, 1] (``X`` shape ``(n_images, 784)``) and int labels
(``y`` shape ``(n_images,)``).
"""

from __future__ import annotations

import contextlib
import io
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["QUICK_N_TRAIN", "StudyData", "scale_images", "load_study_data"]

# The quick protocol of the book build (full=False) caps the training set.
QUICK_N_TRAIN = 4_000
WRAP = 76  # characters per printed line: fits the book's column and a phone


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
        """Which images these are and how many, on short lines (readable on a phone)."""
        return (f"data: {self.name}\n"
                f"{len(self.y_train)} training, {len(self.y_val)} validation, "
                f"{len(self.y_test)} test images of {self.X_train.shape[1]} pixels")


def scale_images(X: np.ndarray) -> np.ndarray:
    """Pixels 0..255 of any image shape -> flat float32 rows in [-1, 1] (as the UvA tutorial)."""
    X = np.asarray(X, dtype=np.float32)
    return (X.reshape(len(X), -1) / 255.0 - 0.5) / 0.5


def load_study_data(full: bool = False, n_val: int | None = None, seed: int = 42,
                    **loader_kwargs: Any) -> StudyData:
    """The data of the chapter: :func:`coursepkg.data.load_fashion_mnist` split into
    training, validation and test sets.

    ``full=True`` follows the UvA tutorial (the whole training set, 10,000 of it held out for
    validation). The default holds out 2,000 (at most a sixth) and keeps at most
    ``QUICK_N_TRAIN`` training images, so the chapter's six networks train in a few
    minutes on a laptop CPU. The validation images are drawn from the training images
    with ``seed``. ``loader_kwargs`` go to ``load_fashion_mnist`` (e.g. ``source="subset"``);
    what it prints about the data set it found is wrapped to ``WRAP`` characters.
    """
    from coursepkg import data as course_data
    with contextlib.redirect_stdout(io.StringIO()) as said:  # which data set it is
        loaded = course_data.load_fashion_mnist(**loader_kwargs)
    for line in said.getvalue().splitlines():  # one long line each: wrap for the page
        print(textwrap.fill(line, width=WRAP, subsequent_indent="    ", break_long_words=True))
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
