"""What the judge sends into a learner's kernel to read values out of it, as source text.

The judge (nncourse.grading.judge) never imports anything into the learner's kernel and never
trusts what comes back: it sends this file's source with the first request of a kernel, run in a
namespace of its own (``exec`` with fresh globals), which leaves its reply function on the shell
for later requests, and reads each reply, plain JSON, from a display output of :data:`MIME`. Learner code can change or replace any of this inside its kernel; the most it can
do is answer with other data, which the judge checks like any answer.

Requests (``REQUEST_JSON``, a JSON object):

- ``{"op": "values", "names": [...]}``: the value of each name in the learner's namespace;
- ``{"op": "call", "handle": h, "args": [...], "rng": tensor, "grad": bool, "parameters": [...]}``:
  call a learner function, class or module the judge saw earlier (by its handle) with these
  arguments, torch's random state the judge chose (the kernel's own is kept) and, for a module,
  the judge's values of its parameters (loaded for the call, then put back);
- ``{"op": "vjp", ...the same..., "grad_output": tensor}``: the same call of a module with
  autograd on, and the gradients of ``(output * grad_output).sum()`` for its parameters (the
  judge's backward pass through a learner's forward).

Encoding (both ways): ``{"k": kind, ...}`` with kinds none, bool, int, float, str, list, tuple,
dict (string keys), dtype, device, tensor (raw bytes in base64 with dtype, shape and autograd
flags), module (every submodule's class, settings and mode, and the parameters), function and
class (a handle to call them by), optimizer, missing, raised and object (type name and a short
repr). Handles live in the kernel for one judged cell (:func:`handles`).
"""

# This file runs as given inside the learner's kernel (nothing imported from the course): keep
# it self-contained and on the standard library plus torch.

import base64
import hashlib
import json
import types

MIME = "application/x-nncourse-judge+json"
#: Where the kernel's shell keeps the reply function after the first request (see keep).
SHELL_ATTRIBUTE = "_nncourse_judge_reply"
MAX_ITEMS = 10_000
MAX_DEPTH = 6
MAX_STR = 100_000
MAX_REPR = 300
#: The judge's arguments of the call being answered (a result may hand one back: see "dataset").
ARGUMENTS = []
#: Numbers the judge drew for this request: a fingerprinted tensor also sends these rows (each
#: number modulo its length) raw, which the judge compares with its own data.
SAMPLE = []
#: A tensor larger than this crosses as its fingerprint (dtype, shape, SHA-256 of its bytes): the
#: judge knows the course's data tensors by theirs (x_train is 157 MB).
DIGEST_BYTES = 8 * 1024 * 1024
#: Settings of torch's own layers the judge rebuilds them from (plain values only).
LAYER_SETTINGS = ("in_features", "out_features", "in_channels", "out_channels", "kernel_size", "stride",
                  "padding", "dilation", "groups", "padding_mode", "output_size", "start_dim", "end_dim",
                  "inplace", "dim", "ceil_mode", "count_include_pad", "negative_slope", "p")


def _short_repr(value):
    try:
        text = repr(value)
    except Exception as error:  # a learner's __repr__, any mistake
        text = f"<repr failed: {type(error).__name__}>"
    return text if len(text) <= MAX_REPR else text[:MAX_REPR - 3] + "..."


def _tensor(value, torch, digest_over=None):
    if value.device.type == "meta":  # a shape without data (lesson 10's pretend device)
        return {"k": "tensor", "dtype": str(value.dtype).removeprefix("torch."), "shape": list(value.shape),
                "data": "", "requires_grad": bool(value.requires_grad), "is_leaf": bool(value.is_leaf),
                "device": "meta", "subclass": None}
    flat = torch.Tensor.detach(value).to("cpu").contiguous().reshape(-1)
    as_bytes = flat.to(torch.uint8) if flat.dtype == torch.bool else flat.view(torch.uint8)
    if digest_over is not None and as_bytes.numel() > digest_over:
        rows = {}
        if value.dim() >= 1 and value.shape[0] > 0:
            for number in SAMPLE[:8]:
                index = int(number) % value.shape[0]
                row = torch.Tensor.detach(value[index]).to("cpu").contiguous().reshape(-1)
                row = row.to(torch.uint8) if row.dtype == torch.bool else row.view(torch.uint8)
                rows[str(index)] = base64.b64encode(row.numpy().tobytes()).decode("ascii")
        return {"k": "digest", "dtype": str(value.dtype).removeprefix("torch."), "shape": list(value.shape),
                "sha256": hashlib.sha256(as_bytes.numpy().data).hexdigest(), "rows": rows}
    raw = as_bytes.numpy().tobytes()
    return {"k": "tensor", "dtype": str(value.dtype).removeprefix("torch."), "shape": list(value.shape),
            "data": base64.b64encode(raw).decode("ascii"), "requires_grad": bool(value.requires_grad),
            "is_leaf": bool(value.is_leaf), "device": str(value.device),
            "subclass": None if type(value) in (torch.Tensor, torch.nn.Parameter) else type(value).__name__}


