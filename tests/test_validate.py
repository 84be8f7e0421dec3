"""Every check's verdict through real `nbgrader validate`, the command JupyterLab's Validate button
runs for a learner: the failed test cell's error reads as the check's Korean verdict (its hint
included) and names no file of the course package (issue 15).

One wrong answer per test cell is validated (the first in tests/wrong_answers/ that targets it),
so every test cell's failure goes once through the real command. The hint of every other wrong
answer is checked in the form `nbgrader validate` prints it, by nbgrader's own Validator code,
on its autograded notebook (test_autograde.py): validating each of them again would run the
same cells again to print the same text.

Each wrong answer is validated in a notebook that ends with the test cell it must fail: the
cells before it are the learner's as in the autograde test, and the later cells (other
exercises, more training) cannot change what that cell shows, so they are left out to save time
(a concept question's wrong letter keeps only the setup cell and the question's own cells).
A wrong answer that only a hidden test catches passes validate (the learner's notebook has no
hidden tests): it is skipped here, and graded by test_autograde.py.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from nbgrader.validator import Validator

from nncourse.grading.kernels.fork_provisioner import kernel_spec_folder
from nncourse.grading.kernels.ipc import command_line_options, private_socket_folder
from nncourse.grading.nbgrader_plugins.notebook_limits import reference_seconds

from nbgrader_course import (VENV_BIN, grade_id, lesson_ids, make_course, nbgrader_env, solution_notebook,
                             wrong_answer_notebook)
from shown_output import COURSE_FILE, flat, strip_ansi
from wrong_answers import WRONG_ANSWERS

def first_per_test_cell(wrong_answers):
    """The first wrong answer of each test cell."""
    first = {}
    for wrong in wrong_answers:
        first.setdefault(wrong.test_cell, wrong)
    return list(first.values())


CASES = [(lesson, wrong) for lesson in lesson_ids()
         for wrong in first_per_test_cell(WRONG_ANSWERS.get(lesson, []))]
RULE = "=" * Validator.width.default_value + "\n"
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: Where one notebook's report starts in the output of `nbgrader validate` with several.
REPORT = re.compile(r"^(?=VALIDATION FAILED ON |Success! )", re.MULTILINE)


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    """(lesson, wrong answer name) → (test cell source, `nbgrader validate` stdout): every case
    of every lesson is validated in one pass, when first asked."""
    results = {}

    def validate(lesson, name):
        if not results:
            results.update(_validate_all(CASES, tmp_path_factory.mktemp("validate")))
        return results[lesson, name]

    return validate


def _notebook_up_to(lesson, wrong):
    notebook = wrong_answer_notebook(lesson, wrong.answer_cell, wrong.code, wrong.test_cell)
    return notebook, notebook.cells[-1].source


def _estimated_seconds(lesson, notebook) -> float:
    """About how long the notebook runs: its lesson's reference time, in proportion to the code
    cells it keeps (the solution's training comes in its later cells)."""
    kept = sum(cell.cell_type == "code" for cell in notebook.cells)
    total = sum(cell.cell_type == "code" for cell in solution_notebook(lesson).cells)
    return (reference_seconds(lesson) or 10.0) * kept / max(total, 1)


def balanced_chunks(costs: dict, workers: int) -> list[list]:
    """Items split into ``workers`` lists of about equal total cost: longest first, each to the
    list with the least so far (the longest notebooks do not all end up in one process)."""
    chunks, totals = [[] for _ in range(workers)], [0.0] * workers
    for item in sorted(costs, key=costs.get, reverse=True):
        least = totals.index(min(totals))
        chunks[least].append(item)
        totals[least] += costs[item]
    return [chunk for chunk in chunks if chunk]


def _validate_all(cases, root):
    # A course folder with the repository's nbgrader config, as a learner's clone has.
    course = make_course(root, [])
    sources, costs, cases_at = {}, {}, {}
    for lesson, wrong in cases:
        notebook, sources[lesson, wrong.name] = _notebook_up_to(lesson, wrong)
        path = course / "work" / f"{lesson}-{wrong.name}" / f"{lesson}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
        costs[path] = _estimated_seconds(lesson, notebook)
        cases_at[path] = (lesson, wrong.name)
    # One `nbgrader validate` per core for the whole suite, each with its share of the notebooks:
    # it validates them in the order given and prints one report after another (starting up
    # nbgrader costs more than a short notebook, and one pass per lesson left a core idle while
    # the other finished the lesson's longest notebook).
    chunks = balanced_chunks(costs, min(len(costs), os.cpu_count() or 2))

    def run(chunk):
        # Unix sockets, one folder per process: the TCP ports jupyter_client picks can be taken
        # by a kernel started at the same moment ("Address already in use"; see ipc_kernels).
        # Its kernels are forked from a zygote that has imported torch and the course package
        # (nncourse.grading.kernels.fork_provisioner): the same kernel, without paying the imports again
        # for every notebook; one OpenMP thread from the start, as setup_lesson() sets in the
        # first cell anyway. What is checked here is what validate prints, not how a kernel starts.
        env = {**nbgrader_env(), "JUPYTER_PATH": str(share), **ONE_THREAD}
        with private_socket_folder() as sockets:
            result = subprocess.run([str(VENV_BIN / "nbgrader"), "validate", *map(str, chunk),
                                     *command_line_options(sockets)],
                                    cwd=course, env=env, capture_output=True, text=True, timeout=3600)
        reports = REPORT.split(result.stdout)[1:]
        assert result.returncode == 0 and len(reports) == len(chunk), (
            f"nbgrader validate: exit {result.returncode}, {len(reports)} reports for "
            f"{len(chunk)} notebooks:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return dict(zip(chunk, reports))

    with kernel_spec_folder() as share, ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        reports = {path: report for done in pool.map(run, chunks) for path, report in done.items()}
    return {cases_at[path]: (sources[cases_at[path]], report) for path, report in reports.items()}


@functools.cache
def hidden_test_cells(lesson) -> set[str]:
    """grade_id of every test cell whose source (solutions/) has hidden tests."""
    return {grade_id(cell) for cell in solution_notebook(lesson).cells
            if "BEGIN HIDDEN TESTS" in cell.source}


def failed_cell_error(stdout: str, source: str) -> str | None:
    """The error `nbgrader validate` printed for the cell with this source, or None when it did
    not list that cell as failed."""
    block = Validator()._indent(source.strip())
    for section in stdout.split(RULE):
        head = f"The following cell failed:\n\n{block}\n\nThe error was:\n\n"
        if section.startswith(head):
            return section[len(head):]
    return None


@pytest.mark.parametrize("lesson, wrong", CASES, ids=lambda value: getattr(value, "name", value))
def test_validate_shows_the_verdict_not_the_course(validated, lesson, wrong):
    source, stdout = validated(lesson, wrong.name)
    error = failed_cell_error(stdout, source)
    if error is None and wrong.test_cell in hidden_test_cells(lesson):
        pytest.skip(f"{wrong.name}: only {wrong.test_cell}'s hidden tests catch it, and the "
                    "learner's notebook (what validate runs) has none; test_autograde grades it")
    assert error is not None, f"{wrong.name}: validate did not fail {wrong.test_cell}:\n{stdout[-3000:]}"
    assert flat(wrong.hint) in flat(error), f"{wrong.name}: hint {wrong.hint!r} missing from:\n{error}"
    assert not COURSE_FILE.search(strip_ansi(error)), (
        f"{wrong.name}: the course's files show in validate's error:\n{error}")
