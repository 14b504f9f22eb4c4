"""formgrader with a course directory outside the repository: the real Jupyter server
(started here on 127.0.0.1) serves the course, its links to source and release notebooks
resolve, and its Generate / Release feedback buttons (the REST calls they make) write
the project's feedback, without hidden tests, and release it to the exchange."""
import posixpath
import re
import urllib.parse
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import notebook_hash

from agtools import handin
from autograder.commands.collect import collect
from autograder.commands.formgrader import server_root
from autograder.commands.release import release
from autograder.common.course import Course
from autograder.demo import tiny_class as tiny
from autograder.grading.grader import GradeOptions, grade
from servers import formgrader

pytestmark = pytest.mark.slow


@pytest.fixture
def scattered(tmp_path):
    """Course state, source and release folders in three different places."""
    course = Course(root=tmp_path / "srv" / "grading" / "course",
                    source=tmp_path / "repo" / "solutions",
                    release=tmp_path / "repo" / "exercises",
                    exchange=tmp_path / "exchange")
    course.exchange.mkdir()
    course.exchange.chmod(0o777)
    tiny.write_source(course.source)
    release(course, ["tiny"])
    folder = tmp_path / "handins"
    folder.mkdir()
    nbformat.write(handin(course, tiny.CORRECT), folder / "alice.ipynb")
    nbformat.write(handin(course, tiny.PARTIAL), folder / "bob.ipynb")
    collect(course, "tiny", folder)
    summary = grade(course, "tiny", options=GradeOptions(workers=2, cell_timeout=20,
                                                         notebook_timeout=90, quiet=True))
    assert summary.failed == {}
    return course


def test_formgrader_links_and_feedback_buttons_with_an_outside_course_dir(scattered):
    course = scattered
    with formgrader(course) as server:
        # the server's root holds the three folders and nothing else
        assert sorted(p.name for p in server_root(course).iterdir()) == \
            ["course", "release", "source"]
        assert server.api("/api/contents/")["content"] and {
            f["name"] for f in server.api("/api/contents/")["content"]} == \
            {"course", "release", "source"}
        status, page = server.request("/formgrader/manage_assignments")
        assert status == 200 and "not a subdirectory" not in page
        url_prefix = re.search(r'var url_prefix = "([^"]*)"', page).group(1)
        [assignment] = [a for a in server.api("/formgrader/api/assignments")
                        if a["name"] == "tiny"]
        # the links the page draws: /tree/<url_prefix>/<source_path> (and release_path)
        for key, expected in (("source_path", course.source), ("release_path", course.release)):
            path = posixpath.normpath(url_prefix + "/" + assignment[key])
            listing = server.api("/api/contents/" + urllib.parse.quote(path))
            assert [f["name"] for f in listing["content"]] == ["tiny.ipynb"], key
            assert server.request("/tree/" + urllib.parse.quote(path))[0] == 200
            assert (expected / "tiny").samefile(server_root(course) / path)

        # the project's feedback was never generated: the button alone does it
        assert not (course.root / "feedback").exists()
        result = server.api("/formgrader/api/assignment/tiny/generate_feedback", "POST")
        assert result["success"], result
        for student in ("alice", "bob"):
            html = course.feedback(student, "tiny").read_text()
            assert tiny.HIDDEN_MARKER not in html and "BEGIN HIDDEN TESTS" not in html
            assert "hidden tests: not shown" in html
        result = server.api("/formgrader/api/assignment/tiny/release_feedback", "POST")
        assert result["success"], result

    released = course.exchange / "activation-functions" / "feedback"
    for student in ("alice", "bob"):
        folder = course.feedback(student, "tiny").parent
        secret = (folder / "submission_secret.txt").read_text()
        assert (folder / "timestamp.txt").read_text().endswith("UTC")
        page = released / f"{notebook_hash(secret=secret, notebook_id='tiny')}.html"
        assert page.read_text() == course.feedback(student, "tiny").read_text()
    assert len(list(released.iterdir())) == 2


@pytest.mark.parametrize("flag", [True, False])
def test_the_command_passes_allow_root_only_when_asked(tmp_path, monkeypatch, flag):
    """`formgrader --allow-root` (a container runs as root; Jupyter refuses that unless
    told); without the flag Jupyter's own setting decides."""
    from autograder.commands import build_parser
    from autograder.commands import formgrader as command
    course = Course(root=tmp_path / "course", source=tmp_path / "s", release=tmp_path / "r")
    ran = []
    monkeypatch.setattr(command.subprocess, "call", lambda argv, **kw: ran.append(argv) or 0)
    args = build_parser("formgrader").parse_args(["formgrader"] + (["--allow-root"] if flag else []))
    assert command.run(args, course) == 0
    assert ("--allow-root" in ran[0]) is flag
    root = next(a for a in ran[0] if a.startswith("--ServerApp.root_dir=")).split("=", 1)[1]
    assert sorted(p.name for p in Path(root).iterdir()) == ["course", "release", "source"]
