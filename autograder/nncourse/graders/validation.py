"""Checks of lesson 08_validation: shuffled training, validation loss, ``loss_batch``, ``fit``
and ``get_data``.

``fit`` is checked by behaviour: it runs on a recording model, loss function and optimizer over
tiny loaders cut from the reference data (a few hundred samples, well under a second), which
see in which mode, with or without gradients, and on which batches the learner's code runs.
The trained result is checked by training a FRESH model from seed 0 (through
``seed_everything``, so the reference generator's seed reaches it) through the learner's
``get_data`` and ``fit`` in the test cell. The reference band comes from several seeds and
arithmetic settings, so a learner's result does not depend on the machine.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

from .. import built
from ..lesson import seed_everything
from .. import checks as check
from ..data import N_CLASSES, N_PIXELS, N_VALID
from ..training import evaluate
from . import common, source
from .common import call_learner, concept_check, check_trained
from .loaders import check_loader_settings, check_tensor_dataset

LESSON = "08_validation"
#: The lesson's learning rate: 0.1, not the 0.5 of lessons 02-07 and of the upstream tutorial. On
#: shuffled batches 0.5 made the trained model depend on the last few batches of the epoch: over
#: ten seeds its validation accuracy spread over 0.859-0.924, against 0.912-0.917 at 0.1.
LR = 0.1
SETTINGS = f"bs=64, lr={LR}, epochs=2"
BATCH_SIZE = 64
EPOCHS = 2
SEED = 0
#: A fresh model's mean training loss over its first epoch was 0.504-0.508 (six seeds, lr 0.1);
#: continuing a model already trained for two epochs gave 0.325.
FRESH_FIRST_EPOCH_LOSS = 0.42

WEIGHTING = ("배치마다의 평균 손실을 그냥 평균 냈습니다. 검증 데이터의 마지막 배치는 작아서(10,000 = 78 × 128 + 16) "
             "16장짜리 배치가 128장짜리 배치와 같은 무게로 세어집니다. 배치 손실에 배치 크기를 곱해 더한 뒤 "
             "전체 이미지 수로 나누세요(배치 크기로 가중한 평균).")
NO_GRAD = check.Hint("validation.valid-loss-with-grad", "검증 손실을 계산할 때는 with torch.no_grad(): 안에서 하세요. 검증에는 기울기가 필요 없으니, "
           "계산 그래프를 만들지 않아야 메모리와 시간을 아낍니다.")


ERROR_HINTS = {
    "does not require grad": ("torch.no_grad() 안에서 loss.backward() 가 불렸습니다. 검증할 때는 "
                              "loss_batch 에 opt 를 넘기지 말고, loss_batch 는 opt 가 있을 때만 backward 하세요."),
    "argument": "함수의 인자 목록이 강의에서 정한 순서·개수와 같은지 보세요.",
    # np.average(losses, nums): the second positional parameter is axis, not the weights.
    "out of bounds for array of dimension": ("np.average 의 두 번째 위치 인자는 축(axis)입니다. 배치 크기는 "
                                             "weights= 로 이름을 붙여 넘기세요."),
}


# ---------------------------------------------------------------- exercise 1: the two loaders

def _loader_hints(bs: int, in_function: bool) -> tuple[dict, dict]:
    where = "get_data 안에서 인자로 받은 bs 를 쓰세요. " if in_function else ""
    # get_data's batch sizes (in_function) are their own diagnoses: the hint says more there
    train = {
        "batch_size": check.Hint("validation.get-data-train-batch-size" if in_function else "validation.train-batch-size",
                                 where + "훈련 로더의 batch_size 는 bs 그대로입니다(검증 로더만 두 배)."),
        "shuffle": check.Hint("validation.train-not-shuffled", "훈련 로더에는 shuffle=True 를 넘기세요. 에포크마다 순서를 섞어야 미니배치의 구성이 "
                   "매번 달라지고, 모델이 데이터의 순서까지 외우지 않습니다."),
    }
    valid = {
        "batch_size": check.Hint("validation.get-data-valid-batch-size" if in_function else "validation.valid-batch-size",
                                 where + f"검증 로더의 배치 크기는 bs * 2 (= {bs * 2}) 입니다. 검증은 torch.no_grad() "
                      "안에서 하므로 역전파용 중간값을 저장하지 않아, 같은 메모리로 두 배 큰 배치를 "
                      "계산할 수 있습니다."),
        "order": check.Hint("validation.valid-shuffled", "검증 데이터는 섞을 필요가 없습니다. 검증 손실은 전체 평균이라 순서와 상관이 없으니, "
                 "검증 로더에서는 shuffle=True 를 빼세요."),
    }
    return train, valid


def check_loaders(train_dl: object, valid_dl: object, bs: int = BATCH_SIZE,
                  names: tuple[str, str] = ("train_dl", "valid_dl"), in_function: bool = False) -> None:
    """Exercise 1: a shuffled training loader of ``bs`` over the training data and an unshuffled
    validation loader of ``bs * 2`` over the validation data."""
    train_hints, valid_hints = _loader_hints(bs, in_function)
    if isinstance(train_dl, DataLoader) and isinstance(valid_dl, DataLoader):
        if (train_dl.batch_size, valid_dl.batch_size) == (bs * 2, bs):
            check.fail(f"{names[0]} 와 {names[1]} 의 배치 크기가 바뀌었습니다: {bs * 2} 와 {bs}.",
                       hint=check.Hint("validation.get-data-batch-sizes-swapped" if in_function
                                       else "validation.batch-sizes-swapped",
                                       f"훈련은 bs, 검증은 bs * 2 입니다. {valid_hints['batch_size']}"))
    check_loader_settings(names[0], train_dl, bs, shuffled=True, hints=train_hints)
    check_tensor_dataset(f"{names[0]}.dataset", train_dl.dataset, "x_train", "y_train")
    check_loader_settings(names[1], valid_dl, bs * 2, shuffled=False, hints=valid_hints)
    check_tensor_dataset(f"{names[1]}.dataset", valid_dl.dataset, "x_valid", "y_valid")


def check_valid_batches(valid_dl: DataLoader) -> None:
    """The validation loader yields 79 batches: 78 of 128 and the 16 images left over."""
    sizes = [len(xb) for xb, _ in valid_dl]
    check.equal("len(valid_dl) (검증 배치 수)", len(sizes), 79)
    check.equal("검증 로더 마지막 배치의 크기", sizes[-1], 16,
                check.Hint("validation.valid-last-batch-dropped", "마지막 작은 배치를 버리지 마세요(drop_last 를 쓰지 않습니다)."))


# ---------------------------------------------------------------- exercise 2: the loop

def seed_diagnosis(loss: float, accuracy: float, ref: dict) -> str | None:
    """A ``diagnose`` for a loop trained on shuffled batches. The band already holds what the
    seed and the machine change, so a result outside it is a training mistake."""
    if not math.isfinite(loss) or accuracy < 0.85 or loss > 0.5:
        return None  # a real training mistake: the common diagnosis names it
    return (check.Hint("validation.outside-band", "허용 오차는 시드와 컴퓨터에 따른 차이를 이미 담고 있으니, 시드 탓은 아닙니다. 셀 안에서 "
            f"get_model(lr) 로 새 모델을 한 번만 만들어 학습시켰는지, 설정({SETTINGS})을 "
            "지켰는지, 에포크마다 train_dl 을 한 번씩 돌았는지 보세요."))


def _weighted_and_plain(model: Callable, batch_size: int = BATCH_SIZE * 2) -> tuple[float, float]:
    """The validation loss of ``model`` weighted by batch size, and as the plain mean of the
    per-batch means, over the reference validation data cut into batches of ``batch_size``."""
    data = check.reference_data()
    losses, sizes = [], []
    was_training = getattr(model, "training", None)
    if was_training is not None:  # a module (a model computed from parameters has no mode)
        model.eval()
    with torch.no_grad():
        for start in range(0, N_VALID, batch_size):
            xb, yb = data.x_valid[start:start + batch_size], data.y_valid[start:start + batch_size]
            losses.append(F.cross_entropy(model(xb), yb).item())
            sizes.append(len(xb))
    if was_training is not None:
        model.train(was_training)
    weighted = sum(l * n for l, n in zip(losses, sizes)) / sum(sizes)
    return weighted, sum(losses) / len(losses)


def _check_number_list(name: str, values: object, count: int, what: str) -> None:
    """``values`` is a list of ``count`` plain floats, one per epoch."""
    if isinstance(values, tuple):
        values = list(values)
    if not isinstance(values, list):
        check.fail(f"{name} 은(는) 리스트여야 합니다 (지금은 {type(values).__name__}).",
                   hint=check.Hint("validation.history-not-list", f"에포크마다 {what}을 {name}.append(...) 로 모으세요."))
    for value in values:
        if isinstance(value, torch.Tensor):
            hint = check.Hint("validation.item-missing", ".item() 으로 파이썬 숫자를 꺼내 넣으세요.")
            if value.requires_grad:
                hint = check.Hint("validation.no-grad-and-item", NO_GRAD + " 그리고 " + hint)
            check.fail(f"{name} 에 텐서가 들어 있습니다 (requires_grad={value.requires_grad}).", hint=hint)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            check.fail(f"{name} 에는 숫자만 넣어야 합니다 (지금은 {type(value).__name__}).",
                       hint=check.Hint("validation.history-not-numbers", f"{what}을 파이썬 숫자로 넣으세요."))
    if len(values) != count:
        hint = check.Hint("validation.per-epoch-missing", f"for epoch in range(epochs): 안에서, 에포크가 끝날 때마다 {what}을 하나씩 넣으세요.")
        if len(values) > count and len(values) % count == 0:
            hint = (check.Hint("validation.per-batch-appended", f"배치마다 넣은 것 같습니다. {what}은 검증 로더 전체를 돈 뒤에 에포크마다 하나입니다. "
                    "셀을 여러 번 실행했다면 리스트를 셀 안에서 새로 만드세요."))
        check.fail(f"{name} 에 에포크마다 하나씩, {count}개의 값이 있어야 합니다.",
                   got=f"{len(values)}개", expected=f"{count}개", hint=hint)


def _check_matches_model(name: str, value: float, model: Callable, hint_other: check.Hint) -> None:
    """``value`` is the weighted validation loss of ``model`` over the whole validation set."""
    data = check.reference_data()
    full, _ = evaluate(model, data.x_valid, data.y_valid)
    if not math.isfinite(full):
        return  # training blew up; check_trained names that mistake
    if abs(value - full) <= 1e-4:
        check.passed(f"{name} = {value:.4f} 는 학습된 모델의 검증 데이터 10,000장 전체 손실과 같습니다 "
                     "(배치 크기로 가중한 평균)")
        return
    weighted, plain = _weighted_and_plain(model)
    hint = WEIGHTING if abs(value - plain) <= 1e-5 else hint_other
    last_rows = len(data.x_valid) % (2 * BATCH_SIZE) or 2 * BATCH_SIZE
    last_batch, _ = evaluate(model, data.x_valid[-last_rows:], data.y_valid[-last_rows:])
    if abs(value - last_batch) <= 1e-4:
        hint = (check.Hint("validation.last-valid-batch-only-loop", f"마지막 검증 배치({last_rows}장)의 손실만 넣었습니다. 검증 손실은 검증 데이터 전체로 "
                "재야 합니다: 배치마다 손실 × 배치 크기를 더하고, 검증 이미지 수로 나누세요."))
    check.fail(f"{name} 이(가) 학습된 모델의 검증 데이터 전체 손실과 같아야 합니다.",
               got=f"{value:.4f}", expected=f"{full:.4f} (배치 평균들의 단순 평균이라면 {plain:.4f})", hint=hint)


def check_learning_rate(opt: object) -> None:
    """``opt`` is the optimizer ``get_model(lr)`` returned: SGD at the lesson's rate (0.1), not
    the 0.5 ``get_model()`` falls back to (lessons 02-07)."""
    groups = getattr(opt, "param_groups", None)
    if not isinstance(groups, list) or not groups or not isinstance(groups[0], dict):
        check.fail("opt 는 get_model(lr) 가 돌려준 옵티마이저여야 합니다.", got=type(opt).__name__,
                   expected="optim.SGD", hint=check.Hint("validation.opt-not-optimizer", "get_model(lr) 가 돌려주는 두 값을 모델과 옵티마이저로 함께 받으세요."))
    rate = groups[0].get("lr")
    if not (isinstance(rate, (int, float)) and math.isclose(rate, LR)):
        hint = check.Hint("validation.lr-not-passed", f"get_model 에 준비 셀의 학습률 lr (= {LR}) 을 넘기세요.")
        if isinstance(rate, (int, float)) and math.isclose(rate, 0.5):
            hint = (check.Hint("validation.lr-from-06", "get_model() 을 인자 없이 불러 06 강의의 학습률 0.5 로 학습했습니다. 섞은 데이터에서는 0.5 가 "
                    "너무 커서 결과가 시드에 크게 좌우됩니다(준비 셀 위의 설명). " + hint))
        check.fail(f"opt 의 학습률이 {LR} 이어야 합니다.", got=repr(rate), expected=repr(LR), hint=hint)
    check.passed(f"opt 의 학습률 {LR}")


def check_loop_modes(history: object) -> None:
    """The loop's two switches, read from the cell that builds ``valid_losses`` (``history`` is
    IPython's ``In``): a logistic regression computes the same numbers in either mode and with or
    without gradients, so no value shows a ``model.train()`` that is never called again or a
    ``torch.no_grad()`` that is never entered. Without the code (a kernel that keeps no history,
    as under nbval) there is nothing to object to."""
    cell = source.last_cell_assigning(history, "valid_losses") or ast.Module(body=[], type_ignores=[])
    bare = source.bare_context_managers(cell)
    if bare:
        check.fail(f"{bare[0]} 을(를) with 없이 불렀습니다. 그 줄은 아무것도 바꾸지 않습니다.",
                   got=bare[0], expected="with torch.no_grad():  아래에 들여 쓴 검증 루프", hint=check.Hint(
                       "validation.loop-no-grad-without-with",
                       "torch.no_grad() 는 with 문으로 들어가야 효과가 있습니다. 혼자 쓴 줄은 객체를 만들고 버릴 뿐이라 검증 손실이 "
                       "여전히 기울기를 기록하며 계산됩니다. with torch.no_grad(): 아래에 검증 루프를 들여 쓰세요."))
    left = source.eval_left_on(cell)
    if left:
        check.fail("에포크 루프가 model.eval() 만 부르고 model.train() 으로 되돌리지 않습니다.", got=left,
                   expected="에포크마다 훈련 앞에서 model.train()", hint=check.Hint(
                       "validation.loop-train-not-restored",
                       "첫 에포크의 검증에서 부른 model.eval() 이 다음 에포크의 훈련까지 남습니다. 이 모델(nn.Linear)은 어느 모드든 "
                       "같은 값을 내서 숫자로는 드러나지 않지만, Dropout 이나 BatchNorm 이 있는 모델은 평가 모드로 학습하게 됩니다. "
                       "에포크마다 훈련 루프 앞에서 model.train() 을 부르세요."))
    check.passed("루프는 에포크마다 model.train() 으로 훈련하고, 검증은 with torch.no_grad(): 안에서 합니다")


def check_training_loop(model: Callable, valid_losses: object, opt: object = None,
                        history: object = None) -> None:
    """Exercise 2: one validation loss per epoch, weighted by batch size, and a model trained
    like the reference (seeded, shuffled, at the lesson's learning rate); with ``history``
    (IPython's ``In``), the loop's mode switches too (``check_loop_modes``)."""
    _check_number_list("valid_losses", valid_losses, EPOCHS, "검증 손실")
    check.passed(f"valid_losses 에 에포크마다 검증 손실이 하나씩, {EPOCHS}개 있습니다")
    if history is not None:
        check_loop_modes(history)
    if not common.is_module(model):
        check.fail(f"model 이 nn.Module 이 아닙니다 (지금은 {type(model).__name__}).",
                   hint=check.Hint("validation.model-not-module", "get_model(lr) 가 돌려준 모델을 학습시키세요."))
    if opt is not None:
        check_learning_rate(opt)
    # Scored from its parameters: the learner's forward must compute what they give.
    trained = common.trained_logistic(model)
    _check_matches_model("valid_losses[-1] (마지막 에포크의 검증 손실)", float(valid_losses[-1]), trained,
                         check.Hint("validation.loop-valid-loss-differs", "마지막 에포크의 검증 손실은 그 에포크의 학습이 끝난 뒤 valid_dl 전체로 재야 합니다. "
                         "검증 로더(valid_dl)의 모든 배치를 돌았는지, 학습이 끝난 뒤에 쟀는지 보세요."))
    check_trained(LESSON, trained, check_name="loop", settings=SETTINGS, diagnose=seed_diagnosis)


# ---------------------------------------------------------------- exercise 3: loss_batch

def _probe_model(seed: int = 7) -> nn.Linear:
    generator = torch.Generator().manual_seed(seed)
    model = nn.Linear(N_PIXELS, N_CLASSES)
    with torch.no_grad():
        model.weight.copy_(torch.randn(N_CLASSES, N_PIXELS, generator=generator) * 0.05)
        model.bias.zero_()
    return model


def _unpack(result: object, rows: int) -> tuple[object, object]:
    if isinstance(result, torch.Tensor) or not isinstance(result, (tuple, list)) or len(result) != 2:
        hint = check.Hint("validation.loss-batch-returns-one", "손실(파이썬 숫자)과 배치의 이미지 수, 두 값을 함께 돌려주세요.")
        if isinstance(result, (torch.Tensor, float)):
            hint = (check.Hint("validation.loss-only-returned", "손실만 돌려줬습니다. " + hint + " 배치 크기가 있어야 fit 이 마지막 작은 배치를 "
                    "옳은 무게로 평균 낼 수 있습니다."))
        check.fail("loss_batch 는 (손실, 배치 크기) 두 값을 돌려줘야 합니다.",
                   got=type(result).__name__, expected=f"(float, {rows})", hint=hint)
    return result[0], result[1]


def _steps_by_hand(model: nn.Module, loss_func: Callable, batches, lr: float, zero: bool) -> None:
    opt = optim.SGD(model.parameters(), lr=lr)
    for xb, yb in batches:
        loss_func(model(xb), yb).backward()
        opt.step()
        if zero:
            opt.zero_grad()


def _same_parameters(a: nn.Module, b: nn.Module, atol: float = 1e-6) -> bool:
    return all(torch.allclose(p, q, atol=atol) for p, q in zip(a.parameters(), b.parameters()))


def check_loss_batch(loss_batch: Callable, rows: int = 13,
                     loss_func: Callable = F.cross_entropy, loss_name: str = "F.cross_entropy") -> None:
    """Exercise 3: the loss and the batch size of one batch; one optimizer step, with the
    gradients reset, only when an optimizer is given."""
    data = check.reference_data()
    xb, yb = data.x_valid[:rows], data.y_valid[:rows]

    # Without an optimizer: the loss of the batch and nothing else.
    model = _probe_model()
    before = copy.deepcopy(model)
    loss, size = _unpack(call_learner("loss_batch", loss_batch, model, loss_func, xb, yb, hint=ERROR_HINTS), rows)
    if isinstance(loss, torch.Tensor):
        check.fail("loss_batch 가 돌려준 손실이 텐서입니다.",
                   hint=check.Hint("validation.loss-tensor-returned", "손실 텐서에서 .item() 으로 파이썬 숫자를 꺼내 돌려주세요. "
                        "텐서를 돌려주면 fit 이 모으는 동안 계산 그래프가 메모리에 남고, np.average 로 평균을 낼 수 "
                        "없습니다."))
    with torch.no_grad():
        expected = loss_func(before(xb), yb).item()
        other = F.cross_entropy(before(xb), yb).item()
    hint = check.Hint("validation.loss-func-not-used", "model(xb) 의 출력과 yb 로 인자 loss_func 을 불러 손실을 구하세요: loss_func(model(xb), yb).")
    if loss_func is not F.cross_entropy and isinstance(loss, float) and abs(loss - other) < 1e-5:
        hint = check.Hint("validation.loss-func-hard-coded", f"F.cross_entropy 를 직접 불렀습니다. 인자로 받은 loss_func 을 쓰세요 (이 확인에서는 {loss_name}).")
    check.close(f"loss_batch(검증 이미지 {rows}장, {loss_name}) 의 손실", loss, expected, 1e-5, hint)
    if type(size) is not int or size != rows:
        hint = check.Hint("validation.batch-size-len", "배치 크기는 len(xb) 입니다.")
        if size == BATCH_SIZE:
            hint = (check.Hint("validation.bs-returned", f"bs({BATCH_SIZE})를 그대로 돌려줬습니다. 마지막 배치는 bs 보다 작으니, 실제 배치 크기 "
                    "len(xb) 를 돌려주세요."))
        elif isinstance(size, torch.Tensor):
            hint = check.Hint("validation.size-as-tensor", "배치 크기를 텐서가 아니라 파이썬 정수 len(xb) 로 돌려주세요.")
        check.fail(f"loss_batch 가 돌려준 배치 크기가 {rows} 이어야 합니다.",
                   got=repr(size), expected=rows, hint=hint)
    check.passed(f"loss_batch 는 (손실, 배치 크기 {rows}) 를 돌려줍니다")
    if any(p.grad is not None for p in model.parameters()):
        check.fail("opt 없이 불렀는데 loss_batch 가 기울기를 계산했습니다 (loss.backward()).",
                   hint=check.Hint("validation.backward-without-opt", "if opt is not None: 안에서만 backward, step, zero_grad 를 하세요. 검증할 때는 "
                        "torch.no_grad() 안에서 opt 없이 부르므로, 그때 backward 를 하면 오류가 납니다."))
    if not _same_parameters(model, before, atol=0):
        check.fail("opt 없이 불렀는데 모델의 매개변수가 바뀌었습니다.",
                   hint=check.Hint("validation.updates-without-opt", "opt 가 None 이면 손실만 계산하고 아무것도 갱신하지 마세요."))
    check.passed("opt 가 없으면 손실만 계산하고 모델은 그대로 둡니다")

    # With an optimizer: two batches in a row must give two clean SGD steps.
    batches = [(data.x_valid[:rows], data.y_valid[:rows]),
               (data.x_valid[rows:2 * rows], data.y_valid[rows:2 * rows])]
    model = _probe_model()
    start = copy.deepcopy(model)
    opt = optim.SGD(model.parameters(), lr=0.1)
    for bx, by in batches:
        call_learner("loss_batch", loss_batch, model, loss_func, bx, by, opt, hint=ERROR_HINTS)
    clean, piled = copy.deepcopy(start), copy.deepcopy(start)
    _steps_by_hand(clean, loss_func, batches, 0.1, zero=True)
    _steps_by_hand(piled, loss_func, batches, 0.1, zero=False)
    if _same_parameters(model, start, atol=0):
        check.fail("opt 를 넘겼는데 모델의 매개변수가 그대로입니다.",
                   hint=check.Hint("validation.no-step-with-opt", "opt 가 있으면 loss.backward() 로 기울기를 구한 뒤 opt.step() 으로 매개변수를 "
                        "갱신하세요."))
    if not _same_parameters(model, clean) and _same_parameters(model, piled):
        check.fail("두 배치를 차례로 학습시켰더니 두 번째 걸음에 첫 번째 배치의 기울기가 쌓여 있었습니다.",
                   hint=check.Hint("validation.zero-grad-missing", "opt.step() 다음에 opt.zero_grad() 로 기울기를 0으로 되돌리세요."))
    if not _same_parameters(model, clean):
        check.fail("opt 를 넘겨 두 배치를 학습시킨 결과가 SGD 두 걸음과 다릅니다.",
                   hint=check.Hint("validation.step-sequence-wrong", "opt 가 있으면 loss.backward(), opt.step(), opt.zero_grad() 를 차례로 한 번씩 "
                        "하세요."))
    check.passed("opt 가 있으면 배치마다 한 걸음씩 학습하고 기울기를 0으로 되돌립니다")


# ---------------------------------------------------------------- exercise 4: fit

@dataclass(frozen=True)
class _Call:
    size: int
    training: bool
    grad: bool


class _RecordingModel(nn.Module):
    """A linear model that notes, at every forward call, the batch size, the mode
    (``self.training``) and whether gradients are being recorded. In grading, the judge has the
    learner's kernel build one (``judge_kind``) and reads back what it noted (``judge_update``)."""

    judge_kind = "recording_linear"

    def judge_update(self, state: dict) -> None:
        self.calls = [_Call(size, training, grad) for size, training, grad in state["calls"]
                      if type(size) is int and type(training) is bool and type(grad) is bool]

    def __init__(self):
        super().__init__()
        self.lin = _probe_model(seed=3)
        self.calls: list[_Call] = []

    def forward(self, xb):
        self.calls.append(_Call(len(xb), self.training, torch.is_grad_enabled()))
        return self.lin(xb)


class _RecordingLoss:
    """Cross-entropy that notes every value it computed and the batch size (in grading, noted
    in the learner's kernel and read back, as :class:`_RecordingModel`)."""

    judge_kind = "recording_loss"

    def judge_update(self, state: dict) -> None:
        self.calls = [(float(loss), size) for loss, size in state["calls"]
                      if isinstance(loss, (int, float)) and type(size) is int]

    def __init__(self):
        self.calls: list[tuple[float, int]] = []

    def __call__(self, out, yb):
        loss = F.cross_entropy(out, yb)
        self.calls.append((loss.item(), len(yb)))
        return loss


class _CountingSGD(optim.SGD):
    def judge_update(self, state: dict) -> None:
        self.steps = state["steps"] if type(state.get("steps")) is int else 0

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.steps = 0

    def step(self, closure=None):
        self.steps += 1
        return super().step(closure)


def _weighted(pairs: list[tuple[float, int]]) -> float:
    return sum(l * n for l, n in pairs) / sum(n for _, n in pairs)


def _check_history(history: object, epochs: int) -> dict:
    if history is None:
        check.fail("fit 이 아무것도 돌려주지 않았습니다 (None).",
                   hint=check.Hint("validation.fit-no-return", "fit 은 마지막에 에포크별 손실을 모은 딕셔너리를 돌려줘야 합니다. 함수 끝의 return 을 빠뜨리지 않았는지 보세요."))
    if not isinstance(history, dict) or set(history) != {"train_loss", "valid_loss"}:
        got = sorted(history) if isinstance(history, dict) else type(history).__name__
        check.fail("fit 은 {\"train_loss\": [...], \"valid_loss\": [...]} 꼴의 딕셔너리를 돌려줘야 합니다.",
                   got=got, expected="['train_loss', 'valid_loss']",
                   hint=check.Hint("validation.history-not-dict", "키가 train_loss 와 valid_loss 인 딕셔너리에 빈 리스트 두 개를 두고 시작해, 에포크마다 두 "
                        "리스트에 값을 하나씩 넣은 뒤 그 딕셔너리를 돌려주세요."))
    for key, what in (("train_loss", "훈련 손실"), ("valid_loss", "검증 손실")):
        _check_number_list(f'history["{key}"]', history[key], epochs, what)
    check.passed(f"fit 이 에포크 {epochs}번의 훈련 손실과 검증 손실을 history 로 돌려줍니다")
    return history


def check_fit(fit: Callable, epochs: int = EPOCHS, train_rows: int = 240, train_batch: int = 48,
              valid_rows: int = 150, valid_batch: int = 64) -> None:
    """Exercise 4: ``fit(epochs, model, loss_func, opt, train_dl, valid_dl)`` trains on every
    training batch in train mode, then measures the validation loss in eval mode without
    gradients, weighted by batch size, and returns the history."""
    data = check.reference_data()
    train_dl = DataLoader(TensorDataset(data.x_train[:train_rows], data.y_train[:train_rows]),
                          batch_size=train_batch)
    valid_dl = DataLoader(TensorDataset(data.x_valid[:valid_rows], data.y_valid[:valid_rows]),
                          batch_size=valid_batch)
    valid_sizes = [len(yb) for _, yb in valid_dl]
    n_train = len(train_dl)
    model, loss_func = _RecordingModel(), _RecordingLoss()
    opt = _CountingSGD(model.parameters(), lr=0.1)
    model.eval()  # fit must switch to train mode itself, in the first epoch too
    history = call_learner("fit", fit, epochs, model, loss_func, opt, train_dl, valid_dl, hint=ERROR_HINTS)
    history = _check_history(history, epochs)

    train_calls = [c for c in model.calls if c.size == train_batch]
    valid_calls = [c for c in model.calls if c.size in valid_sizes]
    setting = (f"확인용 작은 데이터: 훈련 {train_rows}장(배치 {train_batch}, {n_train}개), "
               f"검증 {valid_rows}장(배치 {valid_sizes}), 에포크 {epochs}")
    if opt.steps != epochs * n_train:
        hint = (check.Hint("validation.fit-train-loop", "에포크마다 train_dl 의 모든 배치에서 loss_batch(model, loss_func, xb, yb, opt) 로 "
                "한 걸음씩 학습하세요."))
        if opt.steps == 0:
            hint = check.Hint("validation.opt-not-passed", "훈련 배치에는 loss_batch(model, loss_func, xb, yb, opt) 처럼 opt 를 넘기세요.")
        elif opt.steps == epochs * len(valid_sizes) and not train_calls:
            hint = (check.Hint("validation.trains-on-valid", "fit 이 valid_dl 로 학습했습니다. 훈련 루프는 for xb, yb in train_dl: 이고, valid_dl 은 "
                    "검증 손실을 잴 때만 씁니다."))
        elif opt.steps == epochs * (n_train + len(valid_sizes)):
            hint = check.Hint("validation.validates-with-opt", "검증 배치에도 opt 를 넘겼습니다. 검증 데이터로 학습하면 안 되니, 검증할 때는 opt 없이 부르세요.")
        check.fail(f"opt.step() 이 에포크 {epochs} × 훈련 배치 {n_train} = {epochs * n_train}번 불려야 합니다. "
                   f"({setting})", got=f"{opt.steps}번", hint=hint)
    check.passed(f"fit 은 에포크마다 훈련 배치 {n_train}개로 한 걸음씩 학습합니다")
    if len(valid_calls) != epochs * len(valid_sizes):
        hint = check.Hint("validation.fit-valid-loop", "에포크마다 훈련이 끝나면 valid_dl 의 모든 배치로 검증 손실을 재세요.")
        if not valid_calls and len(train_calls) > epochs * n_train:
            hint = check.Hint("validation.valid-on-train", "검증 손실을 train_dl 로 쟀습니다. 검증은 for xb, yb in valid_dl: 로 합니다.")
        check.fail(f"에포크마다 검증 배치 {len(valid_sizes)}개를 모두 모델에 넣어야 합니다. ({setting})",
                   got=f"모두 {len(valid_calls)}번", expected=f"{epochs * len(valid_sizes)}번", hint=hint)
    if any(not c.training for c in train_calls):
        check.fail("훈련 배치를 평가 모드(model.eval())에서 학습했습니다.",
                   hint=check.Hint("validation.train-mode-missing", "에포크마다 훈련 루프 앞에서 model.train() 을 부르세요. 검증 때 부른 model.eval() 은 "
                        "다음 에포크까지 그대로 남고, 처음 받은 모델도 평가 모드일 수 있습니다."))
    if any(c.training for c in valid_calls):
        check.fail("검증 배치를 훈련 모드에서 계산했습니다.",
                   hint=check.Hint("validation.eval-mode-missing", "검증 루프 앞에서 model.eval() 을 부르세요. Dropout 이나 BatchNorm 같은 층은 훈련과 "
                        "평가에서 다르게 동작하므로, 검증 손실은 평가 모드에서 재야 합니다."))
    check.passed("훈련은 model.train(), 검증은 model.eval() 모드에서 합니다")
    if any(c.grad for c in valid_calls):
        check.fail("검증 손실을 기울기를 기록하면서 계산했습니다.", hint=NO_GRAD)
    if any(not c.grad for c in train_calls):
        check.fail("훈련 배치를 torch.no_grad() 안에서 계산했습니다. 이러면 기울기를 구할 수 없습니다.",
                   hint=check.Hint("validation.train-under-no-grad", "torch.no_grad() 는 검증 루프만 감싸세요."))
    check.passed("검증은 torch.no_grad() 안에서, 기울기 없이 합니다")

    losses = loss_func.calls
    if len(losses) != len(model.calls):
        check.fail("fit 안에서 인자로 받은 loss_func 이 배치마다 쓰이지 않았습니다.",
                   got=f"모델 호출 {len(model.calls)}번, loss_func 호출 {len(losses)}번",
                   hint=check.Hint("validation.loss-func-bypassed", "F.cross_entropy 를 직접 부르지 말고 loss_batch(model, loss_func, xb, yb, ...) 에 "
                        "인자 loss_func 을 넘기세요."))
    per_epoch = n_train + len(valid_sizes)
    for epoch in range(epochs):
        chunk = losses[epoch * per_epoch:(epoch + 1) * per_epoch]
        train_part, valid_part = chunk[:n_train], chunk[n_train:]
        expected = _weighted(valid_part)
        plain = sum(l for l, _ in valid_part) / len(valid_part)
        got = history["valid_loss"][epoch]
        if not abs(got - expected) <= 1e-5:
            hint = check.Hint("validation.valid-weighting", "검증 배치의 손실에 배치 크기를 곱해 더하고, 검증 이미지 수로 나누세요.")
            seen = sum(n for _, n in valid_part)
            if abs(got - plain) <= 1e-5:
                hint = check.Hint("validation.valid-weighting-small", WEIGHTING + " 작은 확인용 데이터에서는 마지막 배치가 " + f"{valid_sizes[-1]}장입니다.")
            elif abs(got - expected * seen / N_VALID) <= 1e-6:
                hint = (check.Hint("validation.divides-by-global-valid-size", f"손실의 합을 전역 변수 len(valid_ds) (= {N_VALID:,}) 로 나눴습니다. 확인용 valid_dl 에는 "
                        f"{seen}장뿐이라 값이 {seen}/{N_VALID:,} 배로 작아졌습니다. fit 은 인자로 받은 valid_dl 만 "
                        "알아야 하니, 배치마다 센 크기의 합으로 나누세요(np.average(losses, weights=nums))."))
            elif abs(got - valid_part[-1][0]) <= 1e-6:
                hint = (check.Hint("validation.last-valid-batch-only-fit", "마지막 검증 배치의 손실만 넣었습니다. 검증 손실은 검증 데이터 전체로 재야 합니다: "
                        + hint))
            check.fail(f'history["valid_loss"][{epoch}] 가 에포크 {epoch + 1} 검증 손실의 가중 평균이어야 합니다. '
                       f"({setting})", got=f"{got:.6f}", expected=f"{expected:.6f} (단순 평균이라면 {plain:.6f})",
                       hint=hint)
        expected = _weighted(train_part)
        got = history["train_loss"][epoch]
        if not abs(got - expected) <= 1e-5:
            hint = check.Hint("validation.train-weighting", "훈련 손실은 그 에포크 모든 훈련 배치 손실의 (배치 크기로 가중한) 평균입니다.")
            if abs(got - train_part[-1][0]) <= 1e-6:
                hint = check.Hint("validation.train-last-batch-only", "마지막 배치의 손실만 넣었습니다. " + hint)
            check.fail(f'history["train_loss"][{epoch}] 가 에포크 {epoch + 1} 훈련 손실의 평균이어야 합니다. '
                       f"({setting})", got=f"{got:.6f}", expected=f"{expected:.6f}", hint=hint)
    check.passed(f"history 의 검증 손실은 배치 크기로 가중한 평균입니다 (마지막 배치 {valid_sizes[-1]}장)")


# ---------------------------------------------------------------- exercise 5: get_data

def _reference_datasets() -> tuple[TensorDataset, TensorDataset]:
    data = check.reference_data()
    return TensorDataset(data.x_train, data.y_train), TensorDataset(data.x_valid, data.y_valid)


def check_get_data(get_data: Callable, sizes: tuple[int, ...] = (BATCH_SIZE, 32)) -> None:
    """Exercise 5: ``get_data(train_ds, valid_ds, bs)`` returns the two loaders of exercise 1,
    built from its arguments."""
    train_ds, valid_ds = _reference_datasets()
    for bs in sizes:
        result = call_learner("get_data", get_data, train_ds, valid_ds, bs, hint=ERROR_HINTS)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            check.fail("get_data 는 (훈련 로더, 검증 로더) 두 값을 돌려줘야 합니다.", got=type(result).__name__,
                       hint=check.Hint("validation.get-data-one-value", "return (DataLoader(...), DataLoader(...)) 처럼 두 로더를 함께 돌려주세요."))
        train_dl, valid_dl = result
        names = (f"get_data(train_ds, valid_ds, bs={bs}) 의 훈련 로더",
                 f"get_data(train_ds, valid_ds, bs={bs}) 의 검증 로더")
        with contextlib.redirect_stdout(io.StringIO()):  # one summary line instead of six
            check_loaders(train_dl, valid_dl, bs, names=names, in_function=True)
        for name, loader, dataset, argument in ((names[0], train_dl, train_ds, "train_ds"),
                                                (names[1], valid_dl, valid_ds, "valid_ds")):
            if loader.dataset is not dataset:
                check.fail(f"{name}이(가) 인자로 받은 데이터셋을 쓰지 않습니다.",
                           hint=check.Hint("validation.get-data-outer-dataset", f"바깥의 변수가 아니라 get_data 의 인자 {argument} 로 로더를 만드세요. "
                                "그래야 다른 데이터에도 get_data 를 쓸 수 있습니다."))
        check.passed(f"get_data(train_ds, valid_ds, bs={bs}): 훈련 로더는 배치 {bs}, 섞음 / 검증 로더는 "
                     f"배치 {bs * 2}, 섞지 않음 / 인자로 받은 데이터셋 사용")


# ---------------------------------------------------------------- the final run

def fit_diagnosis(loss: float, accuracy: float, ref: dict) -> str | None:
    """A ``diagnose`` for the fresh model trained through the learner's functions."""
    if not math.isfinite(loss) or accuracy < 0.85 or loss > 0.5:
        return None
    return (check.Hint("validation.fit-result-differs", "여러분의 get_data 와 fit 으로 새 모델을 시드 0 에서 다시 학습시켰는데 결과가 "
            "정답과 다릅니다. fit 이 에포크마다 train_dl 을 정확히 한 번 돌며 배치마다 한 걸음씩 학습하는지, "
            "get_data 의 훈련 로더가 섞는지, 위의 fit 과 get_data 확인 셀이 통과하는지 보세요."))


def check_training(fit: Callable, get_data: Callable, model: Callable, history: object,
                   opt: object = None) -> None:
    """The final run: a fresh model at the lesson's learning rate whose history matches it, and
    a fresh model trained from seed 0 through the learner's ``get_data`` and ``fit`` scores
    like the reference."""
    if isinstance(history, dict) and isinstance(history.get("train_loss"), list):
        count = len(history["train_loss"])
        if count != EPOCHS:
            check.fail(f"history 에 에포크 {EPOCHS}번의 기록이 있어야 합니다.",
                       got=f"{count}번", expected=f"{EPOCHS}번",
                       hint=check.Hint("validation.final-epochs-wrong", "fit(epochs, model, loss_func, opt, train_dl, valid_dl) 처럼 첫 인자로 epochs"
                            f"(= {EPOCHS})를 넘기고, 셀 안에서 새 모델로 한 번만 학습시키세요."))
    history = _check_history(history, EPOCHS)
    if opt is not None:
        check_learning_rate(opt)
    common.check_fresh_start(history, FRESH_FIRST_EPOCH_LOSS, "새 모델은 약 0.50",
                             check.Hint("validation.final-continues-model", "앞 연습에서 학습한 model 을 이어서 학습했습니다. 이 셀 안에서 get_model 에 lr 을 넘겨 새 모델과 "
                             "새 옵티마이저를 만든 다음 fit 을 부르세요."))
    _check_matches_model('history["valid_loss"][-1] (마지막 에포크의 검증 손실)',
                         float(history["valid_loss"][-1]), model,
                         check.Hint("validation.final-valid-loss-differs", "fit 에 넘긴 모델과 확인하는 model 이 같은지, get_data(train_ds, valid_ds, bs) 의 인자 "
                         "순서가 맞는지(검증 로더가 검증 데이터를 도는지) 보세요."))
    train_ds, valid_ds = _reference_datasets()
    seed_everything(SEED)
    loaders = call_learner("get_data", get_data, train_ds, valid_ds, BATCH_SIZE, hint=ERROR_HINTS)
    with contextlib.redirect_stdout(io.StringIO()):  # test_get_data reports these lines
        check_loaders(*loaders, names=("get_data 의 훈련 로더", "get_data 의 검증 로더"), in_function=True)
    fresh, opt = built.get_model(LR)
    with contextlib.redirect_stdout(io.StringIO()):  # a fit that prints would clutter the check
        fresh_history = call_learner("fit", fit, EPOCHS, fresh, F.cross_entropy, opt, *loaders, hint=ERROR_HINTS)
    check.passed("새 모델을 시드 0 에서 여러분의 get_data 와 fit 으로 다시 학습시켰습니다")
    fresh_history = _check_history(fresh_history, EPOCHS)
    check_trained(LESSON, fresh, check_name="fit", settings=SETTINGS, diagnose=fit_diagnosis)


# ---------------------------------------------------------------- concept checks

#: Why the validation loader may take batches twice as large (asked before exercise 1 explains
#: it); every choice explained.
WHY_BIGGER_VALID_BATCH = {
    "A": "섞는지는 배치를 키울 수 있는지와 상관없습니다. 섞는 훈련 로더도 배치를 키울 수 있고, 섞지 않는다고 "
         "배치가 커도 되는 것은 아닙니다. 훈련과 견주어 검증 쪽에서만 달라지는 것이 무엇인지 생각해 보세요.",
    "B": "배치 크기로 가중해 평균 내면 검증 손실은 배치 크기와 상관없이 같은 값입니다(소수점 끝자리 정도만 "
         "다릅니다). 큰 배치는 검증을 빨리 끝낼 뿐 손실을 바꾸지 않습니다.",
    "C": "검증은 torch.no_grad() 안에서 하고 backward() 를 하지 않으므로, 역전파에 쓸 순전파의 중간값을 "
         "저장하지 않습니다. 이미지 한 장에 드는 메모리가 줄어, 같은 메모리로 더 큰 배치를 한 번에 계산할 수 "
         "있습니다.",
    "D": "검증은 모델을 재기만 할 뿐 매개변수를 바꾸지 않습니다. 검증 배치를 어떻게 나누든 모델은 그대로이니, "
         "과적합에도 일반화에도 영향을 줄 길이 없습니다.",
}

#: What nn.Dropout(p=0.5) gives on torch.ones(8) after .eval() (asked before exercise 2 explains
#: the modes); every choice explained.
WHAT_EVAL_CHANGES = {
    "A": "그것은 훈련 모드의 동작입니다. eval() 을 부른 뒤에도 똑같이 지운다면 모드를 바꿀 까닭이 없겠지요. "
         "eval() 은 기울기 기록을 끄는 호출(그건 torch.no_grad() 의 일)이 아니라, 층이 계산하는 방식을 "
         "바꾸는 호출입니다.",
    "B": "평가 모드의 Dropout 은 아무것도 지우지 않고 값을 그대로 넘깁니다. model.eval() 은 모델과 그 안의 "
         "모든 층의 training 을 False 로 바꿔, Dropout 이나 BatchNorm 처럼 훈련과 평가에서 다르게 동작하는 "
         "층이 평가 방식으로 계산하게 합니다. 기울기 기록은 끄지 않으므로 검증은 따로 torch.no_grad() 안에서 "
         "합니다.",
    "C": "훈련 때 남은 값을 2배로 키운 것은 평균을 들어온 값과 같게 맞추려는 것이었습니다. 평가 때 모든 값에 "
         "0.5 를 곱하면 평균이 얼마가 되는지 보세요.",
    "D": "eval() 은 층을 꺼 버리지 않습니다. 모든 값을 0 으로 만드는 층을 지나면 다음 층은 아무것도 받지 못해, "
         "평가할 때 모델이 입력과 상관없는 답만 내게 됩니다.",
}


check_why_bigger_valid_batch = concept_check(
    "why_bigger_valid_batch", "C", WHY_BIGGER_VALID_BATCH, "why valid_dl may use batches of bs * 2")


check_what_eval_changes = concept_check(
    "what_eval_changes", "B", WHAT_EVAL_CHANGES, "what nn.Dropout computes after eval()")


#: Test cells whose points the judge decides outside the learner's kernel, from values read by
#: value (nncourse.grading.judge); the others still run in the kernel, under the guard.
JUDGED = frozenset({
    "test_fit",
    "test_training",
    "test_loss_batch",
    "test_get_data",
    "test_loaders",
    "test_validation_loop",
    "test_why_bigger_valid_batch",
    "test_what_eval_changes",
})
