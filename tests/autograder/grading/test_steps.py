"""grading/steps.py: our grading steps are nbgrader's Autograde lists, with only our steps
substituted, split by where they run; a course's nbgrader_config.py changes them."""
import nbformat
import pytest
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    ClearOutput,
    Execute,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from traitlets.config import Config

from agtools import handin, submit
from autograder.common.errors import UsageError
from autograder.demo import tiny_class as tiny
from autograder.grading import steps as pipeline
from autograder.grading.grader import GradeOptions, Grader, grade
from autograder.grading.job import Job
from autograder.preprocessors.containment import CleanTestOutputs, DeduplicateIdsAndSay, DropWidgetState
from autograder.preprocessors.metadata import CheckCellMetadataSchemaOnce
from autograder.worker.handin import steps_after_execute

OPTIONS = GradeOptions(workers=1, cell_timeout=20, notebook_timeout=60, quiet=True)


def test_the_default_pipelines_are_nbgraders_lists_with_our_steps_substituted():
    steps = pipeline.build(Config())
    assert steps.sanitize == [ClearOutput, DeduplicateIdsAndSay, DropWidgetState,
                              OverwriteKernelspec, OverwriteCells, CheckCellMetadataSchemaOnce]
    assert steps.execute == [Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput]
    assert steps.record == [DropWidgetState, CleanTestOutputs,
                            pipeline.SaveAutoGradesInOneTransaction, AssignLatePenalties,
                            CheckCellMetadataSchemaOnce]


def test_the_worker_gets_its_steps_as_import_paths_and_a_job_without_them_gets_nbgraders():
    paths = pipeline.build(Config()).execute_paths()
    assert paths == ("nbgrader.preprocessors.ignorepattern.IgnorePattern",
                     "nbconvert.preprocessors.clearmetadata.ClearMetadataPreprocessor",
                     "nbgrader.preprocessors.limitoutput.LimitOutput")
    job = Job(notebook="", notebook_name="x.ipynb", resources={}, cell_timeout=1,
              notebook_timeout=1, limits={}, sandbox=False, config={})
    assert steps_after_execute(job) == paths
    built = pipeline.worker_steps(paths, Config({"LimitOutput": {"max_lines": 7}}))
    assert [type(s) for s in built] == [IgnorePattern, ClearMetadataPreprocessor, LimitOutput]
    assert built[2].max_lines == 7                       # the course's config reaches them


def test_a_configured_list_is_followed_and_import_strings_are_accepted():
    config = Config({"Autograde": {"autograde_preprocessors": [
        "nbgrader.preprocessors.Execute", LimitOutput, SaveAutoGrades]}})
    steps = pipeline.build(config)
    assert steps.execute == [Execute, LimitOutput]
    assert steps.record == [DropWidgetState, CleanTestOutputs,
                            pipeline.SaveAutoGradesInOneTransaction]


@pytest.mark.parametrize("steps, says", [
    ([IgnorePattern, SaveAutoGrades], "must start with Execute"),
    ([Execute, IgnorePattern], "contain SaveAutoGrades"),
    ([Execute, SaveAutoGrades, Execute], "twice"),
    ([Execute, "no.such.Step", SaveAutoGrades], "cannot import 'no.such.Step'"),
    ([Execute, 42, SaveAutoGrades], "42 is not a preprocessor class"),
])
def test_a_list_that_cannot_be_split_is_refused_with_what_is_accepted(steps, says):
    with pytest.raises(UsageError, match=says):
        pipeline.build(Config({"Autograde": {"autograde_preprocessors": steps}}))


def test_the_worker_config_drops_the_step_lists_which_may_hold_unpicklable_classes():
    class Local(SaveAutoGrades):
        pass
    config = Config({"Autograde": {"autograde_preprocessors": [Execute, Local],
                                   "sanitize_preprocessors": [], "other": 1},
                     "LimitOutput": {"max_lines": 3}})
    sent = pipeline.worker_config(config)
    assert dict(sent.Autograde) == {"other": 1} and sent.LimitOutput.max_lines == 3
    assert "autograde_preprocessors" in config.Autograde        # the caller's is untouched


def test_an_instructors_config_enabling_clear_metadata_applies_to_the_autograded_notebook(
        course, tmp_path, monkeypatch):
    """nbgrader's own list has ClearMetadataPreprocessor (off by default); with it enabled
    in an nbgrader_config.py in the working folder, as plain nbgrader reads it, the
    autograded notebook code cells keep only their nbgrader metadata (and the
    locks nbgrader sets after), and the grades are unchanged."""
    nb = handin(course, tiny.CORRECT)
    for cell in nb.cells:
        cell.metadata["tags"] = ["student-tag"]
    submit(course, "alice", nb)
    submit(course, "bob", nb)
    folder = tmp_path / "instructor"
    folder.mkdir()
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.ClearMetadataPreprocessor.enabled = True\n"
        "c.ClearMetadataPreprocessor.preserve_cell_metadata_mask = {'nbgrader'}\n")
    monkeypatch.chdir(folder)

    summary = grade(course, "tiny", students=["alice"], options=OPTIONS)

    assert summary.graded["alice"]["score"] == 3.0, summary
    graded = nbformat.read(course.autograded("alice", "tiny"), as_version=4)
    code = [cell for cell in graded.cells if cell.cell_type == "code"]  # what it clears
    assert all(set(cell.metadata) <= {"nbgrader", "deletable", "editable"} for cell in code), \
        [list(cell.metadata) for cell in code]
    assert any("nbgrader" in cell.metadata for cell in code)

    monkeypatch.chdir(tmp_path)                          # without it: metadata kept
    grade(course, "tiny", students=["bob"], options=OPTIONS)
    kept = nbformat.read(course.autograded("bob", "tiny"), as_version=4)
    assert all("tags" in cell.metadata for cell in kept.cells if cell.cell_type == "code")


def test_the_grader_sends_the_course_configured_worker_steps_in_each_job(course, tmp_path,
                                                                        monkeypatch):
    folder = tmp_path / "instructor"
    folder.mkdir()
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.Autograde.autograde_preprocessors = ['nbgrader.preprocessors.Execute',\n"
        "    'nbgrader.preprocessors.LimitOutput', 'nbgrader.preprocessors.SaveAutoGrades']\n")
    monkeypatch.chdir(folder)
    submit(course, "alice", handin(course, tiny.CORRECT))
    job = Grader(course, "tiny", OPTIONS).prepare("alice")
    assert job.steps == ("nbgrader.preprocessors.limitoutput.LimitOutput",)
    assert "autograde_preprocessors" not in job.config.get("Autograde", {})
