"""`collect ID SOURCE [--roster CSV]`: copy hand-ins into course/submitted/<student>/<ID>/.

SOURCE is a folder or a .zip holding one of
- `<student>/<file>.ipynb` or `<student>.ipynb` (nbgrader's exchange collect keeps a
  timestamp.txt next to the notebook: it is copied too);
- a Canvas or Moodle submissions download, or files named after the instructor's
  FileNameCollectorPlugin.named_regexp (autograder/common/roster.py): the LMS user id becomes the
  student id unless the roster maps it; a Canvas LATE flag becomes a timestamp.txt after
  the due date, so nbgrader's late penalty applies;
- nbgrader's zip_collect folder downloaded/<ID>/ (its extracted/ files, else the
  archives in archive/), in either of the layouts above.
The originals are only read, never changed. Each problem (an
unusable student name, no notebook, several notebooks, a file that is not a notebook,
an unreadable or malformed notebook) is reported for its student and the run goes on.
A malformed notebook is still copied: nothing handed in is lost, and `grade` records
why it cannot be graded.
"""
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from autograder.commands.args import add_db_url
from autograder.common import roster as lms
from autograder.common.cells import nbgrader_time
from autograder.common.course import Course, atomic_write
from autograder.common.errors import UsageError
from autograder.common.generate import register
from autograder.grading import extensions
from autograder.insight.lms_feedback import record_lms_files

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
SKIP = {".ipynb_checkpoints", "__MACOSX", ".DS_Store"}


@dataclass
class CollectReport:
    assignment_id: str
    collected: dict = field(default_factory=dict)   # student -> notes (list of str)
    problems: dict = field(default_factory=dict)    # student or file -> problems
    ignored: list = field(default_factory=list)     # top-level files that are no hand-in
    unplaced: list = field(default_factory=list)    # LMS download files nobody owns
    lms_names: dict = field(default_factory=dict)   # student -> lms.LmsFile collected

    def note(self, table: dict, key: str, text: str) -> None:
        table.setdefault(key, []).append(text)


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb")
                  if not SKIP.intersection(p.relative_to(folder).parts))


def _choose(student: str, folder: Path, assignment_id: str, report: CollectReport) -> Path | None:
    """The notebook to collect from a student's folder, or None (problem reported)."""
    notebooks = _notebooks(folder)
    others = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                    if p.is_file() and p.suffix != ".ipynb"
                    and not SKIP.intersection(p.relative_to(folder).parts))
    if others and notebooks:
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


def _candidates(root: Path, assignment_id: str,
                report: CollectReport) -> Iterator[tuple[str, Path, bytes | None]]:
    """(student, notebook path, timestamp.txt bytes or None) found in a plain folder."""
    for entry in sorted(root.iterdir()):
        if entry.name in SKIP:
            continue
        if entry.is_dir():
            student = entry.name
            found = _choose(student, entry, assignment_id, report)
            if found is not None:
                stamp = found.parent / "timestamp.txt"
                yield student, found, stamp.read_bytes() if stamp.is_file() else None
        elif entry.suffix == ".ipynb":
            yield entry.stem, entry, None
        else:
            report.ignored.append(f"{entry.name} (not a notebook, not a student folder)")


def _nbgrader_time(moment: datetime) -> bytes:
    return nbgrader_time(moment).encode()


def _late_timestamp(course: Course, assignment_id: str, report: CollectReport,
                    student: str) -> bytes:
    """A submission time after the due date for a hand-in the LMS flagged late: now, or
    one second after the due date when now is earlier (Canvas gives no time)."""
    now = datetime.now(UTC)
    with course.gradebook() as gb:
        due = gb.find_assignment(assignment_id).duedate
    if due is None:
        report.note(report.collected, student, "flagged late, but the assignment has no due "
                    "date in the gradebook: no late penalty until one is set")
        return _nbgrader_time(now)
    due = due.replace(tzinfo=UTC) if due.tzinfo is None else due
    moment = max(now, due + timedelta(seconds=1))
    own = extensions.due_dates(course, assignment_id).get(student)
    if own is not None:   # the LMS measured against the assignment's date, gave no time
        moment = due + timedelta(seconds=1)
    report.note(report.collected, student, f"flagged late by the LMS: submission time "
                f"recorded as {_nbgrader_time(moment).decode()} (due {due:%Y-%m-%d %H:%M} UTC)")
    if own is not None:
        report.note(report.collected, student, f"has an extension to {extensions.show(own)}"
                    "; the LMS gives no submission time: taken as within it")
    return _nbgrader_time(moment)


