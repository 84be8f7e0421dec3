"""The class grader as an ordinary user (#28): the same probe class as tests/test_sandbox.py,
graded by `grade_class` run as the system user ``nncourse-grader`` (tests/ordinary_user.py), with
kernels forked from the worker's zygote into bwrap's user-namespace sandbox.

Every isolation probe is blocked and said so as for root, by the same checks. What only root can
give a sandbox is made otherwise: the kernel's folder is a size-capped tmpfs that bwrap makes in
its user namespace (root's is mounted by the grader), and the submission's memory is watched by
the worker (nncourse.grading.kernels.memory_watch) where root's is a memory cgroup.
"""

from __future__ import annotations

import pytest

from ordinary_user import prepare
from test_sandbox import (FULL, LESSON, LOST, PROBER_NAMES, PROBES, Listener, _make_class, _outside_evidence)
from test_sandbox import test_probe_is_blocked_and_said_so as root_checks
from forgery_probes import PROBES as FORGERY_PROBES

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
    assert score.max_total == FULL and score.total == FULL - LOST.get(student, 0), (student, score.cells)


@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: probe.name)
def test_probe_is_blocked_as_for_root(graded_by_user, probe):
    root_checks(graded_by_user, probe)


def test_the_memory_is_watched_not_capped_by_a_cgroup(graded_by_user):
    """The memory probes were stopped by the worker's watch (no cgroup without root): its log
    says so, and the worker's log says once which limits apply."""
    course = graded_by_user["course"]
    for name in ("memory-processes", "memfd", "memory-kernel"):
        log = (course / "grading_logs" / LESSON / f"{name}.log").read_text(encoding="utf-8")
        assert "its largest process was killed" in log, log[-3000:]
    logs = "".join(path.read_text(encoding="utf-8", errors="replace")
                   for path in (course / "grading_logs").rglob("*.log"))
    assert logs.count("the worker watches each sandbox's memory instead") >= 1, logs[-3000:]


def test_the_kernels_folder_is_bwraps_tmpfs(graded_by_user):
    """An honest learner's log: what the kernel wrote in its folder, against the folder's limit
    (the tmpfs is the user namespace's, and the grader measured it through the sandbox's root)."""
    log = (graded_by_user["course"] / "grading_logs" / LESSON / "honest-a.log").read_text(encoding="utf-8")
    assert "disk: the kernel wrote" in log, log[-3000:]


@pytest.fixture(scope="module")
def forgery_graded_by_user(tmp_path_factory, ordinary):
    """tests/test_forgery.py's class, graded as the ordinary user: the judge decides every point
    outside the learner's interpreter whoever runs the grader."""
    from test_forgery import grade_forgery_class

    return grade_forgery_class(tmp_path_factory.mktemp("forgery-ordinary"), user=ordinary)


def test_the_honest_learner_keeps_full_marks_against_forgers(forgery_graded_by_user):
    score = forgery_graded_by_user["scores"]["honest"]
    assert score.total == score.max_total > 0, score.cells


@pytest.mark.parametrize("probe", FORGERY_PROBES, ids=lambda probe: probe.name)
def test_the_forgery_earns_nothing_for_an_ordinary_grader(forgery_graded_by_user, probe):
    got = forgery_graded_by_user["evidence"][probe.name]
    assert got is None, f"{probe.name} got through an ordinary grader: {got}"
