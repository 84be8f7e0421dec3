"""Checks that lessons 09 and 10 share: the lesson's CNN, its training history and optimizer, devices.

Lesson 09 (nncourse.graders.cnn) builds and trains a small CNN with SGD and momentum on wrapped
data loaders; lesson 10 (nncourse.graders.device) does the same on the machine's accelerator.
Both lessons' checks of the model's layers, the optimizer, fit's history, ``preprocess`` and the
wrapped loaders live here, so neither lesson module imports the other.

Every check runs the learner's code inside :func:`guard`: warnings are silenced (any stderr
output makes nbgrader score the cell 0) and torch's random state is restored afterwards, so a
check that builds a model does not change the shuffling of the learner's later training.
"""

from __future__ import annotations

import contextlib
import functools
import math
import warnings
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn, optim

from .. import checks as check
from ..checks import fail
from ..data import IMAGE_SIDE, N_CLASSES
from ..training import evaluate
from . import common

#: The optimizer both lessons train the CNN with, and the batch size of their loaders.
LR = 0.1
MOMENTUM = 0.9
BATCH_SIZE = 64
#: Both lessons train EPOCHS epochs at LR, then one more at LAST_LR (#24). With 3 epochs at lr 0.1
#: alone, where the model ended depended on the seed (validation accuracy ±0.022, loss ±0.077 over
#: seeds × settings): with momentum it still jumps around the minimum when training stops. A fourth
#: epoch lets slow seeds catch up and a last one at lr / 10 settles the model: ±0.009 / ±0.027 over
#: 16 seeds (benchmarks/recipe_spread.py), 0.959 accurate against 0.943.
EPOCHS = 4
LAST_LR = LR / 10
SETTINGS = f"bs={BATCH_SIZE}, lr={LR}, momentum={MOMENTUM}, epochs={EPOCHS}, 그 뒤 lr={LAST_LR:g} 로 1 에포크"
#: The mean training loss of the epoch at LAST_LR, as a fraction of the epoch before it: 0.707-0.749
#: over eight seeds, against 0.846-0.914 when that epoch ran at LR too (the rate lowered only after
#: the last fit: the optimizer then ends at LAST_LR and the result is often inside the band).
DECAYED_EPOCH_RATIO = 0.8
#: (in_channels, out_channels) of the three convolutions.
CONV_CHANNELS = ((1, 16), (16, 16), (16, N_CLASSES))
TRAIN_BATCHES = 782   # 781 batches of 64 and one of 16
#: A fresh He-initialised CNN's mean training loss over its first epoch was 0.67–0.75 (six
#: seeds); continuing a CNN that had already been trained for an epoch gave 0.29–0.33 (and less
#: after more epochs).
FRESH_FIRST_EPOCH_LOSS = 0.5
#: He initialisation: a convolution's weights have standard deviation sqrt(2 / fan_in). PyTorch's
#: default gives sqrt(1 / (3 fan_in)), 0.41 of that. The band takes a sample's spread (conv1 has
#: 144 weights: about 6 % per standard deviation) and kaiming_uniform_ (the same std) in.
HE_STD_RATIO = (0.7, 1.3)
HE_HINT = (check.Hint("convnet.he-init-missing", "새 모델을 만든 바로 다음에, 위에서 정의한 init_weights 를 model.apply 로 모델의 모든 층에 적용해 합성곱 층을 "
           "He 초기화하세요. 기본 초기화는 ReLU 뒤에 쓰기에는 작아서, 학습 결과가 시드에 크게 좌우됩니다."))
#: An untrained CNN scores about 2.30 (−log 0.1) on any batch.
UNTRAINED_LOSS = 1.8
ACCELERATOR_HINT = (check.Hint("convnet.accelerator-unavailable", "이 컴퓨터에 없는 가속기(GPU)를 쓰려 했습니다. 장치를 \"cuda\" 나 \"mps\" 로 못 박지 말고 "
                    "torch.accelerator.current_accelerator() if torch.accelerator.is_available() "
                    "else torch.device(\"cpu\") 처럼 torch.accelerator.is_available() 로 고른 device 를 "
                    "쓰세요."))
#: Words in torch's errors when code asks for a backend this build or machine lacks.
_ACCELERATOR_WORDS = ("CUDA", "cuda", "MPS", "mps", "XPU", "xpu", "accelerator")


