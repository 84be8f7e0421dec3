"""An nbgrader export plugin: every learner's points per check, one row per learner, for an LMS.

    nbgrader export --exporter nncourse.grading.export.PerCheckExport [--to grades_per_check.csv]

nbgrader's own CSV export has one row per learner and lesson with the lesson's total; an LMS
gradebook that keeps one column per question wants the checks apart. Columns: ``student_id``,
then ``<lesson>/<grade_id>`` for every graded cell of every lesson (the cell's points; empty
where the learner has no submission of that lesson), then ``<lesson>/total`` per lesson.
"""

from __future__ import annotations

import csv

from nbgrader.plugins import ExportPlugin


class PerCheckExport(ExportPlugin):
    def export(self, gradebook) -> None:
        path = self.to or "grades_per_check.csv"
        columns, points = [], {}
        for assignment in sorted(gradebook.assignments, key=lambda assignment: assignment.name):
            if self.assignment and assignment.name not in self.assignment:
                continue
            names = {cell.name for notebook in assignment.notebooks for cell in notebook.grade_cells}
            order = self._notebook_order(assignment.name)  # the gradebook keeps no order
            names = [name for name in order if name in names] + sorted(names - set(order))
            columns += [f"{assignment.name}/{name}" for name in names] + [f"{assignment.name}/total"]
            for submission in assignment.submissions:
                row = points.setdefault(submission.student.id, {})
                total = 0.0
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        row[f"{assignment.name}/{grade.name}"] = _number(grade.score)
                        total += grade.score or 0.0
                row[f"{assignment.name}/total"] = _number(total)
        students = sorted(student.id for student in gradebook.students)
        if self.student:
            students = [student for student in students if student in self.student]
        self.log.info("점수를 검사별로 내보냅니다 / exporting points per check to %s", path)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student_id", *columns])
            for student in students:
                row = points.get(student, {})
                writer.writerow([student, *(row.get(column, "") for column in columns)])


    def _notebook_order(self, lesson: str) -> list[str]:
        """The graded cells in the order of the lesson's source notebook (nbgrader's course folder)."""
        import nbformat

        coursedir = getattr(self.parent, "coursedir", None)
        if coursedir is None:
            return []
        path = coursedir.format_path(coursedir.source_directory, ".", lesson)
        try:
            notebook = nbformat.read(f"{path}/{lesson}.ipynb", as_version=4)
        except (OSError, ValueError):
            return []
        return [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells
                if cell.metadata.get("nbgrader", {}).get("grade")]


def _number(value) -> str:
    value = float(value or 0.0)
    return str(int(value)) if value.is_integer() else f"{value:g}"
