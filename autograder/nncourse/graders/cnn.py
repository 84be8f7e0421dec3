"""Checks of lesson 09_cnn: a small CNN as an nn.Module, as nn.Sequential with a Lambda layer,
a wrapped data loader that reshapes batches, and adaptive average pooling.

The structure checks read the layers (channels, kernel, stride, padding, the ReLU after each
convolution, the pooling); the behaviour checks run the learner's model on validation images
and compare its output with the same computation done with the learner's own convolution
layers, so a missing ReLU or a max pooling is named even when every layer looks right.

The checks this lesson shares with lesson 10 (the CNN's layers, its optimizer, fit's history,
``preprocess`` and the wrapped loaders) live in nncourse.graders.convnet; those named ``check_*``
are imported here and stay this module's checks too.

Every check runs the learner's code inside ``convnet.guard()``: warnings are silenced (any stderr
output makes nbgrader score the cell 0) and torch's random state is restored afterwards, so a
check that builds a model does not change the shuffling of the learner's later training.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .. import checks as check
from ..checks import fail
from ..data import IMAGE_SIDE, N_CLASSES
from . import common, convnet
from .common import concept_check, check_trained
from .convnet import (UNTRAINED_LOSS, conv_layers, error_hint, guard,
                      initial_loss, size_of)
# Shared with lesson 10, and this lesson's checks too (test cells call grader.check_...).
from .convnet import (check_conv_layers, check_he_init, check_history_matches_model, check_is_module,
                      check_loaders, check_optimizer)

LESSON = "09_cnn"
EPOCHS = convnet.EPOCHS
SETTINGS = convnet.SETTINGS
#: 16·1·9+16 + 16·16·9+16 + 10·16·9+10
N_PARAMETERS = 3930


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def valid_images(count: int, side: int = IMAGE_SIDE) -> torch.Tensor:
    """The first ``count`` validation digits as (N, 1, side, side) images."""
    images = check.reference_data().x_valid[:count].view(-1, 1, IMAGE_SIDE, IMAGE_SIDE)
    if side != IMAGE_SIDE:
        images = F.interpolate(images, size=(side, side), mode="bilinear", align_corners=False)
    return images


# --------------------------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------------------------

def check_parameter_count(name: str, model: nn.Module) -> None:
    count = sum(parameter.numel() for parameter in model.parameters())
    if count != N_PARAMETERS:
        fail(f"{name} 의 매개변수 수가 {N_PARAMETERS} 이어야 합니다", str(count), str(N_PARAMETERS),
             check.Hint("cnn.extra-layers", "합성곱 층 세 개 말고 다른 층(예: nn.Linear)을 더 넣지 않았는지 보세요. "
             "16·1·9+16 + 16·16·9+16 + 10·16·9+10 = 3930 입니다."))
    check.passed(f"{name} 의 매개변수 수 = {N_PARAMETERS}")


def check_relu_after_convs(name: str, model: nn.Sequential) -> None:
    """In an nn.Sequential every Conv2d is followed directly by an nn.ReLU layer."""
    layers = list(model)
    for index, layer in enumerate(layers):
        if isinstance(layer, nn.Conv2d):
            following = layers[index + 1] if index + 1 < len(layers) else None
            if not isinstance(following, nn.ReLU):
                fail(f"{name} 에서 합성곱 층 바로 뒤에 nn.ReLU() 가 있어야 합니다",
                     f"{name}[{index}] ({type(layer).__name__}) 뒤에 {type(following).__name__}",
                     "nn.ReLU",
                     check.Hint("cnn.relu-layer-missing", "nn.Sequential 안에서는 F.relu 대신 nn.ReLU() 층을 합성곱 층마다 바로 뒤에 "
                     "넣으세요. 활성화 함수가 없으면 세 층이 선형 계산 하나와 다를 바 없습니다."))
    check.passed(f"{name}: 합성곱 층마다 바로 뒤에 nn.ReLU")


# --------------------------------------------------------------------------------------------
# Behaviour
# --------------------------------------------------------------------------------------------

def _forward(convs: list[nn.Conv2d], images: torch.Tensor, relu: tuple[bool, ...] = (True,) * 3,
             pooling: str = "avg") -> torch.Tensor:
    x = images
    for conv, use_relu in zip(convs, relu):
        x = conv(x)
        if use_relu:
            x = F.relu(x)
    x = F.adaptive_max_pool2d(x, 1) if pooling == "max" else F.adaptive_avg_pool2d(x, 1)
    return x.view(x.size(0), -1)


def _mistakes(convs: list[nn.Conv2d], images: torch.Tensor) -> list[tuple[check.Hint, torch.Tensor]]:
    """What likely mistakes would output, computed with the learner's own layers."""
    found = [(check.Hint("cnn.relu-missing-all", "ReLU 가 하나도 없습니다. 합성곱 층마다 결과에 ReLU 를 적용하세요."),
              _forward(convs, images, (False, False, False)))]
    for missing in range(3):
        relu = tuple(index != missing for index in range(3))
        found.append((check.Hint(f"cnn.relu-missing-after-conv{missing + 1}", f"{missing + 1}번째 합성곱 뒤의 ReLU 가 빠졌습니다. 합성곱 층마다 바로 뒤에 "
                      "ReLU 를 적용하세요."), _forward(convs, images, relu)))
    found.append((check.Hint("cnn.max-pooling", "평균 대신 최댓값으로 풀링했습니다. 평균 풀링(avg_pool2d / AvgPool2d / "
                  "AdaptiveAvgPool2d)을 쓰세요."), _forward(convs, images, pooling="max")))
    return found


