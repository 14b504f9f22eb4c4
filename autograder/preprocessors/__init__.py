"""Our nbgrader preprocessors, in one place: containment.py (steps a hand-in can break
fail alone; test outputs cleaned for scoring) and feedback.py (hidden tests out, student
HTML sanitised, tests named), metadata.py (nbgrader's CheckCellMetadata with its schema
compiled once), with feedback_page.py and templates/ for the page itself (nbgrader's
feedback template with named tests, MathJax inlined offline)."""
