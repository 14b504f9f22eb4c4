"""The parent process of `grade` (trust zone: the instructor): which nbgrader steps run
where (steps.py), the grader that prepares each hand-in and records its grades (grader.py),
the typed Job/Outcome between it and the worker (job.py), and the names the tests may take
from a student (names.py, decided from the instructor's notebook)."""
