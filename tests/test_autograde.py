"""Every lesson through real `nbgrader generate_assignment` and `nbgrader autograde`.

One class per lesson is graded in a single autograde run: a learner who filled in the
solution code, one who submitted the notebook untouched, and one learner per wrong answer in
wrong_answers.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from nbgrader_course import (
    GRADED_CLASSES,
    autograded_notebook,
    cell_outputs_text,
    filled_notebook,
    graded_cells,
    learner_notebook,
    lesson_ids,
    make_course,
    nbgrader_env,
    run_nbgrader,
    scores,
    submit,
)
from wrong_answers import WRONG_ANSWERS

LESSONS = lesson_ids()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """lesson → (course folder, scores); each lesson's class is graded once, when first asked."""
    classes = {}

    def grade(lesson):
        if lesson not in classes:
            classes[lesson] = _grade_class(lesson, tmp_path_factory)
        return classes[lesson]

    return grade


def _grade_class(lesson, tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp(f"course-{lesson}"), [lesson])
    run_nbgrader(course, "generate_assignment", lesson, "--force")
    submit(course, "solution", lesson, filled_notebook(lesson))
    submit(course, "blank", lesson, learner_notebook(lesson))
    for wrong in WRONG_ANSWERS.get(lesson, []):
        submit(course, wrong.name, lesson, filled_notebook(lesson, {wrong.answer_cell: wrong.code}))
    # The class is graded the way instructors grade it: real `nbgrader autograde` per learner,
    # in parallel, through the course's own command.
    grading = subprocess.run(
        [sys.executable, "-m", "nncourse.grade_class", "--root", str(course), "--lesson", lesson,
         "--no-feedback", "--no-export"],
        cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=3600)
    assert grading.returncode == 0, grading.stdout[-4000:] + grading.stderr[-4000:]
    result = scores(course, lesson)
    GRADED_CLASSES[lesson] = result
    return course, result


@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_gets_full_marks(graded, lesson):
    course, result = graded(lesson)
    score = result["solution"]
    assert score.max_total > 0
    lost = {cell: points for cell, points in score.cells.items() if points is not None}
    assert score.total == score.max_total, f"{lesson}: solution lost points: {lost}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_untouched_notebook_gets_nothing(graded, lesson):
    course, result = graded(lesson)
    score = result["blank"]
    assert score.total == 0, f"{lesson}: untouched notebook scored {score.cells}"
    assert set(score.cells) == set(graded_cells(learner_notebook(lesson)))


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_graded_cell_has_a_wrong_answer(lesson):
    covered = {wrong.test_cell for wrong in WRONG_ANSWERS.get(lesson, [])}
    missing = set(graded_cells(learner_notebook(lesson))) - covered
    assert not missing, f"{lesson}: add a wrong answer to tests/wrong_answers.py for {missing}"


@pytest.mark.parametrize(
    "lesson, wrong",
    [(lesson, wrong) for lesson in LESSONS for wrong in WRONG_ANSWERS.get(lesson, [])],
    ids=lambda value: getattr(value, "name", value),
)
def test_wrong_answer_loses_that_cells_points_and_shows_its_hint(graded, lesson, wrong):
    course, result = graded(lesson)
    score = result[wrong.name]
    max_points = graded_cells(learner_notebook(lesson))[wrong.test_cell]
    assert score.cells[wrong.test_cell] < max_points, (
        f"{wrong.name}: {wrong.test_cell} kept {score.cells[wrong.test_cell]}/{max_points}")
    assert score.total < score.max_total
    shown = cell_outputs_text(autograded_notebook(course, wrong.name, lesson), wrong.test_cell)
    assert wrong.hint in shown, f"{wrong.name}: hint {wrong.hint!r} missing from:\n{shown}"