def check_output(name: str, model: nn.Module, inputs: torch.Tensor, images: torch.Tensor,
                 input_text: str) -> None:
    """``model(inputs)`` is (N, 10) and equals three conv+ReLU layers and average pooling
    computed with the model's own convolution layers on ``images``."""
    convs = conv_layers(model)
    with guard(), torch.no_grad():
        out = common.call_learner(f"{name}({input_text})", model, inputs, hint=error_hint)
        expected = _forward(convs, images)
        mistakes = _mistakes(convs, images)
    rows = len(images)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (rows, N_CLASSES):
        hint = check.Hint("cnn.no-flatten", "forward 의 마지막에 view 로 (N, 10) 모양으로 펴세요.")
        if isinstance(out, torch.Tensor) and out.ndim == 4 and out.shape[1] == N_CLASSES:
            if out.shape[2:] == (1, 1):
                hint = check.Hint("cnn.pool-not-flattened", "풀링 결과 (N, 10, 1, 1) 을 (N, 10) 으로 펴지 않았습니다: xb.view(xb.size(0), -1).")
            else:
                hint = (check.Hint("cnn.no-pooling", "마지막 특성 맵을 풀링하지 않았습니다. 4×4 칸의 평균을 내서 채널마다 숫자 하나로 "
                        "줄이세요."))
        elif isinstance(out, torch.Tensor) and rows == 1 and tuple(out.shape) == (N_CLASSES,):
            hint = (check.Hint("cnn.squeeze-batch", "이미지 한 장짜리 배치에서 배치 차원까지 사라졌습니다. squeeze() 는 크기가 1 인 차원을 모두 "
                    "지우므로 배치 크기 1 도 지웁니다. 배치 크기는 그대로 두고 나머지만 펴세요."))
        elif isinstance(out, torch.Tensor) and out.ndim == 2 and out.shape[0] == rows \
                and out.shape[1] % N_CLASSES == 0:
            hint = (check.Hint("cnn.pool-not-1x1", "풀링 뒤에 남은 칸이 1×1 이 아닙니다. 마지막 특성 맵 전체의 평균을 내야 채널마다 "
                    "숫자가 하나씩, 모두 10개 남습니다."))
        fail(f"{name}({input_text}) 의 출력 모양이 {(rows, N_CLASSES)} 이어야 합니다",
             size_of(out), str((rows, N_CLASSES)), hint)
    if not torch.allclose(out, expected, atol=1e-5):
        hint = (check.Hint("cnn.forward-order", "합성곱 세 층을 차례로 적용하고, 층마다 ReLU 를 적용한 뒤, 마지막 특성 맵의 평균을 "
                "내세요. 층을 만든 순서대로 써야 합니다."))
        for text, wrong in mistakes:
            if torch.allclose(out, wrong, atol=1e-5):
                hint = text
                break
        difference = (out - expected).abs().max().item()
        fail(f"{name}({input_text}) 의 값이 합성곱→ReLU 세 번, 평균 풀링의 결과와 같아야 합니다",
             f"최대 차이 {difference:.3g}", "≤ 1e-05", hint)
    check.passed(f"{name}({input_text}) 의 출력: 모양 {(rows, N_CLASSES)}, 값이 기대와 같음")


