"""`python -m autograder.runner --socket PATH`: see autograder/runner/runner.py."""
import sys

from autograder.runner.runner import main

sys.exit(main())
