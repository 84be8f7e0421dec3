"""The judge: decides a test cell's points where no learner code has ever run.

nbgrader runs a test cell in the learner's kernel and scores what comes out, so learner code in
that kernel could rewrite the cell, the checks, their data or the output (tests/test_forgery.py
lists 17 ways). Under ``nbgrader autograde`` with the course's configuration
(:class:`nncourse.grading.nbgrader_plugins.judged_execute.JudgedExecute`), a test cell that its lesson's grader
lists in ``JUDGED`` is instead

1. **never sent to the learner's kernel** (hidden tests included): nothing of it is in the
   kernel's history, memory or files;
2. **run here**, in the grading process, as trusted code: the cell's source comes from the
   gradebook (nbgrader puts it back before execution), in a namespace of the course's own
   modules (``grader``, ``check``, ``torch``, ``F``, ``nn``, ``math``);
3. **fed the learner's values by value**: the names the cell reads are fetched from the kernel
   at that point of the notebook as plain data (:mod:`nncourse.grading.judge.agent`): numbers,
   strings, dtypes and tensors rebuilt from raw bytes (the course's data tensors known by their
   SHA-256), never an unpickled object and never an object whose methods the judge would call.
   An ``nn.Module`` is rebuilt here: torch's own layers as the genuine layers with the learner's
   parameters, a learner's class as a :class:`RemoteModule` whose ``forward`` (and backward) runs
   in the kernel on the judge's inputs with the judge's parameter values; DataLoaders and
   TensorDatasets as genuine ones; an optimizer as its settings (stepped as a genuine torch
   optimizer over the judge's copies). A learner's function or class is called in the kernel
   with probes drawn here (:class:`RemoteFunction`, :func:`remote_class`), and the judge's
   stand-ins it is given (a probe model, an optimizer over it, a recording loss, loaders) are
   built there and mirrored back (:func:`mirror_arguments`). Anything else is an
   :class:`OpaqueValue` (type name, short repr; iterated or measured in the kernel if it can be);
4. **scored from the judge's verdict**: the cell's outputs are replaced by what the checks
   printed here (✅ lines) or by the failed check's Korean verdict as an error.

What a learner can still do: hard-code a value they know (a count, a letter), or copy a
friend's answer. The judge checks values, not where they came from. What only the kernel can
observe is reported by the kernel: the records of the stand-ins a learner's ``fit`` is run with
(the mode and gradient state at each call of 08's recording model, the steps of its optimizer)
could be forged by learner code that patches torch itself; the parameters those runs produce
are checked against the judge's own computation. Every graded cell of the course is in its
grader's ``JUDGED``; a cell that is not (a new one) still runs in the kernel, under the guard
(see the README's threat model).
"""

from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import functools
import importlib
import inspect
import io
import json
import math
import secrets
from collections.abc import Callable
from pathlib import Path

import nbformat
import torch
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

from . import agent

#: Largest reply the judge reads from a kernel (bytes of JSON).
MAX_REPLY = 64 * 1024 * 1024
MAX_TENSOR_BYTES = 32 * 1024 * 1024
MAX_DIMS = 8
#: dtypes a tensor may arrive in; anything else is refused.
DTYPES = {name: getattr(torch, name) for name in (
    "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool")}
#: Learner values that are the torch functions themselves (``loss_func = F.cross_entropy``).
KNOWN_FUNCTIONS = {("torch.nn.functional", name) for name in ("cross_entropy", "nll_loss", "log_softmax",
                                                                 "softmax", "relu", "mse_loss", "multi_margin_loss")}
AGENT_SOURCE = Path(agent.__file__).read_text(encoding="utf-8")
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
    """A learner value the judge does not rebuild: it knows only its type name and repr (and,
    for an iterable or sized one, asks the kernel to iterate it or for its length)."""

    def __init__(self, text: str, handle: object = None, ask: object = None):
        self._text = text
        self._handle = handle
        self._ask = ask

    def __repr__(self) -> str:
        return self._text


#: Items fetched from the kernel per request while the judge iterates a learner's object.
ITERATE_CHUNK = 8


def _remote_len(self) -> int:
    answer = _remote_op(self._ask, {"op": "len", "handle": self._handle})
    value = decode(answer["result"], self._ask)
    if type(value) is not int or value < 0:
        raise TypeError(f"len() of {type(self).__name__} is not a non-negative int")
    return value


def _remote_iter(self):
    """Iterate a learner's object in the kernel (each chunk from a fresh ``iter()``, as a for
    loop over it would start), bringing the items back by value."""
    start = 0
    while True:
        answer = _remote_op(self._ask, {"op": "iterate", "handle": self._handle, "start": start,
                                        "count": ITERATE_CHUNK})
        items = decode(answer["result"], self._ask)
        if not isinstance(items, list):
            raise JudgeError("malformed iteration")
        yield from items
        if answer.get("exhausted") is not False or not items:
            return
        start += len(items)


def remote_object(item: dict, ask: object) -> OpaqueValue:
    """A learner object the judge does not rebuild, under its type name; iterable and sized
    (in the kernel) when the kernel says its class is."""
    methods = {}
    if type(item.get("handle")) is int and item.get("iterable") is True:
        methods["__iter__"] = _remote_iter
    if type(item.get("handle")) is int and item.get("sized") is True:
        methods["__len__"] = _remote_len
    cls = named(OpaqueValue, item.get("type"), "object")
    if methods:
        cls = type(cls.__name__, (cls,), methods)
    return cls(str(item.get("repr", ""))[:agent.MAX_REPR], item.get("handle"), ask)


