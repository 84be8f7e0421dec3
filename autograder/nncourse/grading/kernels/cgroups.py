"""Memory per submission: one memory cgroup per kernel, its whole process tree counted together.

RLIMIT_AS (``grade_class --memory-limit-gb``) caps each process's address space, so a submission
could still start many processes each just under it, and the pages of tmpfs files (``/tmp``,
``/dev/shm``, the writable folder) and of memfds count against no process at all. A root grader
therefore puts each kernel, before any learner code runs, into a memory cgroup of its own:

* **cgroup v2** (``/sys/fs/cgroup`` is cgroup2 and its memory controller can be enabled for a
  folder of ours): ``memory.max`` and ``memory.swap.max = 0``;
* **cgroup v1** (a ``memory`` hierarchy, as on hosts that boot in the hybrid mode, the course's CI
  among them): ``memory.limit_in_bytes`` and, where the host accounts swap,
  ``memory.memsw.limit_in_bytes`` at the same value (no swap on top);
* **neither** (no memory controller, a grader that is not root, a container whose cgroup cannot be
  written): the per-process RLIMIT_AS, and the worker watches each sandbox's memory instead
  (nncourse.grading.kernels.memory_watch); it says so once in its log.

Every page the kernel's processes touch is charged to it: their memory, the tmpfs and memfd pages
they write, the page cache they read first. Pages a forked kernel still shares with the worker's
zygote stay charged to the worker (nncourse.grading.kernels.zygote). Over the limit, the host's OOM
killer ends the largest process *of that cgroup* (never another submission's, never the
worker): a child the learner started, or the kernel itself, which nbclient then reports as a
dead kernel and the notebook is graded up to that cell (nncourse.grading.nbgrader_plugins.notebook_limits).

Each worker's cgroups are ``k-<n>`` in a folder of its own, ``nncourse-grading-<worker pid>``
(cgroup v1: below the grader's own memory cgroup; v2: at the top of the hierarchy, since v2 gives
controllers only to the children of a folder with no processes). One is removed when its kernel
has ended (or at the next kernel, if its last process was still exiting), the folder when the
worker's pool closes, and those of a worker that was killed by grade_class
(:func:`release_worker`) or by the next worker that finds them.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

#: grade_class hands the workers the limit of each submission's kernel tree (MiB) in this variable.
MEMORY_ENV = "NNCOURSE_SUBMISSION_MEMORY_MB"
DEFAULT_MEMORY_MB = 4096
#: Each worker's folder of kernel cgroups: nncourse-grading-<worker pid>.
TREE_PREFIX = "nncourse-grading-"

log = logging.getLogger("nncourse.grading")


@dataclass(frozen=True)
class Hierarchy:
    version: int  # 1 or 2
    parent: Path  # where the workers' folders are made

    def tree(self, pid: int | None = None) -> Path:
        """The folder of worker ``pid``'s kernel cgroups (this process's by default)."""
        return self.parent / f"{TREE_PREFIX}{os.getpid() if pid is None else pid}"

    def make_tree(self) -> Path:
        tree = self.tree()
        tree.mkdir(exist_ok=True)
        if self.version == 2:
            _enable_memory(tree)
        return tree

    def limit_files(self, limit: int) -> list[tuple[str, str, bool]]:
        """(file, value, required) that cap a cgroup at ``limit`` bytes, memory and swap."""
        if self.version == 2:
            return [("memory.max", str(limit), True), ("memory.swap.max", "0", False)]
        # memsw (memory + swap) must not be below the memory limit: set after it
        return [("memory.limit_in_bytes", str(limit), True), ("memory.memsw.limit_in_bytes", str(limit), False)]

    def cap(self, path: Path, limit: int) -> None:
        for name, value, required in self.limit_files(limit):
            if required or (path / name).exists():
                _write(path / name, value)


def _unescape(path: str) -> str:
    """A path as /proc/self/mountinfo writes it (space, tab, newline and backslash as octal)."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        path = path.replace(code, char)
    return path


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(root, mount point, file system type, super options) of every mount this process sees."""
    mounts = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as table:
        for line in table:
            fields = line.split()
            dash = fields.index("-")
            mounts.append((_unescape(fields[3]), _unescape(fields[4]), fields[dash + 1],
                           set(fields[dash + 3].split(",")) if len(fields) > dash + 3 else set()))
    return mounts


def _own_cgroup(version: int) -> str | None:
    """This process's cgroup path: the unified one (v2) or the memory controller's (v1)."""
    with open("/proc/self/cgroup", encoding="utf-8") as table:
        for line in table:
            number, controllers, path = line.rstrip("\n").split(":", 2)
            if version == 2 and number == "0" and controllers == "":
                return path
            if version == 1 and "memory" in controllers.split(","):
                return path
    return None


def _folder(mount_root: str, mount_point: str, path: str | None) -> Path:
    """Where the cgroup ``path`` is under a mount of the hierarchy (the mount point itself when
    the mount does not show it)."""
    top = Path(mount_point)
    if path is None:
        return top
    relative = os.path.relpath(path, mount_root) if mount_root != "/" else path.lstrip("/")
    folder = top / relative if not relative.startswith("..") else top
    return folder if folder.is_dir() else top


def _write(path: Path, value: str) -> None:
    with open(path, "w", encoding="ascii") as control:
        control.write(value)


def _enable_memory(folder: Path) -> None:
    """cgroup v2: let the children of ``folder`` have the memory controller."""
    if "memory" not in (folder / "cgroup.subtree_control").read_text().split():
        _write(folder / "cgroup.subtree_control", "+memory")


def _candidates() -> list[Hierarchy]:
    """Where kernels' cgroups could go here, the unified hierarchy first (nothing is written)."""
    mounts = _mounts()
    found = []
    unified = [m for m in mounts if m[2] == "cgroup2"]
    v2 = next((m for m in unified if m[1] == "/sys/fs/cgroup"), unified[0] if unified else None)
    try:
        if v2 is not None and "memory" in (Path(v2[1]) / "cgroup.controllers").read_text().split():
            # The top of the hierarchy this process sees: cgroup v2 gives controllers only to the
            # children of a folder with no processes of its own, which the grader's cgroup is not.
            found.append(Hierarchy(2, Path(v2[1])))
    except OSError:
        pass
    v1 = next((m for m in mounts if m[2] == "cgroup" and "memory" in m[3]), None)
    if v1 is not None:  # below the grader's own memory cgroup (v1 has no rule against that)
        found.append(Hierarchy(1, _folder(v1[0], v1[1], _own_cgroup(1))))
    return found


def _find() -> Hierarchy:
    """The hierarchy to make the kernels' cgroups in (OSError/LookupError: none usable here)."""
    if os.geteuid() != 0:
        raise LookupError("the grader is not root")
    errors = []
    for candidate in _candidates():
        try:
            if candidate.version == 2:
                _enable_memory(candidate.parent)
            return _checked(candidate)
        except OSError as error:
            errors.append(f"cgroup v{candidate.version}: {error}")
    if errors:
        raise OSError("; ".join(errors))
    raise LookupError("no memory controller is mounted")


def _checked(found: Hierarchy) -> Hierarchy:
    """This worker's folder made, and a cgroup made, capped and removed there, as each kernel's
    will be; the folders of workers that are gone removed."""
    release_worker(None, found)
    tree = found.make_tree()
    probe = tree / "check"
    try:
        probe.mkdir(exist_ok=True)
        try:
            found.cap(probe, 64 * 2**20)
        finally:
            probe.rmdir()
    except OSError:
        _remove_tree(tree)
        raise
    return found


@functools.cache
def hierarchy() -> Hierarchy | None:
    """The memory cgroup hierarchy this worker uses, found once (None: per-process limits only);
    said once in the worker's log either way."""
    try:
        found = _find()
    except (OSError, LookupError) as error:
        log.warning("메모리: 제출물마다의 메모리 cgroup 을 만들 수 없어, 프로세스마다의 주소 공간 한도(RLIMIT_AS, "
                    "grade_class --memory-limit-gb)와 샌드박스 감시(nncourse.grading.kernels.memory_watch)로 제한합니다 / "
                    "memory: no memory cgroup per submission here (%s); the per-process address-space limit "
                    "(RLIMIT_AS) applies, and the worker watches each sandbox's memory instead", error)
        return None
    log.info("메모리: 제출물마다 커널의 프로세스 전체에 cgroup v%d 메모리 한도를 둡니다 (%s) / memory: one "
             "cgroup v%d per submission caps its whole kernel tree (%s)", found.version, found.tree(),
             found.version, found.tree())
    return found


_numbers = itertools.count()
#: cgroups whose last process was still exiting when their kernel was cleaned up
_pending: list[Path] = []


def _remove_pending(wait: float = 0.0) -> None:
    deadline = time.monotonic() + wait
    while _pending:
        for path in list(_pending):
            try:
                path.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                continue
            _pending.remove(path)
        if not _pending or time.monotonic() >= deadline:
            return
        time.sleep(0.02)


