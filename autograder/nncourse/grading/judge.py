"""The judge: decides a test cell's points where no learner code has ever run.

nbgrader runs a test cell in the learner's kernel and scores what comes out, so learner code in
that kernel could rewrite the cell, the checks, their data or the output (tests/test_forgery.py
lists 17 ways). Under ``nbgrader autograde`` with the course's configuration
(:class:`nncourse.grading.judged_execute.JudgedExecute`), a test cell that its lesson's grader
lists in ``JUDGED`` is instead

1. **never sent to the learner's kernel** (hidden tests included): nothing of it is in the
   kernel's history, memory or files;
2. **run here**, in the grading process, as trusted code: the cell's source comes from the
   gradebook (nbgrader puts it back before execution), in a namespace of the course's own
   modules (``grader``, ``check``, ``torch``, ``F``, ``nn``, ``math``);
3. **fed the learner's values by value**: the names the cell reads are fetched from the kernel
   at that point of the notebook as plain data (:mod:`nncourse.grading.judge_agent`): numbers,
   strings, dtypes and tensors rebuilt from raw bytes, never an unpickled object and never an
   object whose methods the judge would call. A learner's function becomes a
   :class:`RemoteFunction`: calling it sends the judge's probe inputs (drawn here) into the
   kernel and brings the result back by value. Anything else is an :class:`OpaqueValue` that
   only shows its type name and a short repr, and fails any check that needs more;
4. **scored from the judge's verdict**: the cell's outputs are replaced by what the checks
   printed here (✅ lines) or by the failed check's Korean verdict as an error.

What a learner can still do: hard-code a value they know (a count, a letter), or copy a
friend's answer. The judge checks values, not where they came from. Cells their grader does not
list in ``JUDGED`` still run in the kernel, under the guard (see the README's threat model).
"""

from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import importlib
import io
import json
import math
import secrets
from collections.abc import Callable
from pathlib import Path

import nbformat
import torch

from . import judge_agent

#: Largest reply the judge reads from a kernel (bytes of JSON).
MAX_REPLY = 64 * 1024 * 1024
MAX_TENSOR_BYTES = 32 * 1024 * 1024
MAX_DIMS = 8
#: dtypes a tensor may arrive in; anything else is refused.
DTYPES = {name: getattr(torch, name) for name in (
    "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool")}
#: Learner values that are the torch functions themselves (``loss_func = F.cross_entropy``).
KNOWN_FUNCTIONS = {("torch.nn.functional", name) for name in ("cross_entropy", "nll_loss", "log_softmax",
                                                                 "softmax", "relu", "mse_loss")}
AGENT_SOURCE = Path(judge_agent.__file__).read_text(encoding="utf-8")
NOT_READ = "채점기가 학습자 커널에서 값을 읽지 못했습니다"


class JudgeError(BaseException):
    """The learner's kernel gave no usable answer (it died, timed out or sent garbage).

    Not an ``Exception``: the checks' own ``except Exception`` (around the learner's code) must
    not take it for a mistake of the learner's function."""


class LearnerError(Exception):
    """An exception the learner's function raised in their kernel, reported by name."""


def named(base: type, type_name: object, default: str) -> type:
    """A subclass of ``base`` under the learner's type name (``default`` when it is not an
    identifier): ``type(value).__name__`` is what the checks' messages show."""
    name = str(type_name)[:100]
    return type(name if name.isidentifier() else default, (base,), {})


class OpaqueValue:
    """A learner value the judge does not rebuild: it knows only its type name and repr."""

    def __init__(self, text: str):
        self._text = text

    def __repr__(self) -> str:
        return self._text


def learner_error(type_name: str, message: str, traceback: list[str] | None = None) -> LearnerError:
    """The learner's exception under its own type name, with IPython's lines for their frames
    (text from the kernel: shown under the verdict, never interpreted)."""
    error = named(LearnerError, type_name, "Exception")(message)
    error.learner_traceback = [str(line)[:2000] for line in (traceback or [])[:200]]
    return error