def _handle(value, handles):
    """A number the judge calls ``value`` back by (None when the request keeps no handles)."""
    if handles is None:
        return None
    handles.append(value)
    return len(handles) - 1


def _plain(value):
    return type(value) in (int, float, bool, str, type(None)) or (
        type(value) is tuple and all(type(item) in (int, float) for item in value))


def _module(value, torch, handles):
    """An nn.Module by value: each submodule's class, mode, settings and handle; the parameters."""
    named = list(value.named_parameters())[:MAX_ITEMS]
    nodes = []
    for path, module in list(value.named_modules())[:MAX_ITEMS]:
        settings = {key: encode(getattr(module, key)) for key in LAYER_SETTINGS
                    if key in vars(module) and _plain(vars(module)[key])}
        tensors = [key for key, item in vars(module).items() if isinstance(item, torch.Tensor)][:100]
        nodes.append({"path": path, "type": type(module).__name__, "module": type(module).__module__,
                      "training": bool(module.training), "settings": settings, "tensors": tensors,
                      "handle": _handle(module, handles)})
    return {"k": "module", "type": type(value).__name__, "module": type(value).__module__,
            "parameters": [[name, _tensor(parameter, torch)] for name, parameter in named],
            "grads": [[name, _tensor(parameter.grad, torch) if isinstance(parameter.grad, torch.Tensor) else {"k": "none"}]
                      for name, parameter in named],
            "identities": [id(parameter) for _, parameter in named], "nodes": nodes}


def _optimizer(value):
    """An optimizer by value: its class, each group's plain settings and the identities of the
    tensors it updates, and how many steps the course's step counter saw (lesson 06)."""
    import sys

    counter = sys.modules.get("nncourse.graders.optim")
    steps = counter.steps_taken(value) if counter is not None else 0
    groups = []
    for group in list(value.param_groups)[:100]:
        settings = [[key, encode(item)] for key, item in group.items()
                    if key != "params" and type(key) is str and type(item) in (int, float, bool, str, type(None))]
        groups.append({"settings": settings, "params": [id(p) for p in list(group["params"])[:MAX_ITEMS]]})
    return {"k": "optimizer", "type": type(value).__name__, "module": type(value).__module__,
            "groups": groups, "steps": int(steps), "identity": id(value)}


def encode(value, depth=0, handles=None):
    import torch

    kind = type(value)
    if value is None:
        return {"k": "none"}
    if kind is bool:
        return {"k": "bool", "v": value}
    if isinstance(value, int) and kind is not bool:
        return {"k": "int", "v": int.__repr__(value)}
    if isinstance(value, float):  # numpy's float64 too (np.average returns one), as its plain value
        return {"k": "float", "v": float.__repr__(value)}
    if kind is str:
        return {"k": "str", "v": value[:MAX_STR]}
    if kind in (list, tuple) and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
        return {"k": kind.__name__, "v": [encode(item, depth + 1, handles) for item in value]}
    if kind is dict and depth < MAX_DEPTH and len(value) <= MAX_ITEMS and all(type(key) is str for key in value):
        return {"k": "dict", "v": [[key, encode(item, depth + 1, handles)] for key, item in value.items()]}
    if isinstance(value, torch.dtype):
        return {"k": "dtype", "v": str(value).removeprefix("torch.")}
    if isinstance(value, torch.device):
        return {"k": "device", "v": str(value)}
    if isinstance(value, torch.Tensor):
        return _tensor(value, torch, DIGEST_BYTES)
    if type(value) is torch.utils.data.TensorDataset and depth < MAX_DEPTH:
        argument = next((i for i, arg in enumerate(ARGUMENTS) if arg is value), None)
        return {"k": "dataset", "tensors": [encode(t, depth + 1, handles) for t in list(value.tensors)[:16]],
                "argument": argument}
    if type(value) is torch.utils.data.DataLoader and depth < MAX_DEPTH:
        sampler = type(value.sampler)
        return {"k": "loader", "dataset": encode(value.dataset, depth + 1, handles), "batch_size": encode(value.batch_size),
                "drop_last": bool(value.drop_last), "sampler": [sampler.__name__, sampler.__module__],
                "default_collate": value.collate_fn is torch.utils.data.default_collate}
    if isinstance(value, torch.nn.Module):
        return _module(value, torch, handles)
    if isinstance(value, torch.optim.Optimizer):
        return _optimizer(value)
    if isinstance(value, type):
        return {"k": "class", "name": value.__name__, "module": value.__module__ or "",
                "module_class": issubclass(value, torch.nn.Module), "handle": _handle(value, handles)}
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return {"k": "function", "name": getattr(value, "__name__", "?"),
                "module": getattr(value, "__module__", None) or "", "handle": _handle(value, handles),
                "signature": _signature(value)}
    return {"k": "object", "type": kind.__name__, "module": getattr(kind, "__module__", ""),
            "repr": _short_repr(value), "handle": _handle(value, handles),
            "iterable": hasattr(kind, "__iter__"), "sized": hasattr(kind, "__len__")}


