"""Kernels forked from a zygote for unsandboxed runs (nncourse.grading.kernels.fork_provisioner): a kernel
spec that names the provisioner gets a kernel that runs as a started one would, in its folder and
environment, with the imports already done; a zygote forks only the kind it was started for."""

from __future__ import annotations

import os
import subprocess

import pytest
from jupyter_client.manager import KernelManager

from nncourse.grading.kernels.fork_provisioner import ForkedKernel, ForkProvisioner, kernel_spec_folder
from nncourse.grading.kernels.zygote import Zygote, ZygoteError

ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _run(km: KernelManager, code: str) -> str:
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        printed = []
        reply = client.execute_interactive(
            code, timeout=60, output_hook=lambda msg: printed.append(msg["content"].get("text", "")))
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(printed)
    finally:
        client.stop_channels()


@pytest.fixture
def spec_folder(monkeypatch):
    with kernel_spec_folder() as share:
        monkeypatch.setenv("JUPYTER_PATH", str(share))
        yield share


def test_a_forked_kernel_has_its_folder_environment_and_imports(spec_folder, tmp_path):
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(tmp_path), env={**os.environ, **ONE_THREAD, "NNCOURSE_MARK": "seen"})
    try:
        assert isinstance(km.provisioner, ForkProvisioner)
        assert isinstance(km.provisioner.process, ForkedKernel), "the kernel was not forked"
        pid = km.provisioner.process.pid
        shown = _run(km, "import os, sys\n"
                         "print(os.getcwd(), os.environ.get('NNCOURSE_MARK'), 'torch' in sys.modules, os.getpid())")
        folder, mark, preloaded, kernel_pid = shown.split()
        assert (folder, mark, preloaded, int(kernel_pid)) == (str(tmp_path), "seen", "True", pid)
    finally:
        km.shutdown_kernel(now=False)
    assert km.provisioner is None or not km.has_kernel
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_without_one_thread_the_kernel_starts_the_usual_way(spec_folder, tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in ONE_THREAD}
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(tmp_path), env=env)
    try:
        assert isinstance(km.provisioner.process, subprocess.Popen)
        assert _run(km, "print(6 * 7)").strip() == "42"
    finally:
        km.shutdown_kernel(now=True)


@pytest.mark.parametrize("plain", [True, False], ids=["plain zygote", "sandbox zygote"])
def test_a_zygote_forks_only_its_own_kind(plain, tmp_path):
    env = {**os.environ, **ONE_THREAD}
    zygote = Zygote([], env, tmp_path, plain=plain)
    try:
        # a plain zygote is asked for a sandboxed kernel, a sandbox's for an unsandboxed one
        request = {"argv": [], "env": env, "cwd": str(tmp_path), "modules": []}
        if plain:
            request.update(waiter=os.getpid(), uid=65534, gid=65534,
                           limits={"processes": 64, "file_mb": 16})
        with pytest.raises(ZygoteError, match="plain zygote forks only unsandboxed"):
            zygote.spawn(request)
    finally:
        zygote.close()
