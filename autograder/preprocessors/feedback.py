"""The feedback pages' nbgrader steps, in one place (FEEDBACK_STEPS).

nbgrader's GenerateFeedback renders the autograded notebook, whose test cells hold the
hidden tests again (OverwriteCells restored them), so the HTML shows them
(jupyter/nbgrader#917, #1363). `HideHiddenTests`, first, in every test cell
- replaces the code between ### BEGIN/END HIDDEN TESTS by a one-line note,
- reduces an error raised there to its name (its traceback quotes hidden code; its
  message is kept only when it is written in the visible part of the cell),
- withholds any other output that quotes a line of the hidden code;
- keeps the trusted runner's generic failure of a hidden segment (`HIDDEN_ENAME`, a
  hint written for students; autograder/runner/segments.py) as it is;
and it replaces the outputs of every student cell that ran after hidden tests (metadata
``autograder.after_hidden_tests``, set in worker/lockstep.py; the student's process had
seen hidden inputs) by those of the replay (the student's cells alone in a fresh sandbox,
grading/replay.py), or by a note when there was no replay: text, errors and images
alike. It also names each test cell for the summary (`insight.testnames.test_title` of
its visible part). The page's template and MathJax: preprocessors/feedback_page.py.
Then `SanitizeStudentHTML` (nbconvert's bleach-based SanitizeHTML with an allowlist)
makes the page safe to open: student markdown and text/html/markdown outputs keep only
plain formatting tags (no script, style, iframe, svg, event-handler attributes or
javascript: links), and every other rich output (JavaScript, SVG, widgets) is removed.

`release_files`: the two files `nbgrader release_feedback` reads next to each feedback
HTML (feedback/<student>/<id>/timestamp.txt and submission_secret.txt). They are the
hand-in's own (copied by `nbgrader collect` from the exchange into submitted/); a hand-in
that did not come through the exchange (an LMS zip) gets its collection time and a fresh
secret, so release_feedback works and only the exchange's students can fetch it.
"""
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import GetGrades
from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import Unicode

from autograder.common.cells import AFTER_HIDDEN, nbgrader_time
from autograder.common.course import Course, atomic_write
from autograder.insight.testnames import test_title
from autograder.runner.segments import HIDDEN_ENAME

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

    replays: dict = {}  # student -> {cell index: outputs to show}: a subclass per run

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self._replayed = self.replays.get(resources.get("nbgrader", {}).get("student"), {})
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: dict,
                        index: int) -> tuple[NotebookNode, dict]:
        if cell.get("metadata", {}).get("autograder", {}).get(AFTER_HIDDEN) and \
                not utils.is_grade(cell) and cell.get("outputs"):
            replayed = getattr(self, "_replayed", {}).get(index)  # grading/replay.py
            cell.outputs = [nbformat.from_dict(out) for out in replayed] if replayed else \
                [{"output_type": "stream", "name": "stdout", "text": AFTER_NOTE}]
            return cell, resources
        if utils.is_grade(cell) and not utils.is_solution(cell):
            self._name(cell)
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

    def _name(self, cell: NotebookNode) -> None:
        """The summary's name of a test cell: what its visible part says it checks."""
        visible = split_hidden(cell.source, self.begin_test_delimeter, self.end_test_delimeter)[0]
        ours = cell.metadata.setdefault("autograder", {})
        ours["title"] = test_title(visible, cell.metadata["nbgrader"].get("grade_id", ""))
        ours["hidden_tests"] = self.begin_test_delimeter in cell.source


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


RELEASE_FILES = ("timestamp.txt", "submission_secret.txt")


def _now() -> str:
    """A timestamp as nbgrader writes it ("2026-01-31 23:59:00.000000 UTC")."""
    return nbgrader_time(datetime.now(UTC))


def release_files(submitted_dir: Path) -> dict[str, bytes]:
    """name -> content of the files release_feedback needs, from a submitted/<s>/<id> folder."""
    files = {}
    for name in RELEASE_FILES:
        path = Path(submitted_dir) / name
        if path.is_file():
            files[name] = path.read_bytes()
    files.setdefault("timestamp.txt", _now().encode())
    files.setdefault("submission_secret.txt", secrets.token_hex(16).encode())
    return files


def write_release_files(course: Course, student: str, assignment_id: str) -> None:
    """Put timestamp.txt and submission_secret.txt next to the student's feedback HTML."""
    submitted = course.submitted(student, assignment_id).parent
    feedback = course.feedback(student, assignment_id).parent
    for name, data in release_files(submitted).items():
        atomic_write(feedback / name, data)


class AddReleaseFiles(NbGraderPreprocessor):
    """In nbgrader's GenerateFeedback: adds the release files as output files, read from
    <root>/submitted/<student>/<id>/ (the notebook comes from <root>/autograded/<s>/<id>/)."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        autograded = Path(resources["metadata"]["path"]).resolve()
        root = autograded.parents[2]
        submitted = root / "submitted" / autograded.parent.name / autograded.name
        resources.setdefault("outputs", {}).update(release_files(submitted))
        return nb, resources


# What renders a feedback page, in order: `python -m autograder feedback` runs these;
# formgrader's "Generate feedback" and `nbgrader generate_feedback` run them plus
# AddReleaseFiles (autograder/nbgrader_config.py).
FEEDBACK_STEPS = [HideHiddenTests, SanitizeStudentHTML, GetGrades, CSSHTMLHeaderPreprocessor]
NBGRADER_FEEDBACK_STEPS = [*FEEDBACK_STEPS, AddReleaseFiles]
