"""What the instructor learns from a graded class (issue 23): read-only views over the
hand-ins, the gradebook and the autograded notebooks, e.g. `similarity` (pairs of hand-ins
whose answer code matches beyond chance, with a side-by-side HTML view). Nothing here
changes a hand-in or a grade."""
