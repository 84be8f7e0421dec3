"""What the course keeps in the gradebook beside nbgrader's scores: per test cell of each graded
submission, whether it passed, why not (nncourse.grading.causes) and which version of the course
graded it.

nbgrader's gradebook has no place for either, so they go in one table of the course's own,
``nncourse_results``, in the same database (SQLite or a shared PostgreSQL: every shard writes
its own rows). :class:`SaveResults` writes a submission's rows right after nbgrader's
``SaveAutoGrades`` saved its scores (autograder/nbgrader_config.py), so plain ``nbgrader
autograde`` and ``python -m nncourse.grading.grade_class`` both keep them. The instructor's
report (nncourse.grading.report) reads them; ``grade_class --regrade-changed`` regrades the
submissions whose version is not the lesson's current one.

A lesson's version (:func:`lesson_version`) is a checksum of everything that decides its points:
the code of its grader module and of every course module that module imports (checks, judge...),
its reference metrics and its test cells.
"""

from __future__ import annotations

import ast
import datetime
import functools
import hashlib
import json
from pathlib import Path

import sqlalchemy as sa
from nbgrader.preprocessors import NbGraderPreprocessor

from .causes import METADATA_KEY, cell_cause, is_test_cell

PACKAGE = Path(__file__).resolve().parents[1]  # autograder/nncourse
#: Modules that decide every lesson's points besides the lesson's grader and what it imports.
GRADING_MODULES = ("nncourse.grading.judge", "nncourse.grading.judge.agent", "nncourse.grading.nbgrader_plugins.judged_execute",
                   "nncourse.grading.causes")

metadata = sa.MetaData()
RESULTS = sa.Table(
    "nncourse_results", metadata,
    sa.Column("assignment", sa.String(128), primary_key=True),
    sa.Column("student", sa.String(128), primary_key=True),
    sa.Column("notebook", sa.String(128), primary_key=True),
    sa.Column("grade_id", sa.String(128), primary_key=True),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("cause", sa.String(300)),
    sa.Column("hint", sa.Text),  # what the failed check told the learner (shown beside the cause)
    sa.Column("version", sa.String(16), nullable=False),
    sa.Column("graded_at", sa.DateTime, nullable=False),
)


@functools.cache
def engine(db_url: str) -> sa.Engine:
    """One engine per gradebook per process (a worker grades many submissions)."""
    return sa.create_engine(db_url)


@functools.cache
def _table_made(db_url: str) -> bool:
    # Only once nbgrader has made the gradebook (SaveResults runs after SaveAutoGrades): a file
    # made here first would not be a gradebook nbgrader knows.
    metadata.create_all(engine(db_url), checkfirst=True)
    return True


def _has_table(db_url: str) -> bool:
    if db_url.startswith("sqlite:///") and not Path(db_url.removeprefix("sqlite:///")).is_file():
        return False
    return sa.inspect(engine(db_url)).has_table(RESULTS.name)


# ------------------------------------------------------------------------------- versions

def _module_file(name: str) -> Path | None:
    if not name.startswith("nncourse"):
        return None
    parts = name.split(".")[1:]
    for candidate in (PACKAGE.joinpath(*parts).with_suffix(".py"), PACKAGE.joinpath(*parts, "__init__.py")):
        if candidate.is_file():
            return candidate
    return None


def _imported(path: Path, name: str) -> set[str]:
    """The nncourse modules ``path`` (module ``name``) imports, read from its code (not run)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from . import checks`
    return {module for module in found if module.startswith("nncourse") and _module_file(module)}


def grading_code(lesson: str) -> dict[str, Path]:
    """Every course module that decides ``lesson``'s points: its grader, what that imports (and so
    on), and the judge's modules."""
    todo = [f"nncourse.graders.{lesson.split('_', 1)[1]}", *GRADING_MODULES]
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in seen or path is None:
            continue
        seen[name] = path
        todo.extend(_imported(path, name))
    return seen


