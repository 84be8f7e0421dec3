"""The class grader as an ordinary user (#28): the same probe class as tests/test_sandbox.py,
graded by `grade_class` run as the system user ``nncourse-grader`` (tests/ordinary_user.py), with
kernels forked from the worker's zygote into bwrap's user-namespace sandbox.

Every isolation probe is blocked as for root, except what only root can give a sandbox
(ORDINARY_GRADER_LIMITS): a memory cgroup per submission (an ordinary grader keeps a per-process
address-space limit). Those probes are listed, not hidden: the table the run prints shows them.
The kernel's folder is size-capped as for root: a tmpfs that bwrap makes in its user namespace.
"""

from __future__ import annotations

import pytest

from nbgrader_course import autograded_notebook, cell_outputs_text
from ordinary_user import prepare
from test_sandbox import (FULL, LAST_CELL, LESSON, LOST, PROBER_NAMES, PROBES, SYSCALL_PROBES, Listener,
                          _make_class, _outside_evidence)

#: probe → why an ordinary grader's sandbox lets it through (root's blocks it)
ORDINARY_GRADER_LIMITS = {
    "memory-processes": "no memory cgroup without root: each process has its own address-space limit",
    "memfd": "no memory cgroup without root: memfd pages are not counted per submission",
    "memory-kernel": "no memory cgroup without root: under the per-process limit, the kernel keeps its memory",
}
#: what the probes' table shows for the ordinary grader (conftest prints it with root's)
ORDINARY_RESULTS: dict[str, str] = {}


@pytest.fixture(scope="module")
def ordinary(tmp_path_factory):
    user = prepare(tmp_path_factory.mktemp("ordinary-grader"))
    if isinstance(user, str):
        pytest.skip(user)
    return user


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.sock.close()


@pytest.fixture(scope="module")
def graded_by_user(tmp_path_factory, listener, ordinary):
    root = tmp_path_factory.mktemp("abuse-ordinary")
    run = _make_class(root, True, listener.port, user=ordinary)
    run["evidence"] = _outside_evidence(run, listener)
    for name, got in run["evidence"].items():
        ORDINARY_RESULTS[name] = got or "blocked"
    return run


def test_an_ordinary_grader_grades_the_class(graded_by_user):
    grading = graded_by_user["grading"]
    assert grading.returncode == 0, grading.stdout[-4000:] + grading.stderr[-4000:]
    logs = "".join(path.read_text(encoding="utf-8", errors="replace")
                   for path in (graded_by_user["course"] / "grading_logs").rglob("*.log"))
    # the kernels were forked from the worker's zygote, not started cold (the fast engine)
    assert "cannot fork a kernel" not in logs and "zygote did not start" not in logs, logs[-3000:]


@pytest.mark.parametrize("student", ["honest-a", "honest-b", *PROBER_NAMES])
def test_everyone_keeps_full_marks(graded_by_user, student):
    score = graded_by_user["scores"][student]
    lost = 0 if student in ORDINARY_GRADER_LIMITS else LOST.get(student, 0)
    assert score.max_total == FULL and score.total == FULL - lost, (student, score.cells)


@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: probe.name)
def test_probe_is_blocked_as_for_root(graded_by_user, probe):
    got = graded_by_user["evidence"][probe.name]
    if probe.name in ORDINARY_GRADER_LIMITS:
        pytest.xfail(f"{probe.name}: {ORDINARY_GRADER_LIMITS[probe.name]} ({got or 'blocked'})")
    assert got is None, f"{probe.name} got through an ordinary grader's sandbox: {got}"
    if probe.name in SYSCALL_PROBES:  # refused by the filter, not by a failed import
        output = cell_outputs_text(autograded_notebook(graded_by_user["course"], probe.name, LESSON), LAST_CELL)
        assert f"PROBE {probe.name}: REFUSED PermissionError" in output, output[-2000:]
    elif probe.name == "disk-fill":  # the folder (bwrap's tmpfs) is full, far under the bound
        output = cell_outputs_text(autograded_notebook(graded_by_user["course"], probe.name, LESSON), LAST_CELL)
        assert f"PROBE {probe.name}: REFUSED OSError [Errno 28]" in output, output[-2000:]


def test_the_kernels_folder_is_bwraps_tmpfs(graded_by_user):
    """An honest learner's log: what the kernel wrote in its folder, against the folder's limit
    (the tmpfs is the user namespace's, and the grader measured it through the sandbox's root)."""
    log = (graded_by_user["course"] / "grading_logs" / LESSON / "honest-a.log").read_text(encoding="utf-8")
    assert "disk: the kernel wrote" in log, log[-3000:]
