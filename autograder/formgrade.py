"""nbgrader's own tools on this course: formgrader, generate_feedback, release_feedback.

- `release_files`: the two files `nbgrader release_feedback` reads next to each feedback
  HTML (feedback/<student>/<id>/timestamp.txt and submission_secret.txt). They are the
  hand-in's own (copied by `nbgrader collect` from the exchange into submitted/); a hand-in
  that did not come through the exchange (an LMS zip) gets its collection time and a fresh
  secret, so release_feedback works and only the exchange's students can fetch it.
- `FEEDBACK_PREPROCESSORS`: what autograder/nbgrader_config.py gives nbgrader's
  GenerateFeedback, so formgrader's "Generate feedback" button and `nbgrader
  generate_feedback` write the same hidden-test-free HTML as `python -m autograder
  feedback`, plus the two files above (as nbconvert output files).
- `server_command`: a Jupyter server whose root holds the course directory, the source and
  the release folders (formgrader refuses a course outside its server root, and its links
  to source and release notebooks are relative to the course directory).
"""
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbformat import NotebookNode
from nbgrader.preprocessors import GetGrades
from nbgrader.preprocessors.base import NbGraderPreprocessor

from .course import PACKAGE_DIR, Course, atomic_write
from .feedback import HideHiddenTests, SanitizeStudentHTML

RELEASE_FILES = ("timestamp.txt", "submission_secret.txt")


def _now() -> str:
    """A timestamp as nbgrader writes it ("2026-01-31 23:59:00.000000 UTC")."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def release_files(submitted_dir: Path) -> dict[str, bytes]:
    """name -> content of the files release_feedback needs, from a submitted/<s>/<id> folder."""
    files = {}
    for name in RELEASE_FILES:
        path = Path(submitted_dir) / name
        if path.is_file():
            files[name] = path.read_bytes()
    files.setdefault("timestamp.txt", _now().encode())
    files.setdefault("submission_secret.txt", secrets.token_hex(16).encode())
    return files


def write_release_files(course: Course, student: str, assignment_id: str) -> None:
    """Put timestamp.txt and submission_secret.txt next to the student's feedback HTML."""
    submitted = course.submitted(student, assignment_id).parent
    feedback = course.feedback(student, assignment_id).parent
    for name, data in release_files(submitted).items():
        atomic_write(feedback / name, data)


class AddReleaseFiles(NbGraderPreprocessor):
    """In nbgrader's GenerateFeedback: adds the release files as output files, read from
    <root>/submitted/<student>/<id>/ (the notebook comes from <root>/autograded/<s>/<id>/)."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        autograded = Path(resources["metadata"]["path"]).resolve()
        root = autograded.parents[2]
        submitted = root / "submitted" / autograded.parent.name / autograded.name
        resources.setdefault("outputs", {}).update(release_files(submitted))
        return nb, resources


FEEDBACK_PREPROCESSORS = [HideHiddenTests, SanitizeStudentHTML, GetGrades, CSSHTMLHeaderPreprocessor,
                          AddReleaseFiles]


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
