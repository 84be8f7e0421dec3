"""Checks of lesson 10_device: choose the device with ``torch.accelerator`` (CUDA, Apple MPS,
Intel XPU… or the CPU), move every batch and a fresh model there, and train the fresh model.

These checks must work on a machine without an accelerator, where "moved to the device" and
"left on the CPU" look the same. To tell them apart, the checks call the learner's ``preprocess``
and ``get_model`` once more while the notebook's global ``device`` is temporarily swapped for the
``meta`` device (tensors with a shape but no data, available in every torch build): whatever
the function really moves ends up on ``meta``, whatever it forgets stays on the CPU.

A learner who writes ``torch.device("cuda")`` (or ``"mps"``) on a machine without one gets the
Korean hint naming ``torch.accelerator.is_available()`` from every check that touches the
device, never an uncaught error.

The checks of the CNN, its optimizer, fit's history, ``preprocess`` and the wrapped loaders are
lesson 09's, shared through nncourse.graders.convnet.
"""

from __future__ import annotations

import ast
import contextlib
import warnings
from collections.abc import Callable, Iterator

import torch
from torch import nn

from .. import checks as check
from .. import reference
from ..data import IMAGE_SIDE
from ..checks import fail
from ..training import evaluate, model_device
from . import common, convnet, source
from .common import (VALID_ACCURACY, VALID_LOSS, call_learner, concept_check, check_trained,
                     diagnose_training)
from .convnet import ACCELERATOR_HINT, guard, is_accelerator_error, same_device, size_of

LESSON = "10_device"
EPOCHS = convnet.EPOCHS
SETTINGS = convnet.SETTINGS
META = torch.device("meta")
#: The reference band comes from CPU runs (several seeds, thread counts and vector ISAs). An
#: accelerator sums in yet another order (and may use TF32), so for a model trained on one the
#: band is at least this wide. NOT YET MEASURED on a GPU: no accelerator was available where the
#: references were recorded. An accelerator is one more summation order, like the CPU settings the
#: band already spans (the seeds spread the runs far more than the settings do), so these are the
#: widest bands the course allows a trained metric (tests/test_reference.py: NARROW).
ACCELERATOR_TOLERANCE = {"val_loss": 0.04, "val_accuracy": 0.015}
OLD_MODEL_HINT = (check.Hint("device.cpu-model-continued", "이미 학습된 cpu_model 을 이어서 학습했습니다. 그러면 두 번째 학습은 학습된 가중치에서 "
                  "출발하므로 손실·정확도·시간을 CPU 학습과 비교할 수 없습니다. cpu_model 은 그대로 두고, "
                  "get_model() 을 다시 불러 새 모델과 새 옵티마이저를 받아 학습하세요."))
IDIOM = ('torch.accelerator.current_accelerator() if torch.accelerator.is_available() '
         'else torch.device("cpu")')


