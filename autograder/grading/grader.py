"""`grade`: nbgrader's autograde, cut in three so that hand-ins run in parallel sandboxes
while one process alone writes the gradebook.

nbgrader's Autograde converter runs, per hand-in, a sanitizing list of preprocessors, then
an autograding list. steps.py takes both lists (the course's config or nbgrader's
defaults), substitutes the steps we change and splits them by where they run:

    parent, in order    sanitize   nbgrader's sanitize list (OverwriteCells restores locked
                                   and test cells, so a test edited to pass is undone)
    engine (engines/)   execute    the sandboxed executor in place of Execute, then the
    local pool or Dask             steps up to SaveAutoGrades (autograder/worker/handin.py +
                                   lockstep.py: per hand-in one sandboxed student kernel and
                                   one sandboxed trusted runner for the test cells, see
                                   `trusted_cells`)
    parent, in order    record     CleanTestOutputs (partial credit clamped, unscorable
                                   outputs dropped), SaveAutoGrades (one transaction per
                                   hand-in) and the steps after it
                                   -> autograded/<student>/<id>/<id>.ipynb, status record

A hand-in that breaks any of these steps (or the worker) costs only itself: it is recorded
FAILED with a reason naming the student, the step and the cell (autograder/preprocessors/containment.py),
and the run goes on; a re-run grades what is not graded yet.
"""
import sys
import time
import warnings
from dataclasses import dataclass, field

import nbformat
from tqdm import tqdm

from autograder.common import cells, defaults, records
from autograder.common.course import Course, atomic_write
from autograder.common.errors import UsageError
from autograder.common.generate import register
from autograder.engines import make_engine
from autograder.engines.base import Engine, EngineLost
from autograder.engines.local import stop_forkserver
from autograder.entrypoints import WORKER_MODULES
from autograder.grading import steps as pipeline
from autograder.grading.extensions import apply_pending
from autograder.grading.job import Job, Outcome, TrustedCell
from autograder.grading.names import student_names
from autograder.preprocessors.containment import MAX_NOTEBOOK_BYTES, StepFailed, notes, run_steps
from autograder.sandbox.bubblewrap import DROPPED_WITHOUT_SANDBOX, Limits, check_bwrap, check_cgroups


@dataclass
class GradeOptions:
    workers: int = field(default_factory=defaults.workers)
    cell_timeout: float = defaults.CELL_TIMEOUT
    notebook_timeout: float = defaults.NOTEBOOK_TIMEOUT
    memory_mb: int = defaults.MEMORY_MB
    storage_mb: int = defaults.STORAGE_MB
    force: bool = False
    sandbox: bool = True
    quiet: bool = False
    scheduler: str | None = None  # Dask scheduler address or file; None: local pool

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


# --- worker side -------------------------------------------------------------------------
def _run_job(job: Job) -> Outcome:
    """What an engine runs per hand-in (in a pool process or on a Dask worker)."""
    from autograder.worker.handin import execute_handin
    return execute_handin(job)


def demote_unknown_cells(nb: nbformat.NotebookNode, known_ids: set[str]) -> int:
    """Cells of a hand-in with nbgrader metadata whose grade_id the instructor's notebook
    does not have (a student-made "test" cell) become plain cells: they run as student
    code, and nbgrader's sanitizing does not fail the hand-in on them. Returns how many."""
    count = 0
    for cell in nb.cells:
        if "nbgrader" in cell.get("metadata", {}) and cells.grade_id(cell) not in known_ids:
            del cell.metadata["nbgrader"]
            count += 1
    return count


def trusted_cells(source_notebook: nbformat.NotebookNode) -> dict[str, TrustedCell]:
    """The cells that run in the trusted runner, decided from the INSTRUCTOR's notebook
    only (a hand-in may add cells with any metadata): autograded tests (grade, no
    solution) and test-helper cells (grade_id starting with ``test_``), with the
    instructor's source (hidden tests included) and points."""
    return {cells.grade_id(cell): TrustedCell(cells.grade_id(cell), cell.source,
                                              cells.points(cell) if cells.is_test(cell) else None)
            for cell in source_notebook.cells if cells.is_trusted(cell) and cells.grade_id(cell)}


