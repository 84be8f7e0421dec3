"""A throw-away PostgreSQL server for the tests that grade into one shared gradebook
(test_postgres_gradebook, test_slurm): it starts on loopback in a scratch folder and is removed
afterwards. PostgreSQL comes from Debian (`make system-deps`); without it a test module that calls
``require_postgres()`` skips locally and fails under CI.

    from postgres_server import postgres_url, require_postgres  # noqa: F401 (a pytest fixture)
    require_postgres()
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PG_BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def require_postgres() -> None:
    """Skip the calling test module where PostgreSQL is missing (fail under CI)."""
    if not PG_BINS:
        if os.environ.get("CI"):
            raise RuntimeError("CI must install Debian's postgresql (see .ci/run)")
        pytest.skip("PostgreSQL is not installed: apt-get install postgresql", allow_module_level=True)


def _as_postgres(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    # PostgreSQL refuses to run as root; Debian's package creates the `postgres` user.
    if os.geteuid() == 0:
        # runuser lives in /usr/sbin, which a non-login PATH may lack.
        runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
        command = [runuser or "runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture(scope="module")
def postgres_url():
    """The URL of an empty gradebook database on a fresh server (user `grader`, trusted on loopback)."""
    pg_bin = PG_BINS[-1]
    # Not under pytest's tmp folder: that is private to root, and the server runs as postgres.
    data = Path(tempfile.mkdtemp(prefix="nncourse-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _as_postgres([f"{pg_bin}/initdb", "-D", str(data), "-A", "trust", "-U", "grader"])
    _as_postgres([f"{pg_bin}/pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-w",
                  "-o", f"-h 127.0.0.1 -p {port} -k {data}", "start"])
    try:
        _as_postgres([f"{pg_bin}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "grader", "gradebook"])
        yield f"postgresql+psycopg://grader@127.0.0.1:{port}/gradebook"
    finally:
        _as_postgres([f"{pg_bin}/pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(data, ignore_errors=True)
