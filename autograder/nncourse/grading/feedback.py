"""Feedback that keeps hidden tests hidden.

nbgrader's feedback HTML shows the autograded notebook as it ran, hidden tests included, and an
error in a hidden test shows its lines in the traceback. This preprocessor, added to
``GenerateFeedback.preprocessors`` in autograder/nbgrader_config.py, removes the hidden region
from every test cell. A failed check in such a cell keeps its verdict as the learner saw it (the
Korean message, and the learner's own frames when the check called their code; see
nncourse.verdict: no line of the test cell is in it); any other error there is shortened to its
last line, so learners see what went wrong but not the hidden test itself.
"""

from __future__ import annotations

from nbconvert.filters import strip_ansi
from nbgrader.preprocessors import ClearHiddenTests

from ..verdict import FAIL_MARK


def is_verdict(output) -> bool:
    """An error output that is a failed check's verdict (nncourse.verdict), not a traceback.

    Notebooks graded before the verdict existed hold full tracebacks for CheckFailed too.
    """
    traceback = output.get("traceback") or []
    return (output.get("ename") == "CheckFailed" and bool(traceback)
            and strip_ansi(traceback[0]).startswith(FAIL_MARK))


class HideHiddenTests(ClearHiddenTests):
    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = cell.cell_type == "code" and self.begin_test_delimeter in cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error" and not is_verdict(output):
                    output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        return cell, resources
