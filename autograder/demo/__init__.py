"""Generated material for demos, tests and benchmarks: tiny_class.py builds a tiny nbgrader
assignment and a class of hand-ins for it from code."""