def _remote_op(ask, request: dict) -> dict:
    request = {**request, "rng": encode_argument(torch.get_rng_state())}
    return _answered(ask(request))


def learner_error(type_name: str, message: str, traceback: list[str] | None = None) -> LearnerError:
    """The learner's exception under its own type name, with IPython's lines for their frames
    (text from the kernel: shown under the verdict, never interpreted)."""
    error = None
    builtin = getattr(builtins, str(type_name), None)
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        # Also an instance of the builtin class of that name, so a check's except clause (or
        # isinstance) sees an AttributeError as one, as it would in the kernel.
        try:
            error = type(builtin.__name__, (LearnerError, builtin), {})(message)
        except TypeError:  # a builtin that wants other arguments (UnicodeDecodeError)
            error = None
    if error is None:
        error = named(LearnerError, type_name, "Exception")(message)
    error.learner_traceback = [str(line)[:2000] for line in (traceback or [])[:200]]
    return error


#: How the judge asks the learner's kernel: a request (see judge.agent) → the agent's answer.
Ask = Callable[[dict], dict]


def _remote_call(ask: Ask, handle: object, name: str, args: tuple, parameters: list | None = None,
                 grad_output: torch.Tensor | None = None, set_globals: dict | None = None,
                 read_globals: tuple[str, ...] = (), training: bool | None = None) -> dict:
    """Call a learner's function, class or module (its ``handle``) in their kernel with the
    judge's probes, torch's random state as it is here, and the judge's values of the module's
    ``parameters``; the agent's answer, with a learner's exception raised here by its name."""
    if type(handle) is not int:
        raise JudgeError(f"{name} 을(를) 학습자 커널에서 다시 부를 수 없습니다")
    request = {"op": "call" if grad_output is None else "vjp", "handle": handle,
               "args": [encode_argument(arg, args) for arg in args],
               "rng": encode_argument(torch.get_rng_state()), "grad": torch.is_grad_enabled(),
               "parameters": [[key, encode_argument(value.detach())] for key, value in (parameters or [])]}
    if grad_output is not None:
        request["grad_output"] = encode_argument(grad_output)
    if training is not None:  # a module runs in the mode the judge's copy is in (eval while evaluated)
        request["training"] = training
    if set_globals:
        sent = tuple(set_globals.values())
        request["set_globals"] = [[key, encode_argument(value, sent)] for key, value in set_globals.items()]
        request["read_globals"] = list(read_globals)
    changed = getattr(ask, "changed_tensors", None)
    if changed is not None:
        request["globals"] = changed()
    answer = ask(request)
    if isinstance(answer, dict):  # the stand-ins end as their kernel copies ended, also after an error
        mirror_arguments(tuple(args) + tuple((set_globals or {}).values()), answer)
    return _answered(answer)


def _answered(answer: object) -> dict:
    """The agent's answer to a call; the learner's exception, raised here under its own name."""
    result = answer.get("result") if isinstance(answer, dict) else None
    if isinstance(result, dict) and result.get("k") == "raised":
        lines = result.get("traceback")
        raise learner_error(str(result.get("type", "Exception"))[:100], str(result.get("message", ""))[:2000],
                            lines if isinstance(lines, list) else None)
    if result is None:
        raise JudgeError("no result")
    return answer


class RemoteFunction:
    """A learner's function, called in their kernel with arguments sent by value.

    ``__name__`` is the function's own name, as the checks' messages show it; its handle is
    what the kernel calls it back by."""

    def __init__(self, name: str, handle: object, ask: Ask, signature: object = None):
        self.__name__ = name
        self._handle = handle
        self._ask = ask
        self.__signature__ = _signature(signature)
        #: Globals of the function replaced in the kernel for every call while this is set
        #: (lesson 10 calls preprocess with ``device`` pretending to be ``meta``).
        self.pretend_globals: dict = {}

    def __call__(self, *args):
        answer = _remote_call(self._ask, self._handle, self.__name__, args, set_globals=self.pretend_globals)
        return decode(answer["result"], self._ask, arguments=args)

    def call_with_globals(self, values: dict, read: tuple[str, ...]) -> dict:
        """Call the function (no arguments) in the kernel with some of its globals replaced by
        the judge's ``values`` for the call, then put back; the values of the ``read`` globals
        right after the call. Modules among ``values`` take the state their kernel copies ended with."""
        answer = _remote_call(self._ask, self._handle, self.__name__, (), set_globals=values, read_globals=read)
        found = answer.get("globals")
        found = found if isinstance(found, dict) else {}
        return {name: decode(found[name], self._ask) for name in read if name in found}

    def __repr__(self) -> str:
        return f"<function {self.__name__}>"


def _signature(item: object) -> inspect.Signature | None:
    """A learner function's signature from its parameters' names, kinds and defaults (the
    defaults themselves stay in the kernel: a stand-in marks that there is one)."""
    if not isinstance(item, list) or len(item) > 100:
        return None
    parameters = []
    try:
        for name, kind, has_default in item:
            default = inspect.Parameter.empty if has_default is not True else "…"
            if kind not in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD", "VAR_POSITIONAL", "KEYWORD_ONLY", "VAR_KEYWORD"):
                return None
            parameters.append(inspect.Parameter(str(name), getattr(inspect.Parameter, kind), default=default))
        return inspect.Signature(parameters)
    except (KeyError, TypeError, ValueError):
        return None


