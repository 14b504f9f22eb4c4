"""The rendered book: every TOC page built, no solution published, math offline, and
every page loads in headless Chromium without errors, broken links or raw TeX (the build,
server and browser fixtures are in conftest.py). Set ``BOOK_SCREENSHOT_DIR`` to keep a
screenshot of every page."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from booktools import toc_pages

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_every_toc_page_is_built_and_no_solution_is_published(html_dir):
    for page in toc_pages():
        assert (html_dir / f"{page}.html").is_file(), f"{page}.html missing from the build"
    built = [p.relative_to(html_dir).as_posix() for p in html_dir.rglob("*.html")]
    leaked = [p for p in built if p.startswith(("solutions/", "exercises/", "autograder/", "tests/"))]
    assert not leaked, f"pages built from outside the book: {leaked}"
    sources = [p.relative_to(html_dir).as_posix() for p in (html_dir / "_sources").rglob("*")
               if p.is_file()] if (html_dir / "_sources").is_dir() else []
    assert not [s for s in sources if "solutions" in s], "solution sources were copied"
    # nbgrader marks solution code and hidden tests; none of it may reach a page
    for html_file in html_dir.rglob("*.html"):
        text = html_file.read_text(errors="replace")
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):
            assert marker not in text, f"{marker!r} found in {html_file.relative_to(html_dir)}"


def test_math_is_shipped_for_offline_use(html_dir):
    """MathJax is served from the book itself, not from a CDN."""
    page = (html_dir / "book" / "vanishing_gradient.html").read_text()
    scripts = re.findall(r'<script[^>]+src="([^"]*mathjax[^"]*)"', page, flags=re.I)
    assert scripts and all(not s.startswith(("http:", "https:", "//")) for s in scripts), scripts
    assert (html_dir / "_static" / "mathjax" / "tex-chtml.js").is_file()


def _ids_in(html_file: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html_file.read_text(errors="replace")))


_VISIBLE_TEXT_JS = """() => {
  const body = document.querySelector('main') || document.body;
  const copy = body.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, mjx-container, .cell_input').forEach(e => e.remove());
  return copy.innerText;
}"""


def test_every_page_renders_in_chromium(html_dir, server, browser):
    shots = os.environ.get("BOOK_SCREENSHOT_DIR")
    problems: list[str] = []
    id_cache: dict[Path, set[str]] = {}
    start = time.perf_counter()
    for doc in toc_pages():
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(
            f"console {m.type}: {m.text} ({m.location.get('url')})") if m.type == "error" else None)
        page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}")
                if r.status >= 400 else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url} {r.failure}"))
        url = urljoin(server, f"{doc}.html")
        response = page.goto(url, wait_until="networkidle")
        assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"

        # math: wait for MathJax to finish typesetting, then no raw TeX may be visible
        n_math = page.locator(".math").count()
        if n_math:
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
            page.evaluate("() => MathJax.startup.promise")
            n_typeset = page.locator("mjx-container").count()
            if n_typeset < n_math:
                problems.append(f"{doc}: {n_math} math elements but {n_typeset} typeset by MathJax")
        text = page.evaluate(_VISIBLE_TEXT_JS)
        for raw in ("$$", "\\(", "\\[", "\\frac", "\\begin{"):
            if raw in text:
                problems.append(f"{doc}: raw TeX {raw!r} left in the visible text")

        # images: every <img> loaded; content images carry alt text
        for img in page.evaluate("""() => Array.from(document.images).map(i => ({
                src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0,
                alt: i.getAttribute('alt'), content: !!i.closest('main')}))"""):
            if not img["ok"]:
                problems.append(f"{doc}: image not loaded: {img['src']}")
            if img["content"] and not (img["alt"] or "").strip():
                problems.append(f"{doc}: image without alt text: {img['src']}")

        # internal links: the target file exists, and so does the anchor
        for href in page.evaluate("() => Array.from(document.querySelectorAll('a[href]'), a => a.href)"):
            parts = urlsplit(href)
            if not href.startswith(server):
                continue
            target = html_dir / unquote(parts.path[len(urlsplit(server).path):])
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{doc}: broken link {href}")
            elif parts.fragment and target.suffix == ".html":
                ids = id_cache.setdefault(target, _ids_in(target))
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{doc}: link to a missing anchor {href}")

        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"{doc.replace('/', '_')}.png"))
        problems += [f"{doc}: {e}" for e in errors]
        page.close()
    print(f"\nbrowser check of {len(toc_pages())} pages: {time.perf_counter() - start:.1f} s")
    assert not problems, "\n".join(problems)


def test_search_finds_vanishing_and_shows_snippets(server, browser):
    page = browser.new_page()
    page.goto(urljoin(server, "search.html?q=vanishing"), wait_until="networkidle")
    page.wait_for_selector("#search-results li", timeout=30_000)
    page.wait_for_selector("#search-results li p.context", timeout=30_000)
    results = page.evaluate("""() => Array.from(document.querySelectorAll('#search-results li'), li => ({
        href: li.querySelector('a').href,
        snippet: (li.querySelector('p.context') || {}).textContent || ''}))""")
    page.close()
    assert any("vanishing_gradient" in r["href"] for r in results), results
    with_snippet = [r for r in results if "vanish" in r["snippet"].lower()]
    assert with_snippet, f"no result shows a snippet with the search word: {results}"


_VISIBLE_SEARCH_JS = """() => Array.from(document.querySelectorAll(
    'form.bd-search input[type=search], .search-button-field, .search-button'))
  .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0
                 && getComputedStyle(e).visibility !== 'hidden'; }).length"""


@pytest.mark.parametrize("width", [1280, 390])
def test_each_page_offers_one_search_box_and_no_empty_index(html_dir, server, browser, width):
    assert not (html_dir / "genindex.html").exists(), "an empty general index is published"
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    counts = {}
    for doc in ["book/intro", "book/activation_zoo", "book/references"]:
        page.goto(urljoin(server, f"{doc}.html"), wait_until="networkidle")
        counts[doc] = page.evaluate(_VISIBLE_SEARCH_JS)
        assert "genindex" not in page.content(), f"{doc} links to the general index"
    page.close()
    assert set(counts.values()) == {1}, f"visible search boxes per page at {width} px: {counts}"


def test_launch_buttons_open_committed_ipynb_twins_and_no_unconfigured_hub(html_dir):
    import yaml

    from booktools import REPO
    repo_url = yaml.safe_load((REPO / "_config.yml").read_text())["repository"]["url"]
    slug = repo_url.rstrip("/").split("github.com/")[1]
    checked = 0
    for doc in toc_pages():
        page = (html_dir / f"{doc}.html").read_text()
        assert "jupyterhub.example.org" not in page and "hub/user-redirect" not in page, doc
        for link in re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', page):
            checked += 1
            assert link.startswith(f"https://colab.research.google.com/github/{slug}/blob/"), link
            path = link.split("/blob/", 1)[1].split("/", 1)[1]
            assert path.endswith(".ipynb") and (REPO / path).is_file(), f"{doc}: Colab opens {path}"
    assert checked >= 3, "no Colab launch links found"
