"""Checks of lesson 04_nn_module: an ``nn.Module`` that holds its ``nn.Parameter``s, and a
no-argument ``fit()`` that loops over ``model.parameters()`` and calls ``model.zero_grad()``."""

from __future__ import annotations

import inspect
import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import checks as check
from ..data import N_CLASSES, N_PIXELS
from . import common
from .common import EPOCHS, concept_check, check_losses, check_trained, output_kind

LESSON = "04_nn_module"
SETTINGS = "bs=64, lr=0.5, epochs=2"
LR = 0.5
BATCH_SIZE = 64
N_PARAMETERS = N_PIXELS * N_CLASSES + N_CLASSES  # 7850

# check_fit trains a stand-in model on a few images: two full batches of 64 and one of 32.
PROBE_IMAGES = 160
PROBE_EPOCHS = 2


NORMALISED_HINT = {
    "log_softmax": (check.Hint("nn_module.forward-log-softmax", "forward 의 출력이 이미 로그 확률입니다(행마다 logsumexp 가 0). forward 안에서 "
                    "log_softmax 를 빼세요. 손실 함수 F.cross_entropy 가 로그 소프트맥스를 계산합니다.")),
    "softmax": (check.Hint("nn_module.forward-softmax", "forward 의 출력이 소프트맥스 확률입니다(양수이고 합이 1). forward 는 가공하지 않은 "
                "로짓 xb @ self.weights + self.bias 를 돌려줘야 합니다.")),
}


def _init_hint(error: Exception) -> str:
    """What to fix when the learner's class cannot be built."""
    if "before Module.__init__() call" in str(error):
        return (check.Hint("nn_module.super-init-missing", "__init__ 의 첫 줄에서 super().__init__() 을 불러야 합니다. 그래야 nn.Module 이 "
                "매개변수를 기록할 준비를 합니다."))
    return check.Hint("nn_module.init-error", "__init__ 이 인자 없이 Mnist_Logistic() 으로 만들어지는지 보세요.")


def _instantiate(cls: object, seed: int = 0) -> nn.Module:
    """One instance of the learner's class, built from torch seed ``seed``, without touching the
    notebook's random numbers."""
    if not isinstance(cls, type):
        check.fail(f"Mnist_Logistic 은(는) 클래스여야 합니다 (지금은 {type(cls).__name__}).",
                   hint=check.Hint("nn_module.not-a-class", "class Mnist_Logistic(nn.Module): 로 정의하세요."))
    if not issubclass(cls, nn.Module):
        check.fail(f"{cls.__name__} 이(가) nn.Module 을 상속하지 않습니다.",
                   hint=check.Hint("nn_module.not-a-module", "class Mnist_Logistic(nn.Module): 처럼 괄호 안에 nn.Module 을 적으세요. 그래야 "
                        "parameters(), zero_grad() 같은 메서드를 물려받습니다."))
    # fork_rng (every device, not only the CPU as call_learner's keep_random): the check must not
    # shift the random numbers of the model the notebook builds next.
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return common.call_learner("Mnist_Logistic()", cls, hint=_init_hint)


