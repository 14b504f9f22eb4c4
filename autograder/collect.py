"""`collect ID SOURCE`: copy hand-ins into course/submitted/<student>/<ID>/<ID>.ipynb.

SOURCE is a folder holding `<student>/<file>.ipynb` or `<student>.ipynb`, or an LMS .zip
with the same layout. The originals are only read, never changed. Each problem (an
unusable student name, no notebook, several notebooks, a file that is not a notebook,
an unreadable or malformed notebook) is reported for its student and the run goes on.
A malformed notebook is still copied: nothing handed in is lost, and `grade` records
why it cannot be graded.
"""
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import Course, UsageError, atomic_write
from .release import register

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
SKIP = {".ipynb_checkpoints", "__MACOSX", ".DS_Store"}


@dataclass
class CollectReport:
    assignment_id: str
    collected: dict = field(default_factory=dict)   # student -> notes (list of str)
    problems: dict = field(default_factory=dict)    # student or file -> problems
    ignored: list = field(default_factory=list)     # top-level files that are no hand-in

    def note(self, table: dict, key: str, text: str) -> None:
        table.setdefault(key, []).append(text)


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb")
                  if not SKIP.intersection(p.relative_to(folder).parts))


def _choose(student: str, folder: Path, assignment_id: str, report: CollectReport):
    """The notebook to collect from a student's folder, or None (problem reported)."""
    notebooks = _notebooks(folder)
    others = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                    if p.is_file() and p.suffix != ".ipynb"
                    and not SKIP.intersection(p.relative_to(folder).parts))
    if others:
        report.note(report.collected, student, "ignored non-notebook files: " + ", ".join(others))
    named = [p for p in notebooks if p.name == f"{assignment_id}.ipynb"]
    if len(named) == 1:
        return named[0]
    if not notebooks:
        report.note(report.problems, student, f"no .ipynb file in {folder}")
        return None
    if len(notebooks) == 1:
        report.note(report.collected, student, f"file named {notebooks[0].name!r}, expected "
                                               f"'{assignment_id}.ipynb': collected anyway")
        return notebooks[0]
    names = ", ".join(str(p.relative_to(folder)) for p in notebooks)
    report.note(report.problems, student, f"several notebooks and none (or several) named "
                                          f"'{assignment_id}.ipynb': {names}; not collected")
    return None


def _check_notebook(data: bytes) -> str | None:
    """None if `data` is a readable notebook, else what is wrong with it."""
    import nbformat
    from nbformat.reader import NotJSONError
    try:
        nbformat.reads(data.decode("utf-8"), as_version=4)
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except (json.JSONDecodeError, NotJSONError) as error:
        return f"malformed JSON ({error})"
    except Exception as error:
        return f"not a valid notebook ({type(error).__name__}: {error})"
    return None


def _candidates(root: Path, assignment_id: str, report: CollectReport):
    """(student, notebook path) pairs found in the source folder."""
    for entry in sorted(root.iterdir()):
        if entry.name in SKIP:
            continue
        if entry.is_dir():
            student = entry.name
            found = _choose(student, entry, assignment_id, report)
            if found is not None:
                yield student, found
        elif entry.suffix == ".ipynb":
            yield entry.stem, entry
        else:
            report.ignored.append(f"{entry.name} (not a notebook, not a student folder)")


def _safe_extract(archive: Path, into: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                target = (into / member.filename).resolve()
                if not str(target).startswith(str(into.resolve()) + "/"):
                    raise UsageError(f"{archive}: member {member.filename!r} points outside "
                                     "the archive; refusing to extract")
            zf.extractall(into)
    except zipfile.BadZipFile as error:
        raise UsageError(f"{archive} is not a readable .zip file: {error}") from error


def collect(course: Course, assignment_id: str, source: Path) -> CollectReport:
    course.check_assignment(assignment_id)
    source = Path(source)
    if not source.exists():
        raise UsageError(f"{source} does not exist; SOURCE must be a folder of "
                         "<student>/<file>.ipynb or <student>.ipynb, or a .zip of one")
    register(course, assignment_id)
    report = CollectReport(assignment_id)
    with tempfile.TemporaryDirectory(prefix="autograder-collect-") as tmp:
        if source.is_file():
            if source.suffix.lower() != ".zip":
                raise UsageError(f"{source} is a file but not a .zip; SOURCE must be a "
                                 "folder or an LMS .zip")
            _safe_extract(source, Path(tmp))
            root = Path(tmp)
        else:
            root = source
        students = []
        for student, notebook in _candidates(root, assignment_id, report):
            if not STUDENT_ID.match(student):
                report.note(report.problems, student, "name not usable as a student id "
                            "(letters, digits and . _ - @, starting with a letter or digit); "
                            "not collected")
                continue
            try:
                data = notebook.read_bytes()
            except OSError as error:
                report.note(report.problems, student, f"unreadable: {error}; not collected")
                continue
            problem = _check_notebook(data)
            if problem:
                report.note(report.problems, student, f"{problem}: copied anyway, grading "
                                                      "will record it as failed")
            dest = course.submitted(student, assignment_id)
            if dest.is_file() and dest.read_bytes() != data:
                report.note(report.collected, student, "replaces an earlier hand-in")
            atomic_write(dest, data)
            timestamp = notebook.parent / "timestamp.txt"
            if timestamp.is_file():
                atomic_write(dest.parent / "timestamp.txt", timestamp.read_bytes())
            report.collected.setdefault(student, [])
            students.append(student)
    with course.gradebook() as gb:
        for student in students:
            gb.update_or_create_student(student)
    return report


def format_report(report: CollectReport) -> str:
    lines = [f"{report.assignment_id}: collected {len(report.collected)} hand-in(s), "
             f"{len(report.problems)} with problems"]
    for student in sorted(set(report.collected) | set(report.problems)):
        status = "collected" if student in report.collected else "NOT collected"
        notes = report.collected.get(student, []) + report.problems.get(student, [])
        lines.append(f"  {student}: {status}" + "".join(f"\n    - {n}" for n in notes))
    for name in report.ignored:
        lines.append(f"  ignored: {name}")
    return "\n".join(lines)
