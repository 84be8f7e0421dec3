"""What the learner wrote, read as text: for the mistakes that leave no trace in any value.

Some mistakes give the very same numbers as the right code on the grader's machine: a bare
``torch.no_grad()`` (a context manager that was never entered), ``model.eval()`` never undone
for a model without dropout, a CPU-only loader on a grader without an accelerator, a "restored"
model that was only copied. The checks find those in ``history``: IPython's ``In`` (the code of
the cells the kernel ran, oldest first), passed by the test cell, read by value and parsed here,
never run. Every rule is one a right rewrite cannot trip: helpers, other names, other spellings
pass; only a statement that cannot do what the lesson asks is reported. A cell's integer
arithmetic can also be replayed on other sizes (``replay_assignments``), computed from the
syntax tree by a small interpreter of numbers, so a formula right only for the lesson's sizes
shows (a batch count off by one when the images divide evenly into batches).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Iterator

#: Context managers that do nothing unless entered with ``with`` (or used as a decorator).
CONTEXT_ONLY = frozenset({"no_grad", "inference_mode", "enable_grad"})
LOOPS = (ast.For, ast.AsyncFor, ast.While)


def cells(history: object) -> list[ast.Module]:
    """The cells of ``history`` that parse as Python, oldest first (anything else: none). The code
    a magic runs (``%%time`` over a cell, ``%time`` before a line: IPython turns them into
    ``get_ipython().run_cell_magic('time', '', '<code>')``) counts as a cell of its own, right
    after the one that holds it."""
    if not isinstance(history, (list, tuple)):
        return []
    trees = []
    for source in history:
        if isinstance(source, str) and source.strip():
            trees.extend(_parsed_with_magics(source))
    return trees


def _parsed_with_magics(source: str, depth: int = 0) -> list[ast.Module]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = [tree]
    if depth < 3:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and called_name(node) in ("run_cell_magic", "run_line_magic"):
                body = node.args[-1] if node.args else None
                if isinstance(body, ast.Constant) and isinstance(body.value, str):
                    found.extend(_parsed_with_magics(body.value, depth + 1))
    return found


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


# ---------------------------------------------------------------- arithmetic replayed on other sizes

#: What an arithmetic replay may call: pure functions of numbers (and ``len(range(...))``).
_FUNCTIONS = {"int": int, "abs": abs, "round": round, "max": max, "min": min, "ceil": math.ceil, "floor": math.floor}
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_COMPARISONS = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
                ast.Gt: operator.gt, ast.GtE: operator.ge}
#: Numbers beyond this are no batch count: the replay gives up (and no power operator at all).
_LIMIT = 10 ** 12


def number(node: ast.AST, names: dict[str, float]) -> float | None:
    """The value of an arithmetic expression over ``names`` (``+ - * / // %``, comparisons,
    ``a if c else b``, ``a or b``, ``int``/``round``/``math.ceil``…, ``len(range(...))``), computed
    here from the syntax tree and never run; None for anything else (a name not in ``names``, an
    attribute, any other call), so an expression the replay cannot follow gets no verdict."""
    value = _number(node, names)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) < _LIMIT:
        return None
    return value


def _number(node: ast.AST, names: dict[str, float]):
    if isinstance(node, ast.Constant):
        return node.value if type(node.value) in (int, float) else None
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = number(node.operand, names)
        return None if operand is None else (-operand if isinstance(node.op, ast.USub) else operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = number(node.left, names), number(node.right, names)
        if left is None or right is None:
            return None
        try:
            return _OPERATORS[type(node.op)](left, right)
        except ZeroDivisionError:
            return None
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        values = [number(value, names) for value in node.values]
        if any(value is None for value in values):
            return None
        return next((value for value in values if value), values[-1])
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARISONS:
        left, right = number(node.left, names), number(node.comparators[0], names)
        return None if left is None or right is None else int(_COMPARISONS[type(node.ops[0])](left, right))
    if isinstance(node, ast.IfExp):
        test = number(node.test, names)
        return None if test is None else number(node.body if test else node.orelse, names)
    if isinstance(node, ast.Call) and not node.keywords:
        name = called_name(node)
        if name == "len" and len(node.args) == 1 and isinstance(node.args[0], ast.Call) \
                and called_name(node.args[0]) == "range" and not node.args[0].keywords:
            bounds = [number(arg, names) for arg in node.args[0].args]
            if not 1 <= len(bounds) <= 3 or any(type(bound) is not int for bound in bounds) or (len(bounds) == 3 and bounds[2] == 0):
                return None
            return len(range(*bounds))
        if name in _FUNCTIONS and (isinstance(node.func, ast.Name) or _is_math(node.func)):
            arguments = [number(arg, names) for arg in node.args]
            if not arguments or any(argument is None for argument in arguments):
                return None
            try:
                return _FUNCTIONS[name](*arguments)
            except (TypeError, ValueError, OverflowError):
                return None
    return None


def _is_math(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "math"


def replay_assignments(tree: ast.Module, names: dict[str, float]) -> dict[str, float]:
    """``names`` after the cell's top-level assignments, replayed with ``number``: a name whose
    value the replay cannot follow (bound in a loop, by a call it does not know…) is dropped."""
    names = dict(names)
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
            if (isinstance(target, ast.Tuple) and len(target.elts) == 2 and isinstance(value, ast.Call)
                    and called_name(value) == "divmod" and len(value.args) == 2 and not value.keywords):
                # divmod(a, b) as (a // b, a % b), so its two results replay like any other pair
                value = ast.Tuple(elts=[ast.BinOp(left=value.args[0], op=operator_node(), right=value.args[1])
                                        for operator_node in (ast.FloorDiv, ast.Mod)], ctx=ast.Load())
            pairs = ([(target, value)] if isinstance(target, ast.Name) else
                     list(zip(target.elts, value.elts)) if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
                     and len(target.elts) == len(value.elts) else [])
            if pairs and all(isinstance(name, ast.Name) for name, _ in pairs):
                results = [(name.id, number(expression, names)) for name, expression in pairs]
                for name, result in results:
                    if result is None:
                        names.pop(name, None)
                    else:
                        names[name] = result
                continue
        if isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
            combined = ast.BinOp(left=ast.Name(id=statement.target.id, ctx=ast.Load()), op=statement.op,
                                 right=statement.value)
            result = number(combined, names)
            if result is None:
                names.pop(statement.target.id, None)
            else:
                names[statement.target.id] = result
            continue
        for name in list(names):
            if assigns(statement, name):
                names.pop(name)
    return names


def loop_lengths(tree: ast.AST, names: dict[str, float]) -> list[int]:
    """How many times each ``for … in …range(…)…`` loop of ``tree`` runs (a ``range`` anywhere in
    the loop's iterable, e.g. inside ``progress(...)``), replayed with ``names`` by ``number``; a
    loop whose range the replay cannot follow is left out."""
    lengths = []
    for loop in (node for node in ast.walk(tree) if isinstance(node, (ast.For, ast.AsyncFor))):
        ranges = [node for node in ast.walk(loop.iter) if isinstance(node, ast.Call) and called_name(node) == "range"]
        if ranges:
            length = number(ast.Call(func=ast.Name(id="len", ctx=ast.Load()), args=[ranges[0]], keywords=[]), names)
            if length is not None:
                lengths.append(length)
    return lengths