# --- parent side -------------------------------------------------------------------------
class Grader:
    """Holds the nbgrader steps of one `grade` run and applies them per hand-in."""

    def __init__(self, course: Course, assignment_id: str, options: GradeOptions):
        self.course, self.assignment_id, self.options = course, assignment_id, options
        self.config = course.config()
        self.coursedir = course.coursedir(assignment_id)
        self.pipelines = pipeline.build(self.config)
        self.sanitize = [step(config=self.config) for step in self.pipelines.sanitize]
        self.record = [step(config=self.config) for step in self.pipelines.record]
        self.worker_config = pipeline.worker_config(self.config)
        self.notes: dict[str, list[str]] = {}  # student -> what sanitizing changed
        self.cgroups = True                     # False: the start-up check found none
        release = course.release_folder(assignment_id)
        source = nbformat.read(course.source_notebook(assignment_id), as_version=4)
        self.trusted = trusted_cells(source)
        self.student_names = student_names(source, self.trusted)
        self.known_ids = {cells.grade_id(c) for c in source.cells if cells.grade_id(c)}
        self.extra_files = {str(p.relative_to(release)): p.read_bytes()
                            for p in sorted(release.rglob("*"))
                            if p.is_file() and p.suffix != ".ipynb"} if release.is_dir() else {}

    def resources(self, student: str) -> dict:
        return {"student": student, "assignment": self.assignment_id,
                "notebook": self.assignment_id, "db_url": self.course.db_url}

    def prepare(self, student: str) -> Job:
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
        with self.course.gradebook() as gb:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(self.assignment_id, student,
                                           **({"timestamp": timestamp} if timestamp else {}))
            apply_pending(self.course, gb, self.assignment_id, student)  # `extend`'s
        resources = {"nbgrader": self.resources(student)}
        demote_unknown_cells(nb, self.known_ids)
        try:
            nb, resources = run_steps(self.sanitize, nb, resources)
        except StepFailed as error:
            raise ValueError(f"invalid nbgrader cells: {error}") from error
        self.notes[student] = notes(resources)
        return Job(notebook=nbformat.writes(nb), notebook_name=path.name,
                   extra_files=self.extra_files, resources=self.resources(student),
                   cell_timeout=self.options.cell_timeout,
                   notebook_timeout=self.options.notebook_timeout,
                   limits=vars(self.options.limits()), sandbox=self.options.sandbox,
                   config=self.worker_config, steps=self.pipelines.execute_paths(),
                   trusted_cells=self.trusted, student_names=self.student_names,
                   cgroups=self.cgroups)

    def finish(self, student: str, result: Outcome, sha256: str) -> dict:
        """Save the executed hand-in's grades (one transaction) and its record.
        Raises StepFailed (naming the step and cell) when the hand-in breaks a step."""
        if len(result.notebook) > MAX_NOTEBOOK_BYTES:
            raise StepFailed(f"autograded notebook too large: {len(result.notebook) / 1e6:.1f}"
                             f" MB, over the cap of {MAX_NOTEBOOK_BYTES / 1e6:g} MB")
        nb = nbformat.reads(result.notebook, as_version=4)
        resources = {"nbgrader": self.resources(student)}
        nb, resources = run_steps(self.record, nb, resources)
        problems = result.problems + self.notes.get(student, []) + notes(resources)
        if result.review:
            nb.cells.insert(0, review_note(result.review))
        atomic_write(self.course.autograded(student, self.assignment_id), nbformat.writes(nb))
        with self.course.gradebook() as gb:
            submission = gb.find_submission(self.assignment_id, student)
            score, max_score = submission.score, submission.max_score
            needs_manual = submission.needs_manual_grade
        return records.save(self.course, self.assignment_id, student, state=records.GRADED,
                            score=score, max_score=max_score, problems=problems,
                            needs_manual_grade=needs_manual, seconds=round(result.seconds, 2),
                            submission_sha256=sha256, sandbox=self.options.sandbox,
                            needs_review=list(result.review),
                            hidden_failures=list(result.hidden_failures),
                            timings={k: round(v, 3) for k, v in result.timings.items()})

    def fail(self, student: str, reason: str, sha256: str | None) -> dict:
        return records.save(self.course, self.assignment_id, student, state=records.FAILED,
                            reason=reason, problems=[], submission_sha256=sha256,
                            sandbox=self.options.sandbox)


