"""Checks of lesson 03_functional: ``F.cross_entropy`` replaces log-softmax + negative
log-likelihood, and the model returns raw scores (logits)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .. import checks as check
from ..data import N_CLASSES
from .common import (SCRATCH_ERROR_HINTS, call_learner, check_model_matches, check_trained, concept_check,
                     is_instance, linear_model, output_kind, probe_inputs, require_weights_and_bias,
                     wide_logits)

LESSON = "03_functional"
SETTINGS = "bs=64, lr=0.5, epochs=2"

#: Error messages of the usual mistakes in lesson 03's functions (its model starts from lesson
#: 02's hand-written log_softmax), and what to do about them.
ERROR_HINTS = SCRATCH_ERROR_HINTS


NORMALISED_HINT = {
    "log_softmax": check.Hint("functional.model-log-softmax", ("출력의 각 행이 이미 로그 확률입니다(행마다 logsumexp 가 0). model 안에서 "
                    "log_softmax 를 빼세요. F.cross_entropy 가 안에서 로그 소프트맥스를 계산하므로, "
                    "모델이 또 적용하면 두 번 적용하는 셈입니다.")),
    "softmax": check.Hint("functional.model-softmax", ("출력의 각 행이 소프트맥스 확률입니다(양수이고 합이 1). F.cross_entropy 에는 확률이 "
                "아니라 로짓(가공하지 않은 점수) xb @ weights + bias 를 넣어야 합니다.")),
}


def check_cross_entropy_parts(cross_entropy_by_parts: Callable, rows: int = 7, seed: int = 1234,
                              wide: bool = False) -> None:
    """``cross_entropy_by_parts(logits, target)`` equals ``F.cross_entropy`` on probe inputs;
    ``wide``: scores spread over 200 in each row and every target the lowest class, where
    log(softmax(x)) is log(0) = -inf and a log-softmax computed in log space stays finite."""
    logits, targets = probe_inputs(rows, seed)
    if wide:
        logits, targets = wide_logits(logits), torch.zeros_like(targets)
    got = call_learner("cross_entropy_by_parts", cross_entropy_by_parts, logits.clone(), targets.clone(),
                       hint=ERROR_HINTS)
    expected = F.cross_entropy(logits, targets)
    hint = check.Hint("functional.cross-entropy-parts-wrong", ("두 단계로 나눠 계산하세요: 먼저 로짓에 F.log_softmax 를 클래스 차원(dim=-1)으로 적용해 로그 확률을 "
            "만들고, 그 로그 확률과 정답으로 F.nll_loss 를 구합니다."))
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        value = got.item()
        if wide and math.isinf(value):
            hint = (check.Hint("functional.log-of-softmax", "확률(F.softmax)을 먼저 구한 뒤 로그를 취했습니다. 정답 클래스의 점수가 가장 큰 것보다 "
                    "200 작으면 그 확률 e^-200 은 float32 에서 0 이 되고, log(0) 은 -inf 라 손실이 inf 가 됩니다. "
                    "F.log_softmax 는 확률을 만들지 않고 로그 공간에서 계산해 이런 로짓에서도 값이 정확합니다."))
        elif math.isclose(value, F.nll_loss(logits, targets).item(), abs_tol=1e-5):
            hint = (check.Hint("functional.nll-on-logits", "F.nll_loss 에 로짓을 그대로 넣었습니다. F.nll_loss 는 로그 확률을 받으므로, "
                    "로짓에 먼저 F.log_softmax 를 클래스 차원으로 적용하세요."))
        elif math.isclose(value, F.nll_loss(F.log_softmax(logits, dim=0), targets).item(), abs_tol=1e-5):
            hint = check.Hint("functional.log-softmax-over-rows", "로그 소프트맥스를 열 방향(dim=0)으로 계산했습니다. 클래스는 마지막 차원이니 dim=-1 을 쓰세요.")
        elif math.isclose(value, F.nll_loss(F.softmax(logits, dim=-1), targets).item(), abs_tol=1e-5):
            hint = (check.Hint("functional.softmax-not-log", "F.softmax 는 확률을 줍니다. 음의 로그 우도에는 그 로그, F.log_softmax 가 필요합니다."))
        elif math.isclose(value, -expected.item(), abs_tol=1e-5):
            hint = check.Hint("functional.nll-sign", "부호가 반대입니다. F.nll_loss 가 이미 마이너스를 붙여 주므로 따로 붙이지 마세요.")
        elif math.isclose(value, expected.item() * rows, rel_tol=1e-5):
            hint = (check.Hint("functional.loss-sum", f"손실의 합을 구했습니다(평균의 {rows}배, 예시 로짓이 {rows}행입니다). 배치 크기에 "
                    "상관없도록 F.nll_loss 의 기본값 reduction='mean' 을 그대로 두세요."))
    what = (f"cross_entropy_by_parts(점수 차가 200 인 예시 로짓 {rows}×10, 가장 낮은 클래스가 정답)" if wide
            else f"cross_entropy_by_parts(예시 로짓 {rows}×10, 예시 정답)")
    check.tensor_close(what, got, expected, 1e-4 if wide else 1e-5, hint)
    check.passed("F.cross_entropy = F.log_softmax + F.nll_loss 임을 확인했습니다")


def check_loss_func(loss_func: object) -> None:
    """``loss_func`` is ``F.cross_entropy`` itself."""
    if loss_func is F.cross_entropy:
        check.passed("loss_func 는 F.cross_entropy 입니다")
        return
    hint = check.Hint("functional.loss-func-not-cross-entropy", "loss_func 에는 F.cross_entropy 라는 함수 자체를 넣으세요. 괄호를 붙여 호출한 결과가 아닙니다.")
    if loss_func is F.nll_loss:
        hint = (check.Hint("functional.loss-func-nll", "F.nll_loss 는 로그 확률을 받는 음의 로그 우도뿐입니다. 모델이 이제 로짓을 "
                "돌려주므로, 로그 소프트맥스까지 함께 하는 F.cross_entropy 가 필요합니다."))
    elif is_instance(loss_func, torch.nn.CrossEntropyLoss):
        hint = (check.Hint("functional.loss-func-module", "nn.CrossEntropyLoss() 는 같은 계산을 하는 클래스(모듈)입니다. 이번 강의는 함수 모음 "
                "torch.nn.functional 을 익히는 단계이니 그 안의 함수 F.cross_entropy 를 쓰세요."))
    elif isinstance(loss_func, torch.Tensor):
        hint = (check.Hint("functional.loss-func-called", "loss_func 에 손실 값(텐서)이 들어 있습니다. 함수를 호출한 결과가 아니라, 괄호 없이 "
                "함수 자체를 넣으세요. 손실은 학습 루프가 loss_func 를 부를 때 계산됩니다."))
    elif callable(loss_func):
        logits, targets = probe_inputs()
        try:  # only to name the mistake: an error here (the learner's, or a wrong shape) is no match
            got = call_learner("loss_func", loss_func, logits, targets)
            same = torch.allclose(torch.as_tensor(got), F.cross_entropy(logits, targets))
        except Exception:  # check.CheckFailed included
            same = False
        if same:
            hint = (check.Hint("functional.loss-func-wrapper", "계산은 같지만 F.cross_entropy 를 감싼 다른 함수입니다. 감쌀 필요 없이 "
                    "F.cross_entropy 함수 자체를 넣으면 됩니다."))
    name = getattr(loss_func, "__name__", type(loss_func).__name__)
    check.fail("loss_func 가 F.cross_entropy 여야 합니다", got=name, expected="F.cross_entropy", hint=hint)


def check_model(model: Callable, weights: torch.Tensor, bias: torch.Tensor, images: int = 5,
                start: int = 0) -> None:
    """``model(xb)`` returns the raw scores ``xb @ weights + bias`` (no log-softmax)."""
    xb = check.reference_data().x_valid[start:start + images]
    require_weights_and_bias(weights, bias)
    # The bias starts at zero, so a model that forgets it would look right. Give the learner's
    # bias tensor (the one their model reads) distinct values for the probe, then restore it.
    saved = bias.detach().clone()
    try:
        with torch.no_grad():
            bias.copy_(torch.linspace(-0.5, 0.5, N_CLASSES))
            got = call_learner("model", model, xb, hint=ERROR_HINTS)
            logits = xb @ weights + bias
            without_bias = xb @ weights
    finally:
        with torch.no_grad():
            bias.copy_(saved)
    hint = check.Hint("functional.model-wrong", "model(xb) 는 xb @ weights + bias 를 그대로 돌려줘야 합니다.")
    kind = output_kind(got)
    if kind:
        hint = NORMALISED_HINT[kind]
    elif isinstance(got, torch.Tensor) and got.shape == logits.shape:
        if torch.allclose(got, without_bias, atol=1e-5):
            hint = check.Hint("functional.model-no-bias", "편향(bias)을 더하지 않았습니다: xb @ weights + bias.")
    check.tensor_close(f"model(검증 이미지 {images}장)", got, logits, 1e-4, hint)
    check.passed("model 은 로그 소프트맥스 없이 로짓을 돌려줍니다")


LEARNING_RATE = 0.5
EPOCHS = 2


def check_training(model: Callable, loss_func: object, lr: object, epochs: object,
                   weights: object, bias: object) -> None:
    """The trained ``weights`` and ``bias`` score like the reference on the whole validation set.

    The score is computed here from the parameters (logits x @ weights + bias), not by calling
    the learner's ``model`` on the validation set; ``model`` must compute the same logits from
    them (checked on validation images drawn by the check).
    """
    check.equal("학습률 lr", lr, LEARNING_RATE,
                check.Hint("functional.training-lr-changed",
                           f"이 강의는 02 강의와 같은 학습률 {LEARNING_RATE} 로 학습합니다. 다른 값은 기준값과 비교할 수 없습니다."))
    check.equal("에포크 수 epochs", epochs, EPOCHS, check.Hint("functional.training-epochs-changed", f"이 강의는 02 강의와 같이 {EPOCHS} 에포크 학습합니다."))

    def diagnose(loss: float, accuracy: float, ref: dict) -> str | None:
        if loss_func is not F.cross_entropy:
            return check.Hint("functional.training-loss-func-wrong", ("loss_func 가 F.cross_entropy 가 아니었습니다. 훈련 루프는 loss_func 로 손실을 "
                    "계산하므로, 위의 연습 2 를 먼저 고치고 다시 학습시키세요."))
        return None

    trained = linear_model(weights, bias, log_probs=False)

    def hint(got: object, want: torch.Tensor) -> str:
        kind = output_kind(got)
        if loss_func is not F.cross_entropy:
            return diagnose(0.0, 0.0, {})
        if kind:
            return NORMALISED_HINT[kind]
        return check.Hint("functional.trained-model-differs", ("model(xb) 가 지금의 weights 와 bias 로 계산한 로짓과 다릅니다. "
                "weights, bias 나 model 을 학습 뒤에 다시 만들지 않았는지 보세요."))

    check_model_matches(model, trained, hint)
    check_trained(LESSON, trained, settings=SETTINGS, diagnose=diagnose)


# ---------------------------------------------------------------- concept check: log_softmax twice

#: What happens when the model keeps its log_softmax and the loss is F.cross_entropy (asked before
#: exercise 3 explains it); every choice explained.
KEEP_LOG_SOFTMAX = {
    "A": "log_softmax 를 거친 값은 행마다 exp 의 합이 이미 1 이라(logsumexp 가 0), 한 번 더 적용해도 빼는 "
         "값이 0 입니다. 그래서 손실 값은 (반올림 오차 말고는) 그대로입니다. 그래도 모델의 log_softmax 는 "
         "F.cross_entropy 가 안에서 하는 계산을 한 번 더 할 뿐이라, 모델은 로짓만 돌려주고 정규화는 손실 "
         "함수에 맡깁니다.",
    "B": "log_softmax 를 다시 적용하면 값이 바뀐다고 본 것입니다. log_softmax 를 한 번 거친 값에서 한 행의 "
         "exp 를 모두 더하면 얼마인지 계산해 보세요.",
    "C": "F.cross_entropy 는 입력을 살펴보지 않고 언제나 log_softmax 부터 적용합니다. 입력이 로그 확률이어도 "
         "건너뛰는 일은 없습니다.",
    "D": "오류는 나지 않습니다. log_softmax 를 거쳐도 모양은 (64, 10) 그대로라 F.cross_entropy 가 "
         "그대로 받습니다.",
}


check_keep_log_softmax = concept_check(
    "keep_log_softmax", "A", KEEP_LOG_SOFTMAX, "a log_softmax left in the model before F.cross_entropy")


# ---------------------------------------------------------------- concept check: why stable

#: Which fix of the hand-written log_softmax gives F.log_softmax's values on both [100, 0, -100]
#: and [-1000, -1000]; every choice explained.
WHY_STABLE = {
    "A": "64비트 실수는 exp(100) 은 담지만, exp(-1000) 은 64비트에서도 0 이 됩니다. 그러면 log(0) 이 -inf "
         "라 [-1000, -1000] 에서 [inf, inf] 가 나옵니다. 자릿수를 늘려도 더 크거나 더 작은 로짓에서는 같은 "
         "일이 생깁니다.",
    "B": "자르면 로짓이 바뀌어 다른 값이 나옵니다. [100, 0, -100] 은 [50, 0, -50] 으로 잘려 [0, -50, -100] "
         "이 되지만, F.log_softmax 는 [0, -100, -200] 을 냈습니다.",
    "C": "log(sum(exp(x))) 는 가장 큰 로짓과 비슷할 때가 많지만, 늘 같지는 않습니다. [-1000, -1000] 에서는 "
         "[0, 0] 이 나오는데, 이는 두 확률이 모두 1 이라는 뜻이라 맞지 않습니다.",
    "D": "로그 소프트맥스는 한 행의 모든 로짓에서 같은 수를 빼도 값이 그대로입니다. 가장 큰 로짓 m 을 빼면 "
         "x - m 은 0 이하라 exp 가 1 을 넘지 않고(넘침 없음), 가장 큰 항의 exp 는 정확히 1 이라 합이 0 이 "
         "되어 log 가 -inf 가 되는 일도 없습니다. F.log_softmax 도 안에서 이렇게 계산합니다.",
}


check_why_stable = concept_check(
    "why_stable", "D", WHY_STABLE, "which fix makes the hand-written log_softmax stable")


#: Test cells whose points the judge decides outside the learner's kernel, from values read by
#: value (nncourse.grading.judge); the others still run in the kernel, under the guard.
JUDGED = frozenset({
    "test_model",
    "test_training",
    "test_cross_entropy_by_parts",
    "test_loss_func",
    "test_keep_log_softmax",
    "test_why_stable",
})
