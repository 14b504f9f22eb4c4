"""Feedback is safe to open: a hand-in full of script, event-handler and javascript:-link
payloads (in outputs of every rich type and in its markdown answer) is graded and its
feedback page opened in headless Chromium: no payload runs and no inline event handler
from it is left in the page. One student's notebook never costs the others their page,
and an oversized page is replaced by a note."""
from pathlib import Path

import nbformat
import pytest

from agtools import handin, submit
from autograder.commands import feedback as feedback_module
from autograder.commands.feedback import feedback
from autograder.demo import tiny_class as tiny
from autograder.grading.grader import GradeOptions, grade

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
OPTIONS = GradeOptions(workers=1, cell_timeout=20, notebook_timeout=60, quiet=True)


def _mark(name: str) -> str:
    """JavaScript that records that payload `name` ran."""
    return f"window.__pwned=(window.__pwned||[]).concat(`{name}`)"  # no quotes: nests anywhere


PAYLOAD_CELL = f'''def square(x):
    return x * x
from IPython.display import HTML, SVG, Javascript, Markdown, display
display(HTML("<script>{_mark('html-script')}</script><b>bold stays</b>"))
display(HTML('<img src="x" onerror="{_mark('img-onerror')}">'))
display(HTML('<a href="javascript:{_mark('html-link')}">link</a>'))
display(HTML('<iframe srcdoc="<script>parent.{_mark('iframe')}</script>"></iframe>'))
display(HTML('<svg><animate onbegin="{_mark('svg-animate')}" attributeName="x" dur="1s"/></svg>'))
display(HTML('<style>body {{ display: none }}</style><details open ontoggle="{_mark('details')}">'))
display(Javascript("{_mark('js-output')}"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="{_mark('svg-output')}"></svg>'))
display(Markdown("<script>{_mark('md-output')}</script> [md link](javascript:{_mark('md-link')})"))
print("<script>{_mark('stream')}</script>")
'''
PAYLOAD_MARKDOWN = f"""My answer.
<script>{_mark('markdown-script')}</script>
<img src="x" onerror="{_mark('markdown-img')}">
[click me](javascript:{_mark('markdown-link')})
<body onload="{_mark('markdown-body')}">
"""

FIND_HANDLERS = """() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
    .filter(a => a.name.toLowerCase().startsWith('on')).map(a => e.tagName + ' ' + a.name))"""
