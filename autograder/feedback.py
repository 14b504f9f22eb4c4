"""`feedback ID`: course/feedback/<student>/<ID>/<ID>.html, without hidden test code.

nbgrader's GenerateFeedback renders the autograded notebook, whose test cells hold the
hidden tests again (OverwriteCells restored them), so the HTML shows them
(jupyter/nbgrader#917, #1363). We run GenerateFeedback with one step in front,
`HideHiddenTests`, which in every test cell
- replaces the code between ### BEGIN/END HIDDEN TESTS by a one-line note,
- reduces an error raised there to its name (its traceback quotes hidden code; its
  message is kept only when it is written in the visible part of the cell),
- withholds any other output that quotes a line of the hidden code;
- keeps the trusted runner's generic failure of a hidden segment (`HIDDEN_ENAME`, a
  hint written for students; autograder/segments.py) as it is;
and it replaces the outputs of every student cell that ran after hidden tests (metadata
``autograder.after_hidden_tests``, set in lockstep.py) by a note: text, errors and
images alike (the student's process had seen hidden inputs; images are dropped rather
than trusted to carry nothing).
Then `SanitizeStudentHTML` (nbconvert's bleach-based SanitizeHTML with an allowlist)
makes the page safe to open: student markdown and text/html/markdown outputs keep only
plain formatting tags (no script, style, iframe, svg, event-handler attributes or
javascript: links), and every other rich output (JavaScript, SVG, widgets) is removed.
The HTML is rendered into a build folder, then moved into place file by file; a page
over MAX_FEEDBACK_BYTES is replaced by a short note. One student's notebook that breaks
rendering costs only that student's page (the class is rendered again one by one).
"""
import html
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import GetGrades
from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import Unicode

from .course import Course, UsageError, atomic_write
from .lockstep import AFTER_HIDDEN
from .segments import HIDDEN_ENAME

NOTE = "# (hidden tests: not shown)"
AFTER_NOTE = ("[output not shown in feedback: this cell ran after hidden tests, and what "
              "your code prints from then on could repeat their inputs]\n")
MAX_FEEDBACK_BYTES = 5_000_000
# formatting only: no script/style/iframe/object/svg/form, no event handlers or style attrs
SAFE_TAGS = ["a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2",
             "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s",
             "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"]
SAFE_ATTRIBUTES = {"a": ["href", "title"], "img": ["src", "alt", "title", "width", "height"],
                   "td": ["colspan", "rowspan"], "th": ["colspan", "rowspan"],
                   "abbr": ["title"]}


def split_hidden(source: str, begin: str, end: str) -> tuple[str, list[str]]:
    """(source without hidden regions, the hidden lines)."""
    visible, hidden, inside = [], [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
            visible.append(line[: len(line) - len(line.lstrip())] + NOTE)
        elif end in line:
            inside = False
        elif inside:
            hidden.append(line)
        else:
            visible.append(line)
    return "\n".join(visible), hidden


class HideHiddenTests(NbGraderPreprocessor):
    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_test_delimeter = Unicode("END HIDDEN TESTS").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict,
                        index: int) -> tuple[NotebookNode, dict]:
        if cell.get("metadata", {}).get("autograder", {}).get(AFTER_HIDDEN) and \
                not utils.is_grade(cell) and cell.get("outputs"):
            cell.outputs = [{"output_type": "stream", "name": "stdout", "text": AFTER_NOTE}]
            return cell, resources
        if not (utils.is_grade(cell) and self.begin_test_delimeter in cell.source):
            return cell, resources
        visible, hidden = split_hidden(cell.source, self.begin_test_delimeter,
                                       self.end_test_delimeter)
        quotes = [line.strip() for line in hidden if len(line.strip()) >= 6]
        cell.source = visible
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") == HIDDEN_ENAME:
                pass  # the runner's generic message and the instructor's hint
            elif out.get("output_type") == "error":
                shown = out.get("evalue") and out["evalue"] in visible
                text = (f"{out['ename']}: {out['evalue']}" if shown else
                        f"{out['ename']} raised by a hidden test (details not shown)")
                out["evalue"] = out["evalue"] if shown else ""
                out["traceback"] = [text]
            else:
                text = out.get("text", "") + "".join(
                    v for v in out.get("data", {}).values() if isinstance(v, str))
                if any(q in text for q in quotes):
                    out = {"output_type": "stream", "name": "stdout",
                           "text": "[output withheld: it quotes hidden test code]\n"}
            kept.append(out)
        cell.outputs = kept
        return cell, resources


