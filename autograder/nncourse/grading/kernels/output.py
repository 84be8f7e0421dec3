"""A sandboxed kernel's own output reaches the grader's log through a pipe, never as the log file.

A kernel's stdout and stderr (ipykernel's crash reports, bwrap's errors; a cell's output goes to
the notebook, not here) used to be the grading worker's log file itself. A learner's code can
find that descriptor (ipykernel keeps a copy of the original stderr) and truncate the log, seek
over it or write lines that look like the grader's. Through a pipe it can only send bytes: a
thread of the grader copies them into its log, each line marked as the kernel's, and stops
copying past a limit (an output flood cannot fill the disk through the log).
"""

from __future__ import annotations

import os
import threading

#: bytes of one kernel's output copied into the log; the rest is counted, not kept
LIMIT = 1 << 20
#: longest line copied at once: a kernel that never writes a newline cannot grow a buffer
LINE = 4096


class OutputDrain:
    """A pipe for a child's stdout/stderr (``write_fd``), copied line by line into ``sink_fd``."""

    def __init__(self, label: str, sink_fd: int = 2, limit: int = LIMIT):
        self.label, self.sink_fd, self.limit = label, sink_fd, limit
        read_fd, self.write_fd = os.pipe()
        self._thread = threading.Thread(target=self._copy, args=(read_fd,), daemon=True,
                                        name=f"output of {label}")
        self._thread.start()

    def _write(self, data: bytes) -> None:
        try:
            while data:
                data = data[os.write(self.sink_fd, data):]
        except OSError:
            pass  # the log is gone (the worker is ending): nothing to keep the output for

    def _copy(self, read_fd: int) -> None:
        prefix = f"[{self.label}] ".encode()
        copied = dropped = 0
        with os.fdopen(read_fd, "rb") as pipe:
            while line := pipe.readline(LINE):
                if copied < self.limit:
                    copied += len(line)
                    self._write(prefix + line + (b"" if line.endswith(b"\n") else b"\n"))
                else:
                    dropped += len(line)
        if dropped:
            self._write(f"[nncourse] {self.label}: {dropped} more bytes of output not logged\n".encode())

    def started(self) -> None:
        """The child has its copy of the write end: the grader's own closes (EOF comes when the
        last process holding it ends)."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


__all__ = ["LIMIT", "OutputDrain"]
