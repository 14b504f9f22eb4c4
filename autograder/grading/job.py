"""The typed seam between `grade` (parent) and `execute_handin` (worker): one `Job` in,
one `Outcome` out. Both are plain dataclasses of builtins, so they pickle (process pools,
a Dask scheduler)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TrustedCell:
    """A test cell (or test-helper cell) as the INSTRUCTOR wrote it: it runs in the
    trusted runner, never in the student's kernel. `points` is None for helpers."""
    grade_id: str
    source: str
    points: float | None = None


@dataclass(frozen=True)
class Job:
    """One sanitized hand-in to execute.

    notebook        the sanitized notebook as JSON text (test cells restored)
    notebook_name   its file name in the sandbox's /handin
    extra_files     {relative path: bytes} released beside the notebook
    resources       nbgrader's: student, assignment, notebook, db_url
    limits          sandbox.Limits fields
    config          the course's traitlets config (a dict), without step lists
    steps           import paths of the steps after Execute (steps.py); None:
                    nbgrader's default ones
    trusted_cells   {grade_id: TrustedCell}: run in the trusted runner (empty: the old
                    one-kernel execution, as nbgrader does)
    student_names   the names the runner may take from the student's globals when a
                    test reads one it did not define (autograder/grading/names.py)
    cgroups         False when `grade` found no usable cgroups (sandboxes then do not try)
    """
    notebook: str
    notebook_name: str
    resources: dict
    cell_timeout: float
    notebook_timeout: float
    limits: dict
    sandbox: bool
    config: dict
    extra_files: dict = field(default_factory=dict)
    trusted_cells: dict = field(default_factory=dict)
    student_names: tuple[str, ...] = ()
    cgroups: bool = True
    steps: tuple[str, ...] | None = None


@dataclass
class Outcome:
    """What executing a Job gave. `notebook` is None exactly when `error` says why the
    hand-in could not be executed at all; `problems` are limits hit while it ran.
    `timings` (seconds): kernel_start, trusted_start, trusted_cells, channel_wait, and
    the count channel_requests. `resolved` {grade_id: student globals the test read}.
    `review`: why the hand-in needs an instructor's review (the kernel did not serve a
    test, the channel broke, a test helper or the runner failed); empty: none.
    `hidden_failures`: details of failed hidden tests, for the instructor only."""
    notebook: str | None
    problems: list = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    timings: dict = field(default_factory=dict)
    resolved: dict = field(default_factory=dict)
    review: list = field(default_factory=list)
    hidden_failures: list = field(default_factory=list)