class RemoteClassType(type):
    """The type of a learner's class read by the judge: ``isinstance(cls, type)`` and, for an
    ``nn.Module`` subclass, ``issubclass(cls, nn.Module)`` hold; calling it builds an instance in
    the learner's kernel (with the judge's random state) and returns that module by value."""

    def __call__(cls, *args):
        return cls._remote(*args)


def remote_class(item: dict, ask: Ask) -> type:
    name = str(item.get("name", "?"))[:100]
    name = name if name.isidentifier() else "LearnerClass"
    bases = (torch.nn.Module,) if item.get("module_class") is True else (object,)
    remote = RemoteFunction(name, item.get("handle"), ask)
    return RemoteClassType(name, bases, {"_remote": staticmethod(remote), "__module__": "__main__"})


class _RemoteBackward(torch.autograd.Function):
    """A learner's forward, computed in their kernel, inside the judge's autograd graph: the
    backward pass asks the kernel for the gradients of the module's parameters."""

    @staticmethod
    def forward(ctx, module, args, values, output, *parameters):
        ctx.module, ctx.args, ctx.values = module, args, values
        return output.clone()

    @staticmethod
    def backward(ctx, grad_output):
        gradients = ctx.module._gradients(ctx.args, ctx.values, grad_output)
        return (None, None, None, None, *gradients)


class RemoteModule(torch.nn.Module):
    """A learner's own ``nn.Module`` class, rebuilt by value: its submodules and parameters are
    the judge's (torch's own layers rebuilt as the genuine layers, see :func:`rebuild_module`);
    its ``forward`` runs in the learner's kernel on the judge's inputs with the judge's values of
    its parameters, and gradients flow back through it (:class:`_RemoteBackward`)."""

    is_module_value = True

    def __init__(self, handle: object, ask: Ask, plain_tensors: list[str]):
        super().__init__()
        self._handle = handle
        self._ask = ask
        self.plain_tensors = plain_tensors

    def forward(self, *args):
        values = [(name, parameter.detach().clone()) for name, parameter in self.named_parameters()]
        answer = _remote_call(self._ask, self._handle, type(self).__name__, args, values, training=self.training)
        result = decode(answer["result"], self._ask)
        parameters = [parameter for _, parameter in self.named_parameters()]
        if (isinstance(result, torch.Tensor) and result.requires_grad and result.is_floating_point()
                and torch.is_grad_enabled() and any(p.requires_grad for p in parameters)):
            return _RemoteBackward.apply(self, args, values, result.detach(), *parameters)
        return result.detach() if isinstance(result, torch.Tensor) else result

    def _gradients(self, args, values, grad_output) -> list:
        answer = _remote_call(self._ask, self._handle, type(self).__name__, args, values, grad_output.detach(),
                              training=self.training)
        found = answer.get("gradients")
        by_name = {}
        if isinstance(found, list):
            for entry in found[:agent.MAX_ITEMS]:
                if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str):
                    by_name[entry[0]] = None if entry[1] == {"k": "none"} else _decode_tensor(entry[1])
        gradients = []
        for name, value in values:
            gradient = by_name.get(name)
            if gradient is not None and gradient.shape != value.shape:
                raise JudgeError("malformed gradient")
            gradients.append(gradient)
        return gradients

    def __repr__(self) -> str:
        return f"<{type(self).__name__} (by value)>"


def _no_calls(request: dict) -> dict:
    raise JudgeError("a layer's setting is not a value")


def _settings(node: dict) -> dict:
    settings = node.get("settings")
    if not isinstance(settings, dict) or len(settings) > 50:
        raise JudgeError("malformed module settings")
    return {str(key): decode(value, _no_calls, 1) for key, value in settings.items()}


def _torch_layer(kind: str, s: dict, has_bias: bool) -> torch.nn.Module | None:
    """torch's own layer ``kind`` rebuilt here, genuine, from its settings (the learner's kernel
    may have changed its forward; the judge computes the real one); None for other classes,
    which run in the kernel as a :class:`RemoteModule`."""
    nn = torch.nn
    builders = {
        "Linear": lambda: nn.Linear(s["in_features"], s["out_features"], bias=has_bias, device="meta"),
        "Conv2d": lambda: nn.Conv2d(s["in_channels"], s["out_channels"], s["kernel_size"], stride=s["stride"],
                                    padding=s["padding"], dilation=s["dilation"], groups=s["groups"],
                                    bias=has_bias, padding_mode=s["padding_mode"], device="meta"),
        "ReLU": lambda: nn.ReLU(inplace=s.get("inplace", False)),
        "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid, "Identity": nn.Identity,
        "Sequential": nn.Sequential, "ModuleList": nn.ModuleList,
        "AdaptiveAvgPool2d": lambda: nn.AdaptiveAvgPool2d(s["output_size"]),
        "AvgPool2d": lambda: nn.AvgPool2d(s["kernel_size"], s["stride"], s["padding"], s["ceil_mode"],
                                          s["count_include_pad"]),
        "MaxPool2d": lambda: nn.MaxPool2d(s["kernel_size"], s["stride"], s["padding"], s["dilation"],
                                          ceil_mode=s["ceil_mode"]),
        "Flatten": lambda: nn.Flatten(s["start_dim"], s["end_dim"]),
        "Softmax": lambda: nn.Softmax(s["dim"]), "LogSoftmax": lambda: nn.LogSoftmax(s["dim"]),
    }
    builder = builders.get(kind)
    if builder is None:
        return None
    try:
        with torch.random.fork_rng(devices=[]):
            return builder()
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise JudgeError(f"malformed {kind}") from error


