"""nncourse.grading.kernels.memory_watch: a sandbox's memory, watched where no cgroup can be made.

Each test starts a real sandbox (bwrap with its own pid namespace and its own /dev, a tmpfs),
watches it with a small limit, and has a process inside hold memory one way: its own pages, a
memfd no process maps, a file in the sandbox's /dev/shm, or several processes each holding a
share. Over the limit, the largest process is killed (SIGKILL); under it, nothing happens. The
whole probe class runs against it in tests/test_ordinary_grader.py.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from nncourse.grading.kernels import memory_watch
from nncourse.grading.kernels.sandbox import bwrap_path

pytestmark = pytest.mark.skipif(bwrap_path() is None, reason="bwrap is not installed")

LIMIT_MB = 200
#: Allocates MB in the way given, says so, then waits for stdin to close.
HOLD = {
    "pages": "data = bytes([1]) * ({mb} << 20)\n",
    "memfd": "import os\nfd = os.memfd_create('hold')\nfor _ in range({mb}):\n    os.write(fd, bytes(1 << 20))\n",
    "tmpfs": "with open('/dev/shm/hold.bin', 'wb') as out:\n    out.write(bytes({mb} << 20))\n",
    "children": ("import subprocess, sys\n"
                 "kids = [subprocess.Popen([sys.executable, '-c', 'data = bytes([1]) * ({mb} // 3 << 20)\\n"
                 "import sys; print(1, flush=True); sys.stdin.read()'], stdin=subprocess.PIPE, "
                 "stdout=subprocess.PIPE) for _ in range(3)]\n"
                 "[kid.stdout.readline() for kid in kids]\n"),
}


def _sandbox(how: str, mb: int) -> subprocess.Popen:
    """A sandbox whose process holds ``mb`` MiB once it reads a line (so the watch starts first)."""
    code = ("import sys\nsys.stdin.readline()\n" + HOLD[how].format(mb=mb)
            + "print('held', flush=True)\nsys.stdin.read()\n")
    # (no tmpfs on /tmp: it would hide a venv that lives there, as CI's fresh clone's does; bwrap's
    # /dev is a tmpfs of the sandbox's own, /dev/shm in it)
    command = [bwrap_path(), "--die-with-parent", "--unshare-pid", "--ro-bind", "/", "/", "--dev", "/dev",
               "--proc", "/proc", "--", sys.executable, "-c", code]
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)


def _held(how: str, mb: int) -> tuple[memory_watch.WatchedSandbox, subprocess.Popen, str]:
    """A watched sandbox (placed by bwrap's pid: the watch finds the sandbox below it) that then
    holds ``mb`` MiB; after a moment for the watch to act."""
    process = _sandbox(how, mb)
    watch = memory_watch.WatchedSandbox.create(LIMIT_MB)
    watch.place(process.pid)
    process.stdin.write("go\n")
    process.stdin.flush()
    said = process.stdout.readline().strip()
    deadline = time.monotonic() + 10.0  # a busy machine may delay the watch's looks
    while watch.oom_kills() == 0 and mb > LIMIT_MB and time.monotonic() < deadline:
        time.sleep(memory_watch.INTERVAL)
    time.sleep(20 * memory_watch.INTERVAL)
    return watch, process, said


@pytest.mark.parametrize("how", HOLD)
def test_over_the_limit_the_largest_process_is_killed(how):
    watch, process, said = _held(how, 3 * LIMIT_MB // 2)
    try:
        if how == "children":  # a holder was killed; the parent, which holds little, lives on
            assert said == "held" and watch.oom_kills() >= 1 and process.poll() is None
        else:
            assert process.wait(timeout=10) != 0 and watch.oom_kills() >= 1, said
        assert watch.peak() > LIMIT_MB * 2**20
    finally:
        watch.remove()
        process.kill()
        process.wait()


@pytest.mark.parametrize("how", HOLD)
def test_under_the_limit_nothing_happens(how):
    watch, process, said = _held(how, LIMIT_MB // 2)
    try:
        assert said == "held" and process.poll() is None and watch.oom_kills() == 0
        assert LIMIT_MB // 4 * 2**20 < watch.peak() < LIMIT_MB * 2**20
    finally:
        watch.remove()
        process.stdin.close()
        process.wait(timeout=10)


def test_a_pool_kernels_watch_starts_with_its_submission():
    """Placed at its start, a pool kernel's sandbox is watched only once handed a submission (it
    runs no learner code before): no look costs the worker anything until then."""
    process = _sandbox("pages", 0)
    watch = memory_watch.WatchedSandbox.create(LIMIT_MB)
    try:
        watch.place(process.pid, now=False)
        assert watch.peak() is None and watch._thread is None
        watch.watch()
        assert watch.peak() is not None and watch.baseline > 0
    finally:
        watch.remove()
        process.kill()
        process.wait()
