"""`formgrader`: JupyterLab with nbgrader's formgrader on this course.

`server_command`: a Jupyter server whose root holds the course directory, the source and
the release folders (formgrader refuses a course outside its server root, and its links
to source and release notebooks are relative to the course directory). Its "Generate
feedback" button runs the steps of autograder/preprocessors/feedback.py (the course's
nbgrader_config.py says so), the same as `python -m autograder feedback`.
"""
import os
import subprocess
import sys
from pathlib import Path

from autograder.commands.args import add_db_url, positive_int
from autograder.common.course import PACKAGE_DIR, Course


def server_root(course: Course) -> Path:
    """The deepest folder holding the course directory, source and release folders."""
    return Path(os.path.commonpath([course.root, course.source, course.release]))


def server_command(course: Course, port: int, ip: str = "127.0.0.1",
                   extra: list[str] = ()) -> tuple[list[str], dict, Path]:
    """(argv, environment, cwd) of a Jupyter server with formgrader for `course`. It runs
    in autograder/ so that nbgrader reads this project's nbgrader_config.py as the
    course's config file (after the system and user ones)."""
    env = dict(os.environ, AUTOGRADER_COURSE_DIR=str(course.root),
               AUTOGRADER_SOURCE_DIR=str(course.source),
               AUTOGRADER_RELEASE_DIR=str(course.release),
               AUTOGRADER_DB_URL=course.db_url)
    if course.exchange is not None:
        env["AUTOGRADER_EXCHANGE_DIR"] = str(course.exchange)
    bin_dir = os.path.dirname(sys.executable)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    argv = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--ip={ip}",
            f"--port={port}", f"--ServerApp.root_dir={server_root(course)}", *extra]
    course.root.mkdir(parents=True, exist_ok=True)
    return argv, env, PACKAGE_DIR


def add_arguments(parser) -> None:
    parser.add_argument("--port", type=positive_int, default=8888)
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    add_db_url(parser)


def run(args, course: Course) -> int:
    argv, env, cwd = server_command(course, args.port, args.ip)
    print(f"formgrader: http://{args.ip}:{args.port}/formgrader (server root "
          f"{argv[-1].split('=', 1)[1]}; Ctrl-C stops it)", file=sys.stderr)
    return subprocess.call(argv, env=env, cwd=cwd)
