"""What the instructor does after grading (issue 23), read from the gradebook and the
course folders: per-student due dates (extensions.py), feedback pages packed for an
LMS's bulk upload (lms_feedback.py), analytics and similarity. Commands in
autograder/commands/ are thin shells around these modules."""
