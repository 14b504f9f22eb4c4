"""What every assignment's grading suite checks, written once.

A test module subclasses `AssignmentSuite` and sets the class attributes; pytest then
grades its hand-ins in two batches (the suites' trusted pipeline, and plain nbgrader in one
kernel for the few hand-ins only that mode can show) and runs the checks below:

    class TestActivations(AssignmentSuite):
        ASSIGNMENT = "activations"
        AUTOGRADED_POINTS, MANUAL_POINTS = 25, {"derivation_swish": 2, ...}
        ALTERNATIVE = {answer cell grade_id: source}      # a second correct implementation
        WRONG = {name: (cell, old, new, {test grade_ids it must lose})}
        ONE_KERNEL_ONLY = {mistake: module it imports}     # graded by plain nbgrader only
        TIMEOUT = 60                                       # per cell, seconds

Hand-ins: `solution` (the reference answers), `second` (ALTERNATIVE filled into the
student version), `blank` (the student version as released) and one per WRONG entry (the
reference with one mistake).

`AttackSuite` adds the hostile, trivial and hard-coded hand-ins of an `ATTACKS` module
(`<id>_handins.py`: `attacks() -> {name: (answers, lost)}`, where answers is
{grade_id: source} filled into the blank notebook or (cell, old, new) applied to the
reference, and `LOST = {name: test cells it must lose}`), graded in the same batch, each
scoring exactly its honest score.
"""
from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from .harness import SUITE_PIPELINE, fill_solution, mistake_handin, solution_handin, student_version


