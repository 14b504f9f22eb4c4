"""The instructor's pipeline around nbgrader: `python -m autograder COMMAND`.

Modules, one job each:
    cli        the command line (argparse), thin shells around the modules below
    course     where things live (solutions/, exercises/, autograder/course/), nbgrader config
    release    solutions/ -> exercises/ with nbgrader's GenerateAssignment, idempotent
    validate   a student's local run of the visible tests
    collect    hand-ins (folder or LMS zip) -> course/submitted/, problems per student
    lms        Canvas / Moodle file names, rosters and grade files
    grade      nbgrader's autograde steps, split: sanitize and record in this process,
               execute in a pool of workers
    pipeline   which of nbgrader's steps run, in which order, where (from its lists)
    engine     where the hand-ins run: the local process pool or Dask (dask_engine)
    jobs       the typed Job (in) / Outcome (out) of executing one hand-in
    execute    one hand-in in one sandboxed kernel (runs in a worker)
    lockstep   its test cells in a sandboxed trusted runner, in notebook order
    trusted    the trusted runner process (`python -m autograder.runner.runner`)
    channel/   the narrow channel between runner and student kernel (no pickle)
    sandbox    the bubblewrap command line and resource limits
    cgroups    per-sandbox totals (memory, processes, CPU) in cgroup v1 or v2
    enter      a sandbox's first process: joins its cgroup, mounts its sized tmpfs
    contain    nbgrader steps run so that a hand-in breaking one fails alone
    records    the per-hand-in status records that make grading resumable
    feedback   nbgrader's feedback HTML with the hidden tests taken out
    export     grades as CSV for nbgrader, Canvas or Moodle
    formgrade  the command line of JupyterLab with nbgrader's formgrader on this course
    report     the `status` table
    demo, tiny a generated class / a generated tiny assignment for demos, tests, benchmark
"""
import sys as _sys

# Speed (benchmarks/grading.py): jsonschema imports rfc3987_syntax, when installed (it is,
# for jupyter_events), only to check the "iri" string format, and that module compiles a
# Lark grammar at import: 1.2-1.5 s in every process that imports nbformat (the CLI, each
# grading worker). Notebook validation never uses the format, and jsonschema's import of
# it is guarded (`with suppress(ImportError)`), so mark it absent, unless already loaded.
_sys.modules.setdefault("rfc3987_syntax", None)
