"""The vanishing_gradients assignment, autograded for real.

One grading run of the suites' pipeline (harness.SUITE_PIPELINE: `python -m autograder grade`,
test cells in the trusted process) grades every hand-in of this module (the `graded` fixture):
the reference solution, a second correct implementation written independently, the
unanswered student version, and wrong hand-ins that each get one thing wrong
and hostile ones of the weak-test and attack classes of issue 19 (tests/exercises/vg_handins.py).
The tests assert what a grader needs to trust: correct answers get full marks, a blank
notebook gets 0 without breaking the grading, every mistake costs exactly the points of
the test cells aimed at it, and every attack scores exactly its honest score.

Run: .venv/bin/python -m pytest tests/exercises/test_vanishing_gradients.py -v -s
(-s shows the per-hand-in autograde times).
"""
from __future__ import annotations

import nbformat
import pytest

from . import vg_handins as H
from .harness import SUITE_PIPELINE, answer_cells, fill_solution, source_version, student_version

ASSIGNMENT = "vanishing_gradients"
CORRECT = ("solution", "second", "original_api")


def _solution_answers() -> dict[str, str]:
    """grade_id -> source of the reference answers, marker lines dropped (as a student types them)."""
    source = source_version(ASSIGNMENT)
    answers = {}
    for grade_id, index in answer_cells(source).items():
        lines = source.cells[index].source.splitlines()
        answers[grade_id] = "\n".join(line for line in lines
                                      if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return answers


def _handins() -> dict:
    blank = student_version(ASSIGNMENT)
    solution = _solution_answers()
    optimizer_stub = blank.cells[answer_cells(blank)["optimizer"]].source
    handins = {
        "blank": blank,
        "solution": fill_solution(blank, solution),
        "second": fill_solution(blank, {**solution, "optimizer": H.SECOND_OPTIMIZER,
                                        "net": H.SECOND_NET, "plot_grad_w": H.SECOND_PLOT}),
        # deep.TEACHING's own Optimizer/SGD (np.random.randint batches, no seed argument,
        # num_grad_stores=1) with the gradient log filled in: the tests must not care.
        "original_api": fill_solution(blank, {**solution, "optimizer": H.ORIGINAL_API_OPTIMIZER}),
    }
    handins["plot_slip"] = fill_solution(blank, {**solution, "plot_grad_w": H.PLOT_SLIP})
    for name, wrong in {**H.WRONG, **H.ATTACKS}.items():
        answers = dict(solution)
        if wrong.record is not None:
            answers["optimizer"] = H.fill_stub(optimizer_stub, wrong.record)
        if wrong.net is not None:
            answers["net"] = wrong.net
        if wrong.plot is not None:
            answers["plot_grad_w"] = wrong.plot
        handins[name] = fill_solution(blank, answers)
    return handins


@pytest.fixture(scope="module")
def graded(autograde):
    """Result per hand-in of ONE grading run; prints the time per hand-in."""
    results = autograde(ASSIGNMENT, _handins(), timeout=120, pipeline=SUITE_PIPELINE)
    print("\nvanishing_gradients autograde, seconds per hand-in:")
    for name, result in results.items():
        print(f"  {name:24s} {result.seconds!s:>6} s  {result.total:g}/{result.max_total:g}")
    return results


@pytest.fixture(scope="module")
def graded_one_kernel(autograde):
    """The reference, the deep.TEACHING-API hand-in and the blank notebook graded by plain
    nbgrader, everything in one kernel (what a student's Restart & Run All sees)."""
    handins = _handins()
    return autograde(ASSIGNMENT, {name: handins[name] for name in ("solution", "original_api", "blank")},
                     timeout=120, pipeline="nbgrader")


@pytest.mark.slow
def test_one_kernel_grading_gives_the_same_scores(graded, graded_one_kernel):
    """The tests work in both modes: plain nbgrader in one kernel scores these hand-ins
    exactly as the trusted pipeline does."""
    for name, one in graded_one_kernel.items():
        assert one.cells == graded[name].cells, f"one kernel: {one.describe()}\ntrusted: {graded[name].describe()}"


def test_every_test_cell_is_known():
    """vg_handins.ALL_TESTS lists exactly the notebook's test cells (so expected losses are complete)."""
    source = source_version(ASSIGNMENT)
    test_cells = {cell.metadata["nbgrader"]["grade_id"] for cell in source.cells
                  if cell.metadata.get("nbgrader", {}).get("grade")
                  and not cell.metadata["nbgrader"].get("solution")}
    assert test_cells == H.ALL_TESTS, f"notebook test cells {sorted(test_cells)} != vg_handins.ALL_TESTS"


@pytest.mark.slow
@pytest.mark.parametrize("name", CORRECT)
def test_correct_answers_get_full_marks(graded, name):
    """The reference solution, the independent second implementation and a hand-in in the
    deep.TEACHING original's optimiser API (its own batch drawing) get every point."""
    result = graded[name]
    assert not result.failed, result.describe()
    assert result.max_total == 18, f"expected 18 autograded points in the notebook, found {result.max_total}"
    assert result.total == result.max_total, result.describe()
    assert result.manual == {"freestyle_answer": 4, "plot_grad_w": 1}, f"manually graded cells: {result.manual}"


@pytest.mark.slow
def test_blank_student_version_scores_zero_without_crashing(graded):
    """The unanswered student notebook is graded (no crash) and gets 0 autograded points."""
    result = graded["blank"]
    assert not result.failed, result.describe()
    assert set(result.cells) == H.ALL_TESTS, f"graded cells: {sorted(result.cells)}"
    assert result.total == 0, result.describe()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(H.WRONG))
