"""Every lesson through real `nbgrader generate_assignment` and `nbgrader autograde`.

Each lesson has a class, and all of them are graded in one run of the course's own class grader
(long-lived workers, kernels in the sandbox, real nbgrader autograde): a learner who filled in the
solution code, one who submitted the notebook untouched, one learner per wrong answer (whose
notebook ends with the test cell that must catch it: the cells after it cannot change what that
cell shows, and nbgrader puts the deleted test cells back, so such a learner's total is low by
design; a concept question's wrong letter keeps only the setup cell and the question's own cells) and one per right answer (correct code that differs from the solution) in tests/wrong_answers/, and
for some lessons a learner whose code a check calls and who made it raise (``CALLED_ERRORS``).

A failed check shows its Korean verdict, not the grader's traceback (issue 15): what the
autograded notebook shows under the failed cell (the traceback IPython sent, which JupyterLab,
`nbgrader validate` and the feedback HTML show) holds the hint and names no file of the course.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass

import pytest
from nbgrader.validator import Validator
from nncourse.guard import RESTORED_NOTE
from nncourse.verdict import CALLED_LEARNER, ERROR_PREFIX, NOT_ATTEMPTED, UNDIAGNOSED

from nbgrader_course import (
    GRADED_CLASSES,
    grade_id,
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
    wrong_answer_notebook,
)
from shown_output import COURSE_FILE, error_shown, flat, shown_output, strip_ansi
from wrong_answers import RIGHT_ANSWERS, WRONG_ANSWERS

LESSONS = lesson_ids()
#: What a graded check prints when it fails (nncourse.checks.FAIL_MARK).
FAIL_MARK = "❌"
#: The student id of a right answer: lowercase letters, digits, hyphens.
STUDENT_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@dataclass(frozen=True)
class CalledError:
    """A learner's function that raises when a check calls it: the failed cell must show the
    verdict and the learner's own frame (``line``, the code that raised), not the course's."""
    name: str
    answer_cell: str
    code: str
    test_cell: str
    error: str   # the learner's exception, as its last line names it
    line: str    # the learner's line that raised


CALLED_ERRORS = {
    "02_from_scratch": [CalledError(
        "called-name-error", "log_softmax",
        "def log_softmax(x):\n    total = x.exp().sum(-1).log().unsqueeze(-1)\n"
        "    return x - totl\n",
        "test_log_softmax", "NameError: name 'totl' is not defined", "return x - totl")],
    "04_nn_module": [CalledError(
        "called-fit-name-error", "fit",
        "def fit():\n    for epoch in range(epochs):\n        for i in range((n - 1) // bs + 1):\n"
        "            xb = x_train[i * bs:(i + 1) * bs]\n"
        "            loss = loss_func(model(xb), y_train[i * bs:(i + 1) * bz])\n",
        "test_fit", "NameError: name 'bz' is not defined", "loss = loss_func(model(xb)")],
}


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory):
    """lesson → (course folder, scores). The first test that asks grades, in one grade_class run,
    the classes of every lesson this session's tests of this module ask for (the workers keep
    busy across lessons); a lesson asked for later is graded then."""
    wanted = sorted({item.callspec.params["lesson"] for item in request.session.items
                     if getattr(item, "module", None) is request.module and "graded" in item.fixturenames
                     and hasattr(item, "callspec") and "lesson" in item.callspec.params})
    classes = {}

    def grade(lesson):
        if lesson not in classes:
            lessons = [name for name in wanted if name not in classes] or [lesson]
            classes.update(_grade_classes(sorted({*lessons, lesson}), tmp_path_factory))
        return classes[lesson]

    return grade


def _submit_class(course, lesson):
    submit(course, "solution", lesson, filled_notebook(lesson))
    submit(course, "blank", lesson, learner_notebook(lesson))
    for wrong in WRONG_ANSWERS.get(lesson, []):
        # up to the test cell that must catch it (later cells cannot change that cell's output)
        submit(course, wrong.name, lesson,
               wrong_answer_notebook(lesson, wrong.answer_cell, wrong.code, wrong.test_cell))
    for right in RIGHT_ANSWERS.get(lesson, []):
        submit(course, right.name, lesson, filled_notebook(lesson, right.answers))
    for called in CALLED_ERRORS.get(lesson, []):
        submit(course, called.name, lesson, filled_notebook(lesson, {called.answer_cell: called.code}))


def _grade_classes(lessons, tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("course"), lessons)
    for lesson in lessons:
        run_nbgrader(course, "generate_assignment", lesson, "--force")
        _submit_class(course, lesson)
    # The classes are graded the way instructors grade them: real nbgrader autograde of every
    # learner, by the course's own command (long-lived workers, kernels in the sandbox).
    grading = subprocess.run(
        [sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(course),
         "--no-feedback", "--no-export"],
        cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=5400)
    assert grading.returncode == 0, grading.stdout[-4000:] + grading.stderr[-4000:]
    graded = {}
    for lesson in lessons:
        result = scores(course, lesson)
        GRADED_CLASSES[lesson] = _mutation_rows(course, lesson, result)
        graded[lesson] = (course, result)
    return graded


def _mutation_rows(course, lesson, result) -> dict[str, GradedLearner]:
    """student → what the summary table shows: the score, what was expected, the hint."""
    rows = {"solution": GradedLearner(result["solution"], "full"),
            "blank": GradedLearner(result["blank"], "0")}
    for right in RIGHT_ANSWERS.get(lesson, []):
        rows[right.name] = GradedLearner(result[right.name], "full")
    for wrong in WRONG_ANSWERS.get(lesson, []):
        try:
            notebook = autograded_notebook(course, wrong.name, lesson)
            shown = shown_output(notebook, wrong.test_cell)
        except (OSError, KeyError):  # not graded: the tests report that
            shown = ""
        rows[wrong.name] = GradedLearner(result[wrong.name], f"loses {wrong.test_cell}",
                                         hint_shown=flat(wrong.hint) in flat(shown))
    for called in CALLED_ERRORS.get(lesson, []):
        try:
            shown = error_shown(autograded_notebook(course, called.name, lesson), called.test_cell)
        except (OSError, KeyError):
            shown = ""
        rows[called.name] = GradedLearner(result[called.name], f"loses {called.test_cell}",
                                          hint_shown=called.line in shown)
    return rows


@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_gets_full_marks(graded, lesson):
    course, result = graded(lesson)
    score = result["solution"]
    assert score.max_total > 0
    lost = {cell: points for cell, points in score.cells.items() if points is not None}
    assert score.total == score.max_total, f"{lesson}: solution lost points: {lost}"
    # ... and no honest step (saving a model, say) looks to the guard like a change to the checks
    notebook = autograded_notebook(course, "solution", lesson)
    alarms = [cell for cell in score.cells if RESTORED_NOTE in cell_outputs_text(notebook, cell)]
    assert not alarms, f"{lesson}: the guard reports changed grading tools under {alarms}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_untouched_notebook_gets_nothing(graded, lesson):
    course, result = graded(lesson)
    score = result["blank"]
    assert score.total == 0, f"{lesson}: untouched notebook scored {score.cells}"
    assert set(score.cells) == set(graded_cells(learner_notebook(lesson)))
    # ... and the instructor's report counts every cell of it as not attempted
    causes = recorded_causes(autograded_notebook(course, "blank", lesson))
    assert set(causes) == set(score.cells)
    assert set(causes.values()) == {NOT_ATTEMPTED}, f"{lesson}: {causes}"


def recorded_causes(notebook) -> dict[str, str]:
    """grade_id → the cause the grader recorded for each failed test cell (nncourse.grading.causes)."""
    return {grade_id(cell): cell.metadata.get("nncourse", {}).get("cause") for cell in notebook.cells
            if grade_id(cell) and cell.metadata.get("nncourse", {}).get("passed") is False}


#: Lessons whose graders give every diagnosed mistake its own id (nncourse.checks.Hint): all of
#: them. A hint without one would be counted under its check's id (``<module>.<check function>``),
#: together with every other such hint of that check; this test fails on a lesson where that happens.
DIAGNOSED_BY_ID = LESSONS


@pytest.mark.parametrize("lesson", DIAGNOSED_BY_ID)
def test_each_diagnosed_mistake_is_counted_under_its_own_cause(graded, lesson):
    """Two wrong answers told different things at a test cell are never counted under one cause in
    the instructor's report, and the same thing always under the same cause."""
    course, _ = graded(lesson)
    hints_of, causes_of = {}, {}
    for wrong in WRONG_ANSWERS[lesson]:
        cell = next(cell for cell in autograded_notebook(course, wrong.name, lesson).cells
                    if grade_id(cell) == wrong.test_cell)
        recorded = cell.metadata.get("nncourse", {})
        cause, hint = recorded.get("cause"), recorded.get("hint")
        if not hint or cause in (UNDIAGNOSED, NOT_ATTEMPTED) or cause.startswith(ERROR_PREFIX):
            continue
        hints_of.setdefault((wrong.test_cell, cause), set()).add(hint)
        causes_of.setdefault((wrong.test_cell, hint), set()).add(cause)
    shared = {key: hints for key, hints in hints_of.items() if len(hints) > 1}
    assert not shared, f"{lesson}: one cause, several diagnoses: {shared}"
    assert all(len(causes) == 1 for causes in causes_of.values()), causes_of
    assert len(hints_of) >= 5, hints_of  # the lesson's wrong answers do reach several diagnoses


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
    notebook = autograded_notebook(course, wrong.name, lesson)
    assert wrong.hint in cell_outputs_text(notebook, wrong.test_cell)  # the error's message
    # What is shown: the verdict with its hint, not the grader's traceback.
    shown = shown_output(notebook, wrong.test_cell)
    assert flat(wrong.hint) in flat(shown), f"{wrong.name}: hint {wrong.hint!r} missing from:\n{shown}"
    assert not COURSE_FILE.search(shown), f"{wrong.name}: the course's files are shown:\n{shown}"
    # ... and as `nbgrader validate` prints it (no colours, lines cut at its width).
    printed = validate_printed(notebook, wrong.test_cell)
    assert flat(wrong.hint) in flat(printed), f"{wrong.name}: validate would print:\n{printed}"
    # The mistake is counted under a stable id in the instructor's report, never read from the text.
    cause = recorded_causes(notebook).get(wrong.test_cell)
    assert cause and cause not in (UNDIAGNOSED, NOT_ATTEMPTED), f"{wrong.name}: recorded cause {cause!r}"