def decode(item):
    """Arguments from the judge (trusted here: they are the judge's own probes)."""
    import torch

    kind = item["k"]
    if kind == "none":
        return None
    if kind in ("bool", "str"):
        return item["v"]
    if kind == "int":
        return int(item["v"])
    if kind == "float":
        return float(item["v"])
    if kind in ("list", "tuple"):
        values = [decode(x) for x in item["v"]]
        return values if kind == "list" else tuple(values)
    if kind == "dtype":
        return getattr(torch, item["v"])
    if kind == "course_view":  # a view of the course's data: the same view of the kernel's data
        import nncourse.data

        base = getattr(nncourse.data.shared_mnist(), item["name"])
        if str(base.dtype).removeprefix("torch.") != item["dtype"]:
            raise ValueError("the course's data has another dtype here")
        return torch.as_strided(base, item["shape"], item["stride"], item["offset"]).clone()
    if kind == "course_tensor":  # one of the course's data tensors (x_train...), the kernel's own
        import nncourse.data

        return getattr(nncourse.data.shared_mnist(), item["name"])
    if kind == "dataset":
        return torch.utils.data.TensorDataset(*[decode(t) for t in item["tensors"]])
    if kind == "loader":
        return torch.utils.data.DataLoader(decode(item["dataset"]), batch_size=item["batch_size"],
                                           shuffle=item["shuffle"], drop_last=item["drop_last"])
    if kind == "judge_module":  # one of the checks' stand-in models, with the judge's parameters
        module = _STAND_INS[item["kind"]](torch)
        mine = dict(module.named_parameters())
        with torch.no_grad():
            for name, value in item["parameters"]:
                mine[name].copy_(decode(value))
        for name, value in item.get("grads", []):
            mine[name].grad = decode(value)
        return module.train(item["training"])
    if kind == "recording_loss":
        return _RecordingLoss(torch)
    if kind == "torch_function":
        import torch.nn.functional

        return getattr(torch.nn.functional, item["name"])
    if kind == "sgd":  # the checks' optimizer over parameters of the modules sent before it
        params = [dict(ARGUMENTS[index].named_parameters())[name] for index, name in item["params"]]
        optimizer = _CountingSGD(torch)(params, **{key: decode(value) for key, value in item["settings"]})
        return optimizer
    if kind == "batch_marker":  # the checks' probe function for (xb, yb) batches
        shape, scale, shift = item["shape"], decode(item["scale"]), item["label_shift"]
        return lambda xb, yb: (xb.view(*shape) * scale, yb + shift)
    if kind == "affine":  # one of the checks' probe functions: x * scale + shift
        scale, shift = decode(item["scale"]), decode(item["shift"])
        return lambda x: x * scale + shift
    if kind == "device":
        return torch.device(item["v"])
    if kind == "tensor" and item.get("device") == "meta":
        return torch.empty(item["shape"], dtype=getattr(torch, item["dtype"]), device="meta")
    if kind == "tensor":
        dtype = getattr(torch, item["dtype"])
        raw = bytearray(base64.b64decode(item["data"]))
        if dtype == torch.bool:
            flat = torch.frombuffer(raw, dtype=torch.uint8).to(torch.bool) if raw else torch.empty(0, dtype=dtype)
        else:
            flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        return flat.reshape(item["shape"]).clone().to(item.get("device") or "cpu")
    raise ValueError(f"unknown argument kind {kind!r}")


def _probe_logistic(torch):
    class ProbeLogistic(torch.nn.Module):
        """Lesson 04's stand-in model, with other parameter names than the lesson's."""

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(784, 10))
            self.b = torch.nn.Parameter(torch.zeros(10))

        def forward(self, xb):
            return xb @ self.w + self.b

    return ProbeLogistic()


