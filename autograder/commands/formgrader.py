"""`formgrader`: JupyterLab with nbgrader's formgrader on this course.

`server_command`: a Jupyter server whose root holds the course directory, the source and
the release folders and nothing else: formgrader refuses a course outside its server root,
and its links to source and release notebooks are relative to the course directory. The
root is a folder of three links (`server_root`: course, source, release), wherever the
three live, so the server never shows their common parent (which is `/` when the course
lives elsewhere). Its "Generate feedback" button runs the steps of
autograder/preprocessors/feedback.py (the course's nbgrader_config.py says so), the same
as `python -m autograder feedback`.

Jupyter refuses to run as root unless told: `--allow-root` tells it (or Jupyter's own
setting, c.ServerApp.allow_root in the instructor's jupyter_server_config.py).
"""
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.commands.args import add_db_url, positive_int
from autograder.common.course import PACKAGE_DIR, Course


def server_root(course: Course) -> Path:
    """The server's root: a folder (one per course directory, in the system's temporary
    folder) holding the links course, source and release to the course's three folders."""
    digest = hashlib.sha256(str(course.root).encode()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"autograder-formgrader-{digest}"
    root.mkdir(mode=0o700, exist_ok=True)
    for name, target in (("course", course.root), ("source", course.source),
                         ("release", course.release)):
        link = root / name
        if link.is_symlink() and link.resolve() == target.resolve():
            continue
        if link.is_symlink():
            link.unlink()
        link.symlink_to(target, target_is_directory=True)
    return root


def server_command(course: Course, port: int, ip: str = "127.0.0.1",
                   extra: list[str] = ()) -> tuple[list[str], dict, Path]:
    """(argv, environment, cwd) of a Jupyter server with formgrader for `course`. It runs
    in autograder/ so that nbgrader reads this project's nbgrader_config.py as the
    course's config file (after the system and user ones)."""
    course.root.mkdir(parents=True, exist_ok=True)
    root = server_root(course)
    env = dict(os.environ, AUTOGRADER_COURSE_DIR=str(root / "course"),
               AUTOGRADER_SOURCE_DIR=str(root / "source"),
               AUTOGRADER_RELEASE_DIR=str(root / "release"),
               AUTOGRADER_DB_URL=course.db_url)
    if course.exchange is not None:
        env["AUTOGRADER_EXCHANGE_DIR"] = str(course.exchange)
    bin_dir = os.path.dirname(sys.executable)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    argv = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--ip={ip}",
            f"--port={port}", f"--ServerApp.root_dir={root}", *extra]
    return argv, env, PACKAGE_DIR


def add_arguments(parser) -> None:
    parser.add_argument("--port", type=positive_int, default=8888)
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--allow-root", action="store_true",
                        help="let the server run as root (as in a container); without it "
                             "Jupyter's own setting c.ServerApp.allow_root decides")
    add_db_url(parser)


def run(args, course: Course) -> int:
    argv, env, cwd = server_command(course, args.port, args.ip,
                                    extra=["--allow-root"] if args.allow_root else [])
    print(f"formgrader: http://{args.ip}:{args.port}/formgrader (server root "
          f"{server_root(course)}: links to the course, source and release folders; Ctrl-C "
          "stops it)", file=sys.stderr)
    return subprocess.call(argv, env=env, cwd=cwd)
