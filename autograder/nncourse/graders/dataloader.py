"""Checks of lesson 07_dataloader: ``TensorDataset`` and ``DataLoader`` replace the slicing.

The checks look at the objects the learner built (which tensors a dataset holds, a loader's
batch size, sampler and batches) and compare them with a fresh copy of the reference data, never
with the learner's own variables.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from torch.utils.data import DataLoader, TensorDataset

from .. import checks as check
from ..data import N_TRAIN
from . import common
from .common import concept_check, check_losses, check_trained
from .loaders import check_loader_settings, check_tensor_dataset

LESSON = "07_dataloader"
SETTINGS = "bs=64, lr=0.5, epochs=2"
BATCH_SIZE = 64
BATCHES_PER_EPOCH = -(-N_TRAIN // BATCH_SIZE)  # 782: 781 full batches of 64 and one of 16
LR = 0.5  # the setup cell's rate, as in lessons 02-06
LAST_BATCH = N_TRAIN - (BATCHES_PER_EPOCH - 1) * BATCH_SIZE  # 16


def check_dataset(train_ds: object) -> None:
    """Exercise 1: ``train_ds = TensorDataset(x_train, y_train)``, indexed like the tensors."""
    check_tensor_dataset("train_ds", train_ds, "x_train", "y_train")
    check.equal("len(train_ds) (훈련 이미지 수)", len(train_ds), N_TRAIN)
    check_slice(train_ds, 0)


def check_slice(train_ds: TensorDataset, start: int) -> None:
    """``train_ds[start:start + bs]`` gives the images and labels of the same rows."""
    data = check.reference_data()
    stop = start + BATCH_SIZE
    xb, yb = train_ds[start:stop]
    check.tensor_equal(f"train_ds[{start}:{stop}] 의 이미지", xb, data.x_train[start:stop])
    check.tensor_equal(f"train_ds[{start}:{stop}] 의 레이블", yb, data.y_train[start:stop])


def check_loader(train_dl: object) -> None:
    """Exercise 2: ``train_dl = DataLoader(train_ds, batch_size=bs)``: the same batches, in the
    same order, as the slicing loop."""
    loader = check_loader_settings("train_dl", train_dl, BATCH_SIZE, shuffled=False, hints={
        "batch_size": check.Hint("dataloader.train-batch-size", "DataLoader 의 batch_size 인자로 준비 셀의 bs(64)를 넘기세요. 다음 강의의 "
                      "검증용 로더(bs * 2)와 헷갈리지 마세요."),
        "order": check.Hint("dataloader.loader-shuffled", "이번 강의에서는 shuffle=True 를 쓰지 않습니다. 앞의 슬라이싱 루프와 똑같은 배치를 "
                 "같은 순서로 내야 두 루프가 같은 결과를 냅니다. 섞기는 08 강의에서 배웁니다."),
    })
    check_tensor_dataset("train_dl.dataset", loader.dataset, "x_train", "y_train")
    check.equal("len(train_dl) (한 에포크의 미니배치 수)", len(loader), BATCHES_PER_EPOCH)
    data = check.reference_data()
    xb, yb = next(iter(loader))
    check.tensor_equal("train_dl 의 첫 배치 이미지", xb, data.x_train[:BATCH_SIZE])
    check.tensor_equal("train_dl 의 첫 배치 레이블", yb, data.y_train[:BATCH_SIZE])


def check_last_batch(train_dl: DataLoader) -> None:
    """The last batch of an epoch is the 16 images left over, not dropped or padded."""
    data = check.reference_data()
    for xb, yb in train_dl:
        pass
    check.tensor_equal("train_dl 의 마지막 배치 이미지", xb, data.x_train[-LAST_BATCH:])
    check.tensor_equal("train_dl 의 마지막 배치 레이블", yb, data.y_train[-LAST_BATCH:])


def check_training(model: Callable, losses: object, opt: object = None) -> None:
    """Exercise 3: the DataLoader loop trained ``model`` as well as the reference; with ``opt``,
    at the lesson's learning rate to the end (a rate lowered along the way can land inside the
    band, so the optimizer is asked)."""
    check_losses(losses, hint_append=check.Hint("dataloader.losses-count-wrong", "for xb, yb in train_dl: 안에서 미니배치마다 losses.append(loss.item()) 을 하세요."))
    if not common.is_module(model):
        check.fail(f"model 이 nn.Module 이 아닙니다 (지금은 {type(model).__name__}).",
                   hint=check.Hint("dataloader.model-not-module", "model, opt = get_model() 로 받은 모델을 학습시키세요."))
    if opt is not None:
        _check_rate_kept(opt)
    # Scored from its parameters: the learner's forward must compute what they give.
    trained = common.trained_logistic(model)
    _check_batch_order(trained, losses)
    check_trained(LESSON, trained, settings=SETTINGS)


#: How closely the second epoch's recorded losses must follow the trained model's loss on the
#: unshuffled batches, batch by batch (Pearson correlation). Measured (one thread, 2 epochs):
#: 0.92 in train_dl's order whatever the seed (0 or 1234: the start is forgotten after an epoch),
#: -0.02 to 0.05 in a shuffled order.
BATCH_ORDER_CORRELATION = 0.5


def _check_batch_order(trained: Callable, losses: list) -> None:
    """The loop took train_dl's batches in order: some batches are harder than others whatever the
    model, so the loss recorded at step i of the second epoch follows the trained model's loss on
    the i-th batch of the unshuffled training data. A loop over a shuffled loader (shuffling is
    lesson 08's) lands inside the band at this rate, and shows here."""
    data = check.reference_data()
    with torch.no_grad():
        per_batch = torch.stack([F.cross_entropy(trained(data.x_train[start:start + BATCH_SIZE]),
                                                 data.y_train[start:start + BATCH_SIZE])
                                 for start in range(0, N_TRAIN, BATCH_SIZE)])
    recorded = torch.tensor([float(value) for value in losses[BATCHES_PER_EPOCH:]], dtype=per_batch.dtype)
    if not bool(torch.isfinite(recorded).all()) or float(recorded.std()) == 0.0:
        return  # a diverged or constant record: the band below says what went wrong
    correlation = float(torch.corrcoef(torch.stack([recorded, per_batch]))[0, 1])
    if not correlation >= BATCH_ORDER_CORRELATION:
        check.fail("두 번째 에포크의 미니배치 손실이 train_dl 의 배치 순서를 따르지 않습니다.",
                   got=f"배치마다의 상관 {correlation:.2f}", expected=f"{BATCH_ORDER_CORRELATION} 이상 (섞지 않은 순서라면 약 0.9)",
                   hint=check.Hint("dataloader.batches-out-of-order",
                                   "어떤 배치는 어떤 모델에게나 더 어렵습니다. 그래서 train_dl 의 순서대로 학습했다면 기록한 손실이 "
                                   "학습된 모델의 배치별 손실을 따라가야 하는데, 그렇지 않습니다. 섞은 로더나 다른 순서로 학습하지 "
                                   "않았는지 보세요. 이 강의는 연습 2 에서 만든 train_dl(섞지 않는 로더)로 학습합니다. 섞기는 08 강의에서 합니다."))
    check.passed(f"미니배치 손실이 train_dl 의 배치 순서를 따릅니다 (배치마다의 상관 {correlation:.3f})")


def _check_rate_kept(opt: object) -> None:
    groups = getattr(opt, "param_groups", None)
    if not common.is_optimizer(opt) or not groups:
        check.fail("opt 는 get_model() 이 돌려준 옵티마이저여야 합니다.", got=type(opt).__name__, expected="optim.SGD",
                   hint=check.Hint("dataloader.opt-not-optimizer", "model, opt = get_model() 로 모델과 옵티마이저를 함께 받아 쓰세요."))
    rates = [group.get("lr") for group in groups]
    if not all(isinstance(rate, (int, float)) and math.isclose(rate, LR) for rate in rates):
        check.fail(f"학습이 끝났을 때 opt 의 학습률이 {LR} 이어야 합니다.", got=", ".join(map(repr, rates)), expected=repr(LR),
                   hint=check.Hint("dataloader.lr-changed", f"이 강의는 두 에포크 모두 학습률 lr = {LR} 로 학습합니다. 학습 중에 "
                        "학습률을 바꾸는(줄이는) 일정은 이 강의가 묻는 것이 아닙니다. param_groups 의 lr 을 바꾸거나 학습률 "
                        "스케줄러를 쓰는 코드를 지우고, get_model() 이 준 opt 를 그대로 쓰세요."))
    check.passed(f"학습이 끝날 때까지 학습률 {LR} 그대로입니다")


# ---------------------------------------------------------------- concept check: the same model

#: Whether a model trained on batches of 32 (same seed, same order, unshuffled) equals
#: model_sliced, trained on batches of 64; every choice explained.
WHY_SAME_MODEL = {
    "A": "이미지를 보는 순서가 같다는 것만으로 충분한지 따져 보세요. 앞의 두 루프는 이미지의 순서 말고 무엇까지 "
         "같았나요? 배치 크기가 32 이면 한 에포크에 opt.step() 이 몇 번 불리는지 세어 보세요.",
    "B": "평균은 손실의 크기를 배치 크기와 상관없게 만들 뿐입니다. 32장씩 나눠 가면 두 번째 걸음의 기울기는 "
         "첫 걸음으로 이미 바뀐 매개변수에서 구한다는 점을 생각해 보세요.",
    "C": "DataLoader 는 마지막 작은 배치도 버리지 않습니다(drop_last 의 기본값은 False). 연습 2 에서 본 "
         "마지막 16장짜리 배치처럼, 32 로 나누고 남은 이미지도 한 배치로 나옵니다.",
    "D": "배치 크기가 32 이면 한 에포크에 step() 이 1563번, 64 이면 782번 불리고, 걸음마다 평균 내는 이미지 "
         "묶음도 다릅니다. 두 번째 걸음은 첫 걸음으로 바뀐 매개변수에서 기울기를 구하므로, 32장씩 두 걸음은 "
         "64장 한 걸음과 같지 않습니다. 앞의 두 루프가 같았던 것은 같은 초깃값에서 같은 배치를 같은 순서로 "
         "보았기 때문입니다.",
}


check_why_same_model = concept_check(
    "why_same_model", "D", WHY_SAME_MODEL,
    "whether training on batches of 32 gives the same model as on batches of 64")


# ---------------------------------------------------------------- concept check: tensors of other sizes

#: What TensorDataset(x_train, y_valid) does (50,000 images, 10,000 labels); every choice explained.
DATASET_SIZES = {
    "A": "TensorDataset 은 만들 때 모든 텐서의 첫 번째 차원 길이가 같은지 확인하고, 다르면 그 줄에서 "
         "AssertionError: Size mismatch between tensors 를 냅니다. 그래서 이미지와 레이블의 수가 다른 "
         "데이터셋으로는 학습을 시작할 수조차 없습니다.",
    "B": "TensorDataset 은 파이썬 zip 처럼 짧은 쪽에 맞춰 자르지 않습니다. 그렇게 잘랐다면 레이블을 잘못 "
         "골랐다는 것을 아무도 모른 채 학습했을 것입니다.",
    "C": "ds[i] 로 꺼낼 때 텐서를 자르는 것은 맞습니다. 하지만 그 전에, 연습 1 의 설명에서 TensorDataset 이 "
         "어떤 텐서들을 받는다고 했는지 다시 보세요.",
    "D": "레이블을 되풀이하면 10,001번째 이미지가 첫 번째 레이블과 짝지어집니다. 틀린 정답으로 학습하게 "
         "되므로, TensorDataset 은 텐서를 늘리거나 되풀이하지 않습니다.",
}


check_dataset_sizes = concept_check(
    "dataset_sizes", "A", DATASET_SIZES, "what TensorDataset does with tensors of different lengths")


#: Test cells whose points the judge decides outside the learner's kernel, from values read by
#: value (nncourse.grading.judge); the others still run in the kernel, under the guard.
JUDGED = frozenset({
    "test_dataset",
    "test_loader",
    "test_training",
    "test_dataset_sizes",
    "test_why_same_model",
})