def test_wrong_handin_loses_exactly_its_tests(graded, name):
    """Each wrong hand-in loses the points of the test cells aimed at its mistake, no more, no less."""
    wrong, result = H.WRONG[name], graded[name]
    assert not result.failed, result.describe()
    assert result.lost == set(wrong.loses), (
        f"{name} ({wrong.why}): expected to lose {sorted(wrong.loses)}, lost {sorted(result.lost)}\n"
        + result.describe())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(H.ATTACKS))
def test_attack_scores_its_honest_score(graded, name):
    """Each weak-test / attack hand-in of issue 19 (a Net with made-up parameters and
    gradients, a Net that always raises, a _train that records nothing, grad_w right only for
    the visible configurations) loses exactly the tests it does not honestly pass. Each of
    them scored more on the notebook before the tests cross-checked the student's word."""
    attack, result = H.ATTACKS[name], graded[name]
    assert not result.failed, result.describe()
    assert result.lost == set(attack.loses), (
        f"{name} ({attack.why}): expected to lose {sorted(attack.loses)}, lost {sorted(result.lost)}\n"
        + result.describe())
    assert result.total == result.max_total - sum(result.cells[cell][1] for cell in attack.loses)


@pytest.mark.slow
def test_plot_is_graded_by_hand(graded):
    """What plot_grad_w drew reaches the tests only as the student's process describes it, so
    the plot is graded by hand (1 point) and no autograded test judges it: the deep.TEACHING
    original's slip (the output panel shows the last hidden row again) keeps every autograded
    point, and the self-check cell in the student's kernel tells the student about it."""
    result = graded["plot_slip"]
    assert result.total == result.max_total, result.describe()
    assert result.manual.get("plot_grad_w") == 1, result.manual
    outputs = nbformat.read(result.notebook, as_version=4).cells
    check = next(cell for cell in outputs
                 if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "check_plot_grad_w")
    errors = [out for out in check.outputs if out.get("output_type") == "error"]
    assert errors and "times each row was plotted" in errors[0]["evalue"], check.outputs


@pytest.mark.slow
def test_failure_messages_speak_to_the_student(graded):
    """A failing test says what was expected, what was found and gives a hint, not a bare assert.
    (A failure in a hidden part may reach the student as the grader's own message about
    hidden tests instead: that one is the grader's to word.)"""
    bare = {}
    for name in {**H.WRONG, **H.ATTACKS}:
        for grade_id, message in graded[name].messages.items():
            if "hidden" in message.lower():
                continue
            if not all(word in message for word in ("expected:", "found:", "hint:")):
                bare[f"{name}/{grade_id}"] = message
    assert not bare, f"messages without expected/found/hint: {bare}"


@pytest.mark.slow
def test_failure_messages_print_plain_numbers(graded):
    """Numbers in messages read as numbers (0.000335), never as numpy reprs (np.float64(...))."""
    reprs = {f"{name}/{grade_id}": message for name in {**H.WRONG, **H.ATTACKS}
             for grade_id, message in graded[name].messages.items() if "np.float" in message or "array(" in message}
    assert not reprs, f"messages with numpy reprs: {reprs}"


