"""`feedback ID`: course/feedback/<student>/<ID>/<ID>.html, without hidden test code.

nbgrader's GenerateFeedback with our steps (autograder/preprocessors/feedback.py:
hidden tests out, student HTML sanitised, tests named) and our exporter and template
(preprocessors/feedback_page.py, set in nbgrader_config.py: MathJax inlined, no CDN);
cells after hidden tests show the outputs of a replay without tests where they showed a
figure (grading/replay.py). The HTML is rendered into a build folder, then moved into
place file by file; a page over MAX_FEEDBACK_BYTES (MathJax not counted) is replaced by
a short note.
One student's notebook that breaks rendering costs only that student's page (the class
is rendered again one by one).
"""
import html
import logging
import sys
import tempfile
from pathlib import Path

from autograder.commands.args import add_db_url
from autograder.common.course import Course, atomic_write
from autograder.common.errors import UsageError
from autograder.grading.replay import replay_all
from autograder.preprocessors.feedback import FEEDBACK_STEPS, HideHiddenTests, write_release_files
from autograder.preprocessors.feedback_page import content_size

MAX_FEEDBACK_BYTES = 5_000_000


def _too_large_page(student: str, size: int) -> bytes:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Feedback</title></head>"
            f"<body><p>The feedback page for {html.escape(student)} was {size / 1e6:.1f} MB, "
            f"over the limit of {MAX_FEEDBACK_BYTES / 1e6:g} MB, and is not shown; the "
            "grades are in the gradebook. Ask your instructor.</p></body></html>").encode()


def _render(course: Course, assignment_id: str, build: str, student: str = "*",
            replays: dict | None = None) -> None:
    """nbgrader's GenerateFeedback for one student (or all) into `build`; `replays`:
    grading/replay.py's outputs for cells after hidden tests."""
    from nbgrader.converters import GenerateFeedback
    coursedir = course.coursedir(assignment_id, **{"CourseDirectory.feedback_directory": build})
    coursedir.student_id = student
    converter = GenerateFeedback(coursedir=coursedir, config=coursedir.config)
    hide = type("HideHiddenTests", (HideHiddenTests,), {"replays": replays or {}})
    converter.preprocessors = [hide if step is HideHiddenTests else step for step in FEEDBACK_STEPS]
    converter.force = True
    converter.log.setLevel(logging.CRITICAL)
    converter.start()


def _graded(course: Course, assignment_id: str, students: list[str] | None) -> list[str]:
    """The students with an autograded notebook (of `students`, when given), sorted."""
    graded = sorted(p.parent.parent.name for p in
                    (course.root / "autograded").glob(f"*/{assignment_id}/{assignment_id}.ipynb"))
    if not graded:
        raise UsageError(f"nothing graded yet for {assignment_id!r}: run "
                         f"`python -m autograder grade {assignment_id}` first")
    unknown = sorted(set(students or ()) - set(graded))
    if unknown:
        raise UsageError(f"not graded for {assignment_id!r}: {', '.join(unknown)} "
                         f"(graded: {', '.join(graded)})")
    return sorted(set(students)) if students else graded


def feedback(course: Course, assignment_id: str, students: list[str] | None = None) -> list[Path]:
    """Write every graded student's page (or those of `students`); returns the pages
    written. A student whose page cannot be rendered is named on stderr and the others
    still get theirs."""
    course.check_assignment(assignment_id)
    graded = _graded(course, assignment_id, students)
    written = []
    replays = replay_all(course, assignment_id, graded)
    with tempfile.TemporaryDirectory(prefix="autograder-feedback-") as build:
        page = {s: Path(build) / s / assignment_id / f"{assignment_id}.html" for s in graded}
        try:
            _render(course, assignment_id, build, graded[0] if len(graded) == 1 else "*",
                    replays)
        except Exception:  # somebody's notebook broke it: render the rest one by one
            for student in graded:
                if not page[student].is_file():
                    try:
                        _render(course, assignment_id, build, student, replays)
                    except Exception as error:
                        print(f"feedback for {student} failed: {type(error).__name__}: "
                              f"{error}", file=sys.stderr)
        for student, built in page.items():
            if not built.is_file():
                continue
            data = built.read_bytes()
            size = content_size(data)  # without the inlined MathJax (~2 MB)
            if size > MAX_FEEDBACK_BYTES:
                print(f"feedback for {student}: {size / 1e6:.1f} MB, over the limit "
                      f"of {MAX_FEEDBACK_BYTES / 1e6:g} MB: replaced by a note", file=sys.stderr)
                data = _too_large_page(student, size)
            dest = course.feedback(student, assignment_id)
            atomic_write(dest, data)
            write_release_files(course, student, assignment_id)
            written.append(dest)
    return written


def add_arguments(parser) -> None:
    parser.add_argument("id", metavar="ID")
    add_db_url(parser)


def run(args, course: Course) -> int:
    for path in feedback(course, args.id):
        print(path)
    return 0
