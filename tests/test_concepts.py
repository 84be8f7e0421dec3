"""Every concept check, every choice: the grader functions called directly, no kernel.

The mutation class (test_autograde) sends at least one wrong choice of each concept check
through real nbgrader autograde; this covers the rest, fast: the choices listed in the lesson's
question are exactly those the check knows, the solution's letter passes (in any case, with
spaces), every other letter fails with an explanation of its own that does not give the right
one away, and anything that is not one of the letters asks for a letter.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

import pytest

from nbgrader_course import lesson_ids, solution_code, solution_notebook
from nncourse.checks import CheckFailed

CHECK_CALL = re.compile(r"^grader\.check_(\w+)\((\w+)\)$")
GRADER_IMPORT = re.compile(r"from nncourse\.graders import (\w+) as grader")
CHOICE = re.compile(r"^- \*\*([A-Z])\.\*\* ", re.MULTILINE)


@dataclass(frozen=True)
class Concept:
    lesson: str
    name: str
    module: str
    right: str
    letters: tuple[str, ...]
    stem: str                 # the question before its choices
    choices: tuple[str, ...]  # each choice's text, in the order of ``letters``

    def __str__(self) -> str:
        return f"{self.lesson}:{self.name}"


def _concepts() -> list[Concept]:
    found = []
    for lesson in lesson_ids():
        cells = solution_notebook(lesson).cells
        module = next(GRADER_IMPORT.search(c.source).group(1) for c in cells if GRADER_IMPORT.search(c.source))
        by_id = {c.get("id"): c for c in cells}
        for cell in cells:
            call = CHECK_CALL.match(cell.source.strip())
            question = by_id.get("concept-" + (call.group(2).replace("_", "-") if call else ""))
            if not call or question is None:
                continue
            name = call.group(2)
            right = re.search(r'=\s*"(\w)"', solution_code(by_id[name].source)).group(1)
            stem, *choices = CHOICE.split(question.source)
            found.append(Concept(lesson, name, module, right, tuple(choices[0::2]), stem,
                                 tuple(text.split("\n\n", 1)[0] for text in choices[1::2])))
    return found


CONCEPTS = _concepts()


def check(concept: Concept):
    return getattr(importlib.import_module(f"nncourse.graders.{concept.module}"), f"check_{concept.name}")


def test_every_lesson_has_a_concept_check():
    assert {c.lesson for c in CONCEPTS} == set(lesson_ids())
    assert len(CONCEPTS) >= 2 * len(lesson_ids())


@pytest.mark.parametrize("concept", CONCEPTS, ids=str)
def test_the_right_choice_passes_in_any_case(concept, capsys):
    assert concept.letters == ("A", "B", "C", "D"), concept.letters
    for answer in (concept.right, concept.right.lower(), f"  {concept.right} "):
        check(concept)(answer)
    shown = capsys.readouterr().out
    assert shown.count(f"✅ {concept.name}: {concept.right}.") == 3, shown


@pytest.mark.parametrize("concept", CONCEPTS, ids=str)
def test_every_wrong_choice_explains_itself(concept, capsys):
    check(concept)(concept.right)
    right_text = capsys.readouterr().out.split(f"{concept.right}. ", 1)[1].strip()
    hints = {}
    for letter in concept.letters:
        if letter == concept.right:
            continue
        with pytest.raises(CheckFailed) as failed:
            check(concept)(letter)
        message = str(failed.value)
        assert f"보기 {letter} 는 맞지 않습니다" in message, message
        assert right_text not in message
        hints[letter] = message.split("힌트: ", 1)[1]
    assert len(set(hints.values())) == len(concept.letters) - 1, hints


def _plain(text: str) -> str:
    return re.sub(r"[`*\s]", "", text)


def _pieces(choice: str) -> set[str]:
    """What a choice says that could give it away: its code spans (a shape, a count, a call) and,
    when it is more than a word, its whole text."""
    pieces = {_plain(span) for span in re.findall(r"`([^`]+)`", choice)}
    if len(_plain(choice)) >= 6:
        pieces.add(_plain(choice))
    return {piece for piece in pieces if len(piece) >= 2}


@pytest.mark.parametrize("concept", CONCEPTS, ids=str)
def test_no_wrong_choice_explanation_quotes_the_right_choice(concept):
    """A wrong letter's explanation never repeats what only the right choice says (its shape, its
    count, its call, its wording): the learner who guessed wrong is told why, not handed the answer.
    What the question itself or the wrong choice shows may be repeated."""
    right = concept.choices[concept.letters.index(concept.right)]
    for letter, choice in zip(concept.letters, concept.choices):
        if letter == concept.right:
            continue
        with pytest.raises(CheckFailed) as failed:
            check(concept)(letter)
        explanation = _plain(str(failed.value).split("힌트: ", 1)[1])
        given_away = [piece for piece in _pieces(right)
                      if piece not in _plain(concept.stem) and piece not in _plain(choice)
                      and piece in explanation]
        assert not given_away, f"{concept}: {letter}'s explanation quotes the right choice: {given_away}"


@pytest.mark.parametrize("concept", CONCEPTS, ids=str)
@pytest.mark.parametrize("answer", ["E", "AB", 2, None, ""])
def test_anything_else_asks_for_a_letter(concept, answer):
    with pytest.raises(CheckFailed) as failed:
        check(concept)(answer)
    assert "보기 하나의 글자를 문자열로" in str(failed.value)
