"""The system calls a learner's kernel may not make: the grading sandbox's seccomp filter.

Namespaces, no network and an unprivileged uid keep a submission away from the grader's files;
what they leave is the host kernel itself. Graded code never needs the kernel's rarer interfaces,
and they are where local privilege escalations are usually found: a new user namespace (full
capabilities inside it, which open mount, netfilter and more), io_uring, userfaultfd, bpf,
perf_event_open, the key store, ptrace. Module and kexec loading need capabilities the kernel does
not have anyway; refusing them costs nothing.

The filter (built with libseccomp, through pyseccomp) allows everything else and refuses these
with EPERM, as a kernel refuses an unprivileged caller. ``clone`` is refused only with a namespace
flag; ``clone3`` passes its flags in memory, where a filter cannot look, so it is refused with
ENOSYS, which makes glibc fall back to ``clone`` (Docker and Flatpak do the same). A system call of
another ABI (32-bit calls on x86-64) ends the process: nothing graded makes one.

Both ways a kernel starts get it before any learner code runs and keep it across every fork and
exec (no_new_privs is set, and a filter cannot be removed):

* exec'd: bubblewrap loads it (``--seccomp FD``, :func:`program_fd`) right before it execs the
  kernel's command (nncourse.grading.kernels.sandbox.bwrap_command);
* forked from the zygote: the child loads the same program (:func:`loader`) once it is inside
  the sandbox's namespaces with its privileges dropped (nncourse.grading.kernels.zygote), and the kernel
  checks that it is there before it runs ipykernel.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
from collections.abc import Callable

#: Refused with EPERM, whatever their arguments.
REFUSED = (
    # new namespaces, or entering another's
    "unshare", "setns",
    # mounting, in every API
    "mount", "umount2", "pivot_root", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount",
    "fspick", "mount_setattr",
    # rarely needed kernel interfaces, frequent in local exploits
    "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd", "bpf", "perf_event_open",
    "keyctl", "add_key", "request_key",
    # another process's memory
    "ptrace", "process_vm_readv", "process_vm_writev",
    # the kernel itself
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
)
#: clone's flags that make a namespace (CLONE_NEWTIME is not among them: in clone's first
#: argument that bit belongs to the exit signal).
CLONE_NAMESPACES = {
    "CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}
#: What a bubblewrap sandbox itself must do in a non-root Kubernetes pod, so the pod's own profile
#: (autograder/seccomp/nncourse-grader.json) allows it; the kernels get this module's filter.
NEEDED_BY_BWRAP = ("unshare", "mount", "umount2", "pivot_root")

PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

_FIX = ("libseccomp 가 없습니다 / libseccomp is missing: `make system-deps` (libseccomp2) and "
        "`pip install -e .` (pyseccomp)")


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


@functools.cache
def program() -> bytes:
    """The filter as a BPF program for this machine's architecture (struct sock_filter[])."""
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError, RuntimeError) as error:  # no libseccomp.so.2: pyseccomp fails to load it
        raise OSError(f"{_FIX}: {error}") from None
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    rules.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL_PROCESS)
    for name in REFUSED:
        if seccomp.resolve_syscall(seccomp.system_arch(), name) < 0:
            continue  # not a system call on this architecture
        rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
    for flag in CLONE_NAMESPACES.values():
        rules.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    fd = os.memfd_create("nncourse-seccomp", os.MFD_CLOEXEC)
    with open(fd, "w+b") as exported:
        rules.export_bpf(exported)
        exported.seek(0)
        return exported.read()


def program_fd() -> int:
    """A new file descriptor to read :func:`program` from, as bwrap's ``--seccomp`` does; the
    caller passes it to bwrap (``pass_fds``) and closes it."""
    code = program()
    fd = os.memfd_create("nncourse-seccomp", os.MFD_CLOEXEC)
    try:
        os.write(fd, code)
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


def loader(code: bytes) -> Callable[[], None]:
    """A function that loads ``code`` into the calling process, which must be single-threaded
    with no_new_privs set. All it needs is made here, ahead of the fork: in a child of the zygote
    (torch loaded) making them cost 5 ms of copy-on-write faults, loading the made ones 0.5 ms."""
    buffer = ctypes.create_string_buffer(code, len(code))
    filter_program = _SockFprog(len(code) // 8, ctypes.addressof(buffer))
    pointer = ctypes.byref(filter_program)
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def load() -> None:
        if prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, pointer, 0, 0) != 0:
            number = ctypes.get_errno()
            raise OSError(number, f"seccomp: {os.strerror(number)}")

    load.program = (buffer, filter_program)  # alive as long as the function
    return load
