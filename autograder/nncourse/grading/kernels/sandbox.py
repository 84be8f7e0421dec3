"""Grading sandbox: the kernel that runs a submission sees nothing but its own grading folder.

``python -m nncourse.grading.grade_class`` runs one ``nbgrader autograde`` process per submission. That
process (which writes the gradebook) stays outside; the kernel it starts for the learner's code
runs inside Debian's bubblewrap (``bwrap``) with

* its own mount, pid, network, ipc and uts namespaces (and user namespace: see "Who runs it"),
  no capabilities, no new privileges;
* a file system of read-only binds: the system (``/usr``, ``/etc``), the Python installation, the
  venv, the course package and the MNIST data. Writable: only the submission's own
  ``autograded/<student>/<lesson>/`` (mounted at ``/grading/<lesson>``) and a private, empty,
  size-limited ``/tmp``. Nothing else exists in there: no other learner, no gradebook, no
  ``solutions/``, no home folder, no ``/run`` sockets;
* no network at all: the namespace has only its own loopback, so even ``127.0.0.1`` is not the
  grader's. nbgrader reaches the kernel over ZMQ's ``ipc`` transport instead: unix sockets in a
  private folder that is bound into the sandbox at the same path;
* an environment built from an allow-list (no database URL, token or password gets in);
* limits: processes (RLIMIT_NPROC, counted per sandbox), file size, the size of ``/tmp`` and
  ``/dev/shm``; the address-space limit that ``grade_class`` puts on nbgrader is inherited (per
  process). Per submission: a root grader puts the whole kernel tree in a memory cgroup of its
  own (nncourse.grading.kernels.cgroups: tmpfs and memfd pages count too), and a pool kernel's writable
  folder is a tmpfs of ``work_mb`` beyond the submission's own files (:func:`mount_work_tmpfs`).
  An ordinary grader has no memory cgroup (RLIMIT_AS per process instead); its pool kernel's
  folder is a tmpfs that bwrap makes inside the user namespace, with SUBMISSION_ROOM for the
  submission's files (or a larger submission's size) plus ``work_mb``
  (:meth:`SandboxProvisioner.kernel_folder`);
* a seccomp filter (nncourse.grading.kernels.seccomp_filter): no new namespaces, no mount, io_uring,
  userfaultfd, bpf, keyctl, ptrace, module or kexec loading;
* a pid namespace: when the kernel ends, the kernel of the host kills every process the
  submission started, daemons included. ``--die-with-parent`` does the same if the grader (nbgrader, or a
  grading worker) dies.

Who runs it: an ordinary grader's bwrap makes a user namespace (uid 1000 inside). A root
grader's bwrap builds the namespaces with root's rights and the kernel then drops, through
``setpriv``, to an unprivileged uid of its own (one per kernel: :func:`sandbox_uid`) with no
capabilities, an empty bounding set and no_new_privs. Inside a user namespace made by root the
learner's code would own every root-owned file and be exempt from RLIMIT_NPROC; a uid per
kernel also keeps one fork bomb from using up another kernel's processes.

Pool kernels are not exec'd in there but forked in: bwrap runs a waiter, and the worker's zygote
(nncourse.grading.kernels.zygote) forks a process that joins the namespaces bwrap made (for an ordinary
grader, the user namespace that owns them first), drops to the same uid, capabilities and
limits, and runs ipykernel.

It plugs into nbgrader through its own extension points: ``SandboxedExecute``
(nncourse.grading.nbgrader_plugins.judged_execute; its subclass ``JudgedExecute`` replaces nbgrader's ``Execute``
preprocessor in ``Autograde.autograde_preprocessors``, autograder/nbgrader_config.py), when
``SandboxedExecute.sandbox`` is on (grade_class turns it on), starts kernels with
:class:`SandboxedKernelManager`, a jupyter_client ``AsyncKernelManager``, or, in a grading worker,
takes one the worker started ahead of time (nncourse.grading.kernels.pool). The manager's kernel spec
names jupyter_client's extension point for how a kernel starts, a kernel provisioner:
:class:`SandboxProvisioner` (``nncourse-sandbox``, registered in pyproject.toml), which builds and
cleans up each kernel's sandbox. Neither nbgrader nor jupyter_client is patched.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from importlib.metadata import entry_points
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, Integer, List, Unicode, default

from . import cgroups, seccomp_filter
from .ipc import checked_prefix
from .output import OutputDrain
from .memory_watch import WatchedSandbox
from .warm_kernel import INLINE_BACKEND
from .zygote import WAITER_ARGS, find_waiter

#: The kernel's environment is built from these names only (plus what the kernelspec sets).
ENV_ALLOWED = (
    "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TERM",
    "NBGRADER_EXECUTION",  # nncourse.guard acts only while nbgrader executes
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NNCOURSE_THREADS", "NNCOURSE_PROGRESS", "NNCOURSE_GUARD",
    "NNCOURSE_DATA", "OPENBLAS_NUM_THREADS", "PYTHONHASHSEED", "PYTHONUNBUFFERED", "CUDA_VISIBLE_DEVICES",
)
#: The writable folder's path inside the sandbox: /grading/<lesson>.
WORK_ROOT = "/grading"
SANDBOX_HOME = "/tmp"
MPL_DIR = "/tmp/matplotlib"
DEFAULT_MAX_PROCESSES = 256  # threads count too; a graded kernel runs about 20
DEFAULT_TMP_MB = 512
DEFAULT_FILE_MB = 1024
#: What a pool kernel may write in its folder beyond the submission's own files (MiB; the lessons
#: write nothing there, a saved model of the course is under 1 MiB).
DEFAULT_WORK_MB = 512
#: Room for a submission's files in an ordinary grader's pool kernel, made before it comes (an
#: honest lesson folder holds one notebook of under 1 MiB; a larger submission gets a kernel made
#: for its size).
SUBMISSION_ROOM = 16 * 2**20
#: Files and folders the kernel's folder may hold (its tmpfs's inodes; folder_listing reads 2000).
WORK_INODES = 20_000
#: A root grader runs each kernel's code as its own uid: UID_BASE + (grader pid, kernel number).
UID_BASE = 1_000_000
#: Kernels one grader process may have at once (the running one, warm ones, one shutting down).
UIDS_PER_PROCESS = 8

FIX_HINT = (
    "고치는 법 / fix: `make system-deps` (= sudo apt-get install bubblewrap). 사용자 네임스페이스가 "
    "꺼져 있다면 / if user namespaces are disabled: `sudo sysctl -w user.max_user_namespaces=15000`, "
    "`sudo sysctl -w kernel.unprivileged_userns_clone=1` (older Debian), Ubuntu 23.10+: "
    "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`; in a container: run it with "
    "user namespaces allowed (e.g. Docker `--security-opt seccomp=unconfined`)."
)


def bwrap_path() -> str | None:
    """bwrap, or the program NNCOURSE_BWRAP names (the tests use it to see a missing one)."""
    chosen = os.environ.get("NNCOURSE_BWRAP")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return shutil.which("bwrap") or shutil.which("bwrap", path="/usr/bin:/bin:/usr/local/bin")


_kernels_started = itertools.count()


def sandbox_uid() -> int | None:
    """A fresh host uid for the next kernel when the grader is root (None otherwise).

    One uid per kernel, so that RLIMIT_NPROC (counted per uid) is this submission's alone: a
    fork bomb in one kernel takes nothing from the warm kernel waiting for the next learner, nor
    from another worker's. A long-lived worker reuses its uids round-robin, UIDS_PER_PROCESS
    kernels apart.
    """
    if os.geteuid() != 0:
        return None
    slot = next(_kernels_started) % UIDS_PER_PROCESS
    return UID_BASE + (os.getpid() % 2**22) * UIDS_PER_PROCESS + slot


class SandboxError(RuntimeError):
    pass


def _tool(name: str) -> str:
    found = shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin")
    if found is None:
        raise SandboxError(f"{name} (util-linux) 가 없습니다 / {name} (util-linux) is missing")
    return found


def nncourse_dir() -> str:
    import nncourse

    return str(Path(nncourse.__file__).resolve().parent)


def _ro_binds() -> list[str]:
    """The system, the Python installation, the venv, the course package and the MNIST data."""
    from nncourse.data import find_mnist_dir

    args = []
    seen = []
    for top in ("/usr", "/etc"):
        args += ["--ro-bind", top, top]
        seen.append(top)
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):  # Debian's merged /usr
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
            seen.append(top)
    package = nncourse_dir()
    try:
        data = str(find_mnist_dir(Path(package)).resolve())
    except Exception:  # the kernel then says what is missing, as it would outside
        data = None
    venv_bin = os.path.join(sys.prefix, "bin")
    for path in (sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable)),
                 package, data):
        if not path:
            continue
        path = os.path.realpath(path)
        if not any(path == s or path.startswith(s + os.sep) for s in seen):
            args += ["--ro-bind", path, path]
            seen.append(path)
    if not any(venv_bin == s or venv_bin.startswith(s + os.sep) for s in seen):
        args += ["--ro-bind", venv_bin, venv_bin]  # a venv reached through a symlink
    import site

    for packages in site.getsitepackages():  # a venv whose site-packages is a link to another one's
        real = os.path.realpath(packages)
        if os.path.isdir(real) and not any(real == s or real.startswith(s + os.sep) for s in seen):
            args += ["--ro-bind", real, real]
            seen.append(real)
    for name in sorted(os.listdir("/dev")):
        if name.startswith("nvidia"):  # CUDA devices, when the grader has a GPU
            args += ["--dev-bind-try", f"/dev/{name}", f"/dev/{name}"]
    return args


def bwrap_command(workdir: Path, lesson_dir: str, runtime_dir: Path | None, limits: dict[str, int],
                  seccomp_fd: int, fontlists: list[Path] = (), uid: int | None = None,
                  work_tmpfs_bytes: int | None = None) -> list[str]:
    """The command line (up to the kernel's own) that runs a submission's kernel in bwrap.

    ``seccomp_fd``: where bwrap reads the seccomp filter (:func:`seccomp_filter.program_fd`;
    the caller passes it to bwrap and closes it). ``uid``: the unprivileged uid a root grader
    drops to (:func:`sandbox_uid`); None for an ordinary grader. ``work_tmpfs_bytes``: the
    kernel's folder is a tmpfs of that size that bwrap makes inside (an ordinary grader's pool
    kernel: :meth:`SandboxProvisioner.kernel_folder`) instead of ``workdir`` bound in.
    """
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxError("bwrap 가 없습니다 / bwrap is not installed")
    prlimit = [_tool("prlimit"), f"--nproc={limits['processes']}",
               f"--fsize={limits['file_mb'] * 2**20}", "--"]
    # The filter is loaded right before bwrap execs the command (setpriv, prlimit, the kernel)
    command = [bwrap, "--die-with-parent", "--new-session", "--hostname", "grading", "--seccomp", str(seccomp_fd)]
    if uid is None:
        # An ordinary user: a user namespace gives the rest; RLIMIT_NPROC, set inside it, counts
        # this sandbox's processes only.
        command += ["--unshare-all", "--unshare-user", "--disable-userns", "--uid", "1000", "--gid", "1000"]
        inner = prlimit
    else:
        # root: bwrap builds the namespaces with root's rights, then the kernel drops to an
        # unprivileged uid with no capabilities and no new privileges. (In a user namespace
        # made by root, root's uid would own every file and be exempt from RLIMIT_NPROC.)
        command += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                    "--unshare-cgroup-try",
                    "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
        inner = [_tool("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", *prlimit]
    # The private /tmp first: a venv or course under the grader's /tmp is then bound on top of
    # it instead of being hidden by it.
    command += ["--proc", "/proc", "--dev", "/dev",
                "--size", str(limits["tmp_mb"] * 2**20), "--tmpfs", "/tmp", "--chmod", "1777", "/tmp",
                "--size", str(64 * 2**20), "--tmpfs", "/dev/shm", "--chmod", "1777", "/dev/shm",
                "--dir", MPL_DIR, "--chmod", "1777", MPL_DIR]
    command += _ro_binds()
    for fontlist in fontlists:  # matplotlib's font cache: saves building it in every kernel
        command += ["--ro-bind", str(fontlist), f"{MPL_DIR}/{fontlist.name}"]
    if runtime_dir is not None:
        command += ["--bind", str(runtime_dir), str(runtime_dir)]
    inside = f"{WORK_ROOT}/{lesson_dir}"
    if work_tmpfs_bytes is None:
        command += ["--bind", str(workdir), inside]
    else:
        command += ["--size", str(work_tmpfs_bytes), "--tmpfs", inside, "--chmod", "0700", inside]
    # The sandbox's own root (a tmpfs the user owns in a user namespace) must not be writable
    # memory outside the size-limited /tmp.
    command += [*_open_parents(command), "--remount-ro", "/", "--chdir", inside, "--", *inner]
    return command


def _open_parents(command: list[str]) -> list[str]:
    """--chmod 0755 for the folders bwrap made above the mount points (it makes them 0700)."""
    binds = [command[i + 2] for i, arg in enumerate(command)
             if arg in ("--ro-bind", "--bind", "--dev-bind-try")]
    # mount points and folders made with a mode of their own
    keep = {"/", "/tmp", "/dev", "/proc", *(command[i + 1] for i, arg in enumerate(command) if arg == "--dir")}
    parents = set()
    for mount in binds:
        for parent in map(str, Path(mount).parents):
            if parent not in keep and not any(parent == m or parent.startswith(m + "/") for m in binds):
                parents.add(parent)
    return [arg for parent in sorted(parents) for arg in ("--chmod", "0755", parent)]


# -- the kernel's folder on a tmpfs of its own (a root grader's pool kernels) -------------------

_libc = ctypes.CDLL(None, use_errno=True)
MS_NOSUID, MS_NODEV, MS_REMOUNT = 0x2, 0x4, 0x20
MNT_DETACH = 0x2
#: said once per worker when the folder cannot be a tmpfs
_tmpfs_problem_said = False


def _mount(source: bytes | None, target: Path, fstype: bytes | None, flags: int, options: str) -> None:
    if _libc.mount(source, os.fsencode(target), fstype, ctypes.c_ulong(flags), options.encode()) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def mount_work_tmpfs(folder: Path, size: int, remount: bool = False) -> None:
    """Make ``folder`` a tmpfs of ``size`` bytes (or change the size of the one it is): no
    setuid, no devices, WORK_INODES entries. Its pages are charged to the memory cgroup of the
    process that writes them (the kernel's, nncourse.grading.kernels.cgroups)."""
    flags = MS_NOSUID | MS_NODEV | (MS_REMOUNT if remount else 0)
    _mount(b"tmpfs", folder, b"tmpfs", flags, f"size={size},nr_inodes={WORK_INODES},mode=0700")


def unmount(folder: Path) -> None:
    """Detach the mount at ``folder`` (its pages go once nothing uses them)."""
    if _libc.umount2(os.fsencode(folder), MNT_DETACH) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"umount {folder}: {os.strerror(errno)}")


