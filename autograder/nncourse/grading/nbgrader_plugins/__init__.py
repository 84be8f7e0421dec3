"""What the course plugs into nbgrader: its preprocessors and its zip_collect plugins, named in
``autograder/nbgrader_config.py`` and so used by plain ``nbgrader autograde`` as by the class grader.

- ``judged_execute``: nbgrader's execution step (``JudgedExecute``, replacing ``Execute``): it
  starts the kernel (in the sandbox, from the worker's pool) and hands the lessons' ``JUDGED`` test
  cells to the judge (``nncourse.grading.judge``); its base, ``notebook_limits``, caps each
  notebook's output bytes and wall time;
- ``missing_tests``: deleted test and setup cells put back (and run) before grading;
- ``feedback``: hidden tests kept out of the feedback, learner HTML cleaned in the instructor's pages;
- ``lms_collect``: whose work each file of an LMS download is (``nbgrader zip_collect``).

This layer uses the judge and the kernels below it; it never imports the class grader above it.
"""
