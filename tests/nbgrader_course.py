"""A throw-away nbgrader course in a temporary folder, driven by the real nbgrader commands.

The course uses the repository's own nbgrader settings (autograder/nbgrader_config.py) and a
copy of its solutions/, so what the tests grade is exactly what an instructor grades.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from nncourse.grading.kernels.ipc import command_line_options, private_socket_folder

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
RELEASE = REPO / "notebooks"
VENV_BIN = Path(sys.executable).parent

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def lesson_ids() -> list[str]:
    """Every lesson in solutions/, in course order."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").is_file())


def nbgrader_env() -> dict[str, str]:
    """The environment for nbgrader commands: the venv's bin/ first (nbgrader runs alembic)."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_nbgrader(course: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    # Any kernel nbgrader starts uses unix sockets in a folder of its own: a TCP port can be
    # taken by a kernel that another test starts at the same moment (see ipc_kernels).
    with private_socket_folder() as sockets:
        result = subprocess.run(
            [str(VENV_BIN / "nbgrader"), *args, *command_line_options(sockets)],
            cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=timeout,
        )
    if result.returncode != 0:
        raise AssertionError(
            f"nbgrader {' '.join(args)} failed with exit code {result.returncode}:\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
        )
    return result


def make_course(root: Path, lessons: list[str], config: str = "") -> Path:
    """A course folder with the repository's config (plus the lines in ``config``) and a copy of
    the given lessons."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"load_subconfig({str(REPO / 'autograder' / 'nbgrader_config.py')!r})\n"
        f"c.CourseDirectory.root = {str(root)!r}\n" + config,
        encoding="utf-8",
    )
    for lesson in lessons:
        shutil.copytree(SOLUTIONS / lesson, root / "solutions" / lesson,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return root


def solution_code(source: str) -> str:
    """A solution cell's source without nbgrader's BEGIN/END SOLUTION marker lines."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in SOLUTION_MARKERS)


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def solution_cells(notebook) -> dict[str, str]:
    """grade_id → source of every solution cell."""
    return {grade_id(c): c.source for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def require_sandbox() -> None:
    """Skip the calling test module where the grading sandbox cannot start (fail under CI)."""
    import pytest

    from nncourse.grading.kernels.sandbox import sandbox_problem

    problem = sandbox_problem()
    if problem:
        if os.environ.get("CI"):
            raise RuntimeError(f"CI must have a working grading sandbox (make system-deps): {problem}")
        pytest.skip(f"no grading sandbox here: {problem} (apt-get install bubblewrap)", allow_module_level=True)


def graded_cells(notebook) -> dict[str, float]:
    """grade_id → points of every graded (autograder test) cell."""
    return {grade_id(c): c.metadata["nbgrader"]["points"] for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


def read_notebook(path: Path):
    return nbformat.read(path, as_version=4)


def learner_notebook(lesson: str):
    return read_notebook(RELEASE / lesson / f"{lesson}.ipynb")


def solution_notebook(lesson: str):
    return read_notebook(SOLUTIONS / lesson / f"{lesson}.ipynb")


def filled_notebook(lesson: str, answers: dict[str, str] | None = None):
    """The learner notebook with the solution code in its answer cells.

    ``answers`` maps grade_id → source to put there instead (a wrong variant, say).
    """
    notebook = learner_notebook(lesson)
    solutions = {gid: solution_code(src) for gid, src in solution_cells(solution_notebook(lesson)).items()}
    solutions.update(answers or {})
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = solutions[grade_id(cell)]
    return notebook


def cut_after(notebook, gid: str):
    """The notebook up to and including the cell ``gid``, for a wrong answer that this test cell
    must catch: later cells cannot change what an earlier cell shows (cells run in order), so
    they are left out to save their run time. Under autograde the deleted test cells after it
    are put back by the course's RestoreDeletedTests and fail (their answers are missing)."""
    last = next(i for i, cell in enumerate(notebook.cells) if grade_id(cell) == gid)
    notebook.cells = notebook.cells[:last + 1]
    return notebook


def is_concept_answer(notebook, answer_cell: str) -> bool:
    """Whether ``answer_cell`` answers a concept question (a markdown cell ``concept-<name>``)."""
    question = "concept-" + answer_cell.replace("_", "-")
    return any(cell.get("id") == question for cell in notebook.cells)


def only_the_question(notebook, answer_cell: str, test_cell: str):
    """A concept question's wrong letter: the notebook with no code cell but the setup cell, the
    answer and its test cell. What the check says about a letter depends on nothing the other
    cells compute, so they are left out to save their run time (lesson 10 trains a CNN before
    its questions); autograde puts the deleted test cells back, and they fail."""
    keep = {"setup", answer_cell, test_cell}
    notebook.cells = [cell for cell in notebook.cells
                      if cell.cell_type != "code" or grade_id(cell) in keep]
    return notebook


#: Long course cells that only demonstrate (train a baseline, retrain an earlier model to compare):
#: plain cells, neither locked nor graded, so a learner may delete them and nbgrader does not put
#: them back. A wrong answer's notebook leaves them out (each is found by a line of its source;
#: what a wrong answer keeps after its own cell reads none of their names, which ``leave_out`` checks).
DEMO_CELLS = {
    "07_dataloader": ("model_sliced, opt = get_model()",),             # the slicing loop's training, ~1.7 s
    "09_cnn": ("logistic, logistic_opt = get_logistic_model(0.5)",),  # 06's model retrained, ~1 s
    "10_device": ("cpu_history = fit(1, cpu_model",),                  # the CPU baseline epoch, ~3.6 s
}
#: Long training answers that a wrong answer of a LATER exercise leaves unanswered (as learners
#: who skip an exercise do): the checks of the later exercises read none of what they compute
#: (``leave_out`` checks the names; the tests show the rest), and their seconds of training would be paid again by every
#: such wrong answer. A wrong answer in the exercise itself, or before it, keeps it in full.
SKIPPED_ANSWERS = {
    "08_validation": ("validation_loop",),  # ~2.2 s
    "09_cnn": ("training",),                # ~7 s
    "10_device": ("training",),             # ~14 s; the capstone trains a model of its own
}


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell binds, global names it reads); a function's parameters and locals are its own."""
    import ast

    def scan(nodes, bound, read):
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if not isinstance(node, ast.Lambda):
                    bound.add(node.name)
                    read.update(_names_in(node.decorator_list)[1])
                arguments = node.args
                local = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                         *filter(None, [arguments.vararg, arguments.kwarg])]}
                inner_bound, inner_read = set(), set()
                scan(node.body if isinstance(node.body, list) else [node.body], inner_bound, inner_read)
                read.update(inner_read - inner_bound - local)
            elif isinstance(node, ast.ClassDef):
                bound.add(node.name)
                scan([*node.bases, *node.body], set(), read)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, ast.Name):
                (bound if isinstance(node.ctx, ast.Store) else read).add(node.id)
            else:
                scan(ast.iter_child_nodes(node), bound, read)

    def _names_in(nodes):
        bound, read = set(), set()
        scan(nodes, bound, read)
        return bound, read

    return _names_in(ast.parse(source).body)


