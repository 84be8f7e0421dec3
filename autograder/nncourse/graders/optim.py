"""Checks of lesson 06_optim: ``torch.optim.SGD`` takes over the hand-written update.

Importing this module registers a global optimizer step hook that counts, per optimizer
object, how many times ``step()`` ran. The training check uses the count to see that the
learner's loop really went through ``opt.step()`` (a hand-written update leaves it at 0).
"""

from __future__ import annotations

import contextlib
import io
import math
import weakref
from collections.abc import Callable

import torch.nn.functional as F
from torch import nn
from torch import optim as torch_optim
from torch.optim.optimizer import register_optimizer_step_post_hook

from .. import checks as check
from . import common
from .common import BATCHES_PER_EPOCH, EPOCHS, concept_check, check_losses, check_trained
from .logistic import check_structure, output_diagnosis

LESSON = "06_optim"
SETTINGS = "bs=64, lr=0.5, epochs=2"
LR = 0.5
STEPS = EPOCHS * BATCHES_PER_EPOCH  # 1,564
#: What must stay at optim.SGD's defaults for it to match the hand-written update.
SGD_DEFAULTS = {"weight_decay": 0, "dampening": 0, "nesterov": False, "maximize": False}

_steps: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _count_step(optimizer, args, kwargs) -> None:
    _steps[optimizer] = _steps.get(optimizer, 0) + 1


_STEP_HOOK = register_optimizer_step_post_hook(_count_step)


def steps_taken(optimizer: object) -> int:
    """How many times ``optimizer.step()`` has run since this module was imported (for an
    optimizer read by value by the grading judge, what this counter said in the kernel)."""
    if getattr(optimizer, "is_optimizer_value", False) is True:
        return optimizer.steps
    try:
        return _steps.get(optimizer, 0)
    except TypeError:  # not weak-referenceable: not an optimizer
        return 0


