"""Fixtures of the book tests: one real clean build per session, a local http server on
127.0.0.1 serving it, and Debian's headless Chromium driven by Playwright.

The build runs ``jupyter-book build <repo> --warningiserror --keep-going`` with
``--path-output`` in a temporary directory, so it starts with an empty jupyter-cache (a
real clean build that executes every chapter) and never touches the developer's _build.
Set ``COURSE_BOOK_HTML=/path/to/_build/html`` to check an existing build instead (for
iterating on these tests; the default always builds).

The browser is /usr/bin/chromium (nothing downloads a browser) with a new empty profile
and real scrollbars (Playwright hides them by default; the layout test needs to see them).
"""
from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from booktools import CHROMIUM, CHROMIUM_ARGS, REPO


def _build_env() -> dict:
    """The build's environment: no MPLBACKEND, or the chapters' kernels would inherit the
    test suite's Agg backend and show no figures at all (ipykernel picks its inline backend
    only when MPLBACKEND is unset)."""
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


@pytest.fixture(scope="session")
def html_dir(tmp_path_factory) -> Path:
    existing = os.environ.get("COURSE_BOOK_HTML")
    if existing:
        return Path(existing)
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    start = time.perf_counter()
    proc = subprocess.run(
        [str(jupyter_book), "build", str(REPO), "--path-output", str(out),
         "--warningiserror", "--keep-going"],
        capture_output=True, text=True, timeout=1500,
        env=_build_env())
    elapsed = time.perf_counter() - start
    print(f"\nclean book build: {elapsed:.0f} s")
    assert proc.returncode == 0, (
        f"jupyter-book build failed (exit {proc.returncode}) after {elapsed:.0f} s:\n"
        + proc.stdout[-6000:] + "\n" + proc.stderr[-6000:])
    return out / "_build" / "html"


# ----------------------------------------------------------------------------- browser
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(html_dir):
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make bootstrap` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            ignore_default_args=["--hide-scrollbars"])
        yield context
        context.close()


