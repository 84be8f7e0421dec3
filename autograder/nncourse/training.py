"""Training-side helpers the lessons share: evaluation on a whole data set, progress bars and
loss plots."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .plots import pyplot, use_korean_font

#: Batch size for evaluation only: big enough to be quick, small enough to keep memory low.
EVAL_BATCH_SIZE = 2000


def progress_enabled() -> bool:
    """Progress bars go to stderr, which nbgrader scores as a failure and nbval compares; show
    them only to a person working in the notebook."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return False
    return os.environ.get("NNCOURSE_PROGRESS", "1") != "0"


def progress(iterable: Iterable, desc: str = "학습", **kwargs) -> Iterable:
    """``tqdm`` over ``iterable`` in a learner's session, the plain iterable when graded."""
    return tqdm(iterable, desc=desc, disable=not progress_enabled(), **kwargs)


def accuracy(out: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
    """Share of rows whose largest score is at the label (what lesson 02 builds by hand)."""
    return (out.argmax(dim=1) == yb).float().mean()


def model_device(model: object) -> torch.device:
    """Where an ``nn.Module``'s parameters live (the CPU for a plain function)."""
    parameters = getattr(model, "parameters", None)
    if callable(parameters):
        for parameter in parameters():
            return parameter.device
    return torch.device("cpu")


@torch.no_grad()
def evaluate(model: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor,
             loss_func: Callable = F.cross_entropy, logits: bool = True,
             batch_size: int = EVAL_BATCH_SIZE,
             preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` over ALL of ``x``, ``y``.

    Each batch's mean loss is weighted by its size, so the last, smaller batch counts exactly
    as much as its samples. ``logits=False`` means the model returns log-probabilities (lesson
    02's hand-written model), which are scored with ``F.nll_loss`` when ``loss_func`` is left
    as is. ``preprocess`` reshapes each batch first (a CNN fed by a wrapped loader expects
    (N, 1, 28, 28)). Batches go to the model's device. Switches an ``nn.Module`` to eval mode
    while it runs and restores its mode.
    """
    device = model_device(model)
    if not logits and loss_func is F.cross_entropy:
        loss_func = F.nll_loss
    was_training = getattr(model, "training", None)
    if was_training is not None:
        model.eval()
    total_loss, correct = 0.0, 0
    try:
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size].to(device), y[start:start + batch_size].to(device)
            if preprocess is not None:
                xb = preprocess(xb)
            out = model(xb)
            total_loss += loss_func(out, yb).item() * len(xb)
            correct += (out.argmax(dim=1) == yb).sum().item()
    finally:
        if was_training:
            model.train()
    return total_loss / len(x), correct / len(x)


def plot_losses(losses: Sequence[float], title: str = "학습 중 미니배치 손실",
                per_epoch: int | None = None, smooth: int = 50):
    """Mini-batch losses over training, with a moving average and epoch boundaries."""
    use_korean_font()
    values = torch.as_tensor(list(losses), dtype=torch.float64)
    fig, ax = pyplot().subplots(figsize=(7, 3.2))
    ax.plot(values.numpy(), color="tab:blue", alpha=0.3, linewidth=0.8, label="미니배치 손실")
    if len(values) >= smooth:
        kernel = torch.ones(smooth, dtype=torch.float64) / smooth
        moving = torch.nn.functional.conv1d(values.view(1, 1, -1), kernel.view(1, 1, -1)).view(-1)
        ax.plot(range(smooth - 1, len(values)), moving.numpy(), color="tab:blue",
                label=f"이동 평균 ({smooth}개)")
    if per_epoch:
        for boundary in range(per_epoch, len(values), per_epoch):
            ax.axvline(boundary, color="gray", linestyle="--", linewidth=0.8)
    ax.set_xlabel("미니배치 번호")
    ax.set_ylabel("손실")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_history(history: dict[str, Sequence[float]], title: str = "에포크별 훈련 손실과 검증 손실"):
    """Training and validation loss per epoch on one plot (``fit``'s history)."""
    use_korean_font()
    fig, ax = pyplot().subplots(figsize=(6, 3.2))
    labels = {"train_loss": "훈련 손실", "valid_loss": "검증 손실"}
    for key, values in history.items():
        epochs = range(1, len(values) + 1)
        ax.plot(epochs, list(values), marker="o", label=labels.get(key, key))
    ax.set_xlabel("에포크")
    ax.set_ylabel("손실")
    ax.set_xticks(range(1, max(len(v) for v in history.values()) + 1))
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig
