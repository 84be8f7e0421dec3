"""Shared code of the Korean torch.nn course: data loading, lesson setup, checks and plots."""

from .data import MnistDataError, MnistSplit, find_mnist_dir, load_mnist
from .lesson import seed_everything, setup_lesson

__all__ = ["MnistDataError", "MnistSplit", "find_mnist_dir", "load_mnist", "seed_everything",
           "setup_lesson"]
__version__ = "0.1.0"
