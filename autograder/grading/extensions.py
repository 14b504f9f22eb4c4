"""Per-student due dates (`extend`), stored where nbgrader keeps them.

nbgrader's gradebook holds an extension per hand-in, `SubmittedAssignment.extension` (a
time delta added to the assignment's due date; nbgrader #660/#943), and its
AssignLatePenalties step, which `grade` runs, already measures lateness against
`submission.duedate` = the assignment's due date + that extension. So:

    hand-in in the gradebook     the extension is written there; if it was graded
                                 already, the late penalty is recomputed at once by the
                                 course's own AssignLatePenalties step (its plugin and
                                 config), nothing else of the grade changes
    not in the gradebook yet     course/.autograder/extensions/<ID>.json (student ->
                                 seconds of extension); `grade` moves it into the
                                 gradebook when it creates the hand-in's submission

An extension is stored as a delta, as nbgrader does: moving the assignment's due date
moves every student's. Times without a zone are UTC (as nbgrader's gradebook stores
them). A due date before the assignment's is refused; one equal to it removes the
extension.
"""
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nbgrader.api import MissingEntry
from nbgrader.preprocessors import AssignLatePenalties

from autograder.common.course import Course, atomic_write
from autograder.common.errors import UsageError
from autograder.common.generate import register
from autograder.grading import steps as pipeline
from autograder.insight.lms_feedback import load_lms_files

ACCEPTED = ('"YYYY-MM-DD HH:MM[:SS] [TZ]" with TZ one of UTC, Z, +HH:MM, -HHMM or an '
            'IANA zone such as Europe/Amsterdam (no TZ: UTC), e.g. "2026-12-10 23:59 '
            'Europe/Amsterdam"')
DUE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)\s*(\S.*)?$")
OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{2}):?(\d{2})?$")


@dataclass(frozen=True)
class Extension:
    """One student's own due date (naive UTC, as nbgrader stores times), the extension
    over the assignment's due date, and where it is held ("gradebook" or "pending")."""
    student: str
    due: datetime
    extension: timedelta
    where: str


def parse_due(text: str) -> datetime:
    """`text` (see ACCEPTED) as a naive UTC datetime; UsageError naming the formats."""
    m = DUE.match(text or "")
    if not m:
        raise UsageError(f"due date {text!r} not understood; accepted: {ACCEPTED}")
    date, clock, zone = m.groups()
    try:
        moment = datetime.fromisoformat(f"{date} {clock if clock.count(':') == 2 else clock + ':00'}")
    except ValueError as error:
        raise UsageError(f"due date {text!r}: {error}; accepted: {ACCEPTED}") from None
    return _to_utc(moment, (zone or "UTC").strip(), text)


