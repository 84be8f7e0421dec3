"""Limits per graded notebook: how much output it may keep and how long it may run.

nbgrader's own limits are per cell and per line: a cell may run for ``Execute.timeout`` seconds
(120 in the course's configuration), and ``LimitOutput`` cuts a stream after 1000 lines. So a
submission of cells that each sleep just under the timeout held a worker for half an hour, and a
few very long lines or large images were kept whole (in the gradebook's notebook, the feedback
and the instructor's browser). :class:`LimitedExecute`, the base of the course's execution step,
adds

* **output bytes**, per cell and per notebook, images included: what comes over the cap is
  dropped, and the cell says so in Korean (as stdout, which costs no points). Error outputs are
  always kept (nbgrader scores by them), shortened;
* **wall time per notebook**, from the lesson's reference time (``lesson_seconds.json``, written
  by ``make execute`` from the solution's own run): every cell's timeout is cut to what is left
  of the notebook's budget; once it is spent the kernel is killed and every remaining code cell
  gets an error output instead of running, so no test cell after it can pass;
* **a kernel that does not stop when interrupted** (nbclient interrupts a cell at its timeout;
  learner code can ignore SIGINT): nbgrader gave up on the whole submission ("Timeout waiting
  for IOPub output", no grade at all, the worker held for the cell timeout and more). Now the
  kernel is killed (SIGKILL) and the notebook is graded: the cells before keep their points,
  the cells after are not run;
* **a kernel that dies** in a cell, most often killed for going over the submission's memory
  (the kernel tree's cgroup, nncourse.grading.kernels.cgroups): nbgrader gave up on the whole submission
  (nbclient's DeadKernelError). Now the notebook is graded the same way, the cell saying in
  Korean that memory ran out (when its cgroup counted an OOM kill) or that the kernel died.

The margins: the largest honest output of the course is 0.10 MB in one cell and 0.17 MB in one
notebook (the solutions' plots), 20× and 60× under the caps; the budget is
``BUDGET_BASE_S + BUDGET_FACTOR ×`` the solution's time, at least 10× what an honest learner needs.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute
from traitlets import Float, Integer

#: The solutions' seconds (one torch thread), written by ``python -m nncourse.grading.execute``.
LESSON_SECONDS_FILE = Path(__file__).resolve().parents[2] / "lesson_seconds.json"  # autograder/nncourse
BUDGET_BASE_S = 60.0
BUDGET_FACTOR = 10.0
#: The budget of a lesson that has no reference time (a new lesson before ``make execute``).
DEFAULT_BUDGET_S = 600.0
#: Characters of an error output kept when the notebook is over its output cap.
ERROR_KEEP = 8_000

OUTPUT_CUT_NOTE = ("\n… 출력이 너무 커서 여기서부터는 채점 노트북에 남기지 않았습니다 "
                   "(셀당 {cell:.0f} MB, 노트북 전체 {notebook:.0f} MB까지) / output cut: over the limit\n")
NOT_RUN_ENAME = "NotebookTimeLimit"
NOT_RUN_TEXT = ("노트북 전체의 실행 시간 제한({budget:.0f} 초)을 넘어 이 셀부터는 실행하지 않았습니다. "
                "오래 걸리는 셀(무한 루프, sleep, 너무 긴 학습)이 있는지 확인하세요 / the notebook ran past "
                "its time limit; this cell was not run")
STOPPED_ENAME = "KernelStopped"
STOPPED_TEXT = ("이 셀이 시간 제한에 걸린 뒤 중단 요청에도 멈추지 않아 커널을 끝냈습니다. 이후 셀은 실행하지 "
                "않았습니다 / the cell did not stop when interrupted at its time limit; the kernel was killed "
                "and the cells after it were not run")
AFTER_STOP_TEXT = ("앞의 셀이 중단 요청에도 멈추지 않아 커널을 끝냈으므로 이 셀은 실행하지 않았습니다 / "
                   "not run: an earlier cell did not stop when interrupted, and the kernel was killed")
MEMORY_ENAME = "MemoryLimit"
MEMORY_TEXT = ("이 셀을 실행하다가 제출물의 메모리 한도({limit})를 넘어 커널이 끝났습니다. 이후 셀은 실행하지 "
               "않았습니다. 아주 큰 텐서나 리스트를 만들거나 계속 쌓아 두지 않았는지 확인하세요 / the kernel ran "
               "out of memory (the submission's limit) in this cell and was killed; the cells after it were not run")
AFTER_MEMORY_TEXT = ("앞의 셀에서 메모리 한도를 넘어 커널이 끝났으므로 이 셀은 실행하지 않았습니다 / "
                     "not run: the kernel ran out of memory in an earlier cell")
DIED_ENAME = "KernelDied"
DIED_TEXT = ("이 셀을 실행하다가 커널이 죽었습니다(메모리가 모자랐을 수 있습니다). 이후 셀은 실행하지 않았습니다 / "
             "the kernel died in this cell (perhaps out of memory); the cells after it were not run")
AFTER_DIED_TEXT = ("앞의 셀에서 커널이 죽었으므로 이 셀은 실행하지 않았습니다 / "
                   "not run: the kernel died in an earlier cell")


def reference_seconds(lesson: str | None) -> float | None:
    """How long the lesson's solution took (one torch thread), or None when unknown."""
    try:
        table = json.loads(LESSON_SECONDS_FILE.read_text(encoding="utf-8"))["seconds"]
        return float(table[lesson])
    except (OSError, KeyError, TypeError, ValueError):
        return None