class RemoteFunction:
    """A learner's function, called in their kernel with arguments sent by value.

    ``variable`` is the learner's name it was read from (what the kernel looks up to call it);
    ``__name__`` is the function's own name, as the checks' messages show it. A function that
    did not come from a name of the learner's (one inside a list, one a call returned) cannot be
    called back."""

    def __init__(self, name: str, variable: str | None, call: Callable[[str, list], object]):
        self.__name__ = name
        self._variable = variable
        self._call = call

    def __call__(self, *args):
        if self._variable is None:
            raise JudgeError(f"{self.__name__} 은(는) 학습자의 이름으로 읽은 함수가 아니라 부를 수 없습니다")
        return self._call(self._variable, list(args))

    def __repr__(self) -> str:
        return f"<function {self.__name__}>"


class ModuleValue:
    """A learner's ``nn.Module`` by value: its class name, its submodules' class names, its
    training flag and its parameters (plain tensors). Calling it calls the learner's module in
    their kernel with arguments sent by value (see :class:`RemoteFunction`); the checks that
    judge a trained model compute their metrics from :meth:`parameters` instead."""

    is_module_value = True

    def __init__(self, training: bool, parameters: dict, modules: list, remote: RemoteFunction,
                 identities: dict[str, int] | None = None):
        self.training = training
        self._parameters = parameters
        self._modules = modules
        self._remote = remote
        self._identities = identities or {}

    def parameter_identities(self) -> dict[int, str]:
        """The kernel's identity of each parameter → its name (to compare with an optimizer's)."""
        return {identity: name for name, identity in self._identities.items()}

    def named_parameters(self):
        return iter(list(self._parameters.items()))

    def parameters(self):
        return iter(list(self._parameters.values()))

    def module_types(self) -> list[tuple[str, str]]:
        """(name, class name) of the module and every submodule, as ``named_modules()`` lists them."""
        return list(self._modules)

    def __call__(self, *args):
        return self._remote(*args)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} (by value)>"


class TensorRef:
    """A tensor an optimizer updates, known only by its identity in the learner's kernel."""

    def __init__(self, identity: int):
        self.identity = identity


class OptimizerValue:
    """A learner's optimizer by value: its class name, ``param_groups`` (plain settings, and the
    tensors it updates as :class:`TensorRef`) and the steps the course's counter saw."""

    is_optimizer_value = True

    def __init__(self, param_groups: list[dict], steps: int):
        self.param_groups = param_groups
        self.steps = steps

    def __repr__(self) -> str:
        return f"<{type(self).__name__} (by value)>"


# ------------------------------------------------------------------------------- encoding

def encode_argument(value) -> dict:
    """A probe the judge sends (its own values: tensors, numbers, strings, lists)."""
    if isinstance(value, torch.Tensor):
        return judge_agent._tensor(value, torch)
    return judge_agent.encode(value)


def decode(item, call: Callable[[str, list], object], depth: int = 0, variable: str | None = None):
    """A learner value from its JSON form: plain data only, checked on the way in.
    ``variable`` is the learner's name it was read from (a function is called back by it)."""
    if not isinstance(item, dict) or depth > judge_agent.MAX_DEPTH + 1:
        raise JudgeError("malformed value")
    kind = item.get("k")
    value = item.get("v")
    if kind == "none":
        return None
    if kind == "bool" and type(value) is bool:
        return value
    if kind == "int" and isinstance(value, str) and len(value) <= 400:
        return int(value)
    if kind == "float" and isinstance(value, str) and len(value) <= 40:
        return float(value)
    if kind == "str" and isinstance(value, str):
        return value
    if kind in ("list", "tuple") and isinstance(value, list) and len(value) <= judge_agent.MAX_ITEMS:
        items = [decode(entry, call, depth + 1) for entry in value]
        return items if kind == "list" else tuple(items)
    if kind == "dict" and isinstance(value, list) and len(value) <= judge_agent.MAX_ITEMS:
        return {str(key): decode(entry, call, depth + 1) for key, entry in value}
    if kind == "dtype" and value in DTYPES:
        return DTYPES[value]
    if kind == "device" and isinstance(value, str) and len(value) <= 40:
        return torch.device(value)
    if kind == "tensor":
        return _decode_tensor(item)
    if kind == "function":
        name, module = str(item.get("name", "?")), str(item.get("module", ""))
        if (module, name) in KNOWN_FUNCTIONS:
            return getattr(importlib.import_module(module), name)
        return RemoteFunction(name, variable if depth == 0 else None, call)
    if kind == "module":
        return _decode_module(item, call, variable if depth == 0 else None)
    if kind == "optimizer":
        return _decode_optimizer(item, call)
    if kind == "object":
        return named(OpaqueValue, item.get("type"), "object")(str(item.get("repr", ""))[:judge_agent.MAX_REPR])
    raise JudgeError(f"unexpected value kind {kind!r}")


