"""The student edition on a fresh machine: built from this repository, installed into a new
venv from ITS OWN lock, then every chapter notebook it ships runs to the end and
``python -m autograder validate`` checks a released exercise, all with the network off.

- Wheels: ``pip download --require-hashes -r requirements.lock`` fills a wheelhouse once
  (network; ``$STUDENT_WHEELHOUSE``, default ``~/.cache/coursepkg-tests/student-wheels``,
  refreshed when the lock changes). The install itself is ``pip install --no-index
  --require-hashes`` from it inside a sandbox without network (bubblewrap
  ``--unshare-net``): it can fetch nothing, and pip refuses anything the lock does not pin.
- Keras models: ``COURSEPKG_CACHE_DIR`` as in the book build (``~/.cache/coursepkg``), so the
  Deeper networks chapter reuses the networks the book build trained.
- Jupyter: a private ``JUPYTER_DATA_DIR``, so the kernel is the new venv's (checked).

Prints the venv's size and the install time (the edition README's figures).
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from packaging.markers import Marker

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import student_edition as se  # noqa: E402

pytestmark = pytest.mark.slow
OFFLINE = ["bwrap", "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent", "--"]


def wheelhouse(lock: Path) -> Path:
    """A folder with every wheel the lock pins for this platform (downloaded once per lock)."""
    folder = Path(os.environ.get("STUDENT_WHEELHOUSE",
                                 Path.home() / ".cache" / "coursepkg-tests" / "student-wheels"))
    stamp, digest = folder / ".lock-sha256", hashlib.sha256(lock.read_bytes()).hexdigest()
    if not (stamp.is_file() and stamp.read_text() == digest):
        folder.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--require-hashes",
                               "-r", str(lock), "-d", str(folder)],
                              capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, proc.stderr[-3000:]
        stamp.write_text(digest)
    return folder


def run(argv, env, cwd, timeout=900, offline=True):
    proc = subprocess.run((OFFLINE if offline else []) + [str(a) for a in argv], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return proc


def pinned(lock: Path) -> set[str]:
    """Normalised names the lock pins for this machine (lines whose marker holds here)."""
    names = set()
    for name, marker in re.findall(r"^([A-Za-z0-9_.\-]+)==\S+(?: ; (.*?))? \\$", lock.read_text(), re.M):
        if not marker or Marker(marker).evaluate():
            names.add(re.sub(r"[-_.]+", "-", name).lower())
    return names


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(edition folder, venv, environment) after the offline install from the edition's lock."""
    tmp = tmp_path_factory.mktemp("student")
    out = tmp / "student-edition"
    se.build(out, None)
    wheels = wheelhouse(out / "requirements.lock")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_FIND_LINKS", "PIP_CONSTRAINT")}
    # pip as on a student's machine: no configuration files (this machine's adds indexes)
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", PYTHONNOUSERSITE="1",
               PIP_CONFIG_FILE=os.devnull,
               JUPYTER_DATA_DIR=str(tmp / "jupyter-data"), TF_CPP_MIN_LOG_LEVEL="2",
               COURSEPKG_CACHE_DIR=os.environ.get("COURSEPKG_CACHE_DIR",
                                                  str(Path.home() / ".cache" / "coursepkg")),
               MPLBACKEND="agg")
    start = time.perf_counter()
    # --no-compile: byte-compiling 2 GB of packages is 60 % of pip's CPU time and proves
    # nothing here (Python compiles on import); the README's figures are with it
    proc = run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-compile", "--no-index",
                "--find-links", wheels, "--require-hashes", "-r", "requirements.lock"], env, out)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    proc = run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                "--no-build-isolation", "-e", "."], env, out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    size = int(subprocess.run(["du", "-sb", venv], capture_output=True, text=True).stdout.split()[0])
    print(f"\nstudent venv: {size / 1e9:.2f} GB, install from the wheelhouse {seconds:.0f} s")
    return out, venv, env


def test_the_venv_holds_exactly_the_lock(installed):
    out, venv, env = installed
    proc = run([venv / "bin" / "python", "-m", "pip", "list", "--format=json"], env, out)
    names = {re.sub(r"[-_.]+", "-", d["name"]).lower() for d in json.loads(proc.stdout)}
    expected = pinned(out / "requirements.lock") | {"pip", "activation-functions-course-student"}
    assert names == expected, (sorted(names - expected), sorted(expected - names))
    for absent in ("dask", "distributed", "psycopg", "jupyter-book", "playwright", "ruff", "pytest"):
        assert absent not in names
    assert run([venv / "bin" / "python", "-m", "pip", "check"], env, out).returncode == 0
    assert run([venv / "bin" / "python", "-c", "import courseref"], env, out).returncode == 1
    specs = json.loads(run([venv / "bin" / "jupyter", "kernelspec", "list", "--json"], env, out).stdout)
    assert Path(specs["kernelspecs"]["python3"]["resource_dir"]).is_relative_to(venv)


def test_the_sandbox_has_no_network(installed):
    out, venv, env = installed
    probe = ("import socket\ntry:\n    socket.create_connection(('pypi.org', 443), timeout=5)\n"
             "    print('online')\nexcept OSError:\n    print('offline')\n")
    assert run([venv / "bin" / "python", "-c", probe], env, out).stdout.strip() == "offline"


def test_every_chapter_notebook_runs_to_the_end_offline(installed, tmp_path):
    out, venv, env = installed
    chapters = sorted((out / "notebooks").glob("*.ipynb"))
    assert len(chapters) >= 5
    failed, timings = {}, {}
    for nb in chapters:
        start = time.perf_counter()
        proc = run([venv / "bin" / "jupyter", "nbconvert", "--to", "notebook", "--execute",
                    "--ExecutePreprocessor.timeout=600", "--output-dir", tmp_path, nb.name],
                   env, out / "notebooks", timeout=1200)
        timings[nb.name] = round(time.perf_counter() - start)
        if proc.returncode != 0:
            failed[nb.name] = proc.stderr[-1500:]
            continue
        executed = json.loads((tmp_path / nb.name).read_text())
        errors = [o for c in executed["cells"] for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        if errors:
            failed[nb.name] = errors[0].get("ename")
    print(f"\nchapter run times (s): {timings}")
    assert failed == {}


def test_validate_checks_a_released_exercise_offline(installed):
    out, venv, env = installed
    proc = run([venv / "bin" / "python", "-m", "autograder", "validate",
                "exercises/activations/activations.ipynb"], env, out, timeout=600)
    assert re.search(r"Visible tests: 0 of \d+ passed", proc.stdout), proc.stdout + proc.stderr[-2000:]
    assert "NotImplementedError" in proc.stdout and "Not answered yet" in proc.stdout
    assert "ModuleNotFoundError" not in proc.stdout + proc.stderr