def _lms_candidates(course: Course, root: Path, assignment_id: str, report: CollectReport,
                    roster: "lms.Roster | None",
                    named_regexp: str) -> Iterator[tuple[str, Path, bytes | None]]:
    """(student, notebook, timestamp bytes or None) from an LMS download; every file that
    follows no known layout goes to report.unplaced."""
    owners = {}   # student id -> [(LmsFile, path)]
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if SKIP.intersection(rel.parts):
            continue
        info = lms.parse(rel.as_posix(), named_regexp)
        if info is None:
            report.unplaced.append(f"{rel.as_posix()}: no Canvas, Moodle or named_regexp "
                                   "file name; not collected")
            continue
        student = roster.student_id(info.lms_id) if roster else None
        if roster and student is None:
            report.note(report.collected, info.lms_id, f"{info.lms} user {info.lms_id} "
                        f"({info.lms_name}) is not in the roster: LMS id used as student id")
        owners.setdefault(student or info.lms_id, []).append((info, path))
    for student, files in sorted(owners.items()):
        notebooks = [(i, p) for i, p in files if i.filename.endswith(".ipynb")]
        others = sorted(i.filename for i, p in files if not i.filename.endswith(".ipynb"))
        # Canvas names a resubmitted file tiny-1.ipynb, tiny-2.ipynb, ...
        named = [(i, p) for i, p in notebooks
                 if re.sub(r"-\d+(?=\.ipynb$)", "", Path(i.filename).name)
                 == f"{assignment_id}.ipynb"]
        if len(named) == 1 or len(notebooks) == 1:
            info, path = named[0] if len(named) == 1 else notebooks[0]
            if not named:
                report.note(report.collected, student, f"file named {info.filename!r}, "
                            f"expected '{assignment_id}.ipynb': collected anyway")
        else:
            problem = (f"no .ipynb file among {', '.join(others)}" if not notebooks else
                       "several notebooks and none (or several) named "
                       f"'{assignment_id}.ipynb': "
                       + ", ".join(i.filename for i, _ in notebooks) + "; not collected")
            report.note(report.problems, student, problem)
            continue
        if others:
            report.note(report.collected, student, "ignored non-notebook files: "
                        + ", ".join(others))
        report.lms_names[student] = info
        stamp = None
        if info.timestamp:
            stamp = _parse_time(info.timestamp, student, report)
        elif info.late:
            stamp = _late_timestamp(course, assignment_id, report, student)
        yield student, path, stamp


def _parse_time(text: str, student: str, report: CollectReport) -> bytes | None:
    from dateutil.parser import parse as parse_date
    try:
        moment = parse_date(text.replace("_", " "))
    except (ValueError, OverflowError):
        report.note(report.collected, student, f"submission time {text!r} not understood; "
                    "recorded as on time")
        return None
    return _nbgrader_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _unpack_zip_collect(root: Path, into: Path) -> Path:
    """nbgrader zip_collect's downloaded/<id>/: extracted/ if present, else its archives."""
    if (root / "extracted").is_dir():
        return root / "extracted"
    for archive in sorted((root / "archive").iterdir()):
        if archive.suffix.lower() == ".zip":
            _safe_extract(archive, into)
        elif archive.is_file():
            shutil.copy2(archive, into / archive.name)
    return into


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


def _found(course: Course, assignment_id: str, source: Path, tmp: Path,
           report: CollectReport, roster: "lms.Roster | None") -> list:
    """(student, notebook path, timestamp) of every hand-in in `source` (unpacked in tmp)."""
    root = source
    if source.is_file():
        if source.suffix.lower() != ".zip":
            raise UsageError(f"{source} is a file but not a .zip; SOURCE must be a folder or "
                             "an LMS .zip")
        _safe_extract(source, tmp / "zip")
        root = tmp / "zip"
    names = sorted(p.name for p in root.iterdir() if p.name not in SKIP)
    if names and set(names) <= {"archive", "extracted"}:
        (tmp / "archives").mkdir()
        root = _unpack_zip_collect(root, tmp / "archives")
        names = sorted(p.name for p in root.iterdir() if p.name not in SKIP)
    named_regexp = course.config().FileNameCollectorPlugin.get("named_regexp", "")
    if lms.looks_like_lms(names, named_regexp):
        return list(_lms_candidates(course, root, assignment_id, report, roster, named_regexp))
    if roster is not None:
        report.ignored.append("the roster (SOURCE is not a Canvas/Moodle download: folder and "
                              "file names are the student ids)")
    return list(_candidates(root, assignment_id, report))


