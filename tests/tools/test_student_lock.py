"""The student install: requirements-student.lock pins, with hashes, every package of
requirements-student.txt within its range, at the instructor lock's version wherever the
two share a package, and nothing of the instructor's side (a stale lock fails here: run
`make lock-student`)."""
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
INSTRUCTOR_ONLY = {"dask", "distributed", "psycopg", "psycopg-binary", "jupyter-book",
                   "sphinx-book-theme", "playwright", "ruff", "pytest", "pytest-timeout", "uv"}


def requirements() -> list[Requirement]:
    lines = (REPO / "requirements-student.txt").read_text().splitlines()
    return [Requirement(line.split(" #")[0].strip()) for line in lines
            if line.strip() and not line.startswith("#")]


def lock(name: str) -> dict[str, list[tuple[str, str, int]]]:
    """{canonical name: [(version, marker, number of hashes)]} of a uv-compiled lock."""
    pins = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", (REPO / name).read_text()):
        match = re.match(r"([A-Za-z0-9_.\-\[\]]+)==(\S+)(?: ; ([^\\]*?))? \\", block)
        if match:
            pins.setdefault(canonicalize_name(match[1].split("[")[0]), []).append(
                (match[2], match[3] or "", block.count("--hash=sha256:")))
    return pins


def test_every_student_requirement_is_pinned_in_range_with_hashes():
    pins = lock("requirements-student.lock")
    for req in requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{name} is in requirements-student.txt, not in the lock: make lock-student"
        for version, _, n_hashes in pins[name]:
            assert req.specifier.contains(version), f"{name}=={version} is outside {req.specifier}"
            assert n_hashes >= 1, f"{name} has no hash"
    assert all(n >= 1 for entries in pins.values() for _, _, n in entries)


def test_the_student_lock_uses_the_instructor_versions_and_nothing_of_the_instructor_side():
    student, instructor = lock("requirements-student.lock"), lock("requirements.lock")
    differ = {n: (e[0][0], instructor[n][0][0]) for n, e in student.items()
              if n in instructor and e[0][0] != instructor[n][0][0]}
    assert differ == {}, f"versions differ from requirements.lock: {differ} (make lock-student)"
    assert INSTRUCTOR_ONLY & set(student) == set()
    assert len(student) < len(instructor)
    # the Keras chapter: the CPU-only wheel, except on macOS (no tensorflow-cpu wheel there)
    assert student["tensorflow-cpu"][0][1] == "sys_platform != 'darwin'"
    assert student["tensorflow"][0][1] == "sys_platform == 'darwin'"
    assert student["tensorflow"][0][0] == student["tensorflow-cpu"][0][0]


def test_make_lock_student_compiles_it_like_make_lock():
    import subprocess
    dry = subprocess.run(["make", "-n", "lock-student"], cwd=REPO, capture_output=True,
                         text=True, timeout=60).stdout
    assert "uv pip compile requirements-student.txt --universal --generate-hashes" in dry
    assert "-c requirements.lock" in dry and "-o requirements-student.lock" in dry
