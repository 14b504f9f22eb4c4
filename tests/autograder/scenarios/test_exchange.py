"""The nbgrader exchange end to end, as on a JupyterHub: the instructor releases, two real
local students (created here with useradd, removed with userdel -r) fetch and submit with
plain nbgrader commands, the instructor collects (nbgrader), grades, writes feedback
(python -m autograder), releases it (nbgrader), and each student fetches their own
feedback: scored, without hidden tests.

The students must be able to run the project's Python. When a folder on its way (e.g.
/root holding a pyenv Python, or a CI checkout's home) is closed to others, the students'
commands run in a private mount namespace (bubblewrap, as root) where that folder is an
empty tmpfs with only the needed sub-folder bound back in: nothing on the host changes.
"""
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from agtools import cli_env, run_cli
from autograder.common.course import PACKAGE_DIR
from autograder.demo import tiny_class as tiny

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd")
                                 or not shutil.which("bwrap"),
                                 reason="needs root, useradd and bwrap to create students")]
COURSE_ID = "activation-functions"


def _closed_folders() -> dict[Path, set[Path]]:
    """folder others cannot enter -> its sub-folders the students' Python needs."""
    closed = {}
    for needed in {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
                   Path(sys.executable).resolve().parent}:
        for parent in reversed(needed.parents):
            if not parent.stat().st_mode & stat.S_IXOTH:
                child = needed.relative_to(parent).parts[0]
                closed.setdefault(parent, set()).add(parent / child)
                break
    return closed


def _as(user: str, home: Path, *argv, cwd=None) -> subprocess.CompletedProcess:
    """Run argv as `user` with a clean environment (their HOME, the project's Python)."""
    binds = []
    for folder, children in sorted(_closed_folders().items()):
        binds += ["--tmpfs", str(folder)]
        for child in sorted(children):
            binds += ["--ro-bind", str(child), str(child)]
    env = {"HOME": str(home), "USER": user, "LANG": "C.UTF-8",
           "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    command = ["bwrap", "--bind", "/", "/", "--dev-bind", "/dev", "/dev", *binds,
               "--die-with-parent", "--",
               "setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--",
               "env", "-i", *(f"{k}={v}" for k, v in env.items()), *argv]
    return subprocess.run(command, cwd=cwd or home, capture_output=True, text=True,
                          timeout=300)


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture
def hub():
    """An exchange root and two throw-away student accounts, removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="agx-", dir="/tmp"))
    base.chmod(0o755)
    exchange = base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)   # as nbgrader's docs say for /srv/nbgrader/exchange
    tag = f"{os.getpid() % 100000:05d}"
    users = {}
    try:
        for letter in "ab":
            name = f"agst{tag}{letter}"
            home = base / "home" / name
            home.parent.mkdir(exist_ok=True)
            subprocess.run(["useradd", "--create-home", "--home-dir", str(home),
                            "--shell", "/bin/sh", "--user-group", name], check=True)
            users[name] = home
            config = home / ".jupyter" / "nbgrader_config.py"   # what a hub's config says
            config.parent.mkdir()
            config.write_text(f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n"
                              f"c.CourseDirectory.course_id = {COURSE_ID!r}\n")
            uid = pwd.getpwnam(name).pw_uid
            for path in (config.parent, config):
                os.chown(path, uid, uid)
        yield exchange, users
    finally:
        for name in users:
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
            subprocess.run(["userdel", "-r", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_exchange_round_trip_with_two_students(course, hub, capsys):
    exchange, users = hub
    (alice, alice_home), (bob, bob_home) = users.items()
    env = dict(cli_env(course), AUTOGRADER_EXCHANGE_DIR=str(exchange))
    nbgrader = [sys.executable, "-m", "nbgrader"]

    def instructor(*argv):   # plain nbgrader, from autograder/ like the README says
        return _ok(subprocess.run([*nbgrader, *argv], cwd=PACKAGE_DIR, env=env,
                                  capture_output=True, text=True, timeout=300))

    check = _as(alice, alice_home, sys.executable, "-c", "import nbgrader")
    assert check.returncode == 0, ("a student account cannot run the project's Python "
                                   f"({sys.executable}); make the venv world-readable "
                                   f"(chmod -R o+rX): {check.stderr}")
    started = time.monotonic()
    instructor("release_assignment", "tiny")
    for user, home, answers in ((alice, alice_home, tiny.CORRECT), (bob, bob_home, tiny.PARTIAL)):
        _ok(_as(user, home, *nbgrader, "fetch_assignment", "tiny"))
        fetched = home / "tiny" / "tiny.ipynb"
        assert fetched.is_file() and fetched.stat().st_uid == pwd.getpwnam(user).pw_uid
        nb = nbformat.read(fetched, as_version=4)
        for grade_id, code in answers.items():
            tiny.answer(nb, grade_id, code)
        tmp = home / "answer.ipynb"    # the student's edit, saved by them over the file
        tmp.write_text(nbformat.writes(nb))
        os.chown(tmp, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
        _ok(_as(user, home, "cp", str(tmp), str(fetched)))
        _ok(_as(user, home, *nbgrader, "submit", "tiny"))

    # a student cannot read the other's hand-in in the exchange
    peek = _as(bob, bob_home, "ls", str(exchange / COURSE_ID / "inbound"))
    assert peek.returncode != 0 or alice not in peek.stdout

    instructor("collect", "tiny")
    assert (course.submitted(alice, "tiny").parent / "timestamp.txt").is_file()
    result = run_cli(course, "grade", "tiny", "--workers", "2", "--cell-timeout", "20",
                     "--notebook-timeout", "90")
    assert result.returncode == 0, result.stderr
    assert _ok(run_cli(course, "feedback", "tiny")).count(".html") == 2
    instructor("release_feedback", "tiny")
    with course.gradebook() as gb:
        scores = {s: gb.find_submission("tiny", s).score for s in (alice, bob)}
    assert scores == {alice: 3.0, bob: 1.0}

    for user, home in ((alice, alice_home), (bob, bob_home)):
        _ok(_as(user, home, *nbgrader, "fetch_feedback", "tiny"))
        pages = list((home / "tiny" / "feedback").glob("*/tiny.html"))
        assert len(pages) == 1, f"{user} fetched {pages}"
        html = pages[0].read_text()
        assert f"Score: {scores[user]:g}" in html or f"{scores[user]:g} / {tiny.MAX_SCORE:g}" in html
        assert tiny.HIDDEN_MARKER not in html and "BEGIN HIDDEN TESTS" not in html
    seconds = time.monotonic() - started
    with capsys.disabled():
        print(f"\nexchange round trip (release .. fetch_feedback, 2 students): {seconds:.1f} s")