def is_accelerator_error(error: Exception) -> bool:
    """The error came from asking for a GPU backend that is not there."""
    return any(word in str(error) for word in _ACCELERATOR_WORDS)


FRESH_HINT = (check.Hint("convnet.trained-model-continued", "이미 학습된 모델을 이어서 학습했습니다. history 는 새 모델과 새 옵티마이저로 "
              "부른 첫 fit(epochs, ...) 의 기록이어야 합니다. 앞선 학습을 되풀이하지 마세요."))


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Silence warnings and keep torch's CPU random state as it was."""
    with warnings.catch_warnings(), torch.random.fork_rng(devices=[]):
        warnings.simplefilter("ignore")
        yield


def size_of(value: object) -> str:
    """A value as a failure shows it: a tensor's shape, else its type's name."""
    if isinstance(value, torch.Tensor):
        return str(tuple(value.shape))
    return type(value).__name__


def conv_layers(model: nn.Module) -> list[nn.Conv2d]:
    """The model's convolution layers, in the order of ``model.modules()``."""
    return [module for module in model.modules() if isinstance(module, nn.Conv2d)]


def same_device(a: object, b: object) -> bool:
    """``cuda`` and ``cuda:0`` are the same device (tensors report the index); likewise for any
    accelerator (``mps``, ``xpu``…): no index means its current device."""
    a, b = torch.device(a), torch.device(b)
    if a.type != b.type:
        return False
    if a.index is None or b.index is None:
        accelerator = torch.accelerator.current_accelerator(check_available=True)
        if accelerator is None or accelerator.type != a.type:
            return True
        current = torch.accelerator.current_device_index()
        return (a.index if a.index is not None else current) == (b.index if b.index is not None else current)
    return a.index == b.index


def error_hint(error: Exception) -> str:
    """The likely mistake behind an error of the learner's CNN, loader or layer (a hint for
    common.call_learner)."""
    text = str(error)
    if is_accelerator_error(error):
        return ACCELERATOR_HINT
    if "Expected 3D" in text or "Expected 4D" in text or "expected 3D" in text \
            or "to have 1 channels" in text:
        return (check.Hint("convnet.input-not-image-shaped", "합성곱 층에는 (N, 1, 28, 28) 모양의 이미지가 들어가야 합니다. 펴진 입력 (N, 784) 를 첫 층에 "
                "넣기 전에 view 로 (배치, 채널 1, 높이 28, 너비 28) 모양으로 바꾸세요."))
    if "Output size is too small" in text:
        return check.Hint("convnet.pool-window-too-large", "풀링 창이 특성 맵보다 큽니다. stride 와 padding 을 확인하세요.")
    if "_backward_hooks" in text or "_forward_hooks" in text or "_parameters" in text:
        return check.Hint("convnet.super-init-missing", "__init__ 의 첫 줄에서 super().__init__() 을 부르세요.")
    return check.Hint("convnet.forward-error", "모델의 forward 를 확인하세요.")


# --------------------------------------------------------------------------------------------
# The model and its optimizer
# --------------------------------------------------------------------------------------------

def check_is_module(name: str, model: object) -> None:
    """``model`` is an nn.Module."""
    if not isinstance(model, nn.Module):
        fail(f"{name} 은(는) nn.Module 이어야 합니다", type(model).__name__, "nn.Module",
             check.Hint("convnet.not-a-module", "class 이름(nn.Module): 처럼 nn.Module 을 상속하고 __init__ 에서 super().__init__() 을 "
             "부르세요."))