def _find_parameters(module: nn.Module) -> tuple[nn.Parameter, nn.Parameter]:
    """The module's weight and bias parameters, or a failure that names what is wrong."""
    params = dict(module.named_parameters())
    if not params:
        plain = getattr(module, "plain_tensors", None) or [
            name for name, value in vars(module).items() if isinstance(value, torch.Tensor)]
        found = f" (텐서 속성 {', '.join(plain)} 은(는) 있지만 매개변수로 등록되지 않았습니다)" if plain else ""
        check.fail(f"model.parameters() 가 비어 있습니다{found}.",
                   hint=check.Hint("nn_module.plain-tensors", "self.weights = nn.Parameter(...) 처럼 nn.Parameter 로 감싸야 nn.Module 이 "
                        "매개변수로 기록합니다. 그냥 텐서를 속성에 넣으면 parameters() 에도 zero_grad() 에도 "
                        "나타나지 않아 학습되지 않습니다."))
    shapes = {name: tuple(p.shape) for name, p in params.items()}
    weights = [p for p in params.values() if tuple(p.shape) == (N_PIXELS, N_CLASSES)]
    biases = [p for p in params.values() if tuple(p.shape) == (N_CLASSES,)]
    hint = (check.Hint("nn_module.parameter-shapes-wrong", "매개변수는 정확히 두 개, 가중치 nn.Parameter(torch.randn(784, 10) / math.sqrt(784)) 와 "
            "편향 nn.Parameter(torch.zeros(10)) 입니다."))
    if any(shape == (N_CLASSES, N_PIXELS) for shape in shapes.values()):
        hint = check.Hint("nn_module.weights-transposed", "가중치의 행과 열이 바뀌었습니다. (입력 784, 출력 10) 이어야 xb @ weights 가 (N, 10) 이 됩니다.")
    elif len(weights) == 1 and not biases:
        hint = check.Hint("nn_module.no-bias", "편향(bias)이 없습니다. 출력마다 하나씩, 0 으로 시작하는 (10,) 모양의 편향도 nn.Parameter 로 만들어 self 에 두세요.")
    if len(params) != 2 or len(weights) != 1 or len(biases) != 1:
        check.fail("매개변수가 (784, 10) 가중치 하나와 (10,) 편향 하나여야 합니다", got=str(shapes),
                   expected="{'weights': (784, 10), 'bias': (10,)}", hint=hint)
    return weights[0], biases[0]


def check_module(cls: object, images: int = 5, start: int = 0) -> None:
    """``cls()`` is an nn.Module with a (784, 10) weight and a (10,) bias registered as
    parameters, initialised like lesson 02, whose forward returns the raw scores."""
    module = _instantiate(cls)
    weights, bias = _find_parameters(module)
    check.passed("Mnist_Logistic 은 nn.Module 이고, 매개변수는 (784, 10) 가중치와 (10,) 편향입니다")
    check.close("가중치의 표준편차 (LeCun 초기화 1/√784 ≈ 0.036)", weights.detach().std().item(),
                1 / math.sqrt(N_PIXELS), 0.006, check.Hint("nn_module.weights-not-scaled", "torch.randn(784, 10) 을 math.sqrt(784) 로 나눠 작게 시작하세요."))
    check.tensor_equal("편향의 처음 값", bias.detach(), torch.zeros(N_CLASSES), check.Hint("nn_module.bias-not-zero", "편향은 torch.zeros(10) 으로 시작합니다."))
    # The bias starts at zero; give it distinct values so a forward that forgets it shows.
    # Restore it afterwards: a learner's class might wrap a tensor that lives outside it.
    saved = bias.detach().clone()
    with torch.no_grad():
        bias.copy_(torch.linspace(-0.5, 0.5, N_CLASSES))
        xb = check.reference_data().x_valid[start:start + images]
        try:
            got = common.call_learner(
                "model(xb)", module, xb,
                hint="forward(self, xb) 가 xb @ self.weights + self.bias 를 돌려주는지 보세요. "
                     "forward 라는 이름과 self 인자를 빠뜨리지 않았는지도 보세요.")
            expected = xb @ weights + bias
            without_bias = xb @ weights
        finally:  # a failed forward too
            bias.copy_(saved)
    hint = check.Hint("nn_module.forward-wrong", "forward(self, xb) 는 xb @ self.weights + self.bias 를 돌려줘야 합니다.")
    kind = output_kind(got)
    if kind:
        hint = NORMALISED_HINT[kind]
    elif isinstance(got, torch.Tensor) and got.shape == expected.shape and torch.allclose(got, without_bias, atol=1e-5):
        hint = check.Hint("nn_module.forward-no-bias", "forward 에서 편향(bias)을 더하지 않았습니다: xb @ self.weights + self.bias.")
    check.tensor_close(f"model(검증 이미지 {images}장)", got, expected, 1e-4, hint)


