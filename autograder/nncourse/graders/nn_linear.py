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

#: The weight's shape and the output's shape of nn.Linear(784, 128) on a (32, 784) batch; every
#: choice explained.
WHAT_LINEAR_COMPUTES = {
    "A": "weight 의 모양이 만들 때 적은 인자의 순서를 따른다고 본 것입니다. 위에서 출력한 "
         "nn.Linear(784, 10) 의 weight 모양과 견줘 보세요.",
    "B": "weight 는 (출력, 입력) = (128, 784) 모양으로 저장되고, hidden(x) 는 x @ weight.T + bias 를 "
         "계산하므로 (32, 784) @ (784, 128) 에서 (32, 128) 이 나옵니다. 이미지 수는 그대로이고, 이미지마다 "
         "784개의 값이 128개로 바뀝니다.",
    "C": "층은 이미지마다 따로 계산합니다. 들어간 이미지 수가 출력의 어느 자리에 남는지, 위에서 출력한 "
         "lin(xb).shape 를 다시 보세요.",
    "D": "출력의 둘째 자리가 입력과 같다면 층이 특성의 수를 바꾸지 못합니다. 위의 lin(xb) 에서는 출력의 "
         "둘째 자리가 몇이었는지 보세요.",
}


check_what_linear_computes = concept_check(
    "what_linear_computes", "B", WHAT_LINEAR_COMPUTES,
    "the shapes of weight and of the output for nn.Linear(784, 128) on a (32, 784) batch")


# ---------------------------------------------------------------- concept check: layer in forward

#: How many parameter tensors a module registers when its layer is built inside forward(),
#: after two calls; every choice explained.
LAYER_IN_FORWARD = {
    "A": "층은 self 의 속성이어야 모듈에 등록됩니다. forward 안에서 만든 층은 부를 때마다 새 무작위 "
         "가중치로 새로 생겼다가 사라지고 parameters() 에는 없으니 0 개입니다. 갱신도 zero_grad() 도 그 "
         "층을 모르니, 이런 모델은 아무것도 배우지 못하고 손실은 학습 전 수준(약 2.3)에 머뭅니다.",
    "B": "2 는 층 하나의 weight 와 bias 가 모델에 등록되었다고 본 것입니다. 04 강의에서 nn.Module 이 "
         "매개변수를 어떻게 알아챘는지, 그때 nn.Parameter 를 어디에 넣었는지 떠올려 보세요.",
    "C": "4 는 forward 가 불릴 때마다 만든 층이 모델에 쌓인다고 본 것입니다. forward 안의 "
         "nn.Linear(784, 10) 이 어느 이름에 담기는지, 모델의 어디에 남는지 찾아보세요.",
    "D": "층을 forward 안에서 만들어 바로 부르는 것은 문법으로도 계산으로도 문제가 없어 오류가 나지 "
         "않습니다. 그래서 이런 실수는 더 알아채기 어렵습니다.",
}


check_layer_in_forward = concept_check(
    "layer_in_forward", "A", LAYER_IN_FORWARD,
    "how many parameter tensors a module has when its layer is built inside forward()")


#: Test cells whose points the judge decides outside the learner's kernel, from values read by
#: value (nncourse.grading.judge); the others still run in the kernel, under the guard.
JUDGED = frozenset({
    "test_model_class",
    "test_training",
    "test_what_linear_computes",
    "test_layer_in_forward",
})