def check_conv_layers(name: str, model: nn.Module) -> None:
    """Three Conv2d 1→16→16→10, kernel 3, stride 2, padding 1, with bias."""
    convs = conv_layers(model)
    if len(convs) != len(CONV_CHANNELS):
        fail(f"{name} 에 합성곱 층(nn.Conv2d)이 {len(CONV_CHANNELS)}개 있어야 합니다",
             f"{len(convs)}개", f"{len(CONV_CHANNELS)}개",
             check.Hint("convnet.conv-count-wrong", "nn.Conv2d 를 세 개 만들어 모델의 속성(또는 nn.Sequential 의 층)으로 두세요. "
             "함수 안에서만 만든 층은 모델에 등록되지 않습니다."))
    for index, (conv, (c_in, c_out)) in enumerate(zip(convs, CONV_CHANNELS), 1):
        label = f"{name} 의 {index}번째 합성곱 층"
        if (conv.in_channels, conv.out_channels) != (c_in, c_out):
            fail(f"{label}의 (입력 채널, 출력 채널)이 {(c_in, c_out)} 이어야 합니다",
                 str((conv.in_channels, conv.out_channels)), str((c_in, c_out)),
                 check.Hint("convnet.conv-channels-wrong", "채널 수는 1→16→16→10 입니다. 첫 층의 입력 1은 흑백 이미지의 채널 하나, 마지막 "
                 "층의 출력 10은 숫자 10개의 로짓이고, 각 층의 입력 채널 수는 앞 층의 출력 채널 "
                 "수와 같아야 합니다."))
        if tuple(conv.kernel_size) != (3, 3):
            fail(f"{label}의 kernel_size 가 3 이어야 합니다", str(conv.kernel_size), "(3, 3)",
                 check.Hint("convnet.conv-kernel-size-wrong", "필터는 3×3 입니다: kernel_size=3."))
        if tuple(conv.stride) != (2, 2):
            fail(f"{label}의 stride 가 2 여야 합니다", str(conv.stride), "(2, 2)",
                 check.Hint("convnet.conv-stride-wrong", "stride=2 로 필터를 두 칸씩 옮겨야 층마다 가로세로가 반으로 줄어 28→14→7→4 가 "
                 "됩니다. stride=1 이면 크기가 줄지 않습니다."))
        if tuple(conv.padding) != (1, 1):
            fail(f"{label}의 padding 이 1 이어야 합니다", str(conv.padding), "(1, 1)",
                 check.Hint("convnet.conv-padding-wrong", "padding=1 로 가장자리에 0을 한 줄 둘러야 28→14→7→4 가 됩니다."))
        if conv.bias is None:
            fail(f"{label}에 편향(bias)이 있어야 합니다", "bias=False", "bias=True (기본값)",
                 check.Hint("convnet.conv-bias-removed", "bias=False 를 빼세요. 기본값대로 출력 채널마다 편향이 하나씩 있습니다."))
    check.passed(f"{name}: 합성곱 층 3개 (채널 1→16→16→10, kernel_size=3, stride=2, padding=1)")


def check_he_init(name: str, model: nn.Module, hint: str = HE_HINT) -> None:
    """Every convolution He initialised (std sqrt(2 / fan_in)), biases zero: what
    ``model.apply(init_weights)`` does to a fresh model."""
    low, high = HE_STD_RATIO
    for index, conv in enumerate(conv_layers(model), 1):
        weight = conv.weight.detach().float()
        fan_in = weight[0].numel()
        ratio = weight.std().item() / math.sqrt(2 / fan_in)
        if not low <= ratio <= high:
            what = "기본 초기화 그대로인 것 같습니다" if 0.3 <= ratio <= 0.55 else "He 초기화가 아닙니다"
            fail(f"{name} 의 {index}번째 합성곱 층 가중치의 표준편차가 He 초기화의 값이어야 합니다 ({what})",
                 f"{weight.std().item():.4f}", f"약 {math.sqrt(2 / fan_in):.4f} = sqrt(2 / {fan_in})", hint)
        if conv.bias is not None and bool((conv.bias.detach() != 0).any()):
            fail(f"{name} 의 {index}번째 합성곱 층의 편향이 0 에서 시작해야 합니다",
                 f"0 이 아닌 값 {int((conv.bias.detach() != 0).sum())}개", "모두 0", hint)
    check.passed(f"{name}: 합성곱 층 3개 모두 He 초기화 (표준편차 sqrt(2 / fan_in), 편향 0)")


def initial_loss(model: nn.Module, count: int = 1000, preprocess: Callable | None = None) -> float:
    """The model's mean loss on the first ``count`` validation images (about 2.30 untrained)."""
    data = check.reference_data()
    with guard(), torch.no_grad():
        xb, yb = data.x_valid[:count], data.y_valid[:count]
        device = next(model.parameters()).device
        xb, yb = xb.to(device), yb.to(device)
        if preprocess is not None:
            xb = preprocess(xb)
        return F.cross_entropy(model(xb), yb).item()