def accelerator() -> torch.device | None:
    """The machine's accelerator (CUDA, MPS, XPU…) when one is usable, else None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.accelerator.current_accelerator(check_available=True)


def expected_device() -> torch.device:
    return accelerator() or torch.device("cpu")


def _hint_for(error: Exception) -> str | None:
    return ACCELERATOR_HINT if is_accelerator_error(error) else None


@contextlib.contextmanager
def _pretend_device(function: Callable, device: torch.device = META) -> Iterator[None]:
    """Run with the global ``device`` of ``function``'s module (the notebook) set to ``device``
    (for a function the grading judge calls in the learner's kernel, set there during each call)."""
    if isinstance(getattr(function, "pretend_globals", None), dict):
        function.pretend_globals = {"device": device}
        try:
            yield
        finally:
            function.pretend_globals = {}
        return
    namespace = getattr(function, "__globals__", None)
    if namespace is None:
        yield
        return
    missing = object()
    saved = namespace.get("device", missing)
    namespace["device"] = device
    try:
        yield
    finally:
        if saved is missing:
            namespace.pop("device", None)
        else:
            namespace["device"] = saved


def _as_device(name: str, value: object) -> torch.device:
    try:
        return torch.device(value)
    except Exception:
        fail(f"{name} 은(는) torch.device 여야 합니다", f"{type(value).__name__} {value!r}"[:80],
             "torch.device(\"cpu\") 같은 장치, 또는 torch.accelerator.current_accelerator()",
             check.Hint("device.not-a-device", f"device = {IDIOM}"))


# --------------------------------------------------------------------------------------------
# Exercise 1: the device
# --------------------------------------------------------------------------------------------

def check_device(device: object, probe: bool = False) -> None:
    """``device`` is the machine's accelerator exactly when ``torch.accelerator.is_available()``,
    else the CPU."""
    chosen = _as_device("device", device)
    expected = expected_device()
    found = accelerator()
    if not same_device(chosen, expected):
        if chosen.type != "cpu" and (found is None or found.type != chosen.type):
            hint = ACCELERATOR_HINT
        elif chosen.type == "cpu":
            hint = (check.Hint("device.cpu-hard-coded", f"이 컴퓨터에는 가속기({found.type})가 있는데 CPU 를 골랐습니다. \"cpu\" 로 못 박지 말고 "
                    "torch.accelerator.is_available() 로 고르세요. (torch.cuda.is_available() 은 NVIDIA "
                    "CUDA 만 봅니다.)"))
        else:
            hint = check.Hint("device.accelerator-unconditional", f"가속기가 있을 때만 그 장치를 고르세요: device = {IDIOM}")
        fail("device 는 가속기가 있으면 그 가속기, 없으면 cpu 여야 합니다", str(chosen),
             f"{expected} (이 컴퓨터에서 torch.accelerator.is_available() = {found is not None})",
             hint)
    check.passed("device 는 torch.accelerator.is_available() 에 맞는 장치입니다")
    if probe:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                moved = torch.arange(3.0).to(chosen)
                back = (moved * 2).cpu()
            except Exception as error:
                fail("device 로 텐서를 옮길 수 있어야 합니다", f"{type(error).__name__}: {error}",
                     "오류 없음", _hint_for(error))
        if not torch.equal(back, torch.tensor([0.0, 2.0, 4.0])):
            fail("device 에서 계산한 값이 맞아야 합니다", str(back.tolist()), "[0.0, 2.0, 4.0]")
        check.passed("device 로 텐서를 옮겨 계산하고 .cpu() 로 되돌릴 수 있습니다")


def _names_only_the_cpu(expression: ast.expr) -> bool:
    """``expression`` can only ever be the CPU: ``"cpu"``, ``torch.device("cpu")`` (and its keyword
    or indexed forms); nothing in it could look for an accelerator."""
    for node in ast.walk(expression):
        if isinstance(node, ast.Constant):
            if node.value != "cpu" and type(node.value) is not int:
                return False
        elif isinstance(node, ast.Name):
            if node.id != "torch":
                return False
        elif isinstance(node, ast.Attribute):
            if node.attr != "device":
                return False
        elif not isinstance(node, (ast.Call, ast.keyword, ast.Load)):
            return False
    return True


def _asks_only_cuda(expression: ast.expr) -> bool:
    """``expression`` asks ``torch.cuda.is_available()`` and nothing that could find another
    accelerator (``torch.accelerator``, MPS, XPU): on an Apple or Intel GPU it picks the CPU."""
    names = {node.attr for node in ast.walk(expression) if isinstance(node, ast.Attribute)}
    names |= {node.id for node in ast.walk(expression) if isinstance(node, ast.Name)}
    return "cuda" in names and "is_available" in names and not names & {"accelerator", "mps", "xpu"}


def check_device_choice(device: object, history: object) -> None:
    """How ``device`` was chosen, from the code (``history`` is IPython's ``In``: the code of the
    cells the kernel ran, read as text and never run). The last assignment to ``device`` must not
    be an expression that can only name the CPU: right on a machine without an accelerator (this
    grader's, often), wrong on every learner's machine that has one. A helper function or any
    expression that asks torch about accelerators passes; one that asks for CUDA only passes with
    a note (it works everywhere, and picks the CPU on an Apple or Intel GPU)."""
    chosen = _as_device("device", device)
    if not isinstance(history, (list, tuple)):
        return
    note = ""
    for tree in reversed(source.cells(history)):
        assigned = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                    and any(isinstance(target, ast.Name) and target.id == "device" for target in node.targets)]
        if assigned:
            if chosen.type == "cpu" and _names_only_the_cpu(assigned[-1]):
                fail("device 가 가속기가 있는 컴퓨터에서도 CPU 여야 하는 식입니다",
                     ast.unparse(assigned[-1])[:80], "가속기가 있으면 그 가속기, 없으면 cpu",
                     check.Hint("device.cpu-only-expression", "이 컴퓨터에는 가속기가 없어 지금은 맞는 값이지만, GPU 가 있는 컴퓨터에서도 CPU 만 씁니다. "
                     "장치를 못 박지 말고 torch.accelerator.is_available() 로 가속기가 있는지 물어 고르세요."))
            if _asks_only_cuda(assigned[-1]):
                note = (" (참고: torch.cuda.is_available() 은 NVIDIA GPU 만 봅니다. Apple 실리콘 맥(MPS)이나 Intel GPU(XPU)"
                        "에서는 CPU 를 고르니, 어떤 가속기든 고르려면 torch.accelerator 로 물으세요)")
            break
    check.passed("device 는 가속기가 있는지 물어서 고른 값입니다" + note)


