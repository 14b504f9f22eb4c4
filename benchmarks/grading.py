"""Grading throughput: plain sequential `nbgrader autograde` vs `python -m autograder grade`
(sandbox on), on the same N hand-ins, in one run.

    .venv/bin/python benchmarks/grading.py [--n 20] [--workers 2]

Hand-ins: the real `vanishing_gradients` assignment when solutions/ has it (the
instructor's answers filled into the released notebook; every other one half-done),
else the generated `tiny` assignment. Each tool gets its own copy of the same freshly
released course, so both start from the same gradebook. Prints seconds per hand-in for
both, the ratio, and where the time goes (student kernel and trusted runner start-up,
test cells and the channel round trips inside them, the rest).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder import records, tiny  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.demo import make_class, pick_assignment  # noqa: E402
from autograder.release import register, release  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="hand-ins (>= 20 for the report)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="autograder-bench-") as tmp:
        tmp = Path(tmp)
        course, assignment_id = build_course(tmp / "base", args.n)
        print(f"benchmark: {args.n} hand-ins of {assignment_id!r}, {os.cpu_count()} cores, "
              f"autograder --workers {args.workers}, sandbox on")
        plain = copy_course(course, tmp / "nbgrader")
        ours = copy_course(course, tmp / "ours")

        print("running nbgrader autograde (sequential) ...", flush=True)
        t_nbgrader = timed([sys.executable, "-m", "nbgrader", "autograde", assignment_id,
                            "--Execute.timeout=120", "--log-level=ERROR"],
                           plain, REPO / "autograder")
        print("running python -m autograder grade ...", flush=True)
        t_ours = timed([sys.executable, "-m", "autograder", "grade", assignment_id,
                        "--workers", str(args.workers), "--cell-timeout", "120"], ours, REPO)

        same = scores(plain, assignment_id) == scores(ours, assignment_id)
        recs = [records.load(ours, assignment_id, f"student{i:02d}") for i in range(args.n)]
        per_handin = [r["seconds"] for r in recs]

        def median_of(key):
            return statistics.median(r.get("timings", {}).get(key, 0.0) for r in recs)
        startup = kernel_startup_seconds()
        n = args.n
        print(f"\nnbgrader autograde : {t_nbgrader:7.1f} s total, {t_nbgrader / n:6.2f} s per hand-in")
        print(f"autograder grade   : {t_ours:7.1f} s total, {t_ours / n:6.2f} s per hand-in")
        print(f"throughput ratio   : {t_nbgrader / t_ours:.2f}x  (target >= 2.0x)")
        print(f"same scores        : {same}")
        print("where the time goes:")
        print(f"  bare kernel start-up (unsandboxed, median of 3): {startup:.2f} s")
        print(f"  sandboxed hand-in in a worker (start, run, stop): median "
              f"{statistics.median(per_handin):.2f} s, total {sum(per_handin):.1f} s "
              f"over {args.workers} worker(s)")
        print(f"  per sandboxed hand-in (medians): student kernel start "
              f"{median_of('kernel_start'):.2f} s, trusted runner start "
              f"{median_of('trusted_start'):.2f} s (in parallel with the kernel), test "
              f"cells {median_of('trusted_cells'):.2f} s of which waiting on "
              f"{median_of('channel_requests'):.0f} channel round trips "
              f"{median_of('channel_wait'):.2f} s (student code runs inside them)")
        print(f"  nbgrader per hand-in minus bare kernel start-up: "
              f"{t_nbgrader / n - startup:.2f} s (execution + gradebook + conversion)")


if __name__ == "__main__":
    main()