def check_optimizer(model: nn.Module, opt: object, lr: float = LR, momentum: float = MOMENTUM,
                    name: str = "opt") -> None:
    """SGD over exactly the model's parameters with the lesson's lr and momentum."""
    if not (isinstance(opt, optim.SGD) or common.is_exactly(opt, optim.SGD)):
        fail(f"{name} 은(는) optim.SGD 여야 합니다", type(opt).__name__, "SGD",
             check.Hint("convnet.optimizer-not-sgd", f"{name} 은(는) optim.SGD 로 만드세요. 모델의 매개변수와 준비 셀의 학습률, 그리고 모멘텀 값을 인자로 넘깁니다."))
    group = opt.param_groups[0]
    if len(opt.param_groups) != 1:
        fail(f"{name} 에는 매개변수 그룹이 하나여야 합니다", str(len(opt.param_groups)), "1",
             check.Hint("convnet.param-groups-several", "optim.SGD(model.parameters(), ...) 처럼 모델의 매개변수를 한 번에 넘기세요."))
    if not math.isclose(group["lr"], lr):
        hint = check.Hint("convnet.lr-wrong", f"학습률은 lr = {lr} 입니다. 준비 셀의 lr 을 그대로 넘기세요.")
        if math.isclose(group["lr"], 0.5):
            hint = (check.Hint("convnet.lr-from-logistic", f"0.5 는 앞 강의의 로지스틱 회귀에 쓴 학습률입니다. 모멘텀을 쓰는 이 CNN 에는 "
                    f"lr = {lr} 을 씁니다."))
        fail(f"{name} 의 학습률(lr)이 {lr} 이어야 합니다", str(group["lr"]), str(lr), hint)
    if not math.isclose(group["momentum"], momentum):
        hint = check.Hint("convnet.momentum-wrong", f"momentum={momentum} 을 넘기세요. 지난 기울기를 {momentum} 만큼 기억해 두는 모멘텀입니다.")
        if group["momentum"] == 0:
            hint = (check.Hint("convnet.momentum-missing", f"momentum 을 빠뜨렸습니다(기본값 0). optim.SGD(..., momentum={momentum}) 처럼 "
                    "넘기세요."))
        fail(f"{name} 의 모멘텀(momentum)이 {momentum} 이어야 합니다", str(group["momentum"]),
             str(momentum), hint)
    if group.get("nesterov") or group.get("weight_decay") or group.get("dampening"):
        fail(f"{name} 은(는) 기본 SGD + 모멘텀이어야 합니다",
             f"nesterov={group.get('nesterov')}, weight_decay={group.get('weight_decay')}, "
             f"dampening={group.get('dampening')}", "모두 기본값",
             check.Hint("convnet.sgd-extra-settings", "lr 과 momentum 말고 다른 설정은 넘기지 마세요."))
    mine = {common.identity(parameter) for parameter in group["params"]}
    wanted = list(common.parameter_identities(model))
    if mine != set(wanted) or len(group["params"]) != len(wanted):
        fail(f"{name} 이(가) 이 모델의 매개변수를 갱신해야 합니다",
             f"옵티마이저의 텐서 {len(group['params'])}개 중 모델의 것 {len(mine & set(wanted))}개",
             f"모델의 매개변수 {len(wanted)}개 모두",
             check.Hint("convnet.optimizer-other-model", "옵티마이저는 모델을 만든 다음 optim.SGD(model.parameters(), ...) 로 만드세요. 다른 "
             "(또는 예전) 모델의 매개변수를 넘기면 학습하는 모델이 바뀌지 않습니다."))
    check.passed(f"{name}: optim.SGD(lr={lr}, momentum={momentum}), 이 모델의 매개변수 "
                 f"{len(wanted)}개를 갱신합니다")


# --------------------------------------------------------------------------------------------
# Training: fit's history
# --------------------------------------------------------------------------------------------

def check_history(history: object, epochs: int, name: str = "history") -> None:
    """``history`` is what fit returned: a train and a valid loss for each of ``epochs`` epochs."""
    keys = ("train_loss", "valid_loss")
    if not isinstance(history, dict) or any(not isinstance(history.get(key), list) for key in keys):
        fail(f"{name} 는 fit 이 돌려준 기록이어야 합니다", type(history).__name__,
             "{'train_loss': [...], 'valid_loss': [...]}",
             check.Hint("convnet.history-not-fit-result", f"fit 은 에포크별 손실 기록을 돌려줍니다. 학습을 돌리는 그 fit 호출의 반환값을 {name} 에 담으세요."))
    if any(len(history[key]) != epochs for key in keys):
        hint = check.Hint("convnet.history-epochs-wrong", f"fit 의 첫 인자로 epochs (= {epochs}) 를 넘기세요.")
        if name != "history":
            hint = check.Hint("convnet.last-history-epochs-wrong", "학습률을 낮춘 뒤에는 fit 의 첫 인자로 1 을 넘겨 한 에포크만 더 학습하세요.")
        fail(f"{name} 에 에포크 {epochs}번의 기록이 있어야 합니다", f"{len(history['valid_loss'])}번",
             f"{epochs}번", hint)
    check.passed(f"{name}: 에포크 {epochs}번의 훈련 손실과 검증 손실")