FIND_JS_LINKS = """() => [...document.querySelectorAll('a[href], iframe, img[src]')]
    .map(e => e.href || e.src || e.getAttribute('srcdoc') || '')
    .filter(u => u.toLowerCase().replace(/\\s/g, '').startsWith('javascript:'))"""


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make bootstrap` installs Debian's chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS)
        yield context
        context.close()


def _open(chromium, url: str) -> dict:
    page = chromium.new_page()
    try:
        page.goto(url, wait_until="load")
        page.wait_for_timeout(1500)                       # let timers and animations fire
        for frame in page.frames:                         # iframes report into their parent
            frame.evaluate("() => 0")
        return {"pwned": page.evaluate("() => window.__pwned || []"),
                "handlers": page.evaluate(FIND_HANDLERS), "links": page.evaluate(FIND_JS_LINKS),
                "text": page.inner_text("body")}
    finally:
        page.close()


@pytest.mark.slow
def test_feedback_runs_no_student_script_in_chromium(course, chromium, tmp_path):
    nb = handin(course, {**tiny.CORRECT, "square": PAYLOAD_CELL, "explain": PAYLOAD_MARKDOWN})
    submit(course, "mallory", nb)
    summary = grade(course, "tiny", options=OPTIONS)
    assert summary.graded["mallory"]["score"] == 3.0

    # the check can fail: the same payload, unsanitized, runs in this browser
    control = tmp_path / "control.html"
    control.write_text(f'<img src="x" onerror="{_mark("control")}">')
    assert _open(chromium, control.as_uri())["pwned"] == ["control"]

    page = feedback(course, "tiny")[0]
    seen = _open(chromium, page.as_uri())

    assert seen["pwned"] == [], seen["pwned"]
    assert seen["handlers"] == [], seen["handlers"]
    assert seen["links"] == [], seen["links"]
    assert "bold stays" in seen["text"] and "My answer." in seen["text"]  # the rest is shown
    html = page.read_text()
    assert tiny.HIDDEN_MARKER not in html


def test_one_broken_notebook_costs_only_its_own_feedback_page(course, capsys):
    for student in ("alice", "bob", "carol"):
        submit(course, student, handin(course, tiny.CORRECT))
    grade(course, "tiny", options=OPTIONS)
    course.autograded("bob", "tiny").write_text('{"cells": [')   # broken after grading

    written = feedback(course, "tiny")

    assert sorted(p.parent.parent.name for p in written) == ["alice", "carol"]
    assert "feedback for bob failed" in capsys.readouterr().err


def test_an_oversized_feedback_page_is_replaced_by_a_note(course, monkeypatch, capsys):
    big = {**tiny.CORRECT, "explain": "long answer " * 30_000}     # about 360 kB of markdown
    submit(course, "verbose", handin(course, big))
    grade(course, "tiny", options=OPTIONS)
    monkeypatch.setattr(feedback_module, "MAX_FEEDBACK_BYTES", 300_000)

    page = feedback(course, "tiny")[0].read_text()

    assert "over the limit" in page and len(page) < 2_000
    assert "feedback for verbose" in capsys.readouterr().err
    assert nbformat.read(course.autograded("verbose", "tiny"), 4)  # the notebook is kept


def test_split_hidden_keeps_a_note_where_hidden_lines_were_and_returns_them():
    from autograder.preprocessors.feedback import NOTE, split_hidden
    source = ("assert f(1) == 1\n    ### BEGIN HIDDEN TESTS\n    assert f(2) == 4\n"
              "    ### END HIDDEN TESTS\nprint('done')")
    visible, hidden = split_hidden(source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    assert visible == f"assert f(1) == 1\n    {NOTE}\nprint('done')"
    assert hidden == ["    assert f(2) == 4"]
    assert split_hidden("x = 1", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS") == ("x = 1", [])


FIGURES_CELL = '''def square(x):
    return x * x
import numpy as np
import matplotlib.pyplot as plt
plt.plot([0, 1], [0, 1])
plt.title("small")
plt.show()
plt.figure(figsize=(16, 16))
plt.imshow(np.random.default_rng(0).random((1600, 1600, 3)))
plt.show()
'''


@pytest.mark.slow
def test_figures_are_inline_images_and_one_over_the_limit_becomes_a_note(course):
    """The student kernel draws inline PNGs (matplotlib's inline backend in the sandbox):
    a small figure is kept in the autograded notebook and shown in the feedback; a noise
    image of several MB becomes a note, and the hand-in still gets full marks."""
    submit(course, "pat", handin(course, {**tiny.CORRECT, "square": FIGURES_CELL}))
    summary = grade(course, "tiny", options=OPTIONS)
    assert summary.graded["pat"]["score"] == 3.0, summary.graded
    nb = nbformat.read(course.autograded("pat", "tiny"), as_version=4)
    [cell] = [c for c in nb.cells if "plt.imshow" in c.source]
    images = [out.data["image/png"] for out in cell.outputs if "image/png" in out.get("data", {})]
    notes = "".join(out.get("text", "") for out in cell.outputs if out.get("output_type") == "stream")
    assert len(images) == 1 and 1_000 < len(images[0]) < 200_000, [len(i) for i in images]
    assert "over the limit of 1 MB per output: not kept" in notes, cell.outputs
    [page] = feedback(course, "tiny")
    html = page.read_text()
    assert images[0][:100] in html and "not kept" in html
