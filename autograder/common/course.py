"""Where the course lives: source, release and runtime folders, and nbgrader's view of them.

One `Course` object is handed to every command. It mirrors autograder/nbgrader_config.py
(the file plain `nbgrader` commands read), so both tools work on the same folders:

    source   <repo>/solutions/<id>/<id>.ipynb     instructor notebooks (nbgrader source)
    release  <repo>/exercises/<id>/<id>.ipynb     student notebooks (generated, committed)
    root     autograder/course/                   runtime state, gitignored:
             submitted/<student>/<id>/<id>.ipynb  hand-ins as collected
             autograded/<student>/<id>/...        executed and scored copies
             feedback/<student>/<id>/<id>.html    what students get back
             gradebook.db                         nbgrader's SQLite gradebook (default)
             .autograder/status/<id>/<student>.json   one grading record per hand-in

nbgrader configuration, lowest precedence first (`Course.config`):
  1. autograder/nbgrader_config.py (course id, stubs, feedback steps; the course paths)
  2. the instructor's nbgrader_config.py/.json files in nbgrader's own order: the folders
     of `jupyter --paths` (config) from the last to the first (/etc/jupyter, ...,
     ~/.jupyter or $JUPYTER_CONFIG_DIR, $JUPYTER_CONFIG_PATH), then the current directory
  3. this Course's folders (root, source, release) and, when given, its gradebook URL
     (--db-url / AUTOGRADER_DB_URL) and exchange root (AUTOGRADER_EXCHANGE_DIR).
The gradebook URL is `Course.db_url`: the explicit one, else `CourseDirectory.db_url` from
the instructor's files, else sqlite:///<root>/gradebook.db.
"""
import os
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.common.errors import UsageError

if TYPE_CHECKING:
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # autograder/
REPO = PACKAGE_DIR.parent
CONFIG_FILE = PACKAGE_DIR / "nbgrader_config.py"


def put_environment_on_path() -> None:
    """nbgrader's Gradebook runs the `alembic` command of the environment it is installed in
    (to check the schema of an existing gradebook.db); make it findable even when the
    venv is not activated (e.g. `.venv/bin/python -m autograder`)."""
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def instructor_config_files() -> list[Path]:
    """The nbgrader_config.py/.json files plain `nbgrader` reads besides ours, lowest
    precedence first: the config folders of `jupyter --paths` from last to first (system
    /etc/jupyter, the environment's, then ~/.jupyter or $JUPYTER_CONFIG_DIR, then
    $JUPYTER_CONFIG_PATH), then the current directory (skipped when it is autograder/
    itself: that file is layer 1)."""
    from jupyter_core.paths import jupyter_config_dir, jupyter_config_path
    folders = jupyter_config_path()
    if jupyter_config_dir() not in folders:
        folders.insert(0, jupyter_config_dir())
    files = []
    for folder in [*reversed(folders), os.getcwd()]:
        for name in ("nbgrader_config.py", "nbgrader_config.json"):
            path = Path(folder) / name
            if path.is_file() and path.resolve() != CONFIG_FILE and path not in files:
                files.append(path)
    return files


def _load(path: Path) -> Config:
    from traitlets.config.loader import JSONFileConfigLoader
    loader = JSONFileConfigLoader if path.suffix == ".json" else PyFileConfigLoader
    try:
        return loader(path.name, path=str(path.parent)).load_config()
    except Exception as error:
        raise UsageError(f"cannot read nbgrader config {path}: {type(error).__name__}: "
                         f"{error}") from error


def check_db_url(url: str) -> str:
    """`url` if SQLAlchemy can parse it, else a UsageError naming what is accepted."""
    from sqlalchemy.engine import make_url
    try:
        make_url(url)
    except Exception as error:
        raise UsageError(f"gradebook URL {url!r} is not a database URL ({error}); use e.g. "
                         "sqlite:////abs/path/gradebook.db or "
                         "postgresql://user:password@host:5432/dbname") from error
    return url


