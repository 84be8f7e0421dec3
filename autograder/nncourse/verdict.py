"""How a failed check is shown: the Korean verdict, not the grader's traceback.

A failed check still raises :class:`~nncourse.checks.CheckFailed`, so nbgrader scores the cell 0.
IPython asks an exception for ``_render_traceback_()`` before it formats a traceback itself
(``InteractiveShell.showtraceback``), and ipykernel sends what that returns as the error's
``traceback``: JupyterLab shows it, nbgrader stores it in the autograded notebook, prints it in
``nbgrader validate`` and puts it in the feedback HTML. ``CheckFailed._render_traceback_`` returns
:func:`render`, so every one of those shows the same short form:

* the ❌ line(s), the learner's value, the expected one and the 힌트 (the check's parts, in the
  one format of :func:`message`), with no frame of the course;
* when the check called the learner's code and that code raised (a shape error in their
  ``forward``, a ``NameError`` in their ``fit``), one line saying so and then the learner's own
  frames with line numbers, as IPython formats them, with the course's frames left out.

Colours: JupyterLab (light and dark themes) and the feedback HTML (whose page gets nbconvert's
ANSI classes from nncourse.grading.nbgrader_plugins.feedback.AnsiColours) use one fixed ANSI palette on a light
red, dark red or white background. The verdict text keeps the theme's own colour; the
first line is bold and the labels (내 값, 기대값, 힌트) are bold cyan (#258f8f), which keeps a
contrast of at least 3:1 on all three backgrounds (red, green and yellow fall under 3:1 on one).
"""

from __future__ import annotations

import os
import re
import sysconfig
import traceback
import types
import unicodedata

#: Causes of a failed check that are not a diagnosed mistake (nncourse.checks.diagnosis; the
#: instructor's report counts learners by cause, nncourse.grading.causes).
UNDIAGNOSED = "undiagnosed"
NOT_ATTEMPTED = "not attempted"
ERROR_PREFIX = "error: "

#: What a check prints when it passes and when it fails (nncourse.checks).
PASS_MARK = "✅"
FAIL_MARK = "❌"

BOLD = "\x1b[1m"
LABEL = "\x1b[1;96m"  # bold intense cyan (#258f8f); plain cyan (#60c6c8) is faint on white
NOTE = "\x1b[96m"
RESET = "\x1b[0m"

#: A failed check's parts after its first line, with their Korean labels, in the order shown.
LABELS = (("got", "내 값"), ("expected", "기대값"), ("hint", "힌트"))

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
#: Python's own and installed libraries: frames there are not the learner's.
_LIBRARY_DIRS = tuple(sorted({os.path.abspath(path) for name in ("stdlib", "platstdlib", "purelib", "platlib")
                              if (path := sysconfig.get_paths().get(name))}))

#: Columns of a verdict line: long hints are wrapped, not cut. ``nbgrader validate`` prints
#: each line indented by 4 and cuts it after 87 characters (a Hangul character counts one there
#: and takes two columns here), and a terminal has 80.
WIDTH = 80

#: The one line that stands for the course's folded frames.
CALLED_LEARNER = "↳ 확인 함수가 여러분의 코드를 불렀고, 그 안에서 오류가 났습니다 (채점 코드는 생략):"


def _inside(filename: str, folder: str) -> bool:
    return filename == folder or filename.startswith(folder + os.sep)


def is_course_file(filename: str) -> bool:
    """A file of the course package ``nncourse`` (wherever it is installed or bound)."""
    return _inside(os.path.abspath(filename), _PACKAGE_DIR)


def is_learner_file(filename: str) -> bool:
    """Code the learner wrote: a notebook cell (or their own module), not the course, not a
    library and not Python itself."""
    if filename.startswith("<") and not filename.startswith("<ipython-input-"):
        return False  # <frozen ...>, <string>
    path = os.path.abspath(filename)
    return not is_course_file(path) and not any(_inside(path, lib) for lib in _LIBRARY_DIRS)


def _frames(tb: types.TracebackType | None) -> list[types.TracebackType]:
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    return frames