def _store(course: Course, assignment_id: str, student: str, notebook: Path,
           timestamp: bytes | None, report: CollectReport) -> bool:
    """Copy one hand-in into submitted/ (with its timestamp); False when not collected."""
    if not STUDENT_ID.match(student):
        report.note(report.problems, student, "name not usable as a student id (letters, "
                    "digits and . _ - @, starting with a letter or digit); not collected")
        return False
    try:
        data = notebook.read_bytes()
    except OSError as error:
        report.note(report.problems, student, f"unreadable: {error}; not collected")
        return False
    problem = _check_notebook(data)
    if problem:
        report.note(report.problems, student, f"{problem}: copied anyway, grading will "
                                              "record it as failed")
    dest = course.submitted(student, assignment_id)
    if dest.is_file() and dest.read_bytes() != data:
        report.note(report.collected, student, "replaces an earlier hand-in")
    atomic_write(dest, data)
    stale = dest.parent / "timestamp.txt"
    if timestamp is not None:
        atomic_write(stale, timestamp)
    elif stale.is_file():   # the earlier hand-in's time must not stick to this one
        stale.unlink()
    report.collected.setdefault(student, [])
    return True


def collect(course: Course, assignment_id: str, source: Path,
            roster: "lms.Roster | None" = None) -> CollectReport:
    """Copy every hand-in found in `source`; see the module docstring for the layouts."""
    course.check_assignment(assignment_id)
    source = Path(source)
    if not source.exists():
        raise UsageError(f"{source} does not exist; SOURCE must be a folder of "
                         "<student>/<file>.ipynb or <student>.ipynb, a Canvas or Moodle "
                         ".zip, or nbgrader zip_collect's downloaded/<ID> folder")
    register(course, assignment_id)
    report = CollectReport(assignment_id)
    with tempfile.TemporaryDirectory(prefix="autograder-collect-") as tmp:
        found = _found(course, assignment_id, source, Path(tmp), report, roster)
        students = [student for student, notebook, timestamp in found
                    if _store(course, assignment_id, student, notebook, timestamp, report)]
    with course.gradebook() as gb:
        for student in students:
            gb.update_or_create_student(student, **_names(report.lms_names.get(student),
                                                          roster, student))
    record_lms_files(course, assignment_id, {s: report.lms_names[s] for s in students
                                             if s in report.lms_names})
    return report


def _names(info: "lms.LmsFile | None", roster: "lms.Roster | None", student: str) -> dict:
    """Gradebook fields (first_name, last_name, email) known from the roster or the LMS."""
    entry = roster.by_student.get(student) if roster else None
    full = (entry.name if entry and entry.name else
            info.lms_name if info is not None and info.lms == "moodle" else "")
    fields = {}
    if full:
        first, _, last = full.rpartition(" ") if " " in full else ("", "", full)
        fields.update(first_name=first, last_name=last)
    if entry and entry.email:
        fields["email"] = entry.email
    return fields


def format_report(report: CollectReport) -> str:
    lines = [f"{report.assignment_id}: collected {len(report.collected)} hand-in(s), "
             f"{len(report.problems)} with problems"]
    for student in sorted(set(report.collected) | set(report.problems)):
        status = "collected" if student in report.collected else "NOT collected"
        notes = report.collected.get(student, []) + report.problems.get(student, [])
        lines.append(f"  {student}: {status}" + "".join(f"\n    - {n}" for n in notes))
    for name in report.ignored:
        lines.append(f"  ignored: {name}")
    for name in report.unplaced:
        lines.append(f"  could not place: {name}")
    return "\n".join(lines)


def add_arguments(parser) -> None:
    parser.add_argument("id", metavar="ID")
    parser.add_argument("source", type=Path, metavar="SOURCE",
                        help="folder of <student>/<file>.ipynb or <student>.ipynb, a Canvas or "
                             "Moodle submissions .zip, or nbgrader zip_collect's downloaded/<ID>")
    parser.add_argument("--roster", type=Path, metavar="CSV",
                        help="CSV with columns lms_id,student_id[,name,email]: LMS user id -> "
                             "student id (default: the LMS user id)")
    add_db_url(parser)


def run(args, course: Course) -> int:
    roster = lms.Roster.load(args.roster) if args.roster else None
    report = collect(course, args.id, args.source, roster=roster)
    print(format_report(report))
    return 0 if report.collected else 1
