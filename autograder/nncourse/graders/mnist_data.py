"""Checks of lesson 01_mnist_data."""

from __future__ import annotations

import torch

from .. import checks as check
from ..data import IMAGE_SIDE, N_CLASSES, N_PIXELS, N_TRAIN
from . import source
from .common import OTHER_SIZES, ceil_batches, check_replayed, concept_check

BATCH_SIZE = 64


def check_sizes(n_train: object, n_pixels: object) -> None:
    hint_swap = check.Hint("mnist_data.sizes-swapped", "모양은 (이미지 수, 픽셀 수) 순서입니다. 두 값이 서로 바뀌지 않았는지 보세요.")
    hint = hint_swap if (n_train, n_pixels) == (N_PIXELS, N_TRAIN) else None
    check.equal("n_train (훈련 이미지 수)", n_train, N_TRAIN,
                hint or check.Hint("mnist_data.n-train-wrong", "x_train.shape 의 첫 번째 값이 이미지 수입니다."))
    check.equal("n_pixels (이미지 하나의 픽셀 수)", n_pixels, N_PIXELS,
                hint or check.Hint("mnist_data.n-pixels-wrong", "x_train.shape 의 두 번째 값이 픽셀 수(28×28)입니다."))


def check_first_image(first_image: object) -> None:
    x_train = check.reference_data().x_train
    expected = x_train[0].reshape(IMAGE_SIDE, IMAGE_SIDE)
    hint = check.Hint("mnist_data.first-image-wrong", "첫 번째 훈련 이미지 x_train[0] 을 reshape(28, 28) 하세요.")
    if isinstance(first_image, torch.Tensor) and first_image.shape == expected.shape:
        if torch.equal(first_image, x_train[1].reshape(IMAGE_SIDE, IMAGE_SIDE)):
            hint = check.Hint("mnist_data.first-image-index-1", "파이썬의 인덱스는 0부터 셉니다. 첫 번째 이미지는 x_train[1] 이 아니라 x_train[0] 입니다.")
        elif torch.equal(first_image, expected.T):
            hint = check.Hint("mnist_data.image-transposed", "행과 열이 바뀌었습니다(전치). .T 나 transpose 없이 reshape(28, 28) 만 쓰세요.")
    check.tensor_equal("first_image", first_image, expected, hint)


def check_value_range(pixel_min: object, pixel_max: object, pixel_dtype: object,
                      label_dtype: object) -> None:
    check.is_python_number("pixel_min", pixel_min, float)
    check.is_python_number("pixel_max", pixel_max, float)
    hint = None
    if pixel_max == 255:
        hint = check.Hint("mnist_data.value-range-0-255", "이 과정의 픽셀 값은 0~255 가 아니라 0~1 로 바꿔 두었습니다. 외우지 말고 x_train 에서 계산하세요.")
    check.equal("pixel_min (가장 작은 픽셀 값)", pixel_min, 0.0,
                hint or check.Hint("mnist_data.pixel-min-wrong", "전체 훈련 이미지 x_train 에서 가장 작은 값을 .min() 으로 구하고, .item() 으로 파이썬 float 로 꺼내세요."))
    check.equal("pixel_max (가장 큰 픽셀 값)", pixel_max, 1.0,
                hint or check.Hint("mnist_data.pixel-max-wrong", "전체 훈련 이미지 x_train 에서 가장 큰 값을 .max() 로 구하고, .item() 으로 파이썬 float 로 꺼내세요."))
    check.equal("pixel_dtype (이미지 자료형)", pixel_dtype, torch.float32,
                check.Hint("mnist_data.pixel-dtype-wrong", "텐서의 자료형은 .dtype 속성에 있습니다. 이미지 텐서에서 읽어 그대로 저장하세요."))
    check.equal("label_dtype (레이블 자료형)", label_dtype, torch.int64,
                check.Hint("mnist_data.label-dtype-wrong", "레이블의 자료형은 이미지 텐서가 아니라 레이블 텐서의 .dtype 속성에서 읽어야 합니다."))


