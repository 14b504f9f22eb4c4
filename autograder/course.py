"""Where the course lives: source, release and runtime folders, and nbgrader's view of them.

One `Course` object is handed to every command. It mirrors autograder/nbgrader_config.py
(the file plain `nbgrader` commands read), so both tools work on the same folders:

    source   <repo>/solutions/<id>/<id>.ipynb     instructor notebooks (nbgrader source)
    release  <repo>/exercises/<id>/<id>.ipynb     student notebooks (generated, committed)
    root     autograder/course/                   runtime state, gitignored:
             submitted/<student>/<id>/<id>.ipynb  hand-ins as collected
             autograded/<student>/<id>/...        executed and scored copies
             feedback/<student>/<id>/<id>.html    what students get back
             gradebook.db                         nbgrader's SQLite gradebook
             .autograder/status/<id>/<student>.json   one grading record per hand-in
"""
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

PACKAGE_DIR = Path(__file__).resolve().parent
REPO = PACKAGE_DIR.parent
CONFIG_FILE = PACKAGE_DIR / "nbgrader_config.py"


def _put_environment_on_path() -> None:
    """nbgrader's Gradebook runs the `alembic` command of the environment it is installed in
    (to check the schema of an existing gradebook.db); make it findable even when the
    venv is not activated (e.g. `.venv/bin/python -m autograder`)."""
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


_put_environment_on_path()


class UsageError(Exception):
    """A problem with what the user asked for; the CLI prints it without a traceback."""


@dataclass(frozen=True)
class Course:
    root: Path
    source: Path
    release: Path

    @classmethod
    def from_env(cls) -> "Course":
        """The course nbgrader_config.py describes (same environment variables)."""
        env = os.environ
        return cls(
            root=Path(env.get("AUTOGRADER_COURSE_DIR", PACKAGE_DIR / "course")).resolve(),
            source=Path(env.get("AUTOGRADER_SOURCE_DIR", REPO / "solutions")).resolve(),
            release=Path(env.get("AUTOGRADER_RELEASE_DIR", REPO / "exercises")).resolve(),
        )

    # --- nbgrader's view --------------------------------------------------------------
    @property
    def db_url(self) -> str:
        return "sqlite:///" + str(self.root / "gradebook.db")

    def config(self, **overrides) -> Config:
        """nbgrader_config.py, with this course's folders (and `overrides`) on top."""
        config = PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent)).load_config()
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.source_directory = str(self.source)
        config.CourseDirectory.release_directory = str(self.release)
        config.CourseDirectory.db_url = self.db_url
        for dotted, value in overrides.items():
            section, name = dotted.split(".")
            setattr(getattr(config, section), name, value)
        return config

    def coursedir(self, assignment_id: str = "", **overrides):
        from nbgrader.coursedir import CourseDirectory
        coursedir = CourseDirectory(config=self.config(**overrides))
        coursedir.assignment_id = assignment_id
        return coursedir

    def gradebook(self):
        from nbgrader.api import Gradebook
        self.root.mkdir(parents=True, exist_ok=True)
        return Gradebook(self.db_url, course_id=self.config().CourseDirectory.course_id)

    # --- assignments ------------------------------------------------------------------
    def assignment_ids(self) -> list[str]:
        """Ids with a source notebook solutions/<id>/<id>.ipynb, sorted."""
        if not self.source.is_dir():
            return []
        return sorted(p.name for p in self.source.iterdir()
                      if (p / f"{p.name}.ipynb").is_file())

    def check_assignment(self, assignment_id: str) -> str:
        known = self.assignment_ids()
        if assignment_id not in known:
            raise UsageError(
                f"unknown assignment id {assignment_id!r}; known ids (folders of "
                f"{self.source} holding <id>/<id>.ipynb): {', '.join(known) or 'none'}")
        return assignment_id

    def source_notebook(self, assignment_id: str) -> Path:
        return self.source / assignment_id / f"{assignment_id}.ipynb"

    def release_folder(self, assignment_id: str) -> Path:
        return self.release / assignment_id

    # --- runtime folders --------------------------------------------------------------
    def submitted(self, student: str, assignment_id: str) -> Path:
        return self.root / "submitted" / student / assignment_id / f"{assignment_id}.ipynb"

    def autograded(self, student: str, assignment_id: str) -> Path:
        return self.root / "autograded" / student / assignment_id / f"{assignment_id}.ipynb"

    def feedback(self, student: str, assignment_id: str) -> Path:
        return self.root / "feedback" / student / assignment_id / f"{assignment_id}.html"

    def status_dir(self, assignment_id: str) -> Path:
        return self.root / ".autograder" / "status" / assignment_id

    def submitted_students(self, assignment_id: str) -> list[str]:
        base = self.root / "submitted"
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / assignment_id).is_dir())


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` so that readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(tmp, mode) as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
