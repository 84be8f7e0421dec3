"""Why a learner lost a test cell's points: one stable id per failed test cell.

The judge records it in the graded cell's metadata (``nncourse.cause``, by
:class:`nncourse.grading.nbgrader_plugins.judged_execute.JudgedExecute`); :class:`SaveCauses` stores it in the
gradebook beside nbgrader's scores, where the instructor's report (nncourse.grading.report)
counts learners by it. A cause is exactly one of:

- a diagnosed mistake: the id of the hint the failed check gave (nncourse.checks.diagnosis),
  such as ``validation.WEIGHTING`` or ``why_valid_set=B``;
- ``error: <exception type>``: the learner's own code raised (in the answer cell, or when the
  check called it);
- ``not attempted``: the answer cell still raises the stub's NotImplementedError;
- ``timeout``: the notebook or the kernel ran out of time before the check could decide;
- ``undiagnosed``: the check failed and named no likely mistake.

Never read from the Korean text of a verdict.
"""

from __future__ import annotations

from ..verdict import ERROR_PREFIX, NOT_ATTEMPTED, UNDIAGNOSED

TIMEOUT = "timeout"
#: Error names of outputs that mean "out of time": nbclient's, and the course's own limits
#: (nncourse.grading.nbgrader_plugins.notebook_limits).
TIMEOUT_ENAMES = {"CellTimeoutError", "TimeoutError", "NotebookTimeLimit", "KernelStopped"}
#: What nbgrader leaves in an answer cell (ClearSolutions.code_stub, autograder/nbgrader_config.py).
STUB = "raise NotImplementedError"
#: Where a judged cell's verdict is recorded in its metadata.
METADATA_KEY = "nncourse"


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell) -> bool:
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _errors(cell) -> list[str]:
    return [str(output.get("ename", "")) for output in cell.get("outputs", []) if output.get("output_type") == "error"]


def from_error_name(ename: str) -> str:
    if ename in TIMEOUT_ENAMES:
        return TIMEOUT
    if ename == "NotImplementedError":
        return NOT_ATTEMPTED
    return ERROR_PREFIX + ename


def answer_cells_cause(cells, index: int) -> str | None:
    """What the answer cells before test cell ``index`` (back to the previous test cell) say: not
    attempted (an answer cell still holds the stub, or raised its NotImplementedError), the
    learner's error, or None when they ran cleanly."""
    found = None
    for cell in reversed(cells[:index]):
        if is_test_cell(cell):
            break
        if cell.get("cell_type") != "code":
            continue
        if _nbgrader(cell).get("solution") and STUB in cell.get("source", ""):
            return NOT_ATTEMPTED  # a function whose body is still the stub raises only when called
        for ename in _errors(cell):
            if ename == "NotImplementedError":
                return NOT_ATTEMPTED
            found = found or from_error_name(ename)
    return found


def is_diagnosed(cause: str | None) -> bool:
    return bool(cause) and cause not in (UNDIAGNOSED, NOT_ATTEMPTED, TIMEOUT) and not cause.startswith(ERROR_PREFIX)


def judged_cause(judge_cause: str, cells, index: int) -> str:
    """A judged test cell's cause: ``not attempted`` while an answer cell above it still raises
    the stub; else the judge's diagnosis where it named a mistake (or ran out of time); else the
    learner's error in the answer cells, or the judge's own cause."""
    above = answer_cells_cause(cells, index)
    if above == NOT_ATTEMPTED:
        return above
    if is_diagnosed(judge_cause) or judge_cause == TIMEOUT:
        return judge_cause
    return above or judge_cause


def cell_cause(cells, index: int) -> str:
    """The cause of failed test cell ``index`` of a graded notebook: the judge's, recorded in its
    metadata, or (a cell the judge did not decide) read from its error output and the answer
    cells above it."""
    cell = cells[index]
    recorded = cell.get("metadata", {}).get(METADATA_KEY, {}).get("cause")
    if recorded:
        return str(recorded)
    errors = _errors(cell)
    if errors and from_error_name(errors[-1]) == TIMEOUT:
        return TIMEOUT
    above = answer_cells_cause(cells, index)
    if above:
        return above
    if errors and errors[-1] != "AssertionError":
        return from_error_name(errors[-1])
    return UNDIAGNOSED
