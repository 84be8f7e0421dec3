"""Grading guard: what one learner cell does must not decide how the other cells are graded.

Active only while nbgrader executes a notebook (``NBGRADER_EXECUTION`` is ``autograde`` or
``validate``); in JupyterLab and under nbval nothing changes. ``setup_lesson()`` in every
lesson's first code cell installs it. Before each cell it

1. **makes the time limit stick.** nbgrader interrupts a cell that runs past
   ``Execute.timeout`` with SIGINT. A loop that catches ``KeyboardInterrupt`` (or everything,
   with a bare ``except:``) would keep the kernel busy, and nbgrader then throws the whole
   submission away: no score, no feedback. Here the interrupt raises :class:`CellStopped`,
   which neither ``except KeyboardInterrupt`` nor ``except Exception`` catches, and raises it
   again at the next line of the cell's own code until the cell has ended;
2. **sends the learner's stderr to stdout.** nbgrader scores a test cell with any stderr
   output as 0, and a right answer that merely warned must keep its points. The warning is
   still shown, under a Korean note;
3. **puts the grading tools back.** The ``nncourse`` modules, the main torch namespaces,
   ``builtins`` and the notebook names bound to those modules (``grader``, ``check``,
   ``torch``, ``F``) are restored to what they were when the lesson was set up, so a learner
   cell that replaced a check (or ``torch.allclose``) cannot change what a later test cell
   runs. The restored names are listed in the cell's output.

A determined learner with the full Python language can still break out (Python has no
sandbox); the guard closes the easy ways and makes the attempt visible in the feedback.
"""

from __future__ import annotations

import builtins
import math
import os
import re
import signal
import sys
import types
import warnings

import torch
import torch.nn.functional
import torch.optim

GRADING_MODES = ("autograde", "validate")
#: Seconds between repeated stops of a cell that keeps catching them.
RESTOP_INTERVAL = 0.1

STOP_MESSAGE = (
    "채점 시간 제한을 넘겨 이 셀을 멈췄습니다. 끝나지 않는 반복문이 있는지, "
    "KeyboardInterrupt 나 모든 예외를 잡아 삼키는 try/except 가 있는지 확인하세요."
)


#: Shown in a cell's output when the grading tools had been changed and were put back.
RESTORED_NOTE = "⚠️ 채점 도구가 바뀌어 있어 원래대로 되돌렸습니다"


class CellStopped(BaseException):
    """Raised into a cell that ran past nbgrader's time limit.

    A ``BaseException`` that is not a ``KeyboardInterrupt``: the usual ways of swallowing an
    interrupt do not catch it.
    """


def grading() -> bool:
    return os.environ.get("NBGRADER_EXECUTION") in GRADING_MODES


#: ipykernel compiles each cell as /tmp/ipykernel_<pid>/<hash>.py (older IPython:
#: <ipython-input-N-hash>). Not to be confused with ipykernel_launcher.py, at the bottom of
#: every kernel's stack.
_CELL_FILE = re.compile(r"(^|[\\/])ipykernel_\d+[\\/][^\\/]+\.py$|^<ipython-input-")


def _is_cell_code(code: types.CodeType) -> bool:
    """Code compiled from a notebook cell."""
    return _CELL_FILE.search(code.co_filename) is not None


#: Builtins the checks use. IPython swaps others (input, get_ipython) in and out itself.
GUARDED_BUILTINS = (
    "abs", "all", "any", "bool", "callable", "dict", "enumerate", "float", "getattr", "hasattr",
    "id", "int", "isinstance", "issubclass", "iter", "len", "list", "max", "min", "next",
    "print", "range", "repr", "round", "set", "sorted", "str", "sum", "super", "tuple", "type",
    "vars", "zip",
)


def _guarded_modules() -> list[types.ModuleType]:
    own = [module for name, module in sorted(sys.modules.items())
           if isinstance(module, types.ModuleType) and name != __name__
           and (name == "nncourse" or name.startswith("nncourse."))]
    return [*own, torch, torch.nn, torch.nn.functional, torch.optim, math]


