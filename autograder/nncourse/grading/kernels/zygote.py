"""Kernels forked from one process that has already imported what the lessons import.

    python -m nncourse.grading.kernels.zygote --preload=torch,nncourse,...   (started by the kernel pool)

Starting a kernel costs about 2.3 s of CPU before the learner's first cell (Python, ipykernel,
torch, the course package, MNIST), 3.6 s for a lesson that makes an optimizer (``torch._dynamo``).
A grading worker (nncourse.grading.kernels.pool) therefore keeps one *zygote*: a process, started once
with the kernels' own allow-listed environment, that imports all of that and then only forks. Each
fork becomes one submission's kernel, in copy-on-write memory: its start costs milliseconds, and
nothing it does reaches the zygote or the next kernel.

The sandbox is still bubblewrap's. For each kernel the kernel manager starts ``bwrap`` exactly as
for a kernel of its own (nncourse.grading.kernels.sandbox.bwrap_command), but the program bwrap runs, as
the sandbox's unprivileged uid under bwrap's own init, is :data:`WAITER`, which only sleeps. The
zygote then forks; the child

1. closes every file descriptor of the zygote's (its pipes to the worker) except stderr;
2. joins the namespaces bwrap made for that sandbox (``setns``: cgroup, ipc, uts, net, pid and
   mount) and its root (``chroot`` into ``/proc/<waiter>/root``);
3. drops to the sandbox's uid and gid with no supplementary groups, an empty capability bounding
   set, no capabilities at all (effective, permitted, inheritable, ambient) and no_new_privs,
   takes the same limits as ``prlimit`` gives an exec'd kernel (processes, file size) and loads
   the seccomp filter bwrap gives an exec'd kernel (nncourse.grading.kernels.seccomp_filter, built once
   in the zygote);
4. forks once more, so that the kernel is inside the sandbox's pid namespace, and waits for it;
   when the kernel ends it kills the waiter: bwrap's init then ends, and with it the pid
   namespace and every process the submission left behind, as for an exec'd kernel. If the
   worker dies, ``--die-with-parent`` ends the sandbox, kernel included.

The kernel itself (the grandchild) first reads its own ``/proc/self/status`` back and refuses to
go on unless every privilege is gone and the filter is in place, then starts a new session, takes the kernel's environment,
reseeds the random generators it inherited, and runs ipykernel as ``python -m ipykernel_launcher``
would.

A root grader's sandbox has no user namespace and one uid per kernel
(nncourse.grading.kernels.sandbox.sandbox_uid). An ordinary grader's (#28) lives in the user namespace
bwrap makes, owned by the grader's uid (with the waiter in a second one nested inside it,
``--disable-userns``): the child joins the owning user namespace first (as its creator's uid one
level up, it holds every capability there, which setns into the others needs), then the other
namespaces, then the nested one; it keeps the grader's uid, as bwrap maps it inside, and drops
every capability, the bounding set included, as above. Its supplementary groups cannot be
dropped there (setgroups is denied in such a namespace, for bwrap's own kernels too); they are
the grader's own, never root's. Without root there is no memory cgroup: the worker watches the
sandbox's memory instead (nncourse.grading.kernels.memory_watch), and the kernel's folder is a tmpfs
bwrap makes (nncourse.grading.kernels.sandbox). The zygote never runs a
learner's code itself, and no submission's data passes through it: it reads requests from the
worker only.

A *plain* zygote (``--plain``; nncourse.grading.kernels.fork_provisioner) forks kernels with no sandbox at
all, for what runs unsandboxed anyway (the maintainer's tools, the tests' ``nbgrader validate``):
the child takes a new session, the kernel's environment and folder, and runs ipykernel. A zygote
serves one kind only: a plain one refuses a request that names a sandbox, and a sandbox's refuses
one that does not, so a learner's kernel in the grader can never be forked unsandboxed.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import seccomp_filter
from .output import LIMIT, OutputDrain

#: The program bwrap runs (as the sandbox's uid, under bwrap's own pid 1, which keeps
#: --die-with-parent) while the kernel is forked in and as long as it runs. Killing it ends bwrap's
#: init and with it the pid namespace.
WAITER = "import signal\nwhile True:\n    signal.pause()\n"
#: The waiter's command line after the interpreter.
WAITER_ARGS = ["-I", "-S", "-c", WAITER]
#: Namespaces the kernel joins, in this order (the mount namespace last: /proc is read before).
NAMESPACES = ("cgroup", "ipc", "uts", "net", "pid", "mnt")
SPAWN_TIMEOUT = 60.0

# prctl(2) options and capset(2)'s header version
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522


#: loads the sandbox's seccomp filter into a forked child (a sandbox's zygote sets it up once)
_load_filter = None
#: whether the forked child joined a user namespace (an ordinary grader's sandbox), and the
#: waiter's uid and gid maps, read before joining it
_in_user_namespace = False
_maps: dict[str, str] = {}
#: ioctl(2) on a namespace file: the user namespace that owns it (linux/nsfs.h)
NS_GET_USERNS = 0xB701


class ZygoteError(RuntimeError):
    pass


# -- the client: used by the kernel pool in the grading worker ----------------------------------

class Zygote:
    """One zygote process and the pipe pair to it (JSON lines)."""

    def __init__(self, modules: list[str], env: dict[str, str], cwd: Path, plain: bool = False):
        self.modules = list(modules)
        # Its stderr, which every kernel it forks inherits as stdout and stderr: for sandboxed
        # kernels a pipe into the worker's log, never the log file (see kernel_output); a plain
        # zygote's kernels write where a kernel started without the sandbox would, this process's.
        output = None if plain else OutputDrain("zygote/kernel", limit=16 * LIMIT)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nncourse.grading.kernels.zygote", f"--preload={','.join(self.modules)}",
                 *(["--plain"] if plain else [])],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=output.write_fd if output else None,
                env=env, cwd=str(cwd), text=True, bufsize=1)
        finally:
            if output:
                output.started()
        ready = self._answer(SPAWN_TIMEOUT)
        if not ready.get("ready"):
            raise ZygoteError(f"zygote did not start: {ready}")
        #: the zygote's threads when it was ready: it forks safely only with one
        self.threads = ready.get("threads")

    def _answer(self, timeout: float) -> dict:
        readable, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if readable else ""
        if not line:
            self.close()
            raise ZygoteError("zygote gave no answer" if readable else f"zygote silent for {timeout:.0f} s")
        return json.loads(line)

    def spawn(self, request: dict) -> int:
        """Fork one kernel into the sandbox whose waiter is ``request['waiter']`` (a plain zygote:
        no sandbox, no waiter); returns the host pid of the kernel."""
        if self.process.poll() is not None:
            raise ZygoteError(f"zygote exited ({self.process.returncode})")
        self.process.stdin.write(json.dumps(request) + "\n")
        answer = self._answer(SPAWN_TIMEOUT)
        if "error" in answer:
            raise ZygoteError(answer["error"])
        return int(answer["kernel"])

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


def find_waiter(bwrap_pid: int, timeout: float = 30.0) -> int:
    """The host pid of the waiter bwrap started (once it runs: namespaces made, uid dropped)."""
    import psutil

    outer = psutil.Process(bwrap_pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            for child in outer.children(recursive=True):
                if child.cmdline()[1:] == WAITER_ARGS:  # bwrap's own command line ends the same
                    return child.pid
        except psutil.NoSuchProcess:
            raise ZygoteError("bwrap exited before its waiter started") from None
        except (psutil.Error, IndexError):
            pass
        time.sleep(0.003)
    raise ZygoteError(f"no waiter in bwrap {bwrap_pid} after {timeout:.0f} s")


# -- the zygote process ------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _prctl(option: int, arg: int = 0, what: str = "prctl") -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0),
                       ctypes.c_ulong(0)), what)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _clear_capabilities() -> None:
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def _status() -> dict[str, str]:
    with open("/proc/self/status", encoding="ascii") as status:
        return dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)


def _enter(request: dict) -> None:
    """In the forked child: join the sandbox of ``request['waiter']`` and drop every privilege."""
    waiter = int(request["waiter"])
    with open(f"/proc/{waiter}/cmdline", "rb") as cmdline:
        arguments = [part.decode() for part in cmdline.read().split(b"\0")[1:-1]]
    with open(f"/proc/{waiter}/status", encoding="ascii") as status:
        owner = next(line.split()[1:] for line in status if line.startswith("Uid:"))
    if arguments != WAITER_ARGS or owner != [str(request["uid"])] * 4:
        raise ZygoteError(f"pid {waiter} is not the waiter of a sandbox for uid {request['uid']}")
    with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as last:
        last_cap = int(last.read())
    global _in_user_namespace, _maps
    _in_user_namespace = os.stat(f"/proc/{waiter}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino
    if _in_user_namespace:  # read from outside, before joining: how the grader's ids look inside
        _maps = {kind: open(f"/proc/{waiter}/{kind}_map", encoding="ascii").read() for kind in ("uid", "gid")}
    uid, gid = int(request["uid"]), int(request["gid"])
    if uid == 0 or gid == 0:
        raise ZygoteError("a kernel never runs as root")
    if _in_user_namespace and (os.geteuid() == 0 or uid != os.getuid()):
        # bwrap makes a user namespace only for an ordinary grader, and keeps its uid there
        raise ZygoteError("a user namespace sandbox is an ordinary grader's, for its own uid")
    joined = []
    for name in NAMESPACES:
        theirs = f"/proc/{waiter}/ns/{name}"
        if os.stat(theirs).st_ino != os.stat(f"/proc/self/ns/{name}").st_ino:
            joined.append((name, os.open(theirs, os.O_RDONLY | os.O_CLOEXEC)))
    missing = {"pid", "mnt", "net", "ipc", "uts"} - {name for name, _ in joined}
    if missing:
        raise ZygoteError(f"the sandbox shares these namespaces with the grader: {sorted(missing)}")
    if _in_user_namespace:
        # An ordinary grader: bwrap made a user namespace that owns the others (this process, its
        # creator's uid one level up, holds every capability there) and may have nested a second
        # one inside it, where the waiter lives. Join the owner first, so that setns into the
        # others is allowed, and the waiter's own last.
        owner = fcntl.ioctl(joined[-1][1], NS_GET_USERNS)
        waiters = os.open(f"/proc/{waiter}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        nested = os.fstat(waiters).st_ino != os.fstat(owner).st_ino
        joined = [("user", owner), *joined, *([("user (nested)", waiters)] if nested else [])]
        if not nested:
            os.close(waiters)
    root = os.open(f"/proc/{waiter}/root", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    for name, fd in joined:
        _check(_libc.setns(fd, 0), f"setns {name}")
        os.close(fd)
    os.fchdir(root)
    os.chroot(".")
    os.close(root)
    os.chdir(request["cwd"])

    if _in_user_namespace:
        # the ids inside: bwrap maps the grader's own uid and gid to other numbers there
        uid, gid = _inside_ids(request)
    else:  # in a user namespace of an ordinary user, setgroups is denied (as for bwrap's kernels)
        os.setgroups([])
    for cap in range(last_cap + 1):
        _prctl(PR_CAPBSET_DROP, cap, "drop bounding capability")
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, "clear ambient capabilities")
    _clear_capabilities()
    _prctl(PR_SET_NO_NEW_PRIVS, 1, "no_new_privs")
    _prctl(PR_SET_DUMPABLE, 1, "dumpable")  # as after an exec: the kernel may read its own /proc
    import resource

    limits = request["limits"]
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_mb"] * 2**20,) * 2)
    # last: the filter refuses setns, which joined the namespaces above
    if _load_filter is None:
        raise ZygoteError("no seccomp filter: only a sandbox's zygote forks sandboxed kernels")
    _load_filter()


def _inside_ids(request: dict) -> tuple[int, int]:
    """The grader's uid and gid as the waiter's user namespace maps them (bwrap's --uid/--gid):
    each line of a map is ``<first inside> <first outside> <count>``."""
    found = []
    for kind in ("uid", "gid"):
        outside, inside = int(request[kind]), None
        for line in _maps[kind].splitlines():
            first_inside, first_outside, count = (int(part) for part in line.split())
            if first_outside <= outside < first_outside + count:
                inside = first_inside + outside - first_outside
        if inside is None:
            raise ZygoteError(f"the sandbox does not map the grader's {kind} {outside}")
        found.append(inside)
    if 0 in found:
        raise ZygoteError("a kernel never runs as root, in its namespace either")
    return found[0], found[1]


def _verify(request: dict) -> None:
    """In the kernel process (inside the pid namespace, where /proc/self is its own): refuse to
    go on unless every privilege is gone."""
    uid, gid = _inside_ids(request) if _in_user_namespace else (int(request["uid"]), int(request["gid"]))
    status = _status()
    wanted = {"Uid": f"{uid}\t{uid}\t{uid}\t{uid}", "Gid": f"{gid}\t{gid}\t{gid}\t{gid}",
              "Groups": "", "NoNewPrivs": "1", "CapInh": "0" * 16, "CapPrm": "0" * 16,
              "CapEff": "0" * 16, "CapBnd": "0" * 16, "CapAmb": "0" * 16,
              "Seccomp": "2"}  # 2: a filter (the zygote itself has none, so it is ours)
    if _in_user_namespace:
        # An ordinary grader's groups cannot be dropped in its user namespace (setgroups is denied
        # there, for bwrap's exec'd kernels too); they are the grader's own, never root's.
        groups = status.get("Groups", "").split()
        if "0" in groups:
            raise ZygoteError("a kernel never keeps the root group")
        del wanted["Groups"]
    wrong = {key: status.get(key, "").strip() for key, value in wanted.items()
             if status.get(key, "").strip() != value}
    if wrong:
        raise ZygoteError(f"privileges not dropped: {wrong}")


def _become_kernel(request: dict, status_fd: int, plain: bool = False) -> None:
    """In the forked child (never returns): enter the sandbox, fork the kernel, wait for it; a
    plain zygote's child is the kernel itself."""
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)  # the kernel's own output goes where the zygote's stderr goes (a pipe to the worker's log)
    os.closerange(3, status_fd)
    os.closerange(status_fd + 1, os.sysconf("SC_OPEN_MAX"))
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote ignores it; this child waits
    if plain:
        try:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, "parent death signal")  # ends with the zygote
            os.chdir(request["cwd"])
        except OSError as error:
            os.write(status_fd, json.dumps({"error": f"{type(error).__name__}: {error}"}).encode() + b"\n")
            os._exit(70)
        os.write(status_fd, json.dumps({"kernel": os.getpid()}).encode() + b"\n")
        _run_kernel(request, status_fd, verify=False)  # never returns
    try:
        _enter(request)
        kernel = os.fork()
    except BaseException as error:  # noqa: BLE001 - said to the worker, then this child ends
        os.write(status_fd, json.dumps({"error": f"{type(error).__name__}: {error}"}).encode() + b"\n")
        os._exit(70)
    if kernel == 0:
        _run_kernel(request, status_fd)  # never returns
    os.write(status_fd, json.dumps({"kernel": kernel}).encode() + b"\n")
    os.close(status_fd)
    code = 0
    try:
        _, wait_status = os.waitpid(kernel, 0)
        code = os.waitstatus_to_exitcode(wait_status)
    finally:
        try:  # the sandbox ends with its kernel: the pid namespace takes every leftover with it
            os.kill(int(request["waiter"]), signal.SIGKILL)
        except OSError:
            pass
        os._exit(code & 0xFF)