def _used_bytes(folder: Path) -> int:
    info = os.statvfs(folder)
    return (info.f_blocks - info.f_bfree) * info.f_frsize


def _mounts_below(top: Path) -> list[Path]:
    """Mount points at or below ``top`` that this process sees, deepest first."""
    prefix = str(top).rstrip("/") + "/"
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as table:
        for line in table:
            point = cgroups._unescape(line.split()[4])
            if point == str(top) or point.startswith(prefix):
                found.append(Path(point))
    return sorted(found, key=lambda path: len(path.parts), reverse=True)


def release_leftovers(worker_pid: int, scratch: Path | None) -> None:
    """After a grading worker is gone (killed at a timeout, say): its kernels' folders unmounted
    and their cgroups removed, which its own cleanup would have done."""
    if os.geteuid() != 0:
        return
    if scratch is not None:
        try:
            for point in _mounts_below(scratch):
                unmount(point)
        except OSError as error:
            logging.getLogger("nncourse.grading").warning(
                "샌드박스: 커널 폴더의 tmpfs 를 내리지 못했습니다 / sandbox: cannot unmount a kernel's folder: %s", error)
    cgroups.release_worker(worker_pid, wait=2.0)


def kernel_env(env: dict[str, str] | None, extra_allowed: tuple[str, ...] = ()) -> dict[str, str]:
    """The allow-listed part of ``env``, plus what the sandbox itself needs."""
    env = env if env is not None else dict(os.environ)
    kept = {name: env[name] for name in (*ENV_ALLOWED, *extra_allowed) if name in env}
    kept.update({
        "PATH": f"{os.path.join(sys.prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin",
        "HOME": SANDBOX_HOME,
        "USER": "learner", "LOGNAME": "learner",  # getpass.getuser() without a passwd entry
        "MPLCONFIGDIR": MPL_DIR,
        "TMPDIR": "/tmp",
        # The course package where this grader found it (only that folder is bound inside),
        # even when that was through PYTHONPATH rather than the venv's editable install.
        "PYTHONPATH": str(Path(nncourse_dir()).parent),
        # ipykernel would watch this pid and, seeing pid 1 (the sandbox's init) as its parent,
        # exit at once; 1 means "nobody to watch". --die-with-parent does that job.
        "JPY_PARENT_PID": "1",
    })
    if "NNCOURSE_DATA" in kept:
        kept["NNCOURSE_DATA"] = str(Path(kept["NNCOURSE_DATA"]).expanduser().resolve())
    return kept


