"""The feedback replay's bookkeeping (autograder/grading/replay.py), without kernels: which
autograded notebooks need a replay, what the replay runs (no test source), and which
cells get its outputs. The replay itself runs in scenarios/test_failclosed.py (an attack) and in
tests/exercises/test_vanishing_gradients.py (the plot)."""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.grading.job import TrustedCell
from autograder.grading.replay import REPLAY_LABEL, needs_replay, replay_job, replayed_outputs

PNG = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}


def _notebook(after_outputs: list) -> nbformat.NotebookNode:
    test = new_code_cell("assert f(2) == 4\n### BEGIN HIDDEN TESTS\nassert f(31337) == 31337 ** 2\n"
                         "### END HIDDEN TESTS", metadata={"nbgrader": {"grade_id": "test_f",
                                                                        "grade": True}})
    later = new_code_cell("show(f)", metadata={"autograder": {"after_hidden_tests": True}},
                          outputs=after_outputs)
    before = new_code_cell("def f(x):\n    return x * x", outputs=[new_output("display_data", data=PNG)])
    return new_notebook(cells=[new_markdown_cell("# f"), before, test, later])


def test_only_rich_outputs_after_hidden_tests_ask_for_a_replay():
    assert needs_replay(_notebook([new_output("display_data", data=PNG)]))
    assert needs_replay(_notebook([new_output("execute_result", data={"text/plain": "4"},
                                              execution_count=1)]))
    assert not needs_replay(_notebook([new_output("stream", name="stdout", text="31337")]))
    assert not needs_replay(_notebook([]))  # the figure before the hidden tests: no replay


def test_the_replay_runs_no_test_source_and_no_old_output():
    nb = _notebook([new_output("stream", name="stdout", text="saw 31337")])
    job = replay_job(nb, {"test_f": TrustedCell("test_f", nb.cells[2].source, 1.0)},
                     {"notebook_name": "f.ipynb", "resources": {}, "cell_timeout": 5,
                      "notebook_timeout": 10, "limits": {}, "sandbox": True, "config": {}})
    assert "31337" not in job.notebook and job.trusted_cells == {} and job.steps == ()
    assert "def f(x)" in job.notebook


def test_only_cells_after_hidden_tests_take_the_replays_outputs():
    graded = _notebook([new_output("display_data", data=PNG)])
    again = nbformat.from_dict(graded)
    again.cells[3].outputs = [new_output("stream", name="stdout", text="clean run")]
    assert replayed_outputs(graded, again) == {3: [
        {"output_type": "stream", "name": "stdout", "text": REPLAY_LABEL}, again.cells[3].outputs[0]]}
    again.cells.pop()
    assert replayed_outputs(graded, again) == {}  # not the same notebook: nothing is taken
