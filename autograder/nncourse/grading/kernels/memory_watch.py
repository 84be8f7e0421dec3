"""Memory per submission where no memory cgroup can be made: the kernel's sandbox, watched.

A root grader caps each kernel's whole process tree with a memory cgroup (nncourse.grading.kernels.cgroups).
An ordinary grader cannot make one (and neither can a root grader on a host without a usable memory
controller); RLIMIT_AS alone caps each process, not the submission: three processes each under it,
or memfd pages that no process maps, held more than the submission's limit (tests/test_sandbox.py's
memory probes). There the worker watches the sandbox instead, as the OOM killer would watch its
cgroup:

* every :data:`INTERVAL` s it adds up what the submission holds: the anonymous and shared-memory
  pages of every process in the sandbox's pid namespace (``/proc/<pid>/status``: RssAnon,
  RssShmem), the memfds they hold open (``/proc/<pid>/fd``), and what is written in the sandbox's
  tmpfs folders (``/tmp``, ``/dev/shm``, the kernel's own folder), less what the tree held when
  the kernel was handed over (a forked kernel starts with the zygote's pages, which a cgroup
  charges to the zygote, not to the kernel);
* over the limit, it kills the largest process of the sandbox with SIGKILL, as the OOM killer ends
  the largest process of its cgroup: a child the learner started, or the kernel itself, which
  nbclient then reports as a dead kernel and the notebook is graded up to that cell
  (nncourse.grading.nbgrader_plugins.notebook_limits reads :meth:`WatchedSandbox.oom_kills` as a cgroup's).

What a watch cannot do that a cgroup does: between two looks a tree can allocate past the limit
(at the few GB/s the host faults pages in, about a tenth of a GiB in :data:`INTERVAL`), and memory
the host's kernel holds for the submission (pipe and socket buffers, page tables) is not counted.
A learner cannot hide from it: the sandbox's processes cannot leave its pid namespace, and the
grader's uid owns the user namespace they live in (it may read their /proc entries, and signal
them, whatever they set).
"""

from __future__ import annotations

import logging
import os
import signal
import threading

from .cgroups import _children

#: Seconds between two looks at a sandbox.
INTERVAL = 0.05
#: The sandbox's tmpfs folders (besides the kernel's own), as seen from inside.
TMPFS_FOLDERS = ("/tmp", "/dev/shm")

log = logging.getLogger("nncourse.grading")


def _status_kib(pid: int, fields: tuple[str, ...] = ("RssAnon:", "RssShmem:")) -> int:
    total = 0
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
        for line in status:
            if line.startswith(fields):
                total += int(line.split()[1])
    return total * 1024


def _memfd_bytes(pid: int, seen: set[tuple[int, int]]) -> int:
    """Bytes in the memfds ``pid`` holds open that no earlier process of this look held."""
    total = 0
    folder = f"/proc/{pid}/fd"
    for name in os.listdir(folder):
        try:
            if not os.readlink(f"{folder}/{name}").startswith("/memfd:"):
                continue
            info = os.stat(f"{folder}/{name}")
        except OSError:
            continue
        if (info.st_dev, info.st_ino) not in seen:
            seen.add((info.st_dev, info.st_ino))
            total += info.st_blocks * 512
    return total


def _used(root: str, folder: str) -> int:
    """Bytes used in the sandbox's tmpfs ``folder``, seen through its ``root``; 0 while that is
    still the host's own folder (bwrap's init before it has made the sandbox's root)."""
    try:
        inside = os.stat(root + folder)
        if os.path.exists(folder) and os.stat(folder).st_dev == inside.st_dev:
            return 0
        info = os.statvfs(root + folder)
    except OSError:
        return 0
    return (info.f_blocks - info.f_bfree) * info.f_frsize


