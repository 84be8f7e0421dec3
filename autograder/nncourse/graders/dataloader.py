"""Checks of lesson 07_dataloader: ``TensorDataset`` and ``DataLoader`` replace the slicing.

The checks look at the objects the learner built (which tensors a dataset holds, a loader's
batch size, sampler and batches) and compare them with a fresh copy of the reference data, never
with the learner's own variables.
"""

from __future__ import annotations

from collections.abc import Callable

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


def check_training(model: Callable, losses: object) -> None:
    """Exercise 3: the DataLoader loop trained ``model`` as well as the reference."""
    check_losses(losses, hint_append=check.Hint("dataloader.losses-count-wrong", "for xb, yb in train_dl: 안에서 미니배치마다 losses.append(loss.item()) 을 하세요."))
    if not common.is_module(model):
        check.fail(f"model 이 nn.Module 이 아닙니다 (지금은 {type(model).__name__}).",
                   hint=check.Hint("dataloader.model-not-module", "model, opt = get_model() 로 받은 모델을 학습시키세요."))
    # Scored from its parameters: the learner's forward must compute what they give.
    trained = common.trained_logistic(model)
    check_trained(LESSON, trained, settings=SETTINGS)


# ---------------------------------------------------------------- concept check: the same model

#: Why the DataLoader loop and the sliced loop make identical models; every choice explained.
WHY_SAME_MODEL = {
    "A": "DataLoader 는 shuffle=True 라고 할 때만 섞고, 기본값은 섞지 않는 것입니다. 섞었다면 배치의 "
         "순서가 달라져 두 모델은 같지 않았을 것입니다.",
    "B": "DataLoader 는 마지막 16장짜리 배치도 꺼냅니다(drop_last 의 기본값은 False, len(train_dl) 은 "
         "782). 손으로 자른 루프도 그 배치를 씁니다.",
    "C": "SGD 의 결과는 배치를 보는 순서에 따라 달라집니다. 같은 시드만으로는 부족하고, 같은 배치를 "
         "같은 순서로 보아야 같은 모델이 됩니다.",
    "D": "두 루프 모두 같은 시드의 같은 초깃값에서 출발하고, 섞지 않는 DataLoader 는 train_ds[i * bs : "
         "i * bs + bs] 와 똑같은 배치를 같은 순서로 꺼냅니다. 계산이 같으니 결과도 같습니다.",
}


check_why_same_model = concept_check(
    "why_same_model", "D", WHY_SAME_MODEL, "why both loops make the very same model")


# ---------------------------------------------------------------- concept check: dataset slice

#: What train_ds[0:3] returns; every choice explained.
DATASET_SLICE = {
    "A": "TensorDataset 은 샘플을 하나씩 묶어 리스트로 만들지 않습니다. 받은 텐서마다 같은 인덱스로 잘라 "
         "돌려줍니다.",
    "B": "TensorDataset 은 받은 텐서들을 같은 인덱스로 잘라 튜플로 돌려줍니다. 그래서 xb, yb = "
         "train_ds[i * bs : i * bs + bs] 한 줄이 두 줄로 자르던 것을 대신합니다.",
    "C": "TensorDataset 은 만들 때 받은 모든 텐서를 함께 자릅니다. 레이블도 같은 범위로 함께 나옵니다.",
    "D": "텐서를 이어 붙이지 않습니다. 이미지 (3, 784) 와 레이블 (3,) 이 따로따로 튜플에 담깁니다.",
}


check_dataset_slice = concept_check(
    "dataset_slice", "B", DATASET_SLICE, "what train_ds[0:3] returns")


#: Test cells whose points the judge decides outside the learner's kernel, from values read by
#: value (nncourse.grading.judge); the others still run in the kernel, under the guard.
JUDGED = frozenset({
    "test_dataset",
    "test_loader",
    "test_training",
    "test_dataset_slice",
    "test_why_same_model",
})
