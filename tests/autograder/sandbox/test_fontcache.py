"""The warm font list: staged into a hand-in's scratch folder, and the sandboxed kernel's
matplotlib reads it instead of searching the fonts again (it would rewrite the file)."""

from agtools import handin, submit
from autograder.demo import tiny_class as tiny
from autograder.grading.grader import GradeOptions, Grader
from autograder.sandbox import fontcache
from autograder.worker.handin import execute_handin


def test_stage_copies_the_font_list(tmp_path):
    import matplotlib.font_manager  # noqa: F401  (loads or writes this process's list)
    assert fontcache.stage(tmp_path)
    staged = tmp_path / fontcache.FOLDER / fontcache.font_list().name
    assert staged.read_bytes() == fontcache.font_list().read_bytes()


def test_the_sandboxed_kernel_uses_the_staged_list(course):
    probe = ("import os, matplotlib, matplotlib.font_manager as fm\n"
             "print('CACHEDIR', matplotlib.get_cachedir(), os.environ['MPLCONFIGDIR'])\n")
    submit(course, "ada", handin(course, {"square": tiny.CORRECT["square"] + "\n" + probe}))
    job = Grader(course, "tiny", GradeOptions(workers=1, quiet=True)).prepare("ada")
    out = execute_handin(job)
    assert out.error is None, out.error
    assert "CACHEDIR /handin/.matplotlib /handin/.matplotlib" in out.notebook
