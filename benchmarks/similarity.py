"""Similarity of a large class: seconds for `python -m autograder similarity` on N
synthetic-but-realistic hand-ins of a real assignment (not a timed test).

    .venv/bin/python benchmarks/similarity.py [--n 500] [--assignment activations] [--copies 10]

Each hand-in starts from one of the assignment's two independent correct implementations
(the reference answers, or the suite's `ALTERNATIVE` in tests/exercises/test_<id>.py),
every answer cell disguised (locals renamed, comments reworded, functions reordered) and
edited (0-12 small edits), 10% of the cells left as released. `--copies` of them are
then copied once more by another student (disguised again, 2 edits): the planted copies.
Prints the wall time of the CLI run (fingerprinting, index, scoring, HTML) and the ranks
and scores of the planted copies among all pairs sharing code. All hand-ins derive from
two implementations, so this class is far more alike than a real one: most of its code
is a class-wide idiom (ignored), which keeps the planted copies' scores low.
"""
import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "support")]

from autograder.common.course import Course  # noqa: E402
from autograder.insight.disguise import disguise, edit  # noqa: E402
from autograder.insight.similarity import similarity  # noqa: E402
from tests.exercises.harness import answer_cells, fill_solution, solution_handin, student_version  # noqa: E402


def bases(assignment: str) -> list[nbformat.NotebookNode]:
    """The reference hand-in and the independent second implementation."""
    if assignment == "vanishing_gradients":   # its second implementation replaces 3 cells
        handins = importlib.import_module("tests.exercises.vg_handins")
        alternative = {"optimizer": handins.SECOND_OPTIMIZER, "net": handins.SECOND_NET,
                       "plot_grad_w": handins.SECOND_PLOT}
    else:
        alternative = importlib.import_module(f"tests.exercises.test_{assignment}").ALTERNATIVE
    return [solution_handin(assignment), fill_solution(student_version(assignment), alternative)]


def student(base, blank, rng: np.random.Generator, max_edits: int = 40):
    """One hand-in: each answer cell of `base` disguised and edited, or left blank."""
    answers = {}
    for grade_id, index in answer_cells(base).items():
        if base.cells[index].cell_type != "code":
            continue
        if rng.random() < 0.1:
            answers[grade_id] = blank.cells[index].source
        else:
            code = disguise(base.cells[index].source, rng)
            answers[grade_id] = edit(code, rng, int(rng.integers(max_edits + 1)))
    return fill_solution(base, answers)


def make_class(root: Path, assignment: str, n: int, copies: int, seed: int) -> list[tuple]:
    """Write n hand-ins to root/submitted; returns the planted (original, copy) pairs."""
    rng = np.random.default_rng(seed)
    blank, implementations = student_version(assignment), bases(assignment)
    names = [f"s{i:04d}" for i in range(n)]
    handins = {name: student(implementations[rng.integers(2)], blank, rng)
               for name in names[:n - copies]}
    planted = []
    for name, original in zip(names[n - copies:], rng.choice(names[:n - copies], copies, replace=False)):
        handins[name] = student(handins[original], blank, rng, max_edits=2)
        planted.append(tuple(sorted((str(original), name))))
    for name, nb in handins.items():
        path = root / "submitted" / name / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    return planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--assignment", default="activations")
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "course"
        planted = make_class(root, args.assignment, args.n, args.copies, args.seed)
        env = {**os.environ, "AUTOGRADER_COURSE_DIR": str(root)}
        os.environ["AUTOGRADER_COURSE_DIR"] = str(root)
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "autograder", "similarity", args.assignment,
                              "--html", str(Path(tmp) / "similarity.html")], env=env, cwd=REPO,
                             capture_output=True, text=True, check=True).stdout
        seconds = time.perf_counter() - start
        report = similarity(Course.from_env(), args.assignment, threshold=0.01, progress=False)
    ranks = {(p.a, p.b): rank for rank, p in enumerate(report.pairs, 1)}
    planted_ranks = sorted(ranks.get(pair, len(ranks) + 1) for pair in planted)
    print(out.splitlines()[-1])
    print(f"{args.n} hand-ins of {args.assignment}: {seconds:.1f} s wall for the whole CLI run "
          f"(start-up, fingerprints, index, scores, HTML)")
    print(f"planted copies: ranks {planted_ranks} of {len(ranks)} pairs sharing code; scores "
          f"{sorted((p.score for p in report.pairs if (p.a, p.b) in set(planted)), reverse=True)}")


if __name__ == "__main__":
    main()