def _fontlists() -> list[Path]:
    """The grader's own matplotlib font cache, if it has one (same matplotlib as the kernel)."""
    folders = [os.environ.get("MPLCONFIGDIR"),
               os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")]
    found = []
    for folder in filter(None, folders):
        try:
            found += [p for p in Path(folder).glob("fontlist-v*.json") if p.is_file() and not p.is_symlink()]
        except OSError:
            pass
        if found:
            break
    return found


def _chown_tree(top: Path, uid: int, gid: int) -> None:
    """lchown everything below ``top`` (never following a link)."""
    os.lchown(top, uid, gid)
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), uid, gid)


def remove_planted_links(top: Path) -> list[str]:
    """Remove symlinks and special files the learner's code left in its folder.

    nbgrader (as the grader's user) writes the graded notebook there afterwards and
    generate_feedback copies the folder's files to feedback/: a link would make either of them
    write or read wherever it points.
    """
    removed = []
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                os.unlink(path)
                removed.append(os.path.relpath(path, top))
        dirnames[:] = [d for d in dirnames if os.path.isdir(os.path.join(dirpath, d))
                       and not os.path.islink(os.path.join(dirpath, d))]
    return removed


def folder_listing(top: Path) -> dict[str, tuple[int, int]]:
    """relative path → (size, mtime) of every regular file under ``top`` (links not followed;
    at most MAX_ENTRIES: a folder the kernel filled is not walked without end)."""
    listing = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                listing[os.path.relpath(path, top)] = (info.st_size, info.st_mtime_ns)
            if len(listing) >= MAX_ENTRIES:
                return listing
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return listing


