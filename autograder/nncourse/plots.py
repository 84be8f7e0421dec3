"""Pictures the lessons share."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import matplotlib
import torch
from matplotlib import font_manager

from .data import IMAGE_SIDE, N_CLASSES

KOREAN_FONT = "NanumGothic"


def pyplot():
    """matplotlib.pyplot, imported where a picture is drawn: the grader's judge imports the
    course's modules but never draws, and pyplot's import is a quarter of a second of each
    grading worker's start."""
    import matplotlib.pyplot as plt

    return plt


def korean_font_files() -> list[Path]:
    """The NanumGothic font files shipped by the ``koreanize-matplotlib`` package."""
    # find_spec locates the package without importing it: its import runs code that uses the
    # deprecated distutils and would print a DeprecationWarning.
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "한글 글꼴 패키지 koreanize-matplotlib 가 없습니다. 고치는 법: `make setup` 을 다시 "
            "실행하세요.\nThe Korean font package koreanize-matplotlib is missing; "
            "run `make setup` again."
        )
    fonts_dir = Path(spec.submodule_search_locations[0]) / "fonts"
    return sorted(fonts_dir.glob("NanumGothic*.ttf"))


@functools.cache
def _register_korean_font() -> None:
    for font_file in korean_font_files():
        font_manager.fontManager.addfont(str(font_file))


def use_korean_font() -> str:
    """Make matplotlib draw Hangul (its default font has none and draws empty boxes).

    Registers the NanumGothic font (once) and makes it matplotlib's default family.
    Returns the font family name now in use.
    """
    _register_korean_font()
    matplotlib.rcParams["font.family"] = KOREAN_FONT
    matplotlib.rcParams["axes.unicode_minus"] = False  # NanumGothic lacks the U+2212 minus
    return KOREAN_FONT


def show_digits(images: torch.Tensor, labels: torch.Tensor, predictions: torch.Tensor | None = None,
                columns: int = 8, title: str | None = None):
    """Draw a grid of digits with their labels (and predictions, coloured right/wrong).

    ``images`` has shape (N, 784) or (N, 28, 28). Returns the matplotlib figure.
    """
    use_korean_font()
    images = images.detach().cpu().reshape(-1, IMAGE_SIDE, IMAGE_SIDE).numpy()
    count = images.shape[0]
    rows = (count + columns - 1) // columns
    fig, axes = pyplot().subplots(rows, columns, figsize=(columns * 1.2, rows * 1.45), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= count:
            continue
        ax.imshow(images[index], cmap="gray_r")
        label = int(labels[index])
        if predictions is None:
            ax.set_title(f"정답 {label}", fontsize=10)
        else:
            guess = int(predictions[index])
            ax.set_title(f"예측 {guess} / 정답 {label}", fontsize=9,
                         color="tab:green" if guess == label else "tab:red")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_label_counts(counts: torch.Tensor, title: str = "숫자별 이미지 수"):
    """Bar chart of how many images each digit 0–9 has. Returns the figure."""
    use_korean_font()
    fig, ax = pyplot().subplots(figsize=(6, 3))
    ax.bar(range(N_CLASSES), counts.tolist(), color="tab:blue")
    ax.set_xticks(range(N_CLASSES))
    ax.set_xlabel("숫자(레이블)")
    ax.set_ylabel("이미지 수")
    ax.set_title(title)
    fig.tight_layout()
    return fig
