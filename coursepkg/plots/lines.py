"""A general interactive line figure: ``lines_explorer``.

Named lines drawn in one or more charts (e.g. the per-layer spread of the signal and of
the gradient, one line per activation function), one checkbox per line name shared by
every chart, an optional slider over named settings (e.g. the initialisation), a
log-scale switch and hover to read. The chapters after *Deeper networks* build their
explorers with it from their own runs; the static PNG (print, no JavaScript) shows every
line at the slider's first position, one chart per row.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .interactive import InteractiveFigure, _tab10
from .panels import PANEL_HEIGHT, WIDTH

__all__ = ["lines_explorer"]


def _per_chart(value, charts: Sequence[str], what: str):
    """{chart: value} from one value for all charts or a mapping (missing charts: None)."""
    if isinstance(value, Mapping):
        unknown = set(value) - set(charts)
        if unknown:
            raise KeyError(f"{what} names charts {sorted(unknown)} that do not exist; the charts "
                           f"are {list(charts)}")
        return {c: value.get(c) for c in charts}
    return dict.fromkeys(charts, value)


def _checked_lines(charts: Mapping, grids: Mapping, settings) -> dict[str, dict[str, np.ndarray]]:
    """The lines as float arrays, each (n,) or (len(settings), n); a clear error otherwise."""
    out = {}
    for chart, lines in charts.items():
        if not lines:
            raise ValueError(f"the chart {chart!r} has no lines")
        n = len(grids[chart])
        out[chart] = {}
        for label, y in lines.items():
            y = np.asarray(y, dtype=float)
            rows_ok = settings is not None and y.shape == (len(settings), n)
            if y.shape != (n,) and not rows_ok:
                accepted = f"({n},)" + (f" or ({len(settings)}, {n}), one row per setting"
                                        if settings is not None else "")
                raise ValueError(f"the line {label!r} of the chart {chart!r} has shape {y.shape}; "
                                 f"accepted: {accepted} (n = the length of the chart's x)")
            out[chart][str(label)] = y
    return out


def _checked_bands(bands, lines) -> dict:
    """{(chart, line): (lo, hi)} as float arrays of the line's shape; a clear error otherwise."""
    out = {}
    for chart, per_line in (bands or {}).items():
        for label, pair in per_line.items():
            if chart not in lines or label not in lines[chart]:
                raise KeyError(f"bands name the line {label!r} of the chart {chart!r}, which does not "
                               "exist")
            shape = lines[chart][label].shape
            lo, hi = (np.asarray(v, dtype=float) for v in pair)
            if lo.shape != shape or hi.shape != shape:
                raise ValueError(f"the band of {label!r} in {chart!r} has shapes {lo.shape} and "
                                 f"{hi.shape}; accepted: {shape}, the shape of its line")
            out[chart, label] = (lo, hi)
    return out


def _grids(x, titles: Sequence[str]) -> dict[str, np.ndarray]:
    """{chart: x grid} from one grid for every chart or {chart: grid}."""
    grid_of = _per_chart(x if isinstance(x, Mapping) else np.asarray(x, dtype=float), titles, "x")
    if any(g is None for g in grid_of.values()):
        raise KeyError(f"x gives no grid for the charts {[c for c, g in grid_of.items() if g is None]}")
    return {c: np.asarray(g, dtype=float) for c, g in grid_of.items()}


def _series(titles, lines, band_of, colours, band_label) -> list[dict]:
    """The spec's series: chart k is ``c<k>``; rows per setting as ``ys`` + param."""
    series = []
    for k, c in enumerate(titles):
        for label, y in lines[c].items():
            s = {"chart": f"c{k}", "key": label, "label": label, "color": colours[label]}
            s.update({"ys": y, "param": "setting"} if y.ndim == 2 else {"y": y})
            if (c, label) in band_of:
                s["lo"], s["hi"] = band_of[c, label]
                s["band"] = band_label
            series.append(s)
    return series


def _static(lines, grids, xlabels, ylabels, logs, colours, index, bands=None):
    """One chart per row, every line (and its band) at setting ``index``."""
    fig, axs = plt.subplots(len(lines), 1, squeeze=False, layout="constrained",
                            figsize=(WIDTH, PANEL_HEIGHT * len(lines) + 0.4))
    for ax, (chart, series) in zip(axs[:, 0], lines.items()):
        for label, y in series.items():
            ax.plot(grids[chart], y[index] if y.ndim == 2 else y, color=colours[label], label=label)
            if (chart, label) in (bands or {}):
                lo, hi = (v[index] if v.ndim == 2 else v for v in bands[chart, label])
                ax.fill_between(grids[chart], lo, hi, color=colours[label], alpha=0.2, lw=0)
        ax.set_title(chart)
        ax.set(xlabel=xlabels[chart] or "", ylabel=ylabels[chart] or "")
        if logs[chart]:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axs[0, 0].legend(ncols=2, loc="best", frameon=False)
    return fig


