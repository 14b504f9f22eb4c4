"""Issue 19: grades that fail closed. Hand-ins built from the BLANK released notebook of a
real assignment (or from its correct solution) plus hostile cells, graded with the real
`python -m autograder grade` and `feedback` (sandbox on):

- the kernel made unusable for exactly the tests' helper cell (get_ipython broken for
  that one execution, restored after), or the channel agent's entry point swapped once
  through an import hook, or a graded test cell skipped the same way, each with every
  name the tests define planted as a yes-man in the student's globals: they score what
  the blank scores and are marked for review;
- a kernel whose replies carry a poisoned array header: marked for review, no points
  from it;
- a correct hand-in whose kernel records every argument its functions receive, prints
  them during and after the tests and raises errors carrying them: full marks, and none
  of the hidden tests' input values, configurations or strings in its feedback, also
  base64-encoded;
- the same recording hand-in drawing what it recorded into a figure after the hidden
  tests (as text in the picture and in the PNG's metadata): the autograded notebook
  (the instructor's) has it, the student's feedback shows the replay's figure instead
  (the student's cells re-run without tests), which carries none of them.

The notebooks are built at test time from whatever the assignments hold now (their
tests are being rewritten), so the attacks follow the names the tests define."""
import ast

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from agtools import BREAK_NEXT_EXECUTION, decoded_base64, outputs_text, run_cli
from autograder.commands.release import release
from autograder.common import records
from autograder.common.course import REPO, Course
from autograder.grading.grader import trusted_cells
from autograder.grading.names import bound_names
from autograder.runner import segments

pytestmark = pytest.mark.slow

YES_MEN = """
class _Yes:
    def __call__(self, *a, **k):
        return self
    def __getattr__(self, name):
        return self
    def __getitem__(self, key):
        return self
    def __iter__(self):
        return iter([self, self])
    def __bool__(self):
        return True
    def __eq__(self, other):
        return True
    def __float__(self):
        return 1.0
for _name in {names!r}:
    globals()[_name] = _Yes()
"""
SWAP_AGENT_ONCE = """
import sys, importlib.abc, importlib.util
class _Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if not name.endswith('channel.agent'):
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            real, calls = module.serve, [0]
            def serve(path, namespace):
                calls[0] += 1
                return None if calls[0] == 1 else real(path, namespace)
            module.serve = serve
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, _Hook())
"""
POISON_ARRAYS = """
import sys
def _enc_array(a, buffers):
    buffers.append(b"")
    return {"$a": len(buffers) - 1, "dt": "<f8", "sh": [2**40, 2**40, 0]}
for _name, _module in list(sys.modules.items()):
    if _name.endswith('channel.protocol'):
        _module.Codec._enc_array = staticmethod(_enc_array)
"""
RECORDER = """
import base64 as _b64, builtins as _bi, functools as _ft, inspect as _insp
if not hasattr(_bi, '_SAW'):
    _bi._SAW = []
def _rec_wrap(f, name, method):
    @_ft.wraps(f)
    def wrapper(*a, **k):
        shown = f"{name}{(a[1:] if method else a)!r}{k!r}"[:300]
        _bi._SAW.append(shown)
        if len(_bi._SAW) < 400:
            print('SAW', shown)
        try:
            return f(*a, **k)
        except Exception as error:
            raise type(error)(f"{error} SAW-ALL {_bi._SAW[-30:]!r}") from None
    wrapper._rec = True
    return wrapper
for _n, _v in list(globals().items()):
    if _n.startswith('_') or getattr(_v, '_rec', False):
        continue
    if _insp.isfunction(_v) and _v.__module__ == '__main__':
        globals()[_n] = _rec_wrap(_v, _n, False)
    elif _insp.isclass(_v) and _v.__module__ == '__main__' and '_rec' not in vars(_v):
        for _m, _f in list(vars(_v).items()):
            if _insp.isfunction(_f):
                setattr(_v, _m, _rec_wrap(_f, f'{_n}.{_m}', True))
        _v._rec = True
_ALL = [_s[:150] for _s in _bi._SAW[-3000:]]
print('LOG', _ALL)
print('B64', _b64.b64encode(repr(_ALL).encode()).decode())
"""