class _Snapshot:
    """Identity of every attribute the grading code relies on, to undo monkeypatching."""

    def __init__(self, user_ns: dict) -> None:
        self.modules = {module: dict(vars(module)) for module in _guarded_modules()}
        self.modules[builtins] = {name: getattr(builtins, name) for name in GUARDED_BUILTINS}
        self.classes = {}
        self.code = {}
        for module in self.modules:
            if module.__name__.startswith("nncourse"):
                for value in vars(module).values():
                    self._remember_own(value, module.__name__)
        for cls in (torch.Tensor, torch.nn.Module, torch.optim.Optimizer):
            self.classes[cls] = dict(vars(cls))
        self.user_names = {name: value for name, value in user_ns.items()
                           if isinstance(value, types.ModuleType) and not name.startswith("_")
                           and value.__name__.split(".")[0] in ("nncourse", "torch")}

    def _remember_own(self, value: object, module_name: str) -> None:
        if getattr(value, "__module__", None) != module_name:
            return
        if isinstance(value, types.FunctionType):
            self.code[value] = (value.__code__, value.__defaults__, value.__kwdefaults__)
        elif isinstance(value, type):
            self.classes[value] = dict(vars(value))
            for member in vars(value).values():
                function = getattr(member, "__func__", member)
                if isinstance(function, types.FunctionType):
                    self.code[function] = (function.__code__, function.__defaults__,
                                           function.__kwdefaults__)

    def restore(self, user_ns: dict) -> list[str]:
        """Undo every change; return the dotted names that had been changed."""
        changed = []
        for module, saved in self.modules.items():
            current = vars(module)
            for name, value in saved.items():
                now = current.get(name, _MISSING)
                if now is value:
                    continue
                if _torch_wrapper_of(now, value):
                    saved[name] = now  # torch wrapped its own function (torch._dynamo does)
                    continue
                setattr(module, name, value)
                changed.append(f"{module.__name__}.{name}")
        for cls, saved in self.classes.items():
            for name in [n for n in vars(cls) if n not in saved and n not in CACHE_ATTRIBUTES]:
                try:
                    delattr(cls, name)
                    changed.append(f"{cls.__qualname__}.{name}")
                except (AttributeError, TypeError):
                    pass
            for name, value in saved.items():
                now = vars(cls).get(name, _MISSING)
                if now is value:
                    continue
                if _torch_wrapper_of(now, value):
                    saved[name] = now  # an optimizer class's step(), hooked by torch.optim
                    continue
                try:
                    setattr(cls, name, value)
                    changed.append(f"{cls.__qualname__}.{name}")
                except (AttributeError, TypeError):
                    pass
        for function, (code, defaults, kwdefaults) in self.code.items():
            if (function.__code__, function.__defaults__, function.__kwdefaults__) != (code, defaults, kwdefaults):
                function.__code__, function.__defaults__, function.__kwdefaults__ = code, defaults, kwdefaults
                changed.append(f"{function.__module__}.{function.__qualname__}")
        for name, module in self.user_names.items():
            if user_ns.get(name, _MISSING) is not module:
                user_ns[name] = module
                changed.append(name)
        return changed


_MISSING = object()
#: Class attributes Python itself adds as caches, never a change to the grading tools:
#: ``copyreg`` stores ``__slotnames__`` on a class the first time one of its objects is pickled
#: (``torch.save(model.state_dict(), ...)`` in lesson 10's capstone pickles tensors).
CACHE_ATTRIBUTES = frozenset({"__slotnames__"})
_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep


def _torch_wrapper_of(new: object, old: object) -> bool:
    """Whether ``new`` is torch's own wrapper around ``old``.

    When torch._dynamo is first imported (by the first optimizer, say) it replaces
    ``torch.manual_seed`` and a few others with wrappers defined in torch's own files.
    """
    code = getattr(new, "__code__", None)
    return (getattr(new, "__wrapped__", None) is old and code is not None
            and code.co_filename.startswith(_TORCH_DIR))


