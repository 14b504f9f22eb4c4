"""Interactive figures and quick checks in headless Chromium with every request that is not
a local file (or the book's own 127.0.0.1 server) blocked: moving a control of a figure
changes the figure, hovering shows the values, a quick check answered wrongly and rightly
says so. The figures and the quick-check directive are tested on their own (fast: no book
build), then in the rendered book (slow: the session's book build, conftest.py)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from urllib.parse import urljoin

import numpy as np
import pytest

from booktools import REPO, toc_pages
from coursepkg import plots
from figures import fake_zoo  # noqa: E402

pytestmark = pytest.mark.timeout(900)

# the chapters that must have quick checks (intro, exercise pages and references excepted)
CHAPTERS = ["book/why_nonlinearity", "book/activation_zoo", "book/vanishing_gradient",
            "book/grokking_mnist", "book/deeper_networks", "book/initialisation",
            "book/modern_activations", "book/exploding_gradients", "book/choosing"]


def offline_page(browser, allowed: str = "file://"):
    """A new page on which every request not starting with ``allowed`` (or data:) fails;
    the blocked URLs are collected in page.blocked, script errors in page.errors."""
    page = browser.new_page()
    page.blocked, page.errors = [], []

    def gate(route):
        url = route.request.url
        if url.startswith((allowed, "data:")):
            route.continue_()
        else:
            page.blocked.append(url)
            route.abort()

    page.route("**/*", gate)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    return page


_SVG_JS = "el => Array.from(el.querySelectorAll('.cfx-live svg'), s => s.innerHTML).join('|')"


def exercise_figure(page, fig) -> list[str]:
    """Move every control of the figure ``fig`` (a Locator of div.cfx) and hover its first
    chart; returns what did not work."""
    problems = []
    name = fig.get_attribute("id")
    if "cfx-ready" not in (fig.get_attribute("class") or ""):
        return [f"{name}: never drawn (no cfx-ready)"]
    if fig.locator(".cfx-static img").is_visible():
        problems.append(f"{name}: the print picture is shown on screen")
    before = fig.evaluate(_SVG_JS)
    for box in fig.locator("input[type=checkbox]").all():
        box.click()
        if fig.evaluate(_SVG_JS) == before:
            problems.append(f"{name}: the checkbox {box.evaluate('e => e.parentElement.textContent')!r} "
                            "changed nothing")
        box.click()     # back as it was: the sliders below move what is shown at first
        if fig.evaluate(_SVG_JS) != before:
            problems.append(f"{name}: the checkbox {box.evaluate('e => e.parentElement.textContent')!r} "
                            "clicked twice did not restore the figure")
    for slider in fig.locator("input[type=range]").all():
        slider.focus()
        slider.press("End")
        after = fig.evaluate(_SVG_JS)
        if after == before:
            problems.append(f"{name}: the slider {slider.get_attribute('data-param')!r} changed nothing")
        before = after
    hit = fig.locator("rect.cfx-hit").first
    hit.scroll_into_view_if_needed()
    box = hit.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.5)
    tip = fig.locator(".cfx-tip")
    if not tip.is_visible() or "=" not in tip.inner_text():
        problems.append(f"{name}: hovering shows no values")
    return problems


# ----------------------------------------------------------------------------- figures alone
def test_each_explorer_reacts_to_its_controls_offline(browser, tmp_path):
    rng = np.random.default_rng(0)
    figures = {
        "zoo": plots.activation_explorer(fake_zoo()),
        "flow": plots.gradient_flow_explorer(
            {a: 10.0 ** -np.arange(4)[::-1, None] * rng.lognormal(size=(4, 60)) for a in ("sigmoid", "relu")}),
        "training": plots.training_explorer({n: {"val_accuracy": rng.uniform(size=8).tolist()}
                                             for n in ("sigmoid", "tanh", "relu")}),
        "lines": lines_figure(rng),
    }
    problems = []
    for name, figure in figures.items():
        path = tmp_path / f"{name}.html"
        figure.save(path)
        page = offline_page(browser)
        page.goto(path.as_uri())
        problems += exercise_figure(page, page.locator("div.cfx").first)
        problems += [f"{name}: blocked request {u}" for u in page.blocked]
        problems += [f"{name}: script error {e}" for e in page.errors]
        page.close()
    assert not problems, "\n".join(problems)


def lines_figure(rng):
    """A lines_explorer like the initialisation chapter's: per-layer spread of three
    activations (rows per initialisation) on a log axis, and a fixed reference line, next to
    a linear chart on another grid."""
    rows = {a: 10.0 ** np.cumsum(rng.normal(size=(3, 20)), axis=1) for a in ("tanh", "relu", "gelu")}
    return plots.lines_explorer(
        {"forward: std": {**rows, "reference": np.ones(20)},
         "backward: std": {a: v[:, ::-1] for a, v in rows.items()},
         "loss": {**{a: np.linspace(2.0, 0.5 + k, 30) for k, a in enumerate(rows)},
                  "diverged": np.r_[40.0, np.full(29, np.nan)]}},
        x={"forward: std": np.arange(20), "backward: std": np.arange(20), "loss": np.arange(1, 31)},
        xlabel="layer", log={"forward: std": True, "backward: std": True},
        settings=["Var(W) = 1/n", "Var(W) = 2/n", "Var(W) = g²/n"], setting_label="initialisation",
        toggle_label="activation", band_label="5-95 %",
        bands={"forward: std": {"tanh": (rows["tanh"] / 2, rows["tanh"] * 2)}})


_LINES_JS = ("() => Object.fromEntries(Array.from(document.querySelectorAll('.cfx-chart'), c => "
             "[c.dataset.chart, Object.fromEntries(Array.from(c.querySelectorAll('path.cfx-line'), "
             "p => [p.dataset.key, p.getAttribute('d')]))]))")


def test_the_lines_explorer_slider_names_its_setting_and_moves_only_the_lines_that_change(browser, tmp_path):
    path = tmp_path / "lines.html"
    lines_figure(np.random.default_rng(5)).save(path)
    page = offline_page(browser)
    page.goto(path.as_uri())
    before = page.evaluate(_LINES_JS)
    output = page.locator("input[data-param=setting] + output")
    assert output.inner_text() == "Var(W) = 1/n"
    page.locator("input[data-param=setting]").focus()
    page.keyboard.press("End")
    assert output.inner_text() == "Var(W) = g²/n"
    after = page.evaluate(_LINES_JS)
    changed = {(c, k) for c in before for k in before[c] if before[c][k] != after[c][k]}
    # the per-layer lines move (their axes rescale too); the loss chart has no rows: untouched
    assert {("c0", "tanh"), ("c1", "relu")} <= changed and not {k for c, k in changed if c == "c2"}
    # the log switch turns only the log charts linear: the loss chart stays as it was
    ticks = "c => Array.from(document.querySelectorAll(`.cfx-chart[data-chart=${c}] .cfx-axes text`), t => t.textContent)"
    log_ticks, loss_ticks = page.evaluate(f"({ticks})('c0')"), page.evaluate(f"({ticks})('c2')")
    assert any("10" in t and any(s in t for s in "\u2070\u00b9\u00b2\u00b3\u207b") for t in log_ticks)
    page.locator("input[data-log]").click()
    assert page.evaluate(f"({ticks})('c0')") != log_ticks and page.evaluate(f"({ticks})('c2')") == loss_ticks
    page.locator("input[data-log]").click()
    assert page.evaluate(f"({ticks})('c0')") == log_ticks and page.evaluate(f"({ticks})('c2')") == loss_ticks
    # hovering the forward chart reads the backward chart too (same grid), not the loss
    hit = page.locator(".cfx-chart[data-chart=c0] rect.cfx-hit").bounding_box()
    page.mouse.move(hit["x"] + hit["width"] * 0.5, hit["y"] + 10)
    tip = page.locator(".cfx-tip").inner_text()
    assert "layer = " in tip and "forward" in tip and "backward" in tip and "loss" not in tip
    assert "(5-95 % " in tip and tip.count("5-95 %") == 1       # the one band, named
    # a value between NaNs (a run that diverged after one step) is drawn as a dot
    assert page.locator(".cfx-chart[data-chart=c2] circle.cfx-dot").evaluate_all(
        "ds => ds.map(d => d.dataset.key)") == ["diverged"]
    assert not page.blocked and not page.errors
    page.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_lines_explorer_fits_a_phone_and_a_desktop(browser, tmp_path, width):
    """At 390 px the charts stack in one column and nothing is wider than the screen; at
    1280 px two charts share a row. Screenshots for a human: COURSE_SHOTS=<folder>."""
    import os
    path = tmp_path / "lines.html"
    lines_figure(np.random.default_rng(6)).save(path)
    page = offline_page(browser)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(path.as_uri())
    columns = page.evaluate("() => getComputedStyle(document.querySelector('.cfx-charts'))"
                            ".gridTemplateColumns.split(' ').length")
    assert columns == (1 if width == 390 else 2)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    widest = page.evaluate("() => Math.max(...Array.from(document.querySelectorAll('.cfx-live *'), "
                           "e => e.getBoundingClientRect().right))")
    assert widest <= width
    smallest = page.evaluate("() => Math.min(...Array.from(document.querySelectorAll('.cfx svg text'), "
                             "t => parseFloat(getComputedStyle(t).fontSize)))")
    assert smallest >= 11
    if os.environ.get("COURSE_SHOTS"):
        page.screenshot(path=f"{os.environ['COURSE_SHOTS']}/lines-{width}.png", full_page=True)
    assert not page.blocked and not page.errors
    page.close()


def test_the_zoo_sliders_move_the_curves_they_name(browser, tmp_path):
    """The alpha slider moves LeakyReLU and ELU and nothing else; T changes the bars."""
    path = tmp_path / "zoo.html"
    plots.activation_explorer(fake_zoo()).save(path)
    page = offline_page(browser)
    page.goto(path.as_uri())
    paths = ("() => Object.fromEntries(Array.from(document.querySelectorAll('.cfx-chart[data-chart=f] "
             "path.cfx-line'), p => [p.dataset.key, p.getAttribute('d')]))")
    bars = "() => Array.from(document.querySelectorAll('rect.cfx-bar'), r => r.getAttribute('height'))"
    lines, heights = page.evaluate(paths), page.evaluate(bars)
    page.locator("input[data-param=alpha]").focus()
    page.keyboard.press("ArrowRight")
    moved = page.evaluate(paths)
    assert {k for k in lines if lines[k] != moved[k]} == {"leaky_relu", "elu"}
    assert page.locator("input[data-param=alpha] + output").inner_text() == "0.15"
    page.locator("input[data-param=T]").focus()
    page.keyboard.press("Home")
    assert page.evaluate(bars) != heights
    page.locator("input[data-key=relu]").click()   # unticked: its line is gone
    assert "relu" not in page.evaluate(paths)
    # a tap on a phone (pointerdown, then pointerleave of the touch) shows the values and keeps them
    page.evaluate("""() => { const hit = document.querySelector('rect.cfx-hit'), r = hit.getBoundingClientRect();
        const at = {pointerType: 'touch', clientX: r.left + r.width * 0.75, clientY: r.top + 5, bubbles: true};
        hit.dispatchEvent(new PointerEvent('pointerdown', at));
        hit.dispatchEvent(new PointerEvent('pointerleave', at)); }""")
    assert page.locator(".cfx-tip").is_visible() and "x = 3" in page.locator(".cfx-tip").inner_text()
    assert not page.blocked and not page.errors
    page.close()


def test_print_shows_the_static_picture_instead_of_the_live_figure(browser, tmp_path):
    path = tmp_path / "flow.html"
    plots.gradient_flow_explorer({"relu": np.random.default_rng(4).lognormal(size=(3, 40))}).save(path)
    page = offline_page(browser)
    page.goto(path.as_uri())
    live, static = page.locator(".cfx-live"), page.locator(".cfx-static img")
    assert live.is_visible() and not static.is_visible()
    page.emulate_media(media="print")
    assert not live.is_visible() and static.is_visible()
    assert page.evaluate("() => document.querySelector('.cfx-static img').naturalWidth") > 400
    page.close()


# ----------------------------------------------------------------------------- quick checks alone
QUICKCHECKS = textwrap.dedent("""\
    # Checks

    :::{quickcheck}
    Which one is right?

    - [ ] wrong one
      because it is wrong
    - [x] right one
      because it is right
    :::

    :::{quickcheck}
    :answer: 0.25
    :tolerance: 0.005
    :hint: think of x = 0
    What is the largest value of the sigmoid's derivative?
    ---
    At `x = 0`: 1/2 * 1/2.
    :::
    """)


def sphinx_build(tmp_path, text: str):
    (tmp_path / "conf.py").write_text(textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(REPO / 'book' / '_ext')!r})
        extensions = ["myst_parser", "course_quickcheck"]
        myst_enable_extensions = ["colon_fence"]   # no math: Sphinx would take MathJax from a CDN
        html_static_path = [{str(REPO / 'book' / '_static')!r}]
        """))
    (tmp_path / "index.md").write_text(text)
    return subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", str(tmp_path),
                           str(tmp_path / "_build")], capture_output=True, text=True, timeout=300)


