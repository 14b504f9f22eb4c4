"""Grades that student code cannot forge (issue 10): hand-ins built from the BLANK released
notebook plus one hostile cell, graded with the real `python -m autograder grade` (sandbox
on), each scoring exactly what the blank scores; hidden tests and the tests' private data
never reach an output or the feedback, not even base64-encoded."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from nbgrader.utils import compute_checksum

from agtools import decoded_base64, handin, outputs_text, run_cli, submit
from autograder.common import records
from autograder.demo import tiny_class as tiny
from autograder.preprocessors.feedback import split_hidden

pytestmark = pytest.mark.slow

NOT_SOLVED = "raise NotImplementedError()"

ATTACKS = {
    # rewriting the cells that run next
    "input_transformer": """
ip = get_ipython()
ip.input_transformers_cleanup.append(lambda lines: ['pass\\n'])
""",
    "ast_transformer": """
import ast
class DropAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
    def visit_Raise(self, node):  # the tests' raises, but not the stubs' placeholders
        if "NotImplementedError" in ast.unparse(node):
            return node
        return ast.Pass()
get_ipython().ast_transformers.append(DropAsserts())
""",
    "patched_run_cell": """
ip = get_ipython()
_orig = ip.run_cell_async
async def run_cell_async(raw_cell, *args, **kwargs):
    return await _orig('1', *args, **kwargs)
ip.run_cell_async = run_cell_async
ip.run_cell = lambda raw_cell, *a, **k: ip.__class__.run_cell(ip, '1', *a, **k)
""",
    # hiding failures
    "swallow_tracebacks_and_clear": """
from IPython.display import clear_output
ip = get_ipython()
ip.showtraceback = lambda *a, **k: None
ip.set_custom_exc((BaseException,), lambda *a, **k: None)
def _hide(result):
    clear_output()
    result.error_in_exec = None
ip.events.register('post_run_cell', _hide)
""",
    # a result before each test, through the kernel's own session
    "execute_result_via_session": """
import threading, time
ip = get_ipython()
kernel = ip.kernel
def _spam():
    while True:
        parent = kernel.get_parent('shell') if hasattr(kernel, 'get_parent') else kernel._parent_header
        kernel.session.send(kernel.iopub_socket, 'execute_result',
                            {'data': {'text/plain': '100'}, 'metadata': {}, 'execution_count': 1},
                            parent=parent)
        time.sleep(0.005)
threading.Thread(target=_spam, daemon=True).start()
ip.events.register('pre_run_cell', lambda info: ip.display_pub.publish({'text/plain': '2'}))
""",
    # the tests' helpers and numpy, faked in the student's process
    "redefine_helpers": """
class _Yes:
    def __getattr__(self, name):
        return lambda *a, **k: True
np = _Yes()
expose = lambda obj, *m: obj
class Log:
    pass
AssertionError = type('AssertionError', (Exception,), {})
import builtins
builtins.AssertionError = AssertionError
""",
    "monkeypatch_allclose": """
import numpy
numpy.allclose = lambda *a, **k: True
numpy.ndarray.__eq__ = lambda self, other: True
""",
    "lying_ndarray_subclass": """
import numpy as _np
class Liar(_np.ndarray):
    def __array_function__(self, func, types, args, kwargs):
        return True
    def __eq__(self, other):
        return True
    def __bool__(self):
        return True
def square(x):
    return _np.zeros(3).view(Liar)
def cube(x):
    return _np.zeros(3).view(Liar)
""",
    "settrace_rewrites_locals": """
import sys, ctypes
def _tracer(frame, event, arg):
    for name in list(frame.f_locals):
        if name not in ('_tracer',):
            frame.f_locals[name] = 9
            ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))
    return _tracer
sys.settrace(_tracer)
import threading
threading.settrace(_tracer)
""",
    # reading the hidden tests and handing them out, also base64-encoded
    "print_notebook_history_traceback": """
import base64, glob, traceback, sys
def square(x):
    for path in glob.glob('/handin/*') + glob.glob('/handin/.*'):
        try:
            text = open(path, errors='replace').read()
        except Exception as e:
            text = repr(e)
        print('FILE', path, text)
        print('B64', base64.b64encode(text.encode()).decode())
    print('IN', In)
    print('STACK', ''.join(traceback.format_stack()))
    try:
        raise RuntimeError('probe')
    except RuntimeError:
        print('TB', traceback.format_exc())
    for frame in sys._current_frames().values():
        print('FRAME', traceback.format_stack(frame))
    raise NotImplementedError()
try:  # once here, in its own cell: during a test cell with hidden tests nothing is shown
    square(0)
except NotImplementedError:
    pass
""",
    # reaching into the tests' objects through what they expose
    "walk_the_tests_objects": """
