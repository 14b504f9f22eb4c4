"""nbgrader configuration for the course.

Plain `nbgrader` commands run from this folder (autograder/) and `python -m autograder`
from the repo root both use this file, so they work on the same course:

- source  = <repo>/solutions/<assignment_id>/<assignment_id>.ipynb   (instructor versions)
- release = <repo>/exercises/<assignment_id>/<assignment_id>.ipynb   (student versions)
- runtime state (submitted/, autograded/, feedback/, gradebook.db) lives in the course
  directory, default autograder/course/ (gitignored); override with AUTOGRADER_COURSE_DIR.

AUTOGRADER_SOURCE_DIR and AUTOGRADER_RELEASE_DIR override the source and release folders
(the autograder's own tests use them to work on a throw-away assignment).
"""
import os

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
COURSE_DIR = os.environ.get("AUTOGRADER_COURSE_DIR", os.path.join(HERE, "course"))

c.CourseDirectory.course_id = "activation-functions"
c.CourseDirectory.root = COURSE_DIR
# nbgrader joins these onto root; absolute paths win, so source and release are the
# committed folders of the repository.
c.CourseDirectory.source_directory = os.environ.get(
    "AUTOGRADER_SOURCE_DIR", os.path.join(REPO, "solutions"))
c.CourseDirectory.release_directory = os.environ.get(
    "AUTOGRADER_RELEASE_DIR", os.path.join(REPO, "exercises"))
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(COURSE_DIR, "gradebook.db")

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