def leave_out(notebook, lesson: str, answer_cell: str):
    """The wrong answer's notebook without the lesson's DEMO_CELLS and with the SKIPPED_ANSWERS
    before ``answer_cell`` left as the learner found them (their stubs); unchanged when the wrong
    answer or a cell after it reads a name only those cells make (a final run that keeps training
    the model of an earlier exercise, say)."""
    cells = notebook.cells
    answer_at = next(i for i, cell in enumerate(cells) if grade_id(cell) == answer_cell)
    stubs = {grade_id(cell): cell.source for cell in learner_notebook(lesson).cells if grade_id(cell)}
    demos = DEMO_CELLS.get(lesson, ())
    dropped, skipped = set(), set()
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        if not grade_id(cell) and any(line in cell.source for line in demos):
            dropped.add(i)
        elif grade_id(cell) in SKIPPED_ANSWERS.get(lesson, ()) and i < answer_at:
            skipped.add(i)
    # Nothing from the wrong answer's cell on may read what only a left-out cell made (directly,
    # or through a kept cell that would then fail): if something does, nothing is left out.
    missing = set()
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        bound, read = _names(cell.source)
        read -= bound  # a name the cell binds itself is taken to be bound before it is read
        if i in dropped | skipped or (read & missing and i < answer_at):
            missing |= bound
        elif read & missing:
            return notebook
        else:
            missing -= bound
    for i in skipped:
        cells[i].source = stubs[grade_id(cells[i])]
    notebook.cells = [cell for i, cell in enumerate(cells) if i not in dropped]
    return notebook


def wrong_answer_notebook(lesson: str, answer_cell: str, code: str, test_cell: str):
    """A learner's notebook with one wrong answer, up to the test cell that must catch it (only
    the question's cells for a concept question), without the long demonstrations and earlier
    trainings that cell does not depend on (``leave_out``)."""
    notebook = cut_after(filled_notebook(lesson, {answer_cell: code}), test_cell)
    if is_concept_answer(notebook, answer_cell):
        return only_the_question(notebook, answer_cell, test_cell)
    return leave_out(notebook, lesson, answer_cell)


def submit(course: Path, student: str, lesson: str, notebook, extra_files: dict[str, str] | None = None) -> Path:
    folder = course / "submitted" / student / lesson
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / f"{lesson}.ipynb")
    for name, text in (extra_files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@dataclass
class NotebookScore:
    total: float
    max_total: float
    cells: dict[str, float] = field(default_factory=dict)  # grade_id → score


@dataclass
class GradedLearner:
    """One simulated learner of a graded class, as the mutation table shows it."""
    score: NotebookScore
    expected: str                   # "full", "0" or "loses <test_cell>"
    hint_shown: bool | None = None  # wrong answers: their hint is in that test cell's output


#: lesson → student → learner, filled by the autograde tests and printed at the end of the run.
GRADED_CLASSES: dict[str, dict[str, GradedLearner]] = {}


def scores(course: Path, lesson: str) -> dict[str, NotebookScore]:
    """student → score of the lesson's notebook, read through nbgrader's Gradebook API."""
    result = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for submission in gradebook.assignment_submissions(lesson):
            notebook = gradebook.find_submission_notebook(lesson, lesson, submission.student.id)
            result[submission.student.id] = NotebookScore(
                total=notebook.score,
                max_total=notebook.max_score,
                cells={g.name: g.score for g in notebook.grades},
            )
    return result


def cell_outputs_text(notebook, gid: str) -> str:
    """Everything a cell printed (streams and error messages) as one string."""
    for cell in notebook.cells:
        if grade_id(cell) == gid:
            parts = []
            for output in cell.get("outputs", []):
                if output.output_type == "stream":
                    parts.append(output.text)
                elif output.output_type == "error":
                    parts.append(f"{output.ename}: {output.evalue}")
            return "".join(parts)
    raise KeyError(gid)


def autograded_notebook(course: Path, student: str, lesson: str):
    return read_notebook(course / "autograded" / student / lesson / f"{lesson}.ipynb")
