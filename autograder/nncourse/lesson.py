"""The setup every lesson's first code cell runs."""

from __future__ import annotations

import os
import random
import warnings

import numpy as np
import torch

from . import guard
from . import help as course_help
from .data import MnistSplit, load_mnist
from .plots import use_korean_font

#: One intra-op thread: on a 2-core machine the small matrices of this course run several
#: times faster with one thread than with torch's default (see benchmarks/), and parallel
#: graders do not fight over cores.
DEFAULT_THREADS = 1
DEFAULT_SEED = 0
#: The reference generator (nncourse.grading.make_reference) and the "other machine" test run every solution
#: under several seeds: this variable shifts every seed a lesson sets, so it reaches all of them.
SEED_SHIFT_ENV = "NNCOURSE_SEED"
THREADS_ENV = "NNCOURSE_THREADS"


def course_seed(seed: int = DEFAULT_SEED) -> int:
    """The seed actually used for ``seed``: itself, shifted by ``NNCOURSE_SEED`` when it is set."""
    return seed + int(os.environ.get(SEED_SHIFT_ENV) or 0)


def seed_everything(seed: int = DEFAULT_SEED) -> int:
    """Seed Python, NumPy and torch (``torch.manual_seed``) so a lesson prints the same numbers
    on every run of one machine; returns the seed used.

    Every seed a lesson or a check sets goes through here, so that ``NNCOURSE_SEED`` (set only by
    the course's own tools) reaches every one of them. Without it this is ``torch.manual_seed(seed)``
    plus Python's and NumPy's generators.
    """
    used = course_seed(seed)
    random.seed(used)
    np.random.seed(used)
    torch.manual_seed(used)
    return used


def threads_from_env() -> int:
    """Torch threads: ``NNCOURSE_THREADS`` if set (the benchmark and the reference generator use
    it; 0 keeps torch's own default), else one."""
    threads = int(os.environ.get(THREADS_ENV, DEFAULT_THREADS))
    return threads if threads > 0 else torch.get_num_threads()


def setup_lesson(seed: int = DEFAULT_SEED, load_data: bool = True) -> MnistSplit | None:
    """Prepare a lesson: threads, seed, Korean plots, and the MNIST split.

    Prints one line so the learner sees what was set. Returns the split (or ``None`` when
    ``load_data`` is false).
    """
    torch.set_num_threads(threads_from_env())
    seed = seed_everything(seed)
    font = use_korean_font()
    # Messages the learner did not cause must not reach stderr: nbgrader scores a test cell
    # with any stderr output as 0.
    warnings.filterwarnings("ignore", category=UserWarning, module="matplotlib")
    split = load_mnist() if load_data else None
    # Under nbgrader only: time limits that stick, learner stderr kept out of the score,
    # grading tools restored before every cell (see nncourse.guard).
    guard.install()
    # hint(N) and solution(N) for this lesson's exercises, shown only when asked (nncourse.help)
    course_help.install_in_notebook()
    print(
        f"준비 완료: torch {torch.__version__.split('+')[0]}, "
        f"스레드 {torch.get_num_threads()}개, 시드 {seed}, 글꼴 {font}"
    )
    return split
