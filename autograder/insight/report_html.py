"""The analytics report as ONE offline HTML file: no script, no external file, no font
or CDN link. Plots are matplotlib figures saved as SVG and embedded as data: URIs
(`<img>`, so their ids never clash); tables scroll sideways inside their box, so the
page itself fits a 390 px wide phone screen."""
from __future__ import annotations

import base64
import html
import io
import statistics

from autograder.common.course import atomic_write
from autograder.insight.analytics import Analytics, score_summary

CSS = """
* { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; margin: 0 auto; padding: 0.8rem; max-width: 62rem;
       line-height: 1.4; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; }
figure { margin: 0.8rem 0; } figure img { display: block; width: 100%; max-width: 40rem;
       height: auto; }
figcaption { font-size: 0.85rem; color: #555; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left;
         vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
td.msg { min-width: 14rem; max-width: 30rem; overflow-wrap: anywhere; }
.hidden { color: #7a3e9d; font-weight: 600; }
"""
VISIBLE_COLOUR, HIDDEN_COLOUR = "#3a7dbf", "#7a3e9d"


def _svg_img(fig, alt: str) -> str:
    """`fig` as an <img> holding its SVG as a data: URI."""
    import matplotlib
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "analytics", "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/svg+xml;base64,{data}">'


def score_histogram(result: Analytics) -> str:
    """Histogram of the total scores, one bar per possible whole point (or finer)."""
    import numpy as np
    from matplotlib.figure import Figure
    scores = np.array(list(result.scores.values()))
    top = max(result.max_score, float(scores.max()))
    step = 1.0 if np.allclose(scores, np.round(scores)) else max(top / 20, 0.25)
    bins = np.arange(0, top + step, step) - step / 2
    fig = Figure(figsize=(6, 2.8))
    ax = fig.subplots()
    ax.hist(scores, bins=np.append(bins, bins[-1] + step), color=VISIBLE_COLOUR,
            edgecolor="white")
    ax.axvline(statistics.fmean(scores), color="#d2691e", linestyle="--",
               label=f"mean {statistics.fmean(scores):.2f}")
    ax.set(xlabel=f"score (of {result.max_score:g})", ylabel="hand-ins")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=False)
    return _svg_img(fig, "histogram of the scores")


def pass_rate_bars(result: Analytics) -> str:
    """One horizontal bar per test (labelled by grade_id without 'test_'): its pass rate;
    tests with hidden parts in another colour."""
    from matplotlib.figure import Figure
    tests = result.tests[::-1]
    fig = Figure(figsize=(5, 0.9 + 0.3 * len(tests)))
    ax = fig.subplots()
    ax.barh([t.grade_id.removeprefix("test_") for t in tests],
            [100 * t.pass_rate for t in tests],
            color=[HIDDEN_COLOUR if t.hidden else VISIBLE_COLOUR for t in tests])
    ax.set(xlim=(0, 100), xlabel="passed (% of hand-ins)")
    return _svg_img(fig, "pass rate per test")


def _table(head: list[str], rows: list[list[str]], classes: list[str]) -> str:
    """Rows of already-escaped cells; `classes` per column ('' or 'num'/'msg')."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f'<td class="{c}">{v}</td>' if c else f"<td>{v}</td>"
                                    for v, c in zip(row, classes)) + "</tr>" for row in rows)
    return f'<div class="scroll"><table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>'


def _tests_table(result: Analytics) -> str:
    esc = html.escape
    rows = [[esc(t.grade_id), esc(t.title),
             '<span class="hidden">hidden</span>' if t.hidden else "visible",
             f"{t.pass_rate:.0%}", f"{t.mean_points:.2f} / {t.max_points:g}",
             esc(", ".join(t.lost)) or "—"] for t in result.tests]
    return _table(["test", "checks", "kind", "passed", "mean points", "lost by"], rows,
                  ["", "msg", "", "num", "num", "msg"])


def _groups_table(result: Analytics) -> str:
    rows = [[html.escape(t.grade_id), str(len(students)), html.escape(group),
             html.escape(", ".join(students))]
            for t in result.tests for group, students in t.top_groups()]
    if not rows:
        return "<p>No test failed.</p>"
    return _table(["test", "hand-ins", "failure (normalised message)", "students"], rows,
                  ["", "num", "msg", "msg"])


def _handins_table(result: Analytics) -> str:
    rows = []
    for student in sorted(set(result.scores) | set(result.failed)):
        if student in result.failed:
            state = "failed: " + result.failed[student].removeprefix(f"{student}: ")
        elif student in result.review:
            state = "needs review: " + "; ".join(result.review[student][:3])
        else:
            state = "graded" + (" (manual grading pending)"
                                if student in result.manual_pending else "")
        score = f"{result.scores[student]:g}" if student in result.scores else "—"
        seconds = f"{result.seconds[student]:.2f}" if student in result.seconds else "—"
        rows.append([html.escape(student), score, seconds, html.escape(state)])
    return _table(["student", "score", "grading time (s)", "state"], rows,
                  ["", "num", "num", "msg"])


def render(result: Analytics) -> str:
    """The whole report page."""
    aid = html.escape(result.assignment_id)
    hardest = ", ".join(f"{html.escape(t.grade_id)} ({t.pass_rate:.0%})"
                        for t in result.hardest())
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>analytics: {aid}</title><style>{CSS}</style></head><body>",
        f"<h1>Analytics: {aid}</h1>",
        f"<p>{html.escape(score_summary(result))}; {len(result.failed)} failed to grade, "
        f"{len(result.review)} need review. Hardest tests: {hardest or 'none'}.</p>",
        "<h2>Scores</h2><figure>", score_histogram(result),
        "<figcaption>Total score per graded hand-in (manual grades included).</figcaption>"
        "</figure>",
        "<h2>Tests</h2><figure>", pass_rate_bars(result),
        "<figcaption>Share of hand-ins with full points on each test; tests with hidden "
        "parts in purple.</figcaption></figure>",
        _tests_table(result),
        "<h2>Failure groups</h2>", _groups_table(result),
        "<h2>Hand-ins</h2>", _handins_table(result),
        "</body></html>"]
    return "\n".join(parts)


def write_html(result: Analytics, path) -> None:
    atomic_write(path, render(result))
