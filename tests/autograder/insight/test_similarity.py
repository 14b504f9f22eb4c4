"""`python -m autograder similarity`: copies are found, independent work is not.

- unit: the normalisation is copydetect's; renaming, reordering and rewording comments
  keep every fingerprint; starter code is subtracted (blank hand-ins score nothing);
- real data: each assignment's reference answers, its independent second implementation
  (tests/exercises) and a planted, disguised copy of the reference: only the copy is
  flagged, ranked first;
- end to end: the CLI on a class collected with `collect` (tiny's insight class);
- the HTML view in headless Chromium, network blocked, at 390 px.
"""
import importlib
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from agtools import run_cli
from autograder.common.course import REPO, Course
from autograder.common.errors import UsageError
from autograder.demo import tiny_class as tiny
from autograder.insight import similarity as sim
from autograder.insight.disguise import disguise, edit
from autograder.insight.fingerprints import cell_print, matched_spans, normalise, pieces
from autograder.insight.similarity_html import write_html

CHROMIUM = "/usr/bin/chromium"
REAL = ("activations", "deeper_networks", "gated_units", "grokking_mnist", "initialization",
        "vanishing_gradients")

TWO_FUNCTIONS = '''import numpy as np


def smooth(values, width=3):
    """Moving average."""
    kernel = np.ones(width) / width  # box filter
    padded = np.pad(values, width // 2, mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def peaks(values, threshold=0.5):
    found = []
    for index in range(1, len(values) - 1):
        if values[index] > threshold and values[index - 1] < values[index] >= values[index + 1]:
            found.append(index)
    return found
'''


def test_normalisation_is_copydetects_on_every_piece():
    """Each top-level piece is normalised exactly as copydetect's filter_code does."""
    from copydetect.utils import filter_code
    codes = [TWO_FUNCTIONS, *tiny.ALICE.values(), *tiny.BOB.values()]
    for code in codes:
        for start, end in pieces(code):
            piece = code[start:end]
            assert normalise(piece).text == filter_code(piece, "x.py", language="python")[0]


def test_renaming_reordering_and_comments_keep_every_fingerprint():
    rng = np.random.default_rng(3)
    disguised = disguise(TWO_FUNCTIONS, rng)
    assert "kernel" not in disguised and "box filter" not in disguised          # renamed
    assert disguised.index("def peaks") < disguised.index("def smooth")          # reordered
    original, copy = cell_print("c", TWO_FUNCTIONS, set()), cell_print("c", disguised, set())
    assert len(original.where) >= 10
    assert copy.where.keys() == original.where.keys()
    # the check can fail: a real change of the code changes fingerprints
    changed = TWO_FUNCTIONS.replace("values[index - 1] < values[index]", "values[index] > 0")
    assert cell_print("c", changed, set()).where.keys() != original.where.keys()


def test_the_marked_spans_are_the_code_not_the_comments():
    cell = cell_print("c", TWO_FUNCTIONS, set())
    copy = cell_print("c", disguise(TWO_FUNCTIONS, np.random.default_rng(1)), set())
    marked = [cell.source[a:b] for a, b in matched_spans(cell, copy)]
    assert "return np.convolve(padded, kernel, mode=\"valid\")" in "".join(marked)
    assert not any("box filter" in text or "import numpy" in text for text in marked)
    assert all(text == text.strip() for text in marked)


def _class(tmp_path: Path, assignment: str, handins: dict) -> Course:
    """A course reading the repo's solutions/ and exercises/, with `handins` submitted."""
    course = Course(root=tmp_path / "course", source=REPO / "solutions",
                    release=REPO / "exercises")
    for student, nb in handins.items():
        path = course.submitted(student, assignment)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
    return course


def test_starter_code_is_subtracted(tmp_path):
    """Two hand-ins left as released share all their code, and score nothing."""
    from exercises.harness import student_version
    blank = student_version("activations")
    course = _class(tmp_path, "activations", {"ann": blank, "ben": blank})
    report = sim.similarity(course, "activations", threshold=0.01)
    assert report.pairs == [] and report.candidates == 0
    assert all(not h.fingerprints for h in report.prints.values())
    # the check can fail: without the subtraction both blank hand-ins have fingerprints
    starter_cell = next(c.source for c in blank.cells if c.cell_type == "code"
                        and c.metadata.get("nbgrader", {}).get("grade_id") == "sigmoid_tanh")
    assert cell_print("sigmoid_tanh", starter_cell, set()).where


