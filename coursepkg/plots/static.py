"""Generic plotting helpers of the book: activation curves and per-layer histograms.

- ``plot_activation_grid``: one panel per activation, the function and its derivative.
- ``plot_layer_histograms``: one histogram per layer, for gradients or activations.
- ``plot_layer_distributions``: one panel per network, one outline histogram per layer
  (gradients on a log scale, or layer outputs).
- ``plot_validation_curves``: validation accuracy per epoch, one line per network.
- ``gradient_table``, ``accuracy_table``, ``dead_neuron_table``: the deeper-networks
  chapter's result tables (pandas DataFrames).
- ``layer_names``: the labels the book uses for the layers of a net, numbered from 0.

Each helper draws into the ``ax``/``axes`` you pass (or makes a new figure), sets
titles and axis labels, and returns the matplotlib Figure. None calls ``plt.show()``:
in a notebook the figure appears by itself; in a script call ``plt.show()`` or
``fig.savefig(...)``. Nothing here solves an exercise: the helpers take the functions
or values to draw as arguments.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_activation_grid", "plot_layer_histograms", "plot_layer_distributions",
           "plot_validation_curves", "gradient_table", "accuracy_table", "dead_neuron_table",
           "layer_names"]


def _axes_list(axes: Axes | Sequence[Axes] | np.ndarray | None, n: int, ncols: int,
               panel_size: tuple[float, float] = (2.4, 2.0),
               sharex: bool = False) -> tuple[Figure, list[Axes]]:
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
def _as_curve(act: Any) -> tuple[str, Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
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


def plot_activation_grid(acts: Sequence[Any], x: np.ndarray | None = None,
                         axes: Axes | Sequence[Axes] | np.ndarray | None = None,
                         ncols: int = 3) -> Figure:
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
        ax.legend(loc="upper left")
    return fig


# ----------------------------------------------------------------------------- histograms
def plot_layer_histograms(values_per_layer: dict[str, np.ndarray] | Sequence[np.ndarray],
                          axes: Axes | Sequence[Axes] | np.ndarray | None = None,
                          bins: int | Sequence[float] = 50, density: bool = True,
                          title: str | None = None, xlabel: str = "value", ncols: int = 3,
                          log: bool = False) -> Figure:
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


# ----------------------------------------------------------------------------- layer distributions
def plot_layer_distributions(values: dict, log_abs: bool = False, bins: int = 40,
                             ncols: int = 2, axes: Axes | Sequence[Axes] | np.ndarray | None = None,
                             xlabel: str = "value", title: str | None = None,
                             panel_size: tuple[float, float] = (2.9, 2.8)) -> Figure:
    """One panel per network, one outline histogram per layer in it.

    values   {network name: {layer label: array}} or {network name: [arrays]} (labelled
             "layer 0", "layer 1", ...); arrays of any shape, flattened. Layers are
             coloured from dark (input side) to light (output side), the same in every
             panel.
    log_abs  histogram |value| on log-spaced bins (the same for all layers of a panel)
             with a log x axis, for gradients that span orders of magnitude; the
             height is the share of the layer's values in the bin (the smallest 0.5 %
             are counted in the first bin). Exact zeros have no place on that axis;
             their share is given in the layer's legend entry ("layer 2, 31% = 0").
    axes     optional Axes, at least one per network; else a new figure with ``ncols``
             panels per row, sized so that its text stays readable on a page.
    Returns the Figure. Panel i shows network i, its title is the network's name.
    """
    if not isinstance(values, dict) or not values:
        raise ValueError("values must be a non-empty dict {network name: {layer: array}} "
                         f"or {{network name: [arrays]}}, got {type(values).__name__}")
    rows = {}
    for name, layers in values.items():
        if isinstance(layers, dict):
            rows[name] = [(str(k), v) for k, v in layers.items()]
        elif isinstance(layers, (list, tuple)):
            rows[name] = [(f"layer {i}", v) for i, v in enumerate(layers)]
        else:
            raise ValueError(f"values[{name!r}] must be a dict {{layer: array}} or a list of "
                             f"arrays, got {type(layers).__name__}")
    n_layers = max(len(layers) for layers in rows.values())
    colours = plt.get_cmap("viridis")(np.linspace(0, 0.85, max(n_layers, 2)))
    fig, axs = _axes_list(axes, len(rows), ncols, panel_size=panel_size)
    for (name, layers), ax in zip(rows.items(), axs):
        flat = [np.ravel(np.asarray(v, dtype=np.float64)) for _, v in layers]
        flat = [v[np.isfinite(v)] for v in flat]
        if log_abs:
            logs = [np.log10(np.abs(v[v != 0])) for v in flat]
            pooled = np.concatenate(logs) if any(len(g) for g in logs) else np.zeros(1)
            lo, hi = np.percentile(pooled, 0.5), pooled.max()  # the tiniest 0.5 % go left
            hi = hi if hi > lo else lo + 1
        for k, ((label, _), v) in enumerate(zip(layers, flat)):
            if log_abs:
                zeros = 1 - len(logs[k]) / max(len(v), 1)
                if zeros >= 0.005:
                    label = f"{label}, {zeros:.0%} = 0"
                ax.hist(10 ** np.clip(logs[k], lo, hi), bins=np.logspace(lo, hi, bins + 1),
                        weights=np.full(len(logs[k]), 1 / max(len(v), 1)), histtype="step",
                        lw=1.6, color=colours[k], label=label)
            else:
                ax.hist(v, bins=bins, density=True, histtype="step", lw=1.6,
                        color=colours[k], label=label)
        if log_abs:
            ax.set_xscale("log")
        ax.set_title(str(name))
        ax.set_xlabel(f"|{xlabel}| (log scale)" if log_abs else xlabel)
        ax.set_ylabel("share of values" if log_abs else "density")
        ax.legend(handlelength=1.0, labelspacing=0.25, borderaxespad=0.3)
    if title:
        fig.suptitle(title)
    return fig


def plot_validation_curves(histories: dict, key: str = "val_accuracy",
                           ax: Axes | None = None) -> Figure:
    """One line per network: ``key`` (default validation accuracy) after every epoch.

    histories  {name: history}, a history being a dict of per-epoch lists (Keras'
               ``fit().history``), an object with such a ``history`` attribute (e.g. a
               ``deepnets.TrainResult``) or a list of values. Epochs count from 1.
    Returns the Figure.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.8, 3.8), layout="constrained")
    else:
        fig = ax.figure
    for name, history in histories.items():
        history = getattr(history, "history", history)
        curve = history.get(key, []) if isinstance(history, dict) else list(history)
        ax.plot(range(1, len(curve) + 1), curve, marker="o", ms=3, label=str(name))
    ax.set(xlabel="epoch", ylabel=key.replace("val_", "validation ").replace("_", " "))
    ax.legend(ncols=2)
    return fig