# --------------------------------------------------------------------------------------------
# Exercise 2: preprocess moves batches, the wrapped loaders
# --------------------------------------------------------------------------------------------

def _check_preprocess_moves(preprocess: Callable) -> None:
    data = check.reference_data()
    x, y = data.x_valid[:4].clone(), data.y_valid[:4].clone()
    with guard(), _pretend_device(preprocess):
        result = call_learner("preprocess(x, y)", preprocess, x, y, hint=_hint_for)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail("preprocess(x, y) 는 (이미지, 레이블) 두 개를 돌려줘야 합니다", size_of(result),
             "(xb, yb)", check.Hint("device.preprocess-one-value", "preprocess 는 (N, 1, 28, 28) 모양으로 바꾼 이미지와 레이블, 두 개를 함께 돌려줘야 합니다. "
                        "둘 다 device 로 옮긴 것이어야 합니다."))
    for what, tensor, code in (("이미지", result[0], "모양을 바꾼 이미지도 .to(device) 로 옮기세요"),
                               ("레이블", result[1], "레이블도 이미지처럼 .to(device) 로 옮기세요")):
        object_particle, subject_particle = ("를", "가") if what == "이미지" else ("을", "이")
        if not isinstance(tensor, torch.Tensor):
            fail(f"preprocess 가 돌려준 {what}{subject_particle} 텐서여야 합니다", type(tensor).__name__,
                 "torch.Tensor")
        if tensor.device != META:
            text = f"preprocess 가 {what}{object_particle} device 로 옮기지 않았습니다. {code}."
            if what == "레이블":
                text += " 모델의 출력과 레이블이 같은 장치에 있어야 손실을 계산할 수 있습니다."
            text += " CPU 만 있는 컴퓨터에서는 빠뜨려도 돌아가지만 GPU 에서는 오류가 납니다."
            hint = check.Hint("device.images-not-moved" if what == "이미지" else "device.labels-not-moved", text)
            fail(f"preprocess 는 {what}{object_particle} 전역 변수 device 가 가리키는 장치로 옮겨야 합니다",
                 f"device 를 가짜 장치 meta 로 바꿔 부르자 {what}{subject_particle} {tensor.device} 에 남음",
                 "meta", hint)
    check.passed("preprocess 는 이미지와 레이블을 모두 device 로 옮깁니다 (가짜 장치 meta 로 바꿔 확인)")


def check_loaders(preprocess: Callable, train_dl: object, valid_dl: object, device: object) -> None:
    """``preprocess`` reshapes and moves x and y to ``device``; the loaders wrap it."""
    chosen = _as_device("device", device)
    _check_preprocess_moves(preprocess)
    data = check.reference_data()
    with guard():
        call_learner("preprocess(x, y)", preprocess, data.x_valid[:2].clone(), data.y_valid[:2].clone(),
                     hint=_hint_for)
    convnet.check_preprocess(preprocess)
    convnet.check_loaders(train_dl, valid_dl, device=chosen)


# --------------------------------------------------------------------------------------------
# Exercise 3: get_model
# --------------------------------------------------------------------------------------------

def _unpack_model_and_opt(result: object) -> tuple[nn.Module, object]:
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail("get_model() 은 (모델, 옵티마이저) 두 개를 돌려줘야 합니다", size_of(result),
             "(model, opt)", check.Hint("device.get-model-one-value", "get_model 은 모델과 그 모델의 옵티마이저, 두 값을 모델 먼저 돌려줘야 합니다."))
    model, opt = result
    convnet.check_is_module("get_model() 의 모델", model)
    return model, opt


def _shares_parameters(model: nn.Module, other: nn.Module | None) -> bool:
    if other is None:
        return False
    mine = set(common.parameter_identities(model))
    return model is other or bool(mine & set(common.parameter_identities(other)))


def _images(xb: torch.Tensor) -> torch.Tensor:
    return xb.view(-1, 1, IMAGE_SIDE, IMAGE_SIDE)


