"""`analytics ID`: what a graded class got right and wrong, per test cell.

Reads the gradebook (grades, the instructor's test sources, scores), the status records
written by `grade` (failed hand-ins, reviews, grading time, the instructor's details of
hidden failures) and the autograded notebooks (the test cells' error outputs); it runs
nothing and changes nothing.

Per test cell (an autograded grade cell that is not an answer cell): pass rate (full
points; manual overrides in formgrader count), mean points, failures grouped by message
(`failure_group`), the students who lost points. A test is "hidden" when the
instructor's source has a ``BEGIN HIDDEN TESTS`` block. Hand-ins counted: the graded
ones (gradebook submission + autograded notebook; not those whose record says failed).
"""
from __future__ import annotations

import re
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field

import nbformat

from autograder.common import records
from autograder.common.course import Course, atomic_write
from autograder.common.errors import UsageError
from autograder.insight.testnames import test_title
from autograder.runner.segments import HIDDEN_ENAME, has_hidden

NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?(?![\w.])")
PARTIAL_CREDIT = "partial credit"
NO_OUTPUT = "no points, no error shown"


def normalise(message: str) -> str:
    """Numbers -> N, quotes stripped, whitespace collapsed: 'x[3] = 0.5, "a"' -> 'x[N] = N, a'."""
    text = NUMBER.sub("N", message)
    text = re.sub(r"[\"'`]", "", text)
    return " ".join(text.split())


def failure_group(ename: str, evalue: str) -> str:
    """An assertion's first message line ('AssertionError: <line>'), else the exception's
    name; normalised."""
    first = (evalue or "").strip().splitlines()[0] if (evalue or "").strip() else ""
    if ename == "AssertionError" and first:
        return normalise(f"AssertionError: {first}")
    return normalise(ename or "error")


def hidden_group(detail: str) -> str:
    """The group of a record's hidden failure detail '<cell>: <Ename>: <message> | ...'."""
    head = detail.split(" | ", 1)[0]
    head = head.split(": ", 1)[1] if ": " in head else head
    ename, _, evalue = head.partition(": ")
    return "(hidden) " + failure_group(ename.strip(), evalue)


@dataclass
class TestStats:
    """One test cell. `points` and `groups`: student -> points / failure group (failed
    students only)."""
    grade_id: str
    notebook: str
    title: str
    hidden: bool
    max_points: float
    points: dict[str, float] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)

    def passed(self, student: str) -> bool:
        return self.points.get(student, 0.0) >= self.max_points

    @property
    def pass_rate(self) -> float:
        return (sum(self.passed(s) for s in self.points) / len(self.points)) if self.points else 0.0

    @property
    def mean_points(self) -> float:
        return statistics.fmean(self.points.values()) if self.points else 0.0

    @property
    def lost(self) -> list[str]:
        """Students without full points, sorted."""
        return sorted(s for s in self.points if not self.passed(s))

    def top_groups(self, n: int | None = None) -> list[tuple[str, list[str]]]:
        """(group, students) most frequent first (ties by name)."""
        by_group: dict[str, list[str]] = {}
        for student in sorted(self.groups):
            by_group.setdefault(self.groups[student], []).append(student)
        ranked = sorted(by_group.items(), key=lambda item: (-len(item[1]), item[0]))
        return ranked[:n] if n else ranked


@dataclass
class Analytics:
    """The class at a glance. `scores`: student -> total score (graded hand-ins);
    `failed`: student -> why grading failed; `review`: student -> reasons;
    `seconds`: student -> grading time (s) from the record."""
    assignment_id: str
    max_score: float
    tests: list[TestStats]
    scores: dict[str, float]
    failed: dict[str, str]
    review: dict[str, list[str]]
    seconds: dict[str, float]
    manual_pending: list[str]

    def hardest(self, n: int = 3) -> list[TestStats]:
        return sorted(self.tests, key=lambda t: (t.pass_rate, t.mean_points / (t.max_points or 1),
                                                 t.grade_id))[:n]


