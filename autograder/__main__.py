"""`python -m autograder ...`: see autograder/commands.py."""
import sys

from autograder.commands import main

sys.exit(main())
