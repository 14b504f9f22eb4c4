"""Grading throughput: plain sequential `nbgrader autograde` vs `python -m autograder grade`
(sandbox on), on the same N hand-ins, in one run.

    .venv/bin/python benchmarks/grading.py [--n 20] [--workers N] [--repeat 3]
    .venv/bin/python benchmarks/grading.py --n 200 --scheduler local   # or tcp://HOST:PORT

With --scheduler, `cluster_benchmark` instead: the `tiny` assignment (so that a big class
finishes in minutes), graded through Dask with 1, then 2 local `dask worker` processes
(--dask-workers), printing hand-ins per minute, and the per-hand-in cost of the part that
stays serial in the parent (prepare + gradebook record), which bounds the speed-up.

Hand-ins: the real `vanishing_gradients` assignment when solutions/ has it (the
instructor's answers filled into the released notebook; every other one half-done),
else the generated `tiny` assignment. Each tool gets its own copy of the same freshly
released course, so both start from the same gradebook; with --repeat K both run K times,
interleaved, on fresh copies. Prints seconds per hand-in for both, the ratio (the median
over the repeats), and where the time goes (student kernel and trusted runner start-up,
test cells and the channel round trips inside them, the rest).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder.commands.demo import make_class, pick_assignment
from autograder.commands.release import release
from autograder.common import defaults, records
from autograder.common.course import REPO, Course
from autograder.common.generate import register
from autograder.demo import tiny_class as tiny


def build_course(base: Path, n: int) -> tuple[Course, str]:
    assignment_id = pick_assignment(REPO / "solutions")
    if assignment_id is None:
        source, assignment_id = tiny.write_source(base / "source").parent.parent, "tiny"
    else:
        source = REPO / "solutions"
    course = Course(root=base / "course", source=source, release=base / "release")
    release(course, [assignment_id])
    register(course, assignment_id)
    klass = make_class(course, assignment_id)
    for i in range(n):
        nb = klass["ada_correct" if i % 2 == 0 else "ben_partial"]
        path = course.submitted(f"student{i:02d}", assignment_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
    return course, assignment_id


def copy_course(course: Course, base: Path) -> Course:
    shutil.copytree(course.root, base / "course")
    return Course(root=base / "course", source=course.source, release=course.release)


def env_for(course: Course) -> dict:
    return {**os.environ, "AUTOGRADER_COURSE_DIR": str(course.root),
            "AUTOGRADER_SOURCE_DIR": str(course.source),
            "AUTOGRADER_RELEASE_DIR": str(course.release),
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}


def timed(cmd: list[str], course: Course, cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env_for(course), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{cmd[:4]} failed:\n{done.stderr[-3000:]}")
    return seconds


def scores(course: Course, assignment_id: str) -> dict:
    with course.gradebook() as gb:
        return {s.student.id: s.score for s in gb.find_assignment(assignment_id).submissions}


def kernel_startup_seconds(n: int = 3) -> float:
    """Time to start a bare ipykernel and get its kernel_info reply (what each hand-in
    pays in nbgrader before its first cell)."""
    from jupyter_client.manager import start_new_kernel
    times = []
    for _ in range(n):
        started = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3")
        times.append(time.perf_counter() - started)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return statistics.median(times)


def _start(cmd: list[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


def _local_scheduler(folder: Path) -> tuple[subprocess.Popen, str]:
    """A `dask scheduler` on 127.0.0.1 (worker-saturation 1.0, as the README advises)."""
    file = folder / "scheduler.json"
    os.environ["DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION"] = "1.0"
    proc = _start([str(Path(sys.executable).parent / "dask"), "scheduler", "--host",
                   "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(file)],
                  folder / "scheduler.log")
    for _ in range(600):
        if file.is_file() and file.stat().st_size:
            time.sleep(0.2)
            return proc, json.loads(file.read_text())["address"]
        time.sleep(0.1)
    sys.exit("the local dask scheduler did not start within 60 s")


def serial_seconds(course: Course, assignment_id: str, k: int = 20) -> tuple[float, float]:
    """Parent-side seconds per hand-in: (prepare, finish). `finish` records one executed
    hand-in's result again for k identical hand-ins: the gradebook transaction and
    autograded notebook, without a kernel."""
    import warnings

    from autograder.grading.grader import GradeOptions, Grader
    from autograder.worker.handin import execute_handin
    warnings.filterwarnings("ignore", message=".*not in session.*")  # as grade() does
    grader = Grader(course, assignment_id, GradeOptions(workers=1))
    students = [f"student{i:02d}" for i in range(0, 2 * k, 2)]  # the identical correct ones
    started = time.perf_counter()
    jobs = [grader.prepare(student) for student in students]
    prepare = (time.perf_counter() - started) / k
    result = execute_handin(jobs[0])
    started = time.perf_counter()
    for student in students:
        grader.finish(student, result, records.file_sha256(
            course.submitted(student, assignment_id)))
    return prepare, (time.perf_counter() - started) / k


def cluster_benchmark(args) -> None:
    """--scheduler: the tiny class of args.n hand-ins on 1, then 2, ... local Dask workers."""
    from distributed import Client
    counts = [int(c) for c in args.dask_workers.split(",")]
    dask = str(Path(sys.executable).parent / "dask")
    with tempfile.TemporaryDirectory(prefix="autograder-bench-dask-") as tmp:
        tmp = Path(tmp)
        source = tiny.write_source(tmp / "source").parent.parent
        course = Course(root=tmp / "base" / "course", source=source, release=tmp / "release")
        release(course, ["tiny"])
        register(course, "tiny")
        klass = make_class(course, "tiny")
        for i in range(args.n):
            path = course.submitted(f"student{i:02d}", "tiny")
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(klass["ada_correct" if i % 2 == 0 else "ben_partial"], path)
        print(f"cluster benchmark: {args.n} hand-ins of 'tiny' (the generated assignment, "
              f"not a real one), {os.cpu_count()} cores, sandbox on, load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        prepare, finish = serial_seconds(copy_course(course, tmp / "serial"), "tiny",
                                         k=min(20, max(1, args.n // 2)))
        rows = []
        for n_workers in counts:
            ours = copy_course(course, tmp / f"w{n_workers}")
            scheduler, address = (_local_scheduler(tmp / f"w{n_workers}")
                                  if args.scheduler == "local" else (None, args.scheduler))
            workers = [_start([dask, "worker", address, "--nthreads", "1", "--no-nanny",
                               "--no-dashboard", "--host", "127.0.0.1"],
                              tmp / f"w{n_workers}" / f"worker{i}.log")
                       for i in range(n_workers)]
            try:
                with Client(address, timeout=30) as client:
                    client.wait_for_workers(n_workers, timeout=120)
                    present = len(client.nthreads())
                if present != n_workers:
                    print(f"  note: the scheduler has {present} workers, not {n_workers}")
                print(f"running grade --scheduler with {n_workers} worker(s) ...", flush=True)
                seconds = timed([sys.executable, "-m", "autograder", "grade", "tiny",
                                 "--scheduler", address], ours, REPO)
            finally:
                for proc in workers + ([scheduler] if scheduler else []):
                    proc.kill()
                    proc.wait()
            graded = sum(records.is_done(ours, "tiny", f"student{i:02d}") for i in range(args.n))
            rows.append((n_workers, seconds, graded))
        print(f"\n{'workers':>8} {'seconds':>9} {'hand-ins/min':>13} {'graded':>8}")
        for n_workers, seconds, graded in rows:
            print(f"{n_workers:>8} {seconds:>9.1f} {60 * args.n / seconds:>13.1f} "
                  f"{graded:>5}/{args.n}")
        serial = prepare + finish
        print(f"\nserial part in the parent, per hand-in: prepare {1000 * prepare:.0f} ms + "
              f"record {1000 * finish:.0f} ms = {1000 * serial:.0f} ms")
        print(f"  -> at most {60 / serial:.0f} hand-ins/min however many workers (Amdahl); "
              f"with {rows[0][0]} worker(s) the rest costs "
              f"{rows[0][1] / args.n - serial:.2f} s per hand-in")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="hand-ins (>= 20 for the report)")
    parser.add_argument("--workers", type=int, default=defaults.workers(),
                        help="autograder grade --workers (default: its own default)")
    parser.add_argument("--repeat", type=int, default=1, metavar="K",
                        help="run both tools K times, interleaved, and report the median "
                             "ratio (the machine's speed drifts between runs)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="Dask benchmark: 'local' (starts a scheduler on 127.0.0.1) or "
                             "tcp://HOST:PORT of a scheduler without workers")
    parser.add_argument("--dask-workers", default="1,2", metavar="N,N",
                        help="local dask workers to start, one run per count (default 1,2)")
    args = parser.parse_args()
    if args.scheduler:
        cluster_benchmark(args)
        return
    with tempfile.TemporaryDirectory(prefix="autograder-bench-") as tmp:
        tmp = Path(tmp)
        course, assignment_id = build_course(tmp / "base", args.n)
        print(f"benchmark: {args.n} hand-ins of {assignment_id!r}, {os.cpu_count()} cores, "
              f"autograder --workers {args.workers}, sandbox on, {args.repeat} run(s) of each "
              f"tool, interleaved, load average {os.getloadavg()[0]:.1f}")
        runs = [one_pair(course, assignment_id, args, tmp / f"run{k}", nbgrader_first=k % 2 == 0)
                for k in range(args.repeat)]
        report(runs, args)


LABELS = {"nbgrader": "nbgrader autograde (sequential)", "ours": "python -m autograder grade"}


def one_pair(course: Course, assignment_id: str, args, folder: Path,
             nbgrader_first: bool) -> dict:
    """Both tools on fresh copies of the same course, one after the other (the order
    alternates between repeats, so a machine that speeds up or slows down during the
    benchmark favours neither)."""
    plain, ours = copy_course(course, folder / "nbgrader"), copy_course(course, folder / "ours")
    seconds = {}
    for tool in (("nbgrader", "ours") if nbgrader_first else ("ours", "nbgrader")):
        print(f"running {LABELS[tool]} ...", flush=True)
        if tool == "nbgrader":
            seconds[tool] = timed([sys.executable, "-m", "nbgrader", "autograde", assignment_id,
                                   "--Execute.timeout=120", "--log-level=ERROR"],
                                  plain, REPO / "autograder")
        else:
            seconds[tool] = timed([sys.executable, "-m", "autograder", "grade", assignment_id,
                                   "--workers", str(args.workers), "--cell-timeout", "120"],
                                  ours, REPO)
    recs = [records.load(ours, assignment_id, f"student{i:02d}") for i in range(args.n)]
    return {**seconds, "same": scores(plain, assignment_id) == scores(ours, assignment_id),
            "recs": recs}


def report(runs: list[dict], args) -> None:
    n = args.n
    for k, run in enumerate(runs, 1):
        print(f"\nrun {k}: nbgrader autograde {run['nbgrader']:6.1f} s ({run['nbgrader'] / n:.2f} "
              f"s per hand-in), autograder grade {run['ours']:6.1f} s ({run['ours'] / n:.2f} s per "
              f"hand-in): {run['nbgrader'] / run['ours']:.2f}x, same scores: {run['same']}")
    ratios = sorted(run["nbgrader"] / run["ours"] for run in runs)
    recs = [r for run in runs for r in run["recs"]]
    per_handin = [r["seconds"] for r in recs]

    def median_of(key):
        return statistics.median(r.get("timings", {}).get(key, 0.0) for r in recs)
    startup = kernel_startup_seconds()
    t_nbgrader = statistics.median(run["nbgrader"] for run in runs)
    print(f"\nthroughput ratio   : {statistics.median(ratios):.2f}x median of {len(runs)} "
          f"(all: {', '.join(f'{r:.2f}x' for r in ratios)}; target >= 2.0x)")
    print(f"same scores        : {all(run['same'] for run in runs)}")
    print("where the time goes (medians over all runs):")
    print(f"  bare kernel start-up (unsandboxed, median of 3): {startup:.2f} s")
    print(f"  sandboxed hand-in in a worker (start, run, stop): median "
          f"{statistics.median(per_handin):.2f} s over {args.workers} worker(s)")
    print(f"  per sandboxed hand-in: student kernel start {median_of('kernel_start'):.2f} s, "
          f"trusted runner start {median_of('trusted_start'):.2f} s (in parallel with the "
          f"kernel), test cells {median_of('trusted_cells'):.2f} s of which waiting on "
          f"{median_of('channel_requests'):.0f} channel round trips "
          f"{median_of('channel_wait'):.2f} s (student code runs inside them)")
    print(f"  nbgrader per hand-in minus bare kernel start-up: "
          f"{t_nbgrader / n - startup:.2f} s (execution + gradebook + conversion)")


if __name__ == "__main__":
    main()
