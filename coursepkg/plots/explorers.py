"""The book's interactive figures, built from arrays (e.g. ``coursepkg.bookdata.load(...)``).

- ``activation_explorer(zoo)``: the activation zoo (keys of ``activation_zoo.npz``).
- ``gradient_flow_explorer(grad_w)``: per-layer gradient flow of several training runs.
- ``training_explorer(histories)``: per-epoch curves of several networks.

Each returns an ``InteractiveFigure`` (shown by a notebook cell that ends with it) whose
static PNG, for print, is drawn by the matching matplotlib helper of ``coursepkg.plots``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .flow import layer_colours, plot_gradient_flow, rolling_quantiles
from .interactive import InteractiveFigure, _require, _tab10
from .static import layer_names, plot_validation_curves

__all__ = ["activation_explorer", "gradient_flow_explorer", "training_explorer", "ZOO"]

ZOO = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "swish", "gelu", "softplus")
_FAMILY = {"leaky_relu": "alpha", "elu": "alpha", "swish": "beta"}
_SHOWN = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "swish")


def _nearest(values: np.ndarray, target: float) -> int:
    return int(np.argmin(np.abs(np.asarray(values, dtype=float) - target)))


def _zoo_static(zoo: Mapping[str, np.ndarray], functions: Sequence[str], colours: list[str]):
    """The print version: f and f' of every function at its default parameters, and the
    softmax at temperature 1."""
    fig, (ax_f, ax_df, ax_s) = plt.subplots(3, 1, figsize=(6.4, 9.0), layout="constrained",
                                            height_ratios=[3, 3, 2])
    x = np.asarray(zoo["x"])
    for fn, colour in zip(functions, colours):
        ax_f.plot(x, zoo[f"f/{fn}"], color=colour, lw=1.8, label=fn)
        ax_df.plot(x, zoo[f"df/{fn}"], color=colour, lw=1.8, label=fn)
    for ax, label in ((ax_f, "f(x)"), (ax_df, "f'(x)")):
        ax.axhline(0, color="0.7", lw=0.8, zorder=0)
        ax.axvline(0, color="0.7", lw=0.8, zorder=0)
        ax.set(xlabel="x", ylabel=label)
    ax_f.set_ylim(-2, 4)
    ax_f.legend(ncols=3, loc="upper left")
    t = _nearest(zoo["T"], 1.0)
    ax_s.bar([f"z={z:g}" for z in zoo["logits"]], zoo["softmax@T"][t], color="C0")
    ax_s.set(ylabel="softmax", title=f"softmax of the logits at T = {zoo['T'][t]:g}")
    return fig


def activation_explorer(zoo: Mapping[str, np.ndarray], functions: Sequence[str] = ZOO,
                        shown: Sequence[str] = _SHOWN, stride: int = 3) -> InteractiveFigure:
    """The activation zoo: f(x) and f'(x) of the functions ticked (checkboxes), sliders
    for the LeakyReLU/ELU alpha, the Swish beta and the softmax temperature T, hover to
    read f and f' at any x.

    zoo        mapping with the keys of ``activation_zoo.npz``: ``x`` (grid, shape (n,)),
               ``f/<fn>``, ``df/<fn>`` (shape (n,)), ``alpha``, ``beta``, ``T`` (1-D),
               ``f/<fn>@alpha`` etc. (shape (len(alpha), n)), ``logits`` (shape (k,)),
               ``softmax@T`` (shape (len(T), k)).
    functions  the functions offered; ``shown`` those ticked at first.
    stride     keep every stride-th point of the grid (page weight).
    """
    functions = list(functions)
    needed = ["x", "alpha", "beta", "T", "logits", "softmax@T"]
    for fn in functions:
        param = _FAMILY.get(fn)
        needed += [f"f/{fn}", f"df/{fn}"] + ([f"f/{fn}@{param}", f"df/{fn}@{param}"] if param else [])
    _require(zoo, needed, "the activation-zoo data")
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    colours = _tab10(len(functions))
    x = np.asarray(zoo["x"], dtype=float)[::stride]
    series, lims = [], {"f": [0.0, 0.0], "df": [0.0, 0.0]}
    for fn, colour in zip(functions, colours):
        for chart in ("f", "df"):
            param = _FAMILY.get(fn)
            s = {"chart": chart, "key": fn, "label": fn, "color": colour}
            if param:
                values = np.asarray(zoo[f"{chart}/{fn}@{param}"], dtype=float)[:, ::stride]
                s.update(ys=values, param=param)
            else:
                values = np.asarray(zoo[f"{chart}/{fn}"], dtype=float)[::stride]
                s.update(y=values)
            lims[chart] = [min(lims[chart][0], np.nanmin(values)), max(lims[chart][1], np.nanmax(values))]
            series.append(s)
    series.append({"chart": "softmax", "key": "softmax", "label": "softmax", "color": "#1f77b4",
                   "ys": np.asarray(zoo["softmax@T"], dtype=float), "param": "T"})
    pad = {c: 0.05 * (hi - lo) for c, (lo, hi) in lims.items()}
    spec = {
        "xs": {"x": x},
        "charts": [
            {"id": "f", "title": "f(x)", "xlabel": "x", "ylabel": "f(x)", "x": "x", "short": "f",
             "hover": "zoo", "ylim": [max(lims["f"][0], -3) - pad["f"], min(lims["f"][1], 5)]},
            {"id": "df", "title": "f\u2032(x)", "xlabel": "x", "ylabel": "f\u2032(x)", "x": "x",
             "short": "f\u2032", "hover": "zoo",
             "ylim": [lims["df"][0] - pad["df"], lims["df"][1] + pad["df"]]},
            {"id": "softmax", "kind": "bars", "title": "softmax(z / T) of five logits z",
             "ylabel": "probability", "ylim": [0, 1], "aspect": 0.5,
             "categories": [f"z={z:g}" for z in np.asarray(zoo["logits"], dtype=float)]},
        ],
        "series": series,
        "params": [
            {"name": "alpha", "label": "\u03b1 (LeakyReLU, ELU)", "values": np.asarray(zoo["alpha"], float),
             "index": _nearest(zoo["alpha"], 0.1)},
            {"name": "beta", "label": "\u03b2 (Swish)", "values": np.asarray(zoo["beta"], float),
             "index": _nearest(zoo["beta"], 1.0)},
            {"name": "T", "label": "T (softmax)", "values": np.asarray(zoo["T"], float),
             "index": _nearest(zoo["T"], 1.0)},
        ],
        "toggles": {"label": "functions", "items": [{"key": fn, "label": fn, "color": c, "on": fn in shown}
                                                    for fn, c in zip(functions, colours)]},
        "maxColumns": 2,
    }
    alt = ("Activation functions f(x) and their derivatives f'(x) on x from -6 to 6 ("
           + ", ".join(functions) + "), and a bar chart of the softmax of five logits at temperature 1.")
    return InteractiveFigure(spec, _zoo_static(zoo, functions, colours), alt)


def _grad_logs(grad_w: Mapping, n_hidden_layers: int | None) -> dict[str, np.ndarray]:
    """{run name: (layers, steps) array} from {name: array} or from the vanishing-gradient
    data's keys ``grad_w/<act>/<n>`` (then ``n_hidden_layers`` picks n)."""
    prefixed = [k for k in grad_w if str(k).startswith("grad_w/")]
    if not prefixed:
        return {str(k): np.asarray(v, dtype=float) for k, v in grad_w.items()}
    depths = sorted({int(k.split("/")[2]) for k in prefixed})
    if n_hidden_layers is None:
        if len(depths) > 1:
            raise ValueError(f"the data holds runs of {depths} hidden layers: pass n_hidden_layers")
        n_hidden_layers = depths[0]
    logs = {k.split("/")[1]: np.asarray(v, dtype=float) for k, v in grad_w.items()
            if str(k).startswith("grad_w/") and k.split("/")[2] == str(n_hidden_layers)}
    if not logs:
        raise KeyError(f"no grad_w/<act>/{n_hidden_layers} in the data; depths there: {depths}")
    return logs


