"""Failed checks must not hand over the answer (#25): no text of a grader quotes a line of a
solution's answer code. Retries are unlimited, so a hint that is the answer line gives the
exercise away after one wrong run. Static (no kernel, no torch): it reads the solution notebooks
and the graders' source, in a second.

The rule, precisely:

- **Answer lines.** Every line between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in a
  solution cell of a solution notebook, its comment removed. From each line come its *pieces*:
  the line itself, and, when the line is a whole statement, the expression an assignment
  (``=``, ``-=``, ...) stores or a ``return`` returns. The expression counts on its own because
  the name it is stored under is given by the exercise (``label_counts = ...``): the expression
  is the answer. A trailing ``:`` or ``,`` (a loop's header, one argument of a long call) is
  dropped.
- **Normalised.** Whitespace is removed from pieces and from the graders' text alike, so
  ``x_train[0 : bs]`` and ``x_train[0:bs]`` are the same text.
- **Trivial pieces are left out:** imports; a piece under :data:`MIN_CHARS` characters once
  normalised (``return x``, ``pass``, ``opt.step()``, ``model = Mnist_CNN()``); and a piece the
  lesson's learner notebook already shows the learner verbatim: inside a code span or code block
  of one of its Markdown cells, or in the code it gives (its code cells outside the answer
  markers). What the lesson prints on the page is no secret (``model.train()``, the loop header
  ``for xb, yb in train_dl``), and a hint may point back to it. Only the lesson's own notebook
  counts: lesson 06 giving ``model, opt = get_model()`` does not make it less of an answer in
  lesson 10, where it is one.
- **Grader text.** Every string literal in ``autograder/nncourse/graders/*.py`` and
  ``autograder/nncourse/checks.py`` but docstrings (English, for maintainers): hints, concept
  explanations, expected values. Literals joined by ``+`` count as one text, and so do the
  literal parts of an f-string (its ``{...}`` fields become a gap).
- **Whose answers.** A grader module's text is searched for the answers of the lessons that can
  show it: the lesson whose notebook imports it as ``grader`` and every lesson whose grader
  imports it, directly or not (``common``, ``convnet``, ``checks``...). Lesson 08's text may
  show ``with torch.no_grad():``, which lesson 08 prints on its page, although lesson 05's learner
  writes that line as an answer: lesson 05's learner never sees lesson 08's hints.

A hint may still name a function, an argument or an idea (``torch.bincount``, ``minlength``, "the
log of the sum of exponentials"); it must not be the line. The test catches copies, not
paraphrases: a hint that renames a variable of the line (``range(n)`` for the solution's
``range(target.shape[0])``) gives it away as much and passes, so hints are still read by eye.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from nbgrader_course import SOLUTION_MARKERS, lesson_ids, solution_notebook

PACKAGE = Path(__file__).resolve().parents[1] / "autograder" / "nncourse"
GRADER_FILES = [*sorted(path for path in (PACKAGE / "graders").glob("*.py") if path.name != "__init__.py"),
                PACKAGE / "checks.py"]

#: Pieces shorter than this (whitespace removed) are too generic to give an exercise away.
MIN_CHARS = 12

BEGIN, END = SOLUTION_MARKERS
#: What an f-string's field or a name joined by ``+`` leaves in a grader's text: matches nothing.
GAP = "\x00"
GRADER_IMPORT = re.compile(r"from nncourse\.graders import (\w+) as grader")
CODE_SPAN = re.compile(r"```[^\n]*\n(.*?)```|``(.+?)``|`([^`\n]+)`", re.DOTALL)


def normalise(text: str) -> str:
    return re.sub(r"\s+", "", text)


def without_comment(line: str) -> str:
    """``line`` up to a ``#`` that is not inside a string literal."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def pieces(line: str) -> list[str]:
    """The line and, for a whole assignment or return statement, the expression it stores or returns."""
    line = without_comment(line).strip()
    found = [line.rstrip(":,").strip()]
    try:
        statement = ast.parse(line).body
    except SyntaxError:
        statement = []
    if len(statement) == 1:
        node = statement[0]
        value = node.value if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return)) else None
        if value is not None:
            found.append(ast.get_source_segment(line, value))
    return found


@dataclass(frozen=True)
class Answer:
    lesson: str
    cell: str
    line: str
    piece: str

    def __str__(self) -> str:
        return f"{self.lesson}/{self.cell}: {self.piece!r}"