# --------------------------------------------------------------------------------------------
# Exercise checks
# --------------------------------------------------------------------------------------------

def _make(name: str, factory: Callable) -> nn.Module:
    with guard():
        model = common.call_learner(f"{name}()", factory, hint=error_hint)
    check_is_module(f"{name}()", model)
    return model


def check_cnn_class(model_class: Callable, batch: int = 5, image_input: bool = False) -> None:
    """Exercise 1: ``Mnist_CNN`` with conv1..conv3, ReLU, avg_pool2d(4) and a reshaping forward."""
    model = _make("Mnist_CNN", model_class)
    check_conv_layers("Mnist_CNN()", model)
    check_parameter_count("Mnist_CNN()", model)
    images = valid_images(batch)
    if image_input:
        check_output("Mnist_CNN()", model, images, images, f"이미지 모양 {tuple(images.shape)}")
    else:
        flat = check.reference_data().x_valid[:batch]
        check_output("Mnist_CNN()", model, flat, images, f"검증 이미지 {batch}장, 모양 {tuple(flat.shape)}")


def check_model_and_optimizer(model: object, opt: object) -> None:
    """Exercise 2: a fresh ``Mnist_CNN``, He initialised, and its SGD optimizer with momentum."""
    check_is_module("model", model)
    check_conv_layers("model", model)
    check_parameter_count("model", model)
    loss = initial_loss(model)
    if not loss > UNTRAINED_LOSS:
        fail("model 은 아직 학습되지 않은 새 모델이어야 합니다",
             f"검증 이미지 1000장의 손실 {loss:.4f}", f"약 2.30 (> {UNTRAINED_LOSS})",
             check.Hint("cnn.model-not-fresh", "model = Mnist_CNN() 으로 새로 만드세요."))
    check_he_init("model", model)
    check_optimizer(model, opt)


#: The lesson's CNN, layer by layer: (weight shape, stride, padding) of each convolution.
CNN_LAYERS = (((16, 1, 3, 3), 2, 1), ((16, 16, 3, 3), 2, 1), ((N_CLASSES, 16, 3, 3), 2, 1))


def cnn_from_parameters(model: object) -> Callable:
    """The lesson's Mnist_CNN computed from the module's parameters alone (three 3×3 convolutions
    with stride 2, each followed by ReLU, then a 4×4 average pool), whatever the learner named
    its layers: each convolution is found by its weight's shape, its bias beside it."""
    layers: dict[str, dict[str, torch.Tensor]] = {}
    for name, parameter in model.named_parameters():
        owner, _, kind = name.rpartition(".")
        layers.setdefault(owner, {})[kind] = parameter.detach()
    by_shape = {tuple(layer["weight"].shape): layer for layer in layers.values()
                if "weight" in layer and "bias" in layer and len(layer) == 2}
    wanted = [shape for shape, _, _ in CNN_LAYERS]
    if len(layers) != len(CNN_LAYERS) or any(shape not in by_shape for shape in wanted):
        found = ", ".join(f"{owner or '(model)'}: {sorted((k, tuple(v.shape)) for k, v in layer.items())}"
                          for owner, layer in layers.items()) or "없음"
        fail("model 의 매개변수가 이 강의의 CNN 과 같아야 합니다", found,
             "3×3 합성곱 세 개 (1→16, 16→16, 16→10), 각각 가중치와 편향",
             check.Hint("cnn.parameters-not-lesson-cnn", "Mnist_CNN 의 __init__ 에서 nn.Conv2d 세 개만 만드세요."))
    convolutions = [(by_shape[shape]["weight"], by_shape[shape]["bias"], stride, padding)
                    for shape, stride, padding in CNN_LAYERS]

    def cnn(xb: torch.Tensor) -> torch.Tensor:
        x = xb.reshape(-1, 1, IMAGE_SIDE, IMAGE_SIDE)
        for weight, bias, stride, padding in convolutions:
            x = F.relu(F.conv2d(x, weight, bias, stride=stride, padding=padding))
        x = F.avg_pool2d(x, 4)
        return x.reshape(-1, x.size(1))

    return cnn


def _cnn_hint(got: object, want: torch.Tensor) -> str:
    return (check.Hint("cnn.output-differs-from-parameters", "model(xb) 가 model 의 매개변수로 계산한 CNN 의 출력과 다릅니다. forward 가 conv1 → conv2 → conv3 "
            "(각각 ReLU), 4×4 평균 풀링 순서로 계산하는지, 다른 모델을 쓰고 있지 않은지 보세요."))


