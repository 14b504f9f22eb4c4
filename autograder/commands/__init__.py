"""The instructor's sub-commands, one module each: `add_arguments(parser)` declares the
options, `run(args, course) -> int` parses nothing more, calls the library and prints."""