def check_get_model(get_model: Callable, device: object, old_model: nn.Module | None = None) -> None:
    """``get_model()`` returns a NEW untrained CNN on ``device`` and its SGD optimizer."""
    chosen = _as_device("device", device)
    with guard():
        model, opt = _unpack_model_and_opt(call_learner("get_model()", get_model, hint=_hint_for))
        second, _ = _unpack_model_and_opt(call_learner("get_model()", get_model, hint=_hint_for))
    if _shares_parameters(model, old_model):
        fail("get_model() 은 새 모델을 만들어야 합니다", "이미 학습된 cpu_model", "mnist_cnn() 으로 만든 새 모델",
             OLD_MODEL_HINT)
    if _shares_parameters(model, second):
        fail("get_model() 은 부를 때마다 새 모델을 만들어야 합니다", "두 번 불렀더니 같은 모델",
             "서로 다른 모델 두 개", check.Hint("device.get-model-same-model", "함수 안에서 model = mnist_cnn() 으로 모델을 만드세요."))
    convnet.check_conv_layers("get_model() 의 모델", model)
    where = model_device(model)
    if not same_device(where, chosen):
        fail("get_model() 의 모델이 device 에 있어야 합니다", str(where), str(chosen),
             check.Hint("device.model-not-on-device", "get_model 안에서 만든 모델을 .to(device) 로 device 에 옮기세요."))
    loss = convnet.initial_loss(model, preprocess=_images)
    if not loss > convnet.UNTRAINED_LOSS:
        fail("get_model() 의 모델은 학습되지 않은 새 모델이어야 합니다", f"검증 이미지 1000장의 손실 {loss:.4f}",
             f"약 2.30 (> {convnet.UNTRAINED_LOSS})", OLD_MODEL_HINT)
    check.passed("get_model() 은 부를 때마다 학습되지 않은 새 모델을 만듭니다")
    convnet.check_optimizer(model, opt)
    with guard(), _pretend_device(get_model):
        pretend, _ = _unpack_model_and_opt(
            call_learner("get_model() (device = meta)", get_model, hint=_hint_for))
    stayed = [name for name, p in pretend.named_parameters() if p.device != META]
    if stayed:
        fail("get_model() 은 모델을 전역 변수 device 가 가리키는 장치로 옮겨야 합니다",
             f"device 를 가짜 장치 meta 로 바꿔 부르자 매개변수 {len(stayed)}개가 CPU 에 남음",
             "모든 매개변수가 meta",
             check.Hint("device.model-not-moved", "get_model 안에서 만든 모델을 .to(device) 로 device 에 옮기세요. CPU 만 있는 컴퓨터에서는 "
             "빠뜨려도 돌아가지만 GPU 에서는 '같은 장치에 있어야 한다'는 오류가 납니다."))
    check.passed("get_model() 은 모델을 device 로 옮깁니다 (가짜 장치 meta 로 바꿔 확인)")


# --------------------------------------------------------------------------------------------
# Exercise 4: training a fresh model on the device
# --------------------------------------------------------------------------------------------

def _diagnose(loss: float, accuracy: float, ref: dict) -> str | None:
    if (loss < ref["val_loss"]["value"] - ref["val_loss"]["tolerance"]
            and accuracy > ref["val_accuracy"]["value"] + ref["val_accuracy"]["tolerance"]):
        return (check.Hint("device.better-than-reference", "기준보다 훨씬 좋습니다. 이미 학습된 모델의 가중치에서 출발했거나 에포크를 더 돌린 것 "
                "같습니다. torch.manual_seed(0) 다음에 get_model() 로 새 모델을 만들어 "
                f"{EPOCHS} 에포크, 그리고 학습률을 낮춰 1 에포크만 학습하세요."))
    return None


def _check_trained_on_accelerator(model: nn.Module) -> None:
    """Like common.check_trained, with the band widened for an accelerator's arithmetic."""
    data = check.reference_data()
    try:
        loss, accuracy = evaluate(model, data.x_valid, data.y_valid, preprocess=_images)
    except Exception as error:
        fail("모델을 검증 데이터에 적용하다 오류가 났습니다", f"{type(error).__name__}: {error}", None,
             check.Hint("device.evaluation-failed", "모델과 데이터가 같은 장치에 있는지 확인하세요."))
    ref = reference.reference_for(LESSON, "trained")
    hint = _diagnose(loss, accuracy, ref) or diagnose_training(loss, accuracy, ref, SETTINGS)
    for key, label, value in (("val_loss", VALID_LOSS, loss), ("val_accuracy", VALID_ACCURACY, accuracy)):
        tolerance = max(ref[key]["tolerance"], ACCELERATOR_TOLERANCE[key])
        check.close(f"{label}, {model_device(model).type}", value, ref[key]["value"], tolerance, hint)