@pytest.mark.slow
def test_tests_accepting_another_tests_slip_say_which_to_fix_first(graded):
    """A slip that only one test is aimed at leaves the other tests passing, and they say so
    in their output ("fix test_grad_w_nonnegative first") instead of failing misleadingly."""
    outputs = _cell_outputs(graded["mean_not_abs"].notebook)
    for grade_id in ("test_grad_w_row_order", "test_grad_w_values", "test_grad_w_weights_only"):
        assert "fix test_grad_w_nonnegative first" in outputs[grade_id], (grade_id, outputs[grade_id])


def _cell_outputs(path) -> dict[str, str]:
    """grade_id -> the stream text a graded notebook's cell printed."""
    texts = {}
    for cell in nbformat.read(path, as_version=4).cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id:
            texts[grade_id] = "".join(out.get("text", "") for out in cell.get("outputs", [])
                                      if out.get("output_type") == "stream")
    return texts


@pytest.mark.slow
def test_diagnoses_name_the_mistake(graded):
    """The step-by-step comparison recognises the common mistakes and says which one it is."""
    expectations = {
        "biases_included": ("test_grad_w_weights_only", "biases"),
        "rows_reversed": ("test_grad_w_row_order", "reverse order"),
        "off_by_one_step": ("test_grad_w_values", "shifted by one step"),
        "mean_not_abs": ("test_grad_w_nonnegative", "ABSOLUTE"),
        "transposed": ("test_grad_w_shape", "transposed"),
        "act_func_ignored": ("test_net_activation", "behave like tanh"),
        "one_layer_too_many": ("test_vanishing", "fix test_net_layers first"),
        "negated_loss": ("test_net_learns", "summed binary cross-entropy"),
    }
    for name, (grade_id, phrase) in expectations.items():
        message = graded[name].messages.get(grade_id, "")
        assert phrase in message, f"{name}: {grade_id} should mention {phrase!r}, said: {message!r}"


def _plot_cell(nb: nbformat.NotebookNode) -> int:
    """Index of the student cell that draws plot_grad_w's figure (it runs after hidden tests)."""
    return next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
                and "plot_grad_w(grad_w)" in cell.source and "def plot_grad_w" not in cell.source)


@pytest.mark.slow
def test_plot_in_autograded_notebook_formgrader_and_offline_feedback(graded):
    """The solution's plot_grad_w figure is an inline PNG in the autograded notebook, on
    formgrader's page for the submission (the real server) and on the feedback page (from
    the replay: the cell runs after hidden tests); the feedback's math is typeset by the
    MathJax inlined in the page, in Chromium with every network request aborted, and its
    summary names the tests by what they check."""
    from autograder.commands.feedback import feedback
    from autograder.common.course import Course

    from .feedback_view import formgrader_submission_page, open_offline, raw_math
    from .harness import SOLUTIONS

    path = graded["solution"].notebook
    course_dir = path.parents[3]  # <course>/autograded/<student>/<id>/<id>.ipynb
    course = Course(root=course_dir, source=SOLUTIONS, release=course_dir / "release")
    nb = nbformat.read(path, as_version=4)
    cell = nb.cells[_plot_cell(nb)]
    assert cell.metadata["autograder"]["after_hidden_tests"], cell.metadata
    [png] = [out.data["image/png"] for out in cell.outputs if "image/png" in out.get("data", {})]
    assert len(png) > 20_000, "the 11-panel figure should be a real picture"

    page = formgrader_submission_page(course, ASSIGNMENT, "solution")
    assert f"data:image/png;base64,{png.replace(chr(10), '')[:200]}" in page.replace("\n", ""), \
        "formgrader's submission page shows no plot_grad_w figure"

    [html] = feedback(course, ASSIGNMENT, students=["solution"])
    seen = open_offline(html)
    assert seen["blocked"] == [], seen["blocked"]
    assert seen["mjx"] >= 10, f"MathJax typeset {seen['mjx']} formulas"
    assert raw_math(seen["markdown"]) == [], raw_math(seen["markdown"])[:5]
    shown = [image for image in seen["images"] if image["src"].startswith("data:image/png")]
    assert len(shown) >= 2 and all(image["width"] > 300 for image in shown), shown
    assert "re-run of your cells without the tests" in seen["text"]
    assert "Test cell" not in seen["toc"] and "Your Net learns." in seen["toc"], seen["toc"]
