"""Fingerprints of one answer cell: what `similarity` compares.

normalise(code) -> Normalised: the cell cut at its top-level statements (each function or
class its own piece; code that does not parse stays one piece), each piece tokenised by
pygments with copydetect's rules (`copydetect.utils.filter_code`: comments and
whitespace dropped; identifiers V, function names F, class names O, strings S; keywords,
operators, numbers and builtins kept), and the pieces concatenated in sorted order, so
reordering functions does not change the text. Unlike filter_code, every normalised
character keeps the exact span of source it stands for (to highlight matches).

cell_print(grade_id, code, starter) -> CellPrint: stable hashes of every K-character
k-gram inside one piece (none straddles two, so reordering functions changes nothing;
a piece shorter than K, such as `import numpy as np`, has none), winnowed piece by piece
with copydetect's `winnow` (window W: any common run of K + W - 1 normalised characters
shares a fingerprint), salted by the cell's grade_id, minus every k-gram of the starter
code.
"""
from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from functools import cache

import numpy as np
from pygments import token

K = 25            # k-gram length in normalised characters (copydetect's noise threshold)
W = 6             # winnowing window: common runs of K + W - 1 = 30 characters always match
_MASK = (1 << 52) - 1   # hashes fit a float64 exactly (copydetect's winnow compares floats)
_POWERS = np.array([pow(1_000_003, K - 1 - j, 1 << 64) for j in range(K)], dtype=np.uint64)
_VARIABLE = {token.Name, token.Name.Variable, token.Name.Attribute}


@dataclass
class Normalised:
    """text: the normalised code; starts, ends: int arrays of len(text), the span
    source[starts[i]:ends[i]] that text[i] stands for; pieces: the (start, end) spans of
    `text` that come from one top-level statement each (k-grams never cross them)."""
    text: str
    starts: np.ndarray
    ends: np.ndarray
    pieces: list[tuple[int, int]]


@dataclass
class CellPrint:
    """One answer cell of one hand-in: its source (newlines normalised), normalised form,
    fingerprints (`where`: fingerprint -> positions of its k-gram in norm.text) and
    `grams`, the hash of the k-gram at every position (-1 where it straddles two pieces
    or is starter code), shape (max(0, len(norm.text) - K + 1),): what the view marks."""
    grade_id: str
    source: str
    norm: Normalised
    where: dict[int, list[int]]
    grams: np.ndarray


@cache
def _lexer():
    from pygments.lexers import PythonLexer
    return PythonLexer(stripnl=False, ensurenl=False)


def _tokens(source: str, base: int):
    """(normalised piece, start, end) per kept token of `source`; offsets + `base`."""
    for start, kind, value in _lexer().get_tokens_unprocessed(source):
        if kind in _VARIABLE:
            piece = "V"
        elif kind in token.Name.Function:
            piece = "F"
        elif kind in token.Name.Class:
            piece = "O"
        elif kind == token.Comment.Preproc or kind == token.Comment.Hashbang:
            piece = "P"
        elif kind in token.Text or kind in token.Comment:
            continue
        elif kind in token.Literal.String:
            piece = '"' if value in ("'", '"') else "S"
        else:
            for i, char in enumerate(value):
                yield char, base + start + i, base + start + i + 1
            continue
        yield piece, base + start, base + start + len(value)


def pieces(source: str) -> list[tuple[int, int]]:
    """(start, end) character spans of `source`'s top-level statements (decorators and
    the comments above a statement belong to it); one span when it does not parse."""
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [(0, len(source))]
    line_starts = np.cumsum([0, *[len(line) for line in source.splitlines(keepends=True)]])
    spans, start = [], 0
    for node in body:
        end = int(line_starts[min(node.end_lineno, len(line_starts) - 1)])
        if end > start:
            spans.append((start, end))
            start = end
    if start < len(source):
        spans.append((start, len(source)))
    return spans or [(0, len(source))]


