"""The one-command set-up: what `make book` / `make test` rely on."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _requirement_names():
    names = set()
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.split(r"[~<>=!\[; ]", line, maxsplit=1)[0].lower())
    return names


def test_requirements_name_every_package_the_course_needs():
    """The mission's required packages are installed by requirements.txt, not by hand."""
    required = {"jupyter-book", "nbgrader", "numpy", "matplotlib", "scikit-learn",
                "tensorflow", "pytest", "mlxtend", "playwright"}
    missing = required - _requirement_names()
    assert not missing, f"requirements.txt lacks {sorted(missing)}"


def test_every_requirement_has_a_compatible_release_range():
    """Each line pins a range (~= or >=,<): a fresh machine gets the versions we tested."""
    for line in (REPO / "requirements.txt").read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if spec:
            assert ("~=" in spec) or (">=" in spec and "<" in spec), f"unbounded: {spec!r}"


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_warm_bootstrap_is_up_to_date():
    """After a bootstrap, `make` considers .venv current: a second `make test` reinstalls nothing."""
    if not (REPO / ".venv" / ".installed").exists():
        pytest.skip("suite not started through `make test` (no .venv stamp)")
    result = subprocess.run(["make", "-q", "venv"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, "make thinks .venv is stale: requirements.txt or " \
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
