"""Course: nbgrader's config precedence (system < user < course directory < our paths),
the gradebook URL from an option, the environment or nbgrader's config, and the exchange
root; a hub-wide late-penalty setting applies to `grade` as to `nbgrader autograde`."""
import shutil
import subprocess
import sys
from datetime import datetime

import pytest

from agtools import cli_env, handin, run_cli, submit
from autograder.common.course import PACKAGE_DIR, Course
from autograder.common.errors import UsageError
from autograder.demo import tiny_class as tiny

DUE = datetime(2026, 1, 15, 12, 0)


def _config(folder, **settings):
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["c = get_config()"] + [f"c.{k.replace('__', '.')} = {v!r}"
                                    for k, v in settings.items()]
    (folder / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture
def configs(tmp_path, monkeypatch):
    """Empty user, hub-wide ($JUPYTER_CONFIG_PATH) and current folders; the machine's
    own config folders are hidden."""
    user, hub, cwd = tmp_path / "user", tmp_path / "hub", tmp_path / "cwd"
    for folder in (user, hub, cwd):
        folder.mkdir()
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(user))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(hub))
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")
    monkeypatch.chdir(cwd)
    for var in ("AUTOGRADER_DB_URL", "AUTOGRADER_EXCHANGE_DIR"):
        monkeypatch.delenv(var, raising=False)
    return user, hub, cwd


def _penalty(course):
    return course.config().LateSubmissionPlugin.get("penalty_method")


def _nbgraders_own(key):
    """What plain nbgrader's config loading gives for Section.name (same folders)."""
    from nbgrader.apps.baseapp import NbGrader
    app = NbGrader()
    app.load_config_file()
    section, name = key.split(".")
    return app.config[section].get(name)


def test_config_layers_follow_nbgraders_order(course, configs):
    user, hub, cwd = configs
    assert _penalty(course) is None
    _config(user, LateSubmissionPlugin__penalty_method="zero",
            ExecutePreprocessor__timeout=77, Execute__max_tries=2)
    assert _penalty(course) == "zero"
    _config(hub, LateSubmissionPlugin__penalty_method="none", Execute__max_tries=3)
    assert _penalty(course) == "none"                                   # as jupyter orders them
    (cwd / "nbgrader_config.json").write_text('{"Execute": {"max_tries": 5}}')
    _config(cwd, CourseDirectory__root="/elsewhere", ExecutePreprocessor__timeout=88)
    config = course.config()
    for key in ("LateSubmissionPlugin.penalty_method", "ExecutePreprocessor.timeout",
                "Execute.max_tries"):
        section, name = key.split(".")
        assert config[section][name] == _nbgraders_own(key), key
    assert (config.ExecutePreprocessor.timeout, config.Execute.max_tries) == (88, 5)
    assert config.CourseDirectory.root == str(course.root)              # our course paths win
    assert config.CourseDirectory.course_id == "activation-functions"


def test_gradebook_url_option_env_config_default(course, configs, monkeypatch, tmp_path):
    user, hub, cwd = configs
    assert course.db_url == f"sqlite:///{course.root}/gradebook.db"
    _config(user, CourseDirectory__db_url=f"sqlite:///{tmp_path}/hub.db")
    fresh = Course(course.root, course.source, course.release)
    assert fresh.db_url == f"sqlite:///{tmp_path}/hub.db"
    assert fresh.config().CourseDirectory.db_url == fresh.db_url
    monkeypatch.setenv("AUTOGRADER_DB_URL", f"sqlite:///{tmp_path}/env.db")
    assert Course.from_env().db_url == f"sqlite:///{tmp_path}/env.db"
    assert Course.from_env(db_url=f"sqlite:///{tmp_path}/opt.db").db_url.endswith("opt.db")
    with pytest.raises(UsageError, match="not a database URL"):
        Course.from_env(db_url="gradebook.db at home")


def test_exchange_root_from_environment_or_config(course, configs, monkeypatch, tmp_path):
    user, hub, cwd = configs
    assert "root" not in course.config().Exchange       # nbgrader's default applies
    _config(hub, Exchange__root="/srv/hub/exchange")
    assert course.config().Exchange.root == "/srv/hub/exchange"
    monkeypatch.setenv("AUTOGRADER_EXCHANGE_DIR", str(tmp_path / "x"))
    assert Course.from_env().config().Exchange.root == str(tmp_path / "x")


@pytest.mark.slow
def test_user_level_late_penalty_applies_to_grade_as_to_nbgrader_autograde(course, tmp_path):
    with course.gradebook() as gb:
        gb.update_or_create_assignment("tiny", duedate=DUE)
    path = submit(course, "alice", handin(course, tiny.CORRECT))
    (path.parent / "timestamp.txt").write_text("2026-01-16 12:00:00.000000 UTC")  # a day late
    plain = Course(tmp_path / "plain" / "course", course.source, course.release)
    shutil.copytree(course.root, plain.root)

    user = _config(tmp_path / "hub-user", LateSubmissionPlugin__penalty_method="zero")
    env = dict(cli_env(course), JUPYTER_CONFIG_DIR=str(user))
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", "tiny",
                             "--workers", "1", "--cell-timeout", "20"], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    env = dict(cli_env(plain), JUPYTER_CONFIG_DIR=str(user))
    result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "tiny"],
                            cwd=PACKAGE_DIR, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    for graded in (course, plain):
        with graded.gradebook() as gb:
            submission = gb.find_submission("tiny", "alice")
            # nbgrader keeps the raw score and the penalty; the grade is their difference
            assert (submission.score, submission.late_submission_penalty) == (3.0, 3.0)

    # without the user's config file, no penalty: the setting came from that file
    result = run_cli(course, "grade", "tiny", "--force", "--workers", "1")
    assert result.returncode == 0, result.stderr
    with course.gradebook() as gb:
        submission = gb.find_submission("tiny", "alice")
        assert (submission.score, submission.late_submission_penalty) == (3.0, 0.0)