def lines_explorer(charts: Mapping[str, Mapping[str, Sequence[float]]], x, *, xlabel="x",
                   ylabel=None, log=False, settings: Sequence[str] | None = None,
                   setting_label: str = "setting", setting_index: int = 0,
                   toggle_label: str = "lines", shown: Sequence[str] | None = None,
                   colors: Mapping[str, str] | None = None, shorts=None, bands=None,
                   band_label: str = "band",
                   alt: str | None = None) -> InteractiveFigure:
    """Named lines in one chart per entry of ``charts``, lines toggled by name, hover to read.

    charts   {chart title: {line name: y}}; y has shape (n,), or (len(settings), n) for a
             line that changes with the slider (one row per setting); n = len of the
             chart's x. A line name used in several charts has one colour and one checkbox.
    x        the x grid (n,) of every chart, or {chart title: grid}.
    xlabel, ylabel, log, shorts   one value for every chart or {chart title: value};
             ``log``: a log y axis at first (then a switch turns log scales on and off);
             ``shorts``: the chart's name in the hover box (default: none for one chart).
    settings labels of the slider's stops (e.g. ``["Var(W) = 1/n", ...]``), None: no
             slider; ``setting_index``: the stop shown first and in the print picture.
    shown    the line names ticked at first (default: all).
    bands    optional {chart title: {line name: (lo, hi)}}, a shaded band around a line
             (e.g. percentiles of many runs), each of the line's shape; ``band_label``
             names it in the hover box (e.g. "5-95 %").
    """
    titles = [str(c) for c in charts]
    if not titles:
        raise ValueError("charts is empty: give at least one chart of lines")
    charts = {str(c): lines for c, lines in charts.items()}
    grids = _grids(x, titles)
    if settings is not None and not 0 <= setting_index < len(settings):
        raise ValueError(f"setting_index {setting_index} is outside 0..{len(settings) - 1}")
    lines = _checked_lines(charts, grids, settings)
    band_of = _checked_bands(bands, lines)
    names = list(dict.fromkeys(label for series in lines.values() for label in series))
    colours = dict(zip(names, _tab10(len(names))))
    colours.update(colors or {})
    xlabels, ylabels = _per_chart(xlabel, titles, "xlabel"), _per_chart(ylabel, titles, "ylabel")
    logs = {c: bool(v) for c, v in _per_chart(log, titles, "log").items()}
    default_short = None if len(titles) == 1 else {c: c.split(":")[0] for c in titles}
    shorts = _per_chart(shorts if shorts is not None else default_short, titles, "shorts")
    keys = {}   # identical grids share an x key, so hovering one chart reads them all
    for c, g in grids.items():
        keys[c] = next((k for k, other in keys.items() if np.array_equal(grids[k], g)), c)
    spec_charts = [{"id": f"c{k}", "title": c, "xlabel": xlabels[c] or "", "ylabel": ylabels[c] or "",
                    "x": keys[c], "hover": keys[c], "short": shorts[c] or "", "log": logs[c],
                    "aspect": 0.6} for k, c in enumerate(titles)]
    series = _series(titles, lines, band_of, colours, band_label)
    spec = {"xs": {keys[c]: grids[c] for c in titles}, "charts": spec_charts, "series": series,
            "logToggle": any(logs.values()), "maxColumns": 2,
            "toggles": {"label": toggle_label, "items": [
                {"key": n, "label": n, "color": colours[n], "on": shown is None or n in shown}
                for n in names]}}
    if settings is not None:
        spec["params"] = [{"name": "setting", "label": setting_label,
                           "values": list(range(len(settings))),
                           "labels": [str(s) for s in settings], "index": setting_index}]
    fig = _static(lines, grids, xlabels, ylabels, logs, colours, setting_index, band_of)
    if alt is None:
        where = f" at {settings[setting_index]}" if settings is not None else ""
        alt = (f"{len(titles)} chart(s), " + "; ".join(titles) + ", with one line each for "
               + ", ".join(names) + where + ".")
    return InteractiveFigure(spec, fig, alt)