# ----------------------------------------------------------------------------- tables
def gradient_table(grads: dict[str, Sequence[np.ndarray]], formatted: bool = True) -> pd.DataFrame:
    """Mean |grad_w| per weight matrix: one row per layer (numbered from 0, input side
    first), one column per network; a pandas DataFrame. ``grads`` is
    {network: [grad_w arrays]}; ``formatted`` gives strings like "2.1e-06"."""
    import pandas as pd
    cols = {name: [float(np.abs(np.asarray(g)).mean()) for g in grad_ws]
            for name, grad_ws in grads.items()}
    n_layers = max(len(c) for c in cols.values())
    cols = {name: c + [np.nan] * (n_layers - len(c)) for name, c in cols.items()}
    table = pd.DataFrame(cols, index=pd.Index(range(n_layers), name="layer"))
    if formatted:
        table = table.map(lambda v: "" if np.isnan(v) else f"{v:.1e}")
    return table


def accuracy_table(results: dict, published: dict | None = None,
                   published_label: str = "published (%)") -> pd.DataFrame:
    """Test accuracy (%), best validation accuracy (%) and epochs run per network,
    plus a column of published accuracies (fractions in [0, 1]) if given; a DataFrame.
    ``results`` is {name: object with ``test_accuracy`` and ``history``}."""
    import pandas as pd
    table = pd.DataFrame({
        "test accuracy (%)": {n: 100 * r.test_accuracy for n, r in results.items()},
        "best val. accuracy (%)": {n: 100 * max(r.history.get("val_accuracy", [np.nan]))
                                   for n, r in results.items()},
        "epochs": {n: len(r.history.get("val_accuracy", [])) for n, r in results.items()},
    })
    if published is not None:
        table[published_label] = [100 * published.get(n, np.nan) for n in table.index]
    return table.round(2).rename_axis("act_func")


def dead_neuron_table(counts: dict) -> pd.DataFrame:
    """Dead units per hidden layer as "count (percent)", one row per layer (numbered from
    0), one column per network; a DataFrame. ``counts`` is {network: object with
    ``counts``, ``percentages``} (e.g. ``deepnets.DeadNeurons``). Narrow on purpose:
    ten layers fit a phone screen."""
    import pandas as pd
    n_layers = max(len(d.counts) for d in counts.values())
    cols = {name: [f"{c} ({p:.1f}%)" for c, p in zip(d.counts, d.percentages)]
            + [""] * (n_layers - len(d.counts)) for name, d in counts.items()}
    return pd.DataFrame(cols, index=pd.Index(range(n_layers), name="hidden layer"))