def check_fresh_parameters(cls: type) -> None:
    """Two instances hold their own, differently initialised parameters."""
    first, second = _instantiate(cls), _instantiate(cls, seed=1)
    w1, _ = _find_parameters(first)
    w2, _ = _find_parameters(second)
    if w1.data_ptr() == w2.data_ptr() or torch.equal(w1, w2):
        check.fail("Mnist_Logistic() 을 두 번 만들었더니 두 모델의 가중치가 같은 텐서입니다.",
                   hint=check.Hint("nn_module.shared-tensor", "가중치는 __init__ 안에서 torch.randn(...) 으로 새로 만드세요. 클래스 밖에서 만든 텐서를 "
                        "nn.Parameter 로 감싸면 모든 모델이 그 텐서 하나를 나눠 씁니다."))
    check.passed("Mnist_Logistic() 으로 만든 모델마다 자기 매개변수를 가집니다")


def check_parameter_count(n_params: object) -> None:
    """``n_params`` is the number of numbers the model learns: 784 × 10 + 10."""
    if isinstance(n_params, torch.Tensor) and n_params.numel() == 1:
        n_params = n_params.item()
    hint = check.Hint("nn_module.count-parameters", "model.parameters() 로 매개변수 텐서를 하나씩 꺼내, 텐서마다 원소 수(p.numel())를 구해 모두 더하세요.")
    if n_params == 2:
        hint = (check.Hint("nn_module.counted-tensors", "매개변수 텐서의 개수(2)를 셌습니다. 구할 것은 그 안에 든 숫자의 개수입니다. "
                "텐서 p 의 원소 수는 p.numel() 입니다."))
    elif n_params == N_PIXELS * N_CLASSES:
        hint = check.Hint("nn_module.counted-weights-only", "가중치만 셌습니다. 편향의 10개도 더하세요.")
    check.equal("n_params (모델이 학습하는 숫자의 개수)", n_params, N_PARAMETERS, hint)


class ProbeLogistic(nn.Module):
    """A stand-in for the learner's model, with other parameter names than the lesson's: a fit
    that names parameters (``model.weights``) instead of looping over ``model.parameters()``
    fails on it. The grading judge has the learner's kernel build the same model (``judge_kind``)."""

    judge_kind = "probe_logistic"

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(2024)
        self.w = nn.Parameter(torch.randn(N_PIXELS, N_CLASSES, generator=generator) / math.sqrt(N_PIXELS))
        self.b = nn.Parameter(torch.zeros(N_CLASSES))

    def forward(self, xb: torch.Tensor) -> torch.Tensor:
        return xb @ self.w + self.b


def _simulate(x: torch.Tensor, y: torch.Tensor, *, lr: float = LR, zero: bool = True,
              batches: int | None = None) -> ProbeLogistic:
    """What a correct fit() (or one with a named mistake) does to a fresh probe model."""
    model = ProbeLogistic()
    count = (len(x) - 1) // BATCH_SIZE + 1 if batches is None else batches
    for _ in range(PROBE_EPOCHS):
        for i in range(count):
            xb, yb = x[i * BATCH_SIZE:(i + 1) * BATCH_SIZE], y[i * BATCH_SIZE:(i + 1) * BATCH_SIZE]
            F.cross_entropy(model(xb), yb).backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= p.grad * lr
                if zero:
                    model.zero_grad()
    return model


def _same(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.allclose(p, q, atol=1e-5) for p, q in zip(a.parameters(), b.parameters()))