def gradient_flow_explorer(grad_w: Mapping, n_hidden_layers: int | None = None, window: int = 15,
                           stride: int = 3, ylabel: str = "mean |dL/dW|") -> InteractiveFigure:
    """Per-layer gradient flow of several runs: one chart per run, the rolling median of
    each layer's log with its inter-quartile band (window ``window`` steps, a point every
    ``stride`` steps), log scale (switchable), layers toggled, hover to read.

    grad_w  {run name: array (layers, steps)}, layer 0 next to the input, the last the
            output layer; or the vanishing-gradient data with keys ``grad_w/<act>/<n>``.
    """
    logs = _grad_logs(grad_w, n_hidden_layers)
    shapes = {name: log.shape for name, log in logs.items()}
    if any(len(s) != 2 for s in shapes.values()) or len({s[0] for s in shapes.values()}) != 1:
        raise ValueError(f"every log must be (layers, steps) with the same layers, got {shapes}")
    n_layers = next(iter(shapes.values()))[0]
    names, colours = layer_names(n_layers), layer_colours(n_layers)
    series, xs, charts = [], {}, []
    for run, log in logs.items():
        steps, (lo, mid, hi) = rolling_quantiles(log, window=window, stride=stride)
        xs[run] = steps
        charts.append({"id": run, "title": f"{run} hidden layers", "xlabel": "training step",
                       "ylabel": ylabel, "x": run, "log": True, "aspect": 0.5})
        series += [{"chart": run, "key": f"L{k}", "label": names[k], "color": colours[k],
                    "y": mid[k], "lo": lo[k], "hi": hi[k]} for k in range(n_layers)]
    spec = {"xs": xs, "charts": charts, "series": series, "logToggle": True, "maxColumns": 1,
            "toggles": {"label": "layers", "items": [{"key": f"L{k}", "label": names[k].replace(
                "hidden layer", "hidden"), "color": colours[k]} for k in range(n_layers)]}}
    fig, axs = plt.subplots(len(logs), 1, figsize=(6.4, 2.9 * len(logs)), sharex=True,
                            layout="constrained", squeeze=False)
    for k, (ax, (run, log)) in enumerate(zip(axs[:, 0], logs.items())):
        plot_gradient_flow(log, ax=ax, window=window, title=f"{run} hidden layers", ylabel=ylabel,
                           xlabel="training step" if k == len(logs) - 1 else "", legend=k == 0)
    alt = (f"Per-layer {ylabel} during training on a log scale, one panel per run ("
           + ", ".join(logs) + f"): for each of the {n_layers} layers the rolling median over "
           f"{window} steps with its inter-quartile band, from hidden layer 0 (dark) to the output "
           "layer (light).")
    return InteractiveFigure(spec, fig, alt)


