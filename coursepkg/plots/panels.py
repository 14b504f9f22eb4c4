"""Rows of panels: the static figures of the chapters on initialisation, modern
activations and exploding gradients, and of the universal-approximation section.

- ``plot_per_layer``: one panel per group, one line per series of per-layer values
  (e.g. the std of every layer's activations), optionally on a log axis.
- ``plot_curves``: one panel per group of curves y(x) sharing an x grid.
- ``plot_bands``: median and percentile bands of many runs against the layer number.

Each helper takes an optional ``axes`` (or ``ax``), draws titles, labels and legends,
and returns the matplotlib Figure; none calls ``plt.show()``. Panels are stacked in
rows so that a figure stays at most 6 in wide (readable on a phone).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_per_layer", "plot_curves", "plot_bands"]

WIDTH = 5.6          # inches: bbox "tight" adds a little; 12 pt text stays >= 9 px at 390 px
PANEL_HEIGHT = 2.6


def _rows(axes, n: int, height: float = PANEL_HEIGHT, sharex: bool = True):
    if axes is None:
        fig, grid = plt.subplots(n, 1, squeeze=False, sharex=sharex,
                                 figsize=(WIDTH, height * n + 0.4), layout="constrained")
        return fig, list(grid[:, 0])
    flat = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(flat) < n:
        raise ValueError(f"need {n} axes, one per panel, but got {len(flat)}")
    return flat[0].figure, flat[:n]


def plot_per_layer(panels: Mapping[str, Mapping[str, Sequence[float]]], ylabel: str,
                   log: bool = True, axes=None, legend_cols: int = 2, styles=None):
    """``panels``: {panel title: {series label: per-layer values}}; one row per panel,
    x = layer number (from 0). ``styles``: optional {series label: plot kwargs}."""
    fig, axs = _rows(axes, len(panels))
    for ax, (title, series) in zip(axs, panels.items()):
        for label, values in series.items():
            values = np.asarray(values, dtype=float)
            ax.plot(np.arange(len(values)), values, label=label, **(styles or {}).get(label, {}))
        if log:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axs[-1].set_xlabel("layer")
    axs[0].legend(ncols=legend_cols, loc="best", frameon=False)
    return fig


def plot_curves(x: np.ndarray, panels: Mapping[str, Mapping[str, np.ndarray]],
                xlabel: str = "x", ylabels: Sequence[str] | None = None, axes=None,
                styles=None, height: float = PANEL_HEIGHT, log: bool = False):
    """``panels``: {panel title: {label: y (same shape as x)}}; one row per panel.
    ``styles``: optional {label: plot kwargs} (e.g. markers for measured points)."""
    fig, axs = _rows(axes, len(panels), height=height)
    for i, (ax, (title, series)) in enumerate(zip(axs, panels.items())):
        for label, y in series.items():
            ax.plot(x, y, label=label, **(styles or {}).get(label, {}))
        ax.set_title(title)
        if ylabels:
            ax.set_ylabel(ylabels[i])
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", frameon=False)
    axs[-1].set_xlabel(xlabel)
    return fig


def plot_bands(runs: Mapping[str, np.ndarray], ylabel: str, ax=None, percentiles=(5, 95)):
    """``runs``: {label: array (n_trials, n_layers)}; median line and a shaded band between
    the given ``percentiles`` of the trials, against the layer number (from 1)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(WIDTH, 3.6), layout="constrained")
    fig = ax.figure
    for label, values in runs.items():
        layers = np.arange(1, values.shape[1] + 1)
        low, mid, high = np.percentile(values, [percentiles[0], 50, percentiles[1]], axis=0)
        (line,) = ax.plot(layers, mid, label=label)
        ax.fill_between(layers, low, high, color=line.get_color(), alpha=0.2)
    ax.set_xlabel("number of matrices multiplied")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", frameon=False)
    return fig
