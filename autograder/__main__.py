"""`python -m autograder ...`: see autograder/commands/__init__.py."""
import sys

from autograder.commands import main

sys.exit(main())