#: The loaders of the CPU baseline: they never move a batch, so training on them on a machine
#: without an accelerator gives the very numbers of the right code.
CPU_LOADERS = frozenset({"cpu_train_dl", "cpu_valid_dl"})


def check_training(model: object, history: object, last_history: object, opt: object, device: object,
                   old_model: nn.Module | None = None, cells: object = None) -> None:
    """The model trained on the device is a fresh one, and it learned as much as the reference;
    with ``cells`` (IPython's ``In``), the training cell did not train on the CPU baseline's
    loaders (on a grader without an accelerator nothing else tells them apart)."""
    chosen = _as_device("device", device)
    training_cell = source.last_cell_assigning(cells, "last_history")
    used = sorted(source.loaded_names(training_cell) & CPU_LOADERS) if training_cell else []
    if used:
        fail("장치에서 학습하는 셀이 CPU 기준 학습의 로더로 학습합니다", ", ".join(used), "train_dl, valid_dl",
             check.Hint("device.trained-on-cpu-loaders", "cpu_train_dl 과 cpu_valid_dl 은 09 강의의 preprocess 로 감싼 로더라 배치를 "
                        "device 로 옮기지 않습니다. 가속기가 없는 컴퓨터에서는 같은 결과가 나오지만, GPU 에서는 모델은 GPU 에, "
                        "배치는 CPU 에 있어 오류가 납니다. 연습 2 에서 만든 train_dl, valid_dl 로 학습하세요."))
    convnet.check_is_module("model", model)
    if _shares_parameters(model, old_model):
        fail("장치에서 학습한 model 은 새 모델이어야 합니다", "cpu_model 과 같은 모델", "get_model() 로 만든 새 모델",
             OLD_MODEL_HINT)
    where = model_device(model)
    if not same_device(where, chosen):
        fail("model 의 매개변수가 device 에 있어야 합니다", str(where), str(chosen),
             check.Hint("device.trained-model-not-on-device", "학습할 모델과 옵티마이저는 get_model() 이 돌려주는 것을 받아 쓰세요. 그 모델은 이미 device 에 있습니다."))
    check.passed("model 은 cpu_model 과 다른 모델이고 device 에 있습니다")
    convnet.check_last_epoch(model, history, last_history, opt, fresh_hint=OLD_MODEL_HINT)
    measured = convnet.check_history_matches_model(last_history, model, preprocess=_images,
                                                    name="last_history")
    convnet.check_last_epoch_decayed(history, last_history)
    if where.type != "cpu" and not reference.recording():
        _check_trained_on_accelerator(model)
        return
    check_trained(LESSON, model, settings=SETTINGS, preprocess=_images, diagnose=_diagnose, measured=measured)


# --------------------------------------------------------------------------------------------
# The capstone: a model of the learner's own that beats the course's CNN, saved and reloaded
# --------------------------------------------------------------------------------------------

#: Training images the capstone model is also scored on (drawn through check.probe_generator, so
#: in grading a new sample each time), to tell a model fit to the validation data.
TRAIN_SAMPLE = 5000
TRAIN_SAMPLE_SEED = 2024
#: How far a model's validation accuracy may lie ABOVE its accuracy on training images. Honest
#: models sit at or below it (measured: -0.005 to +0.001 for the lesson's solution, seeds 0-2, three
#: samples each); one trained on the validation data sits far above (+0.030 to +0.037 after 10
#: epochs on it). A sample of 5000 images moves the figure by about ±0.002.
MAX_VALID_LEAD = 0.015
#: Validation images both capstone models are run on to compare their outputs.
SAME_OUTPUT_ROWS = 64
SAME_OUTPUT_SEED = 77
#: The layers a capstone model may be made of: torch's own, chained by nn.Sequential. The grading
#: judge rebuilds these layers itself and computes the model's outputs from the learner's parameters;
#: a class of the learner's own would run its forward in the learner's kernel, where it could look the
#: validation labels up instead of computing anything.
CAPSTONE_LAYERS = (nn.Sequential, nn.Conv2d, nn.Linear, nn.ReLU, nn.Tanh, nn.Sigmoid, nn.Flatten,
                   nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Identity)