def normalise(source: str) -> Normalised:
    """The normalised text of `source` (see the module docstring) with its spans."""
    parts = []
    for start, end in pieces(source):
        tokens = list(_tokens(source[start:end], start))
        parts.append(("".join(t[0] for t in tokens),
                      [s for piece, s, _ in tokens for _ in piece],
                      [e for piece, _, e in tokens for _ in piece]))
    parts.sort(key=lambda part: part[0])
    bounds = np.cumsum([0, *[len(p[0]) for p in parts]]).tolist()
    return Normalised("".join(p[0] for p in parts),
                      np.array([s for p in parts for s in p[1]], dtype=np.int64),
                      np.array([e for p in parts for e in p[2]], dtype=np.int64),
                      list(zip(bounds[:-1], bounds[1:])))


def kgram_hashes(text: str) -> np.ndarray:
    """Stable 52-bit hashes of every K-character window of `text`, shape (len - K + 1,)
    (empty when shorter than K). Python's hash() is salted per process; these are the
    same in every run, so reports are reproducible."""
    if len(text) < K:
        return np.zeros(0, dtype=np.int64)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    windows = np.lib.stride_tricks.sliding_window_view(codes, K)
    with np.errstate(over="ignore"):
        mixed = (windows @ _POWERS) * np.uint64(0x9E3779B97F4A7C15)
    return (mixed >> np.uint64(12)).astype(np.int64)


def salt(grade_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(grade_id.encode(), digest_size=7).digest(), "big")


def cell_print(grade_id: str, code: str, starter: set[int]) -> CellPrint:
    """Fingerprint one answer cell; k-grams of the starter code (`starter`, hashes as
    kgram_hashes gives them) are removed."""
    from copydetect.utils import winnow
    source = code.replace("\r\n", "\n")
    norm = normalise(source)
    hashes = kgram_hashes(norm.text)
    grams = np.full(len(hashes), -1, dtype=np.int64)
    where: dict[int, list[int]] = {}
    cell_salt = salt(grade_id)
    for start, end in norm.pieces:  # winnowed piece by piece: the order of pieces is moot
        if end - start < K:
            continue
        grams[start:end - K + 1] = hashes[start:end - K + 1]
        selected, index = winnow(hashes[start:end - K + 1], W, remove_duplicates=False)
        for value, position in zip(selected.tolist(), (index + start).tolist()):
            if value not in starter:
                where.setdefault((value ^ cell_salt) & _MASK, []).append(position)
    if starter and len(grams):
        grams[np.isin(grams, np.fromiter(starter, dtype=np.int64, count=len(starter)))] = -1
    return CellPrint(grade_id, source, norm, where, grams)


def starter_print(code: str) -> set[int]:
    """Every k-gram hash of a cell's starter code (what cell_print subtracts)."""
    norm = normalise(code.replace("\r\n", "\n"))
    return set(kgram_hashes(norm.text).tolist())


def matched_spans(cell: CellPrint, other: CellPrint) -> list[tuple[int, int]]:
    """(start, end) spans of cell.source covered by k-grams that `other` has too (starter
    code left out); the gaps of spaces between two marked tokens are marked with them."""
    found = (cell.grams >= 0) & np.isin(cell.grams, other.grams[other.grams >= 0])
    covered = np.zeros(len(cell.norm.text) + 1, dtype=np.int64)
    np.add.at(covered, np.flatnonzero(found), 1)
    np.add.at(covered, np.flatnonzero(found) + K, -1)
    marked = np.zeros(len(cell.source) + 1, dtype=np.int64)
    chars = np.flatnonzero(np.cumsum(covered)[:-1] > 0)
    np.add.at(marked, cell.norm.starts[chars], 1)
    np.add.at(marked, cell.norm.ends[chars], -1)
    inside = np.cumsum(marked)[:-1] > 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], inside.astype(np.int8), [0]])))
    spans: list[tuple[int, int]] = []
    for start, end in zip(edges[::2].tolist(), edges[1::2].tolist()):
        if spans and not cell.source[spans[-1][1]:start].strip(" \t"):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans
