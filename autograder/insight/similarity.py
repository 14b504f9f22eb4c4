"""Pairwise similarity of the code students wrote for one assignment.

Each collected hand-in (submitted/<student>/<id>/<id>.ipynb) goes through:

1. Answer cells: the code cells whose grade_id names an answer cell (nbgrader
   `solution: true`) of the instructor's notebook (solutions/<id>); the hand-in's own
   metadata decides nothing but which of its cells carries which grade_id.
2. Fingerprints (fingerprints.py): each cell cut at its top-level statements, the pieces
   tokenised with copydetect's rules (comments and whitespace dropped, every identifier
   V) and put in sorted order, so neither renaming variables, rewording comments nor
   reordering functions changes the text; then the winnowed hashes of its k-grams.
3. The fingerprints of all answer cells form one set per hand-in (salted by grade_id:
   the same code in two different cells does not match).
4. Subtraction: every k-gram of the released starter code of the same cell
   (exercises/<id>) is removed, and so is any fingerprint found in more than `common`
   hand-ins (an idiom every correct answer shares; MOSS's -m).
5. Pairs: a sparse hand-ins x fingerprints matrix M; M @ M.T counts the shared
   fingerprints of every pair at once (the inverted index: only pairs that share a
   fingerprint are ever touched), so 500 hand-ins take seconds, not an all-pairs loop.

score(a, b) = shared / min(|a|, |b|), where shared counts the fingerprints a and b have in
common (common idioms not counted) and |a| all of a's fingerprints (starter code
subtracted, idioms counted): the share of the smaller hand-in's own code that is also in
the other and in few other hand-ins. A pair is flagged when score >= threshold and
it shares at least MIN_SHARED fingerprints (a few lines of code; less cannot tell a copy
from a coincidence).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.common import cells
from autograder.common.course import Course
from autograder.common.errors import UsageError

if TYPE_CHECKING:  # numpy, scipy, pygments and copydetect load when a run starts, not
    from autograder.insight.fingerprints import CellPrint  # when the CLI builds its parser

MIN_SHARED = 8    # fewer shared fingerprints than this are never flagged
DEFAULT_THRESHOLD = 0.5
COMMON_FRACTION = 0.2   # fingerprints in more than this share of hand-ins are ignored ...
COMMON_MIN = 10         # ... but only when that is more than this many hand-ins
PROGRESS_OVER = 50      # a progress bar for more hand-ins than this
MAX_CELL_CHARS = 50_000  # an answer cell is compared up to here (pygments: ~30k tokens/s)


@dataclass
class HandinPrint:
    """A hand-in's answer cells (grade_id -> CellPrint), its fingerprint set (common
    idioms removed once the class is indexed) and `size`, the number of its fingerprints
    before that removal (starter code already subtracted): its own code's extent."""
    student: str
    cells: dict[str, CellPrint]
    fingerprints: set[int] = field(default_factory=set)
    size: int = 0
    note: str = ""            # what was not compared, e.g. the tail of a huge cell


@dataclass
class Pair:
    """Two hand-ins whose answers match: score in [0, 1], shared fingerprints, the sizes
    of both fingerprint sets, and the answer cells (grade_ids) where they match."""
    a: str
    b: str
    score: float
    shared: int
    size_a: int
    size_b: int
    cells: list[str]


@dataclass
class SimilarityReport:
    assignment: str
    threshold: float
    prints: dict[str, HandinPrint]      # student -> fingerprints (what was compared)
    pairs: list[Pair]                   # flagged pairs, highest score first
    skipped: dict[str, str]             # student -> why the hand-in was left out
    candidates: int                     # pairs sharing at least one fingerprint
    common: int                         # fingerprints in more hand-ins than this ignored
    seconds: float


def answer_ids(course: Course, assignment_id: str) -> list[str]:
    """grade_ids of the code answer cells of the instructor's notebook, in order."""
    nb = json.loads(course.source_notebook(assignment_id).read_text())
    return [cells.grade_id(cell) for cell in nb["cells"]
            if cell.get("cell_type") == "code" and cells.is_answer(cell)]


