"""The instructor's grading machinery. Nothing here is imported by a lesson's cells, except the
guard.

- ``grade_class``: grade a class (``python -m nncourse.grading.grade_class``): workers, score
  table, feedback and export;
- ``sandbox``: the bubblewrap sandbox a learner's kernel runs in, and the safe copy of a
  submission;
- ``guard``: the one module of this package that runs inside the learner's kernel:
  ``setup_lesson`` installs it, and it acts only while nbgrader executes the notebook;
- ``missing_tests``, ``feedback``: nbgrader preprocessors (deleted test cells put back, hidden
  tests kept out of the feedback);
- ``execute``, ``make_reference``, ``learner_bundle``: the maintainer's tools (stored outputs,
  reference metrics, the zip for learners).

What a lesson's kernel imports lives one level up: ``nncourse`` (lesson setup, data, training,
plots, checks, verdicts) and ``nncourse.graders`` (one grader per lesson).
"""
