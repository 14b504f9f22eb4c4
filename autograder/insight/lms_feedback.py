"""Feedback pages back through the LMS: a zip in the layout of each LMS's bulk upload.

`feedback ID` writes course/feedback/<student>/<ID>/<ID>.html. `export-feedback` packs
them, per student, under the name the LMS's upload matches to a submission:

    canvas   "Re-upload Submissions" (SpeedGrader's bulk comment upload). Canvas reads
             the first two all-digit "_"-separated parts of each file's name as the user
             id and the attachment id of a file in that user's submission, and adds the
             file as a comment to it; a name without both is ignored. So each page is
                 <name>[_LATE]_<userid>_<attachmentid>_<ID>-feedback.html
             with the stem of the file collected from the Canvas download (only the
             .html pages directly in the student's feedback folder: a Canvas comment
             holds files, not folders).
    moodle   "Upload multiple feedback files in a zip". Moodle reads the participant id
             from the second "_"-part of a folder name <name>_<id>_<plugintype>_<plugin>_
             and stores the files under it as that participant's feedback files; so
                 <Full Name>_<id>_assignsubmission_file_/<ID>-feedback.html
             (the pages, and the files of sub-folders, e.g. a page's assets, kept in
             place), as in the download.
Never packed: the other files next to the pages, nbgrader's timestamp.txt and
submission_secret.txt (the secret its exchange checks when a student fetches feedback).

The LMS identity of each student comes from what `collect` recorded when it read the LMS
download (course/.autograder/lms/<ID>.json: LMS, user id, name, Canvas attachment id),
else, for Moodle, from the roster (lms_id and name). A student with a feedback page but
no such identity is listed in the report's `missing`, never put in the zip.
"""
import json
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from autograder.common import records
from autograder.common import roster as lms
from autograder.common.course import Course, atomic_write
from autograder.common.errors import UsageError

FORMATS = ("canvas", "moodle")


@dataclass
class FeedbackExport:
    """What went into the zip (student -> member names) and who was left out, why."""
    assignment_id: str
    lms: str
    output: Path
    written: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)


def lms_files_path(course: Course, assignment_id: str) -> Path:
    return course.root / ".autograder" / "lms" / f"{assignment_id}.json"


def record_lms_files(course: Course, assignment_id: str, files: dict) -> None:
    """Remember, per student, the LMS file `collect` took the hand-in from
    (student -> lms.LmsFile); earlier students' entries are kept."""
    if not files:
        return
    known = load_lms_files(course, assignment_id)
    known.update(files)
    atomic_write(lms_files_path(course, assignment_id),
                 json.dumps({s: asdict(f) for s, f in sorted(known.items())}, indent=1))


def load_lms_files(course: Course, assignment_id: str) -> dict:
    """student -> lms.LmsFile recorded at collect ({} when none)."""
    path = lms_files_path(course, assignment_id)
    try:
        return {s: lms.LmsFile(**f) for s, f in json.loads(path.read_text()).items()}
    except FileNotFoundError:
        return {}
    except (ValueError, TypeError) as error:
        raise UsageError(f"{path} is not what collect writes ({error}); collect the "
                         "download again to rebuild it") from None


def feedback_students(course: Course, assignment_id: str) -> dict[str, Path]:
    """student -> their feedback folder, for every student with a feedback page."""
    base = course.root / "feedback"
    if not base.is_dir():
        return {}
    folders = {p.name: p / assignment_id for p in sorted(base.iterdir())}
    return {s: f for s, f in folders.items() if f.is_dir() and any(f.glob("*.html"))}


def _canvas_members(info: "lms.LmsFile | None", folder: Path) -> tuple[dict, str]:
    """(member name -> file, "") or ({}, why not) for Canvas."""
    if info is None or info.lms != "canvas" or not info.attachment:
        return {}, ("no Canvas file recorded at collect (Canvas attaches a re-uploaded "
                    "file only by the user id and attachment id of the downloaded file); "
                    "collect this student's hand-in from the Canvas download")
    stem = f"{info.lms_name}{'_LATE' if info.late else ''}_{info.lms_id}_{info.attachment}"
    return {f"{stem}_{page.stem}-feedback{page.suffix}": page
            for page in sorted(folder.glob("*.html"))}, ""


def _moodle_folder_name(name: str, lms_id: str) -> str:
    clean = " ".join(name.replace("_", " ").replace("/", " ").split()) or "Participant"
    return f"{clean}_{lms_id}_assignsubmission_file_"


