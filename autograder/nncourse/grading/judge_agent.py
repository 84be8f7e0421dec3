"""What the judge sends into a learner's kernel to read values out of it, as source text.

The judge (nncourse.grading.judge) never imports anything into the learner's kernel and never
trusts what comes back: it sends this file's source with one request, run in a namespace of its
own (``exec`` with fresh globals), and reads the reply, plain JSON, from a display output of
:data:`MIME`. Learner code can change or replace any of this inside its kernel; the most it can
do is answer with other data, which the judge checks like any answer.

Requests (``REQUEST_JSON``, a JSON object):

- ``{"op": "values", "names": [...]}``: the value of each name in the learner's namespace;
- ``{"op": "call", "name": ..., "args": [...]}``: call the learner's function with these
  arguments (encoded as below) and return its result, or the exception it raised.

Encoding (both ways): ``{"k": kind, ...}`` with kinds none, bool, int, float, str, list, tuple,
dict (string keys), dtype, device, tensor (raw bytes in base64 with dtype, shape and autograd
flags), module (an nn.Module's class, submodule classes, mode and parameters; called back by
name), function (called back by name), missing, raised and object (type name and a short repr).
"""

# This file runs as given inside the learner's kernel (nothing imported from the course): keep
# it self-contained and on the standard library plus torch.

import base64
import json
import types

MIME = "application/x-nncourse-judge+json"
MAX_ITEMS = 10_000
MAX_DEPTH = 6
MAX_STR = 100_000
MAX_REPR = 300


def _short_repr(value):
    try:
        text = repr(value)
    except Exception as error:  # a learner's __repr__, any mistake
        text = f"<repr failed: {type(error).__name__}>"
    return text if len(text) <= MAX_REPR else text[:MAX_REPR - 3] + "..."


def _tensor(value, torch):
    flat = torch.Tensor.detach(value).to("cpu").contiguous().reshape(-1)
    if flat.dtype == torch.bool:
        raw = flat.to(torch.uint8).numpy().tobytes()
    else:
        raw = flat.view(torch.uint8).numpy().tobytes()
    return {"k": "tensor", "dtype": str(value.dtype).removeprefix("torch."), "shape": list(value.shape),
            "data": base64.b64encode(raw).decode("ascii"), "requires_grad": bool(value.requires_grad),
            "is_leaf": bool(value.is_leaf), "device": str(value.device),
            "subclass": None if type(value) in (torch.Tensor, torch.nn.Parameter) else type(value).__name__}


def _module(value, torch):
    """An nn.Module by value: its class, its submodules' classes, its mode and its parameters."""
    parameters = [[name, _tensor(parameter, torch)] for name, parameter in list(value.named_parameters())[:MAX_ITEMS]]
    modules = [[name, type(module).__name__, type(module).__module__]
               for name, module in list(value.named_modules())[:MAX_ITEMS]]
    identities = [id(parameter) for _, parameter in list(value.named_parameters())[:MAX_ITEMS]]
    return {"k": "module", "type": type(value).__name__, "module": type(value).__module__,
            "training": bool(value.training), "parameters": parameters, "modules": modules,
            "identities": identities}


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
            "groups": groups, "steps": int(steps)}


def encode(value, depth=0):
    import torch

    kind = type(value)
    if value is None:
        return {"k": "none"}
    if kind is bool:
        return {"k": "bool", "v": value}
    if kind is int:
        return {"k": "int", "v": str(value)}
    if kind is float:
        return {"k": "float", "v": repr(value)}
    if kind is str:
        return {"k": "str", "v": value[:MAX_STR]}
    if kind in (list, tuple) and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
        return {"k": kind.__name__, "v": [encode(item, depth + 1) for item in value]}
    if kind is dict and depth < MAX_DEPTH and len(value) <= MAX_ITEMS and all(type(key) is str for key in value):
        return {"k": "dict", "v": [[key, encode(item, depth + 1)] for key, item in value.items()]}
    if isinstance(value, torch.dtype):
        return {"k": "dtype", "v": str(value).removeprefix("torch.")}
    if isinstance(value, torch.device):
        return {"k": "device", "v": str(value)}
    if isinstance(value, torch.Tensor):
        return _tensor(value, torch)
    if isinstance(value, torch.nn.Module):
        return _module(value, torch)
    if isinstance(value, torch.optim.Optimizer):
        return _optimizer(value)
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return {"k": "function", "name": getattr(value, "__name__", "?"),
                "module": getattr(value, "__module__", None) or ""}
    return {"k": "object", "type": kind.__name__, "module": getattr(kind, "__module__", ""),
            "repr": _short_repr(value)}


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
    if kind == "tensor":
        dtype = getattr(torch, item["dtype"])
        raw = bytearray(base64.b64decode(item["data"]))
        if dtype == torch.bool:
            flat = torch.frombuffer(raw, dtype=torch.uint8).to(torch.bool) if raw else torch.empty(0, dtype=dtype)
        else:
            flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        return flat.reshape(item["shape"]).clone()
    raise ValueError(f"unknown argument kind {kind!r}")


def _learner_frames(error):
    """IPython's lines for the learner's own frames (this file's frame left out)."""
    try:
        shell = get_ipython()  # noqa: F821 (the kernel's builtin)
        tb = error.__traceback__.tb_next if error.__traceback__ is not None else None
        lines = shell.InteractiveTB.structured_traceback(type(error), error, tb, tb_offset=0)
        return [str(line)[:2000] for line in lines[:200]]
    except Exception:  # no traceback is better than no verdict
        return []


def answer(request, namespace):
    if request["op"] == "values":
        return {name: encode(namespace[name]) if name in namespace else {"k": "missing"}
                for name in request["names"]}
    if request["op"] == "call":
        function = namespace.get(request["name"])
        try:
            result = function(*[decode(arg) for arg in request["args"]])
        except Exception as error:  # the learner's code, any mistake: reported, not raised
            return {"result": {"k": "raised", "type": type(error).__name__, "message": str(error)[:2000],
                               "traceback": _learner_frames(error)}}
        return {"result": encode(result)}
    raise ValueError(f"unknown request {request['op']!r}")


def reply(request, namespace):
    """Publish the answer to ``request`` as one display output (what the judge reads)."""
    from IPython.display import publish_display_data

    publish_display_data({MIME: json.dumps({"nonce": request["nonce"], "answer": answer(request, namespace)})})


if __name__ == "nncourse_judge_agent":  # run by the judge's request cell, see module docstring
    reply(json.loads(REQUEST_JSON), USER_NAMESPACE)  # noqa: F821 (given by the request cell)