@contextlib.contextmanager
def _quiet():
    """Run checks without their pass lines (an earlier check already reported them)."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


#: The batch loop's range replayed on other numbers of images (hidden test of test_training).
check_batch_loop = common.check_batch_loop


def call_get_model(get_model: object) -> tuple[nn.Module, torch_optim.Optimizer]:
    """``get_model()`` as a (model, optimizer) pair, with a hint for each way it can fail."""
    if not callable(get_model):
        check.fail(f"get_model 은(는) 함수여야 합니다 (지금은 {type(get_model).__name__}).",
                   hint=check.Hint("optim.get-model-not-function", "def get_model(): 로 정의하세요."))
    # keep_random: leave the learner's random stream alone
    result = common.call_learner(
        "get_model()", get_model, keep_random=True,
        hint="함수 안에서 모델을 만들고, 그 모델의 model.parameters() 로 optim.SGD 를 만드세요.")
    if not isinstance(result, tuple) or len(result) != 2:
        check.fail("get_model() 은 (모델, 옵티마이저) 두 값을 돌려줘야 합니다.", got=type(result).__name__,
                   hint=check.Hint("optim.get-model-one-value", "return 뒤에 모델과 옵티마이저 두 값을 쉼표로 이어, 모델을 먼저 돌려주세요."))
    model, opt = result
    if common.is_optimizer(model) and common.is_module(opt):
        check.fail("get_model() 이 (옵티마이저, 모델) 순서로 돌려줍니다.",
                   hint=check.Hint("optim.returns-optimizer-first", "model, opt = get_model() 로 받을 수 있게 모델을 먼저 돌려주세요: return model, opt"))
    return model, opt


def check_optimizer(model: nn.Module, opt: object) -> None:
    """``opt`` is a plain ``optim.SGD`` with lr 0.5 over exactly ``model``'s parameters."""
    recipe = "optim.SGD(model.parameters(), lr=lr)"
    if not common.is_optimizer(opt):
        check.fail(f"옵티마이저가 torch.optim 의 옵티마이저가 아닙니다 (지금은 {type(opt).__name__}).",
                   hint=check.Hint("optim.not-an-optimizer", f"{recipe} 로 만드세요."))
    if not common.is_exactly(opt, torch_optim.SGD):
        check.fail(f"옵티마이저가 {type(opt).__name__} 입니다. 이 강의는 손으로 쓴 갱신과 똑같이 움직이는 "
                   "optim.SGD(확률적 경사 하강법)를 씁니다.",
                   hint=check.Hint("optim.not-sgd", f"{recipe}. 다른 옵티마이저는 같은 lr 에서 전혀 다르게 움직입니다."))
    check.passed("옵티마이저는 torch.optim.SGD 입니다")

    names = common.parameter_identities(model)
    held = [p for group in opt.param_groups for p in group["params"]]
    held_ids = {common.identity(p) for p in held}
    if held_ids != set(names) or len(held) != len(names):
        missing = [name for pid, name in names.items() if pid not in held_ids]
        if not held_ids & set(names):
            hint = (check.Hint("optim.opt-other-model", "옵티마이저가 이 모델이 아닌 다른 모델의 매개변수를 갖고 있습니다. 이대로는 opt.step() 이 "
                    "다른 모델만 바꾸고 이 모델은 그대로입니다. 바로 이 모델의 model.parameters() 를 넘기세요. "
                    "(get_model() 안에서 새로 만든 모델 대신 바깥의 전역 model 을 쓰지 않았나요?)"))
        elif missing:
            hint = (check.Hint("optim.opt-missing-params", f"옵티마이저에 {', '.join(missing)} 이(가) 빠졌습니다. 빠진 매개변수는 학습되지 않습니다. "
                    "매개변수를 하나하나 고르지 말고 model.parameters() 를 통째로 넘기세요."))
        else:
            hint = check.Hint("optim.opt-extra-params", "모델에 없는 텐서나 같은 매개변수를 두 번 넘겼습니다. model.parameters() 만 넘기세요.")
        check.fail("옵티마이저가 갱신하는 텐서가 모델의 매개변수와 정확히 같아야 합니다.",
                   got=f"옵티마이저가 가진 텐서 {len(held)}개 중 이 모델의 것 {len(held_ids & set(names))}개",
                   expected=f"이 모델의 매개변수 {len(names)}개 ({', '.join(names.values())})", hint=hint)
    check.passed(f"옵티마이저는 바로 이 모델의 매개변수 {len(names)}개({', '.join(names.values())})를 갱신합니다")

    for group in opt.param_groups:
        lr = group["lr"]
        hint = check.Hint("optim.lr-wrong", "준비 셀의 학습률을 그대로 넘기세요: optim.SGD(model.parameters(), lr=lr)  (lr = 0.5)")
        check.equal("옵티마이저의 학습률 lr", lr, LR, hint)
        check.equal("옵티마이저의 모멘텀(momentum)", group["momentum"], 0,
                    check.Hint("optim.momentum-added", "이 강의의 SGD 는 모멘텀 없이(momentum=0, 기본값) 손으로 쓴 갱신과 똑같이 움직여야 "
                    "합니다. momentum 인자를 빼세요. 모멘텀은 09 강의에서 씁니다."))
        changed = {key: group[key] for key, default in SGD_DEFAULTS.items() if group.get(key) != default}
        if changed:
            settings = ", ".join(f"{key}={value}" for key, value in changed.items())
            check.fail("옵티마이저의 나머지 설정은 기본값이어야 합니다.", got=settings,
                       expected=", ".join(f"{k}={v}" for k, v in SGD_DEFAULTS.items()),
                       hint=check.Hint("optim.sgd-defaults-changed", f"{settings} 를 빼고 optim.SGD(model.parameters(), lr=lr) 로만 만드세요. 그래야 "
                            "손으로 쓴 갱신 p -= p.grad * lr 과 똑같이 움직입니다."))
    check.passed("옵티마이저의 나머지 설정(weight_decay, dampening, nesterov, maximize)은 기본값입니다")


def check_get_model(get_model: object) -> None:
    """``get_model()`` gives a fresh model and an SGD optimizer over that very model, each call."""
    model, opt = call_get_model(get_model)
    with _quiet():
        check_structure(model, name="get_model() 이 돌려준 모델")
    check.passed("get_model() 이 돌려준 모델: nn.Linear(784, 10) 하나, 매개변수 7,850개")
    check_optimizer(model, opt)

    other_model, other_opt = call_get_model(get_model)
    shared = set(common.parameter_identities(model)) & set(common.parameter_identities(other_model))
    if other_model is model or shared:
        check.fail("get_model() 을 두 번 불렀더니 같은 모델이 나왔습니다.",
                   hint=check.Hint("optim.same-model-every-call", "함수 밖에서 만든 모델을 돌려주지 말고, 함수 안에서 Mnist_Logistic() 으로 부를 때마다 "
                        "새 모델을 만드세요. 그래야 get_model() 로 언제든 학습 전 상태에서 다시 시작할 수 있습니다."))
    if common.identity(other_opt) == common.identity(opt):
        check.fail("get_model() 을 두 번 불렀더니 같은 옵티마이저가 나왔습니다.",
                   hint=check.Hint("optim.same-optimizer-every-call", "새 모델마다 그 모델의 매개변수로 optim.SGD 를 새로 만드세요."))
    with _quiet():
        check_optimizer(other_model, other_opt)
    check.passed("get_model() 은 부를 때마다 새 모델과, 그 모델을 갱신하는 새 옵티마이저를 만듭니다")


