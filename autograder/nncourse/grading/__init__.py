"""The instructor's grading machinery. Nothing here is imported by a lesson's cells (the guard
that runs in the learner's kernel is ``nncourse.guard``).

- ``grade_class``: grade a class (``python -m nncourse.grading.grade_class``): it starts the
  workers, replaces one that hangs or dies, and prints the score table; feedback and export;
- ``worker``: one long-lived grader process, grading submission after submission through
  nbgrader's Python API (``NbGraderAPI.autograde``, ``generate_feedback``);
- ``kernels``: each worker's pool of kernels started ahead of time inside the sandbox, one
  submission per kernel; ``zygote`` forks them, for a root grader, from one process per worker
  that has imported the lessons' modules and read MNIST once, into the namespaces bwrap made for
  each; ``warm_kernel`` launches them otherwise (the same imports, in each kernel);
- ``sandbox``: the bubblewrap sandbox a learner's kernel runs in, and the safe copy of a
  submission; ``seccomp_filter``: the system calls its kernel may not make; ``cgroups``: one
  memory cgroup per kernel (a root grader); ``kernel_output``: the pipe that carries a kernel's
  own output into the log;
- ``judged_execute``: nbgrader's execution step (``JudgedExecute``, replacing ``Execute``): it
  starts the kernel (in the sandbox, from the pool) and hands the lessons' ``JUDGED`` test cells
  to ``judge``, which decides them in this process from values read out of the kernel by value
  (``judge_agent``: the source sent into the kernel for that, never imported there); its base,
  ``notebook_limits``, caps each notebook's output bytes and wall time;
- ``missing_tests``, ``feedback``: nbgrader preprocessors (deleted test and setup cells put back,
  hidden tests kept out of the feedback, learner HTML cleaned in the instructor's pages);
  ``lms_collect``: whose work each file of an LMS download is (``nbgrader zip_collect``'s plugins);
- ``execute``, ``make_reference``, ``learner_bundle``: the maintainer's tools (stored outputs,
  reference metrics, the zip for learners);
- ``ipc_kernels``: unix sockets instead of TCP ports for the kernels started without the sandbox
  (TCP ports picked for one kernel can be taken by another started at the same moment).

What a lesson's kernel imports lives one level up: ``nncourse`` (lesson setup, data, training,
plots, checks, verdicts, and ``guard``, which ``setup_lesson`` installs and which acts only while
nbgrader executes the notebook) and ``nncourse.graders`` (one grader per lesson). Of this package a
kernel runs only ``warm_kernel`` and the forked half of ``zygote``.
"""
