"""The instructor's sub-commands, one module each: parse the arguments, call the library,
print the result (`python -m autograder COMMAND`)."""
