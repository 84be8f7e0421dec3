"""Checks of lesson 05_nn_linear: the logistic regression rebuilt on ``nn.Linear``.

The checks build models of their own (a fresh instance, two instances to compare) inside
``torch.random.fork_rng``, so a test cell does not move the learner's random stream: the
learner's notebook, with or without the hidden tests, initialises its models as the solution did.
"""

from __future__ import annotations

import contextlib
import io

import torch
from torch import nn

from .. import checks as check
from . import common
from .common import concept_check, check_losses, check_trained
from .logistic import check_structure, output_diagnosis, softmax_hint

LESSON = "05_nn_linear"
SETTINGS = "bs=64, lr=0.5, epochs=2"


def _init_hint(error: Exception) -> str:
    """What to fix when the learner's class cannot be built."""
    if "Module.__init__() call" in str(error):
        return (check.Hint("nn_linear.super-init-missing", "__init__ 의 첫 줄에서 super().__init__() 을 불러야 nn.Module 이 층과 매개변수를 "
                "기록할 수 있습니다."))
    return check.Hint("nn_linear.init-error", "__init__ 이 인자 없이 불릴 수 있어야 합니다: def __init__(self):")


def instantiate(model_class: object, name: str = "Mnist_Logistic") -> nn.Module:
    """``model_class()``, with a hint when the class cannot be built; the notebook's random
    numbers are left as they were."""
    if not isinstance(model_class, type):
        check.fail(f"{name} 은(는) 클래스여야 합니다 (지금은 {type(model_class).__name__}).",
                   hint=check.Hint("nn_linear.not-a-class", f"class {name}(nn.Module): 로 정의하세요."))
    return common.call_learner(f"{name}()", model_class, hint=_init_hint, keep_random=True)


def _forward_hint(error: Exception) -> str:
    """What to fix when the learner's forward raises."""
    if "cannot be multiplied" in str(error) or "size mismatch" in str(error):
        return (check.Hint("nn_linear.weight-by-hand", "층 안의 weight 는 (출력 10, 입력 784) 모양이라 xb @ self.lin.weight 는 모양이 맞지 "
                "않습니다. 직접 곱하지 말고 층을 함수처럼 불러 self.lin(xb) 로 계산하세요."))
    return check.Hint("nn_linear.forward-error", "forward(self, xb) 가 self.lin(xb) 를 돌려주는지 보세요.")


def _forward(model: nn.Module, xb: torch.Tensor) -> object:
    return common.call_learner(f"model(검증 이미지 {len(xb)}장)", model, xb, hint=_forward_hint)


def check_model(model_class: object, rows: int = 5) -> None:
    """A fresh ``model_class()`` has the right layer, and its forward is that layer's output."""
    model = instantiate(model_class)
    lin = check_structure(model)
    xb = check.reference_data().x_valid[:rows]
    with torch.no_grad():
        got = _forward(model, xb)
        expected = lin(xb)
    hint = softmax_hint(got) or check.Hint("nn_linear.forward-not-layer-output", "forward 는 선형 층의 출력 self.lin(xb) 를 그대로 돌려줘야 합니다.")
    check.tensor_close(f"model(검증 이미지 {rows}장)", got, expected, 1e-5, hint)


def check_model_is_trainable(model_class: object) -> None:
    """The output carries the computation graph back to the layer, and every instance has its
    own, freshly initialised layer (not one shared by all instances)."""
    first, second = instantiate(model_class), instantiate(model_class)
    with contextlib.redirect_stdout(io.StringIO()):  # the visible test reported the structure
        lin = check_structure(first)
    xb = check.reference_data().x_valid[:3]
    out = _forward(first, xb)
    hint = softmax_hint(out) or check.Hint("nn_linear.forward-not-layer-output", "forward 는 선형 층의 출력 self.lin(xb) 를 그대로 돌려줘야 합니다.")
    check.tensor_close("model(검증 이미지 3장)", out.detach() if isinstance(out, torch.Tensor) else out,
                       lin(xb).detach(), 1e-5, hint)
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        check.fail("모델 출력에서 선형 층까지 기울기를 구할 수 없습니다.",
                   hint=check.Hint("nn_linear.output-detached", "forward 안에서 torch.no_grad() 나 .detach() 를 쓰지 마세요."))
    out.sum().backward()
    if lin.weight.grad is None or lin.bias.grad is None:
        check.fail("loss.backward() 뒤에 선형 층의 weight.grad 나 bias.grad 가 비어 있습니다.",
                   hint=check.Hint("nn_linear.grad-not-reaching-layer", "forward 가 self.lin(xb) 를 돌려주는지 보세요."))
    check.passed("모델 출력에서 가중치와 편향까지 기울기가 흐릅니다")
    shared = set(common.parameter_identities(first)) & set(common.parameter_identities(second))
    if shared:
        check.fail("모델을 두 번 만들었더니 두 모델이 같은 매개변수를 나눠 씁니다.",
                   hint=check.Hint("nn_linear.layer-shared", "선형 층을 클래스 밖에 하나만 만들어 두지 말고, __init__ 안에서 "
                        "self.lin = nn.Linear(784, 10) 으로 모델마다 새로 만드세요."))
    check.passed("모델을 만들 때마다 새로 초기화된 선형 층이 생깁니다")


