"""Every lesson through real `nbgrader generate_assignment` and `nbgrader autograde`.

One class per lesson is graded in a single autograde run: a learner who filled in the
solution code, one who submitted the notebook untouched, one learner per wrong answer and one
per right answer (correct code that differs from the solution) in tests/wrong_answers/.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from nbgrader_course import (
    GRADED_CLASSES,
    GradedLearner,
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
    solution_cells,
    solution_code,
    solution_notebook,
    submit,
)
from wrong_answers import RIGHT_ANSWERS, WRONG_ANSWERS

LESSONS = lesson_ids()
#: What a graded check prints when it fails (nncourse.checks.FAIL_MARK).
FAIL_MARK = "❌"
#: The student id of a right answer: lowercase letters, digits, hyphens.
STUDENT_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


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
    for right in RIGHT_ANSWERS.get(lesson, []):
        submit(course, right.name, lesson, filled_notebook(lesson, right.answers))
    # The class is graded the way instructors grade it: real `nbgrader autograde` per learner,
    # in parallel, through the course's own command.
    grading = subprocess.run(
        [sys.executable, "-m", "nncourse.grade_class", "--root", str(course), "--lesson", lesson,
         "--no-feedback", "--no-export"],
        cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=3600)
    assert grading.returncode == 0, grading.stdout[-4000:] + grading.stderr[-4000:]
    result = scores(course, lesson)
    GRADED_CLASSES[lesson] = _mutation_rows(course, lesson, result)
    return course, result


def _mutation_rows(course, lesson, result) -> dict[str, GradedLearner]:
    """student → what the summary table shows: the score, what was expected, the hint."""
    rows = {"solution": GradedLearner(result["solution"], "full"),
            "blank": GradedLearner(result["blank"], "0")}
    for right in RIGHT_ANSWERS.get(lesson, []):
        rows[right.name] = GradedLearner(result[right.name], "full")
    for wrong in WRONG_ANSWERS.get(lesson, []):
        try:
            notebook = autograded_notebook(course, wrong.name, lesson)
            shown = cell_outputs_text(notebook, wrong.test_cell)
        except (OSError, KeyError):  # not graded: the tests report that
            shown = ""
        rows[wrong.name] = GradedLearner(result[wrong.name], f"loses {wrong.test_cell}",
                                         hint_shown=wrong.hint in shown)
    return rows


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
def test_variants_are_well_formed(lesson):
    """Every variant is its own nbgrader student and replaces answer cells that exist."""
    wrong, right = WRONG_ANSWERS.get(lesson, []), RIGHT_ANSWERS.get(lesson, [])
    names = ["solution", "blank"] + [variant.name for variant in wrong + right]
    assert len(names) == len(set(names)), f"{lesson}: two learners share a name: {sorted(names)}"
    bad = [variant.name for variant in right if not STUDENT_ID.fullmatch(variant.name)]
    assert not bad, f"{lesson}: right answers need ids of a-z, 0-9 and hyphens: {bad}"
    solutions = {cell: solution_code(source)
                 for cell, source in solution_cells(solution_notebook(lesson)).items()}
    answer_cells = set(solutions)
    graded = set(graded_cells(learner_notebook(lesson)))
    for variant in wrong:
        assert variant.answer_cell in answer_cells, f"{variant.name}: no cell {variant.answer_cell}"
        assert variant.test_cell in graded, f"{variant.name}: no graded cell {variant.test_cell}"
    for variant in right:
        unknown = set(variant.answers) - answer_cells
        assert variant.answers and not unknown, f"{variant.name}: no answer cells {unknown}"
        same = [cell for cell, code in variant.answers.items()
                if code.strip() == solutions[cell].strip()]
        assert not same, f"{variant.name}: {same} is the solution's code"
        assert variant.why, f"{variant.name}: say why the variant is right"


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_graded_cell_has_a_wrong_answer(lesson):
    covered = {wrong.test_cell for wrong in WRONG_ANSWERS.get(lesson, [])}
    missing = set(graded_cells(learner_notebook(lesson))) - covered
    assert not missing, (
        f"{lesson}: add a wrong answer to tests/wrong_answers/lesson_{lesson}.py for {missing}")


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


@pytest.mark.parametrize(
    "lesson, right",
    [(lesson, right) for lesson in LESSONS for right in RIGHT_ANSWERS.get(lesson, [])],
    ids=lambda value: getattr(value, "name", value),
)
def test_correct_variant_gets_full_marks(graded, lesson, right):
    course, result = graded(lesson)
    score = result[right.name]
    notebook = autograded_notebook(course, right.name, lesson)
    cells = graded_cells(learner_notebook(lesson))
    lost = [cell for cell, points in cells.items() if (score.cells.get(cell) or 0) < points]
    report = "\n".join(f"--- {cell}: {score.cells.get(cell)}/{cells[cell]}\n"
                       f"{cell_outputs_text(notebook, cell)}" for cell in lost)
    assert score.total == score.max_total and not lost, (
        f"{right.name} ({right.why}) scored {score.total:g}/{score.max_total:g}:\n{report}")
    failed = {cell: text for cell in cells
              if FAIL_MARK in (text := cell_outputs_text(notebook, cell))}
    assert not failed, (f"{right.name} ({right.why}): {FAIL_MARK} printed in {sorted(failed)}:\n"
                        + "\n".join(f"--- {cell}\n{text}" for cell, text in failed.items()))
