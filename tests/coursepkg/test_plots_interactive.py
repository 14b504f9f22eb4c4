"""coursepkg.plots' gradient-flow helpers and interactive figures: the data a figure ships
is the data it was given (thinned and rounded as documented), its code and picture are
inline (nothing to fetch), bad input gets a clear message. The figures' behaviour in a
browser is tested in tests/book/test_interactive.py."""
import base64
import io
import json
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from coursepkg import plots  # noqa: E402
from figures import close_figures, fake_zoo, render, visible_axes  # noqa: E402, F401 (autouse fixture)

FNS = plots.ZOO


def spec_of(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" class="cfx-spec">(.*?)</script>',
                                html, re.S).group(1).replace("<\\/", "</"))


def png_of(html: str) -> bytes:
    return base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1))


# ----------------------------------------------------------------------------- gradient flow
def test_rolling_quantiles_are_the_quantiles_of_each_centred_window():
    rng = np.random.default_rng(1)
    log = rng.lognormal(size=(3, 40))
    steps, q = plots.rolling_quantiles(log, window=9, stride=4)
    assert steps.tolist() == list(range(0, 40, 4)) and q.shape == (3, 3, 10)
    for k, step in enumerate(steps):
        chunk = log[:, max(0, step - 4): step + 5]
        np.testing.assert_allclose(q[:, :, k], np.percentile(chunk, [25, 50, 75], axis=1))
    assert np.all(q[0] <= q[1]) and np.all(q[1] <= q[2])
    with pytest.raises(ValueError, match=r"\(layers, steps\)"):
        plots.rolling_quantiles(np.ones(5))
    with pytest.raises(ValueError, match="window and stride must be >= 1"):
        plots.rolling_quantiles(np.ones((2, 5)), window=0)


def test_gradient_flow_plot_separates_layers_that_differ_by_orders_of_magnitude(tmp_path):
    rng = np.random.default_rng(2)
    scales = 10.0 ** -np.arange(4)[::-1]                    # layer 0 smallest
    grad_w = scales[:, None] * rng.lognormal(0, 1.0, size=(4, 200))  # noisy: raw lines overlap
    fig = plots.plot_gradient_flow(grad_w, window=21)
    render(fig, tmp_path, "flow")
    (ax,) = visible_axes(fig)
    assert ax.get_yscale() == "log"
    medians = [np.asarray(line.get_ydata()) for line in ax.get_lines()]
    assert len(medians) == 4 and len(ax.collections) == 4          # a line and a band per layer
    # the rolling medians keep the layers apart at every step, the raw logs do not
    assert np.all(np.diff(np.log10(np.stack(medians)), axis=0) > 0.5)
    assert not np.all(np.diff(np.log10(grad_w), axis=0) > 0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["hidden 0", "hidden 1", "hidden 2",
                                                                  "output layer"]


# ----------------------------------------------------------------------------- interactive figures
def test_activation_explorer_ships_the_given_curves_families_and_controls():
    zoo = fake_zoo()
    html = plots.activation_explorer(zoo, stride=3).to_html()
    spec = spec_of(html)
    np.testing.assert_allclose(spec["xs"]["x"], zoo["x"][::3], rtol=1e-3)
    by = {(s["chart"], s["key"]): s for s in spec["series"]}
    assert {k for _, k in by} == set(FNS) | {"softmax"}
    np.testing.assert_allclose(by["f", "tanh"]["y"], zoo["f/tanh"][::3], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(by["df", "elu"]["ys"], zoo["df/elu@alpha"][:, ::3], rtol=1e-3)
    assert by["f", "leaky_relu"]["param"] == "alpha" and by["f", "swish"]["param"] == "beta"
    np.testing.assert_allclose(by["softmax", "softmax"]["ys"], zoo["softmax@T"], rtol=1e-3)
    params = {p["name"]: p for p in spec["params"]}
    assert params["alpha"]["values"][params["alpha"]["index"]] == pytest.approx(0.1)
    assert params["beta"]["values"][params["beta"]["index"]] == 1.0
    assert params["T"]["values"][params["T"]["index"]] == 1.0
    assert [t["key"] for t in spec["toggles"]["items"]] == list(FNS)


def test_an_interactive_figure_is_self_contained_and_has_a_print_picture():
    fig = plots.activation_explorer(fake_zoo())
    html = fig.to_html()
    js, css = plots.InteractiveFigure.assets()
    assert js in html and css in html                    # the code ships with the figure
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing to fetch
    assert "fetch(" not in js and "XMLHttpRequest" not in js and "import(" not in js
    png = png_of(html)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image
    with Image.open(io.BytesIO(png)) as image:
        assert image.width >= 500 and image.height >= 500
    assert 'alt="Activation functions f(x)' in html
    assert not plt.get_fignums()                          # the static figure was closed
    assert len(html) < 250_000, f"{len(html)} bytes"


def test_explorers_name_what_is_missing_or_wrong():
    zoo = fake_zoo()
    del zoo["f/elu@alpha"]
    with pytest.raises(KeyError, match=r"lacks the keys \['f/elu@alpha'\]"):
        plots.activation_explorer(zoo)
    with pytest.raises(ValueError, match="same layers"):
        plots.gradient_flow_explorer({"a": np.ones((3, 10)), "b": np.ones((4, 10))})
    with pytest.raises(ValueError, match="pass n_hidden_layers"):
        plots.gradient_flow_explorer({"grad_w/relu/3": np.ones((4, 9)), "grad_w/relu/5": np.ones((6, 9))})
    with pytest.raises(KeyError, match="has no 'val_accuracy'"):
        plots.training_explorer({"relu": {"loss": [1.0, 0.5]}})


def test_gradient_flow_explorer_reads_the_vanishing_gradient_data_keys():
    rng = np.random.default_rng(3)
    data = {f"grad_w/{a}/2": rng.lognormal(size=(3, 30)) for a in ("sigmoid", "relu")}
    data["grad_w/relu/5"] = rng.lognormal(size=(6, 30))
    spec = spec_of(plots.gradient_flow_explorer(data, n_hidden_layers=2, window=5, stride=2).to_html())
    assert [c["id"] for c in spec["charts"]] == ["sigmoid", "relu"] and spec["logToggle"]
    steps, (lo, mid, hi) = plots.rolling_quantiles(data["grad_w/relu/2"], window=5, stride=2)
    relu = [s for s in spec["series"] if s["chart"] == "relu"]
    assert [s["label"] for s in relu] == ["hidden layer 0", "hidden layer 1", "output layer"]
    np.testing.assert_allclose(relu[2]["y"], mid[2], rtol=1e-3)
    np.testing.assert_allclose(relu[0]["lo"], lo[0], rtol=1e-3)
    assert spec["xs"]["relu"] == steps.tolist()


def test_training_explorer_pads_short_runs_and_keeps_every_value():
    hist = {"sigmoid": {"val_accuracy": [0.1, 0.2]}, "relu": {"val_accuracy": [0.3, 0.5, 0.9]}}
    spec = spec_of(plots.training_explorer(hist).to_html())
    assert spec["xs"]["epoch"] == [1, 2, 3]
    ys = {s["key"]: s["y"] for s in spec["series"]}
    assert ys == {"sigmoid": [0.1, 0.2, None], "relu": [0.3, 0.5, 0.9]}


def test_compact_rounds_to_significant_digits_and_drops_non_finite():
    out = plots.compact({"a": np.array([1.23456e-7, np.nan, 2.0]), "b": np.float32(0.333333)})
    assert out == {"a": [1.235e-07, None, 2.0], "b": 0.3333}
