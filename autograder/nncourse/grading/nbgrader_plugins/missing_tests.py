"""Deleted test cells are put back and run, so an accidental delete costs no points.

nbgrader scores a test cell that is missing from a submission as 0 and leaves it for manual
grading. Its ``OverwriteCells.add_missing_cells`` option puts the cell back, but it inserts the
cell right after the previous source cell and fails (KeyError, the whole submission ungraded)
when that cell was deleted too, as when a learner deletes an exercise together with its test.

``RestoreDeletedTests`` replaces ``OverwriteCells`` in ``Autograde.sanitize_preprocessors``
(autograder/nbgrader_config.py). It puts every missing test cell back after the nearest earlier
cell of the lesson that is still there (at the top when none is), with a one-line Korean note,
and the cell is then run and scored like any other. The original source comes from the
gradebook, so the learner cannot change what the restored cell checks. A deleted locked code cell
(the setup cell, which installs the grading guard and loads the data) is put back the same way,
as a locked cell without points: grading never depends on a learner keeping it.
"""

from __future__ import annotations

from nbgrader.preprocessors import OverwriteCells
from traitlets import Bool, Unicode

NOTE = "채점기가 되살린 셀입니다: 제출한 노트북에 이 셀({cell_id})이 없어서, 원래 셀을 다시 넣고 실행했습니다.\n\n"


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


class RestoreDeletedTests(OverwriteCells):
    add_missing_cells = Bool(True, help="Put deleted test cells back and run them.").tag(config=True)
    # One line: nbgrader turns it into a comment by putting "# " in front of the code cell.
    missing_cell_notification = Unicode(NOTE).tag(config=True)

    def add_missing_grade_cells(self, nb, resources):
        source_notebook = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_cells = list(source_notebook.source_cells)  # in the lesson's order
        order = [cell.name for cell in source_cells]
        max_scores = {cell.name: cell.max_score for cell in source_notebook.grade_cells}
        solution_ids = {cell.name for cell in source_notebook.solution_cells}
        present = {_grade_id(cell) for cell in nb.cells} - {None}

        for position, source_cell in enumerate(source_cells):
            if source_cell.name in present:
                continue
            if source_cell.name in max_scores:
                self.log.warning("Missing grade cell %s: put back and run", source_cell.name)
                restored = self.missing_cell_transform(source_cell, max_scores[source_cell.name],
                                                       is_solution=source_cell.name in solution_ids)
            elif source_cell.locked and source_cell.cell_type == "code" and source_cell.name not in solution_ids:
                self.log.warning("Missing locked cell %s: put back and run", source_cell.name)
                restored = self.missing_cell_transform(source_cell, 0)
                restored["metadata"]["nbgrader"]["grade"] = False
                del restored["metadata"]["nbgrader"]["points"]
            else:
                continue
            anchor = next((name for name in reversed(order[:position]) if name in present), None)
            index = 0 if anchor is None else 1 + next(
                i for i, cell in enumerate(nb.cells) if _grade_id(cell) == anchor)
            nb.cells.insert(index, restored)
            present.add(source_cell.name)
        return nb, resources
