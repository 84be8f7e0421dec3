"""A score the learner's code cannot forge (issue #22), through the real class grader.

A class of lesson 01, graded by ``python -m nncourse.grading.grade_class`` with the sandbox on:
one honest learner and one learner per probe of ``forgery_probes.PROBES``. Every prober leaves
all answers as stubs and tries, from its first answer cell, to earn points anyway; each must get
0 points and leave no other evidence (no hidden test in anything the learner sees, no file
written by an unpickled answer). The honest learner keeps full marks.

The forgery table (what each probe earned) is printed at the end of the run (tests/conftest.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from forgery_probes import HIDDEN_NEEDLE, LOOKUP_FIT, PROBES, TRAINED_CELL, TRAINED_LESSON
from nbgrader_course import (
    autograded_notebook,
    cell_outputs_text,
    filled_notebook,
    graded_cells,
    grade_id,
    learner_notebook,
    make_course,
    nbgrader_env,
    require_sandbox,
    run_nbgrader,
    scores,
    solution_notebook,
    submit,
)

LESSON = "01_mnist_data"
FIRST_ANSWER = "sizes"
FULL = sum(graded_cells(solution_notebook(LESSON)).values())
TOKEN = uuid.uuid4().hex[:12]

require_sandbox()

#: probe → row of the forgery table; printed by conftest at the end of the run.
FORGERY_RESULTS: dict[str, dict] = {probe.name: {"what": probe.what} for probe in PROBES}
FORGERY_RESULTS["lookup-forward"] = {"what": f"{TRAINED_LESSON}: never trained; forward looks labels up, tuned to the reference metrics"}
#: Probes that are not tied to lesson 01's answers, tried again on lesson 05, whose class and
#: training cells the judge decides through a module rebuilt by value.
TRAINED_PROBES = [probe for probe in PROBES if probe.name in ("input-transformer", "forged-result")]
for _probe in TRAINED_PROBES:
    FORGERY_RESULTS[f"{TRAINED_LESSON}:{_probe.name}"] = {"what": f"{TRAINED_LESSON}: {_probe.what}"}


def prober_notebook(probe, course):
    notebook = learner_notebook(LESSON)
    code = probe.code.replace("{token}", TOKEN).replace("{course}", str(course))
    for cell in notebook.cells:
        if grade_id(cell) == FIRST_ANSWER:
            cell.source = code
    if probe.drop_setup:
        notebook.cells = [cell for cell in notebook.cells if grade_id(cell) != "setup"]
    return notebook


def _shown_text(notebook) -> str:
    """Everything the graded notebook shows: streams, results and errors of every cell."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(json.dumps(output, ensure_ascii=False))
    return "\n".join(parts)


def _evidence(course, probe, score) -> str | None:
    if score is None:
        return "not graded"
    if score.total > 0:
        earned = ", ".join(f"{gid} {points:g}" for gid, points in score.cells.items() if points)
        return f"earned {score.total:g}/{score.max_total:g} ({earned})"
    if probe.evidence == "unpickled" and (course / f"unpickled-{TOKEN}.txt").exists():
        return "the grader unpickled an answer"
    if probe.evidence == "hidden":
        shown = _shown_text(autograded_notebook(course, probe.name, LESSON))
        feedback = course / "feedback" / probe.name / LESSON / f"{LESSON}.html"
        html = feedback.read_text(encoding="utf-8") if feedback.exists() else ""
        if "LEAK" in shown and ("HIDDEN" in shown or HIDDEN_NEEDLE in shown) or "LEAK" in html and HIDDEN_NEEDLE in html:
            return "hidden tests seen by the learner"
    return None


def grade_forgery_class(root, user=None) -> dict:
    """The forgery class of lesson 01, graded by grade_class (as ``user``, an
    ordinary_user.OrdinaryUser, when given: tests/test_ordinary_grader.py); probe → evidence."""
    course = make_course(root / "course", [LESSON])
    run_nbgrader(course, "generate_assignment", LESSON, "--force")
    submit(course, "honest", LESSON, filled_notebook(LESSON))
    for probe in PROBES:
        submit(course, probe.name, LESSON, prober_notebook(probe, course))
    command = [sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(course), "--lesson", LESSON,
               "--workers", "2", "--no-export"]
    env = nbgrader_env()
    if user is not None:
        user.own(course)
        command, env = user.command([user.python, *command[1:]], user.env()), None
    grading = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=1800)
    assert grading.returncode == 0, grading.stdout[-4000:] + grading.stderr[-4000:]
    graded_scores = scores(course, LESSON)
    evidence = {probe.name: _evidence(course, probe, graded_scores.get(probe.name)) for probe in PROBES}
    return {"course": course, "scores": graded_scores, "evidence": evidence}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    run = grade_forgery_class(tmp_path_factory.mktemp("forgery"))
    for name, got in run["evidence"].items():
        FORGERY_RESULTS[name]["after"] = got or "blocked"
    return run


