"""What the learner wrote, read as text: for the mistakes that leave no trace in any value.

Some mistakes give the very same numbers as the right code on the grader's machine: a bare
``torch.no_grad()`` (a context manager that was never entered), ``model.eval()`` never undone
for a model without dropout, a CPU-only loader on a grader without an accelerator, a "restored"
model that was only copied. The checks find those in ``history``: IPython's ``In`` (the code of
the cells the kernel ran, oldest first), passed by the test cell, read by value and parsed here,
never run. Every rule is one a right rewrite cannot trip: helpers, other names, other spellings
pass; only a statement that cannot do what the lesson asks is reported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

#: Context managers that do nothing unless entered with ``with`` (or used as a decorator).
CONTEXT_ONLY = frozenset({"no_grad", "inference_mode", "enable_grad"})
LOOPS = (ast.For, ast.AsyncFor, ast.While)


def cells(history: object) -> list[ast.Module]:
    """The cells of ``history`` that parse as Python, oldest first (anything else: none)."""
    if not isinstance(history, (list, tuple)):
        return []
    trees = []
    for source in history:
        if isinstance(source, str) and source.strip():
            try:
                trees.append(ast.parse(source))
            except SyntaxError:
                continue
    return trees


def assigns(tree: ast.AST, name: str) -> bool:
    """``tree`` binds ``name`` (``name = …``, ``name, x = …``, ``name += …``, ``for name in …``)."""
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)) else [])
        for target in targets:
            if any(isinstance(part, ast.Name) and part.id == name for part in ast.walk(target)):
                return True
    return False


def last_cell_assigning(history: object, name: str) -> ast.Module | None:
    """The newest cell that binds ``name``: the learner's answer cell for that name."""
    return next((tree for tree in reversed(cells(history)) if assigns(tree, name)), None)


def called_name(call: ast.Call) -> str | None:
    """``f`` for ``f(…)``, ``a.b.f(…)``: the name a call ends in."""
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def calls(tree: ast.AST, name: str) -> Iterator[ast.Call]:
    """Every call in ``tree`` whose name (``called_name``) is ``name``."""
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call) and called_name(node) == name)


def bare_context_managers(tree: ast.AST) -> list[str]:
    """Statements like ``torch.no_grad()`` on a line of their own: made, never entered, no effect."""
    return [ast.unparse(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and called_name(node.value) in CONTEXT_ONLY]


def eval_left_on(tree: ast.AST) -> str | None:
    """An outermost loop of ``tree`` (or of a function in it) that calls ``.eval()`` and never
    ``.train()``: from its second pass on, the model trains in evaluation mode. Returns that
    ``.eval()`` call as text, else None. Calls inside a function defined in the loop count as
    that function's, not the loop's."""
    for loop in _outermost_loops(tree):
        body = list(_outside_functions(loop))
        evals = [node for node in body if _is_method_call(node, "eval")]
        if evals and not any(_is_method_call(node, "train") for node in body):
            return ast.unparse(evals[0])
    return None


def _is_method_call(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name


def _outermost_loops(node: ast.AST) -> Iterator[ast.AST]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, LOOPS):
            yield child
            yield from _outermost_loops_in_functions(child)
        else:
            yield from _outermost_loops(child)


def _outermost_loops_in_functions(loop: ast.AST) -> Iterator[ast.AST]:
    for node in ast.walk(loop):
        if node is not loop and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _outermost_loops(node)


def loaded_names(tree: ast.AST) -> set[str]:
    """Every variable ``tree`` reads."""
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def _outside_functions(node: ast.AST) -> Iterator[ast.AST]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield child
        yield from _outside_functions(child)