def check_training(model: nn.Module, history: object, last_history: object, opt: object) -> None:
    """Exercise 3: ``fit`` for EPOCHS epochs at lr, then one more at last_lr; the trained model
    scored on the whole validation set from its parameters (the learner's forward must compute
    what they give)."""
    convnet.check_last_epoch(model, history, last_history, opt)
    trained = cnn_from_parameters(model)
    common.check_model_matches(model, trained, _cnn_hint)
    measured = check_history_matches_model(last_history, trained, name="last_history")
    convnet.check_last_epoch_decayed(history, last_history)
    check_trained(LESSON, trained, settings=SETTINGS, measured=measured)


def check_lambda(lambda_class: Callable) -> None:
    """Exercise 4: ``Lambda(func)`` is a layer that applies ``func``, also inside nn.Sequential."""
    probe = check.Affine(2, 1)  # a function the judge can hand to the learner's kernel by value
    if not (isinstance(lambda_class, type) and issubclass(lambda_class, nn.Module)):
        fail("Lambda 는 nn.Module 을 상속한 클래스여야 합니다", repr(lambda_class)[:80],
             "class Lambda(nn.Module)",
             check.Hint("cnn.lambda-not-module", "nn.Sequential 에는 nn.Module 만 넣을 수 있습니다. class Lambda(nn.Module): 로 "
             "정의하세요."))
    x = torch.arange(6.0).view(2, 3)
    with guard():
        layer = common.call_learner("Lambda(함수)", lambda_class, probe, hint=error_hint)
        out = common.call_learner("Lambda(함수)(x)", layer, x.clone(), hint=error_hint)
    expected = probe(x)
    if not isinstance(out, torch.Tensor):
        hint = check.Hint("cnn.lambda-no-tensor", "forward 는 생성자에서 저장해 둔 함수에 입력 x 를 넣은 결과(텐서)를 돌려줘야 합니다.")
        if out is None:
            hint = check.Hint("cnn.lambda-no-return", "forward 에서 return 을 빠뜨렸습니다. 저장해 둔 함수를 x 에 적용한 결과를 돌려주세요.")
        elif callable(out):
            hint = check.Hint("cnn.lambda-returns-function", "함수를 호출하지 않고 함수 자체를 돌려줬습니다. 저장해 둔 함수를 x 로 호출한 결과를 돌려주세요.")
        fail("Lambda(f)(x) 는 f(x) 를 돌려줘야 합니다", type(out).__name__, "텐서 f(x)", hint)
    if not (out.shape == expected.shape and torch.allclose(out, expected)):
        hint = check.Hint("cnn.lambda-wrong-output", "forward 는 생성자에 받은 함수(self 에 저장해 둔 것)를 입력에 적용한 결과를 돌려줘야 합니다.")
        if out.shape == x.shape and torch.equal(out, x):
            hint = check.Hint("cnn.lambda-identity", "입력을 그대로 돌려줬습니다. forward 에서 저장해 둔 함수를 입력에 적용하세요.")
        fail("Lambda(f)(x) 는 f(x) 와 같아야 합니다", f"{out.flatten().tolist()}",
             f"{expected.flatten().tolist()}", hint)
    check.passed("Lambda(f)(x) 는 f(x) 를 돌려줍니다")
    with guard():
        first = common.call_learner("Lambda(함수)", lambda_class, check.Affine(1, 1), hint=error_hint)
        second = common.call_learner("Lambda(함수)", lambda_class, check.Affine(3, 0), hint=error_hint)
        stack = common.call_learner("nn.Sequential(Lambda, Lambda)", nn.Sequential, first, second,
                                    hint="Lambda 는 nn.Module 이어야 nn.Sequential 에 넣을 수 있습니다.")
        out = common.call_learner("nn.Sequential(Lambda(t + 1), Lambda(t * 3))(x)", stack, x.clone())
    if not isinstance(out, torch.Tensor) or not torch.allclose(out, (x + 1) * 3):
        fail("nn.Sequential 안의 Lambda 두 개가 차례로 적용되어야 합니다", size_of(out), "(x + 1) * 3",
             check.Hint("cnn.lambda-shared-func", "Lambda 마다 자기가 받은 함수(self.func)를 써야 합니다."))
    if list(layer.parameters()):
        fail("Lambda 에는 학습할 매개변수가 없어야 합니다", f"{len(list(layer.parameters()))}개", "0개")
    check.passed("nn.Sequential 안에서 Lambda 층이 차례로 적용됩니다")


