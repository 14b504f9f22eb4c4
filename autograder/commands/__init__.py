"""The command line, `python -m autograder COMMAND ...`: one module per sub-command.

COMMANDS is the table of sub-commands: name -> (module, one-line help). Each module has

    add_arguments(parser)          its options (argparse)
    run(args, course) -> int       the exit status; UsageError for what the user got wrong

Only the chosen command's module is imported (a student's `validate` needs none of the
grader's), so the table names modules by string; tests/autograder/commands/test_table.py
imports every entry and checks its two functions.
"""
import argparse
import importlib
import sys

from autograder.common.errors import UsageError

PROG = "python -m autograder"
COMMANDS: dict[str, tuple[str, str]] = {
    "release": ("autograder.commands.release", "solutions/<id> -> exercises/<id> (idempotent)"),
    "validate": ("autograder.commands.validate",
                 "run the visible tests of a notebook, print a report"),
    "collect": ("autograder.commands.collect", "copy hand-ins into the course, register students"),
    "grade": ("autograder.commands.grade", "autograde hand-ins in sandboxed kernels"),
    "feedback": ("autograder.commands.feedback",
                 "HTML feedback per student, hidden tests left out"),
    "export": ("autograder.commands.export", "grades as CSV for nbgrader, Canvas or Moodle"),
    "status": ("autograder.commands.status", "collected / graded / failed per assignment"),
    "formgrader": ("autograder.commands.formgrader",
                   "JupyterLab with nbgrader's formgrader on this course"),
    "extend": ("autograder.commands.extend",
               "per-student due dates (late penalty of grade; shown by status)"),
    "export-feedback": ("autograder.commands.export_feedback",
                        "feedback pages as a Canvas or Moodle bulk-upload zip"),
    "analytics": ("autograder.commands.analytics",
                  "per-test pass rates and failure groups of a graded assignment"),
    "similarity": ("autograder.commands.similarity",
                   "pairs of hand-ins whose answer code matches, ranked"),
    "demo": ("autograder.commands.demo", "grade a generated class end to end, print the grades"),
}


def command_module(name: str):
    """The module of sub-command `name` (imported now)."""
    return importlib.import_module(COMMANDS[name][0])


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser: every sub-command listed; the options of `command` only (None: of all,
    for the README and the tests)."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Release, collect, autograde (sandboxed, parallel) and give "
                               "feedback on the course's nbgrader assignments.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if command is None or name == command:
            command_module(name).add_arguments(p)
    return parser


def _chosen(argv: list[str]) -> str | None:
    """The sub-command named in `argv` (the first word that is one), if any."""
    return next((word for word in argv if word in COMMANDS), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _chosen(argv)
    args = build_parser(command or "").parse_args(argv)  # no command: argparse says so
    try:
        from autograder.common.course import Course, put_environment_on_path
        put_environment_on_path()  # nbgrader runs `alembic` from this environment
        course = Course.from_env(db_url=getattr(args, "db_url", None))
        return command_module(args.command).run(args, course)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
