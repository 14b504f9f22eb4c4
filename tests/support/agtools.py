"""Helpers shared by the autograder tests (imported as `agtools`, from tests/support/): a
throw-away course holding the generated `tiny` assignment (never the real ones) and
hand-ins written from a dict of answers (autograder/demo/classroom.py, which the
benchmarks use too), the CLI run as a subprocess, file snapshots."""
import base64
import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from autograder.common.course import REPO, Course
from autograder.demo.classroom import handin, make_course, released, submit  # noqa: F401


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


def decoded_base64(text: str) -> str:
    """Every base64-looking run of `text` decoded (at each of the 4 alignments): where a
    hand-in may hide what it smuggles into its outputs."""
    out = []
    for token in re.findall(r"[A-Za-z0-9+/=]{16,}", text):
        for start in range(4):
            chunk = token[start:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                out.append(base64.b64decode(chunk).decode("utf-8", "replace"))
            except ValueError:
                pass
    return "\n".join(out)
