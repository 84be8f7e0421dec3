"""What a learner is shown under a cell, for the tests of how a failed check reads (issue 15)."""

from __future__ import annotations

import re

from nbgrader_course import grade_id

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: A file of the course package as a traceback names it: …/autograder/nncourse/graders/cnn.py,
#: …/site-packages/nncourse/checks.py, or nncourse/graders/… alone.
COURSE_FILE = re.compile(r"nncourse[\\/][\w\\/.-]*\.py")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def flat(text: str) -> str:
    """``text`` with every run of whitespace as one space: a wrapped line reads as one line."""
    return " ".join(text.split())


def shown_output(notebook, gid: str) -> str:
    """Everything shown under a cell, as JupyterLab and the feedback show it: its streams and,
    for an error, the traceback IPython sent (``ename: evalue`` only when there is none),
    without colour codes."""
    for cell in notebook.cells:
        if grade_id(cell) == gid:
            parts = []
            for output in cell.get("outputs", []):
                if output.output_type == "stream":
                    parts.append(output.text)
                elif output.output_type == "error":
                    parts.append("\n".join(output.traceback) or f"{output.ename}: {output.evalue}")
            return strip_ansi("\n".join(parts))
    raise KeyError(gid)


def error_shown(notebook, gid: str) -> str:
    """The traceback a cell's error output shows, without colour codes ('' when it has none)."""
    for cell in notebook.cells:
        if grade_id(cell) == gid:
            return "\n".join(strip_ansi("\n".join(output.traceback))
                             for output in cell.get("outputs", []) if output.output_type == "error")
    raise KeyError(gid)
