"""Answers learners really write, wrong and right, for the autograde tests.

One module per lesson, ``lesson_<id>.py``, defines two lists:

``WRONG``: each variant replaces one answer cell of the solution-filled learner notebook; it
must lose the points of the test cell it names, and the hint that names the mistake must
appear in that test cell's output.

``RIGHT``: each variant replaces one or more answer cells with code that differs from the
solution but is correct (another spelling, another loop, other names, an extra seed); it must
get full marks, and no graded cell may print a failure mark.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WrongAnswer:
    name: str          # short id, used as the nbgrader student id
    answer_cell: str   # grade_id of the answer cell the variant replaces
    code: str          # what the learner wrote there
    test_cell: str     # grade_id of the test cell that must lose its points
    hint: str          # text that must appear in that test cell's output


@dataclass(frozen=True)
class RightAnswer:
    name: str                # short id, used as the nbgrader student id (a-z, 0-9, -)
    answers: dict[str, str]  # grade_id of an answer cell → what the learner wrote there
    why: str                 # what differs from the solution, and why it is still right


@functools.cache
def _solution_answers(lesson: str) -> dict[str, str]:
    from nbgrader_course import solution_cells, solution_code, solution_notebook

    return {gid: solution_code(source) for gid, source in solution_cells(solution_notebook(lesson)).items()}


def solution_answer(lesson: str, answer_cell: str) -> str:
    """What the solution writes in ``answer_cell`` of ``lesson``: the base that wrong and right
    answers edit, so that none of them copies a lesson's code (it would drift from the lesson)."""
    return _solution_answers(lesson)[answer_cell]


def lesson_solutions(lesson: str) -> Callable[[str], str]:
    """``solution(answer_cell)`` for one lesson's file of answers."""
    return functools.partial(solution_answer, lesson)


def edit(code: str, *replacements: tuple[str, str]) -> str:
    """``code`` with each (old, new) replaced; an ``old`` that is not there is a mistake in the
    answer's definition (the "wrong" answer would silently be the solution), so it fails here."""
    for old, new in replacements:
        if old not in code:
            raise ValueError(f"edit: {old!r} is not in the code it edits:\n{code}")
        code = code.replace(old, new)
    return code


def _load() -> tuple[dict[str, list[WrongAnswer]], dict[str, list[RightAnswer]]]:
    wrong, right = {}, {}
    for module_file in sorted(Path(__file__).parent.glob("lesson_*.py")):
        lesson = module_file.stem.removeprefix("lesson_")
        module = importlib.import_module(f"{__name__}.{module_file.stem}")
        wrong[lesson] = module.WRONG
        right[lesson] = getattr(module, "RIGHT", [])
    return wrong, right


_WRONG, _RIGHT = _load()
WRONG_ANSWERS: dict[str, list[WrongAnswer]] = _WRONG
RIGHT_ANSWERS: dict[str, list[RightAnswer]] = _RIGHT
