"""`grade`: nbgrader's autograde, cut in three so that hand-ins run in parallel sandboxes
while one process alone writes the gradebook.

nbgrader's Autograde converter runs, per hand-in, a sanitizing list of preprocessors, then
an autograding list. We keep its preprocessors and its order, and only decide where each
runs:

    parent, in order    SANITIZE   ClearOutput, DeduplicateIds(AndSay), DropWidgetState,
                                   OverwriteKernelspec, OverwriteCells (restores locked and
                                   test cells, so a test edited to pass is undone),
                                   CheckCellMetadata
    worker pool         EXECUTE    SandboxedExecute, IgnorePattern, LimitOutput
                                   (autograder/execute.py: one sandboxed kernel per hand-in)
    parent, in order    RECORD     DropWidgetState, CleanTestOutputs (partial credit
                                   clamped, unscorable outputs dropped), SaveAutoGrades (one
                                   transaction per hand-in), AssignLatePenalties,
                                   CheckCellMetadata
                                   -> autograded/<student>/<id>/<id>.ipynb, status record

A hand-in that breaks any of these steps (or the worker) costs only itself: it is recorded
FAILED with a reason naming the student, the step and the cell (autograder/contain.py),
and the run goes on; a re-run grades what is not graded yet.
"""
import concurrent.futures as cf
import multiprocessing
import os
import sys
import time
import warnings
from dataclasses import dataclass, field

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput,
                                    OverwriteCells, OverwriteKernelspec, SaveAutoGrades)
from nbgrader.preprocessors.base import NbGraderPreprocessor
from tqdm import tqdm

from . import records
from .contain import (MAX_NOTEBOOK_BYTES, CleanTestOutputs, DeduplicateIdsAndSay,
                      DropWidgetState, StepFailed, notes, run_steps)
from .course import Course, UsageError, atomic_write
from .release import register
from .sandbox import DROPPED_WITHOUT_SANDBOX, Limits, check_bwrap, check_cgroups


@dataclass
class GradeOptions:
    workers: int = os.cpu_count() or 1
    cell_timeout: float = 120
    notebook_timeout: float = 900
    memory_mb: int = 2048
    storage_mb: int = 512
    force: bool = False
    sandbox: bool = True
    quiet: bool = False

    def limits(self) -> Limits:
        # RLIMIT_CPU is per process: a kernel using 2 threads for the whole deadline
        return Limits(memory_mb=self.memory_mb, cpu_seconds=int(2 * self.notebook_timeout) + 10,
                      storage_mb=self.storage_mb)


@dataclass
class Summary:
    assignment_id: str
    graded: dict = field(default_factory=dict)    # student -> record
    failed: dict = field(default_factory=dict)    # student -> record
    skipped: list = field(default_factory=list)   # already graded, unchanged
    seconds: float = 0.0