def check_label_counts(label_counts: object) -> None:
    """Exercise: how many training images of each digit, as a length-10 tensor; checked count by
    count against the course's own labels (a right total with the counts in the wrong places is
    caught here, in the learner's own notebook, not only when the instructor grades)."""
    hint = check.Hint("mnist_data.label-counts-bincount", ("훈련 레이블 y_train 에서 숫자(0~9)마다 몇 번 나오는지 세어 길이 10인 텐서를 만드세요. "
            "torch.bincount 를 쓰고, 모든 숫자의 자리가 생기도록 minlength 인자를 찾아보세요."))
    if isinstance(label_counts, torch.Tensor) and label_counts.ndim == 1:
        if label_counts.shape[0] == N_CLASSES and int(label_counts.sum()) == 10_000:
            hint = check.Hint("mnist_data.counts-of-valid", "검증 레이블(y_valid)을 센 것 같습니다. 훈련 레이블 y_train 을 세세요.")
    check.shape("label_counts", label_counts, (N_CLASSES,), hint)
    check.equal("label_counts 의 합 (훈련 이미지 수)", int(label_counts.sum()), N_TRAIN, hint)
    expected = torch.bincount(check.reference_data().y_train, minlength=N_CLASSES)
    got = label_counts.detach()
    if not torch.equal(got.double(), expected.double()):  # no rounding: 5923.7 is not a count
        wrong = [digit for digit in range(N_CLASSES) if got[digit] != expected[digit]]
        hint = check.Hint("mnist_data.label-counts-values", (
            f"합은 맞지만 숫자 {', '.join(map(str, wrong[:4]))}{' 등' if len(wrong) > 4 else ''} 의 개수가 다릅니다. "
            "k 번째 자리에는 레이블이 k 인 훈련 이미지의 수가 와야 합니다."))
        if sorted(got.tolist()) == sorted(expected.tolist()):
            hint = check.Hint("mnist_data.label-counts-order", (
                "개수들은 맞지만 자리가 바뀌었습니다. k 번째 자리에는 레이블이 k 인 훈련 이미지의 수가 와야 "
                "합니다. 센 뒤에 순서를 바꾸는 연산(정렬, 밀기, 뒤집기)을 하지 않았는지 보세요."))
        check.fail("label_counts 의 숫자별 개수가 y_train 과 같아야 합니다", str(got.tolist()),
                   "숫자 0~9 각각의 훈련 이미지 수", hint)
    check.passed("label_counts 는 숫자 0~9 각각의 훈련 이미지 수입니다")


def check_first_batch(xb: object, yb: object) -> None:
    reference = check.reference_data()
    hint_x = check.Hint("mnist_data.batch-not-first-rows", "이미지(행) 방향으로 잘라야 합니다. 첫 번째 차원(행)에서 처음 bs 개를 슬라이싱하세요.")
    if isinstance(xb, torch.Tensor) and tuple(xb.shape) == (N_TRAIN, BATCH_SIZE):
        hint_x = (check.Hint("mnist_data.batch-columns", "x_train[:, :bs] 는 픽셀(열)을 자릅니다. 미니배치는 이미지(행) 묶음이니, 첫 번째 차원에서 "
                      "처음 bs 개의 행을 고르세요."))
    check.tensor_equal("xb", xb, reference.x_train[:BATCH_SIZE], hint_x)
    check.tensor_equal("yb", yb, reference.y_train[:BATCH_SIZE],
                       check.Hint("mnist_data.labels-not-matching-batch", "yb 는 xb 의 이미지들과 같은 위치의 레이블입니다. y_train 도 xb 와 같은 범위로 자르세요."))


def check_batch_count(n_batches: object, last_batch_size: object) -> None:
    full, rest = divmod(N_TRAIN, BATCH_SIZE)
    hint = check.Hint("mnist_data.batch-count-not-ceil", "남는 이미지도 작은 배치 하나가 됩니다. 나눗셈의 몫을 올림하세요: 나머지가 있으면 배치가 하나 더 필요합니다.")
    if n_batches == full:
        hint = check.Hint("mnist_data.batch-count-floor", f"{N_TRAIN} // {BATCH_SIZE} = {full} 은 마지막에 남는 {rest}장을 버립니다. " + hint)
    check.equal("n_batches (한 에포크의 미니배치 수)", n_batches, full + 1, hint)
    hint = check.Hint("mnist_data.last-batch-size-wrong", "n_train 에서 앞의 꽉 찬 배치들이 가져간 수를 빼세요.")
    if last_batch_size == BATCH_SIZE:
        hint = (check.Hint("mnist_data.last-batch-full", f"마지막 배치도 꽉 찬 {BATCH_SIZE}장이라고 했습니다. 앞의 {full}개 배치가 "
                f"{full * BATCH_SIZE:,}장을 가져가면 {N_TRAIN:,}장 중 {rest}장이 남습니다. " + hint))
    check.equal("last_batch_size (마지막 미니배치의 크기)", last_batch_size, rest, hint)