def answer_lines(notebook) -> list[tuple[str, str]]:
    """(grade_id, line) of every line between the SOLUTION markers of ``notebook``."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        inside = False
        for line in cell.source.splitlines():
            if line.strip() == BEGIN:
                inside = True
            elif line.strip() == END:
                inside = False
            elif inside and line.strip():
                found.append((cell.metadata["nbgrader"]["grade_id"], line))
    return found


def shown_code(notebook) -> list[str]:
    """Normalised code the learner notebook shows: Markdown code spans and blocks, and given code
    (code cells outside the answer markers; the learner notebook's test cells included)."""
    shown = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            shown += [normalise(next(group for group in match.groups() if group is not None))
                      for match in CODE_SPAN.finditer(cell.source)]
        elif cell.cell_type == "code":
            inside = False
            for line in cell.source.splitlines():
                if line.strip() in (BEGIN, END):
                    inside = line.strip() == BEGIN
                elif not inside and not line.strip().startswith("### "):
                    shown.append(normalise(without_comment(line)))
    return shown


def answers(lesson: str) -> list[Answer]:
    """The non-trivial pieces of the answer lines of ``lesson`` (see the module's rule)."""
    notebook = solution_notebook(lesson)
    shown = shown_code(notebook)
    found = {}
    for cell, line in answer_lines(notebook):
        for piece in pieces(line):
            key = normalise(piece)
            if (len(key) < MIN_CHARS or re.match(r"(import|from)\s", piece)
                    or any(key in text for text in shown)):
                continue
            found.setdefault(key, Answer(lesson, cell, line.strip(), piece))
    return list(found.values())


def docstrings(tree: ast.AST) -> set[int]:
    """id() of the docstring nodes of a module and its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def literal_text(node: ast.AST) -> str | None:
    """The text of a string literal, an f-string (fields left as a gap) or a ``+`` of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else GAP for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal_text(node.left), literal_text(node.right)
        if left is not None or right is not None:
            return (left or GAP) + (right or GAP)
    return None


def grader_texts(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of every text of a grader source file but its docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = docstrings(tree)
    found, inner = [], set()
    for node in ast.walk(tree):  # outer nodes first: a ``+`` chain before its parts
        if id(node) in skip or id(node) in inner:
            continue
        text = literal_text(node)
        if text is not None:
            found.append((node.lineno, text))
            inner.update(id(child) for child in ast.walk(node))
    return found


def imported_graders(path: Path) -> set[str]:
    """Names of the grader modules (and ``checks``) that the grader source ``path`` imports itself."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:  # from . import x / from .x import y
            found.update([node.module] if node.module else [alias.name for alias in node.names])
        elif isinstance(node, ast.ImportFrom) and node.level == 2 and node.module is None:
            found.update(alias.name for alias in node.names)  # from .. import checks
        elif isinstance(node, ast.ImportFrom) and node.level == 2 and node.module == "checks":
            found.add("checks")  # from ..checks import fail
    return found & {path.stem for path in GRADER_FILES}


def readers(path: Path) -> set[str]:
    """The lessons whose learners can see the text of the grader source ``path``: its lesson and
    every lesson whose grader imports it, directly or through other graders."""
    imports = {source.stem: imported_graders(source) for source in GRADER_FILES}
    found = set()
    for lesson in lesson_ids():
        grader = next(match.group(1) for cell in solution_notebook(lesson).cells
                      if (match := GRADER_IMPORT.search(cell.source)))
        reached, todo = set(), [grader]
        while todo:
            module = todo.pop()
            if module not in reached:
                reached.add(module)
                todo += imports[module]
        if path.stem in reached:
            found.add(lesson)
    return found


def quotes(text: str, known: list[Answer]) -> list[Answer]:
    """The ``known`` answers that ``text`` quotes, spaces aside."""
    return [answer for answer in known if normalise(answer.piece) in normalise(text)]


def leaks(path: Path, known: list[Answer]) -> list[str]:
    """One line for each text of ``path`` that quotes one of the ``known`` answers (the longest it quotes)."""
    found = []
    for line, text in grader_texts(path):
        if quoted := quotes(text, known):
            answer = max(quoted, key=lambda answer: len(answer.piece))
            found.append(f"{path.name}:{line}: {answer} in {text.replace(GAP, '{…}')[:120]!r}")
    return found


ANSWERS = [answer for lesson in lesson_ids() for answer in answers(lesson)]


@pytest.mark.parametrize("path", GRADER_FILES, ids=lambda path: path.name)
def test_no_grader_text_quotes_an_answer_line(path):
    lessons = readers(path)
    assert lessons, f"no lesson imports {path.name}"
    found = leaks(path, [answer for answer in ANSWERS if answer.lesson in lessons])
    assert not found, "\n".join(found)


def test_every_lesson_has_answer_lines_to_guard():
    assert {answer.lesson for answer in ANSWERS} == set(lesson_ids())


def test_the_rule_finds_an_answer_line_spaces_aside_and_lets_a_function_be_named():
    known = answers("01_mnist_data")
    assert quotes("torch.bincount( y_train, minlength = 10 ) 처럼 세세요.", known)
    assert quotes("label_counts = torch.bincount(y_train, minlength=10)", known)
    assert not quotes("torch.bincount 의 minlength 인자로 길이를 10 으로 맞추세요.", known)


def test_what_the_lesson_shows_is_no_answer():
    # Lesson 01's Markdown quotes its own answer x_train[0].reshape(28, 28) in a later question.
    assert not quotes("x_train[0].reshape(28, 28)", answers("01_mnist_data"))
    # Too short to give anything away.
    assert not quotes("opt.step()", answers("06_optim"))


def test_the_text_of_a_shared_grader_is_searched_for_each_lesson_that_shows_it():
    graders = PACKAGE / "graders"
    assert readers(graders / "common.py") == set(lesson_ids())
    assert readers(PACKAGE / "checks.py") == set(lesson_ids())
    assert readers(graders / "convnet.py") == {"09_cnn", "10_device"}
    assert readers(graders / "mnist_data.py") == {"01_mnist_data"}
