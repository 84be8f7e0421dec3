"""Prints the mutation table: what real `nbgrader autograde` gave each simulated learner."""

from nbgrader_course import GRADED_CLASSES

COLUMNS = ("lesson", "variant", "expected", "score", "hint shown")


def pytest_terminal_summary(terminalreporter):
    _fault_table(terminalreporter)
    _probe_table(terminalreporter)
    _machine_table(terminalreporter)
    if not GRADED_CLASSES:
        return
    rows = []
    for lesson, learners in sorted(GRADED_CLASSES.items()):
        for name, learner in learners.items():
            hint = "—" if learner.hint_shown is None else ("yes" if learner.hint_shown else "no")
            score = f"{learner.score.total:g}/{learner.score.max_total:g}"
            rows.append((lesson, name, learner.expected, score, hint))
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]

    def line(cells):
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths)) + " |"

    terminalreporter.section("mutation table: nbgrader autograde of simulated learners")
    terminalreporter.write_line(line(COLUMNS))
    terminalreporter.write_line("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for row in rows:
        terminalreporter.write_line(line(row))


def _fault_table(terminalreporter):
    from test_faults import FAULT_RESULTS, FULL, LESSON

    if not FAULT_RESULTS:
        return
    write = terminalreporter.write_line
    terminalreporter.section(f"fault table: one {LESSON} class graded by real nbgrader autograde")
    write(f"| {'case':20} | {'what the learner did':62} | expected | score | feedback |")
    write(f"|{'-' * 22}|{'-' * 64}|----------|-------|----------|")
    for name, row in FAULT_RESULTS.items():
        score = "—" if row["score"] is None else f"{row['score']:g}/{FULL}"
        expected = f"{row['expected']}/{FULL}"
        write(f"| {name:20} | {row['what']:62} | {expected:>8} | {score:>5} | "
              f"{'yes' if row['feedback'] else 'NO':8} |")


def _machine_table(terminalreporter):
    from test_other_machines import MACHINE_SCORES, OTHER_MACHINES

    if not MACHINE_SCORES:
        return
    write = terminalreporter.write_line
    terminalreporter.section("solutions on other machines: score of the graded cells")
    write("| lesson | " + " | ".join(OTHER_MACHINES) + " |")
    write("|---|" + "---|" * len(OTHER_MACHINES))
    for lesson, by_machine in sorted(MACHINE_SCORES.items()):
        cells = [f"{by_machine[m][0]:g}/{by_machine[m][1]:g}" if m in by_machine else "—"
                 for m in OTHER_MACHINES]
        write(f"| {lesson} | " + " | ".join(cells) + " |")


def _probe_table(terminalreporter):
    import sys

    # Only when the run imported it: importing it here would probe for bubblewrap.
    module = sys.modules.get("test_sandbox")
    rows = {name: row for name, row in getattr(module, "PROBE_RESULTS", {}).items() if "sandbox" in row}
    if not rows:
        return
    write = terminalreporter.write_line
    terminalreporter.section("probe table: an abuse class graded by grade_class, sandbox on vs --no-sandbox")
    write(f"| {'probe':16} | {'what the learner tried':68} | {'sandbox':10} | {'--no-sandbox':34} | score |")
    write(f"|{'-' * 18}|{'-' * 70}|{'-' * 12}|{'-' * 36}|-------|")
    for name, row in rows.items():
        write(f"| {name:16} | {row['what']:68} | {row['sandbox']:10} | {row.get('no_sandbox', '—'):34} | "
              f"{row.get('score', '—'):5} |")
