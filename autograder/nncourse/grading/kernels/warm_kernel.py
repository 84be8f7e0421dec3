"""A kernel imported ahead of time: what ``python -m ipykernel_launcher`` does, after importing
the modules a lesson is going to import.

    python -m nncourse.grading.kernels.warm_kernel --preload=torch,nncourse,nncourse.graders.optim -f conn.json

A grading worker (nncourse.grading.kernels.pool) starts kernels with this launcher, inside the sandbox,
while it is still grading the previous submission; by the time a kernel is handed its submission,
torch, the course package and the lesson's grader are imported and the verified MNIST arrays are
read into ``nncourse.data``'s cache. That is all that happens before the learner's first cell:
the modules sit in ``sys.modules``, as they would after the lesson's own import cell, and nothing
is put into the notebook's namespace. A module that fails to import is skipped here: the
lesson's own cell then raises the error where the learner sees it.

This module runs inside the learner's kernel process, but only in the instructor's grader.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

PRELOAD_FLAG = "--preload="
#: The backend ipykernel chooses before any cell runs (ipykernel.kernelapp). matplotlib reads it
#: when it is imported, which here is before ipykernel runs (this module's package imports
#: pyplot), so the kernel manager puts it in the kernel's environment
#: (SandboxedKernelManager); pyplot then loads it at the first figure, with IPython running, and
#: the learner's plots reach the cell's output as in any kernel.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def preload(names: list[str]) -> list[str]:
    """Import ``names`` (skipping any that fail) and read MNIST into the cache; returns the
    modules imported."""
    imported = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the lesson's own import shows it to the learner
            continue
        imported.append(name)
    if "nncourse" in sys.modules:
        try:
            sys.modules["nncourse"].load_mnist()  # fills the cache setup_lesson and the checks read
        except Exception:  # noqa: BLE001 - setup_lesson reports missing or damaged data itself
            pass
    return imported


def split_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """(modules to preload, the rest of the arguments for ipykernel)."""
    names, rest = [], []
    for argument in argv:
        if argument.startswith(PRELOAD_FLAG):
            names += [name for name in argument[len(PRELOAD_FLAG):].split(",") if name]
        else:
            rest.append(argument)
    return names, rest


if __name__ == "__main__":
    # As ipykernel_launcher: the working folder (the submission's) is not on sys.path while the
    # kernel's own code is imported; ipykernel puts it back for the learner's cells.
    if sys.path[0] == "" or Path(sys.path[0]) == Path.cwd():
        del sys.path[0]
    modules, arguments = split_arguments(sys.argv[1:])
    sys.argv = [sys.argv[0], *arguments]
    preload(modules)

    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
