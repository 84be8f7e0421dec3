"""Checks that lessons 07 and 08 share: a ``TensorDataset`` over exactly the reference tensors,
and a ``DataLoader``'s settings (batch size, shuffling, no dropped last batch).

Like the lessons' own checks, they look at the objects the learner built and compare them with
a fresh copy of the reference data, never with the learner's own variables.
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, RandomSampler, SequentialSampler, TensorDataset

from .. import checks as check


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
        check.fail(f"{name} 이(가) DataLoader 입니다. 여기에는 데이터셋이 와야 합니다.",
                   hint=check.Hint("loaders.dataset-is-loader", f"데이터셋은 {right} 로 만들고, DataLoader 는 그 데이터셋을 감쌉니다."))
    if not isinstance(dataset, TensorDataset):
        hint = check.Hint("loaders.tensordataset-not-imported", f"from torch.utils.data import TensorDataset 을 한 뒤 {right} 로 만드세요.")
        if isinstance(dataset, (tuple, list)):
            hint = check.Hint("loaders.dataset-tuple", f"텐서 두 개를 괄호로 묶은 튜플이 아니라 {right} 처럼 TensorDataset 을 만드세요.")
        check.fail(f"{name} 은(는) TensorDataset 이어야 합니다 (지금은 {type(dataset).__name__}).", hint=hint)
    tensors = dataset.tensors
    if len(tensors) != 2:
        check.fail(f"{name} 에 텐서가 {len(tensors)}개 들어 있습니다. 이미지와 레이블, 두 개여야 합니다.",
                   hint=check.Hint("loaders.dataset-tensor-count", f"{right} 처럼 이미지 텐서와 레이블 텐서를 차례로 넘기세요."))
    found = [which_data(t) for t in tensors]
    if found == [y_name, x_name]:
        check.fail(f"{name} 의 텐서 순서가 바뀌었습니다: 첫 번째가 레이블({y_name}), 두 번째가 이미지({x_name}) 입니다.",
                   hint=check.Hint("loaders.dataset-tensors-swapped", f"순서가 중요합니다. {right} 로 만들어야 xb, yb = {name}[i] 처럼 이미지가 먼저 나옵니다."))
    for position, (got, expected) in enumerate(zip(found, (x_name, y_name))):
        if got == expected:
            continue
        what = "이미지" if position == 0 else "레이블"
        hint = check.Hint("loaders.dataset-wrong-tensor", f"{right} 의 {position + 1}번째 인자는 {expected} 입니다.")
        if got is not None and got.split("_")[1] != expected.split("_")[1]:
            data_kind = {"train": "훈련", "valid": "검증", "test": "시험"}
            hint = (check.Hint("loaders.dataset-wrong-split", f"{got} 로 만들었습니다. {name} 은(는) {data_kind[expected.split('_')[1]]} 데이터 "
                    f"{x_name}, {y_name} 로 만들어야 합니다. ({data_kind[got.split('_')[1]]} 데이터를 "
                    "넣었습니다.)"))
        elif got is None:
            hint = check.Hint("loaders.dataset-tensor-changed", hint + " 텐서를 바꾸거나 일부만 잘라 넣지 말고 그대로 넘기세요.")
        check.fail(f"{name} 의 {position + 1}번째 텐서({what})가 {expected} 와 같아야 합니다.",
                   got=got or _shape_of(tensors[position]), expected=expected, hint=hint)
    check.passed(f"{name} 은(는) {right} 입니다 (길이 {len(dataset)})")


def check_loader_settings(name: str, loader: object, batch_size: int, shuffled: bool,
                          hints: dict[str, check.Hint] | None = None) -> DataLoader:
    """A ``DataLoader`` with this batch size, a random sampler exactly when ``shuffled``, no
    dropped last batch. ``hints`` may replace the hint for "batch_size", "shuffle", "order"
    (each a check.Hint: a batch size left at its default of 1 is counted under the batch size
    hint's id + ``-unset``)."""
    hints = hints or {}
    if not isinstance(loader, DataLoader):
        check.fail(f"{name} 은(는) DataLoader 여야 합니다 (지금은 {type(loader).__name__}).",
                   hint=check.Hint("loaders.dataloader-not-imported", "from torch.utils.data import DataLoader 를 한 뒤 DataLoader(데이터셋, "
                        "batch_size=...) 로 만드세요."))
    got = loader.batch_size
    if got != batch_size:
        hint = hints.get("batch_size", check.Hint("loaders.batch-size-wrong", f"batch_size={batch_size} 를 넘기세요."))
        if got == 1:  # the same mistake on this loader, with the default of 1 named first
            hint = (check.Hint(hint.id + "-unset", "batch_size 를 주지 않으면 DataLoader 는 한 장씩(batch_size=1) 내놓습니다. " + hint))
        check.equal(f"{name}.batch_size", got, batch_size, hint)
    check.passed(f"{name}.batch_size = {batch_size}")
    if loader.drop_last:
        check.fail(f"{name} 이(가) 마지막 작은 배치를 버립니다 (drop_last=True).",
                   hint=check.Hint("loaders.drop-last", "drop_last=True 를 지우세요. 마지막 배치가 작아도 그 이미지들을 버리지 않아야 "
                        "한 에포크에 모든 데이터를 씁니다."))
    if shuffled and not isinstance(loader.sampler, RandomSampler):
        check.fail(f"{name} 이(가) 데이터를 섞지 않습니다 (sampler: {type(loader.sampler).__name__}).",
                   hint=hints.get("shuffle", check.Hint("loaders.not-shuffled", "shuffle=True 를 넘기세요.")))
    if not shuffled and not isinstance(loader.sampler, SequentialSampler):
        check.fail(f"{name} 이(가) 데이터를 섞습니다 (sampler: {type(loader.sampler).__name__}).",
                   hint=hints.get("order", check.Hint("loaders.shuffled", "shuffle=True 를 지우세요.")))
    check.passed(f"{name} 은(는) {'에포크마다 순서를 섞습니다' if shuffled else '데이터를 순서대로 냅니다'}"
                 " (마지막 작은 배치도 버리지 않음)")
    return loader
