"""Kernels started ahead of time: a grading worker's pool.

A worker (nncourse.grading.worker) grades one submission after another. Instead of starting a
kernel when nbgrader asks for one and waiting for it to import torch, it keeps ``size`` kernels
per lesson already running inside the sandbox, started with :mod:`nncourse.grading.kernels.warm_kernel`
so that they are past their imports. When nbgrader's Execute step asks for a kernel
(:meth:`nncourse.grading.nbgrader_plugins.judged_execute.SandboxedExecute.create_kernel_manager`), the pool hands over a
warm one and starts its replacement at once, which then imports while the submission is graded.

Each kernel serves exactly one submission: nbclient shuts it down after that notebook, as it does
a kernel it started itself, and the pid namespace ends whatever the submission left running. A
kernel is never reused, so one learner's state never reaches another's. Pool kernels run in a
private, empty folder of their own; the submission's files are copied in when it is handed over
(:meth:`~nncourse.grading.kernels.sandbox.SandboxedKernelManager.receive`), and nothing comes back from it:
nbgrader writes the graded notebook from the outputs it received (``keep_nothing_written``).
With a root grader that folder is a tmpfs, and each kernel's processes are in a memory cgroup of
their own from before the submission is handed over (nncourse.grading.kernels.sandbox, .cgroups).
"""

from __future__ import annotations

import ast
import functools
import logging
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync

from . import cgroups
from .sandbox import (MAX_FILE_BYTES, MAX_TOTAL_BYTES, SUBMISSION_ROOM, SandboxedKernelManager, _fontlists,
                      folder_listing, kernel_env)
from .warm_kernel import INLINE_BACKEND
from .zygote import Zygote, ZygoteError

#: The packages whose modules a lesson may preload (what its cells import from them).
PRELOADABLE = ("torch", "numpy", "nncourse", "matplotlib", "tqdm")
#: Always preloaded: setup_lesson's own modules.
ALWAYS = ("torch", "nncourse")
#: torch imports this when the first optimizer is made (about 1.3 s on the course's machine):
#: preloaded for lessons that make one.
OPTIMIZER_IMPORT = "torch._dynamo"
#: What nbclient adds for an IPython kernel (NotebookClient.ipython_hist_file).
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]

_pool: KernelPool | None = None


def current_pool() -> KernelPool | None:
    """The pool of this process (a grading worker), or None (plain nbgrader)."""
    return _pool


def install_pool(pool: KernelPool | None) -> None:
    global _pool
    _pool = pool


@functools.cache
def lesson_modules(notebook_path: Path) -> tuple[str, ...]:
    """The course-related modules a lesson's code cells import (from the instructor's source
    notebook, never from a submission)."""
    names = list(ALWAYS)
    try:
        notebook = nbformat.read(notebook_path, as_version=4)
    except (OSError, ValueError):
        return tuple(names)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if "optim." in cell.source:  # optim.SGD(...), torch.optim.Adam(...)
            names.append(OPTIMIZER_IMPORT)
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                # `from nncourse.graders import optim`: the submodule may be what is imported
                found = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            names += [name for name in found if name.split(".")[0] in PRELOADABLE]
    return tuple(dict.fromkeys(names))


def submission_size(folder: Path) -> int:
    """What the safe copy will put in a kernel's folder from ``folder``, at most (bytes): its
    regular files (links not followed) up to MAX_FILE_BYTES each, MAX_TOTAL_BYTES in all."""
    sizes = (size for size, _ in folder_listing(folder).values() if size <= MAX_FILE_BYTES)
    return min(sum(sizes), MAX_TOTAL_BYTES)


