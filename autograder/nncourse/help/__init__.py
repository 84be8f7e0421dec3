"""Help the learner asks for: ``hint(N)`` and ``solution(N)`` in a lesson's notebook.

``hint(3)`` shows exercise 3's first hint, a nudge toward the idea; asked again, the second, a
pointed one (which function, argument or shape; never a line of the answer); ``hint(3, 1)``
shows a given level again. Nothing is shown unless the learner asks. The hints of each lesson
are in ``<lesson id>.toml`` beside this file, one ``[exercise.N]`` per heading ``연습 N.`` of
the notebook (a test keeps the two in step).

``solution(N)`` shows the worked answer only where the course allows it, set once for the course
when the learner bundle is built: a self-study bundle (``make learner-bundle SELF_STUDY=1``)
carries ``solutions.json`` here; a graded release and the repository do not, and then it says so.

``setup_lesson()`` puts both names into the notebook (unless the learner already uses them), and
``progress()`` (nncourse.progress): it knows the lesson from the ``grader`` module the setup cell
imported.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from pathlib import Path

HELP_DIR = Path(__file__).resolve().parent
#: Worked answers, lesson → exercise number → code; only in a self-study learner bundle.
SOLUTIONS_FILE = HELP_DIR / "solutions.json"
LEVELS = ("nudge", "pointed")
LEVEL_NAMES = {"nudge": "방향 잡기", "pointed": "구체적으로"}


class Help:
    """The help of one lesson, and which hint level of each exercise the learner has seen."""

    def __init__(self, lesson: str):
        self.lesson = lesson
        self.seen: dict[int, int] = {}

    def hint(self, exercise: int | None = None, level: int | None = None) -> None:
        exercises = lesson_hints(self.lesson)
        if exercise is None or exercise not in exercises:
            numbers = ", ".join(str(number) for number in sorted(exercises))
            _show(f"**힌트**: 연습 번호를 넣어 부르세요. 예: `hint(1)`. 이 강의의 연습: {numbers}", "💡")
            return
        if level is None:
            level = min(self.seen.get(exercise, 0) + 1, len(LEVELS))
        if level not in range(1, len(LEVELS) + 1):
            _show(f"**힌트**: 단계는 1(방향 잡기) 또는 2(구체적으로)입니다. 예: `hint({exercise}, 2)`", "💡")
            return
        self.seen[exercise] = max(self.seen.get(exercise, 0), level)
        item = exercises[exercise]
        key = LEVELS[level - 1]
        more = (f"\n\n더 구체적인 힌트: `hint({exercise})` 를 한 번 더 실행하세요." if level < len(LEVELS) else "")
        _show(f"**연습 {exercise}. {item['title']} — 힌트 {level}/{len(LEVELS)} ({LEVEL_NAMES[key]})**\n\n"
              f"{item[key].strip()}{more}", "💡")

    def solution(self, exercise: int | None = None) -> None:
        answers = worked_solutions().get(self.lesson)
        if answers is None:
            _show("**풀이**: 이 과정에서는 풀이를 보여 주지 않습니다(강사가 정한 설정입니다). "
                  "`hint(N)` 으로 힌트를 두 단계까지 볼 수 있습니다.", "📘")
            return
        code = answers.get(str(exercise))
        if code is None:
            numbers = ", ".join(sorted(answers, key=int))
            _show(f"**풀이**: 연습 번호를 넣어 부르세요. 예: `solution(1)`. 이 강의의 연습: {numbers}", "📘")
            return
        _show(f"**연습 {exercise}의 풀이** (먼저 스스로 풀어 보고 비교하세요)\n\n```python\n{code.strip()}\n```", "📘")


@cache
def lesson_hints(lesson: str) -> dict[int, dict[str, str]]:
    """Exercise number → {title, nudge, pointed} of ``lesson``; {} when it has none."""
    path = HELP_DIR / f"{lesson}.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        table = tomllib.load(handle).get("exercise", {})
    return {int(number): item for number, item in table.items()}


@cache
def worked_solutions() -> dict[str, dict[str, str]]:
    if not SOLUTIONS_FILE.is_file():
        return {}
    return json.loads(SOLUTIONS_FILE.read_text(encoding="utf-8"))


def lessons() -> list[str]:
    return sorted(path.stem for path in HELP_DIR.glob("*.toml"))


def lesson_of_grader(module_name: str) -> str | None:
    """``nncourse.graders.validation`` → ``08_validation``."""
    short = module_name.rsplit(".", 1)[-1]
    return next((lesson for lesson in lessons() if lesson.split("_", 1)[1] == short), None)


def _show(markdown: str, mark: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            display(Markdown(f"{mark} {markdown}"))
            return
    except ImportError:
        pass
    print(f"{mark} {markdown}")


def install(namespace: dict) -> Help | None:
    """Give a notebook ``hint`` and ``solution`` for the lesson of its ``grader`` module (names
    the learner already uses are left alone); None when there is no lesson to help with."""
    grader = namespace.get("grader")
    lesson = lesson_of_grader(getattr(grader, "__name__", "")) if grader is not None else None
    if lesson is None or not lesson_hints(lesson):
        return None
    from ..progress import progress

    helper = Help(lesson)
    for name, function in (("hint", helper.hint), ("solution", helper.solution)):
        existing = namespace.get(name)
        if existing is None or isinstance(getattr(existing, "__self__", None), Help):  # ours, from a rerun
            namespace[name] = function
    namespace.setdefault("progress", progress)  # the learner's progress over every lesson (nncourse.progress)
    return helper


def install_in_notebook() -> None:
    """:func:`install` into the running IPython's user namespace, if there is one."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        install(shell.user_ns)