def code_cells(path: Path, grade_ids: list[str]) -> dict[str, str]:
    """grade_id -> source of the code cells of notebook `path` that carry one of
    `grade_ids` (the first such cell wins). Raises ValueError for a file that is not a
    notebook."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"not a readable notebook ({type(error).__name__})") from None
    wanted, found = set(grade_ids), {}
    for cell in cells if isinstance(cells, list) else []:
        meta = cell.get("metadata") if isinstance(cell, dict) else None
        meta = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if (isinstance(grade_id, str) and grade_id in wanted and grade_id not in found
                and cell.get("cell_type") == "code"):
            source = cell.get("source", "")
            found[grade_id] = "".join(source) if isinstance(source, list) else str(source)
    return found


def starter_hashes(course: Course, assignment_id: str, grade_ids: list[str]) -> dict[str, set[int]]:
    """grade_id -> every k-gram hash of the released starter code of that cell."""
    released = course.release_folder(assignment_id) / f"{assignment_id}.ipynb"
    if not released.is_file():
        raise UsageError(f"{released} does not exist: the starter code to subtract is the "
                         f"released notebook; run `python -m autograder release {assignment_id}`")
    cells = code_cells(released, grade_ids)
    from autograder.insight.fingerprints import starter_print
    return {grade_id: starter_print(cells.get(grade_id, "")) for grade_id in grade_ids}


def fingerprint_class(course: Course, assignment_id: str, students: list[str],
                      progress: bool = False) -> tuple[dict[str, HandinPrint], dict[str, str]]:
    """Fingerprints of every student's collected hand-in, and {student: why skipped}."""
    from autograder.insight.fingerprints import cell_print
    grade_ids = answer_ids(course, assignment_id)
    starter = starter_hashes(course, assignment_id, grade_ids)
    prints, skipped = {}, {}
    iterator = students
    if progress:
        from tqdm import tqdm
        iterator = tqdm(students, desc="fingerprinting", unit="hand-in")
    for student in iterator:
        path = course.submitted(student, assignment_id)
        try:
            cells = code_cells(path, grade_ids)
        except ValueError as error:
            skipped[student] = f"{path.name}: {error}"
            continue
        if not cells:
            skipped[student] = (f"{path.name}: no answer cell (none of its code cells has the "
                                f"grade_id of one: {', '.join(grade_ids)}); metadata removed?")
            continue
        long = sorted(g for g, code in cells.items() if len(code) > MAX_CELL_CHARS)
        handin = HandinPrint(student, {g: cell_print(g, code[:MAX_CELL_CHARS], starter[g])
                                       for g, code in cells.items()})
        if long:
            handin.note = (f"only the first {MAX_CELL_CHARS} characters of "
                           f"{', '.join(long)} compared")
        for cell in handin.cells.values():
            handin.fingerprints.update(cell.where)
        handin.size = len(handin.fingerprints)
        prints[student] = handin
    return prints, skipped


def shared_counts(prints: list[HandinPrint], common: int):
    """The sparse (n, n) matrix of shared fingerprint counts (upper triangle only), after
    dropping fingerprints held by more than `common` hand-ins (removed from `prints`)."""
    import numpy as np
    from scipy import sparse
    columns: dict[int, int] = {}
    rows, cols = [], []
    for row, handin in enumerate(prints):
        for value in handin.fingerprints:
            rows.append(row)
            cols.append(columns.setdefault(value, len(columns)))
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)),
                               shape=(len(prints), len(columns)))
    frequency = np.asarray(matrix.sum(axis=0)).ravel()
    if (frequency > common).any():
        keep = np.flatnonzero(frequency <= common)
        dropped = {value for value, column in columns.items() if frequency[column] > common}
        for handin in prints:
            handin.fingerprints -= dropped
            for cell in handin.cells.values():
                for value in dropped & cell.where.keys():
                    del cell.where[value]
        matrix = matrix[:, keep]
    return sparse.triu(matrix @ matrix.T, k=1).tocoo()