FIGURE_RECORDER = """
import builtins as _bi, io as _io
import matplotlib.pyplot as _plt
from IPython.display import Image as _Image, display as _display
_seen = repr([_s[:150] for _s in getattr(_bi, '_SAW', [])][-3000:])
_fig = _plt.figure(figsize=(6, 3))
_fig.text(0.01, 0.5, _seen[-400:], fontsize=4, wrap=True)
_buf = _io.BytesIO()
_fig.savefig(_buf, format='png', metadata={'Description': _seen})
_display(_Image(data=_buf.getvalue()))  # the text drawn, and in the PNG's tEXt chunk
_plt.show()                             # the same figure through the inline backend
"""


def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


class Assignment:
    """The real assignment `aid` released into a throw-away course, and hand-ins of it."""

    def __init__(self, tmp_path, aid):
        self.aid = aid
        self.course = Course(root=tmp_path / "course", source=REPO / "solutions",
                             release=tmp_path / "release")
        release(self.course, [aid])
        self.blank = nbformat.read(self.course.release_folder(aid) / f"{aid}.ipynb", as_version=4)
        self.source = nbformat.read(self.course.source_notebook(aid), as_version=4)
        self.trusted = trusted_cells(self.source)
        tests_bind = set().union(*(bound_names(c.source) or set() for c in self.trusted.values()))
        kernel_bind = set().union(*(bound_names(c.source) or set() for c in self.blank.cells
                                    if c.cell_type == "code" and _gid(c) not in self.trusted))
        self.fakes = sorted(tests_bind - kernel_bind - {"get_ipython"})
        self.points = sum(c.points or 0 for c in self.trusted.values())

    def correct(self):
        answers = {_gid(c): c.source for c in self.source.cells
                   if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
        nb = nbformat.from_dict(self.blank)
        for cell in nb.cells:
            if _gid(cell) in answers:
                cell.source = answers[_gid(cell)]
        return nb

    def index(self, graded: bool) -> int:
        """The first trusted cell (graded: the first graded test cell) of the hand-in."""
        return next(i for i, c in enumerate(self.blank.cells) if _gid(c) in self.trusted
                    and (not graded or self.trusted[_gid(c)].points is not None))

    def submit(self, student, nb, inserts=()):
        """`nb` with cells of code inserted before index (applied from the end)."""
        nb = nbformat.from_dict(nb)
        for at, code in sorted(inserts, key=lambda pair: -pair[0]):
            nb.cells.insert(at, new_code_cell(code.strip()))
        path = self.course.submitted(student, self.aid)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)

    def hidden_secrets(self) -> set[str]:
        """Literal values of the hidden segments: strings of 12+ characters, floats of 5+
        characters, and the argument tuples of calls with 2+ literal arguments (as a
        recording student function would print them)."""
        found = set()
        for cell in self.trusted.values():
            for segment in segments.split(cell.source):
                if segment.hidden:
                    found |= _literals(segment.tree)
        return found


def _literals(tree) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                len(node.value.strip()) >= 12:
            found.add(node.value.strip())
        elif isinstance(node, ast.Constant) and isinstance(node.value, float) and \
                len(repr(node.value)) >= 5:
            found.add(repr(node.value))
        elif isinstance(node, ast.Call) and len(node.args) >= 2:
            try:
                found.add(repr(tuple(ast.literal_eval(a) for a in node.args)))
            except ValueError:
                pass
    return found