def check_last_epoch(model: nn.Module, history: object, last_history: object, opt: object,
                     fresh_hint: str = FRESH_HINT) -> None:
    """The training of both CNN lessons: ``history`` from EPOCHS epochs of a fresh model at LR,
    then ``last_history`` from one more epoch of the same model and optimizer at LAST_LR."""
    check_history(history, EPOCHS)
    check_fresh_start(history, hint=fresh_hint)
    check_history(last_history, 1, name="last_history")
    # The optimizer as the judge sees it (a copy by value, nncourse.grading.judge), or the real one.
    if isinstance(opt, optim.SGD) or common.is_exactly(opt, optim.SGD):
        rate = opt.param_groups[0].get("lr") if len(opt.param_groups) == 1 else None
        if isinstance(rate, (int, float)) and not math.isclose(rate, LAST_LR):
            hint = check.Hint("convnet.last-lr-wrong", f"마지막 에포크의 학습률은 last_lr = lr / 10 = {LAST_LR:g} 입니다. "
                              "준비 셀의 last_lr 을 그대로 쓰세요.")
            if math.isclose(rate, LR):
                hint = check.Hint("convnet.lr-not-lowered", "학습률은 옵티마이저의 param_groups 에 있습니다. 두 번째 fit 을 부르기 "
                                  "전에 각 그룹의 \"lr\" 값을 last_lr 로 바꾸세요.")
            fail(f"마지막 에포크의 학습률(opt 의 lr)이 last_lr = {LAST_LR:g} 이어야 합니다", f"{rate:g}",
                 f"{LAST_LR:g}", hint)
    check_optimizer(model, opt, lr=LAST_LR)
    before, after = _last_two_train_losses(history, last_history)
    if before is not None and after > before + 0.05:
        fail("마지막 에포크는 앞의 학습을 이어 가야 합니다",
             f"훈련 손실 {before:.3f} → {after:.3f}",
             "앞 에포크보다 낮거나 비슷한 훈련 손실",
             check.Hint("convnet.last-epoch-fresh-model", "학습률을 낮춘 한 에포크는 방금 학습한 그 model 과 opt 로 이어서 학습합니다. 새 모델을 만들지 마세요."))


def check_last_epoch_decayed(history: dict, last_history: dict) -> None:
    """The last epoch really ran at the lowered rate: its mean training loss fell to at most
    DECAYED_EPOCH_RATIO of the epoch before (after check_last_epoch and the loaders' check: a model
    trained on the validation loader falls less, and that has its own hint)."""
    before, after = _last_two_train_losses(history, last_history)
    if before is None:  # not two numbers: check_history has said why
        return
    if after > DECAYED_EPOCH_RATIO * before:
        fail("학습률을 낮춘 마지막 에포크에서 훈련 손실이 뚜렷하게 내려가야 합니다",
             f"{before:.3f} → {after:.3f} (앞 에포크의 {after / before:.0%})",
             f"앞 에포크의 {DECAYED_EPOCH_RATIO:.0%} 이하",
             check.Hint("convnet.last-epoch-not-decayed", "마지막 에포크가 낮춘 학습률로 학습되지 않은 것 같습니다. 학습률은 마지막 fit 을 "
                        "부르기 바로 전에 낮춥니다. fit 이 끝난 뒤에 낮추면 opt 의 값만 바뀌고, 처음부터 낮추면 앞의 "
                        "에포크들까지 작은 걸음으로 학습합니다."))
    check.passed(f"학습률을 낮춘 마지막 에포크: 평균 훈련 손실 {before:.4f} → {after:.4f} "
                 f"(앞 에포크의 {DECAYED_EPOCH_RATIO:.0%} 이하)")


