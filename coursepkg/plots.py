"""Generic plotting helpers of the book: activation curves and per-layer histograms.

- ``plot_activation_grid``: one panel per activation, the function and its derivative.
- ``plot_layer_histograms``: one histogram per layer, for gradients or activations.
- ``layer_names``: the labels the book uses for the layers of a net, numbered from 0.

Each helper draws into the ``ax``/``axes`` you pass (or makes a new figure), sets
titles and axis labels, and returns the matplotlib Figure. None calls ``plt.show()``:
in a notebook the figure appears by itself; in a script call ``plt.show()`` or
``fig.savefig(...)``. Nothing here solves an exercise: the helpers take the functions
or values to draw as arguments.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_activation_grid", "plot_layer_histograms", "layer_names"]


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


def layer_names(n_layers: int) -> list[str]:
    """Labels of ``n_layers`` weight layers of a net, numbered from 0 like ``h0``, ``h1``:
    "hidden layer 0" .. "hidden layer n_layers-2", then "output layer"."""
    if n_layers < 1:
        raise ValueError(f"n_layers must be >= 1, got {n_layers}")
    return [f"hidden layer {i}" for i in range(n_layers - 1)] + ["output layer"]


# ----------------------------------------------------------------------------- activations
def _as_curve(act: Any):
    """(title, f, df) of an activation given as an object with ``name``, ``f``, ``df``
    (and optionally ``params``, ``elementwise``) or as a tuple (name, f, df)."""
    if isinstance(act, tuple) and len(act) == 3:
        name, f, df = act
        return str(name), f, df
    if all(hasattr(act, k) for k in ("name", "f", "df")):
        if not getattr(act, "elementwise", True):
            raise ValueError(f"{act.name!r} is not element-wise and has no curve f(x); "
                             f"plot one of the element-wise activations")
        params = ", ".join(f"{k}={v}" for k, v in getattr(act, "params", {}).items())
        return (f"{act.name} ({params})" if params else act.name), act.f, act.df
    raise ValueError("each activation must be a tuple (name, f, df) or an object with "
                     f"name, f and df attributes, got {act!r}")


def plot_activation_grid(acts: Sequence[Any], x=None, axes=None, ncols: int = 4):
    """Grid of panels, each showing one activation f(x) and its derivative f'(x).

    acts   a list of activations, each a tuple ``(name, f, df)`` of a title and two
           element-wise functions, or an object with ``name``, ``f``, ``df`` (and
           optional ``params`` shown in the title), e.g. a registry entry.
    x      1-D array of inputs, default 501 points in [-5, 5].
    axes   optional Axes (array or list, at least one per activation); else a new
           figure with ``ncols`` panels per row.
    Returns the Figure. In each panel line 0 is f, line 1 is f'.
    """
    if isinstance(acts, tuple) and len(acts) == 3 and isinstance(acts[0], str):
        acts = [acts]
    elif not isinstance(acts, (list, tuple)):
        acts = [acts]
    if not acts:
        raise ValueError("acts is empty: give at least one activation")
    curves = [_as_curve(a) for a in acts]
    x = np.linspace(-5, 5, 501) if x is None else np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D array of inputs, got shape {x.shape}")

    fig, axs = _axes_list(axes, len(curves), ncols)
    for (title, f, df), ax in zip(curves, axs):
        ax.plot(x, f(x), color="C0", lw=2, label="f(x)")
        ax.plot(x, df(x), color="C1", lw=1.5, ls="--", label="f'(x)")
        ax.axhline(0, color="0.7", lw=0.8, zorder=0)
        ax.axvline(0, color="0.7", lw=0.8, zorder=0)
        ax.set_title(title)
        ax.set_xlabel("x")
        ax.legend(loc="upper left", fontsize="small")
    return fig


# ----------------------------------------------------------------------------- histograms
def plot_layer_histograms(values_per_layer, axes=None, bins=50, density=True,
                          title=None, xlabel="value", ncols=5, log=False):
    """One histogram per layer of gradients or activations.

    values_per_layer  a dict {layer name: array} (in layer order) or a list of arrays
                      (labelled layer 0, 1, ...); arrays of any shape, flattened.
    bins, density     as in ``Axes.hist``; density=True makes layers comparable.
    title             figure title (suptitle), e.g. "weight gradients, sigmoid net".
    log               logarithmic count/density axis.
    Returns the Figure. Panel i shows layer i with its name as title.
    """
    if isinstance(values_per_layer, dict):
        labels, values = list(values_per_layer.keys()), list(values_per_layer.values())
    elif isinstance(values_per_layer, (list, tuple)):
        values = list(values_per_layer)
        labels = [f"layer {i}" for i in range(len(values))]
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
