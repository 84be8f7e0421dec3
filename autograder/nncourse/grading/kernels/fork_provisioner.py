"""Unsandboxed kernels forked from a zygote: a jupyter_client kernel provisioner.

Every kernel that runs a lesson imports torch, the course package and, for a lesson with an
optimizer, ``torch._dynamo``: 2.5-3.5 s of CPU before the first cell. The grader's sandboxed
kernels are forked from a zygote that has imported all of that (nncourse.grading.kernels.zygote); this
provisioner does the same for kernels that run *without* a sandbox on the maintainer's machine:
the tests' ``nbgrader validate`` runs and the "other machine" runs, where the same few kernels'
imports were paid again for every notebook.

It is jupyter_client's own means of choosing how a kernel starts: a kernel spec whose metadata
names the provisioner ``nncourse-fork`` (registered in pyproject.toml) gets its kernels from here.
:func:`kernel_spec_folder` writes such a spec, named ``python3`` like the one it stands in for;
a folder on ``JUPYTER_PATH`` makes every command of that process tree use it::

    with kernel_spec_folder() as share:
        subprocess.run(["nbgrader", "validate", path], env={**os.environ, "JUPYTER_PATH": str(share)})

Each process keeps one zygote per kernel environment (torch reads some variables, such as
``ATEN_CPU_CAPABILITY``, when it is imported), started with the first kernel of that environment
and ended with the process. The kernel is what ``python -m ipykernel_launcher`` would run, with the
spec's arguments, environment and folder; only the imports came first. Only an environment that
pins OpenMP to one thread (``OMP_NUM_THREADS=1``, as the course's kernels run) gets a zygote: with
more, reading MNIST starts OpenMP's threads in the zygote, and a process with threads must not
fork. Those kernels, and any a zygote cannot fork, are started the usual way.

Learners never get these kernels: the course's own kernel spec is plain ipykernel, and the
grader's sandboxed kernels come from nncourse.grading.kernels.pool.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

from .warm_kernel import INLINE_BACKEND
from .zygote import Zygote, ZygoteError

#: Its name in the ``jupyter_client.kernel_provisioners`` entry points (pyproject.toml).
PROVISIONER_NAME = "nncourse-fork"
#: What every lesson's kernel imports, ahead: torch, the course package, pyplot, and what torch
#: imports when the first optimizer is made.
PRELOAD = ("torch", "nncourse", "matplotlib.pyplot", "torch._dynamo")
#: Variables that differ between kernels of one environment without changing its imports.
PER_KERNEL = ("JPY_PARENT_PID", "JPY_SESSION_NAME")

_zygotes: dict[tuple, Zygote] = {}


def _zygote(env: dict[str, str]) -> Zygote:
    key = tuple(sorted((name, value) for name, value in env.items() if name not in PER_KERNEL))
    zygote = _zygotes.get(key)
    if zygote is None or not zygote.alive():
        # It writes nothing where it runs (each kernel takes its own folder), so no folder of
        # its own that a process ending without atexit (a multiprocessing worker) would leave.
        zygote = _zygotes[key] = Zygote(list(PRELOAD), env, Path(tempfile.gettempdir()), plain=True)
    return zygote


@atexit.register
def _close_zygotes() -> None:
    for zygote in _zygotes.values():
        zygote.close()
    _zygotes.clear()


class ForkedKernel:
    """The parts of a ``subprocess.Popen`` that LocalProvisioner uses, for a kernel that is the
    zygote's child (the zygote reaps it), not ours."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = self.stdout = self.stderr = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0
            except PermissionError:  # the pid is someone else's now: ours is gone
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)  # gone once poll() no longer finds it

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """LocalProvisioner whose kernels are forked from a zygote of their environment."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        env = {**(kwargs.get("env") or os.environ), "MPLBACKEND": INLINE_BACKEND}
        if "ipykernel_launcher" not in cmd or env.get("OMP_NUM_THREADS") != "1":
            return await super().launch_kernel(cmd, **kwargs)
        argv = cmd[cmd.index("ipykernel_launcher") + 1:]
        cwd = os.path.abspath(kwargs.get("cwd") or os.getcwd())  # the zygote runs elsewhere
        try:
            pid = _zygote(env).spawn({"argv": argv, "env": env, "cwd": cwd, "modules": []})
        except ZygoteError as error:
            self.log.warning("nncourse-fork: 커널을 fork 하지 못해 새로 시작합니다 / starting the "
                             "kernel the usual way: %s", error)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernel(pid)
        self.pid = self.pgid = pid  # the kernel leads its own session and process group
        self.cwd = cwd
        return self.connection_info


def kernel_spec(python: str = sys.executable) -> dict:
    """ipykernel's ``python3`` spec, with this provisioner."""
    return {"argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)", "language": "python",
            "metadata": {"debugger": True, "kernel_provisioner": {"provisioner_name": PROVISIONER_NAME}}}


@contextlib.contextmanager
def kernel_spec_folder() -> Iterator[Path]:
    """A folder for ``JUPYTER_PATH`` whose ``python3`` kernels are forked; removed after."""
    with tempfile.TemporaryDirectory(prefix="nncourse-spec-") as share:
        spec = Path(share) / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps(kernel_spec(), indent=1), encoding="utf-8")
        yield Path(share)


__all__ = ["ForkProvisioner", "PROVISIONER_NAME", "kernel_spec", "kernel_spec_folder"]