def _last_two_train_losses(history: dict, last_history: dict) -> tuple[float | None, float | None]:
    """(the last epoch at LR, the epoch at LAST_LR): their mean training losses, or (None, None)
    when either is not a float (check_history has then said why)."""
    before, after = history["train_loss"][-1], last_history["train_loss"][0]
    if all(isinstance(value, float) for value in (before, after)):
        return before, after
    return None, None


def check_fresh_start(history: dict, hint: str = FRESH_HINT) -> None:
    """The CNN's training started from a fresh model (common.check_fresh_start)."""
    common.check_fresh_start(history, FRESH_FIRST_EPOCH_LOSS,
                             "새 모델은 손실 약 2.3 에서 출발해 첫 에포크 평균이 0.7 안팎", hint)


#: How far fit's last validation loss may be from the same model's loss evaluated again in the
#: test cell: only the batch sizes of the two sums differ (float rounding, about 1e-7 on a CPU;
#: TF32 on a GPU stays well below this).
HISTORY_MATCH = 1e-3
SWAPPED_HINT = (check.Hint("convnet.loaders-swapped", "fit 에 train_dl 과 valid_dl 의 자리가 바뀌어 들어갔습니다. 모델은 검증 데이터로 학습했고, "
                "'검증 손실'은 훈련 데이터로 쟀습니다. fit 의 인자 순서는 훈련 로더가 먼저, 검증 로더가 "
                "마지막입니다."))


def check_history_matches_model(history: dict, model: nn.Module, preprocess: Callable | None = None,
                                name: str = "history") -> tuple[float, float] | None:
    """``history["valid_loss"][-1]`` is the trained ``model``'s loss on the whole validation set;
    returns the model's (loss, accuracy) there for common.check_trained (None: not measured).

    Machine-independent evidence: both numbers come from the same model in the same kernel, so
    they agree up to float rounding on any computer, whatever the seed. A wide reference band
    cannot tell a model trained on the wrong loader from an unlucky seed; this can.
    """
    data = check.reference_data()
    recorded = history["valid_loss"][-1]
    try:
        loss, accuracy = evaluate(model, data.x_valid, data.y_valid, preprocess=preprocess)
    except Exception:  # the learner's model; check_trained reports the error with its hint
        return None
    if isinstance(recorded, bool) or not isinstance(recorded, (int, float)) or not math.isfinite(loss):
        return None
    if abs(recorded - loss) <= HISTORY_MATCH:
        check.passed(f"{name} 의 마지막 검증 손실 {recorded:.4f} = 이 model 의 검증 데이터 10,000장 전체 손실")
        return loss, accuracy
    hint = (check.Hint("convnet.history-other-model", "fit 에 넘긴 모델과 확인하는 model 이 같은지, 검증 로더 자리에 valid_dl 을 넘겼는지 보세요."))
    train_loss, _ = evaluate(model, data.x_train, data.y_train, preprocess=preprocess)
    if abs(recorded - train_loss) <= HISTORY_MATCH:
        hint = SWAPPED_HINT
    fail(f"{name} 의 마지막 검증 손실이 학습된 model 의 검증 데이터 전체 손실과 같아야 합니다",
         f"{recorded:.4f}", f"{loss:.4f} (같은 model 을 검증 데이터 10,000장으로 다시 잰 값)", hint)


# --------------------------------------------------------------------------------------------
# preprocess and the wrapped loaders
# --------------------------------------------------------------------------------------------