def _relink(frames: list[types.TracebackType]) -> types.TracebackType | None:
    """A new traceback chain of just these entries, in this order."""
    tb = None
    for entry in reversed(frames):
        tb = types.TracebackType(tb, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return tb


def _cause_of(error: BaseException) -> BaseException | None:
    if error.__cause__ is not None:
        return error.__cause__
    return None if error.__suppress_context__ else error.__context__


def _learner_error(failure: BaseException) -> tuple[BaseException, list] | None:
    """The learner's exception behind ``failure`` and its frames from the first learner frame
    on, without the course's frames and without the cell that called the check; or None."""
    calling = {entry.tb_frame.f_code.co_filename for entry in _frames(failure.__traceback__)
               if is_learner_file(entry.tb_frame.f_code.co_filename)}
    error, seen = _cause_of(failure), set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        frames = [entry for entry in _frames(error.__traceback__)
                  if not is_course_file(entry.tb_frame.f_code.co_filename)]
        start = next((i for i, entry in enumerate(frames)
                      if is_learner_file(name := entry.tb_frame.f_code.co_filename)
                      and name not in calling), None)
        if start is not None:
            return error, frames[start:]
        error = _cause_of(error)
    return None


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Hangul and emoji take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def message(what: str, got: object = None, expected: object = None, hint: str | None = None) -> str:
    """A failed check's message, the one format of the course::

        ❌ what
           내 값: got
           기대값: expected
           힌트: hint
    """
    parts = {"got": got, "expected": expected, "hint": hint or None}
    lines = [what if what.startswith(FAIL_MARK) else f"{FAIL_MARK} {what}"]
    lines += [f"   {label}: {parts[key]}" for key, label in LABELS if parts[key] is not None]
    return "\n".join(lines)


def wrap(line: str, width: int = WIDTH, indent: int | None = None) -> list[str]:
    """``line`` broken at spaces into lines of at most ``width`` columns (a longer word stays
    whole). Continuation lines are indented by ``indent`` columns, by default under the text
    after the line's first word (the ❌), so a hint reads as one block."""
    if display_width(line) <= width:
        return [line]
    if indent is None:
        head = re.match(r"^\s*\S+ ", line)
        indent = display_width(head[0]) if head else 0
    lead = line[:len(line) - len(line.lstrip(" "))]
    lines, current = [], lead
    for word in line.lstrip(" ").split(" "):
        if current.strip() and display_width(f"{current} {word}") > width:
            lines.append(current)
            current = " " * indent + word
        else:
            current = f"{current} {word}" if current.strip() else current + word
    lines.append(current)
    return lines


def verdict_lines(failure: BaseException | str, width: int = WIDTH) -> list[str]:
    """A failed check's verdict, wrapped and coloured: ``what`` bold, then each part after its
    label in bold cyan. A plain message (not a check's) is wrapped, its first line bold."""
    what = getattr(failure, "what", None)
    if not isinstance(what, str):
        pieces = [piece for line in str(failure).splitlines() for piece in wrap(line, width)]
        return [f"{BOLD}{pieces[0]}{RESET}", *pieces[1:]] if pieces else []
    first = what if what.startswith(FAIL_MARK) else f"{FAIL_MARK} {what}"
    lines = [f"{BOLD}{piece}{RESET}" for line in first.splitlines() for piece in wrap(line, width)]
    for key, label in LABELS:
        value = getattr(failure, key, None)
        if value is None or (key == "hint" and not value):
            continue
        head = f"   {label}:"
        pieces = wrap(f"{head} {value}", width, indent=display_width(head) + 1)
        pieces[0] = f"   {LABEL}{label}:{RESET}" + pieces[0][len(head):]
        lines += pieces
    return lines


def _format_learner_error(error: BaseException, frames: list) -> list[str]:
    tb = _relink(frames)
    # Its own chained exceptions (the learner's try/except) are shown too, as IPython would,
    # but never with the course's frames, and not at all once one has no other frames (the
    # course was handling an error of its own when it called the learner's code).
    error.__traceback__, later, seen = tb, error, {id(error)}
    chained = _cause_of(error)
    while chained is not None and id(chained) not in seen:
        seen.add(id(chained))
        kept = [entry for entry in _frames(chained.__traceback__)
                if not is_course_file(entry.tb_frame.f_code.co_filename)]
        if not kept:
            later.__cause__, later.__suppress_context__ = None, True
            break
        chained.__traceback__, later = _relink(kept), chained
        chained = _cause_of(chained)
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:  # pragma: no cover - the course always runs in IPython
        shell = None
    if shell is not None and hasattr(shell, "InteractiveTB"):
        return list(shell.InteractiveTB.structured_traceback(type(error), error, tb, tb_offset=0))
    return "".join(traceback.format_exception(type(error), error, tb)).rstrip("\n").split("\n")


def render(failure: BaseException) -> list[str]:
    """The lines IPython shows for a failed check (its structured traceback)."""
    try:
        lines = verdict_lines(failure)
        found = _learner_error(failure)
        if found is not None:
            lines += ["", f"{NOTE}{CALLED_LEARNER}{RESET}", *_format_learner_error(*found)]
        return lines
    except Exception:  # never lose the verdict to a formatting problem
        return str(failure).splitlines()
