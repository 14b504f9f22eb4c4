"""Hostile hand-ins are contained by the sandbox, each with a recorded reason; the clean
students of the same run score exactly as in a clean run; no file outside the scratch
folders changes; nothing the kernel started survives it."""
import os
import socket
import threading
from pathlib import Path

import nbformat
import pytest

from agtools import handin, outputs_text, snapshot, submit
from autograder.common.course import REPO
from autograder.demo import tiny_class as tiny
from autograder.grading.grader import GradeOptions, grade
from autograder.sandbox.processes import sandbox_processes

pytestmark = pytest.mark.slow
OPTIONS = GradeOptions(workers=2, cell_timeout=6, notebook_timeout=45, memory_mb=1024,
                       quiet=True)
CUBE = tiny.CORRECT["cube"]
SQUARE = "def square(x):\n    return x * x\n"


def _hostile(course, port: int, secret_file: Path) -> dict:
    """student -> (answers, edited tests | None). Each tries one thing, then answers
    square correctly, so its output tells what happened."""
    def try_(code):
        return SQUARE + "try:\n" + "".join(f"    {ln}\n" for ln in code.splitlines()) + \
            "except Exception as e:\n    print('BLOCKED', type(e).__name__, e)\n"

    solutions = course.source_notebook("tiny")
    return {
        "h_socket_local": {"square": try_(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)\nprint('CONNECTED')")},
        "h_socket_outside": {"square": try_("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=3)\nprint('CONNECTED')")},
        "h_read_solutions": {"square": try_(f"print('LEAK', open({str(solutions)!r}).read())")},
        "h_read_gradebook": {"square": try_(f"print('LEAK', open({str(course.root / 'gradebook.db')!r}, 'rb').read(64))")},
        "h_read_home": {"square": try_(f"print('LEAK', open({str(secret_file)!r}).read())\nprint('LEAK', os.listdir('/root'))")},
        "h_write_outside": {"square": try_(
            f"import os\nfor p in [{str(REPO / 'pwned.txt')!r}, {str(course.root / 'pwned.txt')!r}, "
            f"{str(REPO / 'coursepkg' / 'pwned.py')!r}, "
            f"{str(course.source / 'tiny' / 'tiny.ipynb')!r}, '/tmp/pwned-autograder-test']:\n"
            "    try:\n        open(p, 'a').write('x'); print('WROTE', p)\n"
            "    except Exception as e: print('BLOCKED', p, type(e).__name__)")},
        "h_infinite_loop": {"square": "while True:\n    pass", "cube": CUBE},
        "h_alloc_10gb": {"square": SQUARE + "x = bytearray(10 * 2**30)", "cube": CUBE},
        "h_fork_bomb": {"square": SQUARE + "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"},
        "h_edits_test": {"square": "def square(x):\n    return 0", "cube": CUBE,
                         "test_square": "pass  # nothing to see here"},
        "h_sys_exit": {"square": "import sys\nsys.exit(0)", "cube": CUBE},
        "h_os_exit": {"square": "import os\nos._exit(0)"},
        "h_kill_kernel": {"square": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"},
        "h_huge_output": {"square": SQUARE + "for i in range(10**7):\n    print('spam' * 100)",
                          "cube": CUBE},
    }


@pytest.fixture
def listener():
    """A server on the host's loopback; records whether anybody ever connected."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept())
            except OSError:
                pass
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_hostile_handins_are_contained(course, tmp_path, listener):
    port, accepted = listener
    secret = tmp_path / "instructor_home" / "secret.txt"   # stands for the instructor's files
    secret.parent.mkdir()
    secret.write_text("instructor-secret-31c7")
    clean = {"alice": tiny.CORRECT, "bob": tiny.PARTIAL}
    for student, answers in clean.items():
        submit(course, student, handin(course, answers))
    reference = grade(course, "tiny", options=OPTIONS)     # the clean run
    clean_scores = {s: r["score"] for s, r in reference.graded.items()}
    assert clean_scores == {"alice": 3.0, "bob": 1.0}

    hostile = _hostile(course, port, secret)
    for student, answers in hostile.items():
        tests = {k: v for k, v in answers.items() if k.startswith("test_")}
        submit(course, student, handin(course, {k: v for k, v in answers.items()
                                                if not k.startswith("test_")}, tests))
    submit(course, "h_malformed", '{"cells": [{"cell_type": ')
    # (the repo itself is edited by others while this runs: the write attempts above
    # target it, and it is bound read-only, or not at all, into the sandbox)
    watched = [course.source, course.release, course.root / "submitted", secret.parent]
    before = snapshot(*watched)

    summary = grade(course, "tiny", options=GradeOptions(**{**vars(OPTIONS), "force": True}))

    # the clean students score exactly as in the clean run
    assert {s: summary.graded[s]["score"] for s in clean} == clean_scores
    # every hand-in has a record, the run did not stop
    assert set(summary.graded) | set(summary.failed) == set(clean) | set(hostile) | {"h_malformed"}
    out = {s: outputs_text(nbformat.read(course.autograded(s, "tiny"), 4))
           for s in summary.graded}
    rec = {**summary.graded, **summary.failed}

    assert "CONNECTED" not in out["h_socket_local"] and accepted == []
    assert "BLOCKED ConnectionRefusedError" in out["h_socket_local"]
    assert "CONNECTED" not in out["h_socket_outside"] and "BLOCKED OSError" in out["h_socket_outside"]
    for student in ("h_read_solutions", "h_read_gradebook", "h_read_home"):
        assert "LEAK" not in out[student] and "BLOCKED" in out[student], student
    assert tiny.HIDDEN_MARKER not in out["h_read_solutions"]
    assert "instructor-secret" not in out["h_read_home"]
    # the sandbox's /tmp is its own (writable, sized): only the host's /tmp must stay clean
    wrote = [ln for ln in out["h_write_outside"].splitlines() if ln.startswith("WROTE")]
    assert wrote in ([], ["WROTE /tmp/pwned-autograder-test"]), wrote
    assert out["h_write_outside"].count("BLOCKED") == 5 - len(wrote)
    assert not (REPO / "pwned.txt").exists() and not Path("/tmp/pwned-autograder-test").exists()
    assert not (course.root / "pwned.txt").exists()
    assert not (REPO / "coursepkg" / "pwned.py").exists()

    assert "cell timeout in cell square" in rec["h_infinite_loop"]["problems"], \
        rec["h_infinite_loop"]
    assert rec["h_infinite_loop"]["score"] == 1.0          # interrupted; cube still graded
    assert "memory limit (1024 MB) hit in cell square" in rec["h_alloc_10gb"]["problems"]
    assert rec["h_alloc_10gb"]["score"] == 3.0             # square was defined before it
    assert any("process total" in p or "process limit" in p  # cgroup / rlimit fallback
               for p in rec["h_fork_bomb"]["problems"]) or \
        os.geteuid() != 0 and rec["h_fork_bomb"]["problems"]
    assert rec["h_edits_test"]["score"] == 1.0             # the restored test fails square
    assert rec["h_sys_exit"]["state"] == "graded" and rec["h_sys_exit"]["score"] == 1.0
    assert any("exited by itself with status 0" in p for p in rec["h_os_exit"]["problems"]), \
        rec["h_os_exit"]
    assert rec["h_os_exit"]["score"] == 0.0                # unrun tests are not passed
    assert any("SIGKILL" in p for p in rec["h_kill_kernel"]["problems"]), rec["h_kill_kernel"]
    assert rec["h_kill_kernel"]["score"] == 0.0
    assert any("output limit" in p for p in rec["h_huge_output"]["problems"])
    assert course.autograded("h_huge_output", "tiny").stat().st_size < 5_000_000
    assert rec["h_malformed"]["state"] == "failed"
    assert "malformed notebook" in rec["h_malformed"]["reason"]

    # nothing outside the scratch folders changed, no sandbox process survived
    assert snapshot(*watched) == before
    if os.geteuid() == 0:
        assert sandbox_processes() == [], "processes left by a sandbox"


def test_notebook_timeout_kills_a_handin_whose_cells_each_stay_under_the_cell_timeout(course):
    slow = {"square": "import time\ntime.sleep(20)\n" + SQUARE, "cube": CUBE}
    submit(course, "slowpoke", handin(course, slow))
    options = GradeOptions(workers=1, cell_timeout=30, notebook_timeout=7, quiet=True)
    record = grade(course, "tiny", options=options).graded["slowpoke"]
    assert any("notebook timeout: still running after 7 s" in p for p in record["problems"])
    assert record["score"] == 0.0      # the tests never ran, so they earn nothing