def check_preprocess(preprocess: Callable) -> None:
    """``preprocess(x, y)`` gives the images as (N, 1, 28, 28), values unchanged, and y as it was."""
    data = check.reference_data()
    x, y = data.x_valid[:6].clone(), data.y_valid[:6].clone()
    with guard():
        result = common.call_learner("preprocess(x, y)", preprocess, x, y,
                                     hint="preprocess 는 이미지 x 와 레이블 y, 두 인자를 받는 함수여야 합니다.")
    if not isinstance(result, tuple) or len(result) != 2:
        hint = check.Hint("convnet.preprocess-one-value", "preprocess 는 모양을 바꾼 이미지와 레이블, 두 개를 함께 돌려줘야 합니다.")
        if isinstance(result, torch.Tensor):
            hint = (check.Hint("convnet.preprocess-no-labels", "이미지만 돌려주고 레이블을 빠뜨렸습니다. 훈련 루프는 배치마다 (xb, yb) 두 개가 "
                    "필요합니다. 레이블 y 도 그대로 함께 돌려주세요."))
        got = f"텐서 하나, 모양 {size_of(result)}" if isinstance(result, torch.Tensor) else size_of(result)
        fail("preprocess(x, y) 는 (이미지, 레이블) 두 개를 돌려줘야 합니다", got,
             "(x 모양 (N, 1, 28, 28), y)", hint)
    xb, yb = result
    expected = (len(x), 1, IMAGE_SIDE, IMAGE_SIDE)
    if not isinstance(xb, torch.Tensor) or tuple(xb.shape) != expected:
        hint = check.Hint("convnet.preprocess-shape", "x.view(-1, 1, 28, 28) 로 (배치, 채널 1, 높이 28, 너비 28) 모양을 만드세요.")
        if isinstance(xb, torch.Tensor) and tuple(xb.shape) == (len(x), IMAGE_SIDE, IMAGE_SIDE):
            hint = (check.Hint("convnet.preprocess-no-channel", "채널 차원이 빠졌습니다. 합성곱 층은 (N, 채널, 높이, 너비) 를 받습니다: "
                    "x.view(-1, 1, 28, 28)."))
        fail("preprocess 가 돌려준 이미지의 모양이 (N, 1, 28, 28) 이어야 합니다", size_of(xb),
             str(expected), hint)
    if not torch.equal(xb.reshape(len(x), -1).cpu(), x):
        fail("preprocess 는 이미지의 값을 바꾸지 않고 모양만 바꿔야 합니다", "값이 다름", "x 와 같은 값",
             check.Hint("convnet.preprocess-changes-values", "x.view(-1, 1, 28, 28) 만 하세요."))
    if not isinstance(yb, torch.Tensor) or not torch.equal(yb.cpu(), y):
        fail("preprocess 는 레이블 y 를 그대로 돌려줘야 합니다", size_of(yb), f"y (모양 {tuple(y.shape)})",
             check.Hint("convnet.preprocess-changes-labels", "레이블은 모양도 값도 바꾸지 말고, 받은 y 를 그대로 돌려주세요."))
    check.passed("preprocess(x, y) → 이미지 (N, 1, 28, 28), 레이블 그대로")


def _image_keys(images: torch.Tensor) -> list[bytes]:
    """One exact key per flat float32 image: its bytes."""
    rows = images.detach().cpu().to(torch.float32).contiguous().numpy()
    return [row.tobytes() for row in rows]


@functools.cache
def _train_labels_by_image() -> dict[bytes, int]:
    data = check.reference_data()
    return dict(zip(_image_keys(data.x_train), data.y_train.tolist()))


def _first_batch(name: str, loader: object) -> tuple[torch.Tensor, torch.Tensor]:
    """The loader's first batch, (xb, yb)."""
    with guard():
        batch = common.call_learner(f"next(iter({name}))", lambda: next(iter(loader)), hint=error_hint)
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        fail(f"{name} 의 배치는 (xb, yb) 두 개여야 합니다", size_of(batch), "(xb, yb)",
             check.Hint("convnet.loader-batch-not-pair", "preprocess 가 이미지와 레이블을 함께 돌려줘야 합니다."))
    return batch[0], batch[1]


