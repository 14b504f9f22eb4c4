"""What the instructor learns from a graded class (issue 23): per-test analytics
(analytics.py, its HTML report in report_html.py), the human names of tests
(testnames.py), similarity of hand-ins and per-student extensions. Everything here
reads the gradebook, the status records and the autograded notebooks; nothing here
runs student code or changes a grade."""
