"""`grade --scheduler` on a real Dask cluster: `dask scheduler` and `dask worker`
processes of the venv, started here on 127.0.0.1 (one thread per worker), grading the
generated `tiny` assignment with the sandbox on (except where a test says why not).

All workers share the test run's AUTOGRADER_UID_BASE: sandbox uids come from the worker
thread's id (unique on the machine), so worker processes on one machine never share one.

The schedulers run with `worker-saturation: 1.0` (a worker holds only the task it runs,
so a dying worker takes no innocent queued hand-in with it) and `allowed-failures: 1`
(a task is given up after its second dead worker), as the README advises.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from distributed import Client

from agtools import cli_env, grade_until_recorded, handin, released, submit
from autograder.common import records
from autograder.common.course import REPO, Course
from autograder.demo import tiny_class as tiny
from autograder.grading.grader import GradeOptions, grade

pytestmark = pytest.mark.slow
DASK = str(Path(sys.executable).parent / "dask")
SLOW_CUBE = "import time\ntime.sleep(2)\n" + tiny.CORRECT["cube"]
KILL_MY_WORKER = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"  # unsandboxed only


class Cluster:
    """Real scheduler and worker processes; everything started is killed in close()."""

    def __init__(self, folder: Path):
        self.folder, self.procs, self.address, self.file = folder, [], None, None

    def _start(self, cmd, log_name, env=None):
        log = open(self.folder / log_name, "ab")
        proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **(env or {})},
                                stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        return proc

    def start_scheduler(self) -> subprocess.Popen:
        self.file = self.folder / f"scheduler-{len(self.procs)}.json"
        proc = self._start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                            "--no-dashboard", "--scheduler-file", str(self.file)],
                           "scheduler.log",
                           {"DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
                            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.address = json.loads(self.file.read_text())["address"]
                return proc
            except (FileNotFoundError, json.JSONDecodeError, KeyError):
                assert proc.poll() is None, (self.folder / "scheduler.log").read_text()
                time.sleep(0.1)
        raise AssertionError("the scheduler wrote no scheduler file within 60 s")

    def start_worker(self, *, nanny=False, env=None) -> subprocess.Popen:
        cmd = [DASK, "worker", self.address, "--nthreads", "1", "--no-dashboard",
               "--host", "127.0.0.1"] + (["--nworkers", "1"] if nanny else ["--no-nanny"])
        return self._start(cmd, f"worker-{len(self.procs)}.log", env)

    def client(self) -> Client:
        return Client(self.address, timeout=30)

    def wait_for_workers(self, n: int) -> None:
        with self.client() as client:
            client.wait_for_workers(n, timeout=60)

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.kill()
            proc.wait()


@pytest.fixture
def cluster(tmp_path):
    started = Cluster(tmp_path)
    yield started
    started.close()


def _class(course: Course, n: int, cube: str = SLOW_CUBE) -> dict:
    """n hand-ins, correct and partial in turn; returns student -> expected score."""
    expected = {}
    for i in range(n):
        correct = i % 2 == 0
        submit(course, f"s{i}", handin(course, {**(tiny.CORRECT if correct else tiny.PARTIAL),
                                                "cube": cube}))
        expected[f"s{i}"] = 3.0 if correct else 1.0
    return expected


def _gradebook_scores(course: Course) -> dict:
    """student -> (total score, sorted (grade_id, autoscore))."""
    with course.gradebook() as gb:
        return {s.student.id: (s.score, sorted((g.name, g.auto_score)
                                               for nb in s.notebooks for g in nb.grades))
                for s in gb.find_assignment("tiny").submissions}


def _assert_graded_once(course: Course, expected: dict) -> None:
    scores = _gradebook_scores(course)
    assert sorted(scores) == sorted(expected)
    for student, score in expected.items():
        record = records.load(course, "tiny", student)
        assert (record["state"], record["score"]) == (records.GRADED, score), record
        assert scores[student][0] == score
        assert [name for name, _ in scores[student][1]] == ["explain", "test_cube",
                                                            "test_square"]


def test_scores_on_dask_equal_the_local_pool(course, cluster, tmp_path):
    for student, answers in [("ada", tiny.CORRECT), ("ben", tiny.PARTIAL),
                             ("cy", {"square": "def square(x):\n    return 1 / 0"})]:
        submit(course, student, handin(course, answers))
    submit(course, "eve", released(course))  # the blank notebook
    on_dask = Course(root=tmp_path / "d" / "course", source=course.source,
                     release=course.release)
    shutil.copytree(course.root, on_dask.root)
    cluster.start_scheduler()
    cluster.start_worker()
    cluster.start_worker()

    local = grade(course, "tiny", options=GradeOptions(workers=2, quiet=True))
    cluster.wait_for_workers(2)  # they started up meanwhile
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "tiny",
                           "--scheduler", str(cluster.file)],  # the scheduler-file form
                          cwd=REPO, env=cli_env(on_dask), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "workers=2" in done.stderr  # the progress bar shows the cluster's workers
    assert len(local.graded) == 4
    assert _gradebook_scores(on_dask) == _gradebook_scores(course)
    for student in local.graded:
        ours, theirs = (records.load(c, "tiny", student) for c in (course, on_dask))
        for name in ("state", "score", "max_score", "problems", "needs_manual_grade"):
            assert ours[name] == theirs[name], (student, name)


def _kill_a_busy_worker(cluster: Cluster, course: Course, victims: list, stop):
    """Once one hand-in is recorded, SIGKILL a worker that is running a hand-in."""
    ours = {p.pid for p in cluster.procs}
    with cluster.client() as client:
        pids = client.run(os.getpid)  # worker address -> pid
        assert set(pids.values()) <= ours
        while not stop.is_set():
            if len(list(course.status_dir("tiny").glob("*.json"))) >= 1:
                busy = [addr for addr, keys in client.processing().items() if keys]
                if busy:
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    victims.append(pids[busy[0]])
                    return
            time.sleep(0.1)


def test_worker_killed_mid_run_every_handin_recorded_once(course, cluster, monkeypatch):
    expected = _class(course, 6)
    cluster.start_scheduler()
    cluster.start_worker()
    cluster.start_worker()
    cluster.wait_for_workers(2)
    saved = []
    real_save = records.save
    monkeypatch.setattr(records, "save", lambda c, a, student, **fields: (
        saved.append(student), real_save(c, a, student, **fields))[1])
    victims, stop = [], threading.Event()
    killer = threading.Thread(target=_kill_a_busy_worker,
                              args=(cluster, course, victims, stop), daemon=True)
    killer.start()
    try:
        summary = grade(course, "tiny", options=GradeOptions(scheduler=cluster.address,
                                                             quiet=True))
    finally:
        stop.set()
        killer.join()
    assert victims, "no worker was killed mid-run"
    assert sorted(saved) == sorted(expected)  # one record per hand-in, none twice
    assert sorted(summary.graded) == sorted(expected) and not summary.failed
    _assert_graded_once(course, expected)
    if os.geteuid() == 0:  # the killed worker's sandboxed kernel died with it
        from autograder.sandbox.processes import sandbox_processes
        for _ in range(30):
            left = sandbox_processes()
            if not left:
                break
            time.sleep(1)
        assert left == [], "a sandboxed kernel outlived its killed worker"


def test_scheduler_gone_mid_run_stops_cleanly_then_rerun_completes(course, cluster):
    expected = _class(course, 6)
    scheduler = cluster.start_scheduler()
    cluster.start_worker()
    cluster.wait_for_workers(1)
    proc = grade_until_recorded(course, "--scheduler", cluster.address, timeout=120,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    status = course.status_dir("tiny")
    assert proc.poll() is None, "grade finished before the scheduler could be stopped"
    scheduler.kill()
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 2, err[-3000:]
    assert "lost the Dask scheduler" in err and "Run the same command again" in err
    assert "Traceback" not in err, err
    before = {p.stem: json.loads(p.read_text()) for p in status.glob("*.json")}
    assert 2 <= len(before) < 6
    assert all(r["state"] == records.GRADED for r in before.values())  # none FAILED by the loss

    cluster.close()  # the old worker would wait for its scheduler; start afresh
    cluster.start_scheduler()
    cluster.start_worker()
    cluster.wait_for_workers(1)
    summary = grade(course, "tiny", options=GradeOptions(scheduler=cluster.address,
                                                         quiet=True))
    assert sorted(summary.skipped) == sorted(before)
    assert sorted(summary.graded) == sorted(set(expected) - set(before))
    _assert_graded_once(course, expected)


def test_worker_without_sandbox_refuses_work_and_grade_names_it(course, cluster):
    _class(course, 2, cube=tiny.CORRECT["cube"])
    cluster.start_scheduler()
    broken = cluster.start_worker(env={"PATH": "/nonexistent"})  # no prlimit/setpriv
    cluster.wait_for_workers(1)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "tiny",
                           "--scheduler", cluster.address], cwd=REPO, env=cli_env(course),
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 2
    assert "no Dask worker" in done.stderr and "can sandbox student code" in done.stderr
    assert "tcp://127.0.0.1:" in done.stderr and "prlimit" in done.stderr
    assert not list(course.status_dir("tiny").glob("*.json"))  # nothing graded or failed
    assert broken.wait(timeout=30) is not None  # the worker closed itself


def test_broken_worker_gets_no_handins_while_healthy_ones_grade(course, cluster):
    expected = _class(course, 4, cube=tiny.CORRECT["cube"])
    cluster.start_scheduler()
    broken = cluster.start_worker(env={"PATH": "/nonexistent"})
    cluster.start_worker()
    cluster.wait_for_workers(2)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "tiny",
                           "--scheduler", cluster.address], cwd=REPO, env=cli_env(course),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "without a working sandbox" in done.stderr and "prlimit" in done.stderr
    assert broken.wait(timeout=30) is not None
    _assert_graded_once(course, expected)


def test_handin_that_kills_its_worker_fails_after_allowed_failures(course, cluster):
    """Only unsandboxed grading lets a kernel signal its worker (the sandbox's PID
    namespace hides it), so this runs with --no-sandbox; the nanny restarts the worker."""
    submit(course, "killer", handin(course, {**tiny.CORRECT, "square": KILL_MY_WORKER}))
    expected = _class(course, 2, cube=tiny.CORRECT["cube"])
    cluster.start_scheduler()
    cluster.start_worker(nanny=True)
    cluster.wait_for_workers(1)
    summary = grade(course, "tiny", options=GradeOptions(scheduler=cluster.address,
                                                         sandbox=False, quiet=True))
    assert sorted(summary.failed) == ["killer"]
    reason = records.load(course, "tiny", "killer")["reason"]
    assert "died 2 times" in reason and "allowed-failures" in reason
    assert sorted(summary.graded) == sorted(expected)
    for student, score in expected.items():
        assert records.load(course, "tiny", student)["score"] == score
