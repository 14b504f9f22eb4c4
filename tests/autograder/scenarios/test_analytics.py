"""`python -m autograder analytics`: the generated insight class (tiny.insight_class, plus
a hand-in whose kernel does not serve a test: marked for review) is graded with the real
`grade`, on SQLite and on PostgreSQL; analytics' pass rates, points
and failure groups are checked against what the gradebook API, the autograded notebooks
and the status records hold (read here independently); its HTML report is opened in
headless Chromium with the network blocked."""
import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from agtools import cli_env, handin, submit
from autograder.commands.release import release
from autograder.common.course import REPO, Course
from autograder.common.errors import UsageError
from autograder.demo import tiny_class as tiny
from autograder.insight.analytics import analyse, failure_group, hidden_group, normalise
from autograder.insight.testnames import test_title, words
from servers import postgres, postgres_bin

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TESTS = ("test_square", "test_cube")
# the kernel cannot serve the next execution, the test's (test_failclosed's attack)
BREAK_NEXT_EXECUTION = """
_ip = get_ipython()
_calls = [0]
def _restore():
    _calls[0] += 1
    if _calls[0] == 2:  # 1: this cell; 2: the next execution, the tests' cell
        globals().pop('get_ipython', None)
        _ip.events.unregister('post_execute', _restore)
_ip.events.register('post_execute', _restore)
def get_ipython():
    raise RuntimeError('not for this cell')
"""
# what each kind of hand-in must show (the class is built to give exactly this)
GROUPS = {("carol", "test_square"): "(hidden) AssertionError: hidden-check-7f3a9c: negative inputs",
          ("dave", "test_cube"): "AssertionError: cube(N) should be N",
          ("erin", "test_square"): "NotImplementedError",
          ("erin", "test_cube"): "NotImplementedError",
          ("frank", "test_square"): "NameError",
          ("zed", "test_square"): "ChannelError"}


# --- units -------------------------------------------------------------------------------
def test_normalise_numbers_quotes_and_whitespace():
    assert normalise("x[3] = -0.5e-3,  'a'\n\"b\" 1.") == "x[N] = N, a b N"
    assert normalise("hidden-check-7f3a9c layer2 v1.2") == "hidden-check-7f3a9c layer2 v1.2"
    assert failure_group("AssertionError", "sigmoid(x)[2] is 0.1, expected 0.12\nmore") == \
        "AssertionError: sigmoid(x)[N] is N, expected N"
    assert failure_group("AssertionError", "") == "AssertionError"
    assert failure_group("NameError", "name 'relu' is not defined") == "NameError"
    assert hidden_group("test_relu: ValueError: bad 3 |   (in the test cell, line 4)") == \
        "(hidden) ValueError"


def test_title_from_docstring_comment_or_grade_id_never_from_hidden_tests():
    assert test_title('"""relu: values at 7 points.\n\nMore."""\nx = 1', "test_relu") == \
        "relu: values at 7 points."
    assert test_title("# d_relu: 1 for x > 0. Then\n# more\ncheck()", "test_d_relu") == \
        "d_relu: 1 for x > 0."
    hidden = "### BEGIN HIDDEN TESTS\n# the secret answer is 42\nassert f() == 42\n### END HIDDEN TESTS"
    assert test_title(hidden, "test_d_prelu_dx") == "D prelu dx" == words("test_d_prelu_dx")
    assert len(test_title("# " + "word " * 60, "t")) <= 100