def training_explorer(histories: Mapping, keys: Sequence[str] = ("val_accuracy",),
                      labels: Mapping[str, str] | None = None) -> InteractiveFigure:
    """Per-epoch curves of several networks, one chart per key (e.g. ``val_accuracy``,
    ``loss``), networks toggled, hover to read every network's value at an epoch.

    histories  {network: history}, a history being a dict of per-epoch lists (Keras'
               ``fit().history``) or an object with such a ``history`` attribute.
    labels     optional axis labels per key.
    """
    runs = {str(n): getattr(h, "history", h) for n, h in histories.items()}
    if not runs:
        raise ValueError("histories is empty: give at least one network")
    for key in keys:
        for name, h in runs.items():
            if not isinstance(h, Mapping) or key not in h:
                raise KeyError(f"the history of {name!r} has no {key!r}; it has "
                               f"{sorted(h) if isinstance(h, Mapping) else type(h).__name__}")
    n_epochs = max(len(h[k]) for h in runs.values() for k in keys)
    colours = _tab10(len(runs))
    labels = dict(labels or {})
    charts, series = [], []
    for key in keys:
        label = labels.get(key, key.replace("val_", "validation ").replace("_", " "))
        charts.append({"id": key, "title": label, "xlabel": "epoch", "ylabel": label, "x": "epoch",
                       "hover": "epochs", "short": label if len(keys) > 1 else ""})
        for (name, h), colour in zip(runs.items(), colours):
            y = np.full(n_epochs, np.nan)
            y[:len(h[key])] = np.asarray(h[key], dtype=float)
            series.append({"chart": key, "key": name, "label": name, "color": colour, "y": y})
    spec = {"xs": {"epoch": np.arange(1, n_epochs + 1)}, "charts": charts, "series": series,
            "maxColumns": 2, "toggles": {"label": "networks", "items": [
                {"key": n, "label": n, "color": c} for n, c in zip(runs, colours)]}}
    fig, axs = plt.subplots(len(keys), 1, figsize=(6.4, 3.8 * len(keys)), layout="constrained",
                            squeeze=False)
    for ax, key in zip(axs[:, 0], keys):
        plot_validation_curves(runs, key=key, ax=ax)
    alt = (f"{', '.join(keys)} per epoch of the networks " + ", ".join(runs) + ", one line each.")
    return InteractiveFigure(spec, fig, alt)