import sys
def square(x):
    found = []
    tries = [lambda: tests_log.secret(), lambda: tests_log.__class__,
             lambda: tests_log.note.__globals__, lambda: tests_log.note.__self__,
             lambda: type(tests_log).__dict__, lambda: tests_log._methods]
    for attempt in tries:
        try:
            found.append(repr(attempt()))
        except Exception as e:
            found.append(type(e).__name__)
    agent = [m for n, m in sys.modules.items() if n.endswith('channel.agent')][0]
    endpoint = agent._STATE.endpoint
    for op, args in [('call_method', [tests_log, 'secret', [], {}]),
                     ('call_method', [tests_log, '__getattribute__', ['secret'], {}]),
                     ('getattr', [tests_log, '__class__']), ('global', 'np'),
                     ('exec', 'import os')]:
        try:
            found.append(repr(endpoint.request(op, args)))
        except Exception as e:
            found.append(f'{type(e).__name__}: {e}')
    print('FOUND', found)
    raise NotImplementedError()
""",
    # a printed number is no partial credit
    "print_a_score": """
def square(x):
    print(2)
    print('{"output_type": "execute_result", "data": {"text/plain": "2"}}')
    raise NotImplementedError()
""",
}


def _blank_with(course, code: str, *, metadata: dict | None = None, at: int = 3):
    """The blank hand-in with one cell of `code` inserted at `at`; `metadata` makes it a
    trusted-looking nbgrader cell, checksum included (what a student can forge)."""
    nb = handin(course, {})
    cell = new_code_cell(code.strip())
    if metadata:
        cell.metadata["nbgrader"] = {"cell_type": "code", **metadata}
        cell.metadata["nbgrader"]["checksum"] = compute_checksum(cell)
    nb.cells.insert(at, cell)
    return nb


def _hidden_lines(course) -> list[str]:
    source = nbformat.read(course.source_notebook("tiny"), as_version=4)
    lines = []
    for cell in source.cells:
        _, hidden = split_hidden(cell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
        lines += [ln.strip() for ln in hidden if len(ln.strip()) >= 6]
    return lines


def test_attacks_from_the_blank_notebook_score_what_the_blank_scores(course):
    submit(course, "blank", handin(course, {}))
    submit(course, "correct", handin(course, tiny.CORRECT))
    for name, code in ATTACKS.items():
        submit(course, f"x_{name}", _blank_with(course, code))
    # a student cell dressed as a test helper / a test cell of its own
    submit(course, "x_fake_helper_cell", _blank_with(
        course, "def square(x):\n    return 9\ndef cube(x):\n    return 8",
        metadata={"grade": False, "solution": False, "locked": True, "grade_id": "test_x",
                  "schema_version": 3}))
    submit(course, "x_fake_helper_named_like_ours", _blank_with(
        course, "tests_log = None\nprint('I am the helpers')", at=2,
        metadata={"grade": False, "solution": False, "locked": True,
                  "grade_id": "test_helpers_2", "schema_version": 3}))
    submit(course, "x_duplicate_helper_id", _blank_with(
        course, "def square(x):\n    return 9\ndef cube(x):\n    return 8", at=1,
        metadata={"grade": False, "solution": False, "locked": True,
                  "grade_id": "test_helpers", "schema_version": 3}))
    done = run_cli(course, "grade", "tiny", "--workers", "2", "--cell-timeout", "20",
                   "--notebook-timeout", "120")
    assert done.returncode == 0, done.stderr[-3000:]

    students = ["blank", "correct"] + [f"x_{n}" for n in ATTACKS] + \
        ["x_fake_helper_cell", "x_fake_helper_named_like_ours"]
    rec = {s: records.load(course, "tiny", s) for s in students}
    # a second cell with an existing test grade_id: nbgrader's DeduplicateIds leaves it
    # without a schema version and sanitizing fails the hand-in (issue 11 makes such
    # hand-ins gradable); whichever way, it never earns more than the blank
    duplicate = records.load(course, "tiny", "x_duplicate_helper_id")
    assert duplicate["state"] == "failed" or duplicate["score"] == rec["blank"]["score"]
    assert rec["correct"]["score"] == 3.0      # the design still grades correct work
    blank_score = rec["blank"]["score"]
    forged = {s: r.get("score") for s, r in rec.items()
              if s.startswith("x_") and (r["state"] != "graded" or r["score"] != blank_score)}
    assert forged == {}, {s: rec[s] for s in forged}

    feedback = run_cli(course, "feedback", "tiny")
    assert feedback.returncode == 0, feedback.stderr[-2000:]
    secrets = [tiny.HIDDEN_MARKER, tiny.SECRET_MARKER] + _hidden_lines(course)
    for student in students:
        nb = nbformat.read(course.autograded(student, "tiny"), as_version=4)
        shown = outputs_text(nb)
        html = course.feedback(student, "tiny").read_text()
        for text in (shown, decoded_base64(shown), html, decoded_base64(html)):
            leaked = [s for s in secrets if s in text]
            assert leaked == [], (student, leaked)

    # the attacks did run (else this test proves nothing)
    outputs = {s: outputs_text(nbformat.read(course.autograded(s, "tiny"), as_version=4))
               for s in students}
    assert "FILE /handin/tiny.ipynb" in outputs["x_print_notebook_history_traceback"]
    assert "runs in the trusted grading process" in outputs["x_print_notebook_history_traceback"]
    # what it found is printed during test_square, which has hidden tests: not shown (the
    # refusals themselves: test_channel.test_student_code_reaches_only_the_exposed_methods)
    assert "FOUND" not in outputs["x_walk_the_tests_objects"]
    # what student code prints during a test cell with hidden tests is never shown
    assert "[your code's output while the test ran]" not in outputs["x_print_a_score"]


# --- the real assignment -----------------------------------------------------------------
GENERIC = ("input_transformer", "ast_transformer", "patched_run_cell",
           "swallow_tracebacks_and_clear", "execute_result_via_session",
           "monkeypatch_allclose", "settrace_rewrites_locals")
VG_ATTACKS = {
    "vg_redefine_helpers": """
