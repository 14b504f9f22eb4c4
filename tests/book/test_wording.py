"""Students never meet the course's internal names for its sources ("seed 000", "seed
002 (%)", "seed 000's design"): pages and exercises name the source itself
(deep.TEACHING, Grokking Deep Learning, the UvA tutorial, d2l.ai, the survey)."""
import re

import pytest

from booktools import REPO

JARGON = re.compile(r"\bseeds?\s*0\d\d(?:'s)?", re.IGNORECASE)


def jargon_in(text: str) -> list[str]:
    return [text[max(0, m.start() - 40):m.end() + 20].replace("\n", " ")
            for m in JARGON.finditer(text)]


def test_the_jargon_pattern_finds_internal_source_names_only():
    assert jargon_in("as in seed 000's design") and jargon_in("| seed 002 (%) |")
    assert jargon_in("Seeds 003")
    assert not jargon_in("rng = np.random.default_rng(seed=0); seed 0 of 5; seed 1234")


def test_released_exercises_never_name_a_source_by_its_seed_number():
    found = {}
    for notebook in sorted((REPO / "exercises").glob("*/*.ipynb")):
        hits = jargon_in(notebook.read_text())
        if hits:
            found[notebook.relative_to(REPO).as_posix()] = hits
    assert not found, f"internal source names in released exercises: {found}"


@pytest.mark.slow
def test_built_pages_never_name_a_source_by_its_seed_number(html_dir):
    found = {}
    for page in sorted(html_dir.rglob("*.html")):
        text = re.sub(r"<[^>]+>", " ", page.read_text(errors="replace"))
        hits = jargon_in(text)
        if hits:
            found[page.relative_to(html_dir).as_posix()] = hits
    assert not found, f"internal source names in built pages: {found}"
