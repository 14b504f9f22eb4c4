"""coursepkg.plots.lines_explorer: the data a figure ships is the data it was given (lines
that change with the slider ship one row per setting, the others one row), one checkbox
and one colour per line name across charts, charts on the same grid share a hover, the
print picture shows the slider's first position, bad input is named. The figure in a
browser: tests/book/test_interactive.py."""
import numpy as np
import pytest
from test_plots_interactive import png_of, spec_of

from coursepkg import plots
from coursepkg.plots import lines
from figures import close_figures, render, visible_axes  # noqa: F401 (autouse fixture)


def spread_like(rng, n_settings=4, n=12):
    """Two charts of per-layer values: 'a' changes with the setting, 'b' does not."""
    rows = 10.0 ** rng.normal(size=(n_settings, n))
    return {"forward: std": {"a": rows, "b": np.linspace(1, 2, n)},
            "backward: std": {"a": rows[::-1] * 2, "b": np.linspace(2, 3, n)}}


def test_lines_explorer_ships_rows_per_setting_and_one_toggle_per_name():
    rng = np.random.default_rng(0)
    charts = spread_like(rng)
    fig = plots.lines_explorer(charts, x=np.arange(12), xlabel="layer", ylabel="std", log=True,
                               settings=["1/n", "2/n", "3/n", "g²/n"], setting_label="init",
                               setting_index=2, shown=["a"])
    spec = spec_of(fig.to_html())
    assert [c["title"] for c in spec["charts"]] == ["forward: std", "backward: std"]
    assert all(c["log"] and c["xlabel"] == "layer" and c["ylabel"] == "std" for c in spec["charts"])
    assert [c["short"] for c in spec["charts"]] == ["forward", "backward"]
    # both charts have the same grid: one x key, one hover group
    assert len(spec["xs"]) == 1 and len({c["hover"] for c in spec["charts"]}) == 1
    by = {(s["chart"], s["key"]): s for s in spec["series"]}
    np.testing.assert_allclose(by["c0", "a"]["ys"], charts["forward: std"]["a"], rtol=1e-3)
    np.testing.assert_allclose(by["c1", "a"]["ys"], charts["backward: std"]["a"], rtol=1e-3)
    assert by["c0", "a"]["param"] == "setting" and "param" not in by["c0", "b"]
    np.testing.assert_allclose(by["c1", "b"]["y"], charts["backward: std"]["b"], rtol=1e-3)
    assert by["c0", "a"]["color"] == by["c1", "a"]["color"] != by["c0", "b"]["color"]
    (param,) = spec["params"]
    assert param["labels"] == ["1/n", "2/n", "3/n", "g²/n"] and param["index"] == 2
    assert [(t["key"], t["on"]) for t in spec["toggles"]["items"]] == [("a", True), ("b", False)]
    assert spec["logToggle"] and "g²/n" not in fig.alt and "3/n" in fig.alt


def test_lines_explorer_charts_on_other_grids_keep_their_own_x():
    steps, layers = np.arange(1, 41), np.arange(5)
    spec = spec_of(plots.lines_explorer(
        {"signal": {"plain": np.ones(5)}, "loss": {"plain": np.linspace(2, 1, 40)}},
        x={"signal": layers, "loss": steps}, xlabel={"signal": "layer", "loss": "step"},
        log={"signal": True}).to_html())
    signal, loss = spec["charts"]
    assert signal["x"] != loss["x"] and signal["hover"] != loss["hover"]
    assert spec["xs"][loss["x"]] == steps.tolist() and spec["xs"][signal["x"]] == layers.tolist()
    assert signal["log"] and not loss["log"] and (signal["xlabel"], loss["xlabel"]) == ("layer", "step")
    assert "params" not in spec