def rebuild_module(item: dict, ask: Ask) -> torch.nn.Module:
    """A learner's module as a module of the judge's: torch's own layers genuine, the learner's
    classes as :class:`RemoteModule` under their own names, every parameter by value (each
    keeps the identity it has in the kernel as ``parameter.identity``, for optimizers)."""
    parameters, nodes, identities = item.get("parameters"), item.get("nodes"), item.get("identities")
    if not (isinstance(parameters, list) and isinstance(nodes, list) and nodes) \
            or len(parameters) > agent.MAX_ITEMS or len(nodes) > agent.MAX_ITEMS:
        raise JudgeError("malformed module")
    decoded = {}
    for entry in parameters:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            raise JudgeError("malformed module parameter")
        decoded[entry[0][:200]] = _decode_tensor(entry[1])
    if not (isinstance(identities, list) and len(identities) == len(decoded)):
        identities = [None] * len(decoded)
    registry = getattr(ask, "parameters", None)
    modules: dict[str, torch.nn.Module] = {}
    for node in nodes:
        if not isinstance(node, dict) or not isinstance(node.get("path"), str):
            raise JudgeError("malformed module node")
        path, kind = node["path"][:200], str(node.get("type", ""))[:100]
        if path in modules or (path and path.rpartition(".")[0] not in modules):
            raise JudgeError("malformed module tree")
        layer = None
        if str(node.get("module", "")).startswith("torch.nn.modules."):
            layer = _torch_layer(kind, _settings(node), (f"{path}.bias" if path else "bias") in decoded)
        if layer is None:
            tensors = node.get("tensors")
            tensors = [str(name)[:100] for name in tensors[:100]] if isinstance(tensors, list) else []
            layer = named(RemoteModule, kind, "Module")(node.get("handle"), ask, tensors)
        layer.training = node.get("training") is True
        modules[path] = layer
        if path:
            parent, _, attribute = path.rpartition(".")
            modules[parent].add_module(attribute, layer)
    for (name, tensor), identity in zip(decoded.items(), identities):
        owner_path, _, attribute = name.rpartition(".")
        owner = modules.get(owner_path)
        if owner is None or not attribute.isidentifier():
            raise JudgeError("malformed module parameter")
        existing = owner._parameters.get(attribute)
        if existing is not None and existing.shape != tensor.shape:
            raise JudgeError(f"{name} does not fit its layer")
        parameter = torch.nn.Parameter(tensor.detach(), requires_grad=tensor.requires_grad)
        parameter.identity = identity if type(identity) is int else None
        owner.register_parameter(attribute, parameter)
        if parameter.identity is not None and registry is not None:
            registry.setdefault(parameter.identity, parameter)
    registered = {id(parameter) for module in modules.values() for parameter in module._parameters.values()
                  if getattr(parameter, "identity", False) is not False}
    for module in modules.values():
        if any(p is not None and id(p) not in registered for p in module._parameters.values()):
            raise JudgeError("a layer's parameter is missing")
    return modules[""]


class TensorRef:
    """A tensor an optimizer updates, known only by its identity in the learner's kernel."""

    def __init__(self, identity: int):
        self.identity = identity


#: torch's optimizers the judge rebuilds, genuine, when a check steps one.
OPTIMIZERS = {name: getattr(torch.optim, name) for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad")}


class OptimizerValue:
    """A learner's optimizer by value: its class name, ``param_groups`` (plain settings, and the
    tensors it updates as :class:`TensorRef`), the steps the course's counter saw and its
    identity in the kernel. A check that steps it steps a genuine torch optimizer of the same
    class and settings over the judge's copies of those tensors (a tensor of no module the
    judge read gets a stand-in: stepping it changes nothing the checks look at)."""

    is_optimizer_value = True

    def __init__(self, param_groups: list[dict], steps: int, from_torch: bool, identity: object,
                 parameters: dict[int, torch.Tensor]):
        self.param_groups = param_groups
        self.steps = steps
        self.from_torch = from_torch
        self.identity = identity if type(identity) is int else None
        self._parameters = parameters
        self._genuine = None

    def _rebuilt(self) -> torch.optim.Optimizer:
        if self._genuine is None:
            cls = OPTIMIZERS.get(type(self).__name__) if self.from_torch else None
            if cls is None:
                raise JudgeError(f"{type(self).__name__} 은(는) 채점기가 다시 만들 수 있는 옵티마이저가 아닙니다")
            allowed = set(inspect.signature(cls).parameters) - {"params"}
            groups = [{"params": [self._parameters.get(ref.identity) if ref.identity in self._parameters
                                  else torch.zeros(1, requires_grad=True) for ref in group["params"]],
                       **{key: value for key, value in group.items() if key in allowed}}
                      for group in self.param_groups]
            try:
                self._genuine = cls(groups)
            except (TypeError, ValueError, RuntimeError) as error:
                raise JudgeError(f"{type(self).__name__} 을(를) 같은 설정으로 다시 만들 수 없습니다") from error
        return self._genuine

    def step(self) -> None:
        self._rebuilt().step()

    def zero_grad(self, set_to_none: bool = True) -> None:
        self._rebuilt().zero_grad(set_to_none)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} (by value)>"


