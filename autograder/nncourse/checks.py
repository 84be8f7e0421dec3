"""Checks that graded test cells call.

Each check prints one Korean line starting with ``✅`` when it passes and raises
:class:`CheckFailed` (an ``AssertionError``) when it fails. The message says what was checked,
the learner's value, what was expected, and a hint that names the likely mistake, so the
learner sees it right under the cell and nbgrader's feedback shows it too.

Test cells must end with a check call (which returns ``None``), never with a bare boolean:
nbgrader gives full credit to a cell whose last expression is ``False``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NoReturn

import torch

from .data import MnistSplit, load_mnist
from .verdict import ERROR_PREFIX, FAIL_MARK, NOT_ATTEMPTED, PASS_MARK, UNDIAGNOSED, message, render  # noqa: F401 (FAIL_MARK: check.FAIL_MARK)



class Hint(str):
    """A hint with a stable ``id``: the diagnosed mistake it names, for the instructor's report
    (nncourse.grading.report) and the help it leads to. It is the hint's text everywhere else."""

    id: str

    def __new__(cls, id: str, text: str) -> "Hint":
        hint = super().__new__(cls, text)
        hint.id = id
        return hint


class CheckFailed(AssertionError):
    """A graded check did not pass. Its parts, written for the learner in Korean: ``what`` was
    checked, the learner's value ``got``, the ``expected`` one and a ``hint`` that names the
    likely mistake (each but ``what`` may be None). Its message is them in the course's format,
    made in one place (:func:`nncourse.verdict.message`). ``cause`` is the stable id of what went
    wrong (:func:`diagnosis`), never read from the Korean text: the instructor's report counts
    learners by it.

    IPython shows it as the verdict alone (and the learner's own frames when the check called
    their code and it raised), not as a traceback through the course: see nncourse.verdict.
    """

    def __init__(self, what: str, got: object = None, expected: object = None, hint: str | None = None,
                 cause: str | None = None):
        self.what, self.got, self.expected, self.hint = what, got, expected, hint
        self.cause = cause or UNDIAGNOSED
        super().__init__(message(what, got, expected, hint))

    def _render_traceback_(self) -> list[str]:
        return render(self)


def fail(what: str, got: object = None, expected: object = None, hint: str | None = None,
         cause: BaseException | None = None) -> NoReturn:
    """Fail a check: raise :class:`CheckFailed` with these parts.

    ``cause``: the learner's exception behind the failure; its frames are shown under the
    verdict (nncourse.verdict). Inside an ``except`` block Python links it by itself.
    """
    failure = CheckFailed(what, got, expected, hint, diagnosis(hint, cause))
    if cause is None:
        raise failure
    raise failure from cause


def diagnosis(hint: str | None, error: BaseException | None = None) -> str:
    """The stable id of a failed check's cause.

    - a :class:`Hint`: its id;
    - a hint that is a constant of a grader module (``WEIGHTING``, or a value of a dict of hints
      such as ``ERROR_HINTS``): ``<module>.<NAME>`` (``validation.WEIGHTING``), found by identity;
    - another hint: the check that gave it, ``<module>.<check function>`` (``optim.check_training``);
    - no hint, when the learner's code raised: ``not attempted`` for the stub's
      NotImplementedError, else ``error: <exception type>``; otherwise ``undiagnosed``.
    """
    if hint is not None:
        if isinstance(hint, Hint):
            return hint.id
        return _grader_constants().get(id(hint)) or _calling_check() or UNDIAGNOSED
    if error is not None:
        name = type(error).__name__  # the learner's own type name, also when the judge rebuilt it
        return NOT_ATTEMPTED if name == "NotImplementedError" else ERROR_PREFIX + name
    return UNDIAGNOSED


GRADERS = "nncourse.graders."


def _grader_constants() -> dict[int, str]:
    """id() of every hint constant of the loaded grader modules -> ``<module>.<NAME>``."""
    import sys

    found = {}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith(GRADERS) or module is None:
            continue
        short = module_name[len(GRADERS):]
        for name, value in vars(module).items():
            if not name.isupper():
                continue
            if isinstance(value, str):
                found[id(value)] = f"{short}.{name}"
            elif isinstance(value, dict):
                for index, item in enumerate(value.values()):
                    if isinstance(item, str):
                        found[id(item)] = f"{short}.{name}[{index}]"
    return found


def _calling_check() -> str | None:
    """``<module>.<function>`` of the outermost grader function on the stack: the check a test
    cell called."""
    import sys

    frame, found = sys._getframe(1), None
    while frame is not None:
        module_name = frame.f_globals.get("__name__", "")
        if module_name.startswith(GRADERS) and frame.f_code.co_name != "<module>":
            found = f"{module_name[len(GRADERS):]}.{frame.f_code.co_name}"
        frame = frame.f_back
    return found


def passed(what: str) -> None:
    """Print the pass line for a check."""
    print(f"{PASS_MARK} {what}")