def _linear(torch):
    return torch.nn.Linear(784, 10)


def _logistic(torch):
    class Mnist_Logistic(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(784, 10)

        def forward(self, xb):
            return self.lin(xb)

    return Mnist_Logistic()


def _recording_linear(torch):
    class RecordingModel(torch.nn.Module):
        """Notes the batch size, the mode and whether gradients are recorded at every call."""

        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(784, 10)
            self.calls = []

        def forward(self, xb):
            self.calls.append([len(xb), bool(self.training), bool(torch.is_grad_enabled())])
            return self.lin(xb)

    return RecordingModel()


class _RecordingLoss:
    """Cross-entropy that notes every value it computed and the batch size."""

    def __init__(self, torch):
        self.torch = torch
        self.calls = []

    def __call__(self, out, yb):
        loss = self.torch.nn.functional.cross_entropy(out, yb)
        self.calls.append([float(loss.item()), len(yb)])
        return loss


def _CountingSGD(torch):
    class CountingSGD(torch.optim.SGD):
        steps = 0

        def step(self, closure=None):
            self.steps += 1
            return super().step(closure)

    return CountingSGD


#: The checks' stand-in models, built here from their kind (see nncourse.graders: judge_kind).
_STAND_INS = {"probe_logistic": _probe_logistic, "linear": _linear, "logistic": _logistic,
              "recording_linear": _recording_linear}


def _state(value, torch):
    """What a stand-in the judge sent ended the call with (mirrored onto the judge's object)."""
    if isinstance(value, torch.nn.Module):
        item = encode(value)
        item["calls"] = list(getattr(value, "calls", []))[:MAX_ITEMS]
        return item
    if isinstance(value, _RecordingLoss):
        return {"k": "recorded", "calls": value.calls[:MAX_ITEMS]}
    if isinstance(value, torch.optim.Optimizer):
        return {"k": "recorded", "steps": int(getattr(value, "steps", 0))}
    return {"k": "none"}


def _signature(function):
    """[name, kind, has a default] of each parameter (None when Python cannot tell)."""
    import inspect

    try:
        parameters = list(inspect.signature(function).parameters.values())[:100]
    except (TypeError, ValueError):
        return None
    return [[p.name, p.kind.name, p.default is not p.empty] for p in parameters]


def _learner_frames(error):
    """IPython's lines for the learner's own frames (this file's frame left out)."""
    try:
        shell = get_ipython()  # noqa: F821 (the kernel's builtin)
        tb = error.__traceback__.tb_next if error.__traceback__ is not None else None
        lines = shell.InteractiveTB.structured_traceback(type(error), error, tb, tb_offset=0)
        return [str(line)[:2000] for line in lines[:200]]
    except Exception:  # no traceback is better than no verdict
        return []


def _call(request, handles, namespace):
    """Call a handle's function, class or module as the request says: (result, gradients, the
    globals asked for). Meanwhile, and put back afterwards: the learner's tensors the judge
    changed (``globals``) hold the judge's values, the function's globals named in
    ``set_globals`` hold the judge's objects, a module's parameters hold the judge's values."""
    import os

    import torch

    target = handles[request["handle"]]
    replaced, missing = {}, object()
    names, loaded, saved, touched, kept = [], [], [], [], []
    modes = [(module, module.training) for module in target.modules()] if isinstance(target, torch.nn.Module) else []
    progress = os.environ.get("NNCOURSE_PROGRESS")
    try:
        for arg in request["args"]:  # one by one: an optimizer refers to the models before it
            ARGUMENTS.append(decode(arg))
        args = list(ARGUMENTS)
        scope = getattr(target, "__globals__", namespace)
        for name, item in request.get("set_globals", []):
            ARGUMENTS.append(decode(item))
            replaced[name] = scope.get(name, missing)
            scope[name] = ARGUMENTS[-1]
        os.environ["NNCOURSE_PROGRESS"] = "0"  # no progress bars while the judge calls
        for name, item in request.get("globals", []):
            value, current = decode(item), namespace.get(name)
            if isinstance(current, torch.Tensor) and current.shape == value.shape and current.dtype == value.dtype:
                touched.append(current)
                kept.append(current.detach().clone())
                with torch.no_grad():
                    current.copy_(value)
        if isinstance(target, torch.nn.Module):
            mine = dict(target.named_parameters())
            for name, item in request.get("parameters", []):
                value = decode(item)
                if name in mine and mine[name].shape == value.shape:
                    names.append(name)
                    loaded.append(mine[name])
                    saved.append(mine[name].detach().clone())
                    with torch.no_grad():
                        mine[name].copy_(value)
        if modes and isinstance(request.get("training"), bool):
            target.train(request["training"])
        wanted = "grad_output" in request
        with torch.random.fork_rng(devices=[]), torch.set_grad_enabled(wanted or bool(request.get("grad"))):
            if request.get("rng") is not None:
                torch.set_rng_state(decode(request["rng"]))
            result = target(*args)
            gradients = None
            if wanted:
                grad_output = decode(request["grad_output"])
                found = [None] * len(loaded)
                if isinstance(result, torch.Tensor) and result.requires_grad and loaded:
                    found = torch.autograd.grad(result, loaded, grad_output, allow_unused=True)
                gradients = list(zip(names, found))
        read = {name: scope.get(name) for name in request.get("read_globals", []) if name in scope}
        return result, gradients, read
    finally:
        for module, training in modes:
            module.training = training
        for name, value in replaced.items():
            if value is missing:
                scope.pop(name, None)
            else:
                scope[name] = value
        if progress is None:
            os.environ.pop("NNCOURSE_PROGRESS", None)
        else:
            os.environ["NNCOURSE_PROGRESS"] = progress
        with torch.no_grad():
            for tensor, value in zip(loaded + touched, saved + kept):
                tensor.copy_(value)


def answer(request, namespace, handles=None):
    import torch

    del ARGUMENTS[:]
    SAMPLE[:] = [number for number in request.get("sample", []) if type(number) is int][:8]
    if request["op"] == "values":
        return {name: encode(namespace[name], 0, handles) if name in namespace else {"k": "missing"}
                for name in request["names"]}
    if request["op"] in ("len", "iterate"):
        try:
            target = handles[request["handle"]]
            with torch.random.fork_rng(devices=[]):
                if request.get("rng") is not None:
                    torch.set_rng_state(decode(request["rng"]))
                if request["op"] == "len":
                    return {"result": encode(len(target))}
                items, exhausted = [], True
                for index, item in enumerate(target):  # a fresh iteration, as a for loop makes
                    if index >= request["start"] + request["count"]:
                        exhausted = False
                        break
                    if index >= request["start"]:
                        items.append(item)
            return {"result": encode(items, 0, handles), "exhausted": exhausted}
        except Exception as error:  # the learner's __len__ or __iter__, any mistake
            return {"result": {"k": "raised", "type": type(error).__name__, "message": str(error)[:2000],
                               "traceback": _learner_frames(error)}}
    if request["op"] in ("call", "vjp"):
        try:
            result, gradients, read = _call(request, handles, namespace)
        except Exception as error:  # the learner's code, any mistake: reported, not raised
            try:  # what the judge's stand-ins looked like when it happened
                after = [_state(arg, torch) for arg in ARGUMENTS]
            except Exception:
                after = None
            return {"result": {"k": "raised", "type": type(error).__name__, "message": str(error)[:2000],
                               "traceback": _learner_frames(error)}, "arguments": after}
        if gradients is not None:
            return {"result": {"k": "none"}, "gradients": [[name, encode(g)] for name, g in gradients]}
        if handles is not None:
            handles.append(result)  # kept alive for the cell: identities stay unique while the judge compares them
        after = [_state(arg, torch) for arg in ARGUMENTS]
        return {"result": encode(result, 0, handles), "arguments": after,
                "globals": {name: encode(value, 0, handles) for name, value in read.items()}}
    raise ValueError(f"unknown request {request['op']!r}")


def handles(shell, request):
    """The kernel's list of what the judge may call back, emptied when a judged cell begins
    (its first request says ``fresh``)."""
    table = getattr(shell, "_nncourse_judge_handles", None)
    if table is None or request.get("fresh"):
        table = []
        shell._nncourse_judge_handles = table
    return table


def reply(request, namespace, shell):
    """Publish the answer to ``request`` as one display output (what the judge reads)."""
    from IPython.display import publish_display_data

    answered = answer(request, namespace, handles(shell, request))
    publish_display_data({MIME: json.dumps({"nonce": request["nonce"], "answer": answered})})


def keep(shell):
    """Leave the reply function on the shell, for the judge's later requests to call."""
    setattr(shell, SHELL_ATTRIBUTE, lambda request_json: reply(json.loads(request_json), shell.user_ns, shell))


if __name__ == "nncourse_judge_agent":  # run by the judge's request cell, see module docstring
    keep(SHELL)  # noqa: F821 (given by the request cell)
    reply(json.loads(REQUEST_JSON), SHELL.user_ns, SHELL)  # noqa: F821
