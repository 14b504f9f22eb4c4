"""What an LMS download says about each file: whose it is, whether it was late, when.

Layouts understood (paths relative to the unpacked download):

    Canvas   lastnamefirstname_12345_67890_<file>           12345 = Canvas user id,
             lastnamefirstname_LATE_12345_67890_<file>      67890 = attachment id
             (Canvas appends "-1", "-2" to a resubmitted file's name)
    Moodle   Full Name_12345_assignsubmission_file_/<file>  ("download in folders")
             Full Name_12345_assignsubmission_file_<file>   (flat download)
    regexp   nbgrader's FileNameCollectorPlugin.named_regexp, when the instructor's
             nbgrader config sets one (groups student_id, optional timestamp)

The LMS user id becomes the student id unless a roster maps it: a CSV file with the
columns lms_id and student_id, and optionally name, email (used by `export`).
"""
import csv
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.common.errors import UsageError

CANVAS = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<attachment>\d+)_"
                    r"(?P<file>[^/]+)$")
MOODLE_FOLDER = re.compile(r"^(?P<name>[^/]+)_(?P<uid>\d+)_assignsubmission_"
                           r"(?P<plugin>[a-z]+)_$")
MOODLE_FLAT = re.compile(r"^(?P<name>[^/]+)_(?P<uid>\d+)_assignsubmission_file_"
                         r"(?P<file>[^/]+)$")


@dataclass(frozen=True)
class LmsFile:
    """One file of a download: the LMS it came from, the LMS user id and name, the file
    name as handed in, the late flag, a submission time (nbgrader's format) if known and
    Canvas's attachment id."""
    lms: str
    lms_id: str
    lms_name: str
    filename: str
    late: bool = False
    timestamp: str | None = None
    attachment: str = ""   # Canvas's attachment id (its re-upload needs it back)


def parse(relpath: str, named_regexp: str = "") -> LmsFile | None:
    """The LmsFile a relative path (with "/") describes, or None if no layout matches."""
    parts = relpath.split("/")
    if named_regexp:
        m = re.match(named_regexp, relpath) or re.match(named_regexp, parts[-1])
        if m and m.groupdict().get("student_id"):
            return LmsFile("regexp", m["student_id"], m["student_id"], parts[-1],
                           timestamp=m.groupdict().get("timestamp"))
    if len(parts) == 1:
        m = CANVAS.match(parts[0])
        if m:
            return LmsFile("canvas", m["uid"], m["name"], m["file"], late=bool(m["late"]),
                           attachment=m["attachment"])
        m = MOODLE_FLAT.match(parts[0])
        if m:
            return LmsFile("moodle", m["uid"], m["name"], m["file"])
        return None
    m = MOODLE_FOLDER.match(parts[0])
    if m:
        return LmsFile("moodle", m["uid"], m["name"], "/".join(parts[1:]))
    return parse(parts[-1])   # a Canvas or flat Moodle file inside some folder


def looks_like_lms(top_level_names: list[str], named_regexp: str = "") -> bool:
    """True when some top-level entry of a download follows an LMS layout."""
    return any(parse(name, named_regexp) or MOODLE_FOLDER.match(name)
               for name in top_level_names)


@dataclass(frozen=True)
class RosterEntry:
    lms_id: str
    student_id: str
    name: str = ""
    email: str = ""


class Roster:
    """LMS id -> student id (and back), read from a CSV file with a header row."""
    REQUIRED = ("lms_id", "student_id")

    def __init__(self, entries: list[RosterEntry]):
        self.by_lms = {e.lms_id: e for e in entries}
        self.by_student = {e.student_id: e for e in entries}

    @classmethod
    def load(cls, path: Path) -> "Roster":
        path = Path(path)
        try:
            with open(path, newline="", encoding="utf-8-sig") as f:
                rows = list(csv.DictReader(f))
                header = [h.strip() for h in (rows[0].keys() if rows else [])]
        except OSError as error:
            raise UsageError(f"cannot read roster {path}: {error}") from error
        missing = [c for c in cls.REQUIRED if c not in header]
        if missing:
            raise UsageError(f"roster {path} lacks the column(s) {', '.join(missing)}; a "
                             "roster is a CSV file with a header row lms_id,student_id "
                             "and optionally name,email")
        entries, seen = [], {}
        for number, row in enumerate(rows, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            if not row["lms_id"] or not row["student_id"]:
                raise UsageError(f"roster {path}, line {number}: lms_id and student_id "
                                 "must both be filled in")
            if row["lms_id"] in seen:
                raise UsageError(f"roster {path}, line {number}: lms_id {row['lms_id']} "
                                 f"already on line {seen[row['lms_id']]}")
            seen[row["lms_id"]] = number
            entries.append(RosterEntry(row["lms_id"], row["student_id"],
                                       row.get("name", ""), row.get("email", "")))
        return cls(entries)

    def student_id(self, lms_id: str) -> str | None:
        entry = self.by_lms.get(lms_id)
        return entry.student_id if entry else None
