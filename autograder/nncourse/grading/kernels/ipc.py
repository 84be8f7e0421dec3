"""Kernels started without the sandbox, reached over unix sockets (ZMQ ``ipc``), never TCP ports.

jupyter_client gives a new kernel its five TCP ports by binding port 0 and letting the port go;
the kernel binds it again a second or two later, once Python and ipykernel are imported. Any
process that starts a kernel or opens a connection in between (another ``make execute`` worker,
the other half of a parallel test suite, a second ``nbgrader validate``) can be handed the same
port, and the kernel dies with "Address already in use". Unix sockets named after a private
folder cannot collide. The sandbox's kernels already use them (they have no network at all);
these helpers are for the kernels the maintainer's tools, ``--no-sandbox`` grading and the tests
start on the machine itself.

    with private_socket_folder() as folder:
        NotebookClient(notebook, config=kernel_config(folder), ...).execute()
        subprocess.run(["nbgrader", "validate", *command_line_options(folder), path])

One folder serves kernels started one after another (jupyter_client numbers the sockets past
those that exist); kernels started at the same time need a folder each.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path


#: A unix socket's path has room for 107 bytes (sun_path is 108 with the closing NUL); the
#: sockets are ``<prefix>-<number>`` with a number of at most 5 digits.
SOCKET_PATH_MAX = 107


def checked_prefix(prefix: str) -> str:
    """``prefix``, or a ValueError naming the fix when its sockets' paths would be too long."""
    if len(prefix.encode()) + 6 > SOCKET_PATH_MAX:
        raise ValueError(
            f"커널 소켓 경로가 너무 깁니다 / the kernel sockets' path is too long for a unix socket "
            f"({len(prefix.encode()) + 6} > {SOCKET_PATH_MAX} bytes): {prefix}-N. "
            f"임시 폴더를 짧은 곳으로 정하세요 / point TMPDIR at a short folder, e.g. TMPDIR=/tmp")
    return prefix


def socket_prefix(folder: Path) -> str:
    """The ``ip`` jupyter_client gives an ipc kernel: its sockets are ``<prefix>-<number>``."""
    return checked_prefix(str(Path(folder).resolve() / "kernel"))


def kernel_config(folder: Path):
    """traitlets configuration that makes every KernelManager use ipc sockets in ``folder``."""
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = socket_prefix(folder)
    return config


def command_line_options(folder: Path) -> list[str]:
    """The same configuration for a jupyter command line (nbgrader, nbconvert)."""
    return ["--KernelManager.transport=ipc", f"--KernelManager.ip={socket_prefix(folder)}"]


@contextlib.contextmanager
def private_socket_folder() -> Iterator[Path]:
    """A fresh folder for kernel sockets (short enough for a unix socket path), removed after."""
    with tempfile.TemporaryDirectory(prefix="nncourse-zmq-") as folder:
        yield Path(folder)


__all__ = ["SOCKET_PATH_MAX", "checked_prefix", "command_line_options", "kernel_config", "private_socket_folder", "socket_prefix"]