class SanitizeStudentHTML(SanitizeHTML):
    """nbconvert's SanitizeHTML with our allowlist; also drops javascript:/data: links
    that markdown syntax (not raw HTML) would create, by escaping the source's markup."""

    def __init__(self, **kwargs: Any):
        super().__init__(tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES, **kwargs)
        self.enabled = True  # nbconvert's preprocessors are off unless enabled

    def preprocess_cell(self, cell: NotebookNode, resources: dict,
                        index: int) -> tuple[NotebookNode, dict]:
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.cell_type in ("markdown", "raw"):
            cell.source = _defang(cell.source)
        for out in cell.get("outputs", []):
            if "text/markdown" in out.get("data", {}):
                out["data"]["text/markdown"] = _defang(out["data"]["text/markdown"])
        cell.pop("attachments", None)  # rendered as data: URLs of any type
        return cell, resources


def _defang(text: str) -> str:
    """Break every javascript:/vbscript:/data:text scheme (any case), so that no link that
    markdown syntax makes can start with it."""
    for scheme in ("javascript:", "vbscript:", "data:text"):
        out, lower, start = [], text.lower(), 0
        while (found := lower.find(scheme, start)) >= 0:
            out.append(text[start:found] + text[found:found + len(scheme) - 1] + "\u200b:")
            start = found + len(scheme)
        text = "".join(out) + text[start:]
    return text


def _too_large_page(student: str, size: int) -> bytes:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Feedback</title></head>"
            f"<body><p>The feedback page for {html.escape(student)} was {size / 1e6:.1f} MB, "
            f"over the limit of {MAX_FEEDBACK_BYTES / 1e6:g} MB, and is not shown; the "
            "grades are in the gradebook. Ask your instructor.</p></body></html>").encode()


def _render(course: Course, assignment_id: str, build: str, student: str = "*") -> None:
    """nbgrader's GenerateFeedback for one student (or all) into `build`."""
    from nbgrader.converters import GenerateFeedback
    coursedir = course.coursedir(assignment_id, **{"CourseDirectory.feedback_directory": build})
    coursedir.student_id = student
    converter = GenerateFeedback(coursedir=coursedir, config=coursedir.config)
    converter.preprocessors = [HideHiddenTests, SanitizeStudentHTML, GetGrades,
                               CSSHTMLHeaderPreprocessor]
    converter.force = True
    converter.log.setLevel(logging.CRITICAL)
    converter.start()


def feedback(course: Course, assignment_id: str) -> list[Path]:
    """Write every graded student's page; returns the pages written. A student whose page
    cannot be rendered is named on stderr and the others still get theirs."""
    from .formgrade import write_release_files  # timestamp.txt etc. for release_feedback
    course.check_assignment(assignment_id)
    graded = sorted(p.parent.parent.name for p in
                    (course.root / "autograded").glob(f"*/{assignment_id}/{assignment_id}.ipynb"))
    if not graded:
        raise UsageError(f"nothing graded yet for {assignment_id!r}: run "
                         f"`python -m autograder grade {assignment_id}` first")
    written = []
    with tempfile.TemporaryDirectory(prefix="autograder-feedback-") as build:
        page = {s: Path(build) / s / assignment_id / f"{assignment_id}.html" for s in graded}
        try:
            _render(course, assignment_id, build)
        except Exception:  # somebody's notebook broke it: render the rest one by one
            for student in graded:
                if not page[student].is_file():
                    try:
                        _render(course, assignment_id, build, student)
                    except Exception as error:
                        print(f"feedback for {student} failed: {type(error).__name__}: "
                              f"{error}", file=sys.stderr)
        for student, built in page.items():
            if not built.is_file():
                continue
            data = built.read_bytes()
            if len(data) > MAX_FEEDBACK_BYTES:
                print(f"feedback for {student}: {len(data) / 1e6:.1f} MB, over the limit "
                      f"of {MAX_FEEDBACK_BYTES / 1e6:g} MB: replaced by a note", file=sys.stderr)
                data = _too_large_page(student, len(data))
            dest = course.feedback(student, assignment_id)
            atomic_write(dest, data)
            write_release_files(course, student, assignment_id)
            written.append(dest)
    return written
