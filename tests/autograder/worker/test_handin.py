"""worker/handin.py's pure helpers, nbgrader-style unit tests beside the end-to-end ones: how a
dead kernel's exit status becomes the reason in the record, and which limit errors in the
outputs are named."""
import signal

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.sandbox.bubblewrap import Limits
from autograder.worker.handin import _exit_reason, _mark_unexecuted, _problems_in_outputs

LIMITS = Limits(cpu_seconds=42)


def test_the_deadline_is_named_before_any_exit_status():
    assert _exit_reason(-9, True, LIMITS, 7) == "notebook timeout: still running after 7 s, killed"


def test_a_signal_is_named_whether_the_status_is_negative_or_128_plus():
    for status in (-signal.SIGSEGV, 128 + signal.SIGSEGV):
        assert _exit_reason(status, False, LIMITS, 900) == "kernel killed by signal SIGSEGV"


def test_sigxcpu_names_the_cpu_limit_and_sigkill_memory_or_a_kill():
    assert "CPU time limit (42 s)" in _exit_reason(-signal.SIGXCPU, False, LIMITS, 900)
    assert "memory exhaustion or an explicit kill" in _exit_reason(137, False, LIMITS, 900)


def test_an_ordinary_exit_and_an_unknown_status_are_told_apart():
    assert "exited by itself with status 3" in _exit_reason(3, False, LIMITS, 900)
    assert _exit_reason(None, False, LIMITS, 900) == "kernel died (exit status unknown)"


def test_cells_that_never_ran_get_an_error_so_they_cannot_pass():
    nb = new_notebook(cells=[new_code_cell("a = 1"), new_code_cell("assert a")])
    assert _mark_unexecuted(nb, {0}, "kernel died") == 1
    assert nb.cells[0].get("outputs", []) == []
    assert nb.cells[1].outputs[-1].output_type == "error"
    assert "this cell did not run" in nb.cells[1].outputs[-1].traceback[0]


def test_timeouts_and_memory_errors_in_outputs_are_named_with_their_cell():
    cell = new_code_cell("x = [0] * 10**12")
    cell.metadata["nbgrader"] = {"grade_id": "square"}
    cell.outputs = [new_output("error", ename="MemoryError", evalue="", traceback=[])]
    other = new_code_cell("while True: pass")
    other.id = "loop-cell"
    other.outputs = [new_output("error", ename="CellTimeoutError", evalue="", traceback=[])]
    nb = nbformat.v4.new_notebook(cells=[cell, other])
    assert _problems_in_outputs(nb, 512) == ["memory limit (512 MB) hit in cell square",
                                             "cell timeout in cell loop-cell"]