def written_since(top: Path, before: dict[str, tuple[int, int]]) -> list[str]:
    """Files under ``top`` that are new or changed since ``before`` (folder_listing)."""
    return sorted(name for name, seen in folder_listing(top).items() if before.get(name) != seen)


#: Most names of files the kernel wrote that one log line lists.
LISTED = 20


class AheadClient(AsyncKernelClient):
    """The client of a pool kernel, connected while the kernel waited for its submission.

    jupyter_client's readiness check ends by reading the kernel's output channel until it has
    been silent for 0.2 s, to be sure the subscription works; this client asks for the kernel's
    info and waits for that request's own status message on the output channel instead, which
    proves the same without the silence (0.2 s per submission). What else was queued there
    belongs to no request of nbclient's and is ignored by it.
    """

    async def _wait_until_ready(self, timeout: float | None = None) -> None:
        timeout = 60.0 if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            request = self.kernel_info()
            reply = await self._reply_to(request, "shell", deadline)
            if reply is not None and await self._reply_to(request, "iopub", time.monotonic() + 1.0):
                self._handle_kernel_info_reply(reply)
                return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _reply_to(self, request: str, channel: str, deadline: float) -> dict | None:
        """The first message on ``channel`` that answers ``request`` before ``deadline``."""
        socket = self.shell_channel if channel == "shell" else self.iopub_channel
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await socket.get_msg(timeout=min(left, 1.0))
            except Empty:
                return None
            if message.get("parent_header", {}).get("msg_id") == request:
                return message
        return None

    wait_for_ready = _wait_until_ready


#: The provisioner's name in the ``jupyter_client.kernel_provisioners`` entry points (pyproject.toml).
PROVISIONER_NAME = "nncourse-sandbox"


class SandboxedKernelManager(AsyncKernelManager):
    """A jupyter_client kernel manager whose kernels start inside bubblewrap, over ZMQ ipc.

    Started by nbgrader (through :class:`SandboxedExecute`) in the submission's own grading folder,
    or ahead of time by the worker's kernel pool (:mod:`nncourse.grading.kernels.pool`) in a private
    empty folder, with ``preload`` naming what to import before the kernel answers. A pool kernel
    is handed one submission (:meth:`receive`): its files are copied in. When the kernel is shut
    down, nothing it wrote reaches nbgrader's grading folder
    (:meth:`SandboxProvisioner.keep_nothing_written`), which then holds what nbgrader put there and
    the graded notebook nbgrader writes.

    The manager holds the settings; its kernel spec names :class:`SandboxProvisioner`, which
    jupyter_client then starts, signals and cleans up each kernel with.
    """

    max_processes = Integer(DEFAULT_MAX_PROCESSES, help="RLIMIT_NPROC inside the sandbox").tag(config=True)
    tmp_mb = Integer(DEFAULT_TMP_MB, help="size of the private /tmp (MiB)").tag(config=True)
    file_mb = Integer(DEFAULT_FILE_MB, help="largest file the kernel may write (MiB)").tag(config=True)
    work_name = Unicode("", help="name of the writable folder inside (default: its own name)").tag(config=True)
    preload = List(Unicode(), help="modules a pool kernel imports before it answers "
                                   "(nncourse.grading.kernels.warm_kernel)").tag(config=True)
    memory_mb = Integer(help="memory of the kernel's whole process tree, MiB (a cgroup of a root grader: "
                             "nncourse.grading.kernels.cgroups); 0: none. Default: $NNCOURSE_SUBMISSION_MEMORY_MB, "
                             "which grade_class sets").tag(config=True)
    work_mb = Integer(DEFAULT_WORK_MB, help="what a pool kernel may write in its folder beyond the "
                                            "submission's files, MiB (a tmpfs); 0: no tmpfs").tag(config=True)
    remove_workdir = Bool(False, help="remove the kernel's folder when it is shut down "
                                      "(a pool kernel's private folder)")
    submission_bytes = Integer(SUBMISSION_ROOM, help="room for the submission's files in a folder bwrap "
                                                     "makes (an ordinary grader's pool kernel), bytes")

    #: the worker's zygote (nncourse.grading.kernels.zygote): the kernel is forked from it into the sandbox
    #: instead of exec'd there (a pool kernel); None: exec'd
    zygote = None

    #: a client whose channels a pool connected while the kernel waited (see connect_ahead)
    _client_ahead = None

    @default("memory_mb")
    def _memory_from_grade_class(self):
        try:
            return int(os.environ.get(cgroups.MEMORY_ENV, cgroups.DEFAULT_MEMORY_MB))
        except ValueError:
            return cgroups.DEFAULT_MEMORY_MB

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            # A signal to bwrap would not reach the kernel in its own session and pid namespace;
            # the interrupt goes as a message and ipykernel signals itself (nbgrader's timeout).
            spec.interrupt_mode = "message"
            spec.metadata["kernel_provisioner"] = {"provisioner_name": PROVISIONER_NAME}
        return spec

    @property
    def memory_cgroup(self) -> cgroups.KernelCgroup | None:
        """The kernel tree's memory cgroup (nncourse.grading.kernels.cgroups), None where there is none."""
        return getattr(self.provisioner, "memory_cgroup", None)

    def release_limits(self) -> None:
        """The kernel never started (or has ended): see :meth:`SandboxProvisioner.release_limits`."""
        if self.provisioner is not None:
            self.provisioner.release_limits()

    def receive(self, grading_dir: Path) -> list[str]:
        """Hand this (pool) kernel one submission: copy nbgrader's grading folder into the
        kernel's own (nothing comes back from it: :meth:`SandboxProvisioner.keep_nothing_written`).
        Returns what was not copied (links, special files)."""
        return self.provisioner.receive(grading_dir)

    def connect_ahead(self) -> None:
        """Connect a client to this (pool) kernel now, while it waits for a submission; nbclient
        gets it from :meth:`client`. A subscription to the kernel's output takes a moment to
        reach the kernel; made now, it is in place when the submission comes, and
        :class:`AheadClient`'s readiness check gets its answer at once."""
        self.client_factory = AheadClient
        self._client_ahead = super().client()
        # only the message channels: nbclient starts the rest (the heartbeat is a thread, which
        # starts once)
        self._client_ahead.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)

    def client(self, **kwargs):
        if self._client_ahead is not None and not kwargs:
            client, self._client_ahead = self._client_ahead, None
            return client
        self._drop_client_ahead()
        return super().client(**kwargs)

    def _drop_client_ahead(self) -> None:
        """Close the connected-ahead client of a kernel that is shut down unused (the pool
        discards warm kernels of a lesson it is done with). A client dropped with its channels
        open leaves its ZMQ context to the garbage collector, whose ``term()`` then waits for
        those sockets forever, in whatever code the collector happened to interrupt (it hung
        a worker in the middle of another submission)."""
        client, self._client_ahead = self._client_ahead, None
        if client is not None:
            client.stop_channels()
            client.context.destroy(linger=0)

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        # AsyncKernelManager binds shutdown_kernel to the base class's coroutine itself.
        self._drop_client_ahead()
        if self.provisioner is not None:
            self.provisioner.take_stock_inside()
            self.provisioner.report_leftovers()
        await super().shutdown_kernel(now=now, restart=restart)


class SandboxProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with the kernel inside bubblewrap: one kernel's sandbox,
    from its folders before the launch to their cleanup after the kernel has ended.

    The settings are its manager's (:class:`SandboxedKernelManager`, the provisioner's parent;
    its kernel spec names this provisioner); what belongs to one kernel is here: its folders, its
    uid, its memory cgroup, its processes. Signals and kills go to bwrap's process group, as
    LocalProvisioner sends them: the kernel, in bwrap's pid namespace, ends with bwrap.
    """

    #: the kernel's private folder: its ZMQ sockets and connection file (bound inside)
    runtime_dir: Path | None = None
    #: the kernel's writable folder, /grading/<lesson> inside
    workdir: Path | None = None
    #: the unprivileged uid a root grader's kernel drops to (sandbox_uid); None otherwise
    uid: int | None = None
    #: a forked kernel's: the host pids of the sandbox's waiter and of the kernel (None: exec'd)
    waiter_pid: int | None = None
    kernel_pid: int | None = None
    #: the kernel tree's memory cgroup (nncourse.grading.kernels.cgroups), None where there is none
    memory_cgroup: cgroups.KernelCgroup | None = None
    #: whether the kernel's folder is a tmpfs mounted here (a root grader's pool kernel)
    work_mounted = False
    #: whether the kernel's folder is a tmpfs bwrap made inside the sandbox, reached from here
    #: through the sandbox's root (an ordinary grader's pool kernel: :meth:`kernel_folder`)
    work_inside = False
    #: an inside folder's files written by the kernel and bytes used, taken before the sandbox ends
    #: (then the folder is gone with it)
    written_inside: list[str] | None = None
    used_inside = 0
    #: what the folder held before the kernel could write (folder_listing; replaced, never changed)
    received: dict[str, tuple[int, int]] = {}
    #: whether this (pool) kernel was handed a submission, and the bytes of its files in the folder
    handed = False
    received_bytes = 0
    #: nbgrader's grading folder of the submission a pool kernel was handed
    grading_dir: Path | None = None

    async def pre_launch(self, **kw):
        km = self.parent
        if self.runtime_dir is None:
            self.runtime_dir = Path(tempfile.mkdtemp(prefix="nncourse-k-"))
        # ZMQ over unix sockets in that folder (no network inside): set before LocalProvisioner
        # has the manager write its connection file
        km.transport = "ipc"
        try:
            km.ip = checked_prefix(str(self.runtime_dir / "zmq"))
        except ValueError as error:
            raise SandboxError(str(error)) from None
        km.connection_file = str(self.runtime_dir / "kernel.json")
        workdir = Path(kw.get("cwd") or os.getcwd())
        if workdir.is_symlink() or not workdir.is_dir():
            raise SandboxError(f"채점 폴더가 폴더가 아닙니다 / not a folder: {workdir}")
        self.workdir = workdir.resolve()
        # What nbgrader put there: nothing else the kernel leaves in this folder is kept.
        self.received = folder_listing(self.workdir)
        self.uid = sandbox_uid()
        if km.remove_workdir and self.uid is not None and km.work_mb > 0 and not self.work_mounted:
            self._mount_work()
        # An ordinary grader cannot mount; bwrap can, in the user namespace it makes.
        self.work_inside = km.remove_workdir and self.uid is None and km.work_mb > 0
        kw = await super().pre_launch(**kw)
        if self.uid is not None:  # the unprivileged sandbox user must own what it may write
            _chown_tree(self.workdir, self.uid, self.uid)
            _chown_tree(self.runtime_dir, self.uid, self.uid)
        kw["env"] = kernel_env(kw["env"], tuple(self.kernel_spec.env))
        if km.preload:  # matplotlib is imported before ipykernel could choose (warm_kernel)
            kw["env"]["MPLBACKEND"] = INLINE_BACKEND
        kw["cwd"] = "/"  # bwrap --chdir sets the kernel's
        kw["independent"] = True  # no JPY_PARENT_PID from the launcher (see kernel_env)
        return kw

    def _mount_work(self) -> None:
        """A pool kernel's (empty, private) folder becomes a tmpfs: what the kernel writes there is
        capped, and in its memory cgroup (:meth:`receive` sizes it to the submission)."""
        global _tmpfs_problem_said
        try:
            mount_work_tmpfs(self.workdir, self.parent.work_mb * 2**20)
        except OSError as error:
            if not _tmpfs_problem_said:
                _tmpfs_problem_said = True
                self.log.warning("디스크: 커널 폴더를 tmpfs 로 만들 수 없어 파일마다의 크기 한도만 적용합니다 / "
                                 "disk: the kernel's folder cannot be a tmpfs (%s); only the per-file size "
                                 "limit applies", error)
            return
        self.work_mounted = True

    def _limits(self) -> dict[str, int]:
        km = self.parent
        return {"processes": km.max_processes, "tmp_mb": km.tmp_mb, "file_mb": km.file_mb}

    def _work_name(self) -> str:
        return self.parent.work_name or self.workdir.name

    def _inside_bytes(self) -> int:
        """The size of an inside folder: room for the submission, and what the kernel may write
        beyond it. A root grader's tmpfs is resized to the submission it receives; this one is made
        before the submission comes and cannot be resized from outside, so it has room for
        ``submission_bytes`` (the pool starts a kernel with more room for a larger submission:
        nncourse.grading.kernels.pool)."""
        return self.parent.submission_bytes + self.parent.work_mb * 2**20

    def kernel_folder(self) -> Path:
        """The kernel's folder as this process reaches it: ``workdir``, or for an inside folder
        the same folder through the sandbox's root (``/proc/<pid>/root``; the grader's uid owns
        the user namespace, so it may). It exists while the sandbox runs."""
        if not self.work_inside:
            return self.workdir
        pid = self.waiter_pid
        if pid is None:  # an exec'd kernel: bwrap's init, pid 1 of the sandbox
            import psutil

            pid = psutil.Process(self.process.pid).children()[0].pid
        return Path(f"/proc/{pid}/root{WORK_ROOT}/{self._work_name()}")

    def _program(self, cmd: list[str]) -> tuple[list[str], list[str] | None]:
        """What bwrap runs, and a forked kernel's ipykernel arguments (None: the kernel is exec'd)."""
        km = self.parent
        if "ipykernel_launcher" not in cmd:
            return cmd, None
        at = cmd.index("ipykernel_launcher")
        if km.zygote is not None:
            # bwrap runs the waiter; the zygote forks the kernel in (launch_kernel)
            return [sys.executable, *WAITER_ARGS], cmd[at + 1:]
        if km.preload:  # the same kernel, imported ahead: see nncourse.grading.kernels.warm_kernel
            return [*cmd[:at], "nncourse.grading.kernels.warm_kernel", f"--preload={','.join(km.preload)}",
                    *cmd[at + 1:]], None
        return cmd, None

    async def launch_kernel(self, cmd: list[str], **kw):
        km = self.parent
        cmd, kernel_argv = self._program(cmd)
        seccomp_fd = seccomp_filter.program_fd()  # bwrap reads the filter from it
        output = None
        try:
            cmd = [*bwrap_command(self.workdir, self._work_name(), self.runtime_dir, self._limits(),
                                  seccomp_fd, _fontlists(), uid=self.uid,
                                  work_tmpfs_bytes=self._inside_bytes() if self.work_inside else None), *cmd]
            self._new_memory_cgroup()
            # bwrap's and the kernel's own output: through a pipe into this process's stderr (the
            # worker's log), never the log file itself (see kernel_output)
            output = OutputDrain(f"kernel {km.work_name or ''}".strip())
            kw.update(stdout=output.write_fd, stderr=output.write_fd, pass_fds=(seccomp_fd,))
            info = await super().launch_kernel(cmd, **kw)
        finally:
            os.close(seccomp_fd)
            if output is not None:
                output.started()
        # Learner code runs only once the kernel is handed a submission (a pool kernel) or sent
        # its first cell: the kernel is in the cgroup by then, and whatever it starts inherits it.
        # An exec'd kernel is below bwrap: its whole tree goes in. A forked kernel is not, and
        # only it goes in: bwrap and the waiter run no learner code, and each move into a v1
        # cgroup costs the host an RCU grace period (5-10 ms).
        if kernel_argv is None:
            self._place(self.process.pid)
            return info
        try:
            self.waiter_pid = find_waiter(self.process.pid)
            self.kernel_pid = km.zygote.spawn({
                # an ordinary grader's kernel keeps its uid, mapped in bwrap's user namespace
                "waiter": self.waiter_pid, "uid": self.uid if self.uid is not None else os.getuid(),
                "gid": self.uid if self.uid is not None else os.getgid(), "limits": self._limits(),
                "env": kw["env"], "cwd": f"{WORK_ROOT}/{self._work_name()}", "argv": kernel_argv,
                "modules": list(km.preload)})
            self._place(self.kernel_pid)
        except BaseException:
            await self.kill()  # bwrap, and its waiter with it
            raise
        return info

    def _new_memory_cgroup(self) -> None:
        self._release_memory_cgroup()
        try:
            self.memory_cgroup = cgroups.KernelCgroup.create(self.parent.memory_mb)
        except OSError as error:
            self.log.warning("메모리: 이 커널의 cgroup 을 만들지 못했습니다 / memory: no cgroup for this kernel: %s",
                             error)
        if self.memory_cgroup is None:  # an ordinary grader, or no memory controller: watched instead
            tmpfs = self.work_inside or self.work_mounted  # (a plain folder's usage is its disk's)
            self.memory_cgroup = WatchedSandbox.create(
                self.parent.memory_mb, f"{WORK_ROOT}/{self._work_name()}" if tmpfs else None)

    def _place(self, pid: int) -> None:
        if self.memory_cgroup is None:
            return
        try:
            # a pool kernel's watch starts with its submission (copy_in); a cgroup caps at once
            self.memory_cgroup.place(pid, now=not self.parent.remove_workdir)
        except OSError as error:
            self.log.warning("메모리: 커널을 cgroup 에 넣지 못했습니다 / memory: cannot put the kernel in its "
                             "cgroup: %s", error)

    def release_limits(self) -> None:
        """The kernel has ended (or never started): its folder's tmpfs unmounted, its memory cgroup
        removed; for a submission's kernel the log says how much of each it used (the margins)."""
        if self.work_inside and self.handed and self.written_inside is not None and self.used_inside:
            self._log_written(self.used_inside)
            self.used_inside = 0
        if self.work_mounted:
            self.work_mounted = False
            if self.handed:
                self._log_written(_used_bytes(self.workdir))
            try:
                unmount(self.workdir)
            except OSError as error:
                self.log.warning("샌드박스: 커널 폴더의 tmpfs 를 내리지 못했습니다 / sandbox: cannot unmount "
                                 "the kernel's folder: %s", error)
        self._release_memory_cgroup()

    def _log_written(self, used: int) -> None:
        """The margin of a submission's kernel folder: what it wrote beyond its files (``used``:
        the folder's bytes in use at the end)."""
        written, work_mb = (used - self.received_bytes) / 2**20, self.parent.work_mb
        self.log.info("디스크: 커널 폴더에 쓴 양 %.1f MiB / 한도 %d MiB / disk: the kernel wrote %.1f MiB "
                      "of its %d MiB in its folder", written, work_mb, written, work_mb)

    def _release_memory_cgroup(self) -> None:
        group, self.memory_cgroup = self.memory_cgroup, None
        if group is None:
            return
        peak = group.peak()
        if peak is not None and (self.handed or not self.parent.remove_workdir):  # a submission's kernel
            self.log.info("메모리: 커널 트리 최대 %.0f MiB / 한도 %.0f MiB / memory: the kernel tree's peak was "
                          "%.0f MiB of its %.0f MiB", peak / 2**20, group.limit / 2**20, peak / 2**20,
                          group.limit / 2**20)
        group.remove()

    def receive(self, grading_dir: Path) -> list[str]:
        """See :meth:`SandboxedKernelManager.receive`."""
        folder = self.kernel_folder()
        skipped = copy_submission(grading_dir, folder, dest_exists_ok=True)
        self.received = folder_listing(folder)
        self.handed = True
        if self.memory_cgroup is not None:
            self.memory_cgroup.watch()
        if self.work_inside:
            self.received_bytes = _used_bytes(folder)
        if self.work_mounted:  # the kernel may write work_mb beyond the submission's own files
            self.received_bytes = _used_bytes(self.workdir)
            try:
                mount_work_tmpfs(self.workdir, self.received_bytes + self.parent.work_mb * 2**20, remount=True)
            except OSError as error:
                self.log.warning("디스크: 커널 폴더의 크기를 바꾸지 못했습니다 / disk: cannot resize the kernel's "
                                 "folder: %s", error)
        if self.uid is not None:
            _chown_tree(self.workdir, self.uid, self.uid)
        self.grading_dir = grading_dir
        return skipped

    def keep_nothing_written(self) -> None:
        """Grading is over: nothing the kernel wrote reaches the grading folder, which nbgrader
        fills with the graded notebook (from the outputs it received, not from a file) and
        generate_feedback copies to the learners. A pool kernel's folder is its own, and is
        simply not copied back; a kernel that ran in nbgrader's grading folder has its new files
        removed. Either way the log names them (a planted ``torch/__init__.py`` or ``nncourse.py``
        would otherwise be imported by whoever opens that notebook later)."""
        target, self.grading_dir = self.grading_dir, None
        if self.work_inside:
            written = self.written_inside or []
        elif self.workdir is None or not self.workdir.is_dir():
            return
        else:
            written = written_since(self.workdir, self.received)
        if target is None:  # the kernel ran in the grading folder itself
            for name in written:
                if name not in self.received:
                    (self.workdir / name).unlink(missing_ok=True)
        if written:
            shown = ", ".join(written[:LISTED]) + (f" (+{len(written) - LISTED})" if len(written) > LISTED else "")
            self.log.warning("샌드박스: 커널이 쓴 파일은 채점 폴더에 두지 않습니다 / sandbox: files the kernel "
                             "wrote stay out of the grading folder: %s", shown)

    def take_stock_inside(self) -> None:
        """An inside folder, before the sandbox ends and takes it along: what the kernel wrote
        there (nothing of it is copied anywhere) and how much of the folder it used."""
        if not self.work_inside or not self.handed or self.written_inside is not None:
            return
        import psutil

        try:
            folder = self.kernel_folder()
            self.written_inside = written_since(folder, self.received)
            self.used_inside = _used_bytes(folder)
        except (OSError, IndexError, psutil.Error):  # the sandbox has ended (killed for its memory, say)
            self.written_inside = []

    def report_leftovers(self) -> None:
        """Log the processes the submission left running: the pid namespace ends them now."""
        import psutil

        if self.process is None:
            return
        try:
            outer = psutil.Process(self.process.pid)
            inits = outer.children()  # bwrap's init, pid 1 of the sandbox
            if self.kernel_pid is not None:
                # forked: the kernel's children, and the orphans bwrap's init adopted
                left = psutil.Process(self.kernel_pid).children(recursive=True)
                left += [p for p in outer.children(recursive=True)
                         if p not in inits and p.pid != self.waiter_pid]
            else:  # exec'd: the kernel under bwrap's init, and what the kernel started
                kernels = [child for init in inits for child in init.children()]
                left = [p for p in outer.children(recursive=True) if p not in inits and p not in kernels[:1]]
            names = sorted({p.name() for p in left})
        except psutil.Error:
            return
        if left:
            self.log.warning("샌드박스: 채점이 끝나 제출물이 남긴 프로세스 %d개를 끝냅니다 / sandbox: grading "
                             "is over, ending %d processes the submission left running: %s",
                             len(left), len(left), ", ".join(names))

    async def cleanup(self, restart: bool = False) -> None:
        # jupyter_client calls this from the manager's cleanup_resources, which nbclient also calls
        # alone for a kernel that died (killed for its memory, say): its folder's tmpfs and its
        # cgroup go here, not only at a shutdown. It may come twice.
        await super().cleanup(restart=restart)
        if restart:
            return
        if self.workdir is not None and self.workdir.is_dir():
            for name in remove_planted_links(self.workdir):
                self.log.warning("샌드박스: 제출물 코드가 만든 링크/특수 파일을 지웠습니다 / "
                                 "sandbox: removed a link or special file the submission made: %s", name)
            if self.uid is not None:
                _chown_tree(self.workdir, os.geteuid(), os.getegid())
            self.keep_nothing_written()
        self.release_limits()
        if self.parent.remove_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if self.runtime_dir is not None:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
            self.runtime_dir = None