class SaveAutoGradesInOneTransaction(SaveAutoGrades):
    """nbgrader's SaveAutoGrades commits after every cell; here the per-cell commits only
    flush and the hand-in's grades are committed together, so a kill -9 leaves all of
    them or none."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        with Gradebook(self.db_url) as self.gradebook:
            session = self.gradebook.db
            session.commit = session.flush
            try:
                nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
            except BaseException:
                session.rollback()
                raise
            finally:
                del session.commit
            session.commit()
        return nb, resources


SANITIZE = [ClearOutput, DeduplicateIdsAndSay, DropWidgetState, OverwriteKernelspec,
            OverwriteCells, CheckCellMetadata]
RECORD = [DropWidgetState, CleanTestOutputs, SaveAutoGradesInOneTransaction,
          AssignLatePenalties, CheckCellMetadata]


# --- worker side -------------------------------------------------------------------------
_SLOT = 0


def _init_worker(slots) -> None:
    """Each worker takes a slot number (a worker id for the job; sandbox uids come from
    the worker's pid) and dies with the parent."""
    global _SLOT
    _SLOT = slots.get()
    try:
        import ctypes
        import signal
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _run_job(job: dict) -> dict:
    from .execute import execute_handin
    return execute_handin({**job, "slot": _SLOT})


# --- parent side -------------------------------------------------------------------------
class Grader:
    """Holds the nbgrader steps of one `grade` run and applies them per hand-in."""

    def __init__(self, course: Course, assignment_id: str, options: GradeOptions):
        self.course, self.assignment_id, self.options = course, assignment_id, options
        self.config = course.config()
        self.coursedir = course.coursedir(assignment_id)
        self.sanitize = [step(config=self.config) for step in SANITIZE]
        self.record = [step(config=self.config) for step in RECORD]
        self.notes: dict[str, list[str]] = {}  # student -> what sanitizing changed
        self.cgroups = True                     # False: the start-up check found none
        release = course.release_folder(assignment_id)
        self.extra_files = {str(p.relative_to(release)): p.read_bytes()
                            for p in sorted(release.rglob("*"))
                            if p.is_file() and p.suffix != ".ipynb"} if release.is_dir() else {}

    def resources(self, student: str) -> dict:
        return {"student": student, "assignment": self.assignment_id,
                "notebook": self.assignment_id, "db_url": self.course.db_url}

    def prepare(self, student: str) -> dict:
        """Read and sanitize a hand-in, open its gradebook submission; returns a worker job.
        Raises ValueError with a readable reason when the hand-in is unusable."""
        path = self.course.submitted(student, self.assignment_id)
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"hand-in too large: {path.stat().st_size / 1e6:.1f} MB, over the "
                             f"cap of {MAX_NOTEBOOK_BYTES / 1e6:g} MB")
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as error:
            raise ValueError(f"malformed notebook: {type(error).__name__}: {error}") from error
        timestamp = self.coursedir.get_existing_timestamp(str(path.parent))
        with Gradebook(self.course.db_url) as gb:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(self.assignment_id, student,
                                           **({"timestamp": timestamp} if timestamp else {}))
        resources = {"nbgrader": self.resources(student)}
        try:
            nb, resources = run_steps(self.sanitize, nb, resources)
        except StepFailed as error:
            raise ValueError(f"invalid nbgrader cells: {error}") from error
        self.notes[student] = notes(resources)
        return {"notebook": nbformat.writes(nb), "notebook_name": path.name,
                "extra_files": self.extra_files, "resources": self.resources(student),
                "cell_timeout": self.options.cell_timeout,
                "notebook_timeout": self.options.notebook_timeout,
                "limits": vars(self.options.limits()), "sandbox": self.options.sandbox,
                "config": self.config, "cgroups": self.cgroups}

    def finish(self, student: str, result: dict, sha256: str) -> dict:
        """Save the executed hand-in's grades (one transaction) and its record.
        Raises StepFailed (naming the step and cell) when the hand-in breaks a step."""
        if len(result["notebook"]) > MAX_NOTEBOOK_BYTES:
            raise StepFailed(f"autograded notebook too large: {len(result['notebook']) / 1e6:.1f}"
                             f" MB, over the cap of {MAX_NOTEBOOK_BYTES / 1e6:g} MB")
        nb = nbformat.reads(result["notebook"], as_version=4)
        resources = {"nbgrader": self.resources(student)}
        nb, resources = run_steps(self.record, nb, resources)
        problems = result["problems"] + self.notes.get(student, []) + notes(resources)
        atomic_write(self.course.autograded(student, self.assignment_id), nbformat.writes(nb))
        with Gradebook(self.course.db_url) as gb:
            submission = gb.find_submission(self.assignment_id, student)
            score, max_score = submission.score, submission.max_score
            needs_manual = submission.needs_manual_grade
        return records.save(self.course, self.assignment_id, student, state=records.GRADED,
                            score=score, max_score=max_score, problems=problems,
                            needs_manual_grade=needs_manual, seconds=round(result["seconds"], 2),
                            submission_sha256=sha256, sandbox=self.options.sandbox)

    def fail(self, student: str, reason: str, sha256: str | None) -> dict:
        return records.save(self.course, self.assignment_id, student, state=records.FAILED,
                            reason=reason, problems=[], submission_sha256=sha256,
                            sandbox=self.options.sandbox)


def _select(course: Course, assignment_id: str, students: list[str]) -> list[str]:
    collected = course.submitted_students(assignment_id)
    unknown = sorted(set(students) - set(collected))
    if unknown:
        raise UsageError(f"no hand-in of {assignment_id!r} collected for {', '.join(unknown)}; "
                         f"collected: {', '.join(collected) or 'none (run collect first)'}")
    return students or collected