class Link:
    """The learner's kernel as the judge reaches it during one test cell: ``link(request)``
    sends a request (see :mod:`nncourse.grading.judge.agent`). It remembers the parameters of the modules read so
    far, by their identity in the kernel (an optimizer read later updates those), and the
    tensors read by name: when a check changes one (03's bias probe), a call into the kernel
    runs with the judge's value of it, as the learner's function would see it in the kernel."""

    def __init__(self, ask: Callable[[dict], dict]):
        self._ask = ask
        self.parameters: dict[int, torch.Tensor] = {}
        self.read_tensors: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        #: Drawn now, sent with every request: the rows of a fingerprinted tensor the kernel must
        #: show (so a kernel that fakes SHA-256 must also hold the course's data at those rows).
        self.sample = [secrets.randbelow(2 ** 31) for _ in range(4)]

    def __call__(self, request: dict) -> dict:
        return self._ask({**request, "sample": self.sample})

    def remember(self, name: str, value: object) -> None:
        if isinstance(value, torch.Tensor):
            self.read_tensors[name] = (value, value.detach().clone())

    def changed_tensors(self) -> list:
        return [[name, encode_argument(tensor.detach())] for name, (tensor, read) in self.read_tensors.items()
                if not torch.equal(tensor.detach(), read)]


# ------------------------------------------------------------------------------- encoding

def encode_argument(value, arguments: tuple | None = None) -> dict:
    """A probe the judge sends (its own values: tensors, numbers, strings, lists, and the
    checks' :class:`~nncourse.checks.Affine` functions, rebuilt in the kernel from two numbers)."""
    from ...checks import Affine, BatchMarker

    if isinstance(value, torch.Tensor) and _course_view(value) is not None:
        return _course_view(value)
    if isinstance(value, torch.Tensor) and value.numel() * value.element_size() <= agent.DIGEST_BYTES:
        return agent._tensor(value, torch)
    if isinstance(value, Affine):
        return {"k": "affine", "scale": agent.encode(value.scale), "shift": agent.encode(value.shift)}
    if isinstance(value, BatchMarker):
        return {"k": "batch_marker", "shape": list(value.shape), "scale": agent.encode(value.scale),
                "label_shift": value.label_shift}
    if isinstance(value, (list, tuple)):
        return {"k": type(value).__name__, "v": [encode_argument(item, arguments) for item in value]}
    if isinstance(value, torch.Tensor):
        name = _course_name(value)
        if name is None:
            raise JudgeError("a large tensor that is not one of the course's data tensors")
        return {"k": "course_tensor", "name": name}
    if type(value) is TensorDataset:
        return {"k": "dataset", "tensors": [encode_argument(tensor) for tensor in value.tensors]}
    if type(value) is DataLoader:
        return {"k": "loader", "dataset": encode_argument(value.dataset), "batch_size": value.batch_size,
                "shuffle": isinstance(value.sampler, RandomSampler), "drop_last": value.drop_last}
    kind = getattr(type(value), "judge_kind", None)
    if type(value) is torch.nn.Linear and (value.in_features, value.out_features) == (784, 10):
        kind = "linear"
    if isinstance(value, torch.nn.Module) and isinstance(kind, str):  # a stand-in model the agent builds
        return {"k": "judge_module", "kind": kind, "training": value.training,
                "parameters": [[name, agent._tensor(p, torch)] for name, p in value.named_parameters()],
                "grads": [[name, agent._tensor(p.grad, torch) if p.grad is not None else {"k": "none"}]
                          for name, p in value.named_parameters()]}
    if kind == "recording_loss":
        return {"k": "recording_loss"}
    if callable(value) and (getattr(value, "__module__", None), getattr(value, "__name__", None)) in KNOWN_FUNCTIONS:
        return {"k": "torch_function", "name": value.__name__}
    if isinstance(value, torch.optim.SGD):
        where = {id(p): [index, name] for index, arg in enumerate(arguments or ()) if isinstance(arg, torch.nn.Module)
                 for name, p in arg.named_parameters()}
        group = value.param_groups[0]
        if len(value.param_groups) != 1 or any(id(p) not in where for p in group["params"]):
            raise JudgeError("an optimizer whose parameters were not sent before it")
        return {"k": "sgd", "params": [where[id(p)] for p in group["params"]],
                "settings": [[key, agent.encode(group[key])] for key in ("lr", "momentum", "weight_decay")]}
    return agent.encode(value)


@functools.cache
def _course_storages() -> dict[int, str]:
    """Address of each storage of the course's data → the name of a tensor that starts it."""
    from ...checks import reference_data

    data = reference_data()
    found = {}
    for name in ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test"):
        found.setdefault(getattr(data, name).untyped_storage().data_ptr(), name)
    return found


def _course_view(tensor: torch.Tensor) -> dict | None:
    """A probe that is a view of the course's data (a slice of x_valid, reshaped or not)
    crosses as where it lies in that data; the kernel takes the same view of its own copy
    (validation images are not sent as bytes, batch after batch)."""
    if tensor.device.type != "cpu" or tensor.requires_grad or type(tensor) is not torch.Tensor:
        return None
    name = _course_storages().get(tensor.untyped_storage().data_ptr())
    if name is None:
        return None
    return {"k": "course_view", "name": name, "shape": list(tensor.shape), "stride": list(tensor.stride()),
            "offset": tensor.storage_offset(), "dtype": str(tensor.dtype).removeprefix("torch.")}


