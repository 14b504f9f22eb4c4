"""Helpers shared by the autograder tests (imported as `agtools`): a throw-away course
holding the generated `tiny` assignment (never the real ones), hand-ins written from a
dict of answers, the CLI run as a subprocess, file snapshots."""
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from autograder.commands.release import release
from autograder.common.course import REPO, Course
from autograder.demo import tiny_class as tiny


def make_course(base: Path) -> Course:
    base = Path(base).resolve()
    course = Course(root=base / "course", source=base / "source", release=base / "release")
    tiny.write_source(course.source)
    release(course, [tiny.ASSIGNMENT_ID])
    return course


def released(course: Course) -> nbformat.NotebookNode:
    return nbformat.read(course.release_folder("tiny") / "tiny.ipynb", as_version=4)


def handin(course: Course, answers: dict, tests: dict | None = None) -> nbformat.NotebookNode:
    """The released notebook with `answers` (grade_id -> code) and edited `tests`."""
    nb = released(course)
    for grade_id, code in {**answers, **(tests or {})}.items():
        tiny.answer(nb, grade_id, code)
    return nb


def submit(course: Course, student: str, nb_or_text) -> Path:
    """Put a hand-in straight into submitted/ (what collect would do)."""
    path = course.submitted(student, "tiny")
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb_or_text, str):
        path.write_text(nb_or_text)
    else:
        nbformat.write(nb_or_text, path)
    return path


def cli_env(course: Course) -> dict:
    env = dict(os.environ)
    env.update(AUTOGRADER_COURSE_DIR=str(course.root), AUTOGRADER_SOURCE_DIR=str(course.source),
               AUTOGRADER_RELEASE_DIR=str(course.release))
    return env


def run_cli(course: Course, *args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=REPO,
                          env=cli_env(course), capture_output=True, text=True, timeout=timeout)


def grade_until_recorded(course: Course, *args: str, at_least: int = 2, timeout: float = 240,
                         **popen) -> subprocess.Popen:
    """`python -m autograder grade tiny *args` started in the background and returned once
    `at_least` hand-ins are recorded, it has ended, or `timeout` seconds have passed (the
    caller checks `poll()` and then interrupts it)."""
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "tiny", *args],
                            cwd=REPO, env=cli_env(course), **popen)
    status = course.status_dir("tiny")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if status.is_dir() and len(list(status.glob("*.json"))) >= at_least:
            break
        time.sleep(0.1)
    return proc


def snapshot(*folders: Path) -> dict:
    """path -> sha256 of every file under `folders`."""
    digest = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                digest[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def outputs_text(nb) -> str:
    """All output text of a notebook (streams, results, errors), joined."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.extend(str(v) for v in out.get("data", {}).values())
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}")
            parts.extend(out.get("traceback", []))
    return "\n".join(parts)
