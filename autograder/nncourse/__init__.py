"""Shared code of the Korean torch.nn course: data loading, lesson setup, checks and plots.

What the notebooks import lives here (and in ``nncourse.graders``); the instructor's grading
machinery lives in ``nncourse.grading``. The names below are loaded on first use, so that the
grading tools, which import this package too, do not import torch and matplotlib with it.
"""

from __future__ import annotations

import importlib

#: name → the module that defines it
_EXPORTS = {
    "MnistDataError": "data", "MnistSplit": "data", "find_mnist_dir": "data", "load_mnist": "data",
    "seed_everything": "lesson", "setup_lesson": "lesson",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
