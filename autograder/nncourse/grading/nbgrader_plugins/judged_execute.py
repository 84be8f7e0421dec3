"""nbgrader's execution step with the judge: test cells scored where no learner code runs.

:class:`JudgedExecute` replaces nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``
(autograder/nbgrader_config.py), so both ``python -m nncourse.grading.grade_class`` and plain
``nbgrader autograde`` use it; ``nbgrader validate`` and JupyterLab run every cell in the
learner's kernel as before. Every cell runs as nbgrader would run it, except a test cell that
the lesson's grader lists in ``JUDGED``: that one is not sent to the kernel at all. The judge
(:mod:`nncourse.grading.judge`) runs its source here, on values it reads from the kernel at that
point of the notebook, and the cell's outputs become the judge's verdict, which nbgrader then
scores (an error output: no points).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from traitlets import Bool

from ..causes import METADATA_KEY, judged_cause
from ..kernels.pool import current_pool
from .notebook_limits import LimitedExecute
from ..kernels.sandbox import SandboxedKernelManager


class SandboxedExecute(LimitedExecute):
    """nbgrader's Execute preprocessor (with the course's limits per notebook: output bytes and
    wall time, see notebook_limits); with ``sandbox`` on, kernels start in the sandbox.

    nbgrader's Execute passes ``kernel_manager_class`` as a constructor argument, which beats
    configuration, so the class is set here after construction. In a long-lived worker
    (:mod:`nncourse.grading.worker`) the kernel comes from the worker's pool of kernels started
    ahead of time: nbclient asks :meth:`create_kernel_manager` for a manager, gets one whose
    kernel is already running, and shuts it down after this one notebook as it would its own.
    """

    sandbox = Bool(False, help="run each kernel in the bubblewrap sandbox").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.sandbox:
            self.kernel_manager_class = SandboxedKernelManager
            # A sandboxed kernel serves one notebook and its pid namespace ends with it: kill it
            # when the notebook is done instead of asking it to exit and polling until it has
            # (0.4 s per submission). Every output has arrived by then; nothing it wrote in its
            # folder is kept (SandboxProvisioner.keep_nothing_written).
            self.shutdown_kernel = "immediate"

    def create_kernel_manager(self):
        pool = current_pool()
        if not self.sandbox or pool is None:
            return super().create_kernel_manager()
        grading_dir = Path(self.resources["metadata"]["path"])
        self.km = pool.take(grading_dir)
        return self.km


#: Most characters of a failed check's hint kept in the cell's metadata (and the report).
HINT_LIMIT = 600
#: Most characters of what a learner's code prints during a judged cell that the cell shows.
LEARNER_PRINTED_LIMIT = 20_000


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


class JudgedExecute(SandboxedExecute):
    judge = Bool(True, help="decide the lessons' JUDGED test cells outside the learner's kernel").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        from .. import judge  # imports torch: only when a notebook is graded, not for every nbgrader command

        lesson = (resources or {}).get("nbgrader", {}).get("assignment")
        self._lesson = lesson
        self._judged = judge.judged_cells(lesson) if (self.judge and lesson) else frozenset()
        self._learner_printed = ""
        self._agent_sent = False  # a new kernel: the first request carries the agent
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        meta = _nbgrader(cell)
        if (cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")
                and meta.get("grade_id") in self._judged and self.may_run()):
            self._check_assign_resources(resources)
            self._judge_cell(cell, index)
            return cell, self.resources
        return super().preprocess_cell(cell, resources, index)

    # ---------------------------------------------------------------- the kernel as a data source

    def _ask(self, request: dict, index: int) -> dict:
        """Send one request to the learner's kernel and return the agent's answer."""
        from .. import judge

        request = {**request, "nonce": secrets.token_hex(8)}
        try:
            answer = judge.read_reply(self._request(request, index, self._agent_sent), request["nonce"])
        except judge.JudgeError:
            if not self._agent_sent:
                raise
            # No answer (not a timeout): the kernel lost the agent the judge sent it; send it again.
            answer = judge.read_reply(self._request(request, index, False), request["nonce"])
        self._agent_sent = True
        return answer

    def _request(self, request: dict, index: int, agent_sent: bool) -> list:
        """Run one request cell in the learner's kernel; its outputs."""
        from .. import judge

        probe = nbformat.v4.new_code_cell(judge.request_source(request, agent_sent))
        cell = self.nb.cells[index]
        started = time.perf_counter()
        self._course_request = True  # its reply is not learner output (see LimitedExecute.output)
        try:
            self.execute_cell(probe, index, store_history=False)
        except DeadKernelError:
            raise
        except CellTimeoutError as error:  # interrupted, and still busy: a kernel that ignores SIGINT
            self.stop_kernel()
            raise judge.JudgeError(f"{type(error).__name__}") from error
        except Exception as error:  # a timeout, an interrupted kernel: no usable answer
            raise judge.JudgeError(f"{type(error).__name__}") from error
        finally:
            self._course_request = False
            self.nb.cells[index] = cell  # nbclient stores the cell it ran at this index
            self._asked.append(time.perf_counter() - started)
        # What the learner's code printed (or warned) while the judge called it: shown under the
        # verdict, as stdout (stderr would cost the cell its points), within a limit.
        for output in probe.outputs:
            if output.get("output_type") == "stream" and len(self._learner_printed) < LEARNER_PRINTED_LIMIT:
                self._learner_printed += str(output.get("text", ""))[:LEARNER_PRINTED_LIMIT]
        return probe.outputs

    def _judge_cell(self, cell, index: int) -> None:
        from .. import judge

        self._learner_printed = ""
        self._asked = []
        started = time.perf_counter()
        passed, outputs, error = judge.grade_cell(cell.source, self._lesson, lambda request: self._ask(request, index),
                                                  history=lambda: judge.submitted_history(self.nb.cells[:index]))
        seconds = time.perf_counter() - started
        printed = self._learner_printed
        if printed:
            if len(printed) >= LEARNER_PRINTED_LIMIT:
                printed = printed[:LEARNER_PRINTED_LIMIT] + "\n… (학습자 코드의 출력이 길어 잘랐습니다)\n"
            outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed), *outputs]
        cell.outputs = outputs
        cell.execution_count = None
        cell.metadata[METADATA_KEY] = {"judged": True, "passed": passed}
        if not passed:  # why, as a stable id (nncourse.grading.causes): the instructor's report counts it
            cell.metadata[METADATA_KEY]["cause"] = judged_cause(judge.cause_of(error), self.nb.cells, index)
            hint = getattr(error, "hint", None)
            if hint:  # what the learner was told, shown beside the cause in the report
                cell.metadata[METADATA_KEY]["hint"] = str(hint)[:HINT_LIMIT]
        # The time in the kernel (requests) apart from the judge's own: where a slow cell's time goes.
        self.log.info("judge: %s %s in %.2f s (%d requests to the kernel, %.2f s)", _nbgrader(cell).get("grade_id"),
                      "passed" if passed else "failed", seconds, len(self._asked), sum(self._asked))