def _check_sandbox(options: GradeOptions) -> bool:
    """Refuse to run without a working sandbox (unless --no-sandbox); True when sandboxes
    get per-hand-in totals (cgroups), else say so once, here."""
    if not options.sandbox:
        print(DROPPED_WITHOUT_SANDBOX, file=sys.stderr)
        return False
    problem = check_bwrap()
    if problem:
        raise UsageError(f"cannot sandbox student code: {problem}.\nInstall bubblewrap, or "
                         "rerun with --no-sandbox to grade WITHOUT isolation (only for "
                         "hand-ins you trust; it prints what protection is dropped).")
    problem = check_cgroups()
    if problem:
        print(f"!!! no per-hand-in totals: {problem}.\n!!! Memory, processes and CPU are "
              "limited per process only (rlimits); run as root on a machine with cgroup v1 "
              "memory/pids/cpu or a delegated cgroup v2 for totals per hand-in.",
              file=sys.stderr)
    return problem is None


def grade(course: Course, assignment_id: str, students: list[str] = (),
          options: GradeOptions = GradeOptions()) -> Summary:
    started = time.monotonic()
    # nbgrader's update_or_create_submission trips SQLAlchemy autoflush warnings (harmless)
    warnings.filterwarnings("ignore", message=".*not in session.*")
    course.check_assignment(assignment_id)
    cgroups = _check_sandbox(options)
    register(course, assignment_id)
    summary = Summary(assignment_id)
    chosen = _select(course, assignment_id, list(students))
    todo = []
    for student in chosen:
        if not options.force and records.is_done(course, assignment_id, student):
            summary.skipped.append(student)
        else:
            todo.append(student)
    grader = Grader(course, assignment_id, options)
    grader.cgroups = cgroups

    def done(student, record):
        (summary.graded if record["state"] == records.GRADED else summary.failed)[student] = record
        bar.update()
        bar.set_postfix(graded=len(summary.graded), failed=len(summary.failed))

    bar = tqdm(total=len(todo), unit="hand-in", desc=f"grading {assignment_id}",
               disable=options.quiet or not todo, file=sys.stderr)
    context = multiprocessing.get_context("forkserver")
    slots = context.Queue()
    for slot in range(options.workers):
        slots.put(slot)
    with cf.ProcessPoolExecutor(max_workers=options.workers, mp_context=context,
                                initializer=_init_worker, initargs=(slots,)) as pool:
        running = {}
        for student in todo:
            sha256 = records.file_sha256(course.submitted(student, assignment_id))
            try:
                job = grader.prepare(student)
            except Exception as error:  # ValueError: the hand-in; anything else: a bug it hit
                reason = str(error) if isinstance(error, ValueError) else \
                    f"preparing failed: {type(error).__name__}: {error}"
                done(student, grader.fail(student, f"{student}: {reason}", sha256))
                continue
            running[pool.submit(_run_job, job)] = (student, sha256)
        for future in cf.as_completed(running):
            student, sha256 = running[future]
            try:
                result = future.result()
            except Exception as error:  # the worker process itself died
                result = {"error": f"grading worker crashed: {type(error).__name__}: {error}"}
            if result.get("error"):
                done(student, grader.fail(student, f"{student}: {result['error']}", sha256))
                continue
            try:
                done(student, grader.finish(student, result, sha256))
            except Exception as error:  # StepFailed names the step and the cell
                done(student, grader.fail(student, f"{student}: recording the grades failed: "
                                          f"{type(error).__name__}: {error}", sha256))
    _stop_forkserver()
    bar.close()
    summary.seconds = time.monotonic() - started
    return summary


def _stop_forkserver() -> None:
    """The pool's forkserver outlives the pool (multiprocessing keeps one per program);
    stop it so that no process of ours is left once `grade` returns."""
    from multiprocessing import forkserver
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()


def format_summary(summary: Summary) -> str:
    graded, failed = summary.graded, summary.failed
    lines = [f"{summary.assignment_id}: {len(graded)} graded, {len(failed)} failed, "
             f"{len(summary.skipped)} already graded (skipped; --force re-grades) "
             f"in {summary.seconds:.1f} s"]
    if graded:
        scores = [r["score"] for r in graded.values()]
        max_score = next(iter(graded.values()))["max_score"]
        lines.append(f"  mean score {sum(scores) / len(scores):.2f} / {max_score:g}")
    for student, record in sorted(graded.items()):
        if record["problems"]:
            lines.append(f"  {student}: graded {record['score']:g}, but: "
                         + "; ".join(record["problems"]))
    for student, record in sorted(failed.items()):
        lines.append(f"  {student}: FAILED: {record['reason']}")
    return "\n".join(lines)