def answer_checks(page, box) -> list[str]:
    """Answer the quick check ``box`` wrongly, then rightly; returns what did not work."""
    problems, name = [], box.get_attribute("id")
    feedback = box.locator(":scope > .qc-feedback")
    if box.get_attribute("data-kind") == "number":
        answer = float(box.get_attribute("data-answer"))
        tol = float(box.get_attribute("data-tolerance"))
        box.locator(".qc-input").fill("not a number")
        box.locator(".qc-check").click()
        if "is not a number" not in feedback.inner_text():
            problems.append(f"{name}: text input not refused: {feedback.inner_text()!r}")
        box.locator(".qc-input").fill(repr(answer + 10 * tol + 1))
        box.locator(".qc-check").click()
        if not feedback.inner_text().startswith("Not quite") or box.locator(".qc-explanation").is_visible():
            problems.append(f"{name}: a wrong number not marked wrong")
        box.locator(".qc-input").fill(repr(answer))
        box.locator(".qc-check").click()
        if not feedback.inner_text().startswith("Right") or not box.locator(".qc-explanation").is_visible():
            problems.append(f"{name}: the right number not marked right")
        return problems
    options = box.locator(".qc-option")
    right = [i for i in range(options.count()) if options.nth(i).get_attribute("data-right") == "1"]
    wrong = [i for i in range(options.count()) if i not in right]
    if box.get_attribute("data-kind") == "multi":
        options.nth(wrong[0]).locator(".qc-choice").click() if wrong else None
        box.locator(".qc-check").click()
        ok_wrong = feedback.inner_text().startswith("Not quite")
        if wrong:
            options.nth(wrong[0]).locator(".qc-choice").click()
        for i in right:
            options.nth(i).locator(".qc-choice").click()
        box.locator(".qc-check").click()
        ok_right = feedback.inner_text().startswith("Right")
    else:
        options.nth(wrong[0]).locator(".qc-choice").click()
        ok_wrong = (feedback.inner_text().startswith("Not quite")
                    and options.nth(wrong[0]).locator(".qc-why").is_visible())
        options.nth(right[0]).locator(".qc-choice").click()
        ok_right = (feedback.inner_text().startswith("Right")
                    and options.nth(right[0]).locator(".qc-why").is_visible()
                    and not options.nth(wrong[0]).locator(".qc-why").is_visible())
    if not ok_wrong:
        problems.append(f"{name}: a wrong option not marked wrong")
    if not ok_right:
        problems.append(f"{name}: the right option not marked right")
    return problems