class KernelPool:
    """``size`` warm kernels per lesson, inside the sandbox; one submission per kernel."""

    def __init__(self, source_notebook, size: int = 1, log: logging.Logger | None = None, config=None,
                 fork: bool = True):
        #: lesson → the instructor's source notebook (where its imports are read)
        self.source_notebook = source_notebook
        self.size = size
        self.log = log or logging.getLogger("nncourse.grading")
        self.config = config
        self.scratch = Path(tempfile.mkdtemp(prefix="nncourse-pool-"))
        self._warm: dict[str, list[SandboxedKernelManager]] = {}
        #: the lesson to warm a replacement for when a kernel is taken (None: nothing more to come)
        self.expected: str | None = None
        #: fork kernels from a zygote (nncourse.grading.kernels.zygote) into their sandboxes: a root grader's
        #: (one uid per kernel) or an ordinary grader's (bwrap's user namespace)
        self.fork = fork
        self._zygote: Zygote | None = None

    def _kernel_env(self) -> dict[str, str]:
        # The Execute step sets NBGRADER_EXECUTION only while it runs; a kernel started ahead of
        # it gets it here (nncourse.guard acts on it).
        return {**os.environ, "NBGRADER_EXECUTION": "autograde"}

    def zygote(self, modules: list[str]) -> Zygote:
        """The worker's zygote, started on first use with the kernels' own environment."""
        if self._zygote is not None and self._zygote.alive():
            return self._zygote
        home = Path(tempfile.mkdtemp(prefix="zygote-", dir=self.scratch))
        mpl = home / "matplotlib"  # its own font cache: never the host's /tmp/matplotlib
        mpl.mkdir()
        for fontlist in _fontlists():
            shutil.copy(fontlist, mpl / fontlist.name)
        env = {**kernel_env(self._kernel_env()), "MPLBACKEND": INLINE_BACKEND, "MPLCONFIGDIR": str(mpl)}
        self._zygote = Zygote(modules, env, home)
        if self._zygote.threads != 1:
            self.log.warning("zygote: %s threads after its imports; kernels may be unsafe to fork",
                             self._zygote.threads)
        return self._zygote

    def _start(self, lesson: str, submission_bytes: int | None = None) -> SandboxedKernelManager:
        folder = Path(tempfile.mkdtemp(prefix="kernel-", dir=self.scratch))
        km = SandboxedKernelManager(kernel_name="python3", log=self.log,
                                    **({"config": self.config} if self.config is not None else {}))
        km.work_name = lesson
        km.preload = list(lesson_modules(self.source_notebook(lesson)))
        km.remove_workdir = True
        if submission_bytes is not None:
            km.submission_bytes = submission_bytes
        try:
            if self.fork:
                km.zygote = self.zygote(km.preload)
            run_sync(km.start_kernel)(cwd=str(folder), env=self._kernel_env(),
                                      extra_arguments=list(KERNEL_ARGUMENTS))
            km.connect_ahead()
        except ZygoteError as error:
            # The sandbox is the same either way; only the start is slower.
            self.log.warning("zygote: 커널을 fork 하지 못해 새로 시작합니다 / cannot fork a kernel, "
                             "starting kernels the slow way from now on: %s", error)
            self.fork = False
            km.release_limits()
            shutil.rmtree(folder, ignore_errors=True)
            return self._start(lesson)
        return km

    def expect(self, lesson: str | None) -> None:
        """The lesson the next submission after the current one will probably be (None: none)."""
        self.expected = lesson

    def warm(self, lesson: str | None) -> None:
        """Have ``size`` kernels of ``lesson`` running; warm kernels of other lessons are shut
        down (jobs come lesson by lesson). ``None``: shut every warm kernel down."""
        for other in [name for name in self._warm if name != lesson]:
            for km in self._warm.pop(other):
                self._discard(km)
        if lesson is None:
            return
        waiting = self._warm.setdefault(lesson, [])
        while len(waiting) < self.size:
            waiting.append(self._start(lesson))

    def take(self, grading_dir: Path) -> SandboxedKernelManager:
        """A running kernel for the submission in nbgrader's ``grading_dir`` (autograded/<student>/
        <lesson>), its files copied in; the replacement, for the lesson :meth:`expect` named, starts
        before this returns."""
        lesson = grading_dir.name
        waiting = self._warm.get(lesson, [])
        km = None
        if os.geteuid() != 0:  # an ordinary grader's warm kernel has room for SUBMISSION_ROOM only
            size = submission_size(grading_dir)
            if size > SUBMISSION_ROOM:
                km = self._start(lesson, submission_bytes=size)
        while waiting and km is None:
            candidate = waiting.pop(0)
            if run_sync(candidate.is_alive)():
                km = candidate
            else:  # died while waiting (out of memory, say): never hand it out
                self._discard(candidate)
        if km is None:
            km = self._start(lesson)
        for line in km.receive(grading_dir):
            self.log.warning("샌드박스: 커널 폴더로 복사하지 않았습니다 / sandbox: not copied into the "
                             "kernel's folder: %s", line)
        self.warm(self.expected)
        return km

    def _discard(self, km: SandboxedKernelManager) -> None:
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception as error:  # noqa: BLE001 - a dead kernel is gone anyway
            self.log.debug("pool: shutting down a kernel: %s", error)

    def close(self) -> None:
        for kms in self._warm.values():
            for km in kms:
                self._discard(km)
        self._warm.clear()
        cgroups.close()  # the kernels' memory cgroups, once their last processes have exited
        if self._zygote is not None:
            # Killed, not asked to exit: it holds nothing to save, and its own exit (torch loaded)
            # cost 0.6 s of the worker's stop.
            self._zygote.process.kill()
            self._zygote.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