def _test_cells(gb, assignment) -> list[TestStats]:
    tests = []
    for notebook in assignment.notebooks:
        answers = {cell.name for cell in notebook.solution_cells}
        sources = {cell.name: cell.source for cell in notebook.source_cells}
        for cell in notebook.grade_cells:
            if cell.cell_type != "code" or cell.name in answers:
                continue
            source = sources.get(cell.name, "")
            tests.append(TestStats(cell.name, notebook.name, test_title(source, cell.name),
                                   has_hidden(source), float(cell.max_score)))
    return tests


def _errors(path) -> dict[str, tuple[str, str]]:
    """grade_id -> (ename, evalue) of the first error output of each cell ({} when the
    autograded notebook is missing or unreadable: its failures show as NO_OUTPUT)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):   # NotJSONError is a ValueError
        return {}
    found = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        for out in cell.get("outputs", []) if grade_id else []:
            if out.get("output_type") == "error":
                found[grade_id] = (out.get("ename", ""), out.get("evalue", ""))
                break
    return found


def _group(test: TestStats, error: tuple[str, str] | None, hidden_details: list[str],
           points: float) -> str:
    if error is None:
        return PARTIAL_CREDIT if points > 0 else NO_OUTPUT
    ename, evalue = error
    if ename == HIDDEN_ENAME:
        mine = [d for d in hidden_details if d.startswith(f"{test.grade_id}: ")]
        return hidden_group(mine[0]) if mine else "(hidden) " + HIDDEN_ENAME
    return failure_group(ename, evalue)


def _fill(course: Course, aid: str, tests: list[TestStats], submission, record: dict | None):
    student = submission.student.id
    hidden_details = (record or {}).get("hidden_failures", [])
    grades = {(nb.notebook.name, g.name): g for nb in submission.notebooks for g in nb.grades}
    errors_by_nb: dict[str, dict] = {}
    for test in tests:
        grade = grades.get((test.notebook, test.grade_id))
        test.points[student] = float(grade.score) if grade is not None and grade.score else 0.0
        if test.passed(student):
            continue
        if test.notebook not in errors_by_nb:
            path = course.autograded(student, aid).parent / f"{test.notebook}.ipynb"
            errors_by_nb[test.notebook] = _errors(path)
        error = errors_by_nb[test.notebook].get(test.grade_id)
        test.groups[student] = _group(test, error, hidden_details, test.points[student])


def analyse(course: Course, assignment_id: str, progress: bool = True) -> Analytics:
    """Read the gradebook, records and autograded notebooks of `assignment_id`.
    UsageError: unknown assignment, or nothing graded yet."""
    from nbgrader.api import MissingEntry
    from tqdm import tqdm
    aid = course.check_assignment(assignment_id)
    graded_notebooks = {s for s in course.submitted_students(aid)
                        if course.autograded(s, aid).parent.is_dir()}
    recs = {s: records.load(course, aid, s) for s in course.submitted_students(aid)}
    failed = {s: r.get("reason", "") for s, r in recs.items() if r and r["state"] == records.FAILED}
    if not course.gradebook_exists():
        raise UsageError(f"nothing graded yet for {aid!r}: no gradebook at {course.db_url}")
    with course.gradebook() as gb:
        try:
            assignment = gb.find_assignment(aid)
        except MissingEntry:
            raise UsageError(f"nothing graded yet for {aid!r}: the gradebook does not know "
                             "it (run `python -m autograder grade " + aid + "`)") from None
        tests = _test_cells(gb, assignment)
        submissions = sorted((s for s in assignment.submissions
                              if s.student.id in graded_notebooks and s.student.id not in failed),
                             key=lambda s: s.student.id)
        if not submissions:
            raise UsageError(f"nothing graded yet for {aid!r}" + (
                f" ({len(failed)} hand-in(s) failed to grade)" if failed else ""))
        scores, pending = {}, []
        for submission in tqdm(submissions, desc=f"reading {aid}", unit="hand-in",
                               file=sys.stderr, disable=not progress, leave=False):
            student = submission.student.id
            _fill(course, aid, tests, submission, recs.get(student))
            scores[student] = float(submission.score)
            if submission.needs_manual_grade:
                pending.append(student)
        max_score = float(assignment.max_score)
    review = {s: list(r["needs_review"]) for s, r in recs.items()
              if r and s in scores and r.get("needs_review")}
    seconds = {s: float(r["seconds"]) for s, r in recs.items()
               if r and s in scores and r.get("seconds") is not None}
    return Analytics(aid, max_score, tests, scores, failed, review, seconds, pending)


def csv_rows(result: Analytics) -> list[list]:
    """Header + one row per (student, test)."""
    rows = [["student", "test", "title", "hidden", "points", "max_points", "passed",
             "failure_group"]]
    for student in sorted(result.scores):
        for test in result.tests:
            rows.append([student, test.grade_id, test.title, test.hidden,
                         f"{test.points[student]:g}", f"{test.max_points:g}",
                         test.passed(student), test.groups.get(student, "")])
    return rows


def write_csv(result: Analytics, path) -> int:
    """Write csv_rows to `path`; returns the number of data rows."""
    import csv
    import io
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(csv_rows(result))
    atomic_write(path, buffer.getvalue())
    return buffer.getvalue().count("\n") - 1


def _names(students: list[str], n: int = 6) -> str:
    return ", ".join(students[:n]) + (f" and {len(students) - n} more" if len(students) > n else "")


def score_summary(result: Analytics) -> str:
    values = list(result.scores.values())
    return (f"{len(values)} hand-in(s) graded, mean {statistics.fmean(values):.2f} / "
            f"{result.max_score:g}, median {statistics.median(values):g}, "
            f"min {min(values):g}, max {max(values):g}")


def format_report(result: Analytics) -> str:
    """The console report; its last line is the closing summary."""
    out = [f"{result.assignment_id}: " + score_summary(result), "",
           "tests (pass rate, mean points; failures grouped by message):"]
    width = max(len(t.grade_id) for t in result.tests) if result.tests else 4
    for test in result.tests:
        n = len(test.points)
        out.append(f"  {test.grade_id:<{width}} {'hidden ' if test.hidden else 'visible'} "
                   f"{test.pass_rate:4.0%} ({n - len(test.lost)}/{n})  "
                   f"{test.mean_points:.2f} / {test.max_points:g}  {test.title}")
        groups = test.top_groups()
        for group, students in groups[:3]:
            shown = group if len(group) <= 110 else group[:109] + "…"
            out.append(f"      {len(students)} x {shown}: {_names(students)}")
        if len(groups) > 3:
            others = sorted(s for _, students in groups[3:] for s in students)
            out.append(f"      {len(groups) - 3} more group(s): {_names(others)}")
    counts = Counter(round(v, 6) for v in result.scores.values())
    out += ["", "score distribution: " + ", ".join(f"{v:g}: {counts[v]}" for v in sorted(counts))]
    for student, reason in sorted(result.failed.items()):
        reason = reason.removeprefix(f"{student}: ")
        out.append(f"FAILED to grade  {student}: {reason}")
    for student, reasons in sorted(result.review.items()):
        out.append(f"NEEDS REVIEW     {student}: {'; '.join(reasons[:3])}")
    if result.manual_pending:
        out.append(f"needs manual grading (formgrader): {_names(result.manual_pending)}")
    if result.seconds:
        times = sorted(result.seconds.items(), key=lambda item: -item[1])
        out.append(f"grading time per hand-in: mean {statistics.fmean(result.seconds.values()):.2f}"
                   f" s, median {statistics.median(result.seconds.values()):.2f} s, slowest "
                   + ", ".join(f"{s} {t:.2f} s" for s, t in times[:3]))
    hardest = ", ".join(f"{t.grade_id} ({t.pass_rate:.0%})" for t in result.hardest())
    out += ["", f"summary: {len(result.scores)} hand-ins, mean "
                f"{statistics.fmean(result.scores.values()):.2f}, median "
                f"{statistics.median(result.scores.values()):g} (of {result.max_score:g}); "
                f"{len(result.failed)} failed to grade; hardest tests: {hardest or 'none'}"]
    return "\n".join(out)
