"""Lesson-specific checks: each module looks at what a learner built and, when it is wrong,
names the likely mistake from the value's behaviour (not from the code's text)."""
