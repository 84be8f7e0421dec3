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

import nbformat
from nbclient.exceptions import DeadKernelError
from traitlets import Bool

from . import judge
from .sandbox import SandboxedExecute

#: Where the judge's verdict is recorded in a judged cell's metadata.
METADATA_KEY = "nncourse"


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


class JudgedExecute(SandboxedExecute):
    judge = Bool(True, help="decide the lessons' JUDGED test cells outside the learner's kernel").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        lesson = (resources or {}).get("nbgrader", {}).get("assignment")
        self._lesson = lesson
        self._judged = judge.judged_cells(lesson) if (self.judge and lesson) else frozenset()
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        meta = _nbgrader(cell)
        if (cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")
                and meta.get("grade_id") in self._judged):
            self._check_assign_resources(resources)
            self._judge_cell(cell, index)
            return cell, self.resources
        return super().preprocess_cell(cell, resources, index)

    # ---------------------------------------------------------------- the kernel as a data source

    def _ask(self, request: dict, index: int) -> dict:
        """Send one request to the learner's kernel and return the agent's answer."""
        request = {**request, "nonce": secrets.token_hex(8)}
        probe = nbformat.v4.new_code_cell(judge.request_source(request))
        cell = self.nb.cells[index]
        try:
            self.execute_cell(probe, index, store_history=False)
        except DeadKernelError:
            raise
        except Exception as error:  # a timeout, an interrupted kernel: no usable answer
            raise judge.JudgeError(f"{type(error).__name__}") from error
        finally:
            self.nb.cells[index] = cell  # nbclient stores the cell it ran at this index
        return judge.read_reply(probe.outputs, request["nonce"])

    def _judge_cell(self, cell, index: int) -> None:
        def fetch(names):
            return self._ask({"op": "values", "names": names}, index)

        def call(name, args):
            answer = self._ask({"op": "call", "name": name,
                                "args": [judge.encode_argument(arg) for arg in args]}, index)
            result = answer.get("result")
            if isinstance(result, dict) and result.get("k") == "raised":
                lines = result.get("traceback")
                raise judge.learner_error(str(result.get("type", "Exception"))[:100],
                                          str(result.get("message", ""))[:2000],
                                          lines if isinstance(lines, list) else None)
            return judge.decode(result, call)

        passed, outputs = judge.grade_cell(cell.source, self._lesson, fetch, call)
        cell.outputs = outputs
        cell.execution_count = None
        cell.metadata[METADATA_KEY] = {"judged": True, "passed": passed}
        self.log.info("judge: %s %s", _nbgrader(cell).get("grade_id"), "passed" if passed else "failed")
