"""Shared fixtures for the exercise tests: real nbgrader in a temporary course directory.

    def test_something(autograde):
        results = autograde("activations", {"ref": solution_handin("activations"),
                                            "blank": student_version("activations")})
        assert results["ref"].total == results["ref"].max_total

`autograde(assignment_id, handins, timeout=120) -> dict[str, Result]` runs
`nbgrader generate_assignment` and ONE `nbgrader autograde` for the whole batch in a fresh
temporary course (the repo's exercises/ and autograder/course/ are never touched); call it
once per test module from a module-scoped fixture. Hand-in builders (student_version,
solution_handin, fill_solution) and `Result` live in tests/exercises/harness.py:
`from .harness import fill_solution, solution_handin, student_version`.
"""
from __future__ import annotations

import pathlib

import pytest

from .harness import autograde_batch, generate_release


@pytest.fixture(scope="session")
def autograde(tmp_path_factory):
    """Callable grading a batch of hand-ins with real nbgrader; see harness.autograde_batch."""
    def run(assignment_id: str, handins: dict, timeout: int = 120):
        course_dir = tmp_path_factory.mktemp(f"course-{assignment_id}")
        return autograde_batch(assignment_id, handins, course_dir, timeout=timeout)
    return run


@pytest.fixture(scope="session")
def release_assignment(tmp_path_factory):
    """Callable: assignment id -> path of a freshly generated student notebook (cached)."""
    cache: dict[str, pathlib.Path] = {}

    def run(assignment_id: str) -> pathlib.Path:
        if assignment_id not in cache:
            course_dir = tmp_path_factory.mktemp(f"release-{assignment_id}")
            cache[assignment_id] = generate_release(assignment_id, course_dir)
        return cache[assignment_id]
    return run
