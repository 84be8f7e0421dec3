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
import os
import subprocess
import sys
import uuid

import nbformat
import pytest

from forgery_probes import HIDDEN_NEEDLE, PROBES
from nbgrader_course import (
    autograded_notebook,
    filled_notebook,
    grade_id,
    learner_notebook,
    make_course,
    nbgrader_env,
    run_nbgrader,
    scores,
    solution_notebook,
    submit,
)

LESSON = "01_mnist_data"
FIRST_ANSWER = "sizes"
FULL = sum(cell.metadata["nbgrader"]["points"] for cell in solution_notebook(LESSON).cells
           if cell.metadata.get("nbgrader", {}).get("grade"))
TOKEN = uuid.uuid4().hex[:12]

from nncourse.grading.sandbox import sandbox_problem  # noqa: E402

_PROBLEM = sandbox_problem()
if _PROBLEM:
    if os.environ.get("CI"):
        raise RuntimeError(f"CI must have a working grading sandbox (make system-deps): {_PROBLEM}")
    pytest.skip(f"no grading sandbox here: {_PROBLEM} (apt-get install bubblewrap)", allow_module_level=True)

#: probe → row of the forgery table; printed by conftest at the end of the run.
FORGERY_RESULTS: dict[str, dict] = {probe.name: {"what": probe.what} for probe in PROBES}


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


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("forgery") / "course", [LESSON])
    run_nbgrader(course, "generate_assignment", LESSON, "--force")
    submit(course, "honest", LESSON, filled_notebook(LESSON))
    for probe in PROBES:
        submit(course, probe.name, LESSON, prober_notebook(probe, course))
    grading = subprocess.run(
        [sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(course), "--lesson", LESSON,
         "--workers", "2", "--no-export"],
        cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=1800)
    assert grading.returncode == 0, grading.stdout[-4000:] + grading.stderr[-4000:]
    graded_scores = scores(course, LESSON)
    for probe in PROBES:
        got = _evidence(course, probe, graded_scores.get(probe.name))
        FORGERY_RESULTS[probe.name]["after"] = got or "blocked"
    return {"course": course, "scores": graded_scores}


def test_the_honest_learner_keeps_full_marks(graded):
    score = graded["scores"]["honest"]
    assert score.total == score.max_total == FULL, score.cells


@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: probe.name)
def test_the_forgery_earns_nothing(graded, probe):
    result = FORGERY_RESULTS[probe.name]["after"]
    assert result == "blocked", f"{probe.name} got through: {result}"
