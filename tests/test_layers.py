"""The shape of the check layer: what imports what, and how a failure is written. Static checks
of the source (no kernel, no torch), so they run in a second."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "autograder" / "nncourse"
GRADERS = PACKAGE / "graders"
LESSONS = sorted(path.name for path in (PACKAGE.parents[1] / "solutions").iterdir() if path.is_dir())
#: graders/<name>.py of each lesson: 01_mnist_data → mnist_data
LESSON_MODULES = {lesson.split("_", 1)[1] for lesson in LESSONS}
#: What a lesson's kernel imports: the package's top level and its graders (not ``grading``).
KERNEL_SIDE = [*sorted(PACKAGE.glob("*.py")), *sorted(GRADERS.glob("*.py"))]


def imported_modules(path: Path, top_level: bool = False) -> set[str]:
    """Absolute names of the nncourse modules ``path`` imports (relative imports resolved); with
    ``top_level``, only those its own import runs (not the imports inside its functions)."""
    package = ".".join(("nncourse", *path.parent.relative_to(PACKAGE).parts))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in tree.body if top_level else ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "nncourse" or name.startswith("nncourse.")}


def test_every_lesson_has_a_grader_module_named_after_it():
    assert {path.stem for path in GRADERS.glob("*.py")} >= LESSON_MODULES


@pytest.mark.parametrize("module", sorted(LESSON_MODULES))
def test_a_lesson_grader_imports_no_other_lesson(module):
    others = {f"nncourse.graders.{name}" for name in LESSON_MODULES - {module}}
    assert not imported_modules(GRADERS / f"{module}.py") & others


@pytest.mark.parametrize("path", KERNEL_SIDE, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_the_learners_kernel_does_not_import_the_instructors_grading(path):
    assert not {name for name in imported_modules(path) if name.startswith("nncourse.grading")}


LABELS = ("내 값:", "기대값:", "힌트:", "오류:")


@pytest.mark.parametrize("path", sorted(GRADERS.glob("*.py")) + [PACKAGE / "checks.py"],
                         ids=lambda path: path.name)
def test_a_failure_gives_its_parts_not_a_message_with_labels_in_it(path):
    """``check.fail(what, got, expected, hint)``: the labels are written in one place
    (nncourse.verdict.message), never inside a check's own strings."""
    embedded = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if any(f"\n   {label}" in node.value or node.value.lstrip().startswith(label) for label in LABELS):
                embedded.append((node.lineno, node.value[:60]))
    assert not embedded, embedded


def test_grading_uses_no_private_coroutine_of_jupyter_client():
    """A sandboxed kernel is started, signalled and cleaned up through jupyter_client's kernel
    provisioner API (nncourse.grading.kernels.sandbox.SandboxProvisioner), never by overriding or calling
    its private ``_async_*`` methods, which may change in any release."""
    found = [f"{path.name}:{node.lineno}" for path in sorted((PACKAGE / "grading").rglob("*.py"))
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if (getattr(node, "attr", None) or getattr(node, "name", None) or "").startswith("_async_")]
    assert not found, found


GRADING = PACKAGE / "grading"
#: nncourse.grading's layers from the bottom up: each may import those before it, never one after.
#: ``causes`` (why a cell failed) is the words they share. The class grader and the commands sit on
#: top (grading/*.py) and may import any layer.
LAYERS = ("kernels", "judge", "nbgrader_plugins")
SHARED = {"nncourse.grading.causes"}


def test_grading_is_split_into_the_layers_named_in_its_docstring():
    assert {path.name for path in GRADING.iterdir() if (path / "__init__.py").is_file()} == set(LAYERS)
    documented = (GRADING / "__init__.py").read_text(encoding="utf-8")
    assert all(f"``{layer}``" in documented for layer in LAYERS)


@pytest.mark.parametrize("path", sorted(GRADING.glob("*/*.py")), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_grading_layer_imports_only_the_layers_below_it(path):
    layer = path.parent.name
    allowed = {f"nncourse.grading.{below}" for below in LAYERS[:LAYERS.index(layer) + 1]} | SHARED
    grading = {name for name in imported_modules(path) if name.startswith("nncourse.grading.")}
    above = {name for name in grading if not any(name == ok or name.startswith(ok + ".") for ok in allowed)}
    assert not above, f"{layer}/{path.name} imports {sorted(above)}, which is not below it"


def module_file(name: str) -> Path | None:
    """The file of the package's module ``name``, or None when ``name`` is not one."""
    if name == "nncourse":
        return PACKAGE / "__init__.py"
    if not name.startswith("nncourse."):
        return None
    relative = Path(*name.split(".")[1:])
    for candidate in (PACKAGE / relative.with_suffix(".py"), PACKAGE / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_no_module_of_the_package_imports_itself_back():
    """No import circle at module level (there was one between the kernel pool and the sandbox):
    a circle makes the import order matter and hides which of the two is the lower layer."""
    graph = {path: {module_file(name) for name in imported_modules(path, top_level=True)} - {None, path}
             for path in PACKAGE.rglob("*.py")}
    circles = []

    def visit(path, trail):
        for imported in graph.get(path, ()):
            if imported in trail:
                circles.append(" → ".join(str(p.relative_to(PACKAGE)) for p in trail[trail.index(imported):] + [imported]))
            elif imported not in seen:
                seen.add(imported)
                visit(imported, trail + [imported])

    seen = set()
    for start in graph:
        if start not in seen:
            seen.add(start)
            visit(start, [start])
    assert not circles, circles