@functools.cache
def _code_digest(lesson: str) -> str:
    digest = hashlib.sha256()
    for name, path in sorted(grading_code(lesson).items()):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def lesson_version(lesson: str, test_cells: dict[str, str]) -> str:
    """12 hex digits that change whenever the lesson's grading code, its reference metrics or
    its test cells (grade_id → source) change."""
    from ..reference import REFERENCE_FILE

    reference = json.loads(REFERENCE_FILE.read_text(encoding="utf-8")).get("lessons", {}).get(lesson)
    digest = hashlib.sha256(_code_digest(lesson).encode())
    digest.update(json.dumps(reference, sort_keys=True).encode())
    digest.update(json.dumps(sorted(test_cells.items())).encode())
    return digest.hexdigest()[:12]


def gradebook_test_cells(db_url: str, lesson: str) -> dict[str, str]:
    """notebook/grade_id → source of ``lesson``'s test cells as the gradebook holds them: what
    nbgrader puts back into every submission before grading (``generate_assignment`` updates them)."""
    from nbgrader.api import Gradebook

    cells = {}
    with Gradebook(db_url) as gradebook:
        assignment = gradebook.find_assignment(lesson)
        for notebook in assignment.notebooks:
            answers = {cell.name for cell in notebook.solution_cells}
            sources = {cell.name: cell.source for cell in notebook.source_cells}
            for cell in notebook.grade_cells:
                if cell.name not in answers:
                    cells[f"{notebook.name}/{cell.name}"] = sources.get(cell.name, "")
    return cells


def current_version(db_url: str, lesson: str) -> str:
    """``lesson``'s version now: its grading code and reference metrics here, its test cells in
    the gradebook."""
    return lesson_version(lesson, gradebook_test_cells(db_url, lesson))


# ------------------------------------------------------------------------------- writing

class SaveResults(NbGraderPreprocessor):
    """After nbgrader saved a submission's scores: its test cells' outcomes, causes and the
    version that graded them, replacing what an earlier grading of it stored."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        version = current_version(info["db_url"], info["assignment"])
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        rows = []
        for index, cell in enumerate(nb.cells):
            if not is_test_cell(cell):
                continue
            passed = _passed(cell)
            rows.append({"assignment": info["assignment"], "student": info["student"], "notebook": info["notebook"],
                         "grade_id": cell.metadata["nbgrader"]["grade_id"], "passed": passed,
                         "cause": None if passed else cell_cause(nb.cells, index)[:300],
                         "hint": None if passed else cell.metadata.get(METADATA_KEY, {}).get("hint"),
                         "version": version, "graded_at": now})
        key = (RESULTS.c.assignment == info["assignment"]) & (RESULTS.c.student == info["student"]) \
            & (RESULTS.c.notebook == info["notebook"])
        _table_made(info["db_url"])
        with engine(info["db_url"]).begin() as connection:
            connection.execute(RESULTS.delete().where(key))
            if rows:
                connection.execute(RESULTS.insert(), rows)
        return nb, resources


def _passed(cell) -> bool:
    judged = cell.metadata.get(METADATA_KEY, {})
    if "passed" in judged:
        return bool(judged["passed"])
    return not any(output.get("output_type") == "error" for output in cell.get("outputs", []))


def read_results(db_url: str, lesson: str | None = None) -> list[dict]:
    if not _has_table(db_url):
        return []
    with engine(db_url).connect() as connection:
        query = RESULTS.select()
        if lesson:
            query = query.where(RESULTS.c.assignment == lesson)
        return [dict(row._mapping) for row in connection.execute(query)]


def stored_versions(db_url: str) -> dict[tuple[str, str], set[str]]:
    """(lesson, student) → the versions its stored results were graded with."""
    versions: dict[tuple[str, str], set[str]] = {}
    if not _has_table(db_url):
        return versions
    with engine(db_url).connect() as connection:
        for row in connection.execute(sa.select(RESULTS.c.assignment, RESULTS.c.student, RESULTS.c.version).distinct()):
            versions.setdefault((row.assignment, row.student), set()).add(row.version)
    return versions