def check_training(model: object, losses: object) -> None:
    """The model trained by the learner's ``fit()``, scored on the whole validation set."""
    check_losses(losses, check.Hint("nn_linear.losses-none", "losses = [] 로 시작하고, fit() 안에서 미니배치마다 losses.append(loss.item()) 을 하세요."))
    if not common.is_module(model):
        check.fail(f"model 이 nn.Module 이 아닙니다 (지금은 {type(model).__name__}).",
                   hint=check.Hint("nn_linear.model-not-module", "model = Mnist_Logistic() 으로 만든 모델을 fit() 으로 학습시키세요."))
    # Scored from its parameters: the learner's forward must compute what they give.
    trained = common.trained_logistic(model)
    check_trained(LESSON, trained, settings=SETTINGS, diagnose=output_diagnosis(trained))


# ---------------------------------------------------------------- concept check: what lin(xb) computes

#: What nn.Linear(784, 10) computes on a (64, 784) batch; every choice explained.
WHAT_LINEAR_COMPUTES = {
    "A": "weight 는 (출력, 입력) = (10, 784) 모양으로 저장되므로, 전치해서 xb @ weight.T 로 곱하고 "
         "bias 를 더합니다. 결과는 (64, 10) 입니다.",
    "B": "(64, 784) @ (10, 784) 는 안쪽 크기(784 와 10)가 맞지 않아 곱할 수 없습니다. weight 는 "
         "(출력, 입력) 모양으로 저장된다는 것을 떠올려 보세요.",
    "C": "(10, 784) @ (64, 784) 도 안쪽 크기가 맞지 않습니다. 미니배치의 첫 차원은 이미지 번호라, "
         "xb 가 곱셈의 왼쪽에 옵니다.",
    "D": "원소별 곱 * 은 (10, 784) 와 (64, 784) 의 모양이 맞지 않아 오류이고, .sum() 은 모든 값을 "
         "한 수로 줄여 이미지마다 로짓 10개가 남지 않습니다.",
}


check_what_linear_computes = concept_check(
    "what_linear_computes", "A", WHAT_LINEAR_COMPUTES, "the value of lin(xb) for lin = nn.Linear(784, 10)")


# ---------------------------------------------------------------- concept check: layer in forward

#: A layer built inside forward(); every choice explained.
LAYER_IN_FORWARD = {
    "A": "오류는 나지 않습니다. 층을 만들어 바로 부르는 것은 문법으로도 계산으로도 문제가 없어서, 더 알아채기 "
         "어렵습니다.",
    "B": "느려지기만 하는 것이 아닙니다. 이 모델을 학습시켜 보면 결과가 다릅니다. forward 가 불릴 때마다 "
         "그 줄이 무엇을 만드는지 따라가 보세요.",
    "C": "층은 self 의 속성이어야 모듈에 등록됩니다. forward 안에서 만든 층은 부를 때마다 새로 생기고 "
         "model.parameters() 에 없으니, 손실은 학습 전 수준(약 2.3)에 머뭅니다.",
    "D": "PyTorch 는 forward 안에서 만든 층을 기억하지 않습니다. nn.Linear(784, 10) 은 부를 "
         "때마다 새 층을 만듭니다.",
}


check_layer_in_forward = concept_check(
    "layer_in_forward", "C", LAYER_IN_FORWARD, "a layer built inside forward()")


#: Test cells whose points the judge decides outside the learner's kernel, from values read by
#: value (nncourse.grading.judge); the others still run in the kernel, under the guard.
JUDGED = frozenset({
    "test_model_class",
    "test_training",
    "test_what_linear_computes",
    "test_layer_in_forward",
})
