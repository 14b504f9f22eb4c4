"""The instructor's pipeline around nbgrader: `python -m autograder COMMAND`.

Folders are processes and trust zones, in the order a hand-in travels:

    commands/       the instructor's process (a student's, for `validate`): one module per
                    sub-command, named in the COMMANDS table of commands/__init__.py
    common/         shared by every process, light to import: the course's folders and
                    nbgrader config, what a cell is, defaults, partial credit, records, LMS
                    file names, nbgrader's GenerateAssignment
    grading/        `grade`'s parent process: sanitize (steps.py), prepare a Job, record the
                    Outcome (grader.py); the typed Job/Outcome (job.py); the names tests may
                    take from a student (names.py)
    engines/        where jobs run: the local process pool or a Dask cluster
    worker/         one hand-in in a pool or Dask worker: the student's kernel in a sandbox,
                    its test cells in lock-step in the trusted runner
    runner/         the trusted runner, its own sandboxed process: runs the instructor's
                    test cells, reaches the student's objects only through the channel
    sandbox/        bubblewrap, cgroups, and the launcher (a sandbox's first process)
    channel/        the narrow channel between runner (proxy.py) and kernel (agent.py)
    preprocessors/  our nbgrader preprocessors (containment, feedback)
    insight/        what the instructor reads after grading (feedback zips for the LMS)
    demo/           a generated assignment and class, for `demo`, tests and benchmarks
    entrypoints.py  the code named by a string or a path, in one registry

One hand-in's path: commands/collect.py copies it into the course; commands/grade.py
calls grading/grader.py, which sanitizes it (grading/steps.py, preprocessors/) and hands a
Job to an engine (engines/); in the worker, worker/handin.py starts the runner
(worker/runner_client.py -> runner/) and the student's kernel (worker/kernel.py, both in
sandbox/), and worker/lockstep.py runs the cells in order; the Outcome returns to
grading/grader.py, which records the grades (common/records.py, the gradebook).
"""
import sys as _sys

# Speed (benchmarks/grading.py): jsonschema imports rfc3987_syntax, when installed (it is,
# for jupyter_events), only to check the "iri" string format, and that module compiles a
# Lark grammar at import: 1.2-1.5 s in every process that imports nbformat (the CLI, each
# grading worker). Notebook validation never uses the format, and jsonschema's import of
# it is guarded (`with suppress(ImportError)`), so mark it absent, unless already loaded.
_sys.modules.setdefault("rfc3987_syntax", None)
