"""Faults and abuse, graded by real `nbgrader autograde` in one class with honest learners.

Lesson 06_optim is graded for two honest learners and one learner per case below, all in the
same `python -m nncourse.grading.grade_class` run. Every case must get the score it deserves (never
full marks for a wrong answer, never less for a right answer that merely misbehaved), a
feedback file, and must cost the honest learners nothing. The course's cell time limit is
lowered to FAULT_TIMEOUT seconds in this class so that the endless loops are cheap to test.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from nbgrader_course import (
    autograded_notebook,
    cell_outputs_text,
    filled_notebook,
    grade_id,
    make_course,
    nbgrader_env,
    run_nbgrader,
    scores,
    solution_code,
    solution_cells,
    solution_notebook,
    submit,
)

LESSON = "06_optim"
FAULT_TIMEOUT = 20
#: The two concept checks before the exercises (test_what_step_does, test_zero_grad_between,
#: 1 point each): every learner here answers them as the solution does, so the faults move only
#: the other 5 points.
CONCEPT = 2
FULL = CONCEPT + 5  # + test_get_model 2 + test_training 3

STOPPED = "채점 시간 제한을 넘겨 이 셀을 멈췄습니다"
RESTORED = "채점 도구가 바뀌어 있어 원래대로 되돌렸습니다"
RESTORED_NOTE = "채점기가 되살린 셀입니다"

SOLUTION = {gid: solution_code(src) for gid, src in solution_cells(solution_notebook(LESSON)).items()}
WRONG_GET_MODEL = SOLUTION["get_model"].replace("optim.SGD", "optim.Adam")  # only CONCEPT when graded plainly
BEFORE_TRAINING = "model, opt = get_model()"

# A package that would make every check pass if the kernel imported it: it loads the real
# nncourse (so data and setup work) and replaces every check of this lesson's grader before
# the setup cell takes the guard's snapshot.
FAKE_PACKAGE = {
    "nncourse/__init__.py": (
        "import os, sys\n"
        "_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
        "del sys.modules[__name__]\n"
        "_saved = list(sys.path)\n"
        "sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != _here]\n"
        "import nncourse\n"
        "import nncourse.graders.optim as _grader\n"
        "sys.path[:] = _saved\n"
        "for _name in dir(_grader):\n"
        "    if _name.startswith('check_'):\n"
        "        setattr(_grader, _name, lambda *a, **k: print('✅ 통과'))\n"
    ),
}


@dataclass(frozen=True)
class Fault:
    name: str
    what: str                                   # for the printed table
    expected: int                               # score out of FULL
    answers: dict[str, str] = field(default_factory=dict)
    extra_files: dict[str, str] = field(default_factory=dict)
    edit_cells: dict[str, str | None] = field(default_factory=dict)  # test cell → new source (None: delete)
    shown: tuple[str, str] | None = None        # (grade_id, text) that must appear in that cell's output
    restored: str | None = None                 # a deleted test cell that grading must put back


FAULTS = [
    Fault("honest-a", "solution code (an honest learner in the same run)", FULL),
    Fault("honest-b", "correct, zero_grad() before backward()", FULL,
          answers={"training": SOLUTION["training"].replace("        opt.step()\n        opt.zero_grad()\n",
                                                            "        opt.step()\n")
                   .replace("        pred = model(xb)", "        opt.zero_grad()\n        pred = model(xb)")}),
    Fault("cell-raises", "training cell raises an exception", CONCEPT + 2,
          answers={"training": "raise RuntimeError('아직 못 끝냈어요')\n" + SOLUTION["training"]},
          shown=("training", "RuntimeError")),
    Fault("endless-loop", "training cell never ends (while True)", CONCEPT + 2,
          answers={"training": "while True:\n    pass\n"},
          shown=("training", STOPPED)),
    Fault("swallows-interrupt", "endless loop that catches KeyboardInterrupt", CONCEPT + 2,
          answers={"training": "import time\nwhile True:\n    try:\n        time.sleep(0.5)\n"
                               "    except KeyboardInterrupt:\n        print('멈추지 않을래요')\n"},
          shown=("training", STOPPED)),
    Fault("swallows-everything", "endless loop with a bare except", CONCEPT + 2,
          answers={"training": "while True:\n    try:\n        sum(range(100_000))\n    except:\n        pass\n"},
          shown=("training", STOPPED)),
    Fault("output-flood", "right answer that prints 300 000 lines", FULL,
          answers={"training": SOLUTION["training"] + "\nfor step in range(300_000):\n    print('손실', step)\n"}),
    Fault("warns-in-test", "right answer whose get_model() warns and writes to stderr", FULL,
          answers={"get_model": "import sys, warnings\n" + SOLUTION["get_model"].replace(
              "    model = Mnist_Logistic()",
              "    warnings.warn('학습률이 꽤 큰 것 같아요')\n"
              "    print('디버그: 모델을 만듭니다', file=sys.stderr)\n"
              "    model = Mnist_Logistic()")},
          shown=("test_get_model", "학습률이 꽤 큰 것 같아요")),
    Fault("huge-memory", "training cell asks for 16 GiB", CONCEPT + 2,
          answers={"training": "cache = torch.ones(4 * 1024**3)\n" + SOLUTION["training"]},
          shown=("training", "memory")),
    Fault("edited-test-wrong", "wrong answer, test cell replaced by a print", CONCEPT,
          answers={"get_model": WRONG_GET_MODEL},
          edit_cells={"test_get_model": "print('✅ 통과')", "test_training": "print('✅ 통과')"}),
    Fault("edited-test-right", "right answer, test cell emptied", FULL,
          edit_cells={"test_training": ""}),
    # A deleted test cell is put back from the gradebook and run (nncourse.grading.nbgrader_plugins.missing_tests).
    Fault("deleted-test", "right answer, test cell deleted", FULL,
          edit_cells={"test_training": None}, restored="test_training"),
    # nbgrader's own add_missing_cells fails the whole submission here (KeyError: the cell
    # before the test is gone too); the course's version puts the test back after get_model's.
    Fault("deleted-exercise", "answer cell and its test cell deleted", CONCEPT + 2,
          edit_cells={"training": None, "test_training": None}, restored="test_training"),
    Fault("shadow-package", "wrong answer + an nncourse/ package beside the notebook", CONCEPT,
          answers={"get_model": WRONG_GET_MODEL}, extra_files=FAKE_PACKAGE),
    Fault("monkeypatch", "wrong answer + checks and torch.allclose replaced in a cell", CONCEPT,
          answers={"get_model": WRONG_GET_MODEL + (
              "\nimport nncourse.checks, nncourse.graders.optim\n"
              "nncourse.graders.optim.check_get_model = lambda *a, **k: print('✅ 통과')\n"
              "nncourse.graders.optim.check_one_step = lambda *a, **k: print('✅ 통과')\n"
              "nncourse.graders.optim.check_training = lambda *a, **k: print('✅ 통과')\n"
              "nncourse.checks.close.__code__ = (lambda *a, **k: None).__code__\n"
              "torch.allclose = lambda *a, **k: True\n")},
          shown=("test_get_model", "Adam")),  # the judge's verdict: the patched checks never ran
    Fault("rebinds-grader", "wrong answer + `grader` rebound to a fake", CONCEPT,
          answers={"get_model": WRONG_GET_MODEL + (
              "\nimport types\n_ok = lambda *a, **k: print('✅ 통과')\n"
              "grader = types.SimpleNamespace(check_get_model=_ok, check_one_step=_ok, check_training=_ok)\n")},
          shown=("test_get_model", "Adam")),
    Fault("seed-tricks", "right answer + its own seed + torch.manual_seed disabled", FULL,
          answers={"get_model": "torch.manual_seed(2024)\ntorch.manual_seed = lambda seed: None\n"
                                + SOLUTION["get_model"]}),
    Fault("seed-tricks-wrong", "wrong answer + its own seed + torch.manual_seed disabled", CONCEPT,
          answers={"get_model": "torch.manual_seed(2024)\ntorch.manual_seed = lambda seed: None\n"
                                + WRONG_GET_MODEL}),
]

#: Filled by the fixture; printed by conftest at the end of the run.
FAULT_RESULTS: dict[str, dict] = {}


def _notebook(fault: Fault):
    notebook = filled_notebook(LESSON, fault.answers)
    kept = []
    for cell in notebook.cells:
        gid = grade_id(cell)
        if gid in fault.edit_cells:
            if fault.edit_cells[gid] is None:
                continue
            cell.source = fault.edit_cells[gid]
        kept.append(cell)
    notebook.cells = kept
    return notebook


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("course-faults"), [LESSON],
                         config=f"c.Execute.timeout = {FAULT_TIMEOUT}\n")
    run_nbgrader(course, "generate_assignment", LESSON, "--force")
    for fault in FAULTS:
        folder = submit(course, fault.name, LESSON, _notebook(fault))
        for name, text in fault.extra_files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
    grading = subprocess.run(
        [sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(course), "--lesson", LESSON],
        cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=1800)
    result = scores(course, LESSON)
    for fault in FAULTS:
        score = result.get(fault.name)
        FAULT_RESULTS[fault.name] = {
            "what": fault.what, "expected": fault.expected,
            "score": None if score is None else score.total,
            "feedback": (course / "feedback" / fault.name / LESSON / f"{LESSON}.html").is_file(),
        }
    return course, grading, result


def test_the_batch_keeps_going(graded_class):
    course, grading, result = graded_class
    assert grading.returncode == 0, grading.stdout[-4000:] + grading.stderr[-4000:]
    assert set(result) == {fault.name for fault in FAULTS}


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.name)
def test_fair_score_and_feedback(graded_class, fault):
    course, grading, result = graded_class
    score = result[fault.name]
    assert score.total == fault.expected, (
        f"{fault.name} ({fault.what}): {score.total}/{score.max_total}, expected {fault.expected}; "
        f"cells {score.cells}")
    assert (course / "feedback" / fault.name / LESSON / f"{LESSON}.html").is_file()
    if fault.shown:
        cell, text = fault.shown
        output = cell_outputs_text(autograded_notebook(course, fault.name, LESSON), cell)
        assert text in output, f"{fault.name}: {text!r} not in {cell}'s output:\n{output[-2000:]}"
    if fault.restored:
        graded = autograded_notebook(course, fault.name, LESSON)
        restored = [cell for cell in graded.cells if grade_id(cell) == fault.restored]
        assert len(restored) == 1, f"{fault.name}: {fault.restored} not put back once"
        assert restored[0].source.startswith(f"# {RESTORED_NOTE}"), restored[0].source[:200]
        order = [grade_id(cell) for cell in graded.cells if grade_id(cell)]
        assert order.index(fault.restored) > order.index("test_get_model"), order


def test_flooded_output_is_cut(graded_class):
    course, grading, result = graded_class
    notebook = autograded_notebook(course, "output-flood", LESSON)
    lines = cell_outputs_text(notebook, "training").count("\n")
    assert lines <= 1100, f"{lines} output lines kept"


def test_own_modules_are_not_copied_but_kept(graded_class):
    course, grading, result = graded_class
    assert not (course / "autograded" / "shadow-package" / LESSON / "nncourse").exists()
    assert (course / "submitted" / "shadow-package" / LESSON / "nncourse" / "__init__.py").is_file()


def test_honest_learners_show_no_guard_messages(graded_class):
    course, grading, result = graded_class
    notebook = autograded_notebook(course, "honest-a", LESSON)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            text = "".join(o.get("text", "") for o in cell.get("outputs", []))
            assert RESTORED not in text and STOPPED not in text, cell.source[:200]
