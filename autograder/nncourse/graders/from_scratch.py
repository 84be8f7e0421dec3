"""Checks of lesson 02_from_scratch: a logistic regression written with tensors only."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .. import checks as check
from ..data import N_CLASSES, N_PIXELS
from . import common
from .common import EPOCHS, call_learner, check_losses, check_trained, probe_inputs, wide_logits

LESSON = "02_from_scratch"

#: Error messages of the usual mistakes in lesson 02's functions, and what to do about them.
ERROR_HINTS = common.SCRATCH_ERROR_HINTS


def check_parameters(weights: object, bias: object) -> None:
    hint_shape = check.Hint("from_scratch.weights-shape-wrong", "weights 는 (입력 784, 출력 10) 모양이어야 xb @ weights 가 (N, 10) 이 됩니다.")
    if isinstance(weights, torch.Tensor) and tuple(weights.shape) == (N_CLASSES, N_PIXELS):
        hint_shape = check.Hint("from_scratch.weights-transposed", "weights 의 행과 열이 바뀌었습니다. torch.randn(784, 10) 으로 만드세요.")
    check.shape("weights", weights, (N_PIXELS, N_CLASSES), hint_shape)
    check.shape("bias", bias, (N_CLASSES,), check.Hint("from_scratch.bias-shape-wrong", "bias 는 출력마다 하나, torch.zeros(10) 입니다."))
    check.dtype("weights", weights, torch.float32)
    for name, tensor in (("weights", weights), ("bias", bias)):
        if not tensor.requires_grad:
            check.fail(f"{name} 의 requires_grad 가 False 입니다.",
                       hint=check.Hint("from_scratch.no-requires-grad", f"{name}.requires_grad_() 를 호출해야 PyTorch 가 기울기를 계산합니다."))
        if not tensor.is_leaf:
            check.fail(f"{name} 이(가) 잎(leaf) 텐서가 아닙니다. 이대로는 {name}.grad 가 채워지지 않습니다.",
                       hint=check.Hint("from_scratch.not-a-leaf", "torch.randn(...) / math.sqrt(784) 로 값을 먼저 만든 뒤에 .requires_grad_() 를 "
                            "호출하세요. requires_grad=True 로 만든 뒤 나누면 나눗셈 결과는 잎 텐서가 아닙니다."))
    check.passed("weights 와 bias 는 기울기를 계산하는 잎(leaf) 텐서입니다")
    scale = weights.detach().std().item()
    check.close("weights 의 표준편차 (LeCun 초기화 1/√784 ≈ 0.036)", scale, 1 / math.sqrt(N_PIXELS),
                0.006, check.Hint("from_scratch.weights-not-scaled", "torch.randn(784, 10) 을 math.sqrt(784) 로 나눠 값을 작게 시작하세요."))
    check.tensor_equal("bias", bias.detach(), torch.zeros(N_CLASSES), check.Hint("from_scratch.bias-not-zeros", "bias 는 0 으로 시작합니다: torch.zeros(10)."))


#: The batch loop's range replayed on other numbers of images (hidden test of test_training).
check_batch_loop = common.check_batch_loop


def check_log_softmax(log_softmax: Callable, rows: int = 7, wide: bool = False) -> None:
    """``log_softmax`` on probe logits; ``wide``: each row's scores spread over 200 (the largest
    50, so exp() does not overflow): a class 200 below the best has probability e^-200, which
    is 0 in float32, so log(softmax(x)) gives -inf there while x - log(Σ exp(x)) gives -200."""
    logits, _ = probe_inputs(rows)
    if wide:
        logits = wide_logits(logits)
    got = call_learner("log_softmax", log_softmax, logits.clone(), hint=ERROR_HINTS)
    expected = torch.log_softmax(logits, dim=-1)
    hint = check.Hint("from_scratch.log-softmax-wrong", ("행마다(마지막 차원) exp 의 합을 구해 log 를 취하고, 그 값을 (N, 1) 모양으로 맞춰 x 에서 빼세요: "
            "x_i - log Σ_j exp(x_j)."))
    if isinstance(got, torch.Tensor) and got.shape == expected.shape:
        if wide and bool(torch.isinf(got).any()) and not bool(torch.isinf(expected).any()):
            hint = (check.Hint("from_scratch.log-of-softmax", "확률(소프트맥스)을 먼저 구한 뒤 로그를 취했습니다. 점수가 가장 큰 것보다 200 작은 클래스의 확률 "
                    "e^-200 은 float32 에서 0 이 되어 log 가 -inf 가 됩니다. 나눗셈을 로그 공간의 뺄셈으로 바꿔, "
                    "확률을 만들지 않고 계산하세요."))
        elif torch.allclose(got, expected.exp(), atol=1e-5):
            hint = check.Hint("from_scratch.softmax-not-log", "소프트맥스 확률이 나왔습니다. 로그 소프트맥스는 그 로그, 즉 x - log(Σ exp(x)) 입니다.")
        elif torch.allclose(got, torch.log_softmax(logits, dim=0), atol=1e-5):
            hint = check.Hint("from_scratch.sum-over-rows", "열 방향(dim=0)으로 합했습니다. 클래스는 마지막 차원이니 sum(-1) 을 쓰세요.")
    what = f"log_softmax(점수 차가 200 인 예시 입력 {rows}×10)" if wide else f"log_softmax(예시 입력 {rows}×10)"
    check.tensor_close(what, got, expected, 1e-4 if wide else 1e-5, hint)


def check_model(model: Callable, weights: torch.Tensor, bias: torch.Tensor) -> None:
    xb = check.reference_data().x_valid[:5]
    with torch.no_grad():
        got = call_learner("model", model, xb, hint=ERROR_HINTS)
        logits = xb @ weights + bias
    hint = check.Hint("from_scratch.model-wrong", "model(xb) 는 log_softmax(xb @ weights + bias) 를 돌려줘야 합니다.")
    if isinstance(got, torch.Tensor) and got.shape == logits.shape and torch.allclose(got, logits, atol=1e-5):
        hint = check.Hint("from_scratch.model-without-log-softmax", "선형 계산 결과를 그대로 돌려줬습니다. log_softmax 를 적용하세요.")
    check.tensor_close("model(검증 이미지 5장)", got, torch.log_softmax(logits, dim=-1), 1e-4, hint)


def check_nll(nll: Callable) -> None:
    logits, targets = probe_inputs()
    log_probs = torch.log_softmax(logits, dim=-1)
    got = call_learner("nll", nll, log_probs, targets, hint=ERROR_HINTS)
    expected = F.nll_loss(log_probs, targets)
    hint = check.Hint("from_scratch.nll-wrong", ("행마다 정답 자리의 로그 확률을 하나씩 고르세요: 행 번호들(0 부터 배치 크기 - 1 까지)과 target 을 함께 "
            "인덱스로 주면 됩니다. 고른 값들의 평균에 부호를 바꾸면 음의 로그 우도입니다."))
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        if math.isclose(got.item(), -expected.item(), abs_tol=1e-5):
            hint = check.Hint("from_scratch.nll-sign", "부호가 반대입니다. 음의 로그 우도는 로그 확률 평균에 마이너스(-)를 붙입니다.")
        elif math.isclose(got.item(), expected.item() * len(targets), abs_tol=1e-4):
            hint = check.Hint("from_scratch.nll-sum", "합(sum)을 구했습니다. 배치 크기에 상관없도록 평균(mean)을 쓰세요.")
    check.tensor_close("nll(예시 로그 확률, 예시 정답)", got, expected, 1e-5, hint)


def check_accuracy(accuracy: Callable) -> None:
    logits, targets = probe_inputs(rows=9, seed=99)
    # Some rows right and some wrong whatever the probe: a count then never equals a mean.
    predicted = logits.argmax(dim=1)
    targets[:3] = predicted[:3]
    targets[-1] = (predicted[-1] + 1) % N_CLASSES
    got = call_learner("accuracy", accuracy, logits, targets, hint=ERROR_HINTS)
    expected = (logits.argmax(dim=1) == targets).float().mean()
    hint = check.Hint("from_scratch.accuracy-wrong", "각 행에서 가장 큰 값의 위치(argmax, dim=1)가 정답과 같은 비율을 구하세요.")
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        if math.isclose(got.item(), (logits.argmax(dim=1) == targets).sum().item(), abs_tol=1e-6):
            hint = check.Hint("from_scratch.accuracy-count", "맞은 개수를 셌습니다. 비율이 되도록 평균(mean)을 내세요.")
    check.tensor_close("accuracy(예시 출력 9개)", got, expected, 1e-6, hint)


LEARNING_RATE = 0.5


def check_training(model: Callable, losses: object, lr: object, epochs: object,
                   weights: object, bias: object) -> None:
    """The trained ``weights`` and ``bias`` score like the reference on the whole validation set.

    The score is computed here from the parameters (log_softmax(x @ weights + bias)), not by
    calling the learner's ``model`` on the validation set; ``model`` must compute the same thing
    from them (checked on validation images drawn by the check).
    """
    check.equal("학습률 lr", lr, LEARNING_RATE,
                check.Hint("from_scratch.training-lr-changed",
                           f"이 강의는 학습률 {LEARNING_RATE} 로 학습합니다. 다른 값은 기준값과 비교할 수 없습니다."))
    check.equal("에포크 수 epochs", epochs, EPOCHS, check.Hint("from_scratch.training-epochs-changed", f"이 강의는 {EPOCHS} 에포크 학습합니다."))
    check_losses(losses)
    trained = common.linear_model(weights, bias, log_probs=True)

    def hint(got: object, want: torch.Tensor) -> str:
        if isinstance(got, torch.Tensor) and got.shape == want.shape and torch.allclose(
                torch.log_softmax(got.detach().float(), dim=-1), want, atol=1e-4):
            return check.Hint("from_scratch.trained-model-returns-logits", "model 이 로짓을 그대로 돌려줍니다. 이 강의의 model 은 로그 확률을 돌려줘야 합니다.")
        return check.Hint("from_scratch.trained-model-differs", ("model(xb) 가 지금의 weights 와 bias 로 계산한 값과 다릅니다. "
                "weights, bias 나 model 을 학습 뒤에 다시 만들지 않았는지 보세요."))

    common.check_model_matches(model, trained, hint)
    check_trained(LESSON, trained, logits=False)


# ---------------------------------------------------------------- concept check: torch.no_grad()

#: What ``weights -= weights.grad * lr`` does outside torch.no_grad(); every choice explained.
WHY_NO_GRAD = {
    "A": "weights 는 requires_grad 인 잎 텐서라, 기록이 켜진 채로 제자리에서 바꾸면 autograd 가 \"a leaf "
         "Variable that requires grad is being used in an in-place operation\" 오류로 막고 값은 그대로 "
         "둡니다. 갱신은 모델의 계산이 아니라 학습 절차의 한 걸음이므로, 기록을 끄는 no_grad 안에서 합니다.",
    "B": "no_grad 는 속도를 위한 것이 아닙니다. 블록 안의 계산을 autograd 가 기록할지를 정합니다. 기록이 "
         "켜진 채로 requires_grad 인 잎 텐서를 제자리에서 바꾸려 하면 autograd 가 어떻게 할지 생각해 보세요.",
    "C": "그렇게 기록된다면 weights 는 뺄셈이 만든 텐서가 되어 더는 그래프의 시작점(잎 텐서)이 아닐 "
         "것입니다. autograd 가 잎 텐서를 제자리에서 바꾸는 계산을 그대로 기록하도록 두는지, 확인 셀 아래의 "
         "셀에서 확인해 보세요.",
    "D": "no_grad 는 기울기를 지우지 않습니다. 그래서 이 루프도 weights.grad.zero_(), "
         "bias.grad.zero_() 로 직접 지웁니다.",
}


check_why_no_grad = common.concept_check(
    "why_no_grad", "A", WHY_NO_GRAD, "the update ``weights -= weights.grad * lr`` without ``torch.no_grad()``")


# ---------------------------------------------------------------- concept check: why grad after division

#: Which of four tensors b gets b.grad after (b * 2).sum().backward(): the rule of exercise 1 (the
#: division before requires_grad_()) on other operations; every choice explained.
WHY_GRAD_AFTER_DIVISION = {
    "A": "+ 0.1 도 계산입니다. 더하는 수 0.1 에 기울기가 없어도, requires_grad 인 텐서에 한 덧셈은 계산 "
         "그래프에 기록되고, b 는 그 덧셈이 만든 새 텐서입니다.",
    "B": "requires_grad_() 를 불렀어도 그 뒤에 * 1 을 했습니다. 1 을 곱해 값이 그대로여도 곱셈은 곱셈으로 "
         "기록되고, b 는 그 곱셈이 만든 새 텐서입니다.",
    "C": "덧셈을 먼저 하고 requires_grad_() 를 나중에 불렀으니 b 는 그래프가 시작하는 잎(leaf) 텐서입니다. "
         "backward() 는 잎 텐서의 .grad 만 채웁니다. 나머지 셋은 requires_grad 를 켠 뒤에 한 계산이 만든 "
         "텐서라 잎 텐서가 아니고, .grad 가 채워지지 않습니다. 연습 1 의 나눗셈도 같습니다.",
    "D": "reshape 는 값을 하나도 바꾸지 않지만(01 강의), requires_grad 인 텐서에 한 연산이라 계산 그래프에 "
         "기록됩니다. b 는 reshape 가 만든 새 텐서입니다.",
}


check_why_grad_after_division = common.concept_check(
    "why_grad_after_division", "C", WHY_GRAD_AFTER_DIVISION,
    "which b gets .grad: requires_grad_() after every operation, as after exercise 1's division")


#: Test cells whose points the judge decides outside the learner's kernel, from values read by
#: value (nncourse.grading.judge); the others still run in the kernel, under the guard.
JUDGED = frozenset({
    "test_training",
    "test_parameters",
    "test_why_grad_after_division",
    "test_log_softmax",
    "test_model",
    "test_nll",
    "test_accuracy",
    "test_why_no_grad",
})