class AssignmentSuite:
    ASSIGNMENT: str
    AUTOGRADED_POINTS: float
    MANUAL_POINTS: dict
    ALTERNATIVE: dict
    WRONG: dict
    ONE_KERNEL_ONLY: dict = {}
    TIMEOUT: float = 120

    def pytest_generate_tests(self, metafunc):
        if "mistake" in metafunc.fixturenames:
            metafunc.parametrize("mistake", sorted(self.WRONG))

    @classmethod
    def handins(cls, names) -> dict:
        reference = solution_handin(cls.ASSIGNMENT)
        handins = {"solution": reference,
                   "second": fill_solution(student_version(cls.ASSIGNMENT), cls.ALTERNATIVE),
                   "blank": student_version(cls.ASSIGNMENT)}
        for name in names:
            cell, old, new, _ = cls.WRONG[name]
            handins[name] = mistake_handin(reference, cell, old, new)
        return handins

    @classmethod
    def extra_handins(cls, handins: dict) -> dict:
        """More hand-ins for the trusted batch, built from `handins` (none here)."""
        return {}

    @pytest.fixture(scope="class")
    def graded(self, autograde):
        """Every hand-in but ONE_KERNEL_ONLY, in one batch of the suites' pipeline (trusted)."""
        names = sorted(set(self.WRONG) - set(self.ONE_KERNEL_ONLY))
        handins = self.handins(names)
        handins.update(self.extra_handins(handins))
        results = autograde(self.ASSIGNMENT, handins, timeout=self.TIMEOUT,
                            pipeline=SUITE_PIPELINE)
        print(f"\n{self.ASSIGNMENT}: seconds per hand-in:",
              {name: result.seconds for name, result in results.items()})
        return results

    @pytest.fixture(scope="class")
    def graded_one_kernel(self, autograde):
        """A small batch graded by plain nbgrader in one kernel (a student's Restart & Run All)."""
        handins = self.handins(self.ONE_KERNEL_ONLY)
        del handins["second"]
        return autograde(self.ASSIGNMENT, handins, timeout=self.TIMEOUT, pipeline="nbgrader")

    def result(self, request, graded, name):
        if name not in self.ONE_KERNEL_ONLY:
            return graded[name]
        if importlib.util.find_spec(self.ONE_KERNEL_ONLY[name]) is None:
            pytest.skip(f"{self.ONE_KERNEL_ONLY[name]} is not installed: nobody can import from it")
        return request.getfixturevalue("graded_one_kernel")[name]

    def test_one_kernel_grading_gives_the_same_scores(self, graded, graded_one_kernel):
        """Plain nbgrader (everything in one kernel) scores the reference and the blank notebook
        exactly as the trusted pipeline does: the tests work in both modes."""
        for name in ("solution", "blank"):
            one, trusted = graded_one_kernel[name], graded[name]
            assert one.cells == trusted.cells, \
                f"{name}: one kernel {one.describe()}\ntrusted {trusted.describe()}"

    def test_every_handin_is_graded_without_crashing(self, graded):
        failed = {name: result.error for name, result in graded.items() if result.failed}
        assert not failed, f"could not grade: {failed}"

    @pytest.mark.parametrize("student", ["solution", "second"])
    def test_correct_answers_get_full_autograded_marks(self, graded, student):
        result = graded[student]
        assert result.max_total == self.AUTOGRADED_POINTS, result.describe()
        assert result.total == self.AUTOGRADED_POINTS, result.describe()

    def test_written_answers_are_left_for_manual_grading(self, graded):
        assert graded["solution"].manual == self.MANUAL_POINTS

    def test_unanswered_student_version_gets_zero(self, graded):
        result = graded["blank"]
        assert not result.failed, result.describe()
        assert result.total == 0, result.describe()
        assert result.lost == set(result.cells), result.describe()

    def test_wrong_handin_loses_exactly_the_tests_aimed_at_it(self, request, graded, mistake):
        expected = self.WRONG[mistake][3]
        result = self.result(request, graded, mistake)
        assert result.lost == expected, (
            f"{mistake}: expected to lose {sorted(expected)}, lost {sorted(result.lost)}\n"
            + result.describe())
        points = sum(result.cells[name][1] for name in expected)
        assert result.total == self.AUTOGRADED_POINTS - points

    def test_failures_tell_the_student_what_was_expected(self, request, graded, mistake):
        """Each failing test names what it expected (never a bare AssertionError); a failure
        in a hidden test shows only the grader's message with its hint (the trusted
        runner's HiddenTestFailed)."""
        for name, message in self.result(request, graded, mistake).messages.items():
            if message.startswith("HiddenTestFailed: "):
                assert "hint" in message.lower(), f"{mistake}, {name}: no hint in {message!r}"
                continue
            assert message.startswith("AssertionError: ") and "expect" in message.lower(), (
                f"{mistake}, {name}: unhelpful failure message {message!r}")


class AttackSuite(AssignmentSuite):
    """An AssignmentSuite whose batch also grades the hand-ins of `ATTACKS` (see above)."""
    ATTACKS: ModuleType

    def pytest_generate_tests(self, metafunc):
        super().pytest_generate_tests(metafunc)
        if "attack" in metafunc.fixturenames:
            metafunc.parametrize("attack", sorted(self.ATTACKS.LOST))

    @classmethod
    def extra_handins(cls, handins: dict) -> dict:
        extra = {}
        for name, (answers, _) in cls.ATTACKS.attacks().items():
            if isinstance(answers, tuple):  # (cell, old, new): the reference with one change
                extra[name] = mistake_handin(handins["solution"], *answers)
            else:
                extra[name] = fill_solution(handins["blank"], answers)
        return extra

    def test_attack_scores_its_honest_score(self, graded, attack):
        """A trivial, hard-coded or hostile hand-in loses exactly the tests it does not
        honestly pass, and is still graded."""
        result, expected = graded[attack], self.ATTACKS.LOST[attack]
        assert not result.failed, result.describe()
        assert result.lost == expected, (
            f"{attack}: expected to lose {sorted(expected)}, lost {sorted(result.lost)}\n"
            + result.describe())
        assert result.total == self.AUTOGRADED_POINTS - sum(result.cells[name][1] for name in expected)