def _inside(pid: int, timeout: float = 10.0) -> int:
    """``pid``, or where ``pid`` is in this process's pid namespace (bwrap's outer process), its
    first descendant in another (bwrap's init)."""
    import time

    here = os.stat("/proc/self/ns/pid").st_ino
    deadline = time.monotonic() + timeout
    while True:
        todo = [pid]
        while todo:
            member = todo.pop(0)
            try:
                if os.stat(f"/proc/{member}/ns/pid").st_ino != here:
                    return member
            except OSError:
                continue
            todo += _children(member)
        if time.monotonic() > deadline:
            raise OSError(f"no sandbox below process {pid}")
        time.sleep(0.005)


class WatchedSandbox:
    """One kernel's sandbox, watched against ``limit`` bytes (the interface of a
    :class:`nncourse.grading.kernels.cgroups.KernelCgroup`: place, oom_kills, peak, remove, limit)."""

    def __init__(self, limit: int, work_folder: str | None = None):
        self.limit = limit
        #: the kernel's folder as seen from inside (``/grading/<lesson>``), watched with the tmpfs
        self.work_folder = work_folder
        self.baseline: int | None = None
        self._started_with: dict[int, int] = {}
        self.kills = 0
        self.most = 0
        self._namespace: int | None = None
        self._root_pid: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def create(cls, limit_mb: int, work_folder: str | None = None) -> WatchedSandbox | None:
        return cls(limit_mb * 2**20, work_folder) if limit_mb > 0 else None

    # -- what the sandbox holds ------------------------------------------------------------------

    def members(self) -> list[int]:
        """The host pids of every process in the sandbox's pid namespace."""
        found = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                if os.stat(f"/proc/{name}/ns/pid").st_ino == self._namespace:
                    found.append(int(name))
            except OSError:
                continue
        return found

    def holdings(self) -> tuple[int, dict[int, int]]:
        """(what the sandbox holds in all, bytes; pid → what that process holds)."""
        per_process, seen = {}, set()
        for pid in self.members():
            try:
                per_process[pid] = _status_kib(pid) + _memfd_bytes(pid, seen)
            except OSError:  # it has exited
                continue
        total = sum(per_process.values())
        if self._root_pid is not None:
            root = f"/proc/{self._root_pid}/root"
            for folder in (*TMPFS_FOLDERS, *([self.work_folder] if self.work_folder else [])):
                total += _used(root, folder)
        return total, per_process

    # -- the cgroup's interface ------------------------------------------------------------------

    def place(self, pid: int, now: bool = True) -> None:
        """The sandbox ``pid`` lives in (its pid namespace), watched from what it holds now, or
        from :meth:`watch` (a pool kernel: from the submission it is handed; until then it runs no
        learner code, and its watch would cost the worker a look every INTERVAL). For bwrap's own
        pid (an exec'd kernel): the sandbox its first child made."""
        if self._namespace is not None:
            return
        pid = _inside(pid)
        self._namespace = os.stat(f"/proc/{pid}/ns/pid").st_ino
        self._root_pid = pid
        if now:
            self.watch()

    def watch(self) -> None:
        """Start watching (once), from what the sandbox holds now."""
        if self._thread is not None or self._namespace is None:
            return
        self.baseline, self._started_with = self.holdings()
        self._thread = threading.Thread(target=self._watch, name=f"memory-watch-{self._root_pid}", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(INTERVAL):
            try:
                total, per_process = self.holdings()
            except OSError:
                continue
            held = total - (self.baseline or 0)
            self.most = max(self.most, held)
            if held <= self.limit or not per_process:
                continue
            # the largest by what it took since the watch began (a forked kernel starts with the
            # zygote's pages, which would make it the largest of any tree)
            largest = max(per_process, key=lambda pid: per_process[pid] - self._started_with.get(pid, 0))
            try:
                os.kill(largest, signal.SIGKILL)
            except OSError:
                continue
            self.kills += 1
            log.warning("메모리: 제출물이 한도 %.0f MiB 를 넘어(%.0f MiB) 가장 큰 프로세스를 끝냈습니다 / memory: the "
                        "submission held %.0f MiB of its %.0f MiB; its largest process was killed",
                        self.limit / 2**20, held / 2**20, held / 2**20, self.limit / 2**20)

    def oom_kills(self) -> int:
        return self.kills

    def peak(self) -> int | None:
        return self.most if self._thread is not None else None

    def remove(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)

