"""A test cell's human name, for reports and feedback: what the test checks, in words.

`test_title(source, grade_id)` takes the first sentence of the docstring or of the
leading comment block of the cell's *visible* part (what stands before
``### BEGIN HIDDEN TESTS``; nothing of a hidden block is ever used, so the name can be
shown to students), else the grade_id turned into words ("test_d_relu" -> "D relu").
"""
from __future__ import annotations

import ast
import re

MAX_CHARS = 100
_HIDDEN = "BEGIN HIDDEN TESTS"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def _visible_part(source: str) -> str:
    lines = []
    for line in source.splitlines():
        if _HIDDEN in line:
            break
        lines.append(line)
    return "\n".join(lines)


def _docstring(source: str) -> str | None:
    try:
        return ast.get_docstring(ast.parse(source), clean=True)
    except SyntaxError:
        match = re.match(r'\s*(?:"""|\'\'\')(.*?)(?:"""|\'\'\'|$)', source, re.S)
        return match.group(1).strip() if match else None


def _leading_comment(source: str) -> str | None:
    lines = []
    for line in source.splitlines():
        text = line.strip()
        if not text and not lines:
            continue
        if not text.startswith("#") or text.startswith("###"):
            break
        lines.append(text.lstrip("#").strip())
    return "\n".join(lines) or None


def _first_sentence(text: str) -> str:
    paragraph = " ".join(text.strip().split("\n\n")[0].split())
    sentence = _SENTENCE_END.split(paragraph, maxsplit=1)[0].rstrip()
    if len(sentence) > MAX_CHARS:
        sentence = sentence[:MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return sentence


def words(grade_id: str) -> str:
    """'test_d_relu' -> 'D relu' (a leading 'test' dropped, underscores as spaces)."""
    text = re.sub(r"^test(?=_|$)", "", grade_id).replace("_", " ").strip() or grade_id
    return text[:1].upper() + text[1:]


def test_title(source: str, grade_id: str) -> str:
    """The first sentence (<= MAX_CHARS characters) of the visible docstring or leading
    comment of a test cell's `source`, else `words(grade_id)`."""
    visible = _visible_part(source or "")
    text = _docstring(visible) or _leading_comment(visible)
    title = _first_sentence(text) if text else ""
    return title or words(grade_id)


test_title.__test__ = False  # not a pytest test, despite its name
