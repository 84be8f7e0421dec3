"""Help the learner asks for (nncourse.help): two levels of hint for every exercise of every
lesson, shown only on request, never a line of the answer; a worked solution only where the
course allows it (a self-study bundle). In-process, no kernel."""

from __future__ import annotations

import json
import re
import types

import nbformat
import pytest

from nbgrader_course import SOLUTIONS, lesson_ids, solution_code
from nncourse import help as course_help
from nncourse.grading import learner_bundle

LESSONS = lesson_ids()
HEADING = re.compile(r"^## 연습 (\d+)\. (.+)$", re.MULTILINE)
#: Answer lines shorter than this are generic (`return x`, `model.train()`): not an answer to give away.
SHORTEST_ANSWER_LINE = 13


def headings(lesson: str) -> dict[int, str]:
    notebook = nbformat.read(SOLUTIONS / lesson / f"{lesson}.ipynb", as_version=4)
    found = {}
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for number, title in HEADING.findall(cell.source):
                found[int(number)] = title.strip()
    return found


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_exercise_has_two_levels_of_hint(lesson):
    hints = course_help.lesson_hints(lesson)
    assert {number: item.get("title") for number, item in hints.items()} == headings(lesson)
    for number, item in hints.items():
        assert item.get("nudge", "").strip() and item.get("pointed", "").strip(), (lesson, number)
        assert flat(item["nudge"]) != flat(item["pointed"]), (lesson, number)


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_hint_is_a_line_of_the_answer(lesson):
    notebook = nbformat.read(SOLUTIONS / lesson / f"{lesson}.ipynb", as_version=4)
    answers = {number: solution_code(code) for number, code in learner_bundle.exercise_answers(notebook).items()}
    leaks = []
    for number, item in course_help.lesson_hints(lesson).items():
        said = flat(item["nudge"] + item["pointed"])
        for line in "\n".join(answers.values()).splitlines():
            line = line.split("#", 1)[0].strip()
            if len(line) >= SHORTEST_ANSWER_LINE and flat(line) in said:
                leaks.append((number, line))
    assert not leaks, f"{lesson}: hints that hand over the answer: {leaks}"


def shown(capsys) -> str:
    return capsys.readouterr().out


def test_a_hint_comes_in_two_steps_and_only_when_asked(capsys):
    helper = course_help.Help("01_mnist_data")
    first, second = course_help.lesson_hints("01_mnist_data")[1]["nudge"], course_help.lesson_hints("01_mnist_data")[1]["pointed"]
    helper.hint(1)
    out = shown(capsys)
    assert "힌트 1/2" in out and first.strip() in out and second.strip() not in out and "hint(1)" in out
    helper.hint(1)
    out = shown(capsys)
    assert "힌트 2/2" in out and second.strip() in out
    helper.hint(1)
    assert "힌트 2/2" in shown(capsys)
    helper.hint(1, 1)
    assert "힌트 1/2" in shown(capsys)
    helper.hint(99)
    out = shown(capsys)
    assert "hint(1)" in out and ", ".join(str(n) for n in sorted(headings("01_mnist_data"))) in out
    helper.hint(1, 3)
    assert "단계는 1" in shown(capsys)


def test_the_worked_solution_only_where_the_course_allows_it(capsys, monkeypatch):
    helper = course_help.Help("01_mnist_data")
    helper.solution(4)
    out = shown(capsys)
    assert "보여 주지 않습니다" in out and "bincount" not in out
    table = json.loads(learner_bundle.worked_solutions())
    monkeypatch.setattr(course_help, "worked_solutions", lambda: table)
    helper.solution(4)
    out = shown(capsys)
    assert "torch.bincount" in out and "```python" in out and "### " not in out
    helper.solution(42)
    assert "solution(1)" in shown(capsys)


def test_setup_gives_the_notebook_hint_and_solution_but_not_over_the_learners_names():
    grader = types.ModuleType("nncourse.graders.mnist_data")
    namespace = {"grader": grader}
    assert course_help.install(namespace).lesson == "01_mnist_data"
    assert namespace["hint"].__self__.lesson == "01_mnist_data" and callable(namespace["solution"])
    again = {"grader": grader, "hint": "my own variable"}
    course_help.install(again)
    assert again["hint"] == "my own variable" and callable(again["solution"])
    assert course_help.install({}) is None and course_help.install({"grader": types.ModuleType("x.unknown")}) is None


def test_exercise_answers_follow_the_headings():
    answers = json.loads(learner_bundle.worked_solutions())
    assert sorted(answers) == LESSONS
    for lesson in LESSONS:
        assert sorted(map(int, answers[lesson])) == sorted(headings(lesson)), lesson


def test_progress_reads_the_learners_saved_notebooks(tmp_path, capsys):
    """nncourse.progress: from saved notebooks, which checks pass (✅ and no error), fail, or have
    not run, named by the exercise they follow."""
    from nbgrader_course import filled_notebook, learner_notebook
    from nncourse import progress

    for lesson, notebook in (("01_mnist_data", learner_notebook("01_mnist_data")),
                             ("02_from_scratch", filled_notebook("02_from_scratch"))):
        checks = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")
                  and not cell.metadata["nbgrader"].get("solution")]
        for cell in checks:
            cell.outputs = []
        if lesson == "02_from_scratch":  # the first check passed, the second failed, the rest not run
            checks[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="✅ 좋습니다\n")]
            checks[1].outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue="", traceback=[])]
        (tmp_path / lesson).mkdir()
        nbformat.write(notebook, tmp_path / lesson / f"{lesson}.ipynb")
    lessons = progress.read_all(progress.notebooks_folder(tmp_path / "02_from_scratch"))  # from a lesson's folder
    assert [lesson.lesson for lesson in lessons] == ["01_mnist_data", "02_from_scratch"]
    assert lessons[0].count("not run") == len(lessons[0].checks) > 0
    states = [state for _, state in lessons[1].checks]
    assert states[:2] == ["passed", "failed"] and set(states[2:]) == {"not run"}
    assert lessons[1].checks[0][0].startswith("연습 1")
    assert progress.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"1/{len(states)} 통과, 실패 1" in out and lessons[1].title in out
    assert "✅" in progress.as_html(lessons) and "<script" not in progress.as_html(lessons)
