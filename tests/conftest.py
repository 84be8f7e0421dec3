"""Prints the scores that real `nbgrader autograde` gave each simulated learner."""

from nbgrader_course import GRADED_CLASSES


def pytest_terminal_summary(terminalreporter):
    if not GRADED_CLASSES:
        return
    write = terminalreporter.write_line
    terminalreporter.section("nbgrader autograde scores (simulated learners)")
    write(f"{'lesson':18} {'learner':28} {'score':>11}  cells that lost points")
    for lesson, students in sorted(GRADED_CLASSES.items()):
        order = sorted(students, key=lambda s: (s != "solution", s != "blank", s))
        for student in order:
            score = students[student]
            lost = [cell for cell, points in score.cells.items() if points is not None and points == 0]
            shown = ", ".join(lost) if student != "blank" else f"{len(lost)} of {len(score.cells)}"
            write(f"{lesson:18} {student:28} {score.total:5g} / {score.max_total:<3g}  {shown}")
