"""How a failed check is rendered (nncourse.verdict), outside a kernel; the kernel, nbgrader and
the browser are exercised by test_autograde.py, test_validate.py and test_browser.py."""

from __future__ import annotations

import importlib.util

import pytest
from nncourse import checks as check
from nncourse.graders.common import call_learner
from nncourse.verdict import CALLED_LEARNER, WIDTH, display_width, render

from shown_output import COURSE_FILE, flat, strip_ansi

HINT = ("행마다 구한 합(모양 (N,))을 (N, 10) 에서 빼려면 모양을 (N, 1) 로 맞춰야 합니다. "
        ".unsqueeze(-1) 이나 keepdim=True 를 쓰세요. 아주 긴 힌트도 잘리지 않고 줄이 바뀌어야 합니다.")


def _failure(call) -> check.CheckFailed:
    with pytest.raises(check.CheckFailed) as caught:
        call()
    return caught.value


def test_a_failed_check_renders_as_its_verdict_only():
    failure = _failure(lambda: check.equal("n_train", 60000, 50000, HINT))
    lines = [strip_ansi(line) for line in render(failure)]
    text = "\n".join(lines)
    assert lines[0].startswith(check.FAIL_MARK)
    assert "   내 값: 60000" in lines and "   기대값: 50000" in lines
    assert flat(HINT) in flat(text) and flat(text) == flat(str(failure))  # wrapped, nothing lost
    assert all(display_width(line) <= WIDTH for line in lines)
    # the hint's continuation lines are indented under its text
    start = next(i for i, line in enumerate(lines) if line.startswith("   힌트: "))
    indent = " " * display_width("   힌트: ")
    assert lines[start + 1].startswith(indent) and not lines[start + 1].startswith(indent + " ")
    assert "Traceback" not in text and not COURSE_FILE.search(text)


def test_the_labels_are_coloured_and_the_text_keeps_the_theme_colour():
    lines = render(_failure(lambda: check.equal("n_train", 60000, 50000, "짧은 힌트")))
    assert lines[0].startswith("\x1b[1m")  # bold, the theme's own colour
    assert any("\x1b[1;96m힌트:\x1b[0m" in line for line in lines)


def test_the_learners_frames_follow_one_line_and_the_course_is_left_out(tmp_path):
    """A learner's function (a file outside the course, like a notebook cell) raises when a
    check calls it: its frame and line stay, the course's frames go."""
    module_file = tmp_path / "learner_cell.py"
    module_file.write_text("def log_softmax(x):\n    total = x + 1\n    return x - totl\n",
                           encoding="utf-8")
    spec = importlib.util.spec_from_file_location("learner_cell", module_file)
    learner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(learner)
    failure = _failure(lambda: call_learner("log_softmax", learner.log_softmax, 1))
    assert isinstance(failure.__cause__, NameError)
    text = strip_ansi("\n".join(render(failure)))
    assert text.startswith(f"{check.FAIL_MARK} log_softmax 을(를) 실행하다 오류가 났습니다")
    assert CALLED_LEARNER in text
    assert str(module_file) in text and "line 3" in text and "return x - totl" in text
    assert "NameError: name 'totl' is not defined" in text
    assert not COURSE_FILE.search(text), text


def test_an_error_of_the_course_itself_is_not_shown_as_the_learners():
    def course_only():
        try:
            {}["missing"]
        except KeyError:
            check.equal("x", 1, 2)  # raised while handling the course's own error

    text = strip_ansi("\n".join(render(_failure(course_only))))
    assert CALLED_LEARNER not in text and "KeyError" not in text
