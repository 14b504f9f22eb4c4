"""What an instructor and a student see of a graded hand-in, from the real tools: the
submission page of a running formgrader (HTTP) and a feedback page opened in headless
Chromium with every request that is not a local file aborted."""
from __future__ import annotations

import re
import threading
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"

# what the page shows, once MathJax (if any) has finished typesetting
_SEEN = """() => ({
  mjx: document.querySelectorAll('mjx-container').length,
  markdown: [...document.querySelectorAll('.text_cell_render')].map(e => e.innerText),
  toc: (document.querySelector('#toc') || {innerText: ''}).innerText,
  images: [...document.images].map(i => ({src: i.src.slice(0, 40), width: i.naturalWidth,
                                         height: i.naturalHeight})),
  text: document.body.innerText,
})"""


def formgrader_submission_page(course, assignment_id: str, student: str) -> str:
    """The HTML formgrader serves for `student`'s notebook (the manual grader's view)."""
    from servers import formgrader  # tests/support/servers.py
    with formgrader(course) as server:
        submissions = server.api(f"/formgrader/api/submitted_notebooks/{assignment_id}/{assignment_id}")
        [sid] = [s["id"] for s in submissions if s["student"] == student]
        status, page = server.request(f"/formgrader/submissions/{sid}/")
        assert status == 200, status
        return page


def open_offline(path: Path) -> dict:
    """Open a local HTML page in headless Chromium, no network: every non-file request is
    aborted (and listed in "blocked"). Waits for MathJax when the page loads it. Runs in a
    thread of its own: playwright's sync API refuses a thread with a running asyncio loop,
    which an earlier test of the session may have left in this one."""
    result: dict = {}

    def run() -> None:
        try:
            result["seen"] = _open_offline(path)
        except BaseException as error:  # re-raised in the caller's thread
            result["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["seen"]


def _open_offline(path: Path) -> dict:
    from playwright.sync_api import sync_playwright
    blocked: list[str] = []

    def route(request_route):
        if request_route.request.url.startswith(("file:", "data:")):
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.route("**/*", route)
            page.goto(path.as_uri(), wait_until="load")
            if page.evaluate("() => !!(window.MathJax && window.MathJax.startup)"):
                page.evaluate("() => MathJax.startup.promise")
            seen = page.evaluate(_SEEN)
        finally:
            browser.close()
    seen["blocked"] = blocked
    return seen


def raw_math(texts: list[str]) -> list[str]:
    """Pieces of `texts` that still read as TeX between dollars (MathJax did not run)."""
    return [m for text in texts for m in re.findall(r"\$[^$\n]{1,80}\$", text)]