def _moodle_members(info: "lms.LmsFile | None", roster: "lms.Roster | None", student: str,
                    folder: Path) -> tuple[dict, str]:
    """(member name -> file, "") or ({}, why not) for Moodle."""
    if info is not None and info.lms == "moodle":
        lms_id, name = info.lms_id, info.lms_name
    elif roster is not None and student in roster.by_student:
        entry = roster.by_student[student]
        lms_id, name = entry.lms_id, entry.name or student
    else:
        return {}, ("no Moodle participant id: not collected from a Moodle download and "
                    "not in the roster (--roster CSV with lms_id,student_id,name)")
    if not lms_id.isdigit():
        return {}, f"Moodle participant id {lms_id!r} is not a number"
    top = _moodle_folder_name(name, lms_id)
    members = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if rel.parent == Path("."):
            if path.suffix != ".html":   # timestamp.txt, submission_secret.txt: nbgrader's
                continue
            rel = Path(f"{path.stem}-feedback{path.suffix}")
        members[f"{top}/{rel.as_posix()}"] = path
    return members, ""


def export_feedback(course: Course, assignment_id: str, lms_name: str, output: Path,
                    roster: "lms.Roster | None" = None) -> FeedbackExport:
    """Write `output` (a .zip) for `lms_name` ("canvas" or "moodle"); see the module
    docstring. Raises UsageError when there is no feedback page or nobody to export."""
    course.check_assignment(assignment_id)
    if lms_name not in FORMATS:
        raise UsageError(f"unknown LMS format {lms_name!r}; accepted: {', '.join(FORMATS)}")
    output = Path(output)
    if output.suffix.lower() != ".zip":
        raise UsageError(f"--output {output}: must be a .zip file (the LMS uploads a zip)")
    folders = feedback_students(course, assignment_id)
    if not folders:
        raise UsageError(f"no feedback pages for {assignment_id!r} under "
                         f"{course.root / 'feedback'}; run `python -m autograder feedback "
                         f"{assignment_id}` after grading")
    recorded = load_lms_files(course, assignment_id)
    result = FeedbackExport(assignment_id, lms_name, output)
    members = {}
    for student, folder in tqdm(folders.items(), desc=f"export-feedback {assignment_id}",
                                unit="student", disable=len(folders) < 50):
        info = recorded.get(student)
        found, why = (_canvas_members(info, folder) if lms_name == "canvas" else
                      _moodle_members(info, roster, student, folder))
        clash = sorted(set(found) & set(members))
        if clash:
            why = f"same LMS name as another student's ({clash[0]})"
        if why:
            result.missing[student] = why
            continue
        members.update(found)
        result.written[student] = sorted(found)
    for student in course.submitted_students(assignment_id):
        record = records.load(course, assignment_id, student) or {}
        if student not in folders and record.get("state") == records.GRADED:
            result.missing[student] = (f"graded, but no feedback page: run `python -m "
                                       f"autograder feedback {assignment_id}`")
    if not members:
        raise UsageError(f"none of the {len(folders)} feedback page(s) can be matched to a "
                         f"{lms_name} submission; no zip written:\n" + _missing_lines(result))
    _write_zip(output, members)
    return result


def _write_zip(output: Path, members: dict[str, Path]) -> None:
    """All members or nothing: written next to `output`, then moved into place."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=output.parent, suffix=".zip.tmp",
                                     delete=False) as tmp:
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, path in sorted(members.items()):
                    zf.write(path, name)
        except BaseException:
            Path(tmp.name).unlink()
            raise
    Path(tmp.name).replace(output)


def _missing_lines(result: FeedbackExport) -> str:
    return "\n".join(f"  {s}: {why}" for s, why in sorted(result.missing.items()))


def format_export(result: FeedbackExport) -> str:
    """The closing summary: what was written, then a warning naming who was left out."""
    files = sum(len(v) for v in result.written.values())
    lines = [f"{result.assignment_id}: wrote {files} feedback file(s) of "
             f"{len(result.written)} student(s) to {result.output} ({result.lms} upload)"]
    for student, names in sorted(result.written.items()):
        lines.append(f"  {student}: " + ", ".join(names))
    if result.missing:
        lines.append(f"WARNING: {len(result.missing)} student(s) with feedback NOT in the "
                     "zip (no LMS id):")
        lines.append(_missing_lines(result))
    return "\n".join(lines)
