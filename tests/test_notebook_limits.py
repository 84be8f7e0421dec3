"""Limits per submission that nbgrader does not have (issue 23, item 4): output bytes per cell and
per notebook, images included, and wall time per notebook (nncourse.grading.nbgrader_plugins.notebook_limits).

A class of lesson 01 is graded by the real class grader (sandbox on), with the notebook budget
and the cell timeout of this course folder set low so that the run is short (the budget a real
class gets is derived from the lesson's reference time: tested below on its own):

* ``honest``: the solution; full marks, nothing cut, nothing stopped;
* ``flood``: the solution, plus 5 MB printed in long lines in one answer cell, 3 MB of image in
  another and many short prints in a third: every cell keeps at most its cap (and says in Korean
  that it was cut), the notebook at most its own, and the answers still earn full marks;
* ``sleeper``: every answer cell sleeps just under the cell timeout (before: the worker was held
  for all of them, and the notebook earned full marks): the notebook ends at its budget, the cells
  after it are not run and their test cells earn nothing;
* ``deaf``: an answer cell that ignores SIGINT (nbclient's interrupt on a timeout) and never
  ends (before: only the class grader's submission timeout stopped it, killing the worker): the
  kernel is killed at the budget and the submission is graded, with the earlier points kept.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nbgrader_course import (autograded_notebook, filled_notebook, make_course, nbgrader_env,
                             require_sandbox, run_nbgrader, scores, solution_cells, solution_code,
                             solution_notebook, submit)
from nncourse.grading.nbgrader_plugins import notebook_limits
from nncourse.grading.execute import lesson_ids as executed_lessons

LESSON = "01_mnist_data"
BUDGET_S = 30
CELL_TIMEOUT_S = 15
CELL_CAP = notebook_limits.LimitedExecute.cell_output_bytes.default_value
NOTEBOOK_CAP = notebook_limits.LimitedExecute.notebook_output_bytes.default_value
SOLUTIONS = {cell: solution_code(source) for cell, source in solution_cells(solution_notebook(LESSON)).items()}
ANSWER_ORDER = list(SOLUTIONS)
#: The error names of a cell that was not run (time spent, or the kernel killed before it).
NOT_RUN = {notebook_limits.NOT_RUN_ENAME, notebook_limits.STOPPED_ENAME}

require_sandbox()


def answers_with(extra: dict[str, str]) -> dict[str, str]:
    return {cell: SOLUTIONS[cell] + "\n" + code for cell, code in extra.items()}


FLOOD = answers_with({
    "sizes": "print(('x' * 100_000 + '\\n') * 50)",
    "first_image": "import base64, os\nfrom IPython.display import display\n"
                   "display({'image/png': base64.b64encode(os.urandom(3_000_000)).decode()}, raw=True)",
    "value_range": "for _ in range(3000):\n    print('y' * 1000)",
})
SLEEPER = answers_with({cell: f"import time\ntime.sleep({CELL_TIMEOUT_S - 1})" for cell in ANSWER_ORDER
                        if cell != "what_reshape_does" and cell != "why_valid_set"})
DEAF = answers_with({"label_counts": "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                     "while True:\n    time.sleep(0.1)"})


def output_bytes(cell) -> int:
    return sum(notebook_limits.output_size(output) for output in cell.get("outputs", []))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("limits"), [LESSON],
                         config=f"c.LimitedExecute.notebook_seconds = {BUDGET_S}\nc.Execute.timeout = {CELL_TIMEOUT_S}\n")
    run_nbgrader(course, "generate_assignment", LESSON, "--force")
    for student, answers in {"honest": {}, "flood": FLOOD, "sleeper": SLEEPER, "deaf": DEAF}.items():
        submit(course, student, LESSON, filled_notebook(LESSON, answers))
    # A submission timeout well over the budget: the budget, not the class grader, must end them.
    result = subprocess.run([sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(course),
                             "--workers", "2", "--timeout", str(BUDGET_S * 4), "--no-export"],
                            cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=900)
    return course, result.returncode, result.stdout + result.stderr, scores(course, LESSON)


def test_honest_learner_is_not_limited(graded):
    course, _, output, result = graded
    assert result["honest"].total == result["honest"].max_total > 0, output
    notebook = autograded_notebook(course, "honest", LESSON)
    text = json.dumps([cell.get("outputs", []) for cell in notebook.cells], ensure_ascii=False)
    assert "출력이 너무 커서" not in text and not any(name in text for name in NOT_RUN)


def test_flood_is_cut_per_cell_and_per_notebook(graded):
    course, _, output, result = graded
    assert result["flood"].total == result["flood"].max_total, (result["flood"].cells, output)
    notebook = autograded_notebook(course, "flood", LESSON)
    cells = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in notebook.cells}
    for flooded in FLOOD:
        cell = cells[flooded]
        assert output_bytes(cell) <= CELL_CAP + 1000, (flooded, output_bytes(cell))
        assert any("출력이 너무 커서" in str(o.get("text", "")) for o in cell.outputs), flooded
    assert sum(output_bytes(cell) for cell in notebook.cells if cell.cell_type == "code") <= NOTEBOOK_CAP
    log = (course / "grading_logs" / LESSON / "flood.log").read_text(encoding="utf-8")
    assert "output of cell" in log and "cut at the limit" in log


@pytest.mark.parametrize("student", ["sleeper", "deaf"])
def test_the_notebook_ends_at_its_budget(graded, student):
    course, _, output, result = graded
    row = next(line for line in output.splitlines() if student in line)
    assert "TIMEOUT" not in row and "ERROR" not in row, row
    score = result[student]
    lost = {cell for cell, points in score.cells.items() if points == 0}
    kept = {cell for cell, points in score.cells.items() if points}
    assert lost and kept, score.cells  # ended part way: the early cells kept their points
    notebook = autograded_notebook(course, student, LESSON)
    not_run = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells
               if any(o.get("ename") in NOT_RUN for o in cell.get("outputs", []))]
    assert not_run and set(not_run) >= {cell for cell in lost if cell != "test_label_counts"}, not_run
    log = (course / "grading_logs" / LESSON / f"{student}.log").read_text(encoding="utf-8")
    assert "kernel killed" in log, log[-3000:]


def test_budget_comes_from_the_lessons_reference_time():
    """Every lesson has a reference time (make execute writes it), and its budget is the base plus
    a multiple of it: at least 10× what the solution took."""
    for lesson in executed_lessons():
        seconds = notebook_limits.reference_seconds(lesson)
        assert seconds is not None and seconds > 0, f"{lesson}: no time in {notebook_limits.LESSON_SECONDS_FILE}"
        budget = notebook_limits.notebook_budget(lesson)
        assert budget == notebook_limits.BUDGET_BASE_S + notebook_limits.BUDGET_FACTOR * seconds
        assert budget >= 10 * seconds
    assert notebook_limits.notebook_budget("99_unknown") == notebook_limits.DEFAULT_BUDGET_S


def test_the_caps_leave_honest_outputs_a_wide_margin():
    """The solutions' own outputs (plots included) are far under the caps."""
    for lesson in executed_lessons():
        notebook = solution_notebook(lesson)
        sizes = [output_bytes(cell) for cell in notebook.cells if cell.cell_type == "code"]
        assert max(sizes) * 10 <= CELL_CAP and sum(sizes) * 10 <= NOTEBOOK_CAP, (lesson, max(sizes), sum(sizes))