def _course_name(tensor: torch.Tensor) -> str | None:
    """``x_train``, ``y_valid``...: which of the course's data tensors ``tensor`` equals."""
    from ...checks import reference_data

    data = reference_data()
    for name in ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test"):
        known = getattr(data, name)
        if tensor is known or (tensor.shape == known.shape and tensor.dtype == known.dtype and torch.equal(tensor, known)):
            return name
    return None


def mirror_arguments(args: tuple, answer: dict) -> None:
    """After a call, the judge's stand-ins that were sent (models, their optimizer, a recording
    loss) take the state their copies in the kernel ended with: a model its parameters, their
    gradients and its mode; a recorder what it recorded (its ``judge_update``)."""
    after = answer.get("arguments")
    if not isinstance(after, list) or len(after) != len(args):
        return
    for arg, item in zip(args, after):
        if not isinstance(item, dict) or item.get("k") == "none":
            continue
        if isinstance(arg, torch.nn.Module) and item.get("k") == "module":
            values = {e[0]: e[1] for e in item.get("parameters", []) if isinstance(e, list) and len(e) == 2}
            grads = {e[0]: e[1] for e in item.get("grads", []) if isinstance(e, list) and len(e) == 2}
            for name, parameter in arg.named_parameters():
                value = _decode_tensor(values.get(name))
                if value.shape != parameter.shape:
                    raise JudgeError("malformed argument")
                with torch.no_grad():
                    parameter.copy_(value)
                grad = grads.get(name)
                parameter.grad = None if grad in (None, {"k": "none"}) else _decode_tensor(grad)
            nodes = item.get("nodes")
            if isinstance(nodes, list) and nodes and isinstance(nodes[0], dict):
                arg.train(nodes[0].get("training") is True)
        update = getattr(arg, "judge_update", None)
        if update is not None:
            try:
                update(item)
            except (TypeError, ValueError, KeyError) as error:
                raise JudgeError("malformed record") from error


def decode(item, ask: Ask, depth: int = 0, arguments: tuple = ()):
    """A learner value from its JSON form: plain data only, checked on the way in. Functions,
    classes and modules come with handles the judge calls them back by (through ``ask``)."""
    if not isinstance(item, dict) or depth > agent.MAX_DEPTH + 1:
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
    if kind in ("list", "tuple") and isinstance(value, list) and len(value) <= agent.MAX_ITEMS:
        items = [decode(entry, ask, depth + 1, arguments) for entry in value]
        return items if kind == "list" else tuple(items)
    if kind == "dict" and isinstance(value, list) and len(value) <= agent.MAX_ITEMS:
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in value):
            raise JudgeError("malformed dict")
        return {str(key): decode(entry, ask, depth + 1, arguments) for key, entry in value}
    if kind == "dtype" and value in DTYPES:
        return DTYPES[value]
    if kind == "device" and isinstance(value, str) and len(value) <= 40:
        return torch.device(value)
    if kind == "tensor":
        return _decode_tensor(item)
    if kind == "digest":
        return _decode_digest(item, getattr(ask, "sample", None))
    if kind == "dataset":
        argument = item.get("argument")
        if type(argument) is int and 0 <= argument < len(arguments) and type(arguments[argument]) is TensorDataset:
            return arguments[argument]  # the judge's own dataset, handed back
        tensors = item.get("tensors")
        if not isinstance(tensors, list) or len(tensors) > 16:
            raise JudgeError("malformed dataset")
        decoded = [decode(entry, ask, depth + 1) for entry in tensors]
        if not all(isinstance(tensor, torch.Tensor) for tensor in decoded):
            raise JudgeError("malformed dataset")
        try:
            return TensorDataset(*decoded)
        except (AssertionError, ValueError) as error:
            raise JudgeError("a TensorDataset whose tensors differ in length") from error
    if kind == "loader":
        return _decode_loader(item, ask, depth, arguments)
    if kind == "function":
        name, module = str(item.get("name", "?"))[:100], str(item.get("module", ""))
        if (module, name) in KNOWN_FUNCTIONS:
            return getattr(importlib.import_module(module), name)
        return RemoteFunction(name, item.get("handle"), ask, item.get("signature"))
    if kind == "class":
        return remote_class(item, ask)
    if kind == "module":
        return rebuild_module(item, ask)
    if kind == "optimizer":
        return _decode_optimizer(item, ask)
    if kind == "object":
        return remote_object(item, ask)
    raise JudgeError(f"unexpected value kind {kind!r}")


