"""`feedback ID`: course/feedback/<student>/<ID>/<ID>.html, without hidden test code.

nbgrader's GenerateFeedback renders the autograded notebook, whose test cells hold the
hidden tests again (OverwriteCells restored them), so the HTML shows them
(jupyter/nbgrader#917, #1363). We run GenerateFeedback with one step in front,
`HideHiddenTests`, which in every test cell
- replaces the code between ### BEGIN/END HIDDEN TESTS by a one-line note,
- reduces an error raised there to its name (its traceback quotes hidden code; its
  message is kept only when it is written in the visible part of the cell),
- withholds any other output that quotes a line of the hidden code.
The HTML is rendered into a build folder, then moved into place file by file.
"""
import logging
import tempfile
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader import utils
from nbgrader.preprocessors import GetGrades
from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import Unicode

from .course import Course, UsageError, atomic_write

NOTE = "# (hidden tests: not shown)"


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

    def preprocess_cell(self, cell, resources, index):
        if not (utils.is_grade(cell) and self.begin_test_delimeter in cell.source):
            return cell, resources
        visible, hidden = split_hidden(cell.source, self.begin_test_delimeter,
                                       self.end_test_delimeter)
        quotes = [line.strip() for line in hidden if len(line.strip()) >= 6]
        cell.source = visible
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
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


def feedback(course: Course, assignment_id: str) -> list[Path]:
    from nbgrader.converters import GenerateFeedback
    from .formgrade import write_release_files  # timestamp.txt etc. for release_feedback
    course.check_assignment(assignment_id)
    graded = sorted(p.parent.parent.name for p in
                    (course.root / "autograded").glob(f"*/{assignment_id}/{assignment_id}.ipynb"))
    if not graded:
        raise UsageError(f"nothing graded yet for {assignment_id!r}: run "
                         f"`python -m autograder grade {assignment_id}` first")
    written = []
    with tempfile.TemporaryDirectory(prefix="autograder-feedback-") as build:
        coursedir = course.coursedir(assignment_id,
                                     **{"CourseDirectory.feedback_directory": build})
        converter = GenerateFeedback(coursedir=coursedir, config=coursedir.config)
        converter.preprocessors = [HideHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]
        converter.force = True
        converter.log.setLevel(logging.ERROR)
        converter.start()
        for html in sorted(Path(build).glob(f"*/{assignment_id}/*.html")):
            student = html.parent.parent.name
            dest = course.feedback(student, assignment_id)
            atomic_write(dest, html.read_bytes())
            write_release_files(course, student, assignment_id)
            written.append(dest)
    return written
