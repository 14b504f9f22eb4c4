"""One hand-in never costs another its grade: a hand-in that breaks a grading step is
recorded (failed, or graded with what was cleaned) and the next hand-in in the same slot
scores in full; output of every kind counts against one budget. Real hand-ins of the
generated `tiny` assignment through the real `grade` (nbgrader + sandbox)."""
import copy
import os
from pathlib import Path

import nbformat
import pytest
from nbgrader.preprocessors import SaveAutoGrades
from nbgrader.preprocessors.base import NbGraderPreprocessor

from agtools import handin, submit
from autograder.common import records
from autograder.demo import tiny_class as tiny
from autograder.grading import steps as pipeline
from autograder.grading.grader import GradeOptions, grade
from autograder.preprocessors.containment import clamp_partial_credit
from autograder.worker.kernel import message_size

OPTIONS = GradeOptions(workers=1, cell_timeout=20, notebook_timeout=60, quiet=True)
SQUARE = "def square(x):\n    return x * x\n"


def _every_later_cell_ends_with(expression: str, prelude: str = "") -> dict:
    """A correct hand-in whose square cell makes every later cell (the tests too) end
    with `expression`, so the test cells show it as their execute_result."""
    return {**tiny.CORRECT, "square": SQUARE + prelude + "get_ipython().input_transformers_post"
            f".append(lambda lines: lines + ['\\n', {expression + chr(10)!r}])\n"}


# the kernel's own session sends, after every cell, a result with only text/html
NO_TEXT_PLAIN = (
    "_ip = get_ipython()\n"
    "def _html_only(result):\n"
    "    dh = _ip.displayhook\n"
    "    dh.session.send(dh.pub_socket, 'execute_result', {'data': {'text/html': '<b>x</b>'},"
    " 'metadata': {}, 'execution_count': 1}, parent=dh.parent_header, ident=dh.topic)\n"
    "_ip.events.register('post_run_cell', _html_only)\n")


def test_partial_credit_is_clamped_to_the_cells_points_and_nan_is_refused():
    assert clamp_partial_credit("1e9", 2.0) == ("2.0", "partial credit 1e9 clamped to 2")
    assert clamp_partial_credit("inf", 1.0)[0] == "0.0"  # not finite: refused (common/scoring.py)
    assert clamp_partial_credit(["-5"], 2.0)[0] == "0.0"
    assert clamp_partial_credit("nan", 2.0)[0] == "0.0"
    assert clamp_partial_credit("1.5", 2.0) == (None, None)      # within range: unchanged
    assert clamp_partial_credit("array([1, 2])", 2.0) == (None, None)  # not a number


def test_forged_test_cell_results_never_reach_the_score_and_the_next_handin_scores_full(course):
    """Results a hand-in pushes into the cells that run next (1e9, -5, NaN, a result with
    no text/plain): test cells run in the trusted runner, so none of them reaches a test
    cell's outputs. Each hand-in scores what its answers earn, is recorded, and the next
    hand-in in the same slot scores in full. (Were such a result to reach a test cell, the
    record step clamps it: test_partial_credit_is_clamped_... above.)"""
    handins = {
        "a_huge": _every_later_cell_ends_with("1e9"),
        "a_negative": _every_later_cell_ends_with("-5"),
        "a_nan": _every_later_cell_ends_with("float('nan')"),
        "a_no_text_plain": {**tiny.CORRECT, "square": SQUARE + NO_TEXT_PLAIN},
        "b_correct": tiny.CORRECT,
    }
    for student, answers in handins.items():
        submit(course, student, handin(course, answers))

    summary = grade(course, "tiny", options=OPTIONS)          # one worker: one slot

    assert summary.failed == {}
    scores = {s: r["score"] for s, r in summary.graded.items()}
    assert scores == {student: 3.0 for student in handins}
    for student, record in summary.graded.items():
        assert not any("partial credit" in p or "text/plain" in p for p in record["problems"]), \
            (student, record["problems"])
    autograded = nbformat.read(course.autograded("a_huge", "tiny"), as_version=4)
    for cell in autograded.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_"):
            assert not any(o.get("output_type") == "execute_result" for o in cell.outputs), cell
    with course.gradebook() as gb:
        assert gb.find_submission("tiny", "a_huge").score == 3.0

    again = grade(course, "tiny", options=OPTIONS)             # a re-run completes too
    assert sorted(again.skipped) == sorted(handins) and again.failed == {}


class _ExplodesOnMallorysCubeTest(NbGraderPreprocessor):
    """Stands for any nbgrader step that one notebook can break."""

    def preprocess_cell(self, cell, resources, index):
        if (resources["nbgrader"]["student"] == "mallory"
                and cell.metadata.get("nbgrader", {}).get("grade_id") == "test_cube"):
            raise RuntimeError("this notebook breaks the step")
        return cell, resources