def check_sequential(model: object) -> None:
    """Exercise 5: the same CNN as nn.Sequential (Lambda reshape, conv/ReLU ×3, AvgPool2d(4),
    Lambda flatten); it takes flat (N, 784) batches."""
    if not isinstance(model, nn.Sequential):
        fail("seq_model 은 nn.Sequential 이어야 합니다", type(model).__name__, "nn.Sequential",
             check.Hint("cnn.seq-not-sequential", "nn.Sequential 을 만들 때 층들을 적용할 순서대로 인자로 넘기세요."))
    check_conv_layers("seq_model", model)
    check_relu_after_convs("seq_model", model)
    if not any(isinstance(layer, (nn.AvgPool2d, nn.AdaptiveAvgPool2d)) for layer in model):
        fail("seq_model 에 평균 풀링 층이 있어야 합니다", ", ".join(type(l).__name__ for l in model),
             "nn.AvgPool2d(4)",
             check.Hint("cnn.functional-pool-in-sequential", "F.avg_pool2d 는 함수라서 층 목록에 넣을 수 없습니다. nn.AvgPool2d(4) 층을 쓰세요."))
    check_parameter_count("seq_model", model)
    flat = check.reference_data().x_valid[:5]
    images = valid_images(5)
    check_output("seq_model", model, flat, images, f"검증 이미지 5장, 모양 {tuple(flat.shape)}")


def _check_wrapper_class(wrapper_class: Callable, rows: int) -> None:
    data = check.reference_data()
    x, y = data.x_valid[:rows], data.y_valid[:rows]
    base = DataLoader(TensorDataset(x, y), batch_size=32)

    marked = check.BatchMarker((-1, 1, IMAGE_SIDE, IMAGE_SIDE), 2, 100)  # crosses to the judge's kernel by value

    with guard():
        wrapped = common.call_learner("WrappedDataLoader(dl, func)", wrapper_class, base, marked,
                                      hint="__init__(self, dl, func) 에서 dl 과 func 를 저장하세요.")
        batches = common.call_learner("list(WrappedDataLoader(dl, func))", list, wrapped,
                                      hint="__iter__ 에서 감싼 로더를 돌며, 배치마다 함수를 적용한 결과를 yield 로 "
                                           "내보내세요.")
        again = common.call_learner("두 번째 list(WrappedDataLoader(dl, func))", list, wrapped)
        length = common.call_learner("len(WrappedDataLoader(dl, func))", len, wrapped,
                                     hint="__len__ 은 감싼 로더의 배치 수를 돌려줘야 합니다.")
    expected = [marked(xb, yb) for xb, yb in base]
    if length != len(base):
        fail("len(감싼 로더) 는 감싼 로더의 배치 수와 같아야 합니다", str(length), str(len(base)),
             check.Hint("cnn.wrapper-len-wrong", "__len__ 은 감싼 로더(self 에 저장해 둔 dl)의 길이를 그대로 돌려주면 됩니다."))
    for name, got in (("첫 번째 반복", batches), ("두 번째 반복", again)):
        if len(got) != len(expected):
            fail(f"감싼 로더의 {name}에서 배치가 {len(expected)}개 나와야 합니다", f"{len(got)}개",
                 f"{len(expected)}개",
                 check.Hint("cnn.wrapper-iter-not-restarting", "__iter__ 는 부를 때마다 감싼 로더를 처음부터 돌아야 합니다. 배치를 미리 꺼내 두지 말고 __iter__ 안에서 반복하세요."))
        for batch, (ex, ey) in zip(got, expected):
            gx, gy = batch if isinstance(batch, (tuple, list)) and len(batch) == 2 else (batch, None)
            if not (isinstance(gx, torch.Tensor) and isinstance(gy, torch.Tensor)
                    and gx.shape == ex.shape and torch.equal(gx, ex) and torch.equal(gy, ey)):
                hint = check.Hint("cnn.wrapper-func-not-applied", "__iter__ 에서 저장해 둔 함수를 배치마다 적용하세요. 배치 b 는 (xb, yb) 이니 두 값으로 풀어 넘깁니다.")
                if isinstance(gx, torch.Tensor) and gx.ndim == 2:
                    hint = (check.Hint("cnn.wrapper-batch-unchanged", "배치를 그대로 내보냈습니다. 내보내기 전에, 생성자에 받은 함수를 배치마다 "
                            "적용하세요."))
                elif isinstance(gx, torch.Tensor) and gx.shape == ex.shape and torch.equal(gx, ex / 2):
                    hint = (check.Hint("cnn.wrapper-calls-preprocess", "받은 함수 대신 preprocess 를 직접 불렀습니다. 어떤 함수로 감쌀지는 생성자에 "
                            "넘긴 func 가 정합니다. 저장해 둔 그 함수를 배치마다 적용하세요."))
                fail("감싼 로더는 배치마다 생성자에 넘긴 함수를 적용한 결과를 내보내야 합니다",
                     f"배치 {size_of(gx)}", f"func(xb, yb) = 이미지 {tuple(ex.shape)}와 레이블", hint)
    check.passed(f"WrappedDataLoader: 배치 {len(expected)}개마다 func 를 적용하고, len 과 반복이 맞습니다")


