"""Local Sphinx extension: the `.ipynb` twin of every chapter, for the launch buttons.

The chapters are MyST text notebooks (`book/<chapter>.md`). Colab opens only `.ipynb`
files, and only from the repository, so each chapter that is a notebook (its front
matter has a kernelspec) gets a twin `book/<chapter>.ipynb` next to it: the same cells,
no outputs, converted with jupytext. sphinx-book-theme points the Binder and Colab buttons
at the twin when it exists. The twins are excluded from the book's sources
(`exclude_patterns` in _config.yml) and committed; this extension rewrites a twin at the
start of every build when its chapter changed, and tests/book/test_notebook_twins.py
fails while a committed twin is stale.
"""
from __future__ import annotations

from pathlib import Path


def twin_text(chapter: Path) -> str | None:
    """The .ipynb text of a MyST notebook chapter, or None when the file is no notebook."""
    import jupytext

    notebook = jupytext.read(chapter, fmt="md:myst")
    if "kernelspec" not in notebook.metadata:
        return None
    notebook.metadata.pop("jupytext", None)   # the twin is a plain notebook, not a pair
    from course_quickcheck import notebook_markdown  # Jupyter has no {quickcheck}
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index:03d}"   # jupytext makes random ids: keep the twin stable
        if cell.cell_type == "markdown":
            cell.source = notebook_markdown(cell.source)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return jupytext.writes(notebook, fmt="ipynb")


def write_twins(book_dir: Path) -> list[Path]:
    """Write book_dir/<chapter>.ipynb for every notebook chapter whose twin differs."""
    written = []
    for chapter in sorted(Path(book_dir).glob("*.md")):
        text = twin_text(chapter)
        twin = chapter.with_suffix(".ipynb")
        if text is None:
            continue
        if not twin.is_file() or twin.read_text() != text:
            twin.write_text(text)
            written.append(twin)
    return written


def _on_builder_inited(app):
    from sphinx.util import logging
    book_dir = Path(app.srcdir) / "book"
    for twin in write_twins(book_dir):
        logging.getLogger(__name__).info("course_notebooks: wrote %s", twin)


def setup(app):
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
