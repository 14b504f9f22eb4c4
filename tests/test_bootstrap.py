"""The one-command set-up: what `make book` / `make test` rely on.

requirements.txt holds the ranges, requirements.lock the exact versions with hashes that
`make bootstrap` installs (compiled from requirements.txt by `make lock`), pyproject.toml
declares the same dependencies for `pip install`.
"""
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def _requirements() -> dict[str, Requirement]:
    """requirements.txt as {canonical name: Requirement}."""
    reqs = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            reqs[canonicalize_name(req.name)] = req
    return reqs


def _lock() -> dict[str, tuple[str, int]]:
    """requirements.lock as {canonical name: (version, number of hashes)}."""
    pins, name = {}, None
    for line in (REPO / "requirements.lock").read_text().splitlines():
        pin = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if pin:
            name = canonicalize_name(pin.group(1))
            pins[name] = (pin.group(2), 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            version, n = pins[name]
            pins[name] = (version, n + 1)
    return pins


def test_requirements_name_every_package_the_course_needs():
    """The mission's required packages are installed by requirements.txt, not by hand."""
    required = {"jupyter-book", "nbgrader", "numpy", "matplotlib", "scikit-learn",
                "tensorflow", "pytest", "mlxtend", "playwright", "ruff", "threadpoolctl"}
    missing = required - set(_requirements())
    assert not missing, f"requirements.txt lacks {sorted(missing)}"


def test_every_requirement_has_a_compatible_release_range():
    """Each line pins a range (~= or >=,<): the lock can be refreshed without major jumps."""
    for req in _requirements().values():
        spec = str(req.specifier)
        assert ("~=" in spec) or (">=" in spec and "<" in spec), f"unbounded: {req}"


def test_lock_pins_every_requirement_within_its_range_with_hashes():
    """A stale lock (requirements.txt edited, `make lock` not run) fails here."""
    lock = _lock()
    for name, req in _requirements().items():
        assert name in lock, f"{name} is in requirements.txt but not in requirements.lock: run `make lock`"
        version = lock[name][0]
        assert req.specifier.contains(version, prereleases=True), \
            f"requirements.lock pins {name}=={version}, outside {req}: run `make lock`"
    unhashed = sorted(name for name, (_, n_hashes) in lock.items() if n_hashes == 0)
    assert not unhashed, f"lock entries without --hash (pip --require-hashes refuses them): {unhashed}"


def test_installed_versions_equal_the_lock():
    """The environment running the tests holds exactly the locked versions."""
    lock = _lock()
    wrong = {}
    for name, (version, _) in lock.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or Version(installed) != Version(version):
            wrong[name] = (version, installed)
    assert not wrong, f"locked vs installed (run `make bootstrap`): {wrong}"
    assert len(lock) > 100, "the lock should hold the whole dependency tree"


def test_pyproject_declares_the_same_dependencies_as_requirements_txt():
    """pyproject's dependencies + extras name every requirement with the same range."""
    project = PYPROJECT["project"]
    declared = {}
    for line in project["dependencies"] + [d for extra in project["optional-dependencies"].values()
                                           for d in extra]:
        req = Requirement(line)
        if canonicalize_name(req.name) != canonicalize_name(project["name"]):  # dev = book + test
            declared[canonicalize_name(req.name)] = str(req.specifier)
    wanted = {name: str(req.specifier) for name, req in _requirements().items()}
    assert declared == wanted
    assert {"book", "test", "dev"} <= set(project["optional-dependencies"])
    assert "threadpoolctl" in {canonicalize_name(Requirement(d).name) for d in project["dependencies"]}


def test_requires_python_admits_the_running_interpreter():
    spec = Requirement(f"python{PYPROJECT['project']['requires-python']}").specifier
    assert spec.contains(f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}")
    assert not spec.contains("3.10.12"), "pandas 3 needs Python 3.11"


def test_licence_files_named_in_pyproject_exist_and_credit_deep_teaching():
    for name in PYPROJECT["project"]["license-files"]:
        assert (REPO / name).is_file(), f"{name} is named in pyproject.toml but missing"
    content = (REPO / "LICENSE-CONTENT").read_text()
    for part in ("Attribution-ShareAlike 4.0", "Klaus Strohmenger", "https://gitlab.com/deep.TEACHING",
                 "Changes made", "Activation Functions (Differentiable Programming)"):
        assert part in content, f"LICENSE-CONTENT lacks {part!r}"
    assert "MIT License" in (REPO / "LICENSE").read_text()


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_venv_stamp_goes_stale_when_the_lock_changes(tmp_path):
    """`make` reinstalls after a new lock (or pyproject), and not otherwise."""
    for name in ("Makefile", "requirements.lock", "pyproject.toml", "requirements.txt"):
        shutil.copy2(REPO / name, tmp_path / name)
    stamp = tmp_path / ".venv" / ".installed"
    stamp.parent.mkdir()
    stamp.touch()

    def up_to_date():
        return subprocess.run(["make", "-q", "venv"], cwd=tmp_path, capture_output=True).returncode == 0

    assert up_to_date()
    for name in ("requirements.lock", "pyproject.toml"):
        stamp.touch()
        newer = stamp.stat().st_mtime_ns + 10**9

        os.utime(tmp_path / name, ns=(newer, newer))
        assert not up_to_date(), f"a changed {name} must trigger a reinstall"
        os.utime(stamp, ns=(newer + 10**9, newer + 10**9))
        assert up_to_date()


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_warm_bootstrap_is_up_to_date():
    """After a bootstrap, `make` considers .venv current: a second `make test` reinstalls nothing."""
    if not (REPO / ".venv" / ".installed").exists():
        pytest.skip("suite not started through `make test` (no .venv stamp)")
    result = subprocess.run(["make", "-q", "venv"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, "make thinks .venv is stale: requirements.lock or " \
        "pyproject.toml is newer than .venv/.installed"


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="not a Debian system")
def test_debian_packages_named_in_the_makefile_are_installed():
    """The sandbox (bwrap) and the browser tests (chromium) come from the Makefile's apt list."""
    makefile = (REPO / "Makefile").read_text()
    packages = re.search(r"^APT_PACKAGES\s*:=\s*(.+)$", makefile, re.M).group(1).split()
    assert {"bubblewrap", "chromium"} <= set(packages)
    for package in packages:
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                                capture_output=True, text=True).stdout
        assert "install ok installed" in status, f"{package} not installed by `make`"