def test_the_print_picture_draws_every_chart_at_the_first_setting(tmp_path):
    rng = np.random.default_rng(1)
    charts = spread_like(rng)
    checked = lines._checked_lines(charts, dict.fromkeys(charts, np.arange(12)), ["s0", "s1", "s2", "s3"])
    colours = {"a": "#1f77b4", "b": "#ff7f0e"}
    fig = lines._static(checked, dict.fromkeys(charts, np.arange(12)), dict.fromkeys(charts, "layer"),
                        dict.fromkeys(charts, "std"), dict.fromkeys(charts, True), colours, 1)
    axes = visible_axes(fig)
    assert [ax.get_title() for ax in axes] == list(charts) and all(ax.get_yscale() == "log" for ax in axes)
    np.testing.assert_allclose(axes[0].lines[0].get_ydata(), charts["forward: std"]["a"][1])
    assert fig.get_size_inches()[0] <= 5.6     # readable at 390 px (tests/book/test_layout.py)
    render(fig, tmp_path, "lines")
    png = png_of(plots.lines_explorer(charts, np.arange(12), settings=list("wxyz")).to_html())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_lines_explorer_names_what_is_wrong():
    good = {"c": {"a": np.ones(5)}}
    with pytest.raises(ValueError, match=r"the line 'a' of the chart 'c' has shape \(4,\); accepted: \(5,\)"):
        plots.lines_explorer({"c": {"a": np.ones(4)}}, np.arange(5))
    with pytest.raises(ValueError, match=r"accepted: \(5,\) or \(2, 5\), one row per setting"):
        plots.lines_explorer({"c": {"a": np.ones((3, 5))}}, np.arange(5), settings=["p", "q"])
    with pytest.raises(ValueError, match="setting_index 2 is outside 0..1"):
        plots.lines_explorer(good, np.arange(5), settings=["p", "q"], setting_index=2)
    with pytest.raises(KeyError, match=r"log names charts \['d'\] that do not exist"):
        plots.lines_explorer(good, np.arange(5), log={"d": True})
    with pytest.raises(KeyError, match=r"x gives no grid for the charts \['c'\]"):
        plots.lines_explorer(good, {})
    with pytest.raises(ValueError, match="the chart 'c' has no lines"):
        plots.lines_explorer({"c": {}}, np.arange(5))
    with pytest.raises(ValueError, match="charts is empty"):
        plots.lines_explorer({}, np.arange(5))


def test_bands_ship_with_their_line_and_shade_the_print_picture():
    rng = np.random.default_rng(2)
    runs = rng.normal(size=(3, 50, 10)).cumsum(axis=2)           # settings, trials, steps
    lo, mid, hi = np.percentile(runs, [5, 50, 95], axis=1)
    fig = plots.lines_explorer({"walk": {"w": mid}}, np.arange(10), settings=["a", "b", "c"],
                               bands={"walk": {"w": (lo, hi)}}, band_label="5-95 %")
    (series,) = spec_of(fig.to_html())["series"]
    np.testing.assert_allclose(series["lo"], lo, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(series["hi"], hi, rtol=1e-3, atol=1e-4)
    assert series["band"] == "5-95 %" and series["param"] == "setting"
    checked = lines._checked_lines({"walk": {"w": mid}}, {"walk": np.arange(10)}, ["a", "b", "c"])
    bands = lines._checked_bands({"walk": {"w": (lo, hi)}}, checked)
    static = lines._static(checked, {"walk": np.arange(10)}, {"walk": "step"}, {"walk": ""},
                           {"walk": False}, {"w": "#1f77b4"}, 2, bands)
    (ax,) = visible_axes(static)
    (band,) = ax.collections
    assert np.isclose(band.get_paths()[0].vertices[:, 1].max(), hi[2].max())
    with pytest.raises(KeyError, match="bands name the line 'v' of the chart 'walk', which does not exist"):
        plots.lines_explorer({"walk": {"w": mid}}, np.arange(10), settings=list("abc"),
                             bands={"walk": {"v": (lo, hi)}})
    with pytest.raises(ValueError, match=r"the band of 'w' in 'walk' has shapes \(10,\) and \(3, 10\); "
                                         r"accepted: \(3, 10\)"):
        plots.lines_explorer({"walk": {"w": mid}}, np.arange(10), settings=list("abc"),
                             bands={"walk": {"w": (lo[0], hi)}})
