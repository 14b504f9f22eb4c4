"""The chapters' .ipynb twins (what Colab and Binder open) are committed and up to date."""
import sys

from booktools import REPO, toc_pages

sys.path.insert(0, str(REPO / "book" / "_ext"))
import course_notebooks  # noqa: E402  (the book's local extension)


def test_every_notebook_chapter_has_an_up_to_date_ipynb_twin_without_outputs():
    import nbformat
    stale, checked = [], 0
    for doc in toc_pages():
        chapter = REPO / f"{doc}.md"
        expected = course_notebooks.twin_text(chapter) if chapter.is_file() else None
        if expected is None:
            continue
        checked += 1
        twin = chapter.with_suffix(".ipynb")
        if not twin.is_file() or twin.read_text() != expected:
            stale.append(twin.relative_to(REPO).as_posix())
            continue
        nb = nbformat.reads(expected, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), twin
    assert checked >= 3, "no notebook chapters found"
    assert not stale, (f"stale or missing notebook twins {stale}: build the book "
                       "(book/_ext/course_notebooks.py rewrites them) and commit them")


def test_a_page_without_a_kernelspec_gets_no_twin(tmp_path):
    page = tmp_path / "plain.md"
    page.write_text("# A plain page\n\nNo code here.\n")
    assert course_notebooks.twin_text(page) is None
    assert course_notebooks.write_twins(tmp_path) == []


def test_quick_checks_reach_the_twins_as_plain_markdown_with_folded_answers(tmp_path):
    page = tmp_path / "quiz.md"
    page.write_text("---\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n# Quiz\n\n"
                    ":::{quickcheck}\nWhich?\n\n- [ ] no\n  because not\n- [x] yes\n  because so\n:::\n\n"
                    ":::{quickcheck}\n:answer: 0.25\n:tolerance: 0.01\nHow much?\n---\nA quarter.\n:::\n")
    import nbformat
    nb = nbformat.reads(course_notebooks.twin_text(page), as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "{quickcheck}" not in text and "- [x]" not in text and "\n---\n" not in text
    assert "**Quick check.** Which?" in text and "- (a) no\n- (b) yes" in text
    assert "<details><summary>Answer</summary>" in text and "**(b) right.** because so" in text
    assert "**0.25**. A quarter." in text
