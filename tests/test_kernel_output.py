"""A kernel's own output reaches the worker's log through nncourse.grading.kernels.output's pipe:
marked as the kernel's, capped, and the log file itself out of the child's reach."""

from __future__ import annotations

import os
import subprocess
import sys

from nncourse.grading.kernels.output import OutputDrain

CHILD = """
import os, sys
print("hello from the kernel")
sys.stdout.flush()
try:
    os.ftruncate(2, 0)
    print("TRUNCATED")
except OSError as error:
    print("cannot truncate:", error.strerror)
sys.stdout.flush()
os.write(2, b"x" * 50_000)  # one long line without a newline, then a flood
os.write(2, b"\\n" + b"flood\\n" * 20_000)
"""


def run_child(log_path, limit):
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(log, b"[nncourse] worker 1 starting\n")
    drain = OutputDrain("kernel 01_mnist_data", sink_fd=log, limit=limit)
    try:
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=drain.write_fd, stderr=drain.write_fd)
    finally:
        drain.started()
    assert child.wait(60) == 0
    drain.join(30)
    os.close(log)
    return log_path.read_text(encoding="utf-8")


def test_kernel_output_is_marked_capped_and_cannot_touch_the_log(tmp_path):
    text = run_child(tmp_path / "worker-1.log", limit=20_000)
    lines = text.splitlines()
    assert lines[0] == "[nncourse] worker 1 starting"  # the log was not truncated
    assert "[kernel 01_mnist_data] hello from the kernel" in lines
    assert "[kernel 01_mnist_data] cannot truncate: Invalid argument" in lines
    assert "TRUNCATED" not in text
    # every line the kernel wrote is marked; a line is cut at 4096 bytes, not buffered whole
    assert all(line.startswith(("[kernel 01_mnist_data] ", "[nncourse] ")) for line in lines), lines[:5]
    assert max(len(line) for line in lines) <= 4096 + len("[kernel 01_mnist_data] ")
    # past the limit the rest is counted, not copied
    assert len(text) < 20_000 + 4096 + 2000
    assert lines[-1].startswith("[nncourse] kernel 01_mnist_data: ") and lines[-1].endswith("bytes of output not logged")
    dropped = int(lines[-1].split(": ")[1].split()[0])
    assert dropped > 100_000