def check_one_step(get_model: object) -> None:
    """One ``opt.step()`` moves every parameter by exactly -lr × its gradient, and
    ``opt.zero_grad()`` clears those gradients (no weight decay, no maximize, ...)."""
    model, opt = call_get_model(get_model)
    data = check.reference_data()
    xb, yb = data.x_valid[:64], data.y_valid[:64]
    before = [p.detach().clone() for p in model.parameters()]
    F.cross_entropy(model(xb), yb).backward()
    expected = [b - LR * p.grad for b, p in zip(before, model.parameters())]
    opt.step()
    for (name, p), want in zip(model.named_parameters(), expected):
        check.tensor_close(f"opt.step() 한 번 뒤의 {name}", p.detach(), want, 1e-6,
                           check.Hint("optim.step-not-plain-sgd", "opt.step() 한 번은 p -= lr * p.grad 와 같아야 합니다. optim.SGD 의 다른 설정"
                           "(weight_decay, maximize, nesterov 등)은 기본값으로 두세요."))
    opt.zero_grad()
    if any(p.grad is not None and p.grad.abs().sum().item() != 0 for p in model.parameters()):
        check.fail("opt.zero_grad() 뒤에도 모델의 기울기가 남아 있습니다.",
                   hint=check.Hint("optim.zero-grad-other-model", "옵티마이저를 이 모델의 model.parameters() 로 만드세요."))
    check.passed("opt.zero_grad() 가 이 모델의 기울기를 지웁니다")


def _diagnose(model: nn.Module) -> Callable[[float, float, dict], str | None]:
    softmax = output_diagnosis(model)

    def diagnose(loss: float, accuracy: float, ref: dict) -> str | None:
        if not math.isfinite(loss) or (loss > 2.0 and accuracy > 0.5):
            return (check.Hint("optim.zero-grad-never", "손실이 폭발했습니다. 미니배치마다 opt.zero_grad() 로 기울기를 지웠는지 보세요. "
                    "지우지 않으면 loss.backward() 가 구한 기울기가 계속 쌓입니다."))
        if accuracy < 0.3:
            return (check.Hint("optim.zero-grad-before-step", "모델이 거의 학습되지 않았습니다. opt.zero_grad() 를 loss.backward() 와 opt.step() "
                    "사이에서 부르면 step 이 쓸 기울기가 지워집니다. 기울기는 step 이 쓴 뒤, 다음 backward 전에 "
                    "지우세요: loss.backward() → opt.step() → opt.zero_grad(), 또는 opt.zero_grad() 를 "
                    "미니배치 맨 앞에."))
        return softmax(loss, accuracy, ref)
    return diagnose


