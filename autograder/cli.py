"""Command line: python -m autograder release | validate | collect | grade | feedback |
export | status | formgrader | demo. Each sub-command is a thin shell around one module."""
import argparse
import os
import sys
from pathlib import Path

from .course import Course, UsageError


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Release, collect, autograde (sandboxed, parallel) and give feedback "
                    "on the course's nbgrader assignments.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("release", help="solutions/<id> -> exercises/<id> (idempotent)")
    p.add_argument("ids", nargs="*", metavar="ID", help="assignment ids (default: all)")

    p = sub.add_parser("validate", help="run the visible tests of a notebook, print a report")
    p.add_argument("path", type=Path, metavar="PATH.ipynb")
    p.add_argument("--cell-timeout", type=_positive_float, default=120)

    p = sub.add_parser("collect", help="copy hand-ins into the course, register students")
    p.add_argument("id", metavar="ID")
    p.add_argument("source", type=Path, metavar="SOURCE",
                   help="folder of <student>/<file>.ipynb or <student>.ipynb, a Canvas or "
                        "Moodle submissions .zip, or nbgrader zip_collect's downloaded/<ID>")
    p.add_argument("--roster", type=Path, metavar="CSV",
                   help="CSV with columns lms_id,student_id[,name,email]: LMS user id -> "
                        "student id (default: the LMS user id)")

    p = sub.add_parser("grade", help="autograde hand-ins in sandboxed kernels")
    p.add_argument("id", metavar="ID")
    p.add_argument("--student", action="append", default=[], metavar="S",
                   help="grade only this student (repeatable)")
    p.add_argument("--workers", type=_positive_int, default=os.cpu_count() or 1, metavar="N",
                   help="hand-ins graded in parallel (default: number of cores)")
    p.add_argument("--cell-timeout", type=_positive_float, default=120, metavar="S",
                   help="seconds one cell may run before it is interrupted (default 120)")
    p.add_argument("--notebook-timeout", type=_positive_float, default=900, metavar="S",
                   help="seconds a whole hand-in may run before it is killed (default 900)")
    p.add_argument("--memory-mb", type=_positive_int, default=2048, metavar="M",
                   help="address-space limit of each kernel process in MB (default 2048)")
    p.add_argument("--force", action="store_true", help="re-grade what is already graded")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run student code WITHOUT bubblewrap (machines without it)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the hand-ins on a Dask cluster: tcp://HOST:PORT or the "
                        "scheduler's JSON file (--workers is then ignored; default: the "
                        "local process pool)")

    p = sub.add_parser("feedback", help="HTML feedback per student, hidden tests left out")
    p.add_argument("id", metavar="ID")

    p = sub.add_parser("export", help="grades as CSV for nbgrader, Canvas or Moodle")
    p.add_argument("--output", type=Path, default=Path("grades.csv"), metavar="FILE")
    p.add_argument("--format", choices=("nbgrader", "canvas", "moodle"), default="nbgrader",
                   help="nbgrader's CSV (default), Canvas gradebook import, Moodle grade import")
    p.add_argument("--roster", type=Path, metavar="CSV",
                   help="the collect roster: fills Canvas's ID / names and emails")

    p = sub.add_parser("formgrader", help="JupyterLab with nbgrader's formgrader on this course")
    p.add_argument("--port", type=_positive_int, default=8888)
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")

    p = sub.add_parser("status", help="collected / graded / failed per assignment")
    p.add_argument("id", nargs="?", metavar="ID")

    p = sub.add_parser("demo", help="grade a generated class end to end, print the grades")
    p.add_argument("--workers", type=_positive_int, default=os.cpu_count() or 1, metavar="N")
    p.add_argument("--no-sandbox", action="store_true")
    p.add_argument("--course-dir", type=Path, default=None,
                   help="where to put the demo course (default: a temporary folder)")
    from .commands import similarity as similarity_command  # until commands/ has its table
    similarity_command.add_arguments(sub.add_parser(
        "similarity", help="pairs of hand-ins whose answer code matches, ranked"))
    for name in ("collect", "grade", "feedback", "export", "status", "formgrader"):
        sub.choices[name].add_argument(
            "--db-url", metavar="URL", default=None,
            help="gradebook database, a SQLAlchemy URL such as postgresql://user:pw@host/db "
                 "(default: AUTOGRADER_DB_URL, else nbgrader's CourseDirectory.db_url, else "
                 "sqlite in the course directory)")
    return parser


def run(args: argparse.Namespace, course: Course) -> int:
    if args.command == "release":
        from .release import release
        for assignment_id, changes in release(course, args.ids).items():
            print(f"{assignment_id}: " + ("unchanged" if not changes else
                                          f"{len(changes)} change(s)"))
            for line in changes:
                print("  " + line)
        return 0
    if args.command == "validate":
        from .validate import format_report, validate
        report = validate(args.path, cell_timeout=args.cell_timeout)
        print(format_report(report))
        return 0 if report.all_passed else 1
    if args.command == "collect":
        from .collect import collect, format_report
        from .lms import Roster
        roster = Roster.load(args.roster) if args.roster else None
        report = collect(course, args.id, args.source, roster=roster)
        print(format_report(report))
        return 0 if report.collected else 1
    if args.command == "grade":
        course.check_assignment(args.id)  # a typo is told before any process starts
        if not args.scheduler:  # the pool's imports run while this process does its own
            from .engine import start_forkserver
            from .jobs import WORKER_MODULES
            start_forkserver(WORKER_MODULES)
        from .grade import GradeOptions, format_summary, grade
        options = GradeOptions(workers=args.workers, cell_timeout=args.cell_timeout,
                               notebook_timeout=args.notebook_timeout,
                               memory_mb=args.memory_mb, force=args.force,
                               sandbox=not args.no_sandbox, scheduler=args.scheduler)
        summary = grade(course, args.id, students=args.student, options=options)
        print(format_summary(summary))
        return 0
    if args.command == "feedback":
        from .feedback import feedback
        for path in feedback(course, args.id):
            print(path)
        return 0
    if args.command == "export":
        from .export import export
        from .lms import Roster
        roster = Roster.load(args.roster) if args.roster else None
        n_rows = export(course, args.output, format=args.format, roster=roster)
        print(f"wrote {n_rows} row(s) to {args.output} ({args.format})")
        return 0
    if args.command == "formgrader":
        import subprocess

        from .formgrade import server_command
        argv, env, cwd = server_command(course, args.port, args.ip)
        print(f"formgrader: http://{args.ip}:{args.port}/formgrader (server root "
              f"{argv[-1].split('=', 1)[1]}; Ctrl-C stops it)", file=sys.stderr)
        return subprocess.call(argv, env=env, cwd=cwd)
    if args.command == "status":
        from .report import status_table
        print(status_table(course, args.id))
        return 0
    if args.command == "similarity":
        from .commands import similarity as similarity_command
        return similarity_command.run(args, course)
    if args.command == "demo":
        from .demo import demo
        return demo(workers=args.workers, sandbox=not args.no_sandbox,
                    course_dir=args.course_dir)
    raise AssertionError(args.command)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args, Course.from_env(db_url=getattr(args, "db_url", None)))
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