def test_a_handin_that_breaks_a_record_step_fails_alone_and_a_rerun_grades_it(course,
                                                                               monkeypatch):
    for student in ("alice", "mallory", "zoe"):
        submit(course, student, handin(course, tiny.CORRECT))
    monkeypatch.setitem(pipeline.INSERTED_BEFORE, SaveAutoGrades,
                        [_ExplodesOnMallorysCubeTest, *pipeline.INSERTED_BEFORE[SaveAutoGrades]])

    summary = grade(course, "tiny", options=OPTIONS)

    assert {s: r["score"] for s, r in summary.graded.items()} == {"alice": 3.0, "zoe": 3.0}
    reason = summary.failed["mallory"]["reason"]
    cube_index = next(i for i, c in enumerate(tiny.source_notebook().cells)
                      if c.metadata["nbgrader"]["grade_id"] == "test_cube")
    for named in ("mallory", "_ExplodesOnMallorysCubeTest", f"cell {cube_index} (test_cube)",
                  "this notebook breaks the step"):
        assert named in reason, reason
    assert records.load(course, "tiny", "mallory")["state"] == records.FAILED

    monkeypatch.undo()                                        # the step is fixed
    again = grade(course, "tiny", options=OPTIONS)
    assert sorted(again.skipped) == ["alice", "zoe"]
    assert again.graded["mallory"]["score"] == 3.0


def test_a_copy_pasted_test_cell_is_ignored_and_the_rest_is_graded(course):
    nb = handin(course, tiny.CORRECT)
    test_square = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                       == "test_square")
    copy_of_test = copy.deepcopy(test_square)
    copy_of_test.id = "pasted-copy"
    nb.cells.insert(2, copy_of_test)                         # right before the original
    submit(course, "paster", nb)

    record = grade(course, "tiny", options=OPTIONS).graded["paster"]

    assert record["score"] == 3.0
    assert any("cell 2 repeats grade_id 'test_square': ignored" in p for p in record["problems"])


# --- the output budget counts every kind of output ---------------------------------------
FLOODS = {
    # 3 MB of widget state: comm_open messages, never passed to output()
    "w_widget_state": "import ipywidgets\nw = ipywidgets.Textarea(value='x' * 3_000_000)\n",
    # many updates of one display: update_display_data replaces, the budget still counts
    "w_update_display": "from IPython.display import display\n"
                        "h = display('start', display_id=True)\n"
                        "for i in range(40):\n    h.update('y' * 100_000 + str(i))\n",
    # print, clear, print again: what is left is small, what was sent is not
    "w_clear_output": "from IPython.display import clear_output\n"
                      "for i in range(40):\n    print('z' * 100_000)\n"
                      "    clear_output(wait=True)\n",
    # error messages sent by hand: over the budget each would still leave a short error
    "w_error_flood": "dh = get_ipython().displayhook\n"
                     "for i in range(3_000):\n"
                     "    dh.session.send(dh.pub_socket, 'error', {'ename': 'E', 'evalue': 'x' * 1000,"
                     " 'traceback': []}, parent=dh.parent_header, ident=dh.topic)\n",
}


@pytest.mark.slow
def test_widget_state_display_updates_and_cleared_output_all_count_against_the_budget(course):
    for student, flood in FLOODS.items():
        submit(course, student, handin(course, {**tiny.CORRECT, "square": SQUARE + flood}))
    submit(course, "quiet", handin(course, tiny.CORRECT))

    summary = grade(course, "tiny", options=GradeOptions(**{**vars(OPTIONS), "workers": 2}))

    assert summary.graded["quiet"]["score"] == 3.0 and summary.graded["quiet"]["problems"] == []
    for student in FLOODS:
        record = summary.graded[student]
        # (a flood of small messages may instead outrun the grader: also recorded)
        assert any("output limit (2000000 bytes) reached" in p or "kernel output never ended" in p
                   for p in record["problems"]), (student, record)
        if not any("kernel output never ended" in p for p in record["problems"]):
            assert record["score"] == 3.0             # the tests still ran and passed
        path = course.autograded(student, "tiny")
        assert path.stat().st_size < 2_500_000, student
        assert "widgets" not in nbformat.read(path, as_version=4).metadata


def test_message_size_counts_content_and_binary_buffers():
    msg = {"content": {"data": {"state": {"value": "x" * 1000}}}, "buffers": [b"\0" * 500]}
    assert 1500 < message_size(msg) < 1600


def _children_of_this_process() -> list[str]:
    """Command lines of this test process's child processes."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, IndexError, ValueError):
            pass
    return found


def test_grade_leaves_no_process_behind_not_even_the_pools_forkserver(course):
    submit(course, "alice", handin(course, tiny.CORRECT))
    assert grade(course, "tiny", options=OPTIONS).graded["alice"]["score"] == 3.0
    assert [c for c in _children_of_this_process() if "forkserver" in c] == []
