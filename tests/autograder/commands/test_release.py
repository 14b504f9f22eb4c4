"""release: nbgrader generate_assignment into exercises/, byte-identical when repeated;
clear errors for unknown assignment ids."""
from agtools import cli_env, run_cli, snapshot
from autograder.commands import main
from autograder.commands.release import release
from autograder.demo import tiny_class as tiny


def test_release_twice_is_byte_identical_and_strips_solutions(course):
    before = snapshot(course.release)
    report = release(course, ["tiny"])
    assert report == {"tiny": []}
    assert snapshot(course.release) == before
    text = (course.release / "tiny" / "tiny.ipynb").read_text()
    assert tiny.HIDDEN_MARKER not in text          # hidden tests stripped
    assert "return x * x" not in text              # solution cleared
    assert "raise NotImplementedError()" in text


def test_release_rewrites_only_a_changed_exercise(course):
    path = course.release / "tiny" / "tiny.ipynb"
    good = path.read_bytes()
    path.write_text("stale")
    report = release(course, ["tiny"])
    assert report["tiny"] == [f"wrote {path}"]
    assert path.read_bytes() == good


def test_unknown_assignment_id_lists_the_known_ones(course, monkeypatch, capsys):
    for name, value in cli_env(course).items():
        monkeypatch.setenv(name, value)
    for args in (["release", "nope"], ["grade", "nope"], ["collect", "nope", "."],
                 ["feedback", "nope"], ["status", "nope"]):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert "unknown assignment id 'nope'" in err
        assert "known ids" in err and "tiny" in err


def test_cli_error_is_one_clear_line_without_traceback(course):
    done = run_cli(course, "grade", "nope", timeout=300)
    assert done.returncode == 2
    assert "unknown assignment id 'nope'" in done.stderr and "tiny" in done.stderr
    assert "Traceback" not in done.stderr