def _describe(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"torch.Tensor(shape={tuple(value.shape)}, dtype={value.dtype})"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _require_tensor(name: str, value: object, hint: str | None) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        fail(f"{name} 은(는) torch.Tensor 여야 합니다", f"{type(value).__name__} {_describe(value)}",
              "torch.Tensor", hint or "numpy 배열이나 파이썬 리스트가 아니라 텐서를 만들어야 합니다.")
    return value


def _require_shape(name: str, value: object, expected: Sequence[int], hint: str | None) -> torch.Tensor:
    tensor = _require_tensor(name, value, hint)
    expected = tuple(expected)
    if tuple(tensor.shape) != expected:
        fail(f"{name} 의 모양(shape)이 {expected} 이어야 합니다", str(tuple(tensor.shape)),
              str(expected), hint)
    return tensor


def _require_dtype(name: str, value: torch.Tensor, expected: torch.dtype, hint: str | None) -> None:
    if value.dtype != expected:
        fail(f"{name} 의 자료형(dtype)이 {expected} 이어야 합니다", str(value.dtype), str(expected), hint)


def is_tensor(name: str, value: object, hint: str | None = None) -> None:
    """``value`` is a ``torch.Tensor``."""
    _require_tensor(name, value, hint)
    passed(f"{name} 은(는) 텐서입니다")


def shape(name: str, value: object, expected: Sequence[int], hint: str | None = None) -> None:
    """``value`` is a tensor of exactly ``expected`` shape."""
    _require_shape(name, value, expected, hint)
    passed(f"{name} 의 모양(shape)은 {tuple(expected)} 입니다")


def dtype(name: str, value: object, expected: torch.dtype, hint: str | None = None) -> None:
    """``value`` is a tensor of dtype ``expected``."""
    _require_dtype(name, _require_tensor(name, value, hint), expected, hint)
    passed(f"{name} 의 자료형(dtype)은 {expected} 입니다")


def equal(name: str, value: object, expected: object, hint: str | None = None) -> None:
    """``value == expected`` for plain Python values (numbers, strings, dtypes)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if type(value) is bool or value != expected:
        fail(f"{name} 이(가) {_describe(expected)} 이어야 합니다", _describe(value),
              _describe(expected), hint)
    passed(f"{name} = {_describe(expected)}")


def close(
    name: str, value: object, reference: float, tolerance: float, hint: str | None = None
) -> None:
    """``|value - reference| <= tolerance`` for a number (or one-element tensor)."""
    what = f"{name} 이(가) 기준값 {reference:.4g} ± {tolerance:.2g} 안에 있어야 합니다"
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            fail(what, _describe(value), "숫자 하나", hint or "텐서 하나가 아니라 숫자 하나가 필요합니다.")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(what, _describe(value), "숫자", hint)
    if not abs(float(value) - reference) <= tolerance:  # also catches NaN
        fail(what, f"{float(value):.4g}", f"{reference:.4g} ± {tolerance:.2g}", hint)
    passed(f"{name} = {float(value):.4g} (기준 {reference:.4g} ± {tolerance:.2g})")


def tensor_equal(name: str, value: object, expected: torch.Tensor, hint: str | None = None) -> None:
    """``value`` has the shape, dtype and exact values of ``expected``."""
    tensor = _require_shape(name, value, expected.shape, hint)
    _require_dtype(name, tensor, expected.dtype, hint)
    if not torch.equal(tensor, expected):
        wrong = (tensor != expected).sum().item()
        fail(f"{name} 의 값이 모두 맞아야 합니다", f"{wrong}개 원소가 다릅니다", "모든 원소가 같음", hint)
    passed(f"{name}: 모양 {tuple(expected.shape)}, 자료형 {expected.dtype}, 값 모두 일치")


def tensor_close(
    name: str, value: object, expected: torch.Tensor, atol: float = 1e-6, hint: str | None = None
) -> None:
    """``value`` has the shape of ``expected`` and values within ``atol`` of it."""
    tensor = _require_shape(name, value, expected.shape, hint)
    diff = (tensor.double() - expected.double()).abs().max().item()
    if not diff <= atol:
        fail(f"{name} 의 값이 기대값과 {atol:g} 이내로 같아야 합니다", f"최대 차이 {diff:.3g}",
              f"≤ {atol:g}", hint)
    passed(f"{name}: 모양 {tuple(expected.shape)}, 값이 기대값과 {atol:g} 이내로 일치")


def is_python_number(name: str, value: object, kind: type = float, hint: str | None = None) -> None:
    """``value`` is a plain Python number of type ``kind`` (not a tensor)."""
    if type(value) is not kind:
        fail(f"{name} 은(는) 파이썬 {kind.__name__} 이어야 합니다",
              f"{type(value).__name__} {_describe(value)}", kind.__name__,
              hint or "텐서에서 파이썬 숫자를 꺼내려면 `.item()` 을 쓰세요.")
    passed(f"{name} 은(는) 파이썬 {kind.__name__} 입니다")


#: Shifts the seed of every probe input the checks draw (:func:`probe_generator`). It is 0 in the
#: learner's kernel, so a check shows the same probes on every run; the grading judge draws a new
#: shift for every test cell it decides, so no answer can be prepared for a known probe.
PROBE_SHIFT = 0


class Affine:
    """A probe function ``x * scale + shift`` a check hands to a learner's code (Lambda's
    ``func``); the grading judge sends it into the learner's kernel as these two numbers."""

    def __init__(self, scale: float, shift: float):
        self.scale, self.shift = scale, shift

    def __call__(self, x):
        return x * self.scale + self.shift


class BatchMarker:
    """A probe function for (xb, yb) batches a check hands to a learner's loader wrapper:
    images reshaped to ``shape`` and scaled, labels shifted, so its output is recognisable (the
    grading judge sends it into the learner's kernel as these numbers)."""

    def __init__(self, shape: tuple[int, ...], scale: float, label_shift: int):
        self.shape, self.scale, self.label_shift = shape, scale, label_shift

    def __call__(self, xb, yb):
        return xb.view(*self.shape) * self.scale, yb + self.label_shift


def probe_generator(seed: int) -> torch.Generator:
    """A private generator for a check's probe inputs (the global torch generator, which the
    learner's training uses, is left alone)."""
    return torch.Generator().manual_seed(seed + PROBE_SHIFT)


@functools.cache
def reference_data() -> MnistSplit:
    """A fresh, verified copy of the MNIST split for test cells.

    Test cells compare with this, not with the tensors in the learner's notebook, which the
    learner's code may have changed.
    """
    return load_mnist()