# --- the graded class --------------------------------------------------------------------
def _cli(course: Course, db_url: str | None, *args: str) -> subprocess.CompletedProcess:
    env = cli_env(course)
    if db_url:
        env["AUTOGRADER_DB_URL"] = db_url
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def _graded_class(base: Path, db_url: str | None = None, template: Course | None = None) -> Course:
    """The insight class graded with `grade`; in a copy of the released `template` course
    (SQLite) or released here."""
    if template is not None:
        shutil.copytree(template.root.parent, base, dirs_exist_ok=True)
    course = Course(root=base / "course", source=base / "source", release=base / "release",
                    db=db_url)
    if template is None:
        tiny.write_source(course.source)
        release(course, ["tiny"])
    with pytest.raises(UsageError, match="nothing graded yet for 'tiny'"):
        analyse(course, "tiny", progress=False)
    assert set(tiny.insight_class(course)) == set(tiny.INSIGHT_KINDS)
    # and one whose kernel does not serve test_square: graded, marked for review
    submit(course, "zed", handin(course, {**tiny.CORRECT, "square": tiny.CORRECT["square"]
                                          + "\n" + BREAK_NEXT_EXECUTION}))
    graded = _cli(course, db_url, "grade", "tiny", "--workers", "2", "--cell-timeout", "30")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    return course


def _analytics(course: Course, db_url: str | None, out: Path) -> subprocess.CompletedProcess:
    """`analytics tiny --csv out/analytics.csv --html out/report.html`, checked to succeed."""
    run = _cli(course, db_url, "analytics", "tiny", "--csv", str(out / "analytics.csv"),
               "--html", str(out / "report.html"))
    assert run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.fixture(scope="module")
def sqlite_class(tmp_path_factory, template_course):
    """The class graded on SQLite and analytics run on it once: (course, run, out folder)."""
    base = tmp_path_factory.mktemp("analytics")
    course = _graded_class(base, template=template_course)
    return course, _analytics(course, None, base), base


def _expected(course: Course) -> dict:
    """From the gradebook API, the notebooks and the records, without analytics' code:
    {(student, test): (points, max, passed, error ename, error first line)}."""
    failed = {p.stem for p in course.status_dir("tiny").glob("*.json")
              if json.loads(p.read_text())["state"] == "failed"}
    expected = {}
    with course.gradebook() as gb:
        for submission in gb.find_assignment("tiny").submissions:
            student = submission.student.id
            if student in failed:
                continue
            nb = nbformat.read(course.autograded(student, "tiny"), as_version=4)
            errors = {c.metadata["nbgrader"]["grade_id"]: o for c in nb.cells
                      if "nbgrader" in c.metadata for o in c.get("outputs", [])
                      if o["output_type"] == "error"}
            for test in TESTS:
                grade = gb.find_grade(test, "tiny", "tiny", student)
                error = errors.get(test)
                expected[student, test] = (grade.score, grade.max_score,
                                           grade.score == grade.max_score,
                                           error and error["ename"])
    return expected


def _check_against_the_gradebook(course: Course, run: subprocess.CompletedProcess, out: Path):
    out_csv = out / "analytics.csv"
    expected = _expected(course)
    students = sorted({s for s, _ in expected})
    assert students == sorted(set(tiny.INSIGHT_KINDS) - {"grace"} | {"zed"})  # grace failed
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert len(rows) == len(expected) == len(students) * len(TESTS)
    records = {s: json.loads(course.status_dir("tiny").joinpath(f"{s}.json").read_text())
               for s in students}
    for row in rows:
        key = (row["student"], row["test"])
        points, max_points, passed, ename = expected[key]
        assert (float(row["points"]), float(row["max_points"]), row["passed"] == "True") == \
            (points, max_points, passed), key
        assert row["hidden"] == str(row["test"] == "test_square")
        if passed:
            assert row["failure_group"] == "" and ename is None, key
        elif ename == "HiddenTestFailed":   # the record holds what the notebook may not
            [detail] = [d for d in records[key[0]]["hidden_failures"] if d.startswith(key[1])]
            assert row["failure_group"].startswith("(hidden) " + detail.split(": ")[1]), key
        else:
            assert row["failure_group"].startswith(ename), key
    assert {k: r["failure_group"] for r in rows for k in [(r["student"], r["test"])]
            if r["failure_group"]} == GROUPS
    # the console: pass rate per test as the gradebook counts it, failures, the summary
    for test in TESTS:
        n_passed = sum(expected[s, test][2] for s in students)
        assert f"{n_passed / len(students):4.0%} ({n_passed}/{len(students)})" in run.stdout
    assert "FAILED to grade  grace: malformed notebook" in run.stdout
    review = records["zed"]["needs_review"]
    assert review and f"NEEDS REVIEW     zed: {review[0]}" in run.stdout
    assert "1 x AssertionError: cube(N) should be N: dave" in run.stdout
    assert "2 x" not in run.stdout.split("score distribution")[0]   # one student per group
    mean = sum(expected[s, t][0] for s in students for t in TESTS) / len(students)
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith(f"summary: {len(students)} hand-ins, mean {mean:.2f}")
    assert "hardest tests: test_square (50%), test_cube (75%)" in last
    assert "reading tiny" in run.stderr                                 # the progress bar
    slowest = sorted(records, key=lambda s: -records[s]["seconds"])[:3]
    assert "slowest " + ", ".join(f"{s} {records[s]['seconds']:.2f} s" for s in slowest) \
        in run.stdout                                           # grading time per hand-in