def test_quick_checks_answer_right_and_wrong_offline(browser, tmp_path):
    proc = sphinx_build(tmp_path, QUICKCHECKS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = offline_page(browser)
    page.goto((tmp_path / "_build" / "index.html").as_uri())
    boxes = page.locator("div.quickcheck")
    assert boxes.count() == 2
    problems = [p for i in range(2) for p in answer_checks(page, boxes.nth(i))]
    box = boxes.nth(1)
    box.locator(".qc-input").fill("0.3")
    box.locator(".qc-check").click()
    assert "Hint: think of x = 0" in box.locator(".qc-feedback").inner_text()
    box.locator(".qc-input").fill("1/4")            # fractions are numbers too
    box.locator(".qc-check").click()
    assert box.locator(".qc-feedback").inner_text().startswith("Right")
    assert not problems and not page.blocked and not page.errors, (problems, page.blocked, page.errors)
    page.close()


@pytest.mark.parametrize("text, message", [
    (":::{quickcheck}\nOnly a question.\n:::\n", "at least two options"),
    (":::{quickcheck}\nQ?\n\n- [ ] a\n- [ ] b\n:::\n", "no option is marked right"),
    (":::{quickcheck}\n:answer: a quarter\nQ?\n---\nWhy.\n:::\n", "must be numbers"),
    (":::{quickcheck}\n:answer: 0.25\nQ? and no explanation\n:::\n", "a line `---`"),
])
def test_a_malformed_quick_check_fails_the_build_naming_the_problem(tmp_path, text, message):
    proc = sphinx_build(tmp_path, "# Bad\n\n" + text)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr


# ----------------------------------------------------------------------------- in the book
@pytest.mark.slow
def test_every_chapter_has_quick_checks_that_answer_offline(server, browser):
    problems = []
    assert set(CHAPTERS) <= set(toc_pages())
    for doc in CHAPTERS:
        page = offline_page(browser, allowed=server)
        page.goto(urljoin(server, f"{doc}.html"), wait_until="networkidle")
        boxes = page.locator("div.quickcheck.qc-ready")
        if boxes.count() < 3:
            problems.append(f"{doc}: {boxes.count()} quick checks, fewer than 3")
        for i in range(boxes.count()):
            problems += [f"{doc}: {p}" for p in answer_checks(page, boxes.nth(i))]
        problems += [f"{doc}: blocked request {u}" for u in page.blocked]
        problems += [f"{doc}: script error {e}" for e in page.errors]
        page.close()
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_the_books_interactive_figures_react_offline(server, browser):
    problems, found = [], {}
    for doc in toc_pages():
        page = offline_page(browser, allowed=server)
        page.goto(urljoin(server, f"{doc}.html"), wait_until="networkidle")
        figures = page.locator("div.cfx")
        found[doc] = figures.count()
        for i in range(figures.count()):
            problems += [f"{doc}: {p}" for p in exercise_figure(page, figures.nth(i))]
        problems += [f"{doc}: blocked request {u}" for u in page.blocked]
        problems += [f"{doc}: script error {e}" for e in page.errors]
        page.close()
    for doc in ["book/activation_zoo", "book/vanishing_gradient", "book/deeper_networks",
                "book/initialisation", "book/modern_activations", "book/exploding_gradients"]:
        if not found.get(doc):
            problems.append(f"{doc}: no interactive figure")
    assert not problems, "\n".join(problems)