def check_loaders(train_dl: object, valid_dl: object, batch_size: int = BATCH_SIZE,
                  device: torch.device | None = None) -> None:
    """The learner's wrapped loaders give (N, 1, 28, 28) image batches with their labels (on
    ``device`` when given: lesson 10)."""
    data = check.reference_data()
    for name, loader, rows in (("train_dl", train_dl, batch_size), ("valid_dl", valid_dl, batch_size * 2)):
        xb, yb = _first_batch(name, loader)
        shape = (rows, 1, IMAGE_SIDE, IMAGE_SIDE)
        if not isinstance(xb, torch.Tensor) or tuple(xb.shape) != shape:
            fail(f"{name} 의 이미지 배치 모양이 {shape} 이어야 합니다", size_of(xb), str(shape),
                 check.Hint("convnet.loader-not-wrapped", f"{name} = WrappedDataLoader({name}, preprocess) 로 get_data 의 로더를 감싸세요."))
        if not isinstance(yb, torch.Tensor) or tuple(yb.shape) != (rows,):
            fail(f"{name} 의 레이블 배치 모양이 {(rows,)} 이어야 합니다", size_of(yb), str((rows,)),
                 check.Hint("convnet.loader-labels-shape", "레이블은 preprocess 에서 그대로 돌려주세요."))
        if device is not None:
            for what, tensor in (("이미지", xb), ("레이블", yb)):
                if not same_device(tensor.device, device):
                    fail(f"{name} 의 {what} 배치가 장치 {device} 에 있어야 합니다", str(tensor.device),
                         str(device), check.Hint("convnet.batch-not-on-device", "preprocess 안에서 x 와 y 를 모두 .to(device) 로 옮기세요."))
        if name == "valid_dl":
            if not (torch.equal(xb.cpu().reshape(rows, -1), data.x_valid[:rows])
                    and torch.equal(yb.cpu(), data.y_valid[:rows])):
                fail("valid_dl 의 첫 배치는 검증 데이터의 처음 128장과 그 레이블이어야 합니다",
                     "다른 이미지나 레이블", "x_valid[:128], y_valid[:128]",
                     check.Hint("convnet.valid-loader-wrong-data", "valid_dl 은 get_data 가 만든 (섞지 않는) 검증 로더를 감싸야 합니다."))
        else:
            lookup = _train_labels_by_image()
            found = [lookup.get(key) for key in _image_keys(xb.detach().cpu().reshape(rows, -1))]
            if None in found:
                fail("train_dl 의 이미지는 훈련 데이터의 이미지여야 합니다",
                     f"훈련 데이터에 없는 이미지 {found.count(None)}장", "0장",
                     check.Hint("convnet.train-loader-wrong-images", "train_dl 은 get_data 가 만든 훈련 로더를 감싸고, preprocess 는 값은 그대로 두고 "
                     "모양만 바꿔야 합니다."))
            if not torch.equal(torch.tensor(found), yb.detach().cpu()):
                fail("train_dl 의 레이블이 이미지와 짝이 맞아야 합니다", "다른 레이블", "각 이미지의 정답",
                     check.Hint("convnet.train-labels-mismatched", "preprocess 는 받은 y 를 그대로 돌려줘야 합니다."))
        check.passed(f"{name}: 배치 모양 {shape}, 레이블 {(rows,)}"
                     + (" (장치 device 위)" if device is not None else ""))
    # A wrapper that made its batches once (in __init__, or cached on the first pass) replays the
    # first epoch's order in every epoch: the shuffle is frozen. A new pass must start elsewhere.
    # Both passes in one guard (which restores torch's random state when it ends), the random
    # state moved on between them: a DataLoader's shuffle draws its order from that state (in
    # grading the judge sends its own state with each request, so its draw moves it too).
    with guard():
        first = common.call_learner("next(iter(train_dl))", lambda: next(iter(train_dl)), hint=error_hint)
        torch.randint(2 ** 62, (1,))
        again = common.call_learner("next(iter(train_dl))", lambda: next(iter(train_dl)), hint=error_hint)
    first, again = (batch[0] if isinstance(batch, (tuple, list)) and batch else batch for batch in (first, again))
    if isinstance(again, torch.Tensor) and isinstance(first, torch.Tensor) and first.shape == again.shape \
            and torch.equal(first.cpu(), again.cpu()):
        fail("train_dl 을 새로 돌 때마다 배치가 새로 섞여야 합니다",
             "두 번 돌았는데 첫 배치가 같음", "돌 때마다 다른 첫 배치 (shuffle=True)",
             check.Hint("convnet.wrapper-shuffle-frozen", "감싼 로더의 __iter__ 가 부를 때마다 self.dl 을 새로 돌며 배치마다 func 를 적용해야 합니다. 배치를 "
             "미리 만들어 두거나 저장해 두었다가 다시 내보내면 에포크마다 같은 순서로 학습하게 됩니다."))
    check.passed("train_dl: 돌 때마다 새로 섞인 배치")
    length = len(train_dl) if hasattr(train_dl, "__len__") else None
    if length != TRAIN_BATCHES:
        fail(f"len(train_dl) 이 {TRAIN_BATCHES} 이어야 합니다", str(length), str(TRAIN_BATCHES),
             check.Hint("convnet.wrapper-len-wrong", "감싼 로더의 __len__ 은 감싼 로더의 len 을 돌려줘야 합니다. 훈련 데이터 50000장, 배치 64 → 782."))
    check.passed(f"len(train_dl) = {TRAIN_BATCHES}")