def _decode_module(item: dict, call, variable: str | None) -> ModuleValue:
    parameters, modules = item.get("parameters"), item.get("modules")
    if not isinstance(parameters, list) or not isinstance(modules, list) or len(parameters) > judge_agent.MAX_ITEMS \
            or len(modules) > judge_agent.MAX_ITEMS:
        raise JudgeError("malformed module")
    decoded = {}
    for entry in parameters:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            raise JudgeError("malformed module parameter")
        decoded[entry[0][:200]] = _decode_tensor(entry[1])
    listed = [(str(entry[0])[:200], str(entry[1])[:100]) for entry in modules
              if isinstance(entry, list) and len(entry) >= 2]
    identities = item.get("identities")
    names = list(decoded)
    by_name = ({name: identity for name, identity in zip(names, identities) if type(identity) is int}
               if isinstance(identities, list) and len(identities) == len(names) else {})
    cls = named(ModuleValue, item.get("type"), "Module")
    remote = RemoteFunction(cls.__name__, variable, call)
    return cls(item.get("training") is True, decoded, listed, remote, by_name)


def _decode_optimizer(item: dict, call) -> OptimizerValue:
    groups = item.get("groups")
    if not isinstance(groups, list) or len(groups) > 100:
        raise JudgeError("malformed optimizer")
    param_groups = []
    for group in groups:
        if not isinstance(group, dict):
            raise JudgeError("malformed optimizer group")
        settings, params = group.get("settings"), group.get("params")
        if not isinstance(settings, list) or not isinstance(params, list) or len(params) > judge_agent.MAX_ITEMS:
            raise JudgeError("malformed optimizer group")
        decoded = {str(key)[:100]: decode(value, call, 1) for key, value in settings}
        decoded["params"] = [TensorRef(identity) for identity in params if type(identity) is int]
        param_groups.append(decoded)
    steps = item.get("steps")
    return named(OptimizerValue, item.get("type"), "Optimizer")(param_groups, steps if type(steps) is int and steps >= 0 else 0)


def _decode_tensor(item: dict) -> torch.Tensor:
    if not isinstance(item, dict) or item.get("k") != "tensor":
        raise JudgeError("malformed tensor")
    dtype, shape = DTYPES.get(item.get("dtype")), item.get("shape")
    if dtype is None or not isinstance(shape, list) or len(shape) > MAX_DIMS or not all(
            type(side) is int and 0 <= side for side in shape):
        raise JudgeError("malformed tensor")
    raw = base64.b64decode(str(item.get("data", "")), validate=True)
    count = math.prod(shape)
    itemsize = 1 if dtype == torch.bool else torch.empty(0, dtype=dtype).element_size()
    if len(raw) != count * itemsize or len(raw) > MAX_TENSOR_BYTES:
        raise JudgeError("tensor data does not match its shape")
    if dtype == torch.bool:
        tensor = torch.frombuffer(bytearray(raw), dtype=torch.uint8).to(torch.bool) if raw else torch.empty(0, dtype=dtype)
    else:
        tensor = torch.frombuffer(bytearray(raw), dtype=dtype).clone() if raw else torch.empty(0, dtype=dtype)
    tensor = tensor.reshape(shape)
    if item.get("requires_grad") is True and tensor.is_floating_point():
        tensor.requires_grad_()
        if item.get("is_leaf") is False:
            tensor = tensor * 1  # a result of a computation, as the learner's was
    return tensor


def request_source(request: dict) -> str:
    """The code of a request cell: the agent's source run in a namespace of its own."""
    return (f"exec(compile({AGENT_SOURCE!r}, '<nncourse-judge>', 'exec'), "
            f"{{'__name__': 'nncourse_judge_agent', 'REQUEST_JSON': {json.dumps(request)!r}, "
            f"'USER_NAMESPACE': get_ipython().user_ns}})")


