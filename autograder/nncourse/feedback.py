"""Feedback that keeps hidden tests hidden.

nbgrader's feedback HTML shows the autograded notebook as it ran, hidden tests included, and a
failing hidden check shows its lines in the traceback. This preprocessor, added to
``GenerateFeedback.preprocessors`` in autograder/nbgrader_config.py, removes the hidden region
from every test cell and shortens the traceback of a cell that had one to its last line (the
check's Korean message), so learners see what went wrong but not the hidden test itself.
"""

from __future__ import annotations

from nbgrader.preprocessors import ClearHiddenTests


class HideHiddenTests(ClearHiddenTests):
    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = cell.cell_type == "code" and self.begin_test_delimeter in cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        return cell, resources