def notebook_budget(lesson: str | None) -> float:
    """Seconds a submission of ``lesson`` may run, from the kernel's start to its last cell."""
    seconds = reference_seconds(lesson)
    return DEFAULT_BUDGET_S if seconds is None else BUDGET_BASE_S + BUDGET_FACTOR * seconds


def output_size(content: dict) -> int:
    """Bytes an output message would add to the notebook (its JSON, images as base64)."""
    return len(json.dumps(content, default=str, ensure_ascii=False).encode("utf-8", "replace"))


def shortened_error(output):
    """An error output cut to ERROR_KEEP characters: its name, value and the traceback's end."""
    output.evalue = str(output.get("evalue", ""))[:ERROR_KEEP // 4]
    kept, size = [], 0
    for line in reversed(output.get("traceback", [])):
        size += len(line)
        if size > ERROR_KEEP:
            kept.append("…")
            break
        kept.append(line)
    output.traceback = kept[::-1]
    return output


class LimitedExecute(Execute):
    """nbgrader's Execute with a cap on output bytes and a time budget per notebook."""

    cell_output_bytes = Integer(2 * 2**20, help="output bytes one cell may keep").tag(config=True)
    notebook_output_bytes = Integer(10 * 2**20, help="output bytes one notebook may keep").tag(config=True)
    notebook_seconds = Float(None, allow_none=True, help=(
        "seconds one notebook may run; None: BUDGET_BASE_S + BUDGET_FACTOR × the lesson's reference "
        "time")).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        lesson = (resources or {}).get("nbgrader", {}).get("assignment")
        self._budget = self.notebook_seconds if self.notebook_seconds is not None else notebook_budget(lesson)
        self._deadline = time.monotonic() + self._budget
        self._kernel_stopped = False
        self._after_stop = AFTER_STOP_TEXT  # what the cells after a stopped kernel say
        self._output_bytes: dict[int, int] = {}
        self._notebook_bytes = 0
        self._cut_cells: set[int] = set()
        #: True while the course's own requests run (the judge's): their replies are not the
        #: learner's output and are limited by the judge.
        self._course_request = False
        return super().preprocess(nb, resources, km)

    # ------------------------------------------------------------------------------ time

    def time_is_up(self) -> bool:
        return time.monotonic() >= self._deadline

    def may_run(self) -> bool:
        """Whether the next cell may use the kernel: within the budget, the kernel not stopped."""
        return not self._kernel_stopped and not self.time_is_up()

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        left = max(1, math.ceil(self._deadline - time.monotonic()))
        return left if timeout is None or timeout < 0 else min(timeout, left)

    def not_run(self, cell, index: int):
        """The cell as it is kept when the budget is spent or the kernel was stopped: not run,
        an error output saying why."""
        if self._kernel_stopped:
            cell.outputs = [_error(STOPPED_ENAME, self._after_stop)]
        else:
            self.log.warning("노트북 시간 제한 %.0f 초를 넘었습니다 / notebook time limit of %.0f s reached at "
                             "cell %d", self._budget, self._budget, index)
            self.stop_kernel()
            cell.outputs = [_error(NOT_RUN_ENAME, NOT_RUN_TEXT.format(budget=self._budget))]
        cell.execution_count = None
        return cell

    def stop_kernel(self) -> None:
        """Kill the learner's kernel (a signal, not a request: it may be busy for good); every
        code cell after this one is not run."""
        if self._kernel_stopped:
            return
        self._kernel_stopped = True
        self.log.warning("커널을 끝냅니다. 남은 셀은 실행하지 않습니다 / kernel killed, the remaining cells are not run")
        self._kill_kernel()

    def _kill_kernel(self) -> None:
        km = getattr(self, "km", None)
        if km is None:
            return
        try:
            if getattr(km, "has_kernel", False):
                # A signal, not a request: the kernel may be busy with the timed-out cell for good.
                from nbclient.util import run_sync

                run_sync(km.signal_kernel)(9)
        except Exception as error:  # noqa: BLE001 - a kernel that is gone already is stopped
            self.log.debug("killing the kernel: %s", error)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and not self.may_run():
            return self.not_run(cell, index), resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:
            # Interrupted at its timeout, the kernel never went idle (nbclient waited for it on
            # IOPub): a kernel that ignores SIGINT. nbgrader would drop the whole submission.
            self.log.warning("셀 %d 이(가) 중단 요청에도 멈추지 않았습니다 / cell %d did not stop when "
                             "interrupted", index, index)
            self.stop_kernel()
            cell.outputs.append(_error(STOPPED_ENAME, STOPPED_TEXT))
            return cell, resources
        except DeadKernelError:
            # Killed by the memory cgroup's OOM killer, most often: nbgrader would drop the
            # whole submission.
            group = getattr(getattr(self, "km", None), "memory_cgroup", None)
            out_of_memory = group is not None and group.oom_kills() > 0
            self.log.warning("셀 %d 에서 커널이 죽었습니다%s / the kernel died in cell %d%s", index,
                             " (메모리 한도)" if out_of_memory else "", index,
                             " (out of memory)" if out_of_memory else "")
            self.stop_kernel()
            if out_of_memory:
                self._after_stop = AFTER_MEMORY_TEXT
                limit = f"{group.limit / 2**30:g} GiB"
                cell.outputs.append(_error(MEMORY_ENAME, MEMORY_TEXT.format(limit=limit)))
            else:
                self._after_stop = AFTER_DIED_TEXT
                cell.outputs.append(_error(DIED_ENAME, DIED_TEXT))
            return cell, resources

    # ------------------------------------------------------------------------------ output

    def output(self, outs, msg, display_id, cell_index):
        if self._course_request or msg["msg_type"] not in ("stream", "display_data", "execute_result", "error"):
            return super().output(outs, msg, display_id, cell_index)
        size = output_size(msg["content"])
        within = (self._output_bytes.get(cell_index, 0) + size <= self.cell_output_bytes
                  and self._notebook_bytes + size <= self.notebook_output_bytes)
        if within:
            self._output_bytes[cell_index] = self._output_bytes.get(cell_index, 0) + size
            self._notebook_bytes += size
            return super().output(outs, msg, display_id, cell_index)
        if cell_index not in self._cut_cells:
            self._cut_cells.add(cell_index)
            outs.append(nbformat.v4.new_output("stream", name="stdout", text=OUTPUT_CUT_NOTE.format(
                cell=self.cell_output_bytes / 2**20, notebook=self.notebook_output_bytes / 2**20)))
            self.log.warning("셀 %d 의 출력이 제한을 넘어 잘랐습니다 / output of cell %d cut at the limit",
                             cell_index, cell_index)
        if msg["msg_type"] == "error":  # nbgrader scores by it: kept, shortened
            out = super().output(outs, msg, display_id, cell_index)
            if out is not None:
                shortened_error(out)
            return out
        return None


def _error(ename: str, text: str):
    return nbformat.v4.new_output("error", ename=ename, evalue=text,
                                  traceback=[f"\x1b[0;31m{ename}\x1b[0m: {text}"])
