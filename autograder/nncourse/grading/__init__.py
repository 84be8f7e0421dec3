"""The instructor's grading machinery. Nothing here is imported by a lesson's cells (the guard
that runs in the learner's kernel is ``nncourse.guard``). Its layers, from the top:

- the class grader: ``grade_class`` grades a class (``python -m nncourse.grading.grade_class``):
  it starts the workers, replaces one that hangs or dies, and prints the score table; ``worker``
  is one long-lived grader process, grading submission after submission through nbgrader's Python
  API (``NbGraderAPI.autograde``, ``generate_feedback``); ``results`` keeps each check's outcome and
  its cause (``causes``, the words every layer uses for why a cell failed);
- ``nbgrader_plugins``: what nbgrader runs for every submission, with or without the class grader
  (the judged execution step, time and output limits, restored test cells, feedback, LMS files);
- ``judge``: decides every judged test cell in the grader's own process, from values read out of
  the learner's kernel by value (``judge.agent``: the source sent into the kernel for that, never
  imported there);
- ``kernels``: where the learner's code runs (the pool of warm kernels, the bubblewrap sandbox,
  the zygote that forks kernels into it, seccomp, memory cgroups and watch, output and sockets).

Each layer imports only the layers below it (``tests/test_layers.py``). Beside them, the commands
of the instructor and the maintainer: ``report`` (what a class got wrong), ``export`` (a score per
check), ``execute`` (stored outputs and times), ``make_reference`` (reference metrics) and
``learner_bundle`` (the zip for learners).

What a lesson's kernel imports lives one level up: ``nncourse`` (lesson setup, data, training,
plots, checks, verdicts, and ``guard``, which ``setup_lesson`` installs and which acts only while
nbgrader executes the notebook) and ``nncourse.graders`` (one grader per lesson).
"""