CAPSTONE_IDEAS = check.Hint(
    "device.capstone-below-bar",
    "과정의 CNN 을 시드만 바꿔 다시 학습하거나 에포크를 조금 늘리는 것으로는 이 기준을 넘기 어렵습니다. 모델이 "
    "정보를 어디서 버리는지 보세요: 과정의 CNN 은 마지막에 10채널의 평균 하나만 남깁니다. 그 전의 특징 맵을 "
    "통째로 쓰는 층(05 강의에서 배운 도구), 더 많은 채널, 다른 옵티마이저 가운데 하나를 골라 바꿔 보고, 바꿀 "
    "때마다 검증 정확도를 비교하세요.")


def capstone_bar() -> float:
    """The validation accuracy the capstone model must reach: the top of the course CNN's band
    (the reference value + its tolerance over seeds × arithmetic settings), so a result that is
    only a lucky seed of the course's own CNN does not count as beating it."""
    accuracy = reference.reference_for(LESSON, "trained")["val_accuracy"]
    return round(accuracy["value"] + accuracy["tolerance"], 4)


def _capstone_accuracy(name: str, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    try:
        with guard():
            return evaluate(model, x, y, preprocess=_images)[1]
    except Exception as error:  # the learner's model, any mistake
        fail(f"{name} 을(를) 이미지에 적용하다 오류가 났습니다", f"{type(error).__name__}: {error}",
             "(N, 1, 28, 28) 배치를 받아 (N, 10) 로짓을 내는 모델",
             check.Hint("device.capstone-evaluation-failed",
                        "모델은 train_dl 이 내보내는 모양 그대로, (N, 1, 28, 28) 이미지 배치를 받아야 합니다. 모델과 "
                        "데이터가 같은 장치에 있는지도 확인하세요."),
             cause=error)


def _check_torch_layers(name: str, model: object) -> None:
    """``model`` is made of torch's own layers (CAPSTONE_LAYERS) only."""
    convnet.check_is_module(name, model)
    others = sorted({type(layer).__name__ for layer in model.modules() if type(layer) not in CAPSTONE_LAYERS})
    if others:
        fail(f"{name} 은(는) torch 의 층만 nn.Sequential 로 이어 만들어야 합니다", ", ".join(others)[:80],
             "nn.Sequential 안에 " + ", ".join(f"nn.{layer.__name__}" for layer in CAPSTONE_LAYERS[1:]) + " 만",
             check.Hint("device.capstone-own-layers",
                        "채점기가 모델의 출력을 직접 계산해 정확도를 잴 수 있도록, 마지막 과제의 모델은 torch 가 "
                        "주는 층만 nn.Sequential 로 이어 만듭니다. nn.Module 을 상속한 클래스나 Lambda 같은 직접 "
                        "만든 층은 쓸 수 없습니다. 모양을 바꾸는 일은 nn.Flatten 이 합니다."))


def check_my_model(my_model: object) -> None:
    """The learner's own model learned from the training data (on training images drawn now it
    does at least about as well as on the validation data), and it beats the course's CNN on the
    validation data; it is made of torch's own layers, so the judge computes it itself."""
    _check_torch_layers("my_model", my_model)
    data = check.reference_data()
    accuracy = _capstone_accuracy("my_model", my_model, data.x_valid, data.y_valid)
    if reference.recording():
        return
    rows = torch.randperm(len(data.x_train), generator=check.probe_generator(TRAIN_SAMPLE_SEED))[:TRAIN_SAMPLE]
    on_training = _capstone_accuracy("my_model", my_model, data.x_train[rows], data.y_train[rows])
    if accuracy - on_training > MAX_VALID_LEAD:
        fail("my_model 은 훈련 데이터로 학습해야 합니다",
             f"검증 정확도 {accuracy:.4f}, 훈련 이미지 {TRAIN_SAMPLE}장 정확도 {on_training:.4f}",
             f"훈련 이미지에서도 비슷하거나 더 높은 정확도 (차이 {MAX_VALID_LEAD} 이하)",
             check.Hint("device.capstone-fit-to-valid",
                        "모델은 보통 학습한 데이터를 더 잘 맞히는데, 이 모델은 훈련 이미지보다 검증 이미지를 훨씬 잘 "
                        "맞힙니다. 검증 데이터로 학습한 모델입니다. "
                        "fit 에 넘기는 로더의 자리를 확인하세요: 학습은 train_dl, 검증은 valid_dl 입니다. 검증 "
                        "데이터로 학습하면 검증 정확도는 더 이상 새 데이터에서의 성능을 말해 주지 않습니다."))
    bar = capstone_bar()
    if not accuracy >= bar:
        fail("my_model 의 검증 정확도가 과정의 CNN 이 닿는 범위보다 높아야 합니다", f"{accuracy:.4f}",
             f"{bar:.4f} 이상", CAPSTONE_IDEAS)
    check.passed(f"my_model 의 검증 정확도 {accuracy:.4f} ≥ {bar:.4f} (과정 CNN 범위의 위쪽 끝), "
                 f"훈련 이미지에서도 {on_training:.4f}")


def _check_restored_from_file(cells: object) -> None:
    """The code read a file with ``torch.load`` and gave a model ``load_state_dict``: a copy
    (``copy.deepcopy``, ``load_state_dict(my_model.state_dict())``) or a whole pickled model has
    the same values and outputs, but is not what the exercise practises."""
    trees = source.cells(cells)
    if not trees:
        return
    read = any(next(source.calls(tree, "load"), None) for tree in trees)
    loaded = any(next(source.calls(tree, "load_state_dict"), None) for tree in trees)
    if read and loaded:
        return
    if read:
        fail("final_model 에 state_dict 를 불러와야 합니다", "torch.load 로 읽은 것을 그대로 씀",
             "새 모델.load_state_dict(torch.load(...))", check.Hint(
                 "device.capstone-whole-model-loaded",
                 "모델 객체 전체를 저장하고 읽었습니다. 그 파일은 모델의 클래스 코드가 있어야 읽히고, weights_only=False 로 "
                 "임의의 파이썬 객체를 되살리게 됩니다. my_model.state_dict() 를 저장하고, 같은 코드로 만든 새 모델의 "
                 "load_state_dict 에 torch.load 로 읽은 값을 넘기세요."))
    fail("final_model 은 저장한 파일에서 불러온 모델이어야 합니다", "파일을 torch.load 로 읽지 않음",
         "torch.load(파일) 을 새 모델의 load_state_dict 에 넘김", check.Hint(
             "device.capstone-copied-not-loaded",
             "my_model 의 값을 파일을 거치지 않고 옮겼습니다(복사나 my_model.state_dict() 를 바로 넘기기). 그러면 저장한 "
             "파일로 모델을 되살릴 수 있는지는 확인하지 못합니다. torch.save 로 저장한 파일을 torch.load 로 읽어 "
             "새 모델의 load_state_dict 에 넘기세요."))


def check_final_model(final_model: object, my_model: object, cells: object = None) -> None:
    """``final_model`` is a new model into which my_model's saved state_dict was loaded: other
    tensors, the same values, the same outputs; with ``cells`` (IPython's ``In``), loaded from
    a file (``_check_restored_from_file``)."""
    _check_torch_layers("final_model", final_model)
    _check_torch_layers("my_model", my_model)
    reload_hint = check.Hint(
        "device.capstone-not-reloaded",
        "final_model 은 my_model 을 가리키는 다른 이름이 아니라, 모델을 만드는 코드로 새로 만든 모델이어야 합니다. "
        "그 새 모델에 저장해 둔 파일의 state_dict 를 불러오세요.")
    if final_model is my_model or _shares_parameters(final_model, my_model):
        fail("final_model 은 my_model 과 다른, 새로 만든 모델이어야 합니다", "my_model 과 같은 매개변수",
             "새 모델에 불러온 같은 값", reload_hint)
    mine = dict(my_model.named_parameters())
    loaded = dict(final_model.named_parameters())
    load_hint = check.Hint(
        "device.capstone-state-not-loaded",
        "새 모델을 만든 것만으로는 학습한 값이 들어가지 않습니다. torch.save 로 저장한 파일을 torch.load 로 읽어 "
        "새 모델의 load_state_dict 에 넘겼는지 보세요.")
    if sorted(mine) != sorted(loaded):
        fail("final_model 의 매개변수 이름이 my_model 과 같아야 합니다", ", ".join(sorted(loaded))[:80],
             ", ".join(sorted(mine))[:80],
             check.Hint("device.capstone-other-architecture",
                        "final_model 은 my_model 과 같은 구조로 만들어야 저장한 state_dict 가 들어맞습니다. 두 모델을 "
                        "같은 코드(함수나 클래스)로 만드세요."))
    different = [name for name, value in mine.items()
                 if not torch.equal(value.detach().cpu(), loaded[name].detach().cpu())]
    if different:
        fail("final_model 의 매개변수 값이 my_model 과 같아야 합니다",
             f"{len(different)}개가 다름 (예: {different[0]})", "모두 같음", load_hint)
    data = check.reference_data()
    rows = torch.randint(0, len(data.x_valid), (SAME_OUTPUT_ROWS,),
                         generator=check.probe_generator(SAME_OUTPUT_SEED))
    images = _images(data.x_valid[rows])
    try:
        with guard(), torch.no_grad():
            outputs = []
            for model in (my_model, final_model):
                was_training = model.training
                model.eval()
                try:
                    outputs.append(model(images.to(model_device(model))).detach().cpu())
                finally:
                    model.train(was_training)
    except Exception as error:  # the learner's model, any mistake
        fail("두 모델을 검증 이미지에 적용하다 오류가 났습니다", f"{type(error).__name__}: {error}", None,
             check.Hint("device.capstone-outputs-failed", "두 모델 모두 (N, 1, 28, 28) 이미지 배치를 받아야 합니다."),
             cause=error)
    if outputs[0].shape != outputs[1].shape or not torch.allclose(outputs[0], outputs[1], rtol=1e-4, atol=1e-5):
        fail("final_model 과 my_model 이 같은 이미지에 같은 출력을 내야 합니다",
             f"검증 이미지 {SAME_OUTPUT_ROWS}장에서 다른 출력", "같은 출력", load_hint)
    _check_restored_from_file(cells)
    check.passed(f"final_model 은 새 모델이고, my_model 의 매개변수 {len(mine)}개를 그대로 불러와 "
                 f"검증 이미지 {SAME_OUTPUT_ROWS}장에 같은 출력을 냅니다")


# ---------------------------------------------------------------- concept check

#: Where a loop stops first when preprocess leaves the labels on the CPU; every choice explained.
WHY_MOVE_LABELS = {
    "A": "xb 와 모델은 모두 device 에 있습니다. 모델이 배치를 계산하는 동안 yb 는 쓰이지 않습니다.",
    "B": "손실 함수가 장치 위의 모델 출력과 CPU 의 레이블을 함께 계산하려다 \"Expected all tensors to be on "
         "the same device\" 같은 RuntimeError 를 냅니다. 계산에 함께 쓰는 텐서는 모두 같은 장치에 있어야 하므로 "
         "preprocess 가 레이블도 옮깁니다.",
    "C": "yb 가 기울기를 구할 때 처음 쓰이는 것은 아닙니다. 훈련 루프에서 yb 가 처음 쓰이는 줄을 찾아보세요.",
    "D": "장치 규칙은 자료형과 상관없이 모든 텐서에 적용됩니다. 정수 레이블도 어느 장치 위에 있습니다(yb.device).",
}


check_why_move_labels = concept_check(
    "why_move_labels", "B", WHY_MOVE_LABELS, "where a loop stops when the labels stay on the CPU")


# ---------------------------------------------------------------- concept check: tensor to returns

#: A tensor's .to(dev) whose result is dropped; every choice explained.
TENSOR_TO_RETURNS = {
    "A": "텐서의 .to 가 제자리에서 옮기는지 확인 셀 아래의 셀에서 직접 보세요: .to(...) 만 부른 뒤 "
         "원래 텐서의 .device 를 출력해 봅니다.",
    "B": "옮길 장치가 있는 한 .to 호출은 이 줄에서 오류 없이 끝납니다.",
    "C": "텐서의 .to 는 옮긴 새 텐서를 돌려주고 원래 텐서는 그대로 둡니다. 그래서 xb = xb.to(dev) 처럼 "
         "받아야 합니다. 모듈의 .to 는 제자리에서 옮기므로 model.to(dev) 만으로 됩니다.",
    "D": "가속기가 있다고 PyTorch 가 텐서를 만드는 곳을 스스로 바꾸지는 않습니다(torch.set_default_device 로 "
         "정했을 때만 바뀝니다). 이 질문의 요점은 .to 가 무엇을 돌려주는지입니다.",
}


check_tensor_to_returns = concept_check(
    "tensor_to_returns", "C", TENSOR_TO_RETURNS, "a tensor's .to(dev) whose result is dropped")


#: Test cells whose points the judge decides outside the learner's kernel, from values read by
#: value (nncourse.grading.judge); the others still run in the kernel, under the guard.
JUDGED = frozenset({
    "test_device",
    "test_loaders",
    "test_get_model",
    "test_training",
    "test_why_move_labels",
    "test_tensor_to_returns",
    "test_my_model",
    "test_final_model",
})
