"""The replay: the student's cells alone, run again in a fresh sandbox, for the feedback.

Once a cell with hidden tests has run, the student's kernel may hold the hidden inputs the
tests passed to the student's functions (and the student's code may have stored them), so
whatever a later student cell shows (text or figure) could repeat them. The autograded
notebook keeps those outputs for the instructor (lockstep.py marks the cells
``autograder.after_hidden_tests``); the student's feedback must not show them.

When such a cell of an autograded notebook shows something worth seeing (a figure or any
rich display: an output that is not a stream or an error), `feedback` replays it: the
autograded notebook with every trusted cell (test cells and test helpers) blanked,
executed by `execute_handin` in a NEW sandbox (same default limits as `grade`, the
assignment's released files beside it), with no trusted runner and no channel, so nothing
a hidden test computed can reach it. The page then shows, for every marked cell, the
replay's outputs under a label saying so. No rich output after hidden tests: no replay
(those cells show a note, as before). A replay never changes a grade; when it fails, or
no sandbox is available (student code never runs unsandboxed here), the cells keep the
note. It runs in `feedback`, not in `grade`: grading throughput is unchanged, and the
cost is paid once per page, only for hand-ins that need it.
"""
from __future__ import annotations

import os
import sys
import time

import nbformat
from tqdm import tqdm

from autograder.common.cells import AFTER_HIDDEN
from autograder.common.course import Course
from autograder.grading.job import Job

REPLAY_LABEL = ("[shown from a re-run of your cells without the tests (the tests' inputs "
                "cannot reach it); the graded run's output is kept for your instructor]\n")

Replays = dict  # student -> {cell index: the outputs to show (label first)}


def _marked(cell: nbformat.NotebookNode) -> bool:
    return cell.get("cell_type") == "code" and \
        bool(cell.get("metadata", {}).get("autograder", {}).get(AFTER_HIDDEN))


def needs_replay(nb: nbformat.NotebookNode) -> bool:
    """True when a cell that ran after hidden tests has an output other than text
    (stream) or an error: a figure, an image, a rich display or a result."""
    return any(out.get("output_type") not in ("stream", "error")
               for cell in nb.cells if _marked(cell) for out in cell.get("outputs", []))


def replay_job(nb: nbformat.NotebookNode, trusted: dict, template: dict) -> Job:
    """A Job that runs `nb` (an autograded notebook) with its trusted cells blanked, no
    runner and no steps after execution; `template`: the other Job fields."""
    from autograder.worker.lockstep import blank_trusted_cells
    blanked = blank_trusted_cells(nb, trusted)
    for cell in blanked.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return Job(notebook=nbformat.writes(blanked), trusted_cells={}, steps=(), **template)


def replayed_outputs(graded: nbformat.NotebookNode, replayed: nbformat.NotebookNode) -> dict:
    """{cell index: [label, *replay outputs]} for every marked cell of `graded` (the
    replay ran the same notebook: cells match one to one)."""
    if len(graded.cells) != len(replayed.cells):
        return {}
    label = {"output_type": "stream", "name": "stdout", "text": REPLAY_LABEL}
    return {index: [label, *again.get("outputs", [])] if again.get("outputs") else []
            for index, (cell, again) in enumerate(zip(graded.cells, replayed.cells))
            if _marked(cell) and again.get("cell_type") == "code"}


def _job_template(course: Course, assignment_id: str) -> dict:
    """Job fields shared by every replay of the assignment (grade's defaults)."""
    from autograder.grading.grader import GradeOptions
    from autograder.grading.steps import worker_config
    from autograder.sandbox.bubblewrap import check_cgroups
    options = GradeOptions()
    release = course.release_folder(assignment_id)
    extra = {str(p.relative_to(release)): p.read_bytes() for p in sorted(release.rglob("*"))
             if p.is_file() and p.suffix != ".ipynb"} if release.is_dir() else {}
    return {"notebook_name": f"{assignment_id}.ipynb", "extra_files": extra,
            "resources": {"assignment": assignment_id, "notebook": assignment_id},
            "cell_timeout": options.cell_timeout, "notebook_timeout": options.notebook_timeout,
            "limits": vars(options.limits()), "sandbox": True,
            "config": worker_config(course.config()), "cgroups": check_cgroups() is None}


def replay_all(course: Course, assignment_id: str, students: list[str],
               workers: int | None = None) -> Replays:
    """Replay the autograded notebooks of `students` that need it (in parallel, sandboxed);
    returns {student: {cell index: outputs}}. Says on stderr what it did and cost."""
    from autograder.engines import make_engine
    from autograder.entrypoints import WORKER_MODULES
    from autograder.grading.grader import _run_job, trusted_cells
    from autograder.sandbox.bubblewrap import check_bwrap
    todo = {}
    for student in students:
        try:
            nb = nbformat.read(course.autograded(student, assignment_id), as_version=4)
        except Exception:  # unreadable: its page fails on its own (feedback.py says why)
            continue
        if needs_replay(nb):
            todo[student] = nb
    if not todo:
        return {}
    problem = check_bwrap()
    if problem:
        print(f"feedback: no replay of figures after hidden tests ({problem}); those cells "
              "show a note", file=sys.stderr)
        return {}
    started = time.monotonic()
    trusted = trusted_cells(nbformat.read(course.source_notebook(assignment_id), as_version=4))
    template = _job_template(course, assignment_id)
    replays: Replays = {}
    workers = workers or min(len(todo), os.cpu_count() or 1)
    bar = tqdm(total=len(todo), unit="hand-in", desc="replaying for feedback", file=sys.stderr)
    with make_engine(_run_job, workers, preload=WORKER_MODULES) as engine:
        for student, nb in todo.items():
            engine.submit(student, replay_job(nb, trusted, template))
        for done in engine.completed():
            result = done.result
            if done.failure or result is None or result.notebook is None:
                why = done.failure or (result.error if result is not None else "no result")
                print(f"feedback replay for {done.key} failed: {why}", file=sys.stderr)
            else:
                replays[done.key] = replayed_outputs(
                    todo[done.key], nbformat.reads(result.notebook, as_version=4))
            bar.update()
    bar.close()
    print(f"feedback: replayed {len(replays)}/{len(todo)} hand-in(s) with figures after "
          f"hidden tests in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return replays
