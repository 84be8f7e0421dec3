"""Why a check failed, as a stable id (nncourse.checks.diagnosis, nncourse.grading.causes): what
the instructor's report counts learners by. In-process, no kernel."""

from __future__ import annotations

import nbformat
import pytest

from nncourse import checks as check
from nncourse.graders import common, mnist_data, validation
from nncourse.grading import causes
from nncourse.verdict import NOT_ATTEMPTED, UNDIAGNOSED


def failure(function, *args, **kwargs) -> check.CheckFailed:
    with pytest.raises(check.CheckFailed) as caught:
        function(*args, **kwargs)
    return caught.value


def test_a_hint_with_an_id_is_counted_under_it():
    assert failure(check.fail, "x", hint=check.Hint("lesson.some-mistake", "텍스트")).cause == "lesson.some-mistake"


def test_a_grader_constant_is_found_by_identity_not_by_its_text():
    assert failure(check.fail, "x", hint=validation.WEIGHTING).cause == "validation.WEIGHTING"
    # the same words in another string object are not that constant
    copy = "".join(list(validation.WEIGHTING))
    assert failure(check.fail, "x", hint=copy).cause != "validation.WEIGHTING"
    first = next(iter(validation.ERROR_HINTS.values()))
    assert failure(check.fail, "x", hint=first).cause == "validation.ERROR_HINTS[0]"


def test_a_graders_hint_is_counted_under_its_own_id():
    error = failure(mnist_data.check_sizes, 1, 2)
    assert error.hint and error.cause == "mnist_data.n-train-wrong"


def test_a_plain_hint_is_counted_under_the_check_that_gave_it():
    """Every hint of the course's graders has an id; one without (a new check, say) still gets a
    stable cause: the grader function the test cell called."""
    namespace = {"__name__": "nncourse.graders.example", "check": check}
    exec("def check_example():\n    check.fail('x', hint='아무 힌트')\n", namespace)
    assert failure(namespace["check_example"]).cause == "example.check_example"


def test_no_hint_is_undiagnosed_and_a_learner_error_names_its_type():
    assert failure(check.fail, "x").cause == UNDIAGNOSED

    def stub():
        raise NotImplementedError("아직 답을 작성하지 않았습니다")

    def broken():
        return [][1]

    assert failure(common.call_learner, "stub", stub).cause == NOT_ATTEMPTED
    assert failure(common.call_learner, "broken", broken).cause == "error: IndexError"
    # one hint for any error: the cause is still the error
    assert failure(common.call_learner, "broken", broken, hint="함수를 보세요").cause == "error: IndexError"


def test_a_concept_check_counts_the_letter_chosen():
    check_concept = common.concept_check("why_x", "A", {"A": "맞음.", "B": "아님.", "C": "아님."}, "x")
    assert failure(check_concept, "b").cause == "why_x=B"
    assert failure(check_concept, 3).cause == "why_x=?"  # not a letter


def _notebook(*cells):
    notebook = nbformat.v4.new_notebook()
    for kind, source, outputs, meta in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.outputs = outputs
        cell.metadata["nbgrader"] = meta
        notebook.cells.append(cell)
    return notebook


ANSWER = {"solution": True, "grade": False, "grade_id": "answer"}
TEST = {"solution": False, "grade": True, "grade_id": "test", "points": 1}


def error(ename):
    return nbformat.v4.new_output("error", ename=ename, evalue="", traceback=[])


@pytest.mark.parametrize("answer_source, answer_outputs, test_outputs, expected", [
    ("# 여기에 코드를 작성하세요.\nraise NotImplementedError(\"아직\")", [error("NotImplementedError")],
     [error("NameError")], NOT_ATTEMPTED),
    ("def f():\n    raise NotImplementedError()", [], [error("CheckFailed")], NOT_ATTEMPTED),
    ("x = y + 1", [error("NameError")], [error("NameError")], "error: NameError"),
    ("x = 1", [], [error("NotebookTimeLimit")], causes.TIMEOUT),
    ("x = 1", [], [error("CellTimeoutError")], causes.TIMEOUT),
    ("x = 1", [], [error("AssertionError")], UNDIAGNOSED),
    ("x = 1", [], [error("ZeroDivisionError")], "error: ZeroDivisionError"),
])
def test_a_cell_the_judge_did_not_decide_gets_its_cause_from_the_notebook(answer_source, answer_outputs,
                                                                        test_outputs, expected):
    notebook = _notebook(("code", answer_source, answer_outputs, ANSWER), ("code", "check(x)", test_outputs, TEST))
    assert causes.cell_cause(notebook.cells, 1) == expected


def test_the_judges_diagnosis_wins_unless_the_answer_is_still_the_stub():
    attempted = _notebook(("code", "x = y", [error("NameError")], ANSWER), ("code", "check(x)", [], TEST))
    assert causes.judged_cause("validation.WEIGHTING", attempted.cells, 1) == "validation.WEIGHTING"
    assert causes.judged_cause(UNDIAGNOSED, attempted.cells, 1) == "error: NameError"
    stub = _notebook(("code", "raise NotImplementedError()", [error("NotImplementedError")], ANSWER),
                     ("code", "check(x)", [], TEST))
    assert causes.judged_cause("validation.WEIGHTING", stub.cells, 1) == NOT_ATTEMPTED
    stub.cells[1].metadata["nncourse"] = {"judged": True, "passed": False, "cause": "recorded"}
    assert causes.cell_cause(stub.cells, 1) == "recorded"
