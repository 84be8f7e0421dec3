"""Checks of lesson 07_dataloader: ``TensorDataset`` and ``DataLoader`` replace the slicing.

The checks look at the objects the learner built (which tensors a dataset holds, a loader's
batch size, sampler and batches) and compare them with a fresh copy of the reference data, never
with the learner's own variables.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.data import DataLoader, RandomSampler, SequentialSampler, TensorDataset

from .. import checks as check
from ..data import N_TRAIN
from . import common
from .common import concept_check, check_losses, check_trained

LESSON = "07_dataloader"
SETTINGS = "bs=64, lr=0.5, epochs=2"
BATCH_SIZE = 64
BATCHES_PER_EPOCH = -(-N_TRAIN // BATCH_SIZE)  # 782: 781 full batches of 64 and one of 16
LAST_BATCH = N_TRAIN - (BATCHES_PER_EPOCH - 1) * BATCH_SIZE  # 16


def _fail(text: str) -> None:
    raise check.CheckFailed(f"{check.FAIL_MARK} {text}")


def _same(a: object, b: torch.Tensor) -> bool:
    # `a is b`: the judge's copy of the course's data is its own tensor (157 MB to compare).
    return a is b or (isinstance(a, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype
                      and torch.equal(a, b))


def _shape_of(tensor: object) -> str:
    if isinstance(tensor, torch.Tensor):
        return f"모양 {tuple(tensor.shape)}, 자료형 {tensor.dtype} 인 다른 텐서"
    return type(tensor).__name__


def which_data(tensor: object) -> str | None:
    """Which reference tensor ``tensor`` is, as its usual name (``x_train``, ``y_valid``...)."""
    data = check.reference_data()
    for name in ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test"):
        if _same(tensor, getattr(data, name)):
            return name
    return None


def check_tensor_dataset(name: str, dataset: object, x_name: str, y_name: str) -> None:
    """``dataset`` is a ``TensorDataset`` over exactly the reference tensors ``x_name``, ``y_name``."""
    right = f"TensorDataset({x_name}, {y_name})"
    if isinstance(dataset, DataLoader):
        _fail(f"{name} 이(가) DataLoader 입니다. 여기에는 데이터셋이 와야 합니다.\n"
              f"   힌트: 데이터셋은 {right} 로 만들고, DataLoader 는 그 데이터셋을 감쌉니다.")
    if not isinstance(dataset, TensorDataset):
        hint = f"from torch.utils.data import TensorDataset 을 한 뒤 {right} 로 만드세요."
        if isinstance(dataset, (tuple, list)):
            hint = f"텐서 두 개를 괄호로 묶은 튜플이 아니라 {right} 처럼 TensorDataset 을 만드세요."
        _fail(f"{name} 은(는) TensorDataset 이어야 합니다 (지금은 {type(dataset).__name__}).\n"
              f"   힌트: {hint}")
    tensors = dataset.tensors
    if len(tensors) != 2:
        _fail(f"{name} 에 텐서가 {len(tensors)}개 들어 있습니다. 이미지와 레이블, 두 개여야 합니다.\n"
              f"   힌트: {right} 처럼 이미지 텐서와 레이블 텐서를 차례로 넘기세요.")
    found = [which_data(t) for t in tensors]
    if found == [y_name, x_name]:
        _fail(f"{name} 의 텐서 순서가 바뀌었습니다: 첫 번째가 레이블({y_name}), 두 번째가 이미지({x_name}) 입니다.\n"
              f"   힌트: 순서가 중요합니다. {right} 로 만들어야 xb, yb = {name}[i] 처럼 이미지가 먼저 나옵니다.")
    for position, (got, expected) in enumerate(zip(found, (x_name, y_name))):
        if got == expected:
            continue
        what = "이미지" if position == 0 else "레이블"
        hint = f"{right} 의 {position + 1}번째 인자는 {expected} 입니다."
        if got is not None and got.split("_")[1] != expected.split("_")[1]:
            data_kind = {"train": "훈련", "valid": "검증", "test": "시험"}
            hint = (f"{got} 로 만들었습니다. {name} 은(는) {data_kind[expected.split('_')[1]]} 데이터 "
                    f"{x_name}, {y_name} 로 만들어야 합니다. ({data_kind[got.split('_')[1]]} 데이터를 "
                    "넣었습니다.)")
        elif got is None:
            hint += " 텐서를 바꾸거나 일부만 잘라 넣지 말고 그대로 넘기세요."
        _fail(f"{name} 의 {position + 1}번째 텐서({what})가 {expected} 와 같아야 합니다.\n"
              f"   내 값: {got or _shape_of(tensors[position])}\n   기대값: {expected}\n"
              f"   힌트: {hint}")
    check.passed(f"{name} 은(는) {right} 입니다 (길이 {len(dataset)})")


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


def check_loader_settings(name: str, loader: object, batch_size: int, shuffled: bool,
                          hints: dict[str, str] | None = None) -> DataLoader:
    """A ``DataLoader`` with this batch size, a random sampler exactly when ``shuffled``, no
    dropped last batch. ``hints`` may replace the hint for "batch_size", "shuffle", "order"."""
    hints = hints or {}
    if not isinstance(loader, DataLoader):
        _fail(f"{name} 은(는) DataLoader 여야 합니다 (지금은 {type(loader).__name__}).\n"
              "   힌트: from torch.utils.data import DataLoader 를 한 뒤 DataLoader(데이터셋, "
              "batch_size=...) 로 만드세요.")
    got = loader.batch_size
    if got != batch_size:
        hint = hints.get("batch_size", f"batch_size={batch_size} 를 넘기세요.")
        if got == 1:
            hint = ("batch_size 를 주지 않으면 DataLoader 는 한 장씩(batch_size=1) 내놓습니다. " + hint)
        check.equal(f"{name}.batch_size", got, batch_size, hint)
    check.passed(f"{name}.batch_size = {batch_size}")
    if loader.drop_last:
        _fail(f"{name} 이(가) 마지막 작은 배치를 버립니다 (drop_last=True).\n"
              "   힌트: drop_last=True 를 지우세요. 마지막 배치가 작아도 그 이미지들을 버리지 않아야 "
              "한 에포크에 모든 데이터를 씁니다.")
    if shuffled and not isinstance(loader.sampler, RandomSampler):
        _fail(f"{name} 이(가) 데이터를 섞지 않습니다 (sampler: {type(loader.sampler).__name__}).\n"
              f"   힌트: {hints.get('shuffle', 'shuffle=True 를 넘기세요.')}")
    if not shuffled and not isinstance(loader.sampler, SequentialSampler):
        _fail(f"{name} 이(가) 데이터를 섞습니다 (sampler: {type(loader.sampler).__name__}).\n"
              f"   힌트: {hints.get('order', 'shuffle=True 를 지우세요.')}")
    check.passed(f"{name} 은(는) {'에포크마다 순서를 섞습니다' if shuffled else '데이터를 순서대로 냅니다'}"
                 " (마지막 작은 배치도 버리지 않음)")
    return loader


def check_loader(train_dl: object) -> None:
    """Exercise 2: ``train_dl = DataLoader(train_ds, batch_size=bs)``: the same batches, in the
    same order, as the slicing loop."""
    loader = check_loader_settings("train_dl", train_dl, BATCH_SIZE, shuffled=False, hints={
        "batch_size": "DataLoader(train_ds, batch_size=bs) 처럼 bs(64)를 넘기세요. 다음 강의의 "
                      "검증용 로더(bs * 2)와 헷갈리지 마세요.",
        "order": "이번 강의에서는 shuffle=True 를 쓰지 않습니다. 앞의 슬라이싱 루프와 똑같은 배치를 "
                 "같은 순서로 내야 두 루프가 같은 결과를 냅니다. 섞기는 08 강의에서 배웁니다.",
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
    check_losses(losses, hint_append="for xb, yb in train_dl: 안에서 미니배치마다 losses.append(loss.item()) 을 하세요.")
    if not common.is_module(model):
        raise check.CheckFailed(f"{check.FAIL_MARK} model 이 nn.Module 이 아닙니다 (지금은 {type(model).__name__}).\n"
                                "   힌트: model, opt = get_model() 로 받은 모델을 학습시키세요.")
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