def sandbox_problem() -> str | None:
    """Why a sandbox cannot start here (None when it can): the real flags, running Python."""
    if not entry_points(group="jupyter_client.kernel_provisioners", name=PROVISIONER_NAME):
        return (f"커널 프로비저너 {PROVISIONER_NAME} 가 등록되어 있지 않습니다 / the {PROVISIONER_NAME} kernel "
                "provisioner is not registered: `make setup` (pip install -e .)")
    if bwrap_path() is None:
        return "bubblewrap (bwrap) 가 설치되어 있지 않습니다 / bubblewrap (bwrap) is not installed"
    with tempfile.TemporaryDirectory(prefix="nncourse-check-") as scratch:
        work = Path(scratch) / "work"
        work.mkdir()
        seccomp_fd = None
        try:
            uid = sandbox_uid()
            if uid is not None:
                _chown_tree(work, uid, uid)
            seccomp_fd = seccomp_filter.program_fd()
            command = bwrap_command(work, "check", None, {"processes": DEFAULT_MAX_PROCESSES,
                                                          "tmp_mb": 16, "file_mb": 16}, seccomp_fd, uid=uid)
            result = subprocess.run([*command, sys.executable, "-c", "open('ok', 'w').write('ok')"],
                                    capture_output=True, text=True, timeout=60, cwd="/",
                                    env=kernel_env({}), pass_fds=(seccomp_fd,))
        except (SandboxError, OSError, subprocess.TimeoutExpired) as error:
            return str(error)
        finally:
            if seccomp_fd is not None:
                os.close(seccomp_fd)
        if result.returncode != 0 or not (work / "ok").is_file():
            detail = (result.stderr or result.stdout).strip().splitlines()
            return "bwrap: " + (detail[-1] if detail else f"exit code {result.returncode}")
    return None