def check_batch_count_rule(history: object) -> None:
    """The cell's formulas for ``n_batches`` and ``last_batch_size`` (``history``: IPython's
    ``In``), replayed on ``OTHER_SIZES`` by ``source.replay_assignments``: with 50,000 images
    ``n_train // bs + 1`` and ``n_train % bs`` give the right numbers, and wrong ones whenever
    the images fill the last batch. A value the replay cannot follow, or one that does not change
    with the number of images (written in by hand), gets no verdict here; nor does a kernel that
    keeps no history (nbval's)."""
    cell = source.last_cell_assigning(history, "n_batches")
    replays = {size: source.replay_assignments(cell, {"n_train": size, "n": size, "bs": BATCH_SIZE}) if cell else {}
               for size in OTHER_SIZES}
    for name, right, hint in (
        ("n_batches", lambda size: ceil_batches(size, BATCH_SIZE), check.Hint(
            "mnist_data.batch-count-off-when-divisible",
            "이미지 수가 bs 로 나누어떨어지면 남는 이미지가 없으니 작은 배치도 없습니다. 몫에 늘 1 을 더하면 그때 빈 배치를 "
            "하나 더 셉니다. 나머지가 있을 때만 하나를 더하는 올림 나눗셈을 쓰세요.")),
        ("last_batch_size", lambda size: size - (ceil_batches(size, BATCH_SIZE) - 1) * BATCH_SIZE, check.Hint(
            "mnist_data.last-batch-remainder",
            "나머지(n_train % bs)는 이미지 수가 bs 로 나누어떨어질 때 0 이 되지만, 그때 마지막 배치는 빈 배치가 아니라 꽉 찬 "
            "bs 장입니다. 앞의 꽉 찬 배치들이 가져간 수를 n_train 에서 빼서 구하세요.")),
    ):
        check_replayed(f"{name} 을(를) 구한 식이", {size: replay.get(name) for size, replay in replays.items()},
                       right, hint, variable="n_train", batch_size=BATCH_SIZE)
    check.passed("n_batches 와 last_batch_size 를 구한 식이 다른 이미지 수(나누어떨어질 때 포함)에서도 맞습니다")


# ---------------------------------------------------------------- concept check: the validation set

#: A model that scores 0.99 on the images it learned from, measured on x_valid; every choice explained.
WHY_VALID_SET = {
    "A": "이미지가 적다고 한 장 한 장이 쉬워지지는 않습니다. 검증 이미지는 훈련 파일의 뒤쪽 1만 장일 뿐, "
         "쉬운 글씨를 골라 둔 것이 아닙니다. 수가 적으면 점수가 더 흔들릴 뿐입니다.",
    "B": "같은 종류의 손글씨라도, 모델이 학습하면서 본 바로 그 이미지들은 아닙니다. 학습에 쓴 이미지로 "
         "잰 점수에 무엇이 더 들어 있을 수 있는지 생각해 보세요.",
    "C": "처음 보는 이미지라고 알아보지 못하는 것은 아닙니다. 모델은 숫자마다의 모양을 배우므로 처음 보는 "
         "손글씨도 대부분 맞힙니다. 02 강의에서 학습한 모델을 검증 데이터로 재어 보면 알 수 있습니다.",
    "D": "학습에 쓴 이미지로 재면 모델이 외운 답까지 점수가 되어, 훈련 정확도는 실제 실력보다 높게 나오기 "
         "쉽습니다. 처음 보는 손글씨를 얼마나 맞히는지(일반화)는 학습에 쓰지 않은 x_valid 로 재야 알 수 "
         "있습니다. 그래서 검증 데이터를 따로 둡니다.",
}


check_why_valid_set = concept_check(
    "why_valid_set", "D", WHY_VALID_SET, "a 0.99 training accuracy measured again on x_valid")


# ---------------------------------------------------------------- concept check: what reshape does

#: Which value of the flat x_train[0] img[2, 5] is, for img = x_train[0].reshape(28, 28); every
#: choice explained.
WHAT_RESHAPE_DOES = {
    "A": "7 = 2 + 5 는 행 번호와 열 번호를 더하기만 한 값입니다. 그렇게 세면 img[0, 7] 도 같은 7 번이 되어 "
         "버립니다. 셋째 행에 닿기 전에 앞의 행들이 값을 몇 개 차지하는지 세어 보세요.",
    "B": "reshape 는 784개를 놓인 순서대로 28개씩 끊어 한 행씩 채웁니다. img[2, 5] 앞에는 두 행(2 × 28 = "
         "56개)과 그 행의 다섯 값이 있으니 56 + 5 = 61 번, 곧 x_train[0][61] 입니다. 값은 하나도 바뀌지 "
         "않고 모양만 바뀝니다.",
    "C": "89 = 3 × 28 + 5 는 행을 세 개 건너뛴 자리입니다. 인덱스는 0 부터 세니, img[2, 5] 앞에 놓인 행이 "
         "몇 개인지 다시 세어 보세요.",
    "D": "142 = 5 × 28 + 2 는 784개를 열부터, 곧 위에서 아래로 먼저 채웠을 때의 자리입니다. 그렇게 "
         "채웠다면 연습 2 의 그림은 대각선을 따라 뒤집힌(전치된) 모양으로 보였을 것입니다.",
}


check_what_reshape_does = concept_check(
    "what_reshape_does", "B", WHAT_RESHAPE_DOES, "which value of x_train[0] is x_train[0].reshape(28, 28)[2, 5]")


#: Test cells whose points the judge decides outside the learner's kernel, from values read by
#: value (nncourse.grading.judge); the others still run in the kernel, under the guard.
JUDGED = frozenset({
    "test_sizes",
    "test_first_image",
    "test_what_reshape_does",
    "test_value_range",
    "test_label_counts",
    "test_first_batch",
    "test_batch_count",
    "test_why_valid_set",
})
