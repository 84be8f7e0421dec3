"""Wrong answers learners really write, for the autograde tests.

One module per lesson, ``lesson_<id>.py``, defines ``WRONG``: a list of variants. Each replaces
one answer cell of the solution-filled learner notebook; it must lose the points of the test
cell it names, and the hint that names the mistake must appear in that test cell's output.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WrongAnswer:
    name: str          # short id, used as the nbgrader student id
    answer_cell: str   # grade_id of the answer cell the variant replaces
    code: str          # what the learner wrote there
    test_cell: str     # grade_id of the test cell that must lose its points
    hint: str          # text that must appear in that test cell's output


def _load() -> dict[str, list[WrongAnswer]]:
    found = {}
    for module_file in sorted(Path(__file__).parent.glob("lesson_*.py")):
        lesson = module_file.stem.removeprefix("lesson_")
        found[lesson] = importlib.import_module(f"{__name__}.{module_file.stem}").WRONG
    return found


WRONG_ANSWERS: dict[str, list[WrongAnswer]] = _load()