def read_reply(outputs: list, nonce: str) -> dict:
    """The agent's answer among a request cell's outputs."""
    for output in outputs:
        text = output.get("data", {}).get(judge_agent.MIME) if output.get("output_type") == "display_data" else None
        if text is None:
            continue
        if not isinstance(text, str):
            text = json.dumps(text)
        if len(text) > MAX_REPLY:
            raise JudgeError("the reply is too large")
        try:
            reply = json.loads(text)
        except ValueError as error:
            raise JudgeError("the reply is not JSON") from error
        if isinstance(reply, dict) and reply.get("nonce") == nonce and isinstance(reply.get("answer"), dict):
            return reply["answer"]
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o.get("output_type") == "error"]
    raise JudgeError("no reply" + (f" ({errors[0][:200]})" if errors else ""))


# ------------------------------------------------------------------------------- test cells

#: Names of the test cells' own namespace: the course's modules, as the setup cells import them.
def judge_namespace(lesson: str) -> dict:
    import torch.nn as nn
    import torch.nn.functional as F

    from .. import checks

    return {"grader": grader_module(lesson), "check": checks, "torch": torch, "F": F, "nn": nn, "math": math,
            "__builtins__": builtins}


def grader_module(lesson: str):
    """``01_mnist_data`` → nncourse.graders.mnist_data."""
    return importlib.import_module(f"nncourse.graders.{lesson.split('_', 1)[1]}")


def judged_cells(lesson: str) -> frozenset[str]:
    """The test cells of ``lesson`` whose points the judge decides (its grader's ``JUDGED``)."""
    try:
        return frozenset(getattr(grader_module(lesson), "JUDGED", ()))
    except (ImportError, IndexError):
        return frozenset()


def learner_names(source: str, namespace: dict) -> list[str]:
    """Names a test cell reads that neither it nor the judge's namespace defines."""
    tree = ast.parse(source)
    loaded, stored = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loaded.append(node.id)
            else:
                stored.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stored.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    builtin_names = set(dir(builtins))
    return list(dict.fromkeys(name for name in loaded if name not in stored and name not in namespace
                              and name not in builtin_names))


def stream(text: str):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def failure(error: BaseException, printed: str) -> list:
    from ..checks import CheckFailed
    from ..verdict import CALLED_LEARNER, NOTE, RESET, verdict_lines

    if isinstance(error, CheckFailed):
        lines = verdict_lines(str(error))
        called = getattr(error.__cause__, "learner_traceback", None)
        if called:
            lines += ["", f"{NOTE}{CALLED_LEARNER}{RESET}", *called]
    else:
        lines = [f"{type(error).__name__}: {error}"]
    outputs = [stream(printed)] if printed else []
    outputs.append(nbformat.v4.new_output("error", ename=type(error).__name__, evalue=str(error),
                                          traceback=lines))
    return outputs


def grade_cell(source: str, lesson: str, fetch: Callable[[list[str]], dict],
               call: Callable[[str, list], object]) -> tuple[bool, list]:
    """Run one test cell's trusted ``source`` here on the learner's values: (passed, outputs).

    ``fetch(names)`` returns the encoded values of ``names`` from the learner's kernel,
    ``call(name, args)`` calls a learner function there (both may raise :class:`JudgeError`).
    """
    from .. import checks

    namespace = judge_namespace(lesson)
    printed = io.StringIO()
    # Probes drawn now: a new shift for the checks' probe generators, a new state for torch's
    # global generator (a hidden test's torch.randn), so no answer can be prepared for them.
    checks.PROBE_SHIFT = secrets.randbelow(2 ** 31)
    torch.manual_seed(secrets.randbits(62))
    try:
        names = learner_names(source, namespace)
        values = fetch(names) if names else {}
        for name in names:
            item = values.get(name)
            if item is None or (isinstance(item, dict) and item.get("k") == "missing"):
                continue  # the cell raises NameError, as it would in the kernel
            namespace[name] = decode(item, call, variable=name)
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            exec(compile(source, "<test cell>", "exec"), namespace)
    except JudgeError as error:
        from ..checks import CheckFailed

        return False, failure(CheckFailed(f"❌ {NOT_READ}: {error}"), printed.getvalue())
    except Exception as error:  # a failed check, an assert of a hidden test, a NameError...
        return False, failure(error, printed.getvalue())
    finally:
        checks.PROBE_SHIFT = 0
    return True, [stream(printed.getvalue())] if printed.getvalue() else []