def _to_utc(moment: datetime, zone: str, text: str) -> datetime:
    if zone.upper() in ("UTC", "Z", "GMT"):
        return moment
    m = OFFSET.match(zone.upper())
    if m:
        sign = 1 if m[1] == "+" else -1
        return moment - sign * timedelta(hours=int(m[2]), minutes=int(m[3] or 0))
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"due date {text!r}: unknown time zone {zone!r}; accepted: "
                         f"{ACCEPTED}") from None
    return moment.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def show(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def pending_path(course: Course, assignment_id: str) -> Path:
    return course.root / ".autograder" / "extensions" / f"{assignment_id}.json"


def _load_pending(course: Course, assignment_id: str) -> dict[str, float]:
    path = pending_path(course, assignment_id)
    try:
        return {k: float(v) for k, v in json.loads(path.read_text()).items()}
    except FileNotFoundError:
        return {}
    except (ValueError, AttributeError) as error:
        raise UsageError(f"{path} is not a JSON object student -> seconds ({error}); fix "
                         "or delete it") from None


def _save_pending(course: Course, assignment_id: str, pending: dict[str, float]) -> None:
    atomic_write(pending_path(course, assignment_id), json.dumps(pending, indent=1,
                                                                 sort_keys=True))


def _assignment_due(gb, assignment_id: str) -> datetime:
    due = gb.find_assignment(assignment_id).duedate
    if due is None:
        raise UsageError(f"assignment {assignment_id!r} has no due date in the gradebook, so "
                         "nothing is late and an extension means nothing; set one first, "
                         f"e.g. nbgrader db assignment add {assignment_id} --duedate "
                         '"2026-12-01 23:59:00 UTC"')
    return due.replace(tzinfo=None)


def known_students(course: Course, assignment_id: str, gb, roster=None) -> list[str]:
    """Students an extension may be given to: in the gradebook (collect registers them),
    with a collected hand-in, or in the roster."""
    known = {s.id for s in gb.students} | set(course.submitted_students(assignment_id))
    if roster is not None:
        known |= set(roster.by_student)
    return sorted(known)


def _submission(gb, assignment_id: str, student: str):
    try:
        return gb.find_submission(assignment_id, student)
    except MissingEntry:
        return None


def _open(course: Course, assignment_id: str):
    course.check_assignment(assignment_id)
    register(course, assignment_id)
    return course.gradebook()


def _check_student(course: Course, assignment_id: str, gb, student: str, roster) -> None:
    known = known_students(course, assignment_id, gb, roster)
    if student not in known:
        raise UsageError(f"unknown student {student!r} for {assignment_id!r}: not "
                         "collected, not in the gradebook" +
                         (", not in the roster" if roster else "") + "; known: " +
                         (", ".join(known) or "none (collect first, or pass --roster)"))


def _late_flag_note(course: Course, assignment_id: str, student: str,
                    due: datetime) -> list[str]:
    """A warning when the hand-in's time is only the moment `collect` read an LMS late
    flag (Canvas gives no time) and that moment is after the student's new due date."""
    info = load_lms_files(course, assignment_id).get(student)
    folder = course.submitted(student, assignment_id).parent
    if info is None or not info.late or info.timestamp or not folder.is_dir():
        return []
    stamp = course.coursedir(assignment_id).get_existing_timestamp(str(folder))
    if stamp is None or stamp <= due:
        return []
    return [f"{student}'s hand-in was flagged late by {info.lms} without a time; collect "
            f"recorded {show(stamp)}, after this due date, so it still counts as late. If it "
            f"came in time: collect the download again (a flagged hand-in of a student with "
            f"an extension is taken as within it), then grade {assignment_id} --student "
            f"{student} --force"]


def set_due(course: Course, assignment_id: str, student: str, due: datetime | None,
            roster=None) -> tuple[Extension | None, list[str]]:
    """Give `student` the due date `due` (naive UTC; None removes the extension).
    Returns (the extension now in force or None, notes for the instructor)."""
    with _open(course, assignment_id) as gb:
        _check_student(course, assignment_id, gb, student, roster)
        base = _assignment_due(gb, assignment_id)
        if due is not None and due < base:
            raise UsageError(f"due date {show(due)} is before the assignment's own, "
                             f"{show(base)}; an extension can only move it later")
        delta = None if due is None or due == base else due - base
        pending = _load_pending(course, assignment_id)
        submission = _submission(gb, assignment_id, student)
        notes = []
        if submission is None:
            if delta is None:
                pending.pop(student, None)
            else:
                pending[student] = delta.total_seconds()
                notes.append(f"{student} has no graded hand-in yet: `grade` applies it")
            _save_pending(course, assignment_id, pending)
        else:
            submission.extension = delta
            gb.db.commit()
            if pending.pop(student, None) is not None:
                _save_pending(course, assignment_id, pending)
    if submission is not None:
        notes += reapply_late_penalty(course, assignment_id, student)
    if due is not None:
        notes += _late_flag_note(course, assignment_id, student, due)
    extension = None if delta is None else Extension(
        student, base + delta, delta, "pending" if submission is None else "gradebook")
    return extension, notes


def list_extensions(course: Course, assignment_id: str, register: bool = True) -> list[Extension]:
    """Every extension of `assignment_id`, from the gradebook and the pending file
    (register=False: [] for an assignment the gradebook does not know yet)."""
    with _open(course, assignment_id) if register else course.gradebook() as gb:
        try:
            assignment = gb.find_assignment(assignment_id)
        except MissingEntry:
            return []
        base = assignment.duedate
        found = {s.student.id: Extension(s.student.id, base + s.extension, s.extension,
                                         "gradebook")
                 for s in assignment.submissions if s.extension and base is not None}
        for student, seconds in _load_pending(course, assignment_id).items():
            if student not in found and base is not None:
                delta = timedelta(seconds=seconds)
                found[student] = Extension(student, base + delta, delta, "pending")
    return [found[s] for s in sorted(found)]


def due_dates(course: Course, assignment_id: str) -> dict[str, datetime]:
    """student -> own due date (naive UTC), for the students with an extension; {} when
    there is no gradebook yet."""
    if not course.gradebook_exists():
        return {}
    return {e.student: e.due for e in list_extensions(course, assignment_id, register=False)}


def apply_pending(course: Course, gb, assignment_id: str, student: str) -> None:
    """Called by `grade` right after it creates (or finds) the hand-in's submission in
    `gb`: a pending extension moves into the gradebook (committed, then dropped from the
    file; a crash in between only applies it again)."""
    pending = _load_pending(course, assignment_id)
    if student not in pending:
        return
    gb.find_submission(assignment_id, student).extension = timedelta(seconds=pending[student])
    gb.db.commit()
    del pending[student]
    _save_pending(course, assignment_id, pending)


def reapply_late_penalty(course: Course, assignment_id: str, student: str) -> list[str]:
    """Recompute an already graded hand-in's late penalty with the course's own
    AssignLatePenalties step (as `grade` would); notes say what happened."""
    import nbformat

    path = course.autograded(student, assignment_id)
    if not path.is_file():
        return []
    config = course.config()
    steps = [s for s in pipeline.build(config).record if issubclass(s, AssignLatePenalties)]
    if not steps:
        return ["the course's autograde steps have no AssignLatePenalties: no penalty to "
                "recompute"]
    resources = {"nbgrader": {"student": student, "assignment": assignment_id,
                              "notebook": assignment_id, "db_url": course.db_url}}
    try:
        for step in steps:
            step(config=config).preprocess(nbformat.read(path, as_version=4), resources)
    except MissingEntry:
        return [f"{student}'s hand-in has no notebook in the gradebook: run grade "
                f"{assignment_id} --student {student} --force to apply the extension"]
    with course.gradebook() as gb:
        penalty = gb.find_submission(assignment_id, student).late_submission_penalty or 0.0
    return [f"{student}'s graded hand-in: late penalty recomputed, now {penalty:g}"]