_vg_fail = lambda *a, **k: None
_vg_call = lambda what, function, *a, **k: None
class _VGTestNet:
    pass
_VG_NET_METHODS = ()
""" + ATTACKS["redefine_helpers"],
    "vg_lying_grad_w": """
import numpy as _np
class Liar(_np.ndarray):
    def __array_function__(self, func, types, args, kwargs):
        return True
    def __eq__(self, other):
        return True
grad_w = _np.zeros((11, 100)).view(Liar)
""",
}
VG_LEAK = """
import base64, glob
for path in glob.glob('/handin/*'):
    text = open(path, errors='replace').read()
    print('FILE', path, text)
    print('B64', base64.b64encode(text.encode()).decode())
print('IN', In)
"""


def test_attacks_on_vanishing_gradients_score_what_its_blank_scores(tmp_path):
    from autograder.commands.release import release
    from autograder.common.course import REPO, Course
    course = Course(root=tmp_path / "course", source=REPO / "solutions",
                    release=tmp_path / "release")
    release(course, ["vanishing_gradients"])
    blank = nbformat.read(course.release_folder("vanishing_gradients")
                          / "vanishing_gradients.ipynb", as_version=4)
    first_code = next(i for i, c in enumerate(blank.cells) if c.cell_type == "code")

    def hand_in(student, code, at):
        nb = nbformat.from_dict(blank)
        nb.cells.insert(at, new_code_cell(code.strip()))
        path = course.submitted(student, "vanishing_gradients")
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)

    hand_in("blank", "pass", first_code + 1)
    for name in GENERIC:
        hand_in(f"x_{name}", ATTACKS[name], first_code + 1)
    for name, code in VG_ATTACKS.items():
        hand_in(f"x_{name}", code, len(blank.cells) - 1)  # after the student's last cell
    hand_in("x_vg_leak", VG_LEAK, len(blank.cells))
    done = run_cli(course, "grade", "vanishing_gradients", "--workers", "2",
                   "--cell-timeout", "60", "--notebook-timeout", "300", timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    students = ["blank", *(f"x_{n}" for n in GENERIC), *(f"x_{n}" for n in VG_ATTACKS),
                "x_vg_leak"]
    rec = {s: records.load(course, "vanishing_gradients", s) for s in students}
    forged = {s: r for s, r in rec.items()
              if r["state"] != "graded" or r["score"] != rec["blank"]["score"]}
    assert forged == {}, forged

    feedback = run_cli(course, "feedback", "vanishing_gradients", timeout=900)
    assert feedback.returncode == 0, feedback.stderr[-2000:]
    source = nbformat.read(course.source_notebook("vanishing_gradients"), as_version=4)
    hidden = []
    for cell in source.cells:
        hidden += [ln.strip() for ln in split_hidden(cell.source, "BEGIN HIDDEN TESTS",
                                                     "END HIDDEN TESTS")[1]
                   if len(ln.strip()) >= 12 and not ln.strip().startswith("#")]
    visible = "\n".join(c.source for c in blank.cells)
    hidden = [line for line in hidden if line not in visible]  # also written visibly: fine
    assert hidden, "vanishing_gradients should have hidden tests"
    for student in students:
        shown = outputs_text(nbformat.read(course.autograded(student, "vanishing_gradients"),
                                           as_version=4))
        html = course.feedback(student, "vanishing_gradients").read_text()
        for text in (shown, decoded_base64(shown), html, decoded_base64(html)):
            leaked = [line for line in hidden if line in text]
            assert leaked == [], (student, leaked[:3])
    leak_out = outputs_text(nbformat.read(course.autograded("x_vg_leak", "vanishing_gradients"),
                                          as_version=4))
    assert "FILE /handin/vanishing_gradients.ipynb" in leak_out   # the attack did run