@pytest.mark.slow
def test_analytics_equals_the_gradebook_on_sqlite(sqlite_class):
    course, run, out = sqlite_class
    _check_against_the_gradebook(course, run, out)
    with pytest.raises(UsageError, match=r"unknown assignment id 'tinyy'; known .*: tiny$"):
        analyse(course, "tinyy")


@pytest.mark.slow
@pytest.mark.skipif(postgres_bin() is None or shutil.which("useradd") is None,
                    reason="PostgreSQL binaries or useradd absent (Debian package postgresql)")
def test_analytics_equals_the_gradebook_on_postgres(tmp_path):
    with postgres() as db_url:
        course = _graded_class(tmp_path, db_url)
        _check_against_the_gradebook(course, _analytics(course, db_url, tmp_path), tmp_path)
        assert not (course.root / "gradebook.db").exists()


# --- the HTML report in Chromium ---------------------------------------------------------
MEASURE_JS = """() => ({
    images: [...document.images].map(i => [i.naturalWidth, i.naturalHeight,
                                           i.getBoundingClientRect().width,
                                           i.getBoundingClientRect().height, i.complete]),
    svgs: [...document.querySelectorAll('svg')].length,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    text: document.body.innerText})"""


@pytest.mark.slow
def test_html_report_renders_offline_and_fits_a_phone(sqlite_class):
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make bootstrap` installs Debian's chromium")
    report = sqlite_class[2] / "report.html"
    page_html = report.read_text()
    assert "<script" not in page_html and "http://" not in page_html.replace(
        "http://www.w3.org", "") and "https://" not in page_html
    requests, seen = [], {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for width in (390, 1200):
                context = browser.new_context(viewport={"width": width, "height": 800},
                                              offline=True)
                context.route("**/*", lambda route: route.continue_()
                              if route.request.url == report.as_uri() else route.abort())
                page = context.new_page()
                page.on("request", lambda r: requests.append(r.url))
                page.goto(report.as_uri(), wait_until="load")
                seen[width] = page.evaluate(MEASURE_JS)
                context.close()
        finally:
            browser.close()
    for width, found in seen.items():
        assert len(found["images"]) == 2, found                 # histogram, pass-rate bars
        for natural_w, natural_h, w, h, complete in found["images"]:
            assert complete and natural_w > 0 and natural_h > 0 and w > 100 and h > 50, width
        assert found["overflow"] <= 0, f"the page overflows at {width} px by {found['overflow']}"
        for text in ("test_square", "NotImplementedError", "grace", "50%", "needs review: "):
            assert text in found["text"]
    left = [u for u in requests if not u.startswith("data:") and u != report.as_uri()]
    assert left == [], left


@pytest.mark.slow
def test_html_overflow_check_can_fail(tmp_path):
    """The 390 px check measures something: a wide table outside a scroll box overflows."""
    from playwright.sync_api import sync_playwright
    wide = tmp_path / "wide.html"
    wide.write_text('<meta name="viewport" content="width=device-width"><table><tr><td>'
                    + "x" * 200 + "</td></tr></table>")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 800})
        page.goto(wide.as_uri())
        assert page.evaluate(MEASURE_JS)["overflow"] > 0
        browser.close()

