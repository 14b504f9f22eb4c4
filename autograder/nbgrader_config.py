"""nbgrader configuration for the course.

Plain `nbgrader` commands run from this folder (autograder/) and `python -m autograder`
from the repo root both use this file, so they work on the same course:

- source  = <repo>/solutions/<assignment_id>/<assignment_id>.ipynb   (instructor versions)
- release = <repo>/exercises/<assignment_id>/<assignment_id>.ipynb   (student versions)
- runtime state (submitted/, autograded/, feedback/, gradebook.db) lives in the course
  directory, default autograder/course/ (gitignored); override with AUTOGRADER_COURSE_DIR.

AUTOGRADER_SOURCE_DIR and AUTOGRADER_RELEASE_DIR override the source and release folders
(the autograder's own tests use them to work on a throw-away assignment).

Only the course paths are set here; everything else (late penalties, timeouts, the
exchange root, the gradebook URL) comes from the instructor's usual nbgrader config files
(/etc/jupyter, ~/.jupyter, ...), exactly as for plain nbgrader. Two environment
variables, when set, are applied on top:
- AUTOGRADER_EXCHANGE_DIR  -> Exchange.root (nbgrader's default: /srv/nbgrader/exchange)
- AUTOGRADER_DB_URL        -> CourseDirectory.db_url (default: sqlite in the course dir)
"""
import os
import sys

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
# nbgrader's own default for db_url is sqlite:///<root>/gradebook.db
# benchmarks/mutation.py's list of equivalent mutants stays with the instructor
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            "mutation_equivalent.txt"]
if os.environ.get("AUTOGRADER_DB_URL"):
    c.CourseDirectory.db_url = os.environ["AUTOGRADER_DB_URL"]
if os.environ.get("AUTOGRADER_EXCHANGE_DIR"):
    c.Exchange.root = os.environ["AUTOGRADER_EXCHANGE_DIR"]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# formgrader's "Generate feedback" / `nbgrader generate_feedback`: the project's feedback
# steps (hidden tests left out) plus the files `release_feedback` needs.
if REPO not in sys.path:
    sys.path.insert(0, REPO)
try:
    from autograder.preprocessors.feedback import NBGRADER_FEEDBACK_STEPS
    from autograder.preprocessors.feedback_page import feedback_config
except ImportError as _error:  # nbgrader run from an environment without the project
    raise ImportError(f"autograder/nbgrader_config.py needs the project's autograder "
                      f"package importable: {_error}") from _error
c.GenerateFeedback.preprocessors = NBGRADER_FEEDBACK_STEPS
c.merge(feedback_config())  # tests named in the summary, MathJax inlined (no CDN)