class _StderrToStdout:
    """Stands in for sys.stderr during a graded cell: writes go to stdout."""

    def __init__(self, stdout) -> None:
        self._stdout = stdout
        self._noted = False

    def write(self, text: str) -> int:
        if not self._noted and text.strip():
            self._noted = True
            self._stdout.write("⚠️ (채점 중 stderr 로 나온 내용을 여기에 옮겨 적습니다)\n")
        return self._stdout.write(text)

    def flush(self) -> None:
        self._stdout.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str):
        return getattr(self._stdout, name)


class Guard:
    """The per-cell hooks of one graded kernel (see the module docstring)."""

    def __init__(self, shell) -> None:
        self.shell = shell
        self.snapshot = _Snapshot(shell.user_ns)
        self.stopping = False
        self.saved_stderr = None

    # -- hooks ---------------------------------------------------------------------------
    def pre_run_cell(self, info=None) -> None:
        self.stopping = False
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGALRM, self._stop_again)
        self.saved_stderr = sys.stderr
        sys.stderr = _StderrToStdout(sys.stdout)
        warnings.showwarning = _show_warning_on_stdout
        changed = self.snapshot.restore(self.shell.user_ns)
        if changed:
            shown = ", ".join(changed[:8]) + (" …" if len(changed) > 8 else "")
            print(f"{RESTORED_NOTE}: {shown}")

    def post_run_cell(self, result=None) -> None:
        self._disarm()
        if self.saved_stderr is not None:
            sys.stderr = self.saved_stderr
            self.saved_stderr = None

    # -- stopping a cell -----------------------------------------------------------------
    def _disarm(self) -> None:
        if self.stopping:
            self.stopping = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.settrace(None)

    def _stop(self, signum, frame) -> None:
        """SIGINT from nbgrader's timeout: stop the cell, and keep stopping it."""
        __tracebackhide__ = True  # IPython leaves the guard's frames out of the traceback
        self.stopping = True
        # Re-arm every RESTOP_INTERVAL: a bare `except:` catches one stop, not the next.
        signal.setitimer(signal.ITIMER_REAL, RESTOP_INTERVAL, RESTOP_INTERVAL)
        self._raise_in_cell(frame)

    def _stop_again(self, signum, frame) -> None:
        __tracebackhide__ = True
        if self.stopping:
            self._raise_in_cell(frame)

    def _raise_in_cell(self, frame) -> None:
        __tracebackhide__ = True
        cell_frames = []
        while frame is not None:
            if _is_cell_code(frame.f_code):
                cell_frames.append(frame)
            frame = frame.f_back
        if not cell_frames:
            self._disarm()  # the cell's own code has finished; IPython shows the error
            return
        # Also stop at the next line of cell code: that line may be in an except clause,
        # outside the try that caught this one. (Python drops a trace function that raised,
        # so the timer arms it again.)
        sys.settrace(self._trace)
        for cell_frame in cell_frames:
            cell_frame.f_trace = self._trace
        raise CellStopped(STOP_MESSAGE)

    def _trace(self, frame, event, arg):
        __tracebackhide__ = True
        if not self.stopping or not _is_cell_code(frame.f_code):
            return None
        if event == "line":
            raise CellStopped(STOP_MESSAGE)
        return self._trace


def _show_warning_on_stdout(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"⚠️ 경고(채점에는 영향 없음): {category.__name__}: {message}")


_installed: Guard | None = None


def install() -> Guard | None:
    """Install the guard in this IPython kernel when nbgrader is executing it; else nothing."""
    global _installed
    if not grading() or os.environ.get("NNCOURSE_GUARD") == "0":  # 0: to see nbgrader without it
        return None
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the course always runs in IPython
        return None
    shell = get_ipython()
    if shell is None:
        return None
    if _installed is None:
        _installed = Guard(shell)
    # Running the setup cell again keeps the first snapshot (taken before any learner cell
    # ran) and puts back hooks a learner cell may have removed.
    for event, hook in (("pre_run_cell", _installed.pre_run_cell),
                        ("post_run_cell", _installed.post_run_cell)):
        if hook not in shell.events.callbacks[event]:
            shell.events.register(event, hook)
    return _installed