def validate_printed(notebook, gid) -> str:
    """The error `nbgrader validate` prints for this cell, from nbgrader's own code."""
    validator = Validator()
    cell = next(cell for cell in notebook.cells if grade_id(cell) == gid)
    return validator._indent(validator._extract_error(cell))


@pytest.mark.parametrize(
    "lesson, called",
    [(lesson, called) for lesson in LESSONS for called in CALLED_ERRORS.get(lesson, [])],
    ids=lambda value: getattr(value, "name", value),
)
def test_error_in_learner_code_called_by_a_check_shows_the_learners_frames(graded, lesson, called):
    course, result = graded(lesson)
    max_points = graded_cells(learner_notebook(lesson))[called.test_cell]
    assert result[called.name].cells[called.test_cell] < max_points
    shown = error_shown(autograded_notebook(course, called.name, lesson), called.test_cell)
    assert shown.startswith(FAIL_MARK), f"{called.name}: the verdict is not first:\n{shown}"
    assert CALLED_LEARNER in shown and called.error in shown, shown
    # the learner's own frame: their cell, the line number and the line that raised
    assert re.search(r"Cell In\[\d+\], line \d+", shown) and called.line in shown, shown
    assert not COURSE_FILE.search(shown), f"{called.name}: the course's files are shown:\n{shown}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_errors_in_the_learners_own_cells_look_as_python_shows_them(graded, lesson):
    """The untouched notebook's stubs raise in the learner's own cells: IPython's traceback."""
    course, _ = graded(lesson)
    notebook = autograded_notebook(course, "blank", lesson)
    stubs = [output for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("solution")
             for output in cell.get("outputs", []) if output.output_type == "error"]
    if not stubs:
        pytest.skip(f"{lesson}: every answer cell defines a function or class (its stub raises when called)")
    for output in stubs:
        text = strip_ansi("\n".join(output.traceback))
        assert output.ename == "NotImplementedError" and "Traceback (most recent call last)" in text
        assert "----> " in text and "아직 답을 작성하지 않았습니다" in text, text


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


