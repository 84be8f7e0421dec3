"""Start JupyterLab exactly as a learner does (``make lab``, or the bundle's own command) and
wait until it serves; used by test_lab.py and test_learner_bundle.py."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

from nncourse import lab


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_options(port: int, token: str) -> list[str]:
    return ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}"]


@contextlib.contextmanager
def started(command: list[str], cwd: Path, env: dict[str, str], port: int, token: str, log: Path,
            timeout: float = 90):
    """Run ``command`` (it must pass :func:`lab_options`) in ``cwd``; yield the base URL once
    ``/api/status`` answers. Fails with the server's log when it exits or never answers."""
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"JupyterLab did not start ({command}):\n{log.read_text()}")
                time.sleep(0.5)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):  # make, JupyterLab and its kernels
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def start_page_served(base: str, token: str) -> dict:
    """The start page's entry in the server's contents API (it is in the folder JupyterLab serves)."""
    page = urllib.parse.quote(lab.START_PAGE)
    with urllib.request.urlopen(f"{base}/api/contents/{page}?token={token}&content=0", timeout=10) as reply:
        return json.load(reply)


def new_token() -> str:
    return secrets.token_hex(16)
