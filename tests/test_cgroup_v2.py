"""The cgroup v2 branch of nncourse.grading.kernels.cgroups, on a stand-in for the kernel's cgroup2 files.

The course's machines (this one, CI's) boot with cgroup v1, where tests/test_sandbox.py runs the
real memory cgroups; a host with cgroup v2 takes the other branch, which would otherwise never
run here. This test runs it against a folder that behaves as cgroup2 does where the branch relies
on it: a new cgroup gets its control files, ``memory.*`` only once its parent has ``+memory`` in
``cgroup.subtree_control``; control files cannot be created by writing; a cgroup is removed by
``rmdir`` with its control files in it. What the real kernel does with the values (the OOM killer
at ``memory.max``) is tested only where the machine has cgroup v2.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from nncourse.grading.kernels import cgroups

#: The control files a new cgroup2 folder has, and those it gets with the memory controller.
CORE_FILES = ("cgroup.controllers", "cgroup.subtree_control", "cgroup.procs")
MEMORY_FILES = ("memory.max", "memory.swap.max", "memory.peak", "memory.events")


@pytest.fixture
def cgroup2(tmp_path, monkeypatch):
    """A stand-in cgroup2 mount with the memory controller available at its top."""
    top = tmp_path / "cgroup2"
    top.mkdir()
    (top / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (top / "cgroup.subtree_control").write_text("")
    (top / "cgroup.procs").write_text("")

    def inside(path) -> bool:
        return Path(path).is_relative_to(top)

    base = type(Path())

    class CgroupPath(base):
        def mkdir(self, mode=0o777, parents=False, exist_ok=False):
            existed = self.is_dir()
            super().mkdir(mode, parents, exist_ok)
            if inside(self) and not existed:
                enabled = (self.parent / "cgroup.subtree_control").read_text().split()
                (self / "cgroup.controllers").write_text(" ".join(enabled))
                for name in CORE_FILES[1:]:
                    (self / name).write_text("")
                if "memory" in enabled:
                    for name in MEMORY_FILES:
                        (self / name).write_text("max" if name == "memory.max" else "")

        def rmdir(self):
            remove(self)

    real_rmdir = os.rmdir

    def remove(path) -> None:
        path = Path(path)
        if inside(path):
            if any(child.is_dir() for child in path.iterdir()):
                raise OSError(39, "Directory not empty", str(path))
            if (path / "cgroup.procs").exists() and (path / "cgroup.procs").read_text().split():
                raise OSError(16, "Device or resource busy", str(path))
            for child in path.iterdir():
                child.unlink()
        real_rmdir(path)

    def write(path: Path, value: str) -> None:
        if inside(path):
            if not path.exists():  # cgroupfs: no new files
                raise FileNotFoundError(2, "No such file or directory", str(path))
            if path.name == "cgroup.subtree_control":
                enabled = path.read_text().split()
                for word in value.split():
                    name = word[1:]
                    if word[0] == "+" and name not in enabled:
                        enabled.append(name)
                path.write_text(" ".join(enabled))
                return
            if path.name == "cgroup.procs":
                path.write_text(path.read_text() + value + "\n")
                return
        path.write_text(value)

    monkeypatch.setattr(cgroups, "Path", CgroupPath)
    monkeypatch.setattr(cgroups, "_write", write)
    monkeypatch.setattr(cgroups.os, "rmdir", remove)
    monkeypatch.setattr(cgroups.os, "geteuid", lambda: 0)
    monkeypatch.setattr(cgroups, "_mounts", lambda: [("/", str(top), "cgroup2", set())])
    cgroups.hierarchy.cache_clear()
    yield top
    cgroups.hierarchy.cache_clear()


def test_each_kernel_gets_a_capped_cgroup2_and_it_is_removed(cgroup2):
    found = cgroups.hierarchy()
    assert found is not None and found.version == 2 and found.parent == cgroup2
    # v2 gives controllers only to children: enabled at the top and in the worker's folder
    tree = found.tree()
    assert "memory" in (cgroup2 / "cgroup.subtree_control").read_text().split()
    assert "memory" in (tree / "cgroup.subtree_control").read_text().split()
    assert not (tree / "check").exists()  # the probe cgroup of the first look is gone

    group = cgroups.KernelCgroup.create(1500)
    assert group is not None and group.path.parent == tree
    assert (group.path / "memory.max").read_text() == str(1500 * 2**20)
    assert (group.path / "memory.swap.max").read_text() == "0"  # no swap on top of the limit

    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        group.place(sleeper.pid)
        assert (group.path / "cgroup.procs").read_text().split() == [str(sleeper.pid)]
    finally:
        sleeper.kill()
        sleeper.wait()
    (group.path / "memory.peak").write_text("123456789\n")
    (group.path / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert group.peak() == 123456789 and group.oom_kills() == 1

    group.remove()  # its process is still listed (exiting): removed later
    assert group.path.exists()
    (group.path / "cgroup.procs").write_text("")
    cgroups.close(wait=0.5)
    assert not group.path.exists() and not tree.exists()


def test_without_the_memory_controller_cgroup2_is_not_used(cgroup2, caplog):
    """A cgroup2 mount whose top cannot offer the memory controller: the per-process limit only,
    said once."""
    (cgroup2 / "cgroup.controllers").write_text("cpu pids\n")
    with caplog.at_level("WARNING", logger="nncourse.grading"):
        assert cgroups.hierarchy() is None
        assert cgroups.KernelCgroup.create(1024) is None
    assert sum("RLIMIT_AS" in record.getMessage() for record in caplog.records) == 1
