"""The trusted test runner: its own process (`python -m autograder.runner`), in its own
sandbox, one per hand-in. It runs the instructor's test cells and reaches student objects
only through the channel (autograder/channel/)."""
