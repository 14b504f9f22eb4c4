"""Nothing on a page is cut off and every figure's text is large enough to read, on a
desktop (1280 px) and on a phone (390 px), measured in headless Chromium on every page.

Cut off: every table, display equation, cell output and code block of the article must
fit its column, or sit in a box that scrolls sideways (overflow-x auto/scroll) with a
scrollbar that takes up space on screen (Playwright's default of hiding scrollbars is
switched off in conftest.py). The page itself never scrolls sideways.

Figure text: the chapters' matplotlib rc is book/matplotlibrc (matplotlib reads it from
the working directory, which is book/ when a chapter runs). For each matplotlib PNG the
smallest text is the smallest size that rc sets, or an explicit smaller ``fontsize=`` /
``labelsize=`` in the page's code or in the packages the pages import; at the PNG's
saved dpi (its pHYs chunk) that is ``pt * dpi / 72`` px, and on screen it is scaled by
(rendered width / natural width). That product must be at least MIN_TEXT_PX.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from booktools import REPO, toc_pages

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

WIDTHS = {"desktop": 1280, "phone": 390}
MIN_TEXT_PX = 9.0
RC_FILE = REPO / "book" / "matplotlibrc"
TEXT_SIZE_KEYS = ["font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize",
                  "ytick.labelsize", "legend.fontsize", "legend.title_fontsize",
                  "figure.titlesize"]

# For every element to check: is it cut off inside itself, or does it stick out of an
# ancestor that clips it, scrolls without a visible scrollbar, or is the article column?
_LAYOUT_JS = """() => {
  const out = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) {
    const wide = Array.from(document.body.querySelectorAll('*')).filter(e =>
      e.getBoundingClientRect().right > root.clientWidth + 1 && !e.querySelector('*')).slice(0, 3)
      .map(e => `<${e.tagName.toLowerCase()}> "${(e.textContent || '').trim().slice(0, 40)}"`);
    out.push(`the page scrolls sideways (${root.scrollWidth} px of content, ${root.clientWidth} px window; ` +
             `sticking out: ${wide.join(', ')})`);
  }
  const column = document.querySelector('main article.bd-article') || document.querySelector('main');
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const clips = el => ['hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  const barShown = el => {
    const cs = getComputedStyle(el);
    const borders = parseFloat(cs.borderTopWidth) + parseFloat(cs.borderBottomWidth);
    return el.offsetHeight - el.clientHeight - borders > 0.5;
  };
  const name = el => {
    const sec = el.closest('section[id]');
    const text = (el.innerText || el.getAttribute('alt') || '').replace(/\\s+/g, ' ').slice(0, 50);
    return `<${el.tagName.toLowerCase()} class="${el.className}"> in #${sec ? sec.id : '?'} ("${text}")`;
  };
  const sel = 'table, mjx-container[display="true"], .cell_output pre, .cell_output img, ' +
              '.cell_output table, div.highlight pre, div.quickcheck, .cfx-controls, .cfx-chart svg';
  for (const el of column.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;   // folded away (hidden input, dropdown)
    if (el.scrollWidth > el.clientWidth + 1 && el.tagName !== 'IMG' && el.tagName !== 'TABLE') {
      if (!scrolls(el)) { out.push(`${name(el)}: cut off (${el.scrollWidth} px of content in ${el.clientWidth} px, not scrollable)`); continue; }
      if (!barShown(el)) { out.push(`${name(el)}: scrolls sideways without a visible scrollbar`); continue; }
    }
    for (let a = el.parentElement; a; a = a.parentElement) {
      const ar = a.getBoundingClientRect();
      const left = ar.left + a.clientLeft, right = left + a.clientWidth;
      const sticksOut = r.right > right + 1 || r.left < left - 1;
      if (a === column) {
        if (sticksOut) out.push(`${name(el)}: ${Math.round(r.width)} px wide, wider than its ${a.clientWidth} px column`);
        break;
      }
      if (!sticksOut) continue;
      if (scrolls(a)) {
        if (!barShown(a)) out.push(`${name(el)}: in a box that scrolls without a visible scrollbar`);
        break;
      }
      if (clips(a)) { out.push(`${name(el)}: cut off by <${a.tagName.toLowerCase()} class="${a.className}">`); break; }
    }
  }
  return out;
}"""

_IMAGES_JS = """() => Array.from(document.querySelectorAll('main img')).map(i => {
  const r = i.getBoundingClientRect();
  return {src: i.getAttribute('src'), url: i.src, shown: r.width, natural: i.naturalWidth,
          alt: (i.getAttribute('alt') || '').slice(0, 60)};
}).filter(i => i.shown > 0)"""


def _open(browser, server, doc: str, width: int):
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(urljoin(server, f"{doc}.html"), wait_until="networkidle")
    if page.locator(".math").count():
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=30_000)
        page.evaluate("() => MathJax.startup.promise")
    return page


@pytest.mark.parametrize("device", list(WIDTHS))
def test_no_table_equation_or_output_is_cut_off(server, browser, device):
    problems = []
    for doc in toc_pages():
        page = _open(browser, server, doc, WIDTHS[device])
        problems += [f"{doc} at {WIDTHS[device]} px: {p}" for p in page.evaluate(_LAYOUT_JS)]
        page.close()
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------------- figure text
def _points(value, base: float) -> float:
    from matplotlib import font_manager
    if isinstance(value, str) and value in font_manager.font_scalings:
        return base * font_manager.font_scalings[value]
    return float(value)


def rc_smallest_text_pt() -> float:
    """The smallest text size (pt) that book/matplotlibrc gives any figure text."""
    import matplotlib
    assert RC_FILE.is_file(), f"{RC_FILE} is missing: the chapters' matplotlib rc lives there"
    rc = matplotlib.rc_params_from_file(str(RC_FILE), use_default_template=True)
    base = float(rc["font.size"])
    return min(_points(rc[key], base) for key in TEXT_SIZE_KEYS
               if rc.get(key) not in (None, "None"))


_OVERRIDE = re.compile(r"\b(?:fontsize|labelsize|title_fontsize)\s*=\s*"
                       r"(?:(\d+(?:\.\d+)?)|[\"']([a-z-]+)[\"'])")


def explicit_sizes_pt(text: str, base: float) -> list[float]:
    """Sizes (pt) passed explicitly in code, e.g. legend(fontsize=7) or fontsize="small"."""
    sizes = []
    for number, word in _OVERRIDE.findall(text):
        sizes.append(float(number) if number else _points(word, base))
    return sizes


_IMPORT = re.compile(r"^\s*(?:from\s+(coursepkg|courseref|\.)(?:\.?(\w+))?\s+import\s+([\w, ]+)"
                     r"|import\s+(coursepkg|courseref)\.(\w+))", re.M)


def _modules_imported_by(text: str, here: Path) -> set[Path]:
    found = set()
    for pkg, sub, names, pkg2, sub2 in _IMPORT.findall(text):
        if pkg2:
            folder, stems = REPO / pkg2, [sub2]
        else:
            folder = here if pkg == "." else REPO / pkg
            stems = [sub] if sub else [n.split()[0] for n in names.split(",") if n.strip()]
        for stem in stems:
            if (folder / f"{stem}.py").is_file():
                found.add(folder / f"{stem}.py")
            elif (folder / stem).is_dir():               # a subpackage: all its modules
                found |= set((folder / stem).glob("*.py"))
    return found


def imported_modules(text: str) -> set[Path]:
    """The course package modules a page's code imports, and the ones those import."""
    found = _modules_imported_by(text, REPO)
    todo = list(found)
    while todo:
        module = todo.pop()
        for new in _modules_imported_by(module.read_text(), module.parent) - found:
            found.add(new)
            todo.append(new)
    return found


