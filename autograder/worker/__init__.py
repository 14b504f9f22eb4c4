"""One hand-in, in a pool worker or on a Dask worker (trust zone: the instructor's
code, never the student's): handin.py is the entry point, kernel.py the sandboxed student
kernel, lockstep.py runs the test cells in the trusted runner in notebook order."""
