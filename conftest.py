"""Settings for every pytest run, nbval's notebook kernels included (they inherit them)."""

import os

# Progress bars go to stderr, which nbval would compare with the stored outputs.
os.environ["NNCOURSE_PROGRESS"] = "0"


#: The longest test files first, each as one xdist unit (``--dist loadfile``): the two processes
#: then end close together instead of one running the last long file alone while the other waits
#: (xdist's own order, by number of tests, left Slurm's and PostgreSQL's one-test files, 30–40 s
#: each and mostly waiting, to the end: a fifth of the two cores idle for the last five minutes).
#: Measured seconds on 2 cores (benchmarks/suite_profile.py); files not named run after these.
LONGEST_FIRST = (
    "tests/test_autograde.py",          # ~700: the mutation class, two grading workers
    "tests/test_other_machines.py",     # ~260: every solution under two other settings
    "tests/test_sandbox.py",            # ~210
    "tests/test_validate.py",           # ~180
    "tests/test_ordinary_grader.py",    # ~170
    "tests/test_grade_class.py",        # ~145
    "tests/test_browser.py",            # ~105
    "tests/test_faults.py",             # ~90
    "tests/test_forgery.py",            # ~65
    "solutions/10_device/10_device.ipynb",  # ~50
    "tests/test_notebook_limits.py",    # ~50, mostly sleeping
    "tests/test_slurm.py",              # ~40, mostly waiting for Slurm
    "solutions/09_cnn/09_cnn.ipynb",    # ~35
    "tests/test_postgres_gradebook.py",  # ~30
    "tests/test_zip_collect.py",        # ~25
)


def pytest_collection_modifyitems(session, config, items):
    """Sort the collected items by LONGEST_FIRST, file by file, keeping each file's own order
    (pyproject's addopts pass --no-loadscope-reorder, so xdist keeps this order)."""
    rank = {path: place for place, path in enumerate(LONGEST_FIRST)}
    position = {id(item): index for index, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(item.nodeid.split("::")[0], len(rank)), position[id(item)]))