REVIEW_NOTE = ("**This hand-in needs your instructor's review.** Some tests could not run "
               "against your notebook (its kernel did not serve them, or the connection to "
               "it broke); they scored nothing. Your instructor will look at it.")


def review_note(reasons: list[str]) -> nbformat.NotebookNode:
    """The markdown cell put first in a hand-in needing review (the student sees it in
    the feedback; the reasons, which may name the tests, are in the record only)."""
    cell = nbformat.v4.new_markdown_cell(REVIEW_NOTE)
    cell.metadata["autograder"] = {"needs_review": len(reasons)}
    return cell


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
    if options.scheduler:  # the Dask workers check their own sandbox (engines/dask_cluster.py)
        return True
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
          options: GradeOptions | None = None) -> Summary:
    started = time.monotonic()
    options = options if options is not None else GradeOptions()
    # nbgrader's update_or_create_submission trips SQLAlchemy autoflush warnings (harmless)
    warnings.filterwarnings("ignore", message=".*not in session.*")
    course.check_assignment(assignment_id)
    cgroups = _check_sandbox(options)
    summary = Summary(assignment_id)
    todo = []
    for student in _select(course, assignment_id, list(students)):
        if not options.force and records.is_done(course, assignment_id, student):
            summary.skipped.append(student)
        else:
            todo.append(student)
    register(course, assignment_id)
    if todo:  # the engine first: the local pool's processes start while this one prepares
        with make_engine(_run_job, options.workers, options.scheduler,
                         require_sandbox=options.sandbox, preload=WORKER_MODULES) as engine:
            _grade_with(engine, course, assignment_id, todo, options, cgroups, summary)
    else:
        stop_forkserver()  # started early by the CLI, in case there was work
    summary.seconds = time.monotonic() - started
    return summary


def _grade_with(engine: Engine, course: Course, assignment_id: str, todo: list[str],
                options: GradeOptions, cgroups: bool, summary: Summary) -> None:
    """Prepare, run (on `engine`) and record the hand-ins of `todo` into `summary`."""
    grader = Grader(course, assignment_id, options)
    grader.cgroups = cgroups

    def done(student: str, record: dict) -> None:
        (summary.graded if record["state"] == records.GRADED else summary.failed)[student] = record
        bar.update()
        bar.set_postfix(workers=engine.n_workers(), graded=len(summary.graded),
                        failed=len(summary.failed))

    bar = tqdm(total=len(todo), unit="hand-in", desc=f"grading {assignment_id}",
               disable=options.quiet or not todo, file=sys.stderr)
    bar.set_postfix(workers=engine.n_workers())
    try:
        sha256s = {}
        for student in todo:
            sha256s[student] = records.file_sha256(course.submitted(student, assignment_id))
            try:
                job = grader.prepare(student)
            except Exception as error:  # ValueError: the hand-in; anything else: a bug it hit
                reason = str(error) if isinstance(error, ValueError) else \
                    f"preparing failed: {type(error).__name__}: {error}"
                done(student, grader.fail(student, f"{student}: {reason}", sha256s[student]))
                continue
            engine.submit(student, job)
        for completion in engine.completed():  # each student once
            student, result = completion.key, completion.result
            if completion.failure:
                result = Outcome(None, error=completion.failure)
            if result.error:
                done(student, grader.fail(student, f"{student}: {result.error}",
                                          sha256s[student]))
                continue
            try:
                done(student, grader.finish(student, result, sha256s[student]))
            except Exception as error:  # StepFailed names the step and the cell
                done(student, grader.fail(student, f"{student}: recording the grades failed: "
                                          f"{type(error).__name__}: {error}", sha256s[student]))
    except EngineLost as error:
        left = len(todo) - len(summary.graded) - len(summary.failed)
        raise EngineLost(f"{error}: stopped; {len(summary.graded) + len(summary.failed)} "
                         f"hand-in(s) recorded, {left} not graded. Run the same command "
                         "again (with a running scheduler) to grade the rest.") from None
    finally:
        bar.close()
