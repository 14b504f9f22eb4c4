"""One small JSON record per graded hand-in: course/.autograder/status/<id>/<student>.json.

A record says whether the hand-in was graded or failed and why, the score, the problems
seen while running it (timeouts, memory, a dead kernel, ...) and the SHA-256 of the
submitted file it describes: `grade` skips a hand-in only when its record says graded
*and* the file is unchanged. Records are written atomically after the gradebook
transaction, so a crash in between costs a re-grade, never a lost or doubled grade.
"""
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from autograder.common.course import Course, atomic_write

GRADED, FAILED = "graded", "failed"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def record_path(course: Course, assignment_id: str, student: str) -> Path:
    return course.status_dir(assignment_id) / f"{student}.json"


def load(course: Course, assignment_id: str, student: str) -> dict | None:
    path = record_path(course, assignment_id, student)
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def save(course: Course, assignment_id: str, student: str, **fields: Any) -> dict:
    record = {"student": student, "assignment": assignment_id,
              "time": time.strftime("%Y-%m-%d %H:%M:%S"), **fields}
    atomic_write(record_path(course, assignment_id, student),
                 json.dumps(record, indent=1, sort_keys=True))
    return record


def is_done(course: Course, assignment_id: str, student: str) -> bool:
    """Graded, and the submitted file is still the one that was graded."""
    record = load(course, assignment_id, student)
    submitted = course.submitted(student, assignment_id)
    return (record is not None and record.get("state") == GRADED and submitted.is_file()
            and record.get("submission_sha256") == file_sha256(submitted))