@pytest.mark.parametrize("aid", ["vanishing_gradients", "activations"])
def test_hostile_kernels_score_what_the_blank_scores_and_are_marked_for_review(tmp_path, aid):
    a = Assignment(tmp_path, aid)
    helper, graded = a.index(graded=False), a.index(graded=True)
    fakes = YES_MEN.format(names=a.fakes)
    a.submit("blank", a.blank)
    a.submit("correct", a.correct())
    a.submit("x_helper_unserved", a.blank, [(helper, fakes + BREAK_NEXT_EXECUTION)])
    a.submit("x_agent_swapped_once", a.blank, [(helper, fakes + SWAP_AGENT_ONCE)])
    a.submit("x_graded_cell_unserved", a.blank, [(graded, fakes + BREAK_NEXT_EXECUTION)])
    a.submit("x_poisoned_arrays", a.correct(), [(helper + 1, POISON_ARRAYS)])
    solution_ends = [i + 1 for i, c in enumerate(a.blank.cells)
                     if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    a.submit("x_recorder", a.correct(), [(i, RECORDER) for i in solution_ends]
             + [(len(a.blank.cells), RECORDER)])
    a.submit("x_figure", a.correct(), [(i, RECORDER) for i in solution_ends]
             + [(len(a.blank.cells), RECORDER + FIGURE_RECORDER)])
    done = run_cli(a.course, "grade", aid, "--workers", "2", "--cell-timeout", "60",
                   "--notebook-timeout", "400", timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    rec = {p.stem: records.load(a.course, aid, p.stem)
           for p in a.course.status_dir(aid).glob("*.json")}
    assert all(r["state"] == "graded" for r in rec.values()), rec
    blank, correct = rec["blank"]["score"], rec["correct"]["score"]
    assert correct == a.points and blank < correct
    assert not rec["blank"].get("needs_review") and not rec["correct"].get("needs_review")
    attacks = ("x_helper_unserved", "x_agent_swapped_once", "x_graded_cell_unserved")
    forged = {s: rec[s]["score"] for s in attacks if rec[s]["score"] != blank}
    assert forged == {}, (blank, forged)
    for student in attacks:
        assert any("did not serve" in r for r in rec[student].get("needs_review", [])), rec[student]
    poisoned = rec["x_poisoned_arrays"]
    assert poisoned["score"] < correct and poisoned.get("needs_review"), poisoned
    assert rec["x_recorder"]["score"] == correct and not rec["x_recorder"].get("needs_review")
    status = run_cli(a.course, "status", aid)
    assert "NEEDS REVIEW" in status.stdout and "x_poisoned_arrays" in status.stdout

    feedback = run_cli(a.course, "feedback", aid, timeout=900)
    assert feedback.returncode == 0, feedback.stderr[-2000:]
    html = {s: a.course.feedback(s, aid).read_text() for s in rec}
    assert "needs your instructor" in html["x_helper_unserved"]
    assert "needs your instructor" not in html["correct"]
    visible = html["blank"] + html["correct"] + "\n".join(c.source for c in a.blank.cells)
    secrets = {s for s in a.hidden_secrets() if s not in visible}
    seen = outputs_text(nbformat.read(a.course.autograded("x_recorder", aid), as_version=4))
    saw = [s for s in secrets if s in seen or s in decoded_base64(seen)]
    assert saw, "the recording kernel should have seen hidden inputs (else this proves nothing)"
    # the figure drawn after the hidden tests carries them for the instructor (trusted);
    # the student's page shows the replay's figure instead (grading/replay.py)
    figure_nb = nbformat.read(a.course.autograded("x_figure", aid), as_version=4)
    drawn = decoded_base64("\n".join(out["data"]["image/png"] for out in figure_nb.cells[-1].outputs
                                     if "image/png" in out.get("data", {})))
    assert [s for s in secrets if s in drawn], "the figure should carry hidden inputs"
    assert "re-run of your cells without the tests" in html["x_figure"]
    assert html["x_figure"].count("data:image/png") > html["x_recorder"].count("data:image/png")
    for student, page in html.items():
        for text in (page, decoded_base64(page)):
            leaked = [s for s in secrets if s in text]
            assert leaked == [], (student, leaked[:5])
