"""Shared by every process of the grader, light to import: where the course lives
(course.py), the user-facing error (errors.py), the notebook-cell rules (cells.py), the
defaults of the limits (defaults.py), the per-hand-in records (records.py) and what an LMS
download says about its files (roster.py)."""