def _decode_optimizer(item: dict, ask: Ask) -> OptimizerValue:
    groups = item.get("groups")
    if not isinstance(groups, list) or len(groups) > 100:
        raise JudgeError("malformed optimizer")
    param_groups = []
    for group in groups:
        if not isinstance(group, dict):
            raise JudgeError("malformed optimizer group")
        settings, params = group.get("settings"), group.get("params")
        if not isinstance(settings, list) or not isinstance(params, list) or len(params) > agent.MAX_ITEMS \
                or not all(isinstance(pair, list) and len(pair) == 2 for pair in settings):
            raise JudgeError("malformed optimizer group")
        decoded = {str(key)[:100]: decode(value, ask, 1) for key, value in settings}
        decoded["params"] = [TensorRef(identity) for identity in params if type(identity) is int]
        param_groups.append(decoded)
    steps = item.get("steps")
    cls = named(OptimizerValue, item.get("type"), "Optimizer")
    return cls(param_groups, steps if type(steps) is int and steps >= 0 else 0,
               str(item.get("module", "")).startswith("torch.optim."), item.get("identity"),
               getattr(ask, "parameters", {}))


#: Samplers a rebuilt DataLoader may have (shuffle=True or not).
SAMPLERS = {("RandomSampler", "torch.utils.data.sampler"): True, ("SequentialSampler", "torch.utils.data.sampler"): False}


def _decode_loader(item: dict, ask: Ask, depth: int, arguments: tuple = ()) -> DataLoader:
    """A learner's DataLoader rebuilt as a genuine one with the same settings, over the dataset
    it holds (by value: the course's data tensors are recognised by their fingerprints)."""
    dataset = decode(item.get("dataset"), ask, depth + 1, arguments)
    batch_size = decode(item.get("batch_size"), ask, depth + 1)
    sampler = item.get("sampler")
    shuffle = SAMPLERS.get(tuple(sampler) if isinstance(sampler, list) else None)
    if shuffle is None or item.get("default_collate") is not True:
        raise JudgeError("a DataLoader with its own sampler or collate_fn")
    if not isinstance(dataset, TensorDataset) or not (batch_size is None or (type(batch_size) is int and batch_size > 0)):
        raise JudgeError("a DataLoader the judge cannot rebuild")
    with torch.random.fork_rng(devices=[]):
        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=item.get("drop_last") is True)


@functools.cache
def _course_tensors() -> dict[tuple, torch.Tensor]:
    """The course's data tensors by fingerprint (dtype, shape, SHA-256), as the agent makes it."""
    from ...checks import reference_data

    known = {}
    for tensor in reference_data():
        item = agent._tensor(tensor, torch, 0)
        known[(item["dtype"], tuple(item["shape"]), item["sha256"])] = tensor
    return known


def _rows_agree(known: torch.Tensor, rows: object, sample: object) -> bool:
    """The rows the judge drew, as the kernel sent them, are the course's own rows."""
    if not isinstance(sample, list) or not sample or not isinstance(rows, dict) or not len(known):
        return False
    wanted = {str(number % len(known)) for number in sample}
    if set(rows) != wanted:
        return False
    for index, data in rows.items():
        row = agent._tensor(known[int(index)], torch)["data"]
        if data != row:
            return False
    return True


def _decode_digest(item: dict, sample: object = None) -> torch.Tensor:
    """A large tensor by its fingerprint: the course's own tensor when the bytes are the same;
    otherwise a stand-in of the same dtype and shape that equals nothing (NaN, or -1)."""
    dtype, shape, digest = DTYPES.get(item.get("dtype")), item.get("shape"), item.get("sha256")
    if dtype is None or not isinstance(shape, list) or len(shape) > MAX_DIMS or not all(
            type(side) is int and 0 <= side for side in shape) or not isinstance(digest, str):
        raise JudgeError("malformed tensor")
    known = _course_tensors().get((item["dtype"], tuple(shape), digest))
    if known is not None and _rows_agree(known, item.get("rows"), sample):
        return known
    filler = math.nan if dtype.is_floating_point else (False if dtype == torch.bool else -1)
    return torch.tensor(filler, dtype=dtype).expand(shape)


def _decode_tensor(item: dict) -> torch.Tensor:
    if not isinstance(item, dict) or item.get("k") != "tensor":
        raise JudgeError("malformed tensor")
    dtype, shape = DTYPES.get(item.get("dtype")), item.get("shape")
    if dtype is None or not isinstance(shape, list) or len(shape) > MAX_DIMS or not all(
            type(side) is int and 0 <= side for side in shape):
        raise JudgeError("malformed tensor")
    device = item.get("device")
    if device == "meta":  # a shape without data (lesson 10's pretend device)
        tensor = torch.empty(shape, dtype=dtype, device="meta")
        return tensor.requires_grad_() if item.get("requires_grad") is True and tensor.is_floating_point() else tensor
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
    if isinstance(device, str) and device != "cpu":  # an accelerator's tensor: put back where it was
        try:
            tensor = tensor.to(torch.device(device[:40]))
        except (RuntimeError, ValueError) as error:
            raise JudgeError(f"a tensor on {device[:40]}, a device the grader cannot use") from error
    if item.get("requires_grad") is True and tensor.is_floating_point():
        tensor.requires_grad_()
        if item.get("is_leaf") is False:
            tensor = tensor * 1  # a result of a computation, as the learner's was
    return tensor


def request_source(request: dict, agent_sent: bool = False) -> str:
    """The code of a request cell. The first of a kernel carries the agent's source, run in a
    namespace of its own, which also leaves its reply function on the shell; later ones call that
    (compiling the agent costs a request 12 ms). A kernel that dropped or replaced it answers
    nothing or something else, which the judge treats like any answer."""
    if agent_sent:
        return f"get_ipython().{agent.SHELL_ATTRIBUTE}({json.dumps(request)!r})"
    return (f"exec(compile({AGENT_SOURCE!r}, '<nncourse-judge>', 'exec'), "
            f"{{'__name__': 'nncourse_judge_agent', 'REQUEST_JSON': {json.dumps(request)!r}, "
            f"'SHELL': get_ipython()}})")