def _independent(assignment: str) -> dict:
    """The second implementation of the assignment's suite, written independently of the
    reference: {grade_id: source}."""
    if assignment == "vanishing_gradients":
        handins = importlib.import_module("exercises.vg_handins")
        return {"optimizer": handins.SECOND_OPTIMIZER, "net": handins.SECOND_NET,
                "plot_grad_w": handins.SECOND_PLOT}
    return importlib.import_module(f"exercises.test_{assignment}").ALTERNATIVE


@pytest.mark.parametrize("assignment", REAL)
def test_real_assignments_flag_the_planted_copy_only(tmp_path, assignment):
    from exercises.harness import answer_cells, fill_solution, solution_handin, student_version
    reference, blank = solution_handin(assignment), student_version(assignment)
    rng = np.random.default_rng(0)
    copy = fill_solution(reference, {
        grade_id: edit(disguise(reference.cells[i].source, rng), rng, 1)
        for grade_id, i in answer_cells(reference).items() if reference.cells[i].cell_type == "code"})
    second = fill_solution(blank, _independent(assignment))
    course = _class(tmp_path, assignment, {"ref": reference, "second": second, "copy": copy,
                                           "blank": blank, "blank2": blank})
    report = sim.similarity(course, assignment)
    assert [(p.a, p.b) for p in report.pairs] == [("copy", "ref")], sim.format_report(report)
    assert report.pairs[0].score >= 0.7
    low = sim.similarity(course, assignment, threshold=0.01)
    scores = {(p.a, p.b): p.score for p in low.pairs}
    assert scores.get(("ref", "second"), 0) < 0.1, scores
    assert report.prints["second"].size >= 10          # the second has code to compare


def test_cli_on_a_collected_class(course, tmp_path):
    folder = tmp_path / "downloads"
    tiny.insight_class(course, folder)
    assert run_cli(course, "collect", "tiny", str(folder)).returncode == 0
    html = tmp_path / "report" / "similarity.html"
    done = run_cli(course, "similarity", "tiny", "--html", str(html))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["rank", "score"]
    assert lines[1].split()[2:4] == list(tiny.COPY_PAIR), done.stdout   # ranked first
    assert not any(line.split()[0].isdigit() for line in lines[2:]), done.stdout  # alone
    assert lines[-1].startswith("tiny: 7 hand-in(s), 21 pair(s)"), done.stdout
    assert "1 flagged at score >= 0.50" in lines[-1]
    assert "skipped grace: tiny.ipynb: not a readable notebook" in done.stdout
    assert html.is_file() and str(html) in done.stderr
    low = run_cli(course, "similarity", "tiny", "--threshold", "0.05")
    assert "bob" not in low.stdout.split("tiny:")[0], low.stdout      # independent: not flagged


def test_clear_errors(course):
    unknown = run_cli(course, "similarity", "nope")
    assert unknown.returncode == 2 and "unknown assignment id 'nope'" in unknown.stderr
    nothing = run_cli(course, "similarity", "tiny")
    assert nothing.returncode == 2 and "no hand-ins of 'tiny' collected" in nothing.stderr
    bad = run_cli(course, "similarity", "tiny", "--threshold", "1.5")
    assert bad.returncode == 2 and "must be a number in (0, 1]" in bad.stderr
    tiny.insight_class(course)
    folder = run_cli(course, "similarity", "tiny", "--html", str(course.root))
    assert folder.returncode == 2 and "cannot write it" in folder.stderr, folder.stderr
    with pytest.raises(UsageError, match="threshold"):
        sim.similarity(course, "tiny", threshold=0)


def test_a_handin_without_answer_cells_is_named(course):
    """A notebook whose nbgrader metadata is gone cannot be compared: it is listed as
    skipped, with the reason, instead of silently scoring nothing."""
    tiny.insight_class(course)
    path = course.submitted("mallory", "tiny")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    nbformat.write(nb, path)
    odd = json.loads(course.submitted("bob", "tiny").read_text())  # metadata of odd types
    odd["cells"][1]["metadata"] = []
    odd["cells"][2]["metadata"] = {"nbgrader": {"grade_id": ["square"]}}
    odd["cells"].append("not a cell")
    course.submitted("bob", "tiny").write_text(json.dumps(odd))
    report = sim.similarity(course, "tiny")
    assert "no answer cell" in report.skipped["mallory"] and "square, cube" in report.skipped["mallory"]
    assert "bob" in report.prints
    assert report.pairs == []
    assert "skipped mallory: tiny.ipynb: no answer cell" in sim.format_report(report)