def smallest_text_pt(doc: str) -> float:
    """The smallest text (pt) in the figures of page `doc`: the rc's, or smaller sizes set
    explicitly in the page's code or in the course modules it imports."""
    import matplotlib
    base = float(matplotlib.rc_params_from_file(str(RC_FILE), use_default_template=True)["font.size"])
    page = REPO / f"{doc}.md"
    code = [page.read_text()] if page.is_file() else []
    code += [m.read_text() for m in sorted(imported_modules("\n".join(code)))]
    return min([rc_smallest_text_pt()] + [s for t in code for s in explicit_sizes_pt(t, base)])


def test_a_page_is_charged_with_the_sizes_of_the_modules_it_imports():
    modules = {m.relative_to(REPO).as_posix() for m in
               imported_modules("from coursepkg import data, plots\nimport numpy")}
    assert {"coursepkg/data/__init__.py", "coursepkg/plots/static.py", "coursepkg/plots/flow.py"} <= modules
    assert not any(m.startswith("coursepkg/deepnets") for m in modules)


def test_explicit_sizes_are_read_from_code():
    assert explicit_sizes_pt('ax.legend(fontsize=7)\nax.tick_params(labelsize="small")', 12) == \
        [7.0, pytest.approx(10.0, abs=0.01)]


@pytest.mark.parametrize("device", list(WIDTHS))
def test_figure_text_is_large_enough_to_read(html_dir, server, browser, device):
    from PIL import Image
    problems, n_figures = [], 0
    for doc in toc_pages():
        text_pt = smallest_text_pt(doc)
        page = _open(browser, server, doc, WIDTHS[device])
        for img in page.evaluate(_IMAGES_JS):
            path = html_dir / unquote(urlsplit(img["url"]).path.lstrip("/"))
            if path.suffix.lower() != ".png" or not path.is_file():
                continue
            with Image.open(path) as png:
                if "matplotlib" not in str(png.info.get("Software", "")).lower():
                    continue
                dpi = float(png.info.get("dpi", (72.0,))[0])
            n_figures += 1
            px = text_pt * dpi / 72 * img["shown"] / img["natural"]
            if px < MIN_TEXT_PX - 1e-6:
                problems.append(
                    f"{doc} at {WIDTHS[device]} px: figure {img['src']} ({img['alt']}...): smallest "
                    f"text {text_pt:.3g} pt at {dpi:g} dpi = {text_pt * dpi / 72:.1f} px, shown at "
                    f"{img['shown']:.0f} of {img['natural']} px -> {px:.1f} px < {MIN_TEXT_PX:g} px; "
                    f"at {text_pt:.3g} pt the figure may be at most "
                    f"{text_pt * img['shown'] / (72 * MIN_TEXT_PX):.1f} in wide "
                    f"(after bbox_inches='tight'), or its text larger")
        page.close()
    assert n_figures > 0, "no matplotlib figure found: is the PNG metadata check still right?"
    assert not problems, "\n".join(problems)