@dataclass(frozen=True)
class Course:
    root: Path
    source: Path
    release: Path
    db: str | None = None          # explicit gradebook URL (--db-url, AUTOGRADER_DB_URL)
    exchange: Path | None = None   # explicit exchange root (AUTOGRADER_EXCHANGE_DIR)

    @classmethod
    def from_env(cls, db_url: str | None = None) -> "Course":
        """The course nbgrader_config.py describes (same environment variables);
        `db_url` (the --db-url option) wins over AUTOGRADER_DB_URL."""
        env = os.environ
        db = db_url or env.get("AUTOGRADER_DB_URL") or None
        exchange = env.get("AUTOGRADER_EXCHANGE_DIR")
        return cls(
            root=Path(env.get("AUTOGRADER_COURSE_DIR", PACKAGE_DIR / "course")).resolve(),
            source=Path(env.get("AUTOGRADER_SOURCE_DIR", REPO / "solutions")).resolve(),
            release=Path(env.get("AUTOGRADER_RELEASE_DIR", REPO / "exercises")).resolve(),
            db=check_db_url(db) if db else None,
            exchange=Path(exchange).resolve() if exchange else None,
        )

    # --- nbgrader's view --------------------------------------------------------------
    @property
    def default_db_url(self) -> str:
        return "sqlite:///" + str(self.root / "gradebook.db")

    @cached_property
    def db_url(self) -> str:
        """The gradebook's SQLAlchemy URL (see the module docstring for the order); read
        once per Course."""
        if self.db:
            return self.db
        config = Config()
        for path in [CONFIG_FILE, *instructor_config_files()]:
            config.merge(_load(path))
        if "db_url" in config.CourseDirectory:
            return check_db_url(config.CourseDirectory.db_url)
        return self.default_db_url

    @property
    def uses_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def gradebook_file(self) -> Path | None:
        """The SQLite gradebook's file; None for a database server."""
        from sqlalchemy.engine import make_url
        url = make_url(self.db_url)
        return Path(url.database) if self.uses_sqlite and url.database else None

    def gradebook_exists(self) -> bool:
        """False only for a SQLite gradebook whose file is missing (nothing recorded yet);
        a server database is assumed to exist (nbgrader creates its tables)."""
        if not self.uses_sqlite:
            return True
        from sqlalchemy.engine import make_url
        database = make_url(self.db_url).database
        return bool(database) and Path(database).is_file()

    def config(self, **overrides: Any) -> Config:
        """nbgrader's configuration for this course: our file, the instructor's files, this
        course's folders, then `overrides` ("Section.name": value), each on top."""
        put_environment_on_path()  # nbgrader runs `alembic` of this environment
        config = _load(CONFIG_FILE)
        for path in instructor_config_files():
            config.merge(_load(path))
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.source_directory = str(self.source)
        config.CourseDirectory.release_directory = str(self.release)
        config.CourseDirectory.db_url = self.db_url
        if self.exchange is not None:
            config.Exchange.root = str(self.exchange)
        for dotted, value in overrides.items():
            section, name = dotted.split(".")
            setattr(getattr(config, section), name, value)
        return config

    def coursedir(self, assignment_id: str = "", **overrides: Any) -> "CourseDirectory":
        from nbgrader.coursedir import CourseDirectory
        coursedir = CourseDirectory(config=self.config(**overrides))
        coursedir.assignment_id = assignment_id
        return coursedir

    @cached_property
    def course_id(self) -> str:
        return self.config().CourseDirectory.course_id

    def gradebook(self) -> "Gradebook":
        """nbgrader's Gradebook of this course (the one place it is opened from)."""
        from nbgrader.api import Gradebook
        put_environment_on_path()
        self.root.mkdir(parents=True, exist_ok=True)
        return Gradebook(self.db_url, course_id=self.course_id)

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
