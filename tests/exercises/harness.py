"""Autograde exercise hand-ins for real, in a throw-away course directory.

The exercise tests (tests/exercises/test_<id>.py) build hand-ins from the committed student
version, grade them all in ONE grading run per assignment, and compare scores per test cell.
Two pipelines grade (`pipeline=`):

- "nbgrader": plain `nbgrader autograde`, every cell in the student's one kernel (what a
  student's Restart & Run All sees);
- "autograder": the course's own `python -m autograder release / collect / grade`
  (sandboxed, parallel workers; the test cells run in the trusted process, apart from the
  student's kernel). Nothing here touches the repo's exercises/ or autograder/course/: the course
root, the gradebook and the release folder live in a temporary directory; only the source
notebooks are read from the repo's solutions/.

Public helpers (import with `from .harness import ...` inside tests/exercises/):

    student_version(assignment_id) -> NotebookNode        the committed exercises/ notebook
    solution_handin(assignment_id) -> NotebookNode        student version + the reference answers
    fill_solution(nb, {grade_id or cell index: source})   copy of nb with those cells replaced
    generate_release(assignment_id, course_dir) -> Path   nbgrader generate_assignment into course_dir
    autograde_batch(assignment_id, handins, course_dir, timeout, pipeline) -> dict[str, Result]

conftest.py wraps the last two as the session fixtures `autograde` and `release_assignment`.
"""
from __future__ import annotations

import copy
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

import nbformat

REPO = pathlib.Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"
AUTOGRADER_DIR = REPO / "autograder"  # holds nbgrader_config.py, read from the cwd
NBGRADER = [sys.executable, "-m", "nbgrader"]
COURSE_ID = "activation-functions"  # as in autograder/nbgrader_config.py

_STUDENT_ID = re.compile(r"^[A-Za-z0-9_\-]+$")


@dataclass
class Result:
    """How nbgrader graded one hand-in.

    total / max_total: autograded points only (test cells); manually graded answers are
    listed in `manual` (grade_id -> max points) and never counted in `total`.
    cells: grade_id -> (score, max_score) for every autograded test cell.
    messages: grade_id -> the error text ("Name: message") of every test cell that failed.
    failed / error: nbgrader could not grade the hand-in at all (then cells is empty).
    seconds: wall time nbgrader spent on this hand-in (from its own log timestamps).
    """

    student: str
    total: float = 0.0
    max_total: float = 0.0
    cells: dict[str, tuple[float, float]] = field(default_factory=dict)
    manual: dict[str, float] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    failed: bool = False
    error: str | None = None
    seconds: float | None = None
    notebook: pathlib.Path | None = None

    @property
    def lost(self) -> set[str]:
        """grade_ids of the test cells that did not give full points."""
        return {name for name, (score, max_score) in self.cells.items() if score < max_score}

    def describe(self) -> str:
        """One readable paragraph for assertion messages."""
        if self.failed:
            return f"{self.student}: nbgrader could not grade it: {self.error}"
        lines = [f"{self.student}: {self.total:g}/{self.max_total:g} autograded points"]
        for name in sorted(self.lost):
            lines.append(f"  lost {name}: {self.messages.get(name, '(no error text)')[:300]}")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- hand-ins


def _read(path: pathlib.Path) -> nbformat.NotebookNode:
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: generate it with "
            f"`cd autograder && nbgrader generate_assignment <id> --force`")
    return nbformat.read(path, as_version=4)


def student_version(assignment_id: str) -> nbformat.NotebookNode:
    """The committed student notebook exercises/<id>/<id>.ipynb (a fresh copy each call)."""
    return _read(EXERCISES / assignment_id / f"{assignment_id}.ipynb")


def source_version(assignment_id: str) -> nbformat.NotebookNode:
    """The instructor notebook solutions/<id>/<id>.ipynb (solutions and hidden tests)."""
    return _read(SOLUTIONS / assignment_id / f"{assignment_id}.ipynb")


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _strip_solution_markers(source: str) -> str:
    keep = [line for line in source.splitlines()
            if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    return "\n".join(keep)


def answer_cells(nb: nbformat.NotebookNode) -> dict[str, int]:
    """grade_id -> cell index of every answer cell (nbgrader `solution: true`)."""
    return {_grade_id(cell): i for i, cell in enumerate(nb.cells)
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution")}


def fill_solution(nb: nbformat.NotebookNode, answers: dict[str | int, str]) -> nbformat.NotebookNode:
    """Return a copy of `nb` whose cells named by grade_id (or by index) get new sources.

    The input notebook is never modified. Unknown grade_ids raise KeyError naming the
    grade_ids that exist, so a typo in a test cannot silently leave a cell unanswered.
    """
    out = copy.deepcopy(nb)
    by_id = {_grade_id(cell): i for i, cell in enumerate(out.cells) if _grade_id(cell)}
    for key, source in answers.items():
        if isinstance(key, int):
            if not 0 <= key < len(out.cells):
                raise IndexError(f"cell index {key} out of range: notebook has {len(out.cells)} cells")
            index = key
        else:
            if key not in by_id:
                raise KeyError(f"no cell with grade_id {key!r}; grade_ids: {sorted(by_id)}")
            index = by_id[key]
        out.cells[index].source = source
    return out


def solution_handin(assignment_id: str) -> nbformat.NotebookNode:
    """The student version with every answer cell filled from the instructor notebook.

    That is what a student typing in the reference solution would hand in: the BEGIN/END
    SOLUTION marker lines are dropped, everything else of the answer cell is kept.
    """
    source = source_version(assignment_id)
    answers = {_grade_id(cell): _strip_solution_markers(cell.source)
               for cell in source.cells
               if cell.get("metadata", {}).get("nbgrader", {}).get("solution")}
    return fill_solution(student_version(assignment_id), answers)


def mistake_handin(reference: nbformat.NotebookNode, grade_id: str, old: str | None,
                   new: str) -> nbformat.NotebookNode:
    """`reference` with one typical mistake in answer cell `grade_id`.

    The mistake replaces the text `old` of that cell by `new`; with `old=None`, `new` is the
    whole cell. Fails loudly when `old` is no longer in the cell (the template is stale).
    """
    source = next(cell.source for cell in reference.cells if _grade_id(cell) == grade_id)
    if old is None:
        return fill_solution(reference, {grade_id: new})
    assert old in source, f"mistake template out of date: {old!r} not in answer cell {grade_id!r}"
    return fill_solution(reference, {grade_id: source.replace(old, new)})


# ----------------------------------------------------------------------------- nbgrader


def gradebook_url(course_dir: pathlib.Path) -> str:
    """The batch course's gradebook (nbgrader's default place, in the course folder)."""
    return f"sqlite:///{course_dir / 'gradebook.db'}"


def _nbgrader(args: list[str], course_dir: pathlib.Path, timeout: float) -> subprocess.CompletedProcess:
    """Run one nbgrader command on the course in `course_dir` (config from autograder/)."""
    env = dict(os.environ)
    env["AUTOGRADER_COURSE_DIR"] = str(course_dir)
    # nbgrader's Gradebook shells out to `alembic`, and kernels should be this venv's.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("MPLBACKEND", "Agg")
    # One BLAS thread per kernel: on a loaded 2-core machine multi-threaded BLAS makes
    # small numpy training loops ~15x slower (measured: 4.9 s vs 0.3 s for 100 MNIST steps).
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    env["PYTHONHASHSEED"] = "0"
    cmd = NBGRADER + args + [
        f"--CourseDirectory.root={course_dir}",
        f"--CourseDirectory.source_directory={SOLUTIONS}",
        f"--CourseDirectory.release_directory={course_dir / 'release'}",
        f"--CourseDirectory.db_url={gradebook_url(course_dir)}",
        "--Application.log_format=%(asctime)s [%(name)s | %(levelname)s] %(message)s",
        "--Application.log_datefmt=%H:%M:%S",
    ]
    return subprocess.run(cmd, cwd=AUTOGRADER_DIR, env=env, capture_output=True, text=True,
                          timeout=timeout)


def generate_release(assignment_id: str, course_dir: pathlib.Path) -> pathlib.Path:
    """`nbgrader generate_assignment` from solutions/<id> into course_dir/release/<id>.

    Also records the assignment (with its hidden tests) in course_dir's gradebook, which
    autograding needs. Returns the path of the generated student notebook.
    """
    if not (SOLUTIONS / assignment_id / f"{assignment_id}.ipynb").exists():
        raise FileNotFoundError(f"no source notebook solutions/{assignment_id}/{assignment_id}.ipynb")
    course_dir.mkdir(parents=True, exist_ok=True)
    proc = _nbgrader(["generate_assignment", assignment_id, "--force"], course_dir, timeout=300)
    notebook = course_dir / "release" / assignment_id / f"{assignment_id}.ipynb"
    if proc.returncode != 0 or not notebook.exists():
        raise RuntimeError(f"nbgrader generate_assignment {assignment_id} failed "
                           f"(exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return notebook


_LOG_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d) ")


def _per_student_seconds(log: str, assignment_id: str) -> dict[str, float]:
    """Wall time per student from nbgrader's log: from 'Sanitizing' of one to the next."""
    starts: list[tuple[str, float]] = []
    last = None
    for line in log.splitlines():
        match = _LOG_TIME.match(line)
        if not match:
            continue
        h, m, s = map(int, match.groups())
        t = h * 3600 + m * 60 + s
        last = t
        found = re.search(rf"Sanitizing .*submitted[/\\]([^/\\]+)[/\\]{re.escape(assignment_id)}[/\\]", line)
        if found:
            starts.append((found.group(1), t))
    times = {}
    for (student, t0), nxt in zip(starts, starts[1:] + [(None, last)]):
        if nxt[1] is not None:
            times[student] = float(nxt[1] - t0)
    return times


def _student_log(log: str, student: str) -> str:
    """nbgrader's log lines about one student (from its first mention to the next student)."""
    lines = log.splitlines()
    start = next((i for i, line in enumerate(lines) if f"ID '{student}'" in line
                  or f"/submitted/{student}/" in line), None)
    if start is None:
        return log[-2000:]
    chunk = [lines[start]]
    for line in lines[start + 1:]:
        if "Creating/updating student with ID" in line:
            break
        chunk.append(line)
    return "\n".join(chunk)[-3000:]


def _error_messages(nb: nbformat.NotebookNode) -> dict[str, str]:
    messages = {}
    for cell in nb.cells:
        name = _grade_id(cell)
        if cell.cell_type != "code" or not name:
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                messages[name] = f"{output.get('ename')}: {output.get('evalue')}"
    return messages


PIPELINES = ("nbgrader", "autograder")
# The pipeline the exercise suites grade their batches with: the course's own, whose test
# cells run in the trusted process (each suite also grades a small batch with "nbgrader").
SUITE_PIPELINE = "autograder"


def _grading_env(course_dir: pathlib.Path) -> dict:
    env = dict(os.environ)
    env["AUTOGRADER_COURSE_DIR"] = str(course_dir)
    env["AUTOGRADER_SOURCE_DIR"] = str(SOLUTIONS)
    env["AUTOGRADER_RELEASE_DIR"] = str(course_dir / "release")
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("MPLBACKEND", "Agg")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def _autograder(args: list[str], course_dir: pathlib.Path, timeout: float) -> subprocess.CompletedProcess:
    """Run `python -m autograder ARGS` on the course in `course_dir` (sources from solutions/)."""
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=REPO,
                          env=_grading_env(course_dir), capture_output=True, text=True, timeout=timeout)


def _write_handins(handins: dict, folder: pathlib.Path, assignment_id: str, nested: bool) -> None:
    for student, handin in handins.items():
        dest = (folder / student / assignment_id / f"{assignment_id}.ipynb" if nested
                else folder / f"{student}.ipynb")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(handin, (str, os.PathLike)):
            shutil.copyfile(handin, dest)
        else:
            nbformat.write(handin, dest)


def _grade_with_nbgrader(assignment_id, handins, course_dir, timeout) -> tuple[dict, dict]:
    """ONE `nbgrader autograde` run; returns (student -> seconds, student -> why it failed)."""
    generate_release(assignment_id, course_dir)
    _write_handins(handins, course_dir / "submitted", assignment_id, nested=True)
    started = time.monotonic()
    proc = _nbgrader(["autograde", assignment_id, f"--Execute.timeout={timeout}", "--force"],
                     course_dir, timeout=300 + 2 * timeout * len(handins))
    elapsed = time.monotonic() - started
    log = proc.stdout + proc.stderr
    seconds = _per_student_seconds(log, assignment_id)
    seconds = {s: seconds.get(s, elapsed / len(handins)) for s in handins}
    why = {s: f"nbgrader exit {proc.returncode}; nbgrader's log for it:\n{_student_log(log, s)}"
           for s in handins}
    return seconds, why


def _grade_with_autograder(assignment_id, handins, course_dir, timeout, workers) -> tuple[dict, dict]:
    """`python -m autograder release`, `collect` (a folder of <student>.ipynb) and ONE `grade`
    run; returns (student -> seconds, student -> why it failed) from the status records."""
    course_dir.mkdir(parents=True, exist_ok=True)
    steps = [["release", assignment_id],
             ["collect", assignment_id, str(course_dir / "handins")],
             ["grade", assignment_id, f"--workers={workers}", f"--cell-timeout={timeout}", "--force"]]
    _write_handins(handins, course_dir / "handins", assignment_id, nested=False)
    for args in steps:
        proc = _autograder(args, course_dir, timeout=300 + 2 * timeout * len(handins))
        if proc.returncode != 0:
            raise RuntimeError(f"python -m autograder {' '.join(args)} failed (exit {proc.returncode}):\n"
                               f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    seconds, why = {}, {}
    for student in handins:
        record_file = course_dir / ".autograder" / "status" / assignment_id / f"{student}.json"
        record = json.loads(record_file.read_text()) if record_file.exists() else {}
        seconds[student] = record.get("seconds")
        why[student] = f"autograder status record: {record or 'missing'}"
    return seconds, why


def autograde_batch(assignment_id: str,
                    handins: dict[str, nbformat.NotebookNode | pathlib.Path],
                    course_dir: pathlib.Path,
                    timeout: int = 120,
                    pipeline: str = "nbgrader",
                    workers: int = 2) -> dict[str, Result]:
    """Grade every hand-in in ONE grading run; return a Result per student.

    handins: student id -> notebook (NotebookNode, or path of an .ipynb; never modified).
    timeout: seconds allowed per cell. pipeline: "nbgrader" (plain `nbgrader autograde`, one
    kernel) or "autograder" (`python -m autograder grade` with `workers` parallel workers).
    """
    bad = [s for s in handins if not _STUDENT_ID.match(s)]
    if bad:
        raise ValueError(f"student ids must be letters, digits, '_' or '-': got {bad}")
    if not handins:
        raise ValueError("no hand-ins given: pass at least one {student_id: notebook}")
    if pipeline not in PIPELINES:
        raise ValueError(f"unknown pipeline {pipeline!r}; accepted: {', '.join(PIPELINES)}")
    if pipeline == "nbgrader":
        seconds, why = _grade_with_nbgrader(assignment_id, handins, course_dir, timeout)
    else:
        seconds, why = _grade_with_autograder(assignment_id, handins, course_dir, timeout, workers)

    from nbgrader.api import Gradebook, MissingEntry

    # Test cells (autograded points) vs. answers graded by hand, from the source notebook:
    # nbgrader scores an untouched free-text answer 0 automatically, so auto_score alone
    # cannot tell them apart.
    test_cells = {_grade_id(cell) for cell in source_version(assignment_id).cells
                  if cell.get("metadata", {}).get("nbgrader", {}).get("grade")
                  and not cell.get("metadata", {}).get("nbgrader", {}).get("solution")}
    results: dict[str, Result] = {}
    with Gradebook(gradebook_url(course_dir), COURSE_ID) as gb:
        for student in handins:
            result = Result(student=student, seconds=seconds.get(student))
            graded = course_dir / "autograded" / student / assignment_id / f"{assignment_id}.ipynb"
            try:
                notebook = gb.find_submission_notebook(assignment_id, assignment_id, student)
            except MissingEntry:
                notebook = None
            if notebook is None or not graded.exists():
                result.failed = True
                result.error = f"no autograded notebook ({why[student]})"
                results[student] = result
                continue
            for grade in notebook.grades:
                if grade.name not in test_cells:  # manually graded answer
                    result.manual[grade.name] = grade.max_score
                    continue
                result.cells[grade.name] = (grade.score, grade.max_score)
            result.total = sum(score for score, _ in result.cells.values())
            result.max_total = sum(max_score for _, max_score in result.cells.values())
            result.notebook = graded
            result.messages = _error_messages(nbformat.read(graded, as_version=4))
            results[student] = result
    return results
