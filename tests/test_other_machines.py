"""Right answers get full marks on every learner's machine.

Every solution notebook is run, as a learner's kernel runs it, under "other machine" settings:
torch's CPU kernels forced down to another vector ISA (``ATEN_CPU_CAPABILITY``), other thread
counts, and seeds that the reference generator never recorded (every seed a lesson sets is
shifted through ``nncourse.seed_everything``). Each graded test cell must pass, as nbgrader
scores it: no error, no stderr output, no failure mark. The table (lesson × setting → score) is
printed at the end of the run.

Kernels of a one-thread setting are forked from a zygote of that setting's environment, which
imported torch under it (nncourse.grading.kernels.fork_provisioner); the others start the usual way.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from nbgrader_course import SOLUTIONS, lesson_ids
from nncourse import checks, reference
from nncourse.grading import make_reference
from nncourse.grading.kernels.fork_provisioner import kernel_spec_folder
from nncourse.grading.nbgrader_plugins.notebook_limits import reference_seconds

#: name → (arithmetic setting of nncourse.grading.make_reference, seed shift, extra environment).
#: Every shift lies past the seeds `make reference` records for any lesson (0-4; 0-11 for the
#: CNN lessons, nncourse.reference.SEEDS_FOR), so these are runs the reference never saw.
OTHER_MACHINES = {
    "scalar ISA, seed+13": ("isa=default", 13, {}),
    "2 threads, AVX2, seed+17": ("threads=2", 17, {"ATEN_CPU_CAPABILITY": "avx2"}),
    "default threads, seed+23": ("threads=default", 23, {}),
}
if (os.cpu_count() or 1) <= 2:
    # torch's default here is one thread per core: 2 threads (or 1), the arithmetic of the two
    # settings above. As in make_reference.settings_here, the default is run where it differs;
    # here it cost a third of this file's time (2-thread runs go one at a time).
    del OTHER_MACHINES["default threads, seed+23"]
#: Idle OpenMP threads sleep instead of spinning (the arithmetic is the same): these runs share
#: the cores with another test file (pytest-xdist), and a 2-thread kernel whose threads spin
#: while the other file's processes run made this test 2.7× slower.
QUIET_THREADS = {"OMP_WAIT_POLICY": "PASSIVE"}
LESSONS = lesson_ids()
#: lesson → setting → (score, max score, failed test cells): read by conftest's summary table.
MACHINE_SCORES: dict[str, dict[str, tuple[float, float, list[str]]]] = {}


def _grade(lesson: str, machine: str) -> tuple[float, float, list[str]]:
    """Run one solution under one setting; score its graded cells as nbgrader would."""
    from nbclient import NotebookClient
    import nbformat

    from nncourse.grading.kernels.ipc import kernel_config, private_socket_folder

    setting, seed, extra = OTHER_MACHINES[machine]
    path = SOLUTIONS / lesson / f"{lesson}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    with private_socket_folder() as sockets:  # not TCP ports: see ipc_kernels
        NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                       shutdown_kernel="immediate", config=kernel_config(sockets),
                       resources={"metadata": {"path": str(path.parent)}}).execute(
            env={**make_reference.kernel_env(setting, seed, extra), **QUIET_THREADS})
    score = maximum = 0.0
    failed = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade"):
            continue
        maximum += meta["points"]
        outputs = cell.get("outputs", [])
        bad = [o for o in outputs if o.output_type == "error"
               or (o.output_type == "stream" and o.name == "stderr")
               or checks.FAIL_MARK in o.get("text", "")]
        if bad:
            failed.append(meta["grade_id"] + ": " + " ".join(
                o.get("text", "") or f"{o.get('ename')}: {o.get('evalue')}" for o in bad)[:600])
        else:
            score += meta["points"]
    return score, maximum, failed


def _use_kernel_specs(share: str) -> None:
    """In a pool process: kernels from the forking kernel spec (see the module's docstring)."""
    os.environ["JUPYTER_PATH"] = share


def test_no_other_machine_reuses_a_recorded_seed():
    recorded = max(len(reference.seeds_for(lesson)) for lesson in LESSONS)
    assert all(shift >= recorded for _, shift, _ in OTHER_MACHINES.values())


def torch_threads(machine: str) -> int:
    """Threads one kernel of this setting uses (torch's default is one per core)."""
    setting = make_reference.SETTINGS[OTHER_MACHINES[machine][0]]
    threads = int(setting.get("NNCOURSE_THREADS") or 1)
    return threads if threads > 0 else os.cpu_count() or 1


@pytest.fixture(scope="module")
def scores() -> dict:
    """Every lesson under every setting. Runs are packed so that their threads never outnumber
    the cores: torch's threads spin while they wait, and two 2-thread kernels on 2 cores ran
    several times slower than one after the other."""
    cores = os.cpu_count() or 1
    results = {}
    with kernel_spec_folder() as share:
        for threads in sorted({torch_threads(machine) for machine in OTHER_MACHINES}):
            # Longest first: the last run to end is then a short one, not lesson 10 alone on a core.
            runs = sorted(((lesson, machine) for machine in OTHER_MACHINES if torch_threads(machine) == threads
                           for lesson in LESSONS), key=lambda run: -(reference_seconds(run[0]) or 0.0))
            with ProcessPoolExecutor(max_workers=max(1, cores // threads), initializer=_use_kernel_specs,
                                     initargs=(str(share),)) as pool:
                results.update(zip(runs, pool.map(_grade, *zip(*runs))))
    for (lesson, machine), result in results.items():
        MACHINE_SCORES.setdefault(lesson, {})[machine] = result
    return results


@pytest.mark.parametrize("machine", OTHER_MACHINES)
@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_gets_full_marks_on_another_machine(scores, lesson, machine):
    score, maximum, failed = scores[lesson, machine]
    assert maximum > 0
    assert not failed, f"{lesson} under {machine}: {score:g}/{maximum:g}\n" + "\n".join(failed)
    assert score == maximum