def test_the_honest_learner_keeps_full_marks(graded):
    score = graded["scores"]["honest"]
    assert score.total == score.max_total == FULL, score.cells


@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: probe.name)
def test_the_forgery_earns_nothing(graded, probe):
    result = FORGERY_RESULTS[probe.name]["after"]
    assert result == "blocked", f"{probe.name} got through: {result}"


def test_a_deleted_setup_cell_is_put_back(graded):
    """The setup cell (the guard, the data) is restored from the gradebook like a test cell."""
    notebook = autograded_notebook(graded["course"], "setup-deleted", LESSON)
    setup = [cell for cell in notebook.cells if grade_id(cell) == "setup"]
    assert len(setup) == 1 and notebook.cells.index(setup[0]) == 0
    assert setup[0].source.startswith("# 채점기가 되살린 셀입니다") and "setup_lesson()" in setup[0].source
    assert "준비 완료" in "".join(output.get("text", "") for output in setup[0].outputs)


def test_judged_cells_are_marked_and_hidden_tests_stay_out_of_the_kernel(graded):
    notebook = autograded_notebook(graded["course"], "honest", LESSON)
    tests = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")
             and not cell.metadata["nbgrader"].get("solution")]
    assert tests and all(cell.metadata.get("nncourse", {}).get("judged") for cell in tests)
    assert all(cell.execution_count is None for cell in tests)  # never run in the kernel


@pytest.fixture(scope="module")
def graded_trained(tmp_path_factory):
    """Lesson 05: an honest learner and one whose untrained model looks the answers up."""
    course = make_course(tmp_path_factory.mktemp("forgery-trained") / "course", [TRAINED_LESSON])
    run_nbgrader(course, "generate_assignment", TRAINED_LESSON, "--force")
    submit(course, "honest", TRAINED_LESSON, filled_notebook(TRAINED_LESSON))
    submit(course, "lookup-forward", TRAINED_LESSON, filled_notebook(TRAINED_LESSON, {"fit": LOOKUP_FIT}))
    for probe in TRAINED_PROBES:  # stub answers, the probe in the first answer cell
        notebook = learner_notebook(TRAINED_LESSON)
        first = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("solution"))
        first.source = probe.code
        submit(course, probe.name, TRAINED_LESSON, notebook)
    grading = subprocess.run(
        [sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(course), "--lesson", TRAINED_LESSON,
         "--workers", "2", "--no-export", "--no-feedback"],
        cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=1800)
    assert grading.returncode == 0, grading.stdout[-4000:] + grading.stderr[-4000:]
    graded_scores = scores(course, TRAINED_LESSON)
    earned = graded_scores["lookup-forward"].cells[TRAINED_CELL]
    FORGERY_RESULTS["lookup-forward"]["after"] = f"earned {earned:g} ({TRAINED_CELL})" if earned else "blocked"
    for probe in TRAINED_PROBES:
        got = _evidence(course, probe, graded_scores.get(probe.name))
        FORGERY_RESULTS[f"{TRAINED_LESSON}:{probe.name}"]["after"] = got or "blocked"
    return {"course": course, "scores": graded_scores}


def test_a_model_that_looks_answers_up_earns_nothing_for_its_training(graded_trained):
    score = graded_trained["scores"]["honest"]
    assert score.total == score.max_total, score.cells
    forged = graded_trained["scores"]["lookup-forward"]
    assert forged.cells[TRAINED_CELL] == 0, forged.cells
    output = cell_outputs_text(autograded_notebook(graded_trained["course"], "lookup-forward", TRAINED_LESSON),
                               TRAINED_CELL)
    assert "매개변수로 계산한 값과 같아야" in output, output


@pytest.mark.parametrize("probe", TRAINED_PROBES, ids=lambda probe: probe.name)
def test_the_forgery_earns_nothing_on_a_lesson_of_classes_and_training(graded_trained, probe):
    result = FORGERY_RESULTS[f"{TRAINED_LESSON}:{probe.name}"]["after"]
    assert result == "blocked", f"{probe.name} got through on {TRAINED_LESSON}: {result}"
