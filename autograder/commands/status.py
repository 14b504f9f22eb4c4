"""`status [ID]`: per assignment, who is collected, graded (score, problems), failed (why).

A graded hand-in whose tests could not all run against its notebook (the kernel did not
serve a test, the channel broke, a test helper or the trusted runner failed) shows
"NEEDS REVIEW: <reasons>": its score counts those tests as failed.

Reads the submitted/ folder and the status records written by `grade`; it never runs
anything. A graded hand-in whose file changed since (collected again) shows as
"collected (changed since graded)". A late penalty shows as "late: -P" (the score is
before it, as nbgrader keeps it), a per-student due date (`extend`) as "own due date".
"""
from autograder.commands.args import add_db_url
from autograder.common import records
from autograder.common.course import Course
from autograder.grading.extensions import due_dates, show


def _gradebook_scores(course: Course, assignment_id: str) -> dict:
    """student -> (score, max_score, needs manual grade) from the gradebook, which also
    holds what graders entered in formgrader after autograding."""
    from nbgrader.api import MissingEntry
    if not course.gradebook_exists():   # a SQLite file not created yet: nothing recorded
        return {}
    with course.gradebook() as gb:
        try:
            submissions = gb.find_assignment(assignment_id).submissions
        except MissingEntry:
            return {}
        return {s.student.id: (s.score, s.max_score, s.needs_manual_grade,
                               s.late_submission_penalty) for s in submissions}


def rows(course: Course, assignment_id: str) -> list[tuple[str, str, str, str]]:
    """(student, state, score, detail) per collected hand-in."""
    scores = _gradebook_scores(course, assignment_id)
    dues = due_dates(course, assignment_id)
    table = []
    for student in course.submitted_students(assignment_id):
        record = records.load(course, assignment_id, student)
        if record is None:
            table.append((student, "collected", "", "not graded yet"))
        elif record["state"] == records.FAILED:
            table.append((student, "failed", "", record["reason"]))
        else:
            state = "graded" if records.is_done(course, assignment_id, student) else \
                "collected (changed since graded)"
            score, max_score, needs_manual, penalty = scores.get(
                student, (record["score"], record["max_score"], record["needs_manual_grade"], 0))
            detail = "; ".join(record["problems"])
            if penalty:
                detail = "; ".join(filter(None, [f"late: -{penalty:g}", detail]))
            if record.get("needs_review"):
                detail = "; ".join(filter(None, ["NEEDS REVIEW: " + "; ".join(
                    record["needs_review"][:3]), detail]))
            if needs_manual:
                detail = "; ".join(filter(None, [detail, "needs manual grading (formgrader)"]))
            table.append((student, state, f"{score:g} / {max_score:g}", detail))
    return [(s, state, score, "; ".join(filter(None, [
        f"own due date {show(dues[s])}" if s in dues else "", detail])))
        for s, state, score, detail in table]


def status_table(course: Course, assignment_id: str | None = None) -> str:
    ids = [course.check_assignment(assignment_id)] if assignment_id else course.assignment_ids()
    out = []
    for aid in ids:
        table = rows(course, aid)
        counts = {state: sum(1 for r in table if r[1] == state)
                  for state in ("collected", "graded", "failed")}
        out.append(f"{aid}: {len(table)} collected, {counts['graded']} graded, "
                   f"{counts['failed']} failed, {len(table) - counts['graded'] - counts['failed']}"
                   " waiting")
        if table:
            width = max(len(r[0]) for r in table)
            for student, state, score, detail in table:
                out.append(f"  {student:<{width}}  {state:<10} {score:>11}  {detail}".rstrip())
        dues = due_dates(course, aid)
        waiting = sorted(set(dues) - {r[0] for r in table})
        if waiting:
            out.append("  own due dates, not collected yet: " + ", ".join(
                f"{s} {show(dues[s])}" for s in waiting))
    return "\n".join(out) if out else f"no assignments under {course.source}"


def add_arguments(parser) -> None:
    parser.add_argument("id", nargs="?", metavar="ID")
    add_db_url(parser)


def run(args, course: Course) -> int:
    print(status_table(course, args.id))
    return 0