def test_hostile_cells_neither_crash_nor_stall_the_run(course):
    """Nesting that overflows Python's parser, and a cell of megabytes: the run goes on,
    the huge cell is compared up to MAX_CELL_CHARS and the report says so."""
    tiny.insight_class(course)
    path = course.submitted("bob", "tiny")
    nb = nbformat.read(path, as_version=4)
    tiny.answer(nb, "square", "1+" * 200_000 + "1")
    tiny.answer(nb, "cube", tiny.ALICE["cube"] + "\nDATA = [" + "0.5, " * 400_000 + "]")
    nbformat.write(nb, path)
    report = sim.similarity(course, "tiny")
    assert report.seconds < 30, report.seconds
    assert "note bob: only the first 50000 characters of cube, square compared" in sim.format_report(report)
    assert [(p.a, p.b) for p in report.pairs][:1] == [tiny.COPY_PAIR]


def test_a_handin_is_never_modified(course, tmp_path):
    tiny.insight_class(course)
    before = {p: p.read_bytes() for p in (course.root / "submitted").rglob("*") if p.is_file()}
    report = sim.similarity(course, "tiny")
    write_html(report, tmp_path / "out.html")
    after = {p: p.read_bytes() for p in (course.root / "submitted").rglob("*") if p.is_file()}
    assert before == after and len(before) == 8


def test_progress_bar_on_stderr_for_big_classes(course, capsys):
    tiny.insight_class(course)
    source = course.submitted("alice", "tiny").read_text()
    for i in range(sim.PROGRESS_OVER + 1):
        path = course.submitted(f"s{i:03d}", "tiny")
        path.parent.mkdir(parents=True)
        path.write_text(source)
    report = sim.similarity(course, "tiny")
    n = len(tiny.INSIGHT_KINDS) + sim.PROGRESS_OVER + 1
    assert f"fingerprinting: 100%|██████████| {n}/{n}" in capsys.readouterr().err
    assert len(report.prints) == n - 1 and list(report.skipped) == ["grace"]
    # 53 copies of alice's code: an idiom of the class now, too common to flag anyone
    assert report.common == int(sim.COMMON_FRACTION * (n - 1)) < 53
    assert report.pairs == []
    # the check can fail: in a class of 8, alice's copy is flagged
    small = sim.similarity(course, "tiny", progress=False, students=list(tiny.INSIGHT_KINDS))
    assert [(p.a, p.b) for p in small.pairs] == [tiny.COPY_PAIR]


@pytest.mark.slow
def test_html_view_in_chromium_offline_at_390_px(course, tmp_path):
    from playwright.sync_api import sync_playwright
    tiny.insight_class(course)
    page_path = write_html(sim.similarity(course, "tiny"), tmp_path / "similarity.html")
    assert "<script" not in page_path.read_text()
    requested = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})

            def block(route):
                requested.append(route.request.url)
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    route.abort()
            page.route("**/*", block)
            page.goto(page_path.as_uri(), wait_until="load")
            seen = page.evaluate("""() => ({
                width: document.documentElement.scrollWidth,
                captions: [...document.querySelectorAll('#pair-1 figcaption')].map(e => e.textContent),
                marks: [...document.querySelectorAll('#pair-1 figure')].map(f => f.querySelectorAll('mark').length),
                right: Math.max(...[...document.querySelectorAll('figure, table, h2')].map(e => e.getBoundingClientRect().right)),
                text: document.body.innerText})""")
        finally:
            browser.close()
    assert requested == [page_path.as_uri()]                      # nothing from the network
    assert seen["width"] <= 390 and seen["right"] <= 390, seen    # no sideways scrolling
    assert seen["captions"] == ["alice", "mallory"] * 2, seen     # both sides, both cells
    assert all(n > 0 for n in seen["marks"]), seen                # matches marked on each side
    assert "def _to_floats(vals)" in seen["text"] and "def _as_float_array(values)" in seen["text"]
    assert "1 flagged at score" in seen["text"]


def test_report_is_reproducible(course):
    """The same class gives the same scores in another process (no salted hash())."""
    tiny.insight_class(course)
    outputs = [run_cli(course, "similarity", "tiny", "--threshold", "0.01").stdout
               for _ in range(2)]
    strip = [out.rsplit(",", 1)[0] for out in outputs]   # the closing seconds differ
    assert strip[0] == strip[1] and "alice" in strip[0]
