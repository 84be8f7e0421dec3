"""Prints the summary tables at the end of a run: the mutation table (what real `nbgrader
autograde` gave each simulated learner), the fault, probe and other-machine tables.

The suite runs in two pytest-xdist processes (`-n 2 --dist loadfile` in pyproject.toml: while one
file's grading waits on a timeout or runs on one core, the other file uses the other core). The
tables are filled in whichever process ran their test file, so each process renders its tables
into lines (`_table_lines`), hands them to the controller through xdist's `workeroutput`, and
the controller prints them; a run without xdist prints its own.
"""

import pytest

from nbgrader_course import GRADED_CLASSES

COLUMNS = ("lesson", "variant", "expected", "score", "hint shown")

#: title → lines, gathered from the xdist workers (controller only)
_FROM_WORKERS: dict[str, list[str]] = {}


class _Lines:
    """What the table functions write to: a section title and its lines."""

    def __init__(self) -> None:
        self.sections: dict[str, list[str]] = {}
        self._current: list[str] = []

    def section(self, title: str) -> None:
        self._current = self.sections.setdefault(title, [])

    def write_line(self, line: str) -> None:
        self._current.append(line)


def _table_lines() -> dict[str, list[str]]:
    lines = _Lines()
    _fault_table(lines)
    _probe_table(lines)
    _forgery_table(lines)
    _machine_table(lines)
    _mutation_table(lines)
    return lines.sections


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller prints
        workeroutput["tables"] = _table_lines()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    for title, lines in getattr(node, "workeroutput", {}).get("tables", {}).items():
        _FROM_WORKERS.setdefault(title, []).extend(lines)


def pytest_terminal_summary(terminalreporter):
    tables = _FROM_WORKERS if _FROM_WORKERS else _table_lines()
    for title, lines in tables.items():
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)


def _mutation_table(terminalreporter):
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


def _filled_rows(module_name: str, results: str, filled: str) -> dict[str, dict]:
    """The rows of a probe module's result table that its tests filled (``filled`` is set), read
    only when the run imported that module: importing it here would probe for bubblewrap."""
    import sys

    module = sys.modules.get(module_name)
    return {name: row for name, row in getattr(module, results, {}).items() if filled in row}


def _probe_table(terminalreporter):
    import sys

    rows = _filled_rows("test_sandbox", "PROBE_RESULTS", "sandbox")
    ordinary = getattr(sys.modules.get("test_ordinary_grader"), "ORDINARY_RESULTS", {})
    if not rows and not ordinary:
        return
    if not rows:  # only the ordinary grader's run
        from test_sandbox import PROBES

        rows = {probe.name: {"what": probe.what, "sandbox": "—"} for probe in PROBES}
    write = terminalreporter.write_line
    terminalreporter.section("probe table: an abuse class graded by grade_class, sandbox on (root; an ordinary "
                             "user) vs --no-sandbox")
    write(f"| {'probe':16} | {'what the learner tried':68} | {'sandbox':10} | {'ordinary user':44} | "
          f"{'--no-sandbox':34} | score |")
    write(f"|{'-' * 18}|{'-' * 70}|{'-' * 12}|{'-' * 46}|{'-' * 36}|-------|")
    for name, row in rows.items():
        write(f"| {name:16} | {row['what']:68} | {row['sandbox']:10} | {ordinary.get(name, '—'):44} | "
              f"{row.get('no_sandbox', '—'):34} | {row.get('score', '—'):5} |")


def _forgery_table(terminalreporter):
    rows = _filled_rows("test_forgery", "FORGERY_RESULTS", "after")
    if not rows:
        return
    write = terminalreporter.write_line
    terminalreporter.section("forgery table: stub answers that try to earn points, graded by grade_class")
    write(f"| {'probe':20} | {'what the learner tried':86} | result |")
    write(f"|{'-' * 22}|{'-' * 88}|--------|")
    for name, row in rows.items():
        write(f"| {name:20} | {row['what']:86} | {row['after']} |")