def check_training(model: object, opt: object, losses: object) -> None:
    """The model trained with ``opt.step()``/``opt.zero_grad()``, scored on the whole
    validation set."""
    check_losses(losses, check.Hint("optim.losses-none", "losses = [] 로 시작해 미니배치마다 losses.append(loss.item()) 을 하세요."))
    if not common.is_module(model):
        check.fail(f"model 이 nn.Module 이 아닙니다 (지금은 {type(model).__name__}).",
                   hint=check.Hint("optim.model-not-module", "model, opt = get_model() 로 받은 모델을 학습시키세요."))
    with _quiet():
        check_optimizer(model, opt)
    check.passed("opt 는 model 의 매개변수를 갱신하는 SGD 입니다 (lr=0.5)")

    steps = steps_taken(opt)
    if steps != STEPS:
        if steps == 0:
            hint = (check.Hint("optim.step-never-called", "opt.step() 이 한 번도 불리지 않았습니다. loss.backward() 다음에 opt.step() 을 불러 "
                    "매개변수를 갱신하세요. 손으로 쓴 갱신(p -= p.grad * lr)은 이제 옵티마이저가 대신합니다."))
        elif steps > STEPS and steps % STEPS == 0:
            hint = (check.Hint("optim.model-trained-again", "같은 모델을 여러 번 학습시켰습니다. 학습 셀 첫 줄의 model, opt = get_model() 로 새 모델에서 "
                    f"시작해 에포크 {EPOCHS}번만 학습시키세요."))
        elif steps < STEPS and isinstance(losses, list) and len(losses) == STEPS:
            hint = (check.Hint("optim.get-model-in-loop", "손실은 미니배치마다 모였는데 이 opt 의 step 은 그보다 적습니다. 루프 안에서 get_model() 을 "
                    "다시 불러 모델이 처음 상태로 돌아간 것은 아닌지 보세요. get_model() 은 학습 전에 한 번만 "
                    "부릅니다."))
        else:
            hint = check.Hint("optim.step-count", "미니배치마다 opt.step() 을 정확히 한 번 부르세요.")
        check.fail("opt.step() 을 미니배치마다 한 번씩 불러야 합니다.", got=f"{steps}번",
                   expected=f"{STEPS}번 (에포크 {EPOCHS} × 배치 {BATCHES_PER_EPOCH})", hint=hint)
    check.passed(f"opt.step() 이 미니배치마다 한 번씩, 모두 {STEPS}번 불렸습니다")
    # Scored from its parameters: the learner's forward must compute what they give.
    trained = common.trained_logistic(model)
    check_trained(LESSON, trained, settings=SETTINGS, diagnose=_diagnose(trained))


# ---------------------------------------------------------------- concept check

#: opt.step() called twice after one backward(), without zero_grad(): what happens to the
#: parameters; every choice explained.
WHAT_STEP_DOES = {
    "A": "기울기를 지우는 일은 위에서 본 다른 호출이 맡습니다. 첫 step() 이 끝난 뒤 .grad 에 무엇이 "
         "남아 있는지 따라가 보세요.",
    "B": "옵티마이저는 모델을 부르지 않습니다. 옵티마이저가 아는 것은 가리키는 매개변수와 그 .grad 뿐이고, "
         "손실은 루프가 model 과 loss_func 로 직접 계산합니다.",
    "C": "step() 은 몇 번이든 부를 수 있는 호출이라 오류는 나지 않습니다. 오류가 없으니 이런 실수는 더 "
         "알아채기 어렵습니다.",
    "D": "step() 은 .grad 에 든 기울기로 p -= lr * p.grad 를 할 뿐, 기울기를 지우지 않습니다. 같은 기울기로 "
         "두 번 옮기니 학습률을 두 배로 한 한 걸음과 같습니다. 그래서 step() 은 배치마다 한 번, 그 배치의 "
         "기울기로 부릅니다.",
}


check_what_step_does = concept_check(
    "what_step_does", "D", WHAT_STEP_DOES, "what opt.step() called twice after one backward() does")


# ---------------------------------------------------------------- concept check: zero grad between

#: zero_grad() between backward() and step(); every choice explained.
ZERO_GRAD_BETWEEN = {
    "A": "zero_grad() 는 기울기를 지웁니다(None 으로). SGD 의 step() 은 기울기가 없는 매개변수를 "
         "건너뛰므로, 손실은 줄지 않고 학습 전 수준에 머뭅니다. 지우는 때는 step() 이 기울기를 쓴 뒤, 다음 "
         "backward() 전입니다.",
    "B": "순서가 중요합니다. 세 줄이 모두 있어도, zero_grad() 가 어디에 있느냐에 따라 step() 이 "
         "보는 .grad 가 달라집니다. 각 줄이 끝난 뒤 .grad 에 무엇이 있는지 차례로 따라가 보세요.",
    "C": "zero_grad() 는 기울기를 쌓는 것이 아니라 지웁니다. 쌓이는 것은 zero_grad() 를 아예 부르지 "
         "않을 때입니다.",
    "D": "오류는 나지 않습니다. 세 줄 모두 어느 순서로 불러도 되는 호출이라, 순서가 틀려도 오류 "
         "메시지로는 알 수 없습니다. 그래서 더 알아채기 어렵습니다.",
}


check_zero_grad_between = concept_check(
    "zero_grad_between", "A", ZERO_GRAD_BETWEEN, "zero_grad() between backward() and step()")


#: Test cells whose points the judge decides outside the learner's kernel, from values read by
#: value (nncourse.grading.judge); the others still run in the kernel, under the guard.
JUDGED = frozenset({
    "test_get_model",
    "test_training",
    "test_what_step_does",
    "test_zero_grad_between",
})
