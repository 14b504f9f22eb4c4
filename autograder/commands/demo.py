"""`demo`: a generated class through the whole pipeline, in a throw-away course.

Uses the real `vanishing_gradients` assignment when solutions/ has it (else any real
one, else the generated `tiny` one), releases it into the demo's own folder (exercises/
is not touched), writes a class of hand-ins as an LMS-style folder, then runs collect,
grade, feedback, export and status and prints the grade table.
"""
import tempfile
from collections.abc import Iterable
from pathlib import Path

import nbformat

from autograder.commands.args import positive_int
from autograder.commands.collect import collect, format_report
from autograder.commands.export import export
from autograder.commands.feedback import feedback
from autograder.commands.grade import format_summary
from autograder.commands.release import release
from autograder.commands.status import status_table
from autograder.common import cells, defaults
from autograder.common.course import REPO, Course
from autograder.demo import tiny_class as tiny
from autograder.grading.grader import GradeOptions, grade

PREFERRED = "vanishing_gradients"

SNOOP = '''import os, socket
for _path in [{solutions!r}, {gradebook!r}, "/root/.bashrc", "/etc/shadow"]:
    try:
        os.listdir(_path) if os.path.isdir(_path) else open(_path).read(1)
        print("READ", _path)
    except OSError as _e:
        print("blocked:", _path, type(_e).__name__)
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2); print("NETWORK OPEN")
except OSError as _e:
    print("blocked: network", type(_e).__name__)
'''


def pick_assignment(source: Path) -> str | None:
    ids = sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file()) \
        if source.is_dir() else []
    return PREFERRED if PREFERRED in ids else (ids[0] if ids else None)


def solved_cells(source_nb: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> the instructor's answer (solution delimiters removed)."""
    answers = {}
    for cell in source_nb.cells:
        if cells.is_answer(cell):
            answers[cells.grade_id(cell)] = cells.strip_solution_markers(cell.source)
    return answers


def make_class(course: Course, assignment_id: str) -> dict[str, nbformat.NotebookNode]:
    """student -> hand-in: correct, partial, empty and three misbehaving ones."""
    released = nbformat.read(course.release_folder(assignment_id) / f"{assignment_id}.ipynb",
                             as_version=4)
    answers = solved_cells(nbformat.read(course.source_notebook(assignment_id), as_version=4))
    code_ids = [gid for gid in answers
                if any(cells.grade_id(c) == gid and c.cell_type == "code" for c in released.cells)]

    def with_answers(ids: Iterable[str], extra_first: str = "") -> nbformat.NotebookNode:
        nb = nbformat.reads(nbformat.writes(released), as_version=4)
        for gid in ids:
            tiny.answer(nb, gid, answers[gid])
        if extra_first and code_ids:
            first = next(c for c in nb.cells if cells.grade_id(c) == code_ids[0])
            first.source = extra_first + "\n" + first.source
        return nb

    edits_tests = with_answers([])
    for cell in edits_tests.cells:
        if cells.is_test(cell):
            cell.source = "pass  # test removed by the student"
    snoop = SNOOP.format(solutions=str(course.source_notebook(assignment_id)),
                         gradebook=str(course.gradebook_file))
    return {
        "ada_correct": with_answers(answers),
        "ben_partial": with_answers(code_ids[: max(1, len(code_ids) // 2)]),
        "cy_empty": with_answers([]),
        "dora_crashes_kernel": with_answers(answers, "import os\nos._exit(1)"),
        "ed_edits_tests": edits_tests,
        "flo_snoops": with_answers(answers, snoop),
    }


def demo(workers: int, sandbox: bool = True, course_dir: Path | None = None) -> int:
    base = Path(course_dir or tempfile.mkdtemp(prefix="autograder-demo-")).resolve()
    assignment_id = pick_assignment(REPO / "solutions")
    if assignment_id is None:
        source = tiny.write_source(base / "source").parent.parent
        assignment_id = tiny.ASSIGNMENT_ID
    else:
        source = REPO / "solutions"
    course = Course(root=base / "course", source=source, release=base / "release")
    print(f"== demo course in {base}: assignment {assignment_id!r} ({source})")
    release(course, [assignment_id])
    handins = base / "handins"
    for student, nb in make_class(course, assignment_id).items():
        (handins / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, handins / student / f"{assignment_id}.ipynb")
    (handins / "gus_broken.ipynb").write_text('{"cells": [ {"cell_type": "code", ')
    print("== collect\n" + format_report(collect(course, assignment_id, handins)))
    options = GradeOptions(workers=workers, sandbox=sandbox, cell_timeout=defaults.CELL_TIMEOUT,
                           notebook_timeout=600)
    print("== grade\n" + format_summary(grade(course, assignment_id, options=options)))
    print(f"== feedback: {len(feedback(course, assignment_id))} HTML file(s) in "
          f"{course.root / 'feedback'}")
    n_rows = export(course, base / "grades.csv")
    print(f"== export: {n_rows} row(s) in {base / 'grades.csv'}")
    print("== status\n" + status_table(course, assignment_id))
    return 0


def add_arguments(parser) -> None:
    parser.add_argument("--workers", type=positive_int, default=defaults.workers(), metavar="N")
    parser.add_argument("--no-sandbox", action="store_true")
    parser.add_argument("--course-dir", type=Path, default=None,
                        help="where to put the demo course (default: a temporary folder)")


def run(args, course) -> int:
    return demo(workers=args.workers, sandbox=not args.no_sandbox, course_dir=args.course_dir)