def refusal_message(problem: str) -> str:
    return (
        "채점 샌드박스를 시작할 수 없어 채점하지 않습니다. 학습자 코드는 샌드박스 안에서만 실행합니다.\n"
        f"  원인: {problem}\n"
        "The grading sandbox cannot start, so nothing was graded: learners' code only runs inside it.\n"
        f"  reason: {problem}\n"
        f"{FIX_HINT}\n"
        "모든 제출물을 믿을 수 있을 때만 --no-sandbox 로 샌드박스 없이 채점할 수 있습니다 / "
        "only if you trust every submission: --no-sandbox grades without it."
    )


# -- copying a submission for grading ---------------------------------------------------------

#: A file larger than this is not copied for grading (the course's notebooks are < 5 MB).
MAX_FILE_BYTES = 100 * 2**20
MAX_TOTAL_BYTES = 500 * 2**20
MAX_ENTRIES = 2000


def _name_problem(name: str) -> str | None:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "UTF-8 이 아닌 이름 / name is not UTF-8"
    if ".." in name or "\\" in name:
        return "이름에 '..' 또는 '\\' / name contains '..' or a backslash"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "이름에 제어 문자 / control character in the name"
    return None


def copy_submission(source: Path, dest: Path, dest_exists_ok: bool = False) -> list[str]:
    """Copy one submission folder for grading, treating it as hostile input.

    Symlinks are never followed (they are skipped), nor are special files, hard-linked files,
    files over MAX_FILE_BYTES, names with '..', a backslash, control characters or bytes that
    are not UTF-8. Returns one line per skipped entry, for the submission's log.
    """
    skipped: list[str] = []
    total = 0
    entries = 0
    src_fd = os.open(source, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        dest.mkdir(parents=True, exist_ok=dest_exists_ok)
        stack = [(src_fd, dest, "")]
        while stack:
            dir_fd, target, rel = stack.pop()
            try:
                for entry in os.scandir(dir_fd):
                    entries += 1
                    shown = f"{rel}{os.fsdecode(entry.name) if isinstance(entry.name, bytes) else entry.name}"
                    if entries > MAX_ENTRIES:
                        skipped.append(f"{rel}*: 파일이 너무 많습니다 / more than {MAX_ENTRIES} entries")
                        break
                    problem = _name_problem(entry.name)
                    if problem:
                        skipped.append(f"{ascii(shown)}: {problem}")
                        continue
                    info = os.stat(entry.name, dir_fd=dir_fd, follow_symlinks=False)
                    if stat.S_ISLNK(info.st_mode):
                        skipped.append(f"{shown}: 심볼릭 링크는 따라가지 않습니다 / symlink not followed")
                    elif stat.S_ISDIR(info.st_mode):
                        child = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
                        (target / entry.name).mkdir()
                        stack.append((child, target / entry.name, f"{shown}/"))
                    elif not stat.S_ISREG(info.st_mode):
                        skipped.append(f"{shown}: 일반 파일이 아닙니다 / not a regular file")
                    elif info.st_nlink > 1:
                        skipped.append(f"{shown}: 하드 링크 / hard-linked file")
                    elif info.st_size > MAX_FILE_BYTES:
                        skipped.append(f"{shown}: 너무 큰 파일 ({info.st_size / 2**20:.0f} MiB > "
                                       f"{MAX_FILE_BYTES // 2**20} MiB) / file too large")
                    elif total + info.st_size > MAX_TOTAL_BYTES:
                        skipped.append(f"{shown}: 제출물 전체가 {MAX_TOTAL_BYTES // 2**20} MiB 를 넘습니다 / "
                                       "submission too large")
                    else:
                        total += info.st_size
                        _copy_file(dir_fd, entry.name, target / entry.name, info)
            finally:
                os.close(dir_fd)
    except BaseException:
        while stack:
            os.close(stack.pop()[0])
        raise
    return skipped


def _copy_file(dir_fd: int, name: str, dest: Path, info: os.stat_result) -> None:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "rb", closefd=False) as reader, open(dest, "xb") as writer:
            shutil.copyfileobj(reader, writer, 2**20)
    finally:
        os.close(fd)
    # keep the times: nbgrader and grade_class compare submission times
    os.utime(dest, ns=(info.st_atime_ns, info.st_mtime_ns))


__all__ = ["PROVISIONER_NAME", "SandboxedKernelManager", "SandboxError", "SandboxProvisioner", "copy_submission",
           "refusal_message", "sandbox_problem"]