def _run_fit(fit, probe: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict:
    """Call the learner's fit() with the probe in place of the notebook's globals (put back
    afterwards); the globals ``losses`` and ``lr`` as fit left them."""
    probe_globals = dict(model=probe, x_train=x, y_train=y, n=len(x), epochs=PROBE_EPOCHS, losses=[])
    return common.call_learner("시험용 모델로 fit()", common.call_with_globals, fit, probe_globals, ("losses", "lr"),
                               hint=lambda error: _fit_error_hint(error, probe, x, y))


ZERO_GRAD_IN_LOOP = check.Hint("nn_module.zero-grad-in-parameter-loop", "model.zero_grad() 가 for p in model.parameters(): 반복문 안에 들어가 있습니다. 그러면 첫 매개변수를 "
                     "갱신하자마자 모든 매개변수의 기울기가 지워져, 나머지 매개변수는 갱신할 기울기가 없습니다. "
                     "model.zero_grad() 를 for 반복문 밖으로 내어(들여쓰기를 한 단계 줄여) 모든 매개변수를 갱신한 뒤 "
                     "한 번만 부르세요.")


def _zero_grad_inside_parameter_loop(probe: nn.Module, x: torch.Tensor, y: torch.Tensor,
                                     steps: int | None = None) -> bool:
    """``model.zero_grad()`` inside ``for p in model.parameters():``: only the first parameter
    ever learns. With gradients set to None the loop fails on the second parameter after one
    step (``steps=1``); with ``set_to_none=False`` every batch moves the first parameter only."""
    model = ProbeLogistic()
    count = (len(x) - 1) // BATCH_SIZE + 1
    batches = [i for _ in range(PROBE_EPOCHS) for i in range(count)][:steps]
    for i in batches:
        xb, yb = x[i * BATCH_SIZE:(i + 1) * BATCH_SIZE], y[i * BATCH_SIZE:(i + 1) * BATCH_SIZE]
        F.cross_entropy(model(xb), yb).backward()
        first = next(model.parameters())
        with torch.no_grad():
            first -= first.grad * LR
        model.zero_grad()
    return _same(probe, model)


def _fit_error_hint(error: Exception, probe: nn.Module | None = None,
                    x: torch.Tensor | None = None, y: torch.Tensor | None = None) -> str:
    """The likely mistake behind an exception raised by the learner's fit()."""
    message = str(error)
    hint = (check.Hint("nn_module.fit-error", "위 오류가 난 줄을 보세요. fit 은 전역 변수 model, loss_func, lr, epochs, n, bs, "
            "x_train, y_train, losses 를 씁니다."))
    if isinstance(error, NotImplementedError):
        hint = check.Hint("nn_module.fit-stub", "답안 셀의 raise NotImplementedError(...) 줄을 지우고 fit 을 완성하세요.")
    elif "leaf Variable that requires grad" in message:
        hint = (check.Hint("nn_module.update-outside-no-grad", "매개변수 갱신(p -= p.grad * lr)을 torch.no_grad() 블록 밖에서 했습니다. PyTorch 는 기울기를 "
                "추적하는 잎 텐서를 제자리에서 바꾸는 것을 막습니다. 갱신을 with torch.no_grad(): 안에 넣으세요."))
    elif "NoneType" in message and probe is not None and _zero_grad_inside_parameter_loop(probe, x, y, steps=1):
        hint = ZERO_GRAD_IN_LOOP
    elif "NoneType" in message:
        hint = (check.Hint("nn_module.zero-grad-none", "p.grad 가 None 입니다. model.zero_grad() 는 기울기를 None 으로 지웁니다. 기울기는 갱신이 쓴 "
                "뒤, 다음 loss.backward() 전에 지워야 합니다(갱신 뒤, 또는 미니배치 맨 앞). zero_grad 를 "
                "backward 와 갱신 사이에 부르지 않았는지, loss.backward() 를 빠뜨리지 않았는지 보세요."))
    elif isinstance(error, AttributeError) and "ProbeLogistic" in message:
        hint = (check.Hint("nn_module.params-by-name", "fit 이 매개변수를 이름(model.weights 같은)으로 불렀습니다. 확인 셀은 매개변수 이름이 다른 "
                "시험용 모델로 fit 을 실행합니다. 이름 대신 for p in model.parameters(): 로 모든 매개변수를 도세요."))
    return hint


def check_fit(fit: object, start: int = 0, images: int = PROBE_IMAGES) -> None:
    """Run the learner's no-argument fit() on a stand-in model and ``images`` images, with the
    notebook's globals swapped for the probe's, and compare with a correct update. With
    ``images`` a multiple of bs, a batch count of n // bs + 1 (right for the lesson's n = 50000)
    makes an empty last batch."""
    if not callable(fit) or not (hasattr(fit, "__globals__") or hasattr(fit, "call_with_globals")):
        check.fail(f"fit 은 def 로 정의한 함수여야 합니다 (지금은 {type(fit).__name__}).")
    required = [p.name for p in inspect.signature(fit).parameters.values()
                if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if required:
        check.fail(f"fit 이 인자 {', '.join(required)} 을(를) 받습니다.",
                   hint=check.Hint("nn_module.fit-takes-arguments", "이번 강의의 fit 은 인자 없이 fit() 으로 부릅니다. 필요한 것은 전역 변수 model, lr, "
                        "epochs 등에서 읽습니다. fit 에 인자를 주는 것은 08 강의에서 합니다."))
    check.passed("fit 은 인자 없이 부를 수 있는 함수입니다")

    data = check.reference_data()
    x, y = data.x_train[start:start + images], data.y_train[start:start + images]
    probe = ProbeLogistic()
    initial = ProbeLogistic()
    after = _run_fit(fit, probe, x, y)
    losses = after.get("losses")
    expected = _simulate(x, y)
    if not _same(probe, expected):
        lr = after.get("lr")
        hint = (check.Hint("nn_module.fit-order", "fit 의 순서를 보세요: 예측 → 손실 → loss.backward() → torch.no_grad() 안에서 모든 p 갱신 "
                f"(p -= p.grad * lr, lr={LR}) → model.zero_grad() (zero_grad 는 미니배치 맨 앞에 두어도 됩니다). "
                "에포크마다 (n - 1) // bs + 1 개의 미니배치를 돕니다."))
        if any(not torch.isfinite(p).all() for p in probe.parameters()) and len(x) % BATCH_SIZE == 0:
            hint = (check.Hint("nn_module.nan-batch-multiple", f"매개변수에 NaN 이 생겼습니다. 이번 시험용 데이터는 {len(x)}장, 배치 {BATCH_SIZE}장의 배수라서 "
                    "미니배치 수를 n // bs + 1 로 세면 마지막 미니배치가 0장이 되고, 빈 배치의 평균 손실은 NaN 입니다. "
                    "n 이 bs 의 배수일 때도 맞도록 미니배치 수를 다시 세어 보세요."))
        elif any(not torch.isfinite(p).all() for p in probe.parameters()):
            hint = (check.Hint("nn_module.nan-batches-hard-coded", "매개변수에 NaN 이 생겼습니다. 미니배치 수를 50000 같은 숫자 대신 전역 변수 n 으로 "
                    "계산했는지((n - 1) // bs + 1) 보세요. " + hint))
        elif _same(probe, initial):
            hint = (check.Hint("nn_module.params-unchanged", "fit 이 끝났는데 매개변수가 전혀 바뀌지 않았습니다. fit 이 전역 변수 model 을 학습시키는지"
                    "(fit 안에서 새 모델을 만들지 않는지), 갱신이 제자리 연산 p -= p.grad * lr 인지 보세요. "
                    "p = p - p.grad * lr 은 새 텐서를 만들 뿐 매개변수를 바꾸지 않습니다."))
        elif torch.equal(probe.b, initial.b) and _zero_grad_inside_parameter_loop(probe, x, y):
            hint = ZERO_GRAD_IN_LOOP
        elif torch.equal(probe.b, initial.b):
            hint = check.Hint("nn_module.bias-not-updated", "편향이 갱신되지 않았습니다. for p in model.parameters(): 로 모든 매개변수를 갱신하세요.")
        elif _same(probe, _simulate(x, y, zero=False)):
            hint = (check.Hint("nn_module.grad-not-zeroed", "기울기를 0 으로 되돌리지 않아 미니배치마다 기울기가 계속 쌓입니다. 갱신한 뒤 "
                    "model.zero_grad() 를 부르세요."))
        elif isinstance(lr, (int, float)) and lr != LR and _same(probe, _simulate(x, y, lr=lr)):
            hint = check.Hint("nn_module.lr-wrong", f"학습률 lr 이 {lr} 입니다. 이 강의의 학습률은 lr = {LR} 입니다.")
        elif _same(probe, _simulate(x, y, batches=len(x) // BATCH_SIZE)):
            hint = check.Hint("nn_module.last-batch-missing", "마지막 작은 배치를 빠뜨렸습니다. 배치 수는 (n - 1) // bs + 1 입니다.")
        check.fail(f"fit() 이 시험용 모델(이미지 {len(x)}장, 에포크 {PROBE_EPOCHS})을 기대와 다르게 학습시켰습니다",
                   hint=hint)
    expected_count = PROBE_EPOCHS * ((len(x) - 1) // BATCH_SIZE + 1)
    count = len(losses) if isinstance(losses, list) else type(losses).__name__
    if count != expected_count or not all(isinstance(v, float) for v in losses):
        hint = (check.Hint("nn_module.losses-reset-in-fit", "루프 안에서 losses.append(loss.item()) 을 하세요. fit 안에서 losses = [] 로 새 리스트를 "
                "만들면 전역 losses 는 비어 있습니다."))
        if isinstance(count, int) and len(x) % BATCH_SIZE == 0 \
                and count == PROBE_EPOCHS * (len(x) // BATCH_SIZE + 1):
            hint = (check.Hint("nn_module.extra-batch-multiple", f"에포크마다 미니배치가 하나 더 있습니다. 이번 시험용 데이터는 {len(x)}장으로 배치 {BATCH_SIZE}장의 "
                    "배수라서, 미니배치 수를 n // bs + 1 로 세면 마지막 미니배치가 0장(빈 배치, 손실 NaN)이 됩니다. "
                    "n 이 bs 의 배수일 때도 맞도록 미니배치 수를 다시 세어 보세요."))
        elif isinstance(count, int) and count > expected_count:
            hint = (check.Hint("nn_module.batches-hard-coded", "미니배치가 너무 많습니다. 미니배치 수를 50000 같은 숫자 대신 전역 변수 n 으로 "
                    "계산하세요: (n - 1) // bs + 1."))
        elif isinstance(count, int) and count == expected_count:
            hint = check.Hint("nn_module.losses-tensors", "losses 에는 파이썬 숫자를 넣으세요: losses.append(loss.item()).")
        check.fail("fit() 이 미니배치마다 손실을 전역 리스트 losses 에 넣어야 합니다", got=f"{count}개",
                   expected=f"{expected_count}개 (파이썬 float)", hint=hint)
    check.passed(f"fit() 이 시험용 모델(이미지 {len(x)}장, 에포크 {PROBE_EPOCHS})을 기대한 대로 학습시키고, "
                 f"손실 {expected_count}개를 losses 에 넣었습니다")


def check_training(model: object, losses: object, lr: object = LR, epochs: object = EPOCHS) -> None:
    """The model trained by fit() scores like the reference on the whole validation set."""
    check.equal("학습률 lr", lr, LR,
                check.Hint("nn_module.training-lr-changed", f"이 강의는 학습률 {LR} 로 학습합니다. 다른 값은 기준값과 비교할 수 없습니다."))
    check.equal("에포크 수 epochs", epochs, EPOCHS, check.Hint("nn_module.training-epochs-changed", f"이 강의는 {EPOCHS} 에포크 학습합니다."))
    if not common.is_module(model):
        check.fail(f"model 이 nn.Module 이 아닙니다 (지금은 {type(model).__name__}).",
                   hint=check.Hint("nn_module.training-model-not-module", "model = Mnist_Logistic() 으로 만든 모델을 fit() 으로 학습시키세요."))
    if not list(model.parameters()):
        check.fail("model.parameters() 가 비어 있어 아무것도 학습되지 않았습니다.",
                   hint=check.Hint("nn_module.training-plain-tensors", "Mnist_Logistic 의 가중치와 편향을 nn.Parameter 로 감싸세요(연습 1)."))
    check_losses(losses, check.Hint("nn_module.losses-none", "fit 이 미니배치마다 losses.append(loss.item()) 을 하는지 보세요."))
    # Scored from its parameters: the learner's forward must compute what they give.
    trained = common.trained_logistic(model)
    check_trained(LESSON, trained, settings=SETTINGS)


# ---------------------------------------------------------------- concept check: zero_grad

#: Two backward() calls on the halves of a 64-image batch, not zeroed in between: what p.grad
#: holds against one backward() on the whole batch; every choice explained.
WHY_ZERO_GRAD = {
    "A": "두 반쪽의 기울기가 .grad 에서 합쳐지는 것까지는 맞습니다. 그런데 F.cross_entropy 는 반쪽마다 "
         "32장의 평균을 냅니다. 32장 평균 두 개를 더한 것이 64장의 평균과 같은지 따져 보세요.",
    "B": "backward() 는 .grad 에 있던 값을 새 값으로 바꿔 쓰지 않습니다. 위 '훈련 루프에서 이름 지우기' 에서 "
         "bias.grad.zero_() 한 줄을 빠뜨리면 무슨 일이 생긴다고 했는지 다시 보세요.",
    "C": "두 번째 backward() 는 두 번째 반쪽으로 새로 계산한 손실에서 부릅니다. 새 순전파가 새 계산 그래프를 "
         "만들었으니, 그래프를 두 번 거슬러 가는 일은 없습니다.",
    "D": "backward() 는 새 기울기를 .grad 에 더합니다. 32장 평균의 기울기 두 개를 더하면 64장 평균의 "
         "기울기의 두 배입니다. 그래서 배치마다 zero_grad() 로 지우지 않으면 이전 배치들의 기울기가 쌓여 "
         "갱신이 엉뚱하게 커집니다.",
}


check_why_zero_grad = concept_check(
    "why_zero_grad", "D", WHY_ZERO_GRAD,
    "p.grad after backward() on both halves of a batch without zeroing, against one backward() on the whole")


# ---------------------------------------------------------------- concept check: why parameter

#: How many numbers a module counts when its bias is a plain tensor that requires grad (only
#: nn.Parameter attributes are registered); every choice explained.
WHY_PARAMETER = {
    "A": "7850 은 연습 2 의 모델처럼 가중치와 편향이 둘 다 매개변수일 때의 수입니다. Half 의 두 속성이 "
         "어떻게 다른지 보고, 위 'nn.Module 과 nn.Parameter' 에서 nn.Module 이 무엇을 기억해 둔다고 했는지 "
         "다시 읽어 보세요.",
    "B": "10 은 편향 하나에 든 숫자의 개수입니다. 두 속성 가운데 어느 쪽이 parameters() 에 나올지 다시 "
         "생각해 보세요.",
    "C": "nn.Module 은 속성에 넣은 nn.Parameter 만 매개변수로 등록합니다. requires_grad 를 켰어도 보통 "
         "텐서인 bias 는 parameters() 에 없으니 784 × 10 = 7840 개만 셉니다. 이런 모델은 parameters() 를 "
         "돌며 갱신할 때 편향을 빠뜨리고, zero_grad() 도 편향의 기울기를 지우지 않습니다.",
    "D": "nn.Module 의 속성에는 텐서, 숫자, 리스트 무엇이든 넣을 수 있어 오류는 나지 않습니다. 오류가 없으니 "
         "이런 실수는 더 알아채기 어렵습니다.",
}


check_why_parameter = concept_check(
    "why_parameter", "C", WHY_PARAMETER,
    "how many numbers parameters() gives when the bias is a plain tensor with requires_grad")


#: Test cells whose points the judge decides outside the learner's kernel, from values read by
#: value (nncourse.grading.judge); the others still run in the kernel, under the guard.
JUDGED = frozenset({
    "test_fit",
    "test_mnist_logistic",
    "test_training",
    "test_why_parameter",
    "test_parameter_count",
    "test_why_zero_grad",
})
