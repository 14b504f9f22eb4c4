"""Each chapter teaches rather than tells: it opens with what the student will be able to
do (3-5 outcomes), ends with a short summary, keeps its paragraphs short, and keeps cache
paths out of the teaching text."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from booktools import REPO

CHAPTERS = ["why_nonlinearity", "activation_zoo", "vanishing_gradient", "grokking_mnist",
            "deeper_networks", "initialisation", "modern_activations", "exploding_gradients",
            "choosing"]
MAX_WORDS = 120


def prose_paragraphs(md: Path) -> list[str]:
    """The chapter's paragraphs of running text: no front matter, code cells, fenced
    blocks' options, display math, tables, lists or headings."""
    text = md.read_text(encoding="utf-8")
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = re.sub(r"```\{code-cell\}.*?```", "", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " MATH ", text, flags=re.S)
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in block.splitlines():
            if not line.strip() or re.match(r"\s*(```|:\w|#|\|)", line):
                continue
            if re.match(r"\s*(- |\d+\. )", line) and current:   # a list item is a paragraph of its own
                paragraphs.append(" ".join(current))
                current = []
            current.append(line.strip())
        if current:
            paragraphs.append(" ".join(current))
    return paragraphs


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_opens_with_outcomes_and_ends_with_a_summary(chapter):
    text = (REPO / "book" / f"{chapter}.md").read_text(encoding="utf-8")
    match = re.search(r"After this chapter you can\n\n((?:- .*\n(?:  .*\n)*)+)", text)
    assert match, f"{chapter}: no 'After this chapter you can' list of outcomes"
    outcomes = re.findall(r"^- ", match.group(1), flags=re.M)
    assert 3 <= len(outcomes) <= 5, f"{chapter}: {len(outcomes)} outcomes, expected 3 to 5"
    first_section = text.find("\n## ")
    assert match.start() < first_section, f"{chapter}: the outcomes must come before the first section"
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert "Summary" in headings, f"{chapter}: no '## Summary' section"
    after = headings[headings.index("Summary") + 1:]
    assert after in ([], ["Practice"]), f"{chapter}: the summary must end the chapter (before Practice), then {after}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_paragraphs_are_short_and_free_of_cache_paths(chapter):
    md = REPO / "book" / f"{chapter}.md"
    long = [f"{len(p.split())} words: {p[:80]}..." for p in prose_paragraphs(md) if len(p.split()) > MAX_WORDS]
    assert not long, f"{chapter}: paragraphs over {MAX_WORDS} words:\n" + "\n".join(long)
    paths = [p[:80] for p in prose_paragraphs(md) if re.search(r"\.cache/|COURSEPKG_CACHE_DIR", p)]
    assert not paths, f"{chapter}: cache paths in the teaching text: {paths}"


def test_prose_paragraphs_sees_a_long_paragraph(tmp_path):
    md = tmp_path / "x.md"
    md.write_text("---\na: 1\n---\n# T\n\n" + "word " * 130 + "\n\n```{code-cell} ipython3\n" + "x " * 200
                  + "\n```\n\nshort one\n")
    assert [len(p.split()) for p in prose_paragraphs(md)] == [130, 2]
    md.write_text("- item one\n  continued\n- item two\n")
    assert prose_paragraphs(md) == ["- item one continued", "- item two"]


# sections that teach nothing a quick check could test: set-up, wrap-up, exercises
NO_QUICKCHECK = {"Notation", "The data", "Training", "Summary", "Practice"}


def sections_without_quickcheck(text: str) -> list[str]:
    """The '## ' sections of a chapter's text (code cells ignored) with no {quickcheck}."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    return [s.splitlines()[0] for s in sections
            if "{quickcheck}" not in s and s.splitlines()[0] not in NO_QUICKCHECK]


@pytest.mark.parametrize("chapter", ["initialisation", "modern_activations", "exploding_gradients"])
def test_every_teaching_section_of_the_new_chapters_has_a_quick_check(chapter):
    text = (REPO / "book" / f"{chapter}.md").read_text(encoding="utf-8")
    missing = sections_without_quickcheck(text)
    assert not missing, f"{chapter}: sections without a quick check: {missing}"


def test_sections_without_quickcheck_sees_a_missing_one():
    text = "# T\n\n## A\n\n:::{quickcheck}\nQ\n:::\n\n## B\n\n```{code-cell}\n{quickcheck}\n```\n\n## Summary\n"
    assert sections_without_quickcheck(text) == ["B"]