def read_reply(outputs: list, nonce: str) -> dict:
    """The agent's answer among a request cell's outputs."""
    for output in outputs:
        text = output.get("data", {}).get(agent.MIME) if output.get("output_type") == "display_data" else None
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

    from ... import checks

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


_optimizers_warm = False


def warm_up(lessons) -> None:
    """What a worker's first judged cells of ``lessons`` would otherwise wait for, done ahead
    (while its kernel starts, or while it grades the lesson before): their graders imported, the
    course's data loaded and fingerprinted, and, for a lesson whose grader deals with optimizers,
    the import torch's optimizers make on first use (torch._dynamo, over a second of CPU: a class
    of lessons without optimizers never pays it)."""
    global _optimizers_warm

    for lesson in lessons:
        try:
            module = grader_module(lesson)
            source = Path(module.__file__).read_text(encoding="utf-8")
        except (ImportError, IndexError, OSError):
            continue
        if "optim" in source and not _optimizers_warm:
            torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
            _optimizers_warm = True
    _course_tensors()


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
    from ...checks import CheckFailed
    from ...verdict import CALLED_LEARNER, NOTE, RESET, verdict_lines

    if isinstance(error, CheckFailed):
        lines = verdict_lines(error)
        called = getattr(error.__cause__, "learner_traceback", None)
        if called:
            lines += ["", f"{NOTE}{CALLED_LEARNER}{RESET}", *called]
    else:
        lines = [f"{type(error).__name__}: {error}"]
    outputs = [stream(printed)] if printed else []
    outputs.append(nbformat.v4.new_output("error", ename=type(error).__name__, evalue=str(error),
                                          traceback=lines))
    return outputs


def cause_of(error: BaseException) -> str:
    """The stable id of why a test cell failed (see nncourse.checks.diagnosis): a failed check's
    own; ``timeout`` when the kernel did not answer in time; else the exception's type."""
    from ...checks import ERROR_PREFIX, UNDIAGNOSED, CheckFailed
    from ..causes import TIMEOUT

    if isinstance(error, CheckFailed):
        return error.cause
    if isinstance(error, JudgeError):
        return TIMEOUT if "Timeout" in str(error) else ERROR_PREFIX + "unreadable value"
    if type(error) is AssertionError:  # a hidden test's bare assert
        return UNDIAGNOSED
    return ERROR_PREFIX + type(error).__name__


def submitted_history(cells: list) -> list[str]:
    """What IPython's ``In`` would hold after the code ``cells`` ran (their sources, magics
    turned into Python as IPython turns them), taken from the submitted notebook: a check that
    reads the learner's code (nncourse.graders.source) gets it from the file the learner handed
    in, not from the kernel, where learner code could have rewritten ``In``."""
    from IPython.core.inputtransformer2 import TransformerManager

    transform = TransformerManager().transform_cell
    history = [""]
    for cell in cells:
        if cell.get("cell_type") == "code":
            try:
                history.append(transform(cell.get("source", "")))
            except Exception:  # not Python IPython can read: the cell is left out, as a SyntaxError is
                continue
    return history


def grade_cell(source: str, lesson: str, ask: Ask,
               history: Callable[[], list[str]] | None = None) -> tuple[bool, list, BaseException | None]:
    """Run one test cell's trusted ``source`` here on the learner's values: (passed, outputs,
    the exception that failed it or None); :func:`cause_of` names its cause.

    ``ask(request)`` sends one request to the learner's kernel and returns the agent's answer
    (see :mod:`nncourse.grading.judge.agent`; it may raise :class:`JudgeError`). ``history``, when
    given, makes the cell's ``In`` (:func:`submitted_history`), called only for a cell that reads
    ``In``, which is then never read from the kernel.
    """
    from ... import checks

    namespace = judge_namespace(lesson)
    printed = io.StringIO()
    ask = ask if isinstance(ask, Link) else Link(ask)
    # Probes drawn now: a new shift for the checks' probe generators, a new state for torch's
    # global generator (a hidden test's torch.randn), so no answer can be prepared for them.
    checks.PROBE_SHIFT = secrets.randbelow(2 ** 31)
    torch.manual_seed(secrets.randbits(62))
    try:
        names = learner_names(source, namespace)
        if history is not None and "In" in names:
            namespace["In"] = history()
            names.remove("In")
        values = ask({"op": "values", "names": names, "fresh": True}) if names else {}
        for name in names:
            item = values.get(name)
            if item is None or (isinstance(item, dict) and item.get("k") == "missing"):
                continue  # the cell raises NameError, as it would in the kernel
            namespace[name] = decode(item, ask)
            ask.remember(name, namespace[name])
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            exec(compile(source, "<test cell>", "exec"), namespace)
    except JudgeError as error:
        from ...checks import CheckFailed

        return False, failure(CheckFailed(f"{NOT_READ}: {error}"), printed.getvalue()), error
    except Exception as error:  # a failed check, an assert of a hidden test, a NameError...
        return False, failure(error, printed.getvalue()), error
    finally:
        checks.PROBE_SHIFT = 0
    return True, [stream(printed.getvalue())] if printed.getvalue() else [], None
