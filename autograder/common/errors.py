"""The one error the command line prints without a traceback."""


class UsageError(Exception):
    """A problem with what the user asked for (a typo, a missing file, a bad option value);
    the message names the problem and what is accepted."""
