"""Interactive figures of the book that work offline, in the rendered pages and in Jupyter.

The figure class is here; the book's figures are built in ``explorers.py``:

- ``InteractiveFigure``: data (a JSON spec) + the drawing code (``coursefig.js``, plain
  JavaScript and SVG, shipped inline with every figure, about 16 kB) + a static PNG of the
  same data drawn by matplotlib, shown in print and where JavaScript does not run.
- ``activation_explorer``: the activation zoo, f and f' of the functions you pick, sliders
  for the LeakyReLU/ELU alpha, the Swish beta and the softmax temperature, hover to read.
- ``gradient_flow_explorer``: per-layer gradient flow (rolling median and IQR band),
  layers toggled, log scale on and off, hover to read.
- ``training_explorer``: per-epoch training curves (e.g. validation accuracy) of several
  networks, networks toggled, hover to read.
- ``lines_explorer`` (``lines.py``): named lines in several charts (e.g. per-layer spreads),
  toggled by name, an optional slider over named settings, a log switch, hover to read.

A figure shows itself when it is the last value of a notebook cell (``_repr_html_``);
``fig.save(path)`` writes a stand-alone HTML page. Nothing is fetched from the network.
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["InteractiveFigure", "compact"]

_COUNTER = itertools.count()


def compact(value: Any, digits: int = 4) -> Any:
    """``value`` made JSON-ready: numpy arrays and floats become (nested) lists of floats
    with ``digits`` significant digits, NaN and infinities become None."""
    if isinstance(value, Mapping):
        return {str(k): compact(v, digits) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc":
            return [compact(v, digits) for v in value] if value.ndim > 1 else \
                [float(f"{v:.{digits}g}") if np.isfinite(v) else None for v in value.tolist()]
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [compact(v, digits) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(f"{float(value):.{digits}g}") if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _png_base64(fig: Figure, colours: int = 96) -> str:
    """The figure as a base64 PNG with a palette of ``colours`` (a third of the size of a
    full-colour PNG; line art loses nothing visible). The figure is closed."""
    from PIL import Image
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)   # else a notebook would show it a second time, as a plain image
    buffer.seek(0)
    with Image.open(buffer) as image:
        dpi = image.info.get("dpi", (100, 100))
        small = image.convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    small.save(out, format="png", optimize=True, dpi=dpi)
    return base64.b64encode(out.getvalue()).decode("ascii")


class InteractiveFigure:
    """An interactive figure: ``spec`` (the data and the controls, a dict, see
    ``coursefig.js``), the matplotlib Figure ``static`` drawn from the same data (kept as
    a PNG, then closed) and ``alt``, the text alternative of the picture."""

    def __init__(self, spec: dict, static: Figure, alt: str):
        if not spec.get("charts") or not spec.get("series"):
            raise ValueError("spec needs 'charts' and 'series'")
        self.spec = compact(spec)
        self.alt = alt
        self.png = _png_base64(static)
        digest = hashlib.sha1(json.dumps(self.spec, sort_keys=True).encode()).hexdigest()[:10]
        self.id = f"cfx-{digest}-{next(_COUNTER)}"

    @staticmethod
    def assets() -> tuple[str, str]:
        """(JavaScript, CSS) of the figures, read from the package."""
        folder = resources.files("coursepkg.plots")
        return (folder / "coursefig.js").read_text(), (folder / "coursefig.css").read_text()

    def to_html(self) -> str:
        """The figure as an HTML fragment: data, live box, static PNG and the inline code."""
        js, css = self.assets()
        data = json.dumps(self.spec, separators=(",", ":")).replace("</", "<\\/")
        return (f'<div class="cfx" id="{self.id}">\n<style>{css}</style>\n'
                f'<script type="application/json" class="cfx-spec">{data}</script>\n'
                f'<div class="cfx-live"></div>\n'
                f'<div class="cfx-static"><img src="data:image/png;base64,{self.png}" '
                f'alt="{html.escape(self.alt)}"></div>\n</div>\n<script>{js}</script>\n')

    def _repr_html_(self) -> str:
        return self.to_html()

    def save(self, path) -> None:
        """Write a stand-alone HTML page with the figure (opens offline in any browser)."""
        from pathlib import Path
        Path(path).write_text("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                              "<meta name=\"viewport\" content=\"width=device-width\"></head>"
                              f"<body>\n{self.to_html()}</body></html>\n")

    def __repr__(self) -> str:
        charts = ", ".join(c.get("title") or c["id"] for c in self.spec["charts"])
        return f"<InteractiveFigure {self.id}: {charts}>"


# ----------------------------------------------------------------------------- helpers
def _require(data: Mapping, keys: Sequence[str], what: str) -> None:
    missing = [k for k in keys if k not in data]
    if missing:
        shown = ", ".join(sorted(map(str, data))[:12])
        raise KeyError(f"{what} lacks the keys {missing}; it has: {shown}"
                       + (" ..." if len(data) > 12 else ""))


def _tab10(n: int) -> list[str]:
    from matplotlib.colors import to_hex
    return [to_hex(plt.get_cmap("tab10")(k % 10)) for k in range(n)]
