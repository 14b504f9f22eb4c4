"""Plots used throughout the book: activation functions, gradients per layer, histograms.

- ``plot_activation_grid``: one panel per activation, the function and its derivative.
- ``plot_grad_w``: the mean absolute weight gradient of every layer against the epoch
  (the ``grad_w`` array of the vanishing-gradient chapter: row 0 = first hidden layer,
  last row = output layer), on a log scale by default so tiny gradients stay visible.
- ``plot_layer_histograms``: one histogram per layer, for gradients or activations.

Each helper draws into the ``ax``/``axes`` you pass (or makes a new figure), sets
titles and axis labels, and returns the matplotlib Figure. None calls ``plt.show()``:
in a notebook the figure appears by itself; in a script call ``plt.show()`` or
``fig.savefig(...)``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from . import activations

__all__ = ["plot_activation_grid", "plot_grad_w", "plot_layer_histograms", "layer_names"]


def _axes_list(axes, n, ncols, panel_size=(3.2, 2.6), sharex=False):
    """``n`` axes: the ones given (any array/list of Axes, at least n), or a new grid."""
    if axes is None:
        ncols = max(1, min(ncols, n))
        nrows = math.ceil(n / ncols)
        fig, grid = plt.subplots(nrows, ncols, squeeze=False, sharex=sharex,
                                 figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
                                 layout="constrained")
        flat = list(grid.ravel())
        for extra in flat[n:]:  # switch off unused panels of the last row
            extra.set_axis_off()
        return fig, flat[:n]
    flat = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(flat) < n:
        raise ValueError(f"need {n} axes, one per panel, but got {len(flat)}")
    return flat[0].figure, flat[:n]


def layer_names(n_layers: int) -> list:
    """Labels of ``n_layers`` weight layers of a net: hidden layer 1..n-1, then output layer."""
    return [f"hidden layer {i + 1}" for i in range(n_layers - 1)] + ["output layer"]


# ----------------------------------------------------------------------------- activations
def plot_activation_grid(names=None, x=None, axes=None, ncols=4):
    """Grid of panels, each showing one activation f(x) and its derivative f'(x).

    names  activation names (see ``coursepkg.activations.names()``) or Activation
           objects, e.g. ``activations.get("leaky_relu", alpha=0.1)``; default: all
           element-wise activations.
    x      1-D array of inputs, default 501 points in [-5, 5].
    axes   optional Axes (array or list, at least one per name); else a new figure
           with ``ncols`` panels per row.
    Returns the Figure. In each panel line 0 is f, line 1 is f'.
    """
    if names is None:
        names = [n for n in activations.names() if activations.get(n).elementwise]
    elif isinstance(names, (str, activations.Activation)):
        names = [names]
    acts = [n if isinstance(n, activations.Activation) else activations.get(n) for n in names]
    for act in acts:
        if not act.elementwise:
            raise ValueError(f"{act.name!r} is not element-wise and has no curve f(x); "
                             f"plot one of the element-wise activations")
    x = np.linspace(-5, 5, 501) if x is None else np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D array of inputs, got shape {x.shape}")

    fig, axs = _axes_list(axes, len(acts), ncols)
    for act, ax in zip(acts, axs):
        ax.plot(x, act.f(x), color="C0", lw=2, label="f(x)")
        ax.plot(x, act.df(x), color="C1", lw=1.5, ls="--", label="f'(x)")
        ax.axhline(0, color="0.7", lw=0.8, zorder=0)
        ax.axvline(0, color="0.7", lw=0.8, zorder=0)
        params = ", ".join(f"{k}={v}" for k, v in act.params.items())
        ax.set_title(f"{act.name} ({params})" if params else act.name)
        ax.set_xlabel("x")
        ax.legend(loc="upper left", fontsize="small")
    return fig


# ----------------------------------------------------------------------------- gradients
def plot_grad_w(grad_w, log=True, ax=None, layer_labels=None, xlabel="epoch",
                title="mean absolute weight gradient per layer"):
    """Curves of ``grad_w`` (shape (n_layers, n_epochs)): one line per layer.

    Row 0 is the first hidden layer, the last row the output layer; the lines are
    labelled so (or with ``layer_labels``) and coloured from dark (first layer) to
    light (output layer). With ``log=True`` the y axis is logarithmic, which is how
    vanishing gradients (many orders of magnitude apart) become visible.
    Returns the Figure.
    """
    grad_w = np.asarray(grad_w, dtype=np.float64)
    if grad_w.ndim != 2 or grad_w.shape[0] == 0:
        raise ValueError(f"grad_w must have shape (n_layers, n_epochs), got {grad_w.shape}")
    n_layers, n_steps = grad_w.shape
    labels = layer_names(n_layers) if layer_labels is None else list(layer_labels)
    if len(labels) != n_layers:
        raise ValueError(f"got {len(labels)} layer_labels for {n_layers} rows of grad_w")
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    else:
        fig = ax.figure
    colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, n_layers))
    steps = np.arange(n_steps)
    for row, label, colour in zip(grad_w, labels, colours):
        ax.plot(steps, row, color=colour, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean |dL/dW|" + (" (log scale)" if log else ""))
    ax.set_title(title)
    if n_layers <= 4:
        ax.legend(fontsize="small")
    else:  # many layers: keep the legend off the curves
        ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


def plot_layer_histograms(values_per_layer, axes=None, bins=50, density=True,
                          title=None, xlabel="value", ncols=5, log=False):
    """One histogram per layer of gradients or activations.

    values_per_layer  a dict {layer name: array} (in layer order) or a list of arrays
                      (labelled layer 1, 2, ...); arrays of any shape, flattened.
    bins, density     as in ``Axes.hist``; density=True makes layers comparable.
    title             figure title (suptitle), e.g. "weight gradients, sigmoid net".
    log               logarithmic count/density axis.
    Returns the Figure. Panel i shows layer i with its name as title.
    """
    if isinstance(values_per_layer, dict):
        labels, values = list(values_per_layer.keys()), list(values_per_layer.values())
    elif isinstance(values_per_layer, (list, tuple)):
        values = list(values_per_layer)
        labels = [f"layer {i + 1}" for i in range(len(values))]
    else:
        raise ValueError("values_per_layer must be a dict {layer name: array} or a list of "
                         f"arrays, got {type(values_per_layer).__name__}")
    if not values:
        raise ValueError("values_per_layer is empty: give at least one layer")
    values = [np.ravel(np.asarray(getattr(v, "value", v), dtype=np.float64)) for v in values]

    fig, axs = _axes_list(axes, len(values), ncols)
    for label, v, ax in zip(labels, values, axs):
        ax.hist(v[np.isfinite(v)], bins=bins, density=density, color="C0", alpha=0.8)
        ax.set_title(str(label))
        ax.set_xlabel(xlabel)
        ax.set_ylabel("density" if density else "count")
        if log:
            ax.set_yscale("log")
    if title:
        fig.suptitle(title)
    return fig
