"""`grade ID`: autograde the collected hand-ins in sandboxed kernels (see
autograder/grading/grader.py), print a summary."""
from autograder.commands.args import add_db_url, positive_float, positive_int
from autograder.common import defaults
from autograder.common.course import Course
from autograder.engines.local import start_forkserver
from autograder.entrypoints import WORKER_MODULES
from autograder.grading.grader import GradeOptions, Summary, grade


def add_arguments(parser) -> None:
    parser.add_argument("id", metavar="ID")
    parser.add_argument("--student", action="append", default=[], metavar="S",
                        help="grade only this student (repeatable)")
    parser.add_argument("--workers", type=positive_int, default=defaults.workers(), metavar="N",
                        help="hand-ins graded in parallel (default: number of cores + 1, "
                             f"here {defaults.workers()})")
    parser.add_argument("--cell-timeout", type=positive_float, default=defaults.CELL_TIMEOUT,
                        metavar="S", help="seconds one cell may run before it is interrupted "
                                          f"(default {defaults.CELL_TIMEOUT:g})")
    parser.add_argument("--notebook-timeout", type=positive_float,
                        default=defaults.NOTEBOOK_TIMEOUT, metavar="S",
                        help="seconds a whole hand-in may run before it is killed "
                             f"(default {defaults.NOTEBOOK_TIMEOUT:g})")
    parser.add_argument("--memory-mb", type=positive_int, default=defaults.MEMORY_MB, metavar="M",
                        help="memory total of each hand-in's sandbox in MB "
                             f"(default {defaults.MEMORY_MB})")
    parser.add_argument("--force", action="store_true", help="re-grade what is already graded")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run student code WITHOUT bubblewrap (machines without it)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the hand-ins on a Dask cluster: tcp://HOST:PORT or the "
                             "scheduler's JSON file (--workers is then ignored; default: the "
                             "local process pool)")
    add_db_url(parser)


def run(args, course: Course) -> int:
    course.check_assignment(args.id)  # a typo is told before any process starts
    if not args.scheduler:  # the pool's imports run while this process does its own
        start_forkserver(WORKER_MODULES)
    options = GradeOptions(workers=args.workers, cell_timeout=args.cell_timeout,
                           notebook_timeout=args.notebook_timeout, memory_mb=args.memory_mb,
                           force=args.force, sandbox=not args.no_sandbox,
                           scheduler=args.scheduler)
    print(format_summary(grade(course, args.id, students=args.student, options=options)))
    return 0


def format_summary(summary: Summary) -> str:
    """What `grade` prints: counts, the mean, then each hand-in with problems, needing
    review or failed."""
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
    for student, record in sorted(graded.items()):
        if record.get("needs_review"):
            lines.append(f"  {student}: NEEDS REVIEW (graded {record['score']:g}, the tests "
                         "that could not run scored nothing): "
                         + "; ".join(record["needs_review"][:3]))
    for student, record in sorted(failed.items()):
        lines.append(f"  {student}: FAILED: {record['reason']}")
    return "\n".join(lines)
