"""The side-by-side HTML view of a similarity report: one offline file (no scripts, no
fonts or styles from the network), readable on a 390 px phone screen.

For each flagged pair, best first: every answer cell where the two hand-ins match, the
two sources next to each other (stacked on narrow screens), the matching code marked.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from autograder.common.course import atomic_write
from autograder.insight.fingerprints import CellPrint, matched_spans
from autograder.insight.similarity import Pair, SimilarityReport

MAX_PAIRS = 200   # pairs shown in full; the table lists every flagged pair

STYLE = """
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 0.75rem;
       max-width: 75rem; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
h3 { font-size: 0.95rem; margin: 1rem 0 0.3rem; font-family: monospace; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ccc; padding: 0.25rem 0.4rem; text-align: left;
         vertical-align: top; overflow-wrap: anywhere; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 0.6rem; }
@media (max-width: 700px) { .sides { grid-template-columns: 1fr; } }
figure { margin: 0; min-width: 0; border: 1px solid #bbb; border-radius: 4px; }
figcaption { padding: 0.2rem 0.5rem; background: #eef; font-weight: 600;
             overflow-wrap: anywhere; }
pre { margin: 0; padding: 0.5rem; font-size: 0.8rem; white-space: pre-wrap;
      overflow-wrap: anywhere; }
mark { background: #ffd86b; color: inherit; }
.note { color: #555; font-size: 0.9rem; }
"""


def highlighted(cell: CellPrint, other: CellPrint) -> str:
    """cell.source as HTML, the spans matching the other hand-in's cell in <mark>."""
    out, last = [], 0
    for start, end in matched_spans(cell, other):
        out.append(escape(cell.source[last:start]))
        out.append(f"<mark>{escape(cell.source[start:end])}</mark>")
        last = end
    out.append(escape(cell.source[last:]))
    return "".join(out)


def pair_section(report: SimilarityReport, rank: int, pair: Pair) -> str:
    a, b = report.prints[pair.a], report.prints[pair.b]
    parts = [f'<section id="pair-{rank}"><h2>#{rank} {escape(pair.a)} &amp; {escape(pair.b)}: '
             f"score {pair.score:.2f}</h2>",
             f'<p class="note">{pair.shared} shared fingerprints; {escape(pair.a)} has '
             f"{pair.size_a} in all, {escape(pair.b)} {pair.size_b} (starter code left out; "
             f"code found in more than {report.common} hand-ins is not counted as shared). "
             "Marked: the code both hand-ins share, up to renamed names, comments, "
             "whitespace and the order of functions.</p>"]
    for grade_id in pair.cells:
        parts.append(f"<h3>{escape(grade_id)}</h3><div class=\"sides\">")
        for student, mine, theirs in ((pair.a, a, b), (pair.b, b, a)):
            code = highlighted(mine.cells[grade_id], theirs.cells[grade_id])
            parts.append(f"<figure><figcaption>{escape(student)}</figcaption><pre><code>"
                         f"{code}</code></pre></figure>")
        parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)


def _row(rank: int, p: Pair) -> str:
    label = f'<a href="#pair-{rank}">{rank}</a>' if rank <= MAX_PAIRS else str(rank)
    return (f'<tr><td class="num">{label}</td><td class="num">{p.score:.2f}</td>'
            f"<td>{escape(p.a)}<br>{escape(p.b)}</td><td class=\"num\">{p.shared}</td>"
            f"<td>{escape(', '.join(p.cells))}</td></tr>")


def render(report: SimilarityReport) -> str:
    """The whole page as a string."""
    rows = "\n".join(_row(rank, pair) for rank, pair in enumerate(report.pairs, 1))
    n = len(report.prints)
    summary = (f"{n} hand-ins, {n * (n - 1) // 2} pairs, {report.candidates} sharing code, "
               f"{len(report.pairs)} flagged at score &ge; {report.threshold:.2f}.")
    table = ("<div class=\"scroll\"><table><thead><tr><th>#</th><th>score</th><th>students"
             "</th><th>shared</th><th>answer cells</th></tr></thead>"
             f"<tbody>{rows}</tbody></table></div>" if report.pairs else
             "<p>No pair reaches the threshold.</p>")
    sections = "\n".join(pair_section(report, rank, pair)
                         for rank, pair in enumerate(report.pairs[:MAX_PAIRS], 1))
    title = f"Similarity: {escape(report.assignment)}"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{STYLE}</style></head><body>"
            f"<h1>{title}</h1><p>{summary}</p>"
            "<p class=\"note\">score = shared fingerprints / those of the smaller hand-in: "
            "the share of its own answer code (starter code subtracted) also found in the "
            "other. A high score asks for a closer look; it proves nothing by itself.</p>"
            f"{table}\n{sections}</body></html>\n")


def write_html(report: SimilarityReport, path: Path) -> Path:
    atomic_write(Path(path), render(report))
    return Path(path)
