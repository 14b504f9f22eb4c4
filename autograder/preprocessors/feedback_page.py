"""The student's feedback page: nbgrader's feedback template with tests named by what they
check (templates/autograder_feedback/) and math rendered offline by MathJax 3.

MathJax comes from the copy the book already ships (the sphinx-mathjax-offline package's
static/mathjax, SVG output: no font files to fetch) and is inlined into each page in
place of the empty ``<script id="autograder-mathjax">`` that the template's `mathjax`
macro writes, so a page works wherever it is opened (a file on the student's disk, the
LMS's preview, nbgrader's exchange) and requests nothing from the network.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from nbconvert.exporters import HTMLExporter
from traitlets import default
from traitlets.config import Config

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "autograder_feedback"
PLACEHOLDER = b'<script id="autograder-mathjax"></script>'
MATHJAX_FILE = "tex-svg.js"


def mathjax_folder() -> Path:
    """static/mathjax of sphinx-mathjax-offline (installed with the book's requirements;
    its files live in site-packages/sphinx-mathjax-offline, not an importable package)."""
    from importlib.metadata import PackageNotFoundError, distribution
    try:
        folder = Path(distribution("sphinx-mathjax-offline").locate_file(
            "sphinx-mathjax-offline/static/mathjax"))
    except PackageNotFoundError:
        folder = None
    if folder is None or not (folder / MATHJAX_FILE).is_file():
        raise FileNotFoundError(f"MathJax's {MATHJAX_FILE} not found (looked in {folder}): "
                                "install the course's requirements (sphinx-mathjax-offline)")
    return folder


@cache
def mathjax_script() -> bytes:
    """The inline script tag holding MathJax (about 2 MB)."""
    code = (mathjax_folder() / MATHJAX_FILE).read_bytes()
    if b"</script" in code.lower():
        raise ValueError(f"{MATHJAX_FILE} contains '</script' and cannot be inlined")
    return b'<script id="autograder-mathjax">' + code + b"</script>"


def nbgrader_templates() -> str:
    import nbgrader
    return str(Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader"
               / "templates")


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter (an HTMLExporter) that finds nbgrader's feedback
    template as our template's base (GenerateFeedback resets `extra_template_paths`, so
    the folder is added here) and inlines MathJax into the page it writes."""

    @default("template_paths")
    def _feedback_template_paths(self) -> list[str]:
        return [*self._template_paths(), nbgrader_templates()]

    def from_notebook_node(self, nb: Any, resources: dict | None = None,
                           **kw: Any) -> tuple[str, dict]:
        output, resources = super().from_notebook_node(nb, resources, **kw)
        return with_mathjax(output.encode()).decode(), resources


def feedback_config() -> Config:
    """What autograder/nbgrader_config.py adds for nbgrader's GenerateFeedback (our CLI's
    `feedback` and formgrader's "Generate feedback" alike): our exporter and template."""
    config = Config()  # in our exporter's own section: formgrader's HTMLExporter keeps its own
    config.GenerateFeedback.exporter_class = FeedbackExporter
    config.FeedbackExporter.template_name = TEMPLATE_NAME
    config.FeedbackExporter.extra_template_basedirs = [str(TEMPLATES), nbgrader_templates()]
    return config


def with_mathjax(page: bytes) -> bytes:
    """`page` with MathJax inlined in place of the template's placeholder (the first one,
    in the page's head; student content cannot hold a script tag after sanitizing)."""
    return page.replace(PLACEHOLDER, mathjax_script(), 1)


def content_size(page: bytes) -> int:
    """Bytes of `page` without the MathJax inlined into it."""
    script = mathjax_script()
    return len(page) - (len(script) - len(PLACEHOLDER) if script in page else 0)
