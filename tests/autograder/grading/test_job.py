"""The Job/Outcome seam between grade and execute_handin: real jobs pickle (a process
pool or a Dask scheduler ships them) and carry the instructor's test cells."""
import pickle

from agtools import handin, submit
from autograder.demo import tiny_class as tiny
from autograder.grading.grader import GradeOptions, Grader
from autograder.grading.job import Job, Outcome


def test_a_prepared_job_pickles_and_names_the_trusted_cells(course):
    submit(course, "alice", handin(course, tiny.CORRECT))
    job = Grader(course, "tiny", GradeOptions()).prepare("alice")
    back = pickle.loads(pickle.dumps(job))
    assert isinstance(back, Job) and back == job
    assert sorted(back.trusted_cells) == ["test_cube", "test_helpers", "test_square"]
    assert tiny.HIDDEN_MARKER in back.trusted_cells["test_square"].source
    outcome = Outcome(notebook=None, error="boom", timings={"kernel_start": 1.0})
    assert pickle.loads(pickle.dumps(outcome)) == outcome