# ---------------------------------------------------------------- the instructor's class report

REPORT_LESSON = "01_mnist_data"


def test_class_report_counts_every_lost_point_under_one_cause(graded):
    """`python -m nncourse.grading.report` (make report) on the graded class of lesson 01: the
    CSVs have exactly the issue's columns; every learner who lost points on a check is counted
    once under that check; each wrong answer under its own diagnosed cause, the untouched notebook
    under "not attempted"; the page links an example learner's feedback."""
    import csv

    from nncourse.grading.report import TOP_MISTAKES

    course, result = graded(REPORT_LESSON)

    def make_report():
        report = subprocess.run([sys.executable, "-m", "nncourse.grading.report", "--root", str(course),
                                 "--lesson", REPORT_LESSON], cwd=course, env=nbgrader_env(),
                                capture_output=True, text=True, timeout=300)
        assert report.returncode == 0, report.stdout[-3000:] + report.stderr[-3000:]

    # The page links the example learner of each mistake it lists (the most common ones) to
    # their feedback, where that feedback exists: make one for a listed mistake's example.
    make_report()
    folder = course / "reports" / REPORT_LESSON
    with open(folder / "mistakes.csv", encoding="utf-8") as handle:
        listed = sorted(csv.DictReader(handle), key=lambda row: -int(row["students"]))[:TOP_MISTAKES]
    example = listed[0]["example"]
    run_nbgrader(course, "generate_feedback", REPORT_LESSON, "--student", example)
    make_report()
    with open(folder / "checks.csv", encoding="utf-8") as handle:
        checks = list(csv.DictReader(handle))
        assert list(checks[0]) == ["grade_id", "max_points", "students", "mean_points", "full_marks_rate",
                                   "discrimination"]
    with open(folder / "mistakes.csv", encoding="utf-8") as handle:
        mistakes = list(csv.DictReader(handle))
        assert list(mistakes[0]) == ["grade_id", "cause", "students", "example"]
    max_points = graded_cells(learner_notebook(REPORT_LESSON))
    assert [row["grade_id"] for row in checks] == list(max_points)  # every check, in notebook order
    for row in checks:
        assert int(row["students"]) == len(result)
        points = [score.cells[row["grade_id"]] for score in result.values()]
        assert float(row["mean_points"]) == pytest.approx(sum(points) / len(points), abs=1e-3)
        assert float(row["full_marks_rate"]) == pytest.approx(
            sum(p >= max_points[row["grade_id"]] for p in points) / len(points), abs=1e-3)
        assert row["discrimination"] == "" or -1 <= float(row["discrimination"]) <= 1
    assert any(row["discrimination"] for row in checks)
    lost = {gid: sum(score.cells[gid] < max_points[gid] for score in result.values()) for gid in max_points}
    counted = {gid: sum(int(row["students"]) for row in mistakes if row["grade_id"] == gid) for gid in max_points}
    assert counted == lost
    causes = {(row["grade_id"], row["cause"]) for row in mistakes}
    for gid in max_points:
        assert (gid, NOT_ATTEMPTED) in causes  # the untouched notebook
    for wrong in WRONG_ANSWERS[REPORT_LESSON]:
        recorded = recorded_causes(autograded_notebook(course, wrong.name, REPORT_LESSON))[wrong.test_cell]
        assert (wrong.test_cell, recorded) in causes
    page = (course / "reports" / "index.html").read_text(encoding="utf-8")
    assert "가장 흔한 실수" in page and page.count("data:image/png;base64,") == 2
    assert f'href="../feedback/{example}/{REPORT_LESSON}/{REPORT_LESSON}.html"' in page
    assert f"{len(result)}명 (지금 버전)" in page and "예전 버전" not in page  # one version graded them all
