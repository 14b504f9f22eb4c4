"""Per-layer gradient flow during training, readable even when the layers' gradients are
noisy: a rolling median per layer with its inter-quartile band, on a log scale.

- ``rolling_quantiles``: the rolling 25 %, 50 % and 75 % quantiles of a (layers, steps) log.
- ``plot_gradient_flow``: one line (median) and one band (IQR) per layer, coloured from the
  input side (dark) to the output layer (light).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np

from .static import layer_names

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["rolling_quantiles", "plot_gradient_flow", "layer_colours"]


def layer_colours(n_layers: int) -> list[str]:
    """``n_layers`` hex colours of viridis from dark (layer 0) to light (the output layer)."""
    from matplotlib.colors import to_hex
    return [to_hex(c) for c in plt.get_cmap("viridis")(np.linspace(0, 0.9, max(n_layers, 2)))][:n_layers]


def rolling_quantiles(log: np.ndarray, window: int = 15, stride: int = 1,
                      q: tuple[float, float, float] = (25, 50, 75)) -> tuple[np.ndarray, np.ndarray]:
    """Rolling quantiles of each row of a (layers, steps) log, e.g. ``grad_w``.

    The window is centred on the step and ``window`` steps wide (shorter at both ends);
    a step is reported every ``stride`` steps, starting at step 0. Non-finite entries are
    ignored. Returns ``(steps, quantiles)``: steps shape (n,), quantiles shape
    (len(q), layers, n), e.g. quantiles[1] the rolling median of every layer.
    """
    log = np.asarray(log, dtype=np.float64)
    if log.ndim != 2 or log.shape[1] == 0:
        raise ValueError(f"log must be a 2-D array (layers, steps), got shape {log.shape}")
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1, got {window} and {stride}")
    half = window // 2
    steps = np.arange(0, log.shape[1], stride)
    out = np.empty((len(q), log.shape[0], len(steps)))
    for k, step in enumerate(steps):
        chunk = log[:, max(0, step - half): step + half + 1]
        with np.errstate(all="ignore"):
            out[:, :, k] = np.nanpercentile(np.where(np.isfinite(chunk), chunk, np.nan), q, axis=1)
    return steps, out


def plot_gradient_flow(grad_w: np.ndarray, ax: Axes | None = None, window: int = 15,
                       title: str | None = None, xlabel: str = "training step",
                       ylabel: str = "mean |dL/dW|", legend: bool = True) -> Figure:
    """Rolling median (line) and inter-quartile band of each layer's gradient log.

    grad_w  array (layers, steps): the mean |dL/dW| of every weight matrix at every step,
            layer 0 next to the input, the last the output layer.
    window  width of the centred rolling window, in steps.
    Log y axis; layers from dark (input side) to light (output layer); legend in the
    order of the layers. Returns the Figure; line k is layer k's median.
    """
    grad_w = np.asarray(grad_w, dtype=np.float64)
    steps, (lo, mid, hi) = rolling_quantiles(grad_w, window=window)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    else:
        fig = ax.figure
    colours = layer_colours(len(grad_w))
    for k, name in enumerate(layer_names(len(grad_w))):
        ax.plot(steps, mid[k], color=colours[k], lw=1.8, label=name.replace("hidden layer", "hidden"))
    for k in range(len(grad_w)):
        ax.fill_between(steps, lo[k], hi[k], color=colours[k], alpha=0.18, lw=0)
    ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), handlelength=1.2,
                  labelspacing=0.2, borderaxespad=0)
    return fig