def _run_kernel(request: dict, status_fd: int, verify: bool = True) -> None:
    """In the kernel process: a fresh session and environment, then ipykernel."""
    code = 1
    try:
        if verify:
            _verify(request)
    except BaseException as error:  # noqa: BLE001
        os.write(status_fd, json.dumps({"error": f"{type(error).__name__}: {error}"}).encode() + b"\n")
        os._exit(70)
    os.write(status_fd, b'{"ok": true}\n')
    try:
        os.setsid()
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(signum, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(request["env"])
        import random

        random.seed()
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        os.close(status_fd)
        argv = list(request["argv"])
        sys.argv = [sys.argv[0], *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
    finally:
        import atexit

        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def _spawn(request: dict, plain: bool = False) -> dict:
    """Fork one kernel; the answer for the worker."""
    if plain != (request.get("waiter") is None):
        return {"error": "a plain zygote forks only unsandboxed kernels, a sandbox's only sandboxed ones"}
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        _become_kernel(request, write_end, plain)  # never returns
    os.close(write_end)
    answer: dict = {}
    deadline = time.monotonic() + SPAWN_TIMEOUT
    data = b""
    with os.fdopen(read_end, "rb", buffering=0) as reader:
        while time.monotonic() < deadline:
            readable, _, _ = select.select([reader], [], [], max(0.0, deadline - time.monotonic()))
            if not readable:
                break
            chunk = reader.read(4096)
            if not chunk:  # both children closed it: the kernel is about to run ipykernel
                break
            data += chunk
    for line in data.splitlines():
        answer.update(json.loads(line))
    if "error" not in answer and not ("kernel" in answer and answer.get("ok")):
        answer["error"] = f"the forked kernel did not say it runs: {data[-200:]!r}"
    return answer


def serve(modules: list[str], plain: bool = False) -> int:
    from .warm_kernel import preload

    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, "parent death signal")  # never outlive the worker
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    preload(modules)
    from ipykernel import ipkernel, kernelapp  # noqa: F401 - what every kernel imports first

    if not plain:
        global _load_filter
        _load_filter = seccomp_filter.loader(seccomp_filter.program())  # libseccomp once, here

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked children are reaped by the kernel of the host
    threads = len(os.listdir("/proc/self/task"))
    protocol.write(json.dumps({"ready": True, "threads": threads}) + "\n")
    tried = set(modules)  # names that are not modules (a function) are tried once
    for line in sys.stdin:
        request = json.loads(line)
        more = [name for name in request.get("modules", ()) if name not in tried]
        if more:
            preload(more)
            tried.update(more)
        if len(os.listdir("/proc/self/task")) > 1:
            answer = {"error": "the zygote runs threads; it forks only when it has one"}
        else:
            answer = _spawn(request, plain)
        protocol.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    if sys.path[0] == "" or Path(sys.path[0]) == Path.cwd():  # as in warm_kernel
        del sys.path[0]
    from .warm_kernel import split_arguments

    names, rest = split_arguments(sys.argv[1:])
    sys.exit(serve(names, plain="--plain" in rest))
