"""What the instructor reads after grading (the instructor's process), from the gradebook
and the course folders: the feedback pages packed for an LMS's bulk upload
(lms_feedback.py), the class's analytics, the similarity of hand-ins. The commands in
autograder/commands/ are thin shells around these modules."""