def check_wrapped_loader(preprocess: Callable, wrapper_class: Callable, train_dl: object,
                         valid_dl: object, rows: int = 100) -> None:
    """Exercise 6: ``preprocess``, ``WrappedDataLoader`` and the two wrapped loaders."""
    convnet.check_preprocess(preprocess)
    _check_wrapper_class(wrapper_class, rows)
    check_loaders(train_dl, valid_dl)


def check_adaptive_model(model: object, sides: tuple[int, ...] = (20, 36)) -> None:
    """Exercise 7: nn.Sequential of conv/ReLU ×3, AdaptiveAvgPool2d(1) and a flattening Lambda;
    takes (N, 1, H, W) images of any size."""
    if not isinstance(model, nn.Sequential):
        fail("adaptive_model 은 nn.Sequential 이어야 합니다", type(model).__name__, "nn.Sequential",
             check.Hint("cnn.adaptive-not-sequential", "nn.Sequential 을 만들 때 층들을 적용할 순서대로 인자로 넘기세요."))
    check_conv_layers("adaptive_model", model)
    check_relu_after_convs("adaptive_model", model)
    pools = [layer for layer in model if isinstance(layer, nn.AdaptiveAvgPool2d)]
    if not pools:
        hint = check.Hint("cnn.adaptive-missing", "nn.AdaptiveAvgPool2d(1) 층으로 마지막 특성 맵 전체의 평균을 내세요.")
        if any(isinstance(layer, nn.AvgPool2d) for layer in model):
            hint = (check.Hint("cnn.fixed-avgpool", "고정된 nn.AvgPool2d(4) 는 입력이 28×28 일 때만 1×1 을 남깁니다. 어떤 크기의 입력이든 "
                    "채널마다 평균 하나를 내도록 nn.AdaptiveAvgPool2d(1) 로 바꾸세요."))
        fail("adaptive_model 에 nn.AdaptiveAvgPool2d 층이 있어야 합니다",
             ", ".join(type(layer).__name__ for layer in model), "nn.AdaptiveAvgPool2d(1)", hint)
    size = pools[0].output_size
    if size not in (1, (1, 1)):
        fail("nn.AdaptiveAvgPool2d 의 출력 크기가 1 이어야 합니다", str(size), "1",
             check.Hint("cnn.adaptive-size-not-one", "출력 크기 1 은 채널마다 숫자 하나(1×1)를 남기라는 뜻입니다: nn.AdaptiveAvgPool2d(1)."))
    check.passed("adaptive_model: nn.AdaptiveAvgPool2d(1) 로 풀링합니다")
    images = valid_images(5)
    check_output("adaptive_model", model, images, images, f"이미지 모양 {tuple(images.shape)}")
    for side in sides:
        other = valid_images(3, side)
        # Not common.call_learner: this failure names the image size and the output expected,
        # and its hint comes from trying the model on 28×28 images too.
        try:
            with guard(), torch.no_grad():
                model(other)
        except Exception as error:  # the learner's model, any mistake
            message = f"{type(error).__name__}: {str(error)[:200]}"
            hint = check.Hint("cnn.adaptive-other-sizes-fail", "입력 크기가 달라도 동작해야 합니다. 풀링은 nn.AdaptiveAvgPool2d(1) 로 하세요.")
            try:
                with guard(), torch.no_grad():
                    model(check.reference_data().x_valid[:2])
                hint = (check.Hint("cnn.reshape-lambda-kept", "모델이 아직 입력을 28×28 로 바꿉니다. 이제 모양 바꾸기는 preprocess 가 하므로 "
                        "맨 앞의 Lambda(… view(-1, 1, 28, 28)) 를 빼세요."))
            except Exception:
                pass
            fail(f"adaptive_model 은 {side}×{side} 이미지도 받아야 합니다", message,
                 "출력 모양 (3, 10)", hint, cause=error)
        check_output("adaptive_model", model, other, other, f"{side}×{side} 이미지 3장")