_SYNTHETIC = """<html><body><main><article class="bd-article" style="width: 300px">
<section id="clipped"><div style="overflow: hidden"><table><tr><td style="white-space: nowrap">
a table row much wider than the three hundred pixel column it lives in</td></tr></table></div></section>
<section id="spilling"><div class="cell_output"><pre style="white-space: pre">a printed line much wider than the three hundred pixel column</pre></div></section>
<style>.nobar::-webkit-scrollbar { display: none; }</style>
<section id="hidden-bar"><div class="nobar" style="overflow-x: auto"><table><tr><td style="white-space: nowrap">
a table that scrolls but shows no scrollbar, wider than the column</td></tr></table></div></section>
<section id="fine"><div style="overflow-x: auto"><table><tr><td style="white-space: nowrap">
a table that scrolls with a visible scrollbar, wider than the column</td></tr></table></div></section>
</article></main></body></html>"""


def test_the_layout_check_reports_clipped_spilling_and_barless_boxes(browser):
    """The check itself, on a hand-made page: three faults found, the good box passes."""
    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_content(_SYNTHETIC)
    problems = page.evaluate(_LAYOUT_JS)
    page.close()
    joined = "\n".join(problems)
    assert "#clipped" in joined and "cut off by" in joined, joined
    assert "#spilling" in joined and "not scrollable" in joined, joined
    assert "#hidden-bar" in joined and "without a visible scrollbar" in joined, joined
    assert "#fine" not in joined, joined