class KernelCgroup:
    """The memory cgroup of one kernel (one submission)."""

    def __init__(self, found: Hierarchy, path: Path, limit: int):
        self.hierarchy, self.path, self.limit = found, path, limit

    @classmethod
    def create(cls, limit_mb: int) -> KernelCgroup | None:
        """A new cgroup capped at ``limit_mb`` MiB (None: no limit asked, or no cgroups here)."""
        found = hierarchy() if limit_mb > 0 else None
        if found is None:
            return None
        _remove_pending()
        path = found.tree() / f"k-{next(_numbers)}"
        try:
            path.mkdir()
        except FileNotFoundError:  # the worker's folder was removed (a pool closed and reopened)
            found.make_tree()
            path.mkdir()
        limit = limit_mb * 2**20
        try:
            found.cap(path, limit)
        except OSError:
            path.rmdir()
            raise
        return cls(found, path, limit)

    def place(self, pid: int, now: bool = True) -> None:
        """Move ``pid`` and every process below it into this cgroup, parents before their
        children: a child forked meanwhile inherits its parent's cgroup, so none is missed.
        ``now`` is the watch's (nncourse.grading.kernels.memory_watch): a cgroup caps from here on."""
        todo = [pid]
        while todo:
            member = todo.pop()
            try:
                _write(self.path / "cgroup.procs", str(member))
            except ProcessLookupError:
                continue  # it has exited
            todo += _children(member)

    def watch(self) -> None:
        """Nothing to start: the cgroup has capped the tree since :meth:`place` (the watch's
        interface, nncourse.grading.kernels.memory_watch)."""

    def _read(self, name: str) -> str:
        try:
            return (self.path / name).read_text()
        except OSError:
            return ""

    def oom_kills(self) -> int:
        """Processes the OOM killer ended in this cgroup (v1 before Linux 4.13: times the limit
        was hit)."""
        table = self._read("memory.events" if self.hierarchy.version == 2 else "memory.oom_control")
        for line in table.splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        failures = self._read("memory.failcnt").strip()
        return int(failures) if failures.isdigit() else 0

    def peak(self) -> int | None:
        """The most memory charged to this cgroup at once (bytes), where the host says."""
        text = self._read("memory.peak" if self.hierarchy.version == 2 else "memory.max_usage_in_bytes").strip()
        return int(text) if text.isdigit() else None

    def remove(self) -> None:
        """Remove the cgroup (later, if its last process is still exiting)."""
        try:
            self.path.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            _pending.append(self.path)


def _children(pid: int) -> list[int]:
    """The child processes of ``pid``: from /proc/<pid>/task/*/children where the host has it
    (psutil reads every process of the machine to find them)."""
    if not os.path.exists(f"/proc/self/task/{threading.get_native_id()}/children"):
        import psutil

        try:
            return [child.pid for child in psutil.Process(pid).children()]
        except psutil.Error:
            return []
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as children:
                found += map(int, children.read().split())
    except OSError:  # it or one of its threads has exited
        pass
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _remove_tree(tree: Path) -> bool:
    """Remove a worker's folder and the kernels' cgroups in it (False: some still in use)."""
    try:
        for entry in os.scandir(tree):
            if entry.is_dir(follow_symlinks=False):
                try:
                    os.rmdir(entry.path)
                except FileNotFoundError:
                    pass
        tree.rmdir()
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return True


def release_worker(pid: int | None, found: Hierarchy | None = None, wait: float = 0.0) -> None:
    """Remove the cgroups of worker ``pid`` (None: of every worker that is gone), waiting up to
    ``wait`` seconds for their last processes to exit. Without ``found``, wherever they may be
    (grade_class, after killing a worker)."""
    if found is None:
        if os.geteuid() != 0:
            return
        try:
            places = _candidates()
        except OSError:
            return
    else:
        places = [found]
    trees = []
    for place in places:
        if pid is not None:
            trees.append(place.tree(pid))
            continue
        try:
            names = [entry.name for entry in os.scandir(place.parent) if entry.name.startswith(TREE_PREFIX)]
        except OSError:
            continue
        trees += [place.parent / name for name in names
                  if name[len(TREE_PREFIX):].isdigit() and not _alive(int(name[len(TREE_PREFIX):]))]
    deadline = time.monotonic() + wait
    while True:
        trees = [tree for tree in trees if not _remove_tree(tree)]
        if not trees or time.monotonic() >= deadline:
            return
        time.sleep(0.05)


def close(wait: float = 2.0) -> None:
    """At the end of a worker's pool: its kernels' cgroups and its folder removed, waiting up to
    ``wait`` seconds for their last processes to exit."""
    _remove_pending(wait)
    if hierarchy.cache_info().currsize and hierarchy() is not None:
        release_worker(os.getpid(), hierarchy(), wait)
