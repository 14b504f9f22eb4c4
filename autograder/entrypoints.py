"""The grader's own code that is named by a string or a path, not imported: the one
registry of those names (tests/autograder/test_entrypoints.py imports or runs each).

    WORKER_MODULES  what a grading worker imports to run a Job; the local pool imports
                    them once in its forkserver, a Dask worker at start-up
    RUNNER_MODULE   the trusted test runner, started as `python -m RUNNER_MODULE`
    LAUNCHER        a sandbox's first process, run by path with `python -I -S` (standard
                    library only: it must not import this package)
    CHANNEL_PACKAGE the channel package, bound read-only into the student's sandbox
                    and imported there as `agchannel`
The sub-commands are named in autograder/commands/__init__.py (COMMANDS).
"""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
WORKER_MODULES = ("autograder.grading.grader", "autograder.worker.handin")
RUNNER_MODULE = "autograder.runner"
LAUNCHER = PACKAGE_DIR / "sandbox" / "launcher.py"
CHANNEL_PACKAGE = PACKAGE_DIR / "channel"