# ---------------------------------------------------------------- concept check

#: The weight shape of nn.Conv2d(3, 8, kernel_size=5), a layer for colour images; every choice
#: explained.
CONV_WEIGHT_SHAPE = {
    "A": "가중치 모양은 생성자에 적은 인자의 순서를 그대로 따르지 않습니다. 위 목록의 conv1.weight 모양을 "
         "nn.Conv2d(1, 16, ...) 와 견줘 보세요(05 강의의 nn.Linear 의 weight 도 그랬습니다).",
    "B": "이 모양이면 필터 하나에 5×5 가중치가 한 장뿐입니다. 입력이 채널 3개일 때 필터 하나가 그 채널들을 "
         "어떻게 덮는지, 위에서 둘째 층을 설명한 문단을 다시 보세요.",
    "C": "세 채널이 같은 5×5 가중치를 나눠 쓴다면 필터는 빨강과 파랑을 구별할 수 없습니다. 위 목록에서 둘째 "
         "자리의 수가 어디서 오는지 conv2.weight 와 conv3.weight 를 보며 확인해 보세요.",
    "D": "가중치는 (출력 채널 = 필터 수, 입력 채널, 높이, 너비) 순서라 (8, 3, 5, 5) 입니다. 필터 8개가 "
         "저마다 세 채널 각각에 5×5 가중치를 가져, 3 × 25 = 75 개의 곱을 더하고 편향을 더해 출력 한 칸을 "
         "만듭니다.",
}


check_conv_weight_shape = concept_check(
    "conv_weight_shape", "D", CONV_WEIGHT_SHAPE, "the weight shape of nn.Conv2d(3, 8, kernel_size=5)")


# ---------------------------------------------------------------- concept check: conv output shape

#: The output shape of nn.Conv2d(16, 32, kernel_size=5) (stride 1, no padding) on (8, 16, 12, 12);
#: every choice explained.
CONV_OUTPUT_SHAPE = {
    "A": "⌊(12 + 2·0 − 5) / 1⌋ + 1 = 8 이고, 채널은 필터 수 32 입니다. 이 강의의 층(스트라이드 2, 패딩 1)은 "
         "가로세로를 절반(올림)으로 줄였지만, 패딩 없는 5×5 창은 스트라이드 1 로도 양쪽 가장자리에서 2칸씩, "
         "모두 4칸을 줄입니다.",
    "B": "스트라이드가 1 이어도 패딩이 없으면 5×5 창의 가운데는 가장자리 픽셀 위에 올 수 없습니다. 창을 놓을 "
         "수 있는 자리가 입력의 칸 수보다 적으니, 크기가 그대로 남지 않습니다.",
    "C": "둘째 자리는 출력 채널 수, 곧 필터의 수입니다. 입력 채널 수는 출력에 남지 않습니다. 이 층을 만들 때 "
         "준 두 번째 인자를 보세요.",
    "D": "위 식의 각 항을 다시 넣어 보세요. 12칸에서 5칸짜리 창을 한 칸씩 옮길 때, 맨 처음 놓는 자리도 한 "
         "자리로 세었는지 보세요.",
}


check_conv_output_shape = concept_check(
    "conv_output_shape", "A", CONV_OUTPUT_SHAPE, "the output shape of another convolution")


#: Test cells whose points the judge decides outside the learner's kernel, from values read by
#: value (nncourse.grading.judge); the others still run in the kernel, under the guard.
JUDGED = frozenset({
    "test_wrapped_loader",
    "test_cnn_class",
    "test_optimizer",
    "test_lambda",
    "test_sequential",
    "test_adaptive_model",
    "test_training",
    "test_conv_output_shape",
    "test_conv_weight_shape",
})