def score_pairs(prints: list[HandinPrint], common: int, threshold: float) -> tuple[list[Pair], int]:
    """Flagged pairs (score >= threshold, >= MIN_SHARED shared), best first, and the number
    of candidate pairs (sharing at least one fingerprint)."""
    counts = shared_counts(prints, common)
    sizes = [handin.size for handin in prints]
    pairs = []
    for i, j, shared in zip(counts.row.tolist(), counts.col.tolist(), counts.data.tolist()):
        score = shared / max(1, min(sizes[i], sizes[j]))
        if score >= threshold and shared >= MIN_SHARED:
            if prints[i].student > prints[j].student:
                i, j = j, i
            a, b = prints[i], prints[j]
            cells = [g for g in a.cells if g in b.cells
                     and a.cells[g].where.keys() & b.cells[g].where.keys()]
            pairs.append(Pair(a.student, b.student, round(score, 4), int(shared),
                              int(sizes[i]), int(sizes[j]), cells))
    pairs.sort(key=lambda p: (-p.score, -p.shared, p.a, p.b))
    return pairs, int(counts.nnz)


def similarity(course: Course, assignment_id: str, threshold: float = DEFAULT_THRESHOLD,
               progress: bool | None = None,
               students: list[str] | None = None) -> SimilarityReport:
    """Compare every collected hand-in of `assignment_id` (or of `students` only) with
    every other; flagged pairs ranked by score. `progress`: a tqdm bar on stderr (default:
    more than PROGRESS_OVER hand-ins). Reads the source, released and submitted notebooks,
    writes nothing."""
    start = time.monotonic()
    course.check_assignment(assignment_id)
    if not 0 < threshold <= 1:
        raise UsageError(f"--threshold must be in (0, 1], got {threshold}")
    if students is None:
        students = course.submitted_students(assignment_id)
    if not students:
        raise UsageError(f"no hand-ins of {assignment_id!r} collected in "
                         f"{course.root / 'submitted'}; run `python -m autograder collect "
                         f"{assignment_id} SOURCE` first")
    if progress is None:
        progress = len(students) > PROGRESS_OVER
    prints, skipped = fingerprint_class(course, assignment_id, students, progress)
    common = max(COMMON_MIN, int(COMMON_FRACTION * len(prints)))
    ordered = list(prints.values())
    pairs, candidates = score_pairs(ordered, common, threshold) if ordered else ([], 0)
    return SimilarityReport(assignment_id, threshold, prints, pairs, skipped, candidates,
                            common, time.monotonic() - start)


def format_report(report: SimilarityReport, limit: int = 50) -> str:
    """The console view: a ranked table of flagged pairs and a closing summary."""
    lines = []
    if report.pairs:
        width = max(len("student A"), *(len(p.a) for p in report.pairs[:limit]))
        width_b = max(len("student B"), *(len(p.b) for p in report.pairs[:limit]))
        lines.append(f"{'rank':>4}  {'score':>5}  {'student A':<{width}}  "
                     f"{'student B':<{width_b}}  shared  cells")
        for rank, pair in enumerate(report.pairs[:limit], 1):
            lines.append(f"{rank:>4}  {pair.score:>5.2f}  {pair.a:<{width}}  "
                         f"{pair.b:<{width_b}}  {pair.shared:>6}  {', '.join(pair.cells)}")
        if len(report.pairs) > limit:
            lines.append(f"... {len(report.pairs) - limit} more pair(s) (see --html)")
    for student, why in sorted(report.skipped.items()):
        lines.append(f"skipped {student}: {why}")
    for student, handin in sorted(report.prints.items()):
        if handin.note:
            lines.append(f"note {student}: {handin.note}")
    n = len(report.prints)
    lines.append(
        f"{report.assignment}: {n} hand-in(s), {n * (n - 1) // 2} pair(s), "
        f"{report.candidates} sharing code, {len(report.pairs)} flagged at score >= "
        f"{report.threshold:.2f} (shared fingerprints / the smaller hand-in's; idioms in "
        f"more than {report.common} hand-ins ignored), {report.seconds:.1f} s")
    return "\n".join(lines)
