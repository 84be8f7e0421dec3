"""Checks that lessons 05 and 06 share: the logistic regression built on one ``nn.Linear(784, 10)``
(its structure, and a diagnosis that names a softmax inside ``forward``)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .. import checks as check
from ..data import N_CLASSES, N_PIXELS
from .common import output_kind

N_PARAMETERS = N_PIXELS * N_CLASSES + N_CLASSES  # 7,850


def check_structure(model: object, name: str = "모델") -> nn.Linear:
    """``model`` is an ``nn.Module`` holding exactly one ``nn.Linear(784, 10)`` with a bias and
    7,850 parameters in all. Returns that layer."""
    if not isinstance(model, nn.Module):
        check.fail(f"{name}이 nn.Module 이 아닙니다 (지금은 {type(model).__name__}).",
                   hint=check.Hint("logistic.not-a-module", "class Mnist_Logistic(nn.Module): 처럼 nn.Module 을 상속하세요."))
    linears = [module for module in model.modules() if isinstance(module, nn.Linear)]
    if not linears:
        check.fail(f"{name}에 nn.Linear 층이 없습니다.",
                   hint=check.Hint("logistic.layer-not-attribute", "__init__ 에서 self.lin = nn.Linear(784, 10) 으로 선형 층을 만드세요. "
                        "지역 변수(lin = ...)가 아니라 self 의 속성이어야 nn.Module 이 층을 기록합니다."))
    if len(linears) > 1:
        check.fail(f"{name}에 nn.Linear 층이 {len(linears)}개 있습니다. 이 강의의 모델은 선형 층 하나입니다.",
                   hint=check.Hint("logistic.several-linear-layers", "self.lin = nn.Linear(784, 10) 하나만 만드세요."))
    lin = linears[0]
    sizes = (lin.in_features, lin.out_features)
    hint = check.Hint("logistic.linear-sizes-wrong", "nn.Linear(입력 특성 수, 출력 특성 수) 입니다. 픽셀 784개가 들어가 숫자 10개의 로짓이 나옵니다.")
    if sizes == (N_CLASSES, N_PIXELS):
        hint = (check.Hint("logistic.linear-in-out-swapped", "입력과 출력의 순서가 바뀌었습니다. nn.Linear(입력, 출력) 이므로 nn.Linear(784, 10) 입니다. "
                "(층 안의 weight 모양이 (10, 784) 인 것과 헷갈리지 마세요.)"))
    check.equal("nn.Linear 의 (in_features, out_features)", sizes, (N_PIXELS, N_CLASSES), hint)
    if lin.bias is None:
        check.fail("선형 층에 편향(bias)이 없습니다.",
                   hint=check.Hint("logistic.bias-false", "bias=False 를 지우세요. nn.Linear 는 기본으로 편향을 만들고, 04 강의의 모델에도 "
                        "편향이 있었습니다."))
    check.passed("선형 층에 편향(bias)이 있습니다")
    count = sum(parameter.numel() for parameter in model.parameters())
    hint = check.Hint("logistic.parameter-count-wrong", "가중치 784×10 개와 편향 10 개, 모두 7,850 개여야 합니다.")
    if count > N_PARAMETERS:
        hint = (check.Hint("logistic.extra-parameters", "선형 층 말고도 매개변수가 더 있습니다. 04 강의의 self.weights, self.bias (nn.Parameter) 를 "
                "지우세요. nn.Linear 가 그 둘을 대신 만들고 초기화합니다."))
    check.equal(f"{name}의 매개변수 수 (784×10 + 10)", count, N_PARAMETERS, hint)
    return lin


def softmax_hint(out: object, logits: torch.Tensor | None = None) -> str | None:
    """A hint when ``out`` looks like (log-)probabilities instead of raw scores (logits)."""
    after = ("F.cross_entropy 가 안에서 로그 소프트맥스를 계산하므로, forward 는 선형 층의 출력(로짓)을 "
             "그대로 돌려줘야 합니다. self.lin 의 출력에 아무것도 더 적용하지 마세요.")
    kind = output_kind(out)
    if kind == "softmax":
        return check.Hint("logistic.softmax-in-forward", "forward 에서 소프트맥스를 적용했습니다. " + after)
    if kind == "log_softmax":
        return check.Hint("logistic.log-softmax-in-forward", "forward 에서 로그 소프트맥스를 적용했습니다. " + after)
    return None


def output_diagnosis(model: Callable) -> Callable[[float, float, dict], str | None]:
    """A ``diagnose`` for ``check_trained``: names a softmax inside ``forward``."""
    def diagnose(loss: float, accuracy: float, ref: dict) -> str | None:
        try:
            with torch.no_grad():
                out = model(check.reference_data().x_valid[:100])
        except Exception:  # no diagnosis then; the metrics' own hint stands
            return None
        return softmax_hint(out)
    return diagnose
