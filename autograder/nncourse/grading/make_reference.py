"""Reference metrics and tolerances, taken from the solution notebooks themselves.

``python -m nncourse.grading.make_reference`` (``make reference``) executes every solution notebook that records metrics once per
(seed, arithmetic setting) and writes, for each graded metric, every run's value, their mean and
a tolerance that covers them, into ``nncourse/reference_metrics.json`` (read by
:mod:`nncourse.reference`). Test cells compare a learner's metrics with those values.

Why several settings: a learner's computer adds floats in another order than the instructor's
(another CPU, another vector instruction set, another number of threads), and training amplifies
the last-digit differences: one epoch of SGD with momentum turned a 4e-4 difference into 0.03
in lesson 10's validation loss. A band measured on one machine with one seed is narrower than
what honest learners really get. So every lesson is run under ``DEFAULT_SEEDS`` seeds, more for the
CNN lessons whose result depends most on the seed (``SEEDS_FOR``; every seed a lesson sets is
shifted through ``nncourse.seed_everything``), times these settings:

- ``threads=1``: the course's setting (``nncourse.setup_lesson``), native vector ISA;
- ``threads=2`` and ``threads=default`` (torch's own choice; skipped where it is 2 anyway);
- ``isa=avx2`` and ``isa=default``: torch's CPU kernels forced down to AVX2 and to plain scalar
  code (``ATEN_CPU_CAPABILITY``), the code paths of other CPUs, on the same machine.

The tolerance rule is in :mod:`nncourse.reference`.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from ..reference import (DEFAULT_SEEDS, REFERENCE_FILE, RECORD_ENV, RULE, SEED_ENV, SETTING_ENV, SETTINGS,
                         band_lessons, recorded_seeds, seeds_for, tolerance_for)

def kernel_env(setting: str, seed: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment with ``setting`` and the seed shift applied (for a kernel)."""
    env = {**os.environ, SEED_ENV: str(seed), SETTING_ENV: setting, "NNCOURSE_PROGRESS": "0",
           **(extra or {})}
    for key, value in SETTINGS[setting].items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def execute(notebook_path: Path, env: dict[str, str]):
    """Run a notebook in a fresh kernel with ``env``; return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    from .kernels.ipc import kernel_config, private_socket_folder

    notebook = nbformat.read(notebook_path, as_version=4)
    with private_socket_folder() as sockets:  # see ipc_kernels: TCP ports can collide
        NotebookClient(notebook, timeout=600, kernel_name="python3", shutdown_kernel="immediate",
                       config=kernel_config(sockets),
                       resources={"metadata": {"path": str(notebook_path.parent)}}).execute(env=env)
    return notebook


def _record_run(notebook_path: Path, setting: str, seed: int, record_file: Path) -> None:
    # Only the kernel gets these; this process's environment stays as it was.
    execute(notebook_path, kernel_env(setting, seed, {RECORD_ENV: str(record_file)}))


def default_threads() -> int:
    import torch

    return torch.get_num_threads()


def settings_here() -> list[str]:
    """The settings worth running on this machine: ``threads=default`` only where it differs
    from 2, ``isa=avx2`` only where the CPU can do more than AVX2."""
    import torch

    chosen = ["threads=1", "threads=2"]
    if os.cpu_count() and default_threads() != 2:
        chosen.append("threads=default")
    if torch.backends.cpu.get_cpu_capability().upper().startswith("AVX512"):
        chosen.append("isa=avx2")
    chosen.append("isa=default")
    return chosen


def setting_threads(setting: str) -> int:
    """How many torch threads one kernel of ``setting`` runs (torch's default: one per core)."""
    threads = int(SETTINGS[setting].get("NNCOURSE_THREADS") or 1)
    return threads if threads > 0 else os.cpu_count() or 1


def measure(lessons: list[str], seeds: dict[str, list[int]], settings: list[str], solutions: Path,
            workers: int = 1) -> dict:
    """Run the solutions, each lesson under its ``seeds``; return lesson → check → metric →
    setting → {seed: value}."""
    from tqdm import tqdm

    measured: dict = {}
    with tempfile.TemporaryDirectory() as scratch:
        record_file = Path(scratch) / "metrics.jsonl"
        runs = [(lesson, setting, seed) for lesson in lessons for setting in settings for seed in seeds[lesson]]
        cores = os.cpu_count() or 1
        with tqdm(total=len(runs), desc="솔루션 실행 / running solutions", unit="run") as bar:
            # Runs of one thread count at a time, never more threads than cores: torch's threads
            # spin while they wait, and two 2-thread kernels on 2 cores took 4 minutes each for
            # lesson 09 instead of about 20 seconds one after the other.
            for threads in sorted({setting_threads(setting) for _, setting, _ in runs}):
                group = [run for run in runs if setting_threads(run[1]) == threads]
                with ProcessPoolExecutor(max_workers=max(1, min(workers, cores // threads))) as pool:
                    futures = [pool.submit(_record_run, solutions / lesson / f"{lesson}.ipynb", setting, seed,
                                           record_file) for lesson, setting, seed in group]
                    for future in as_completed(futures):
                        future.result()
                        bar.update()
        for line in record_file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            checks = measured.setdefault(entry["lesson"], {}).setdefault(entry["check"], {})
            for name, value in entry["metrics"].items():
                checks.setdefault(name, {}).setdefault(entry["setting"], {})[entry["seed"]] = value
    return measured


def summarise(measured: dict, seeds: dict[str, list[int]], settings: list[str]) -> dict:
    lessons = {}
    for lesson, checks in sorted(measured.items()):
        for check, metrics in sorted(checks.items()):
            for name, by_setting in sorted(metrics.items()):
                runs = {setting: [round(by_setting[setting][seed], 6) for seed in seeds[lesson]]
                        for setting in settings}
                values = [by_setting[setting][seed] for setting in settings for seed in seeds[lesson]]
                lessons.setdefault(lesson, {}).setdefault(check, {})[name] = {
                    "value": round(statistics.fmean(values), 6),
                    "tolerance": round(tolerance_for(name, values), 6),
                    "runs": runs,
                }
    return lessons


def share_bands(lessons: dict) -> dict:
    """``lessons`` with the value and tolerance of every metric of a SHARED_BANDS group taken from
    the runs of all its lessons (each lesson keeps its own runs)."""
    for lesson, checks in lessons.items():
        group = [other for other in band_lessons(lesson) if other in lessons]
        if len(group) < 2:  # its own runs: the band summarise made
            continue
        for check, metrics in checks.items():
            for name, ref in metrics.items():
                values = [value for other in group
                          for value in all_runs(lessons[other].get(check, {}).get(name, {"runs": {}}))]
                ref["value"] = round(statistics.fmean(values), 6)
                ref["tolerance"] = round(tolerance_for(name, values), 6)
    return lessons


def all_runs(ref: dict) -> list[float]:
    """Every recorded value of one metric (the runs of every setting)."""
    return [value for values in ref["runs"].values() for value in values]


def recording_lessons(solutions: Path) -> list[str]:
    """Lessons whose solution notebook records metrics: by convention those whose test cells
    call a grader function named ``check_train...`` (which ends in ``common.check_trained``)."""
    found = []
    for notebook in sorted(solutions.glob("*/*.ipynb")):
        if notebook.stem == notebook.parent.name and "grader.check_train" in notebook.read_text(encoding="utf-8"):
            found.append(notebook.stem)
    return found


def machine() -> dict:
    import torch

    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "torch": torch.__version__.split("+")[0],
            "native_isa": torch.backends.cpu.get_cpu_capability(),
            "default_threads": default_threads()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, help=f"number of seeds (0..N-1) for every lesson (default: "
                        f"{DEFAULT_SEEDS}, more for the lessons in nncourse.reference.SEEDS_FOR)")
    parser.add_argument("--setting", action="append", choices=sorted(SETTINGS),
                        help="only these arithmetic settings (repeatable; default: all that differ here)")
    parser.add_argument("--lesson", action="append", help="only these lessons (repeatable); "
                        "the others keep their committed values")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="notebooks run at once (default: the number of cores)")
    parser.add_argument("--solutions", type=Path, default=Path(__file__).resolve().parents[3] / "solutions")
    args = parser.parse_args(argv)

    lessons = args.lesson or recording_lessons(args.solutions)
    seeds = {lesson: list(range(args.seeds)) if args.seeds else seeds_for(lesson) for lesson in lessons}
    settings = args.setting or settings_here()
    started = time.perf_counter()
    fresh = summarise(measure(lessons, seeds, settings, args.solutions, args.workers), seeds, settings)
    missing = sorted(set(lessons) - set(fresh))
    if missing:
        print(f"기록된 값이 없는 강의 / lessons that recorded nothing: {missing}", file=sys.stderr)
        return 1
    # Lock while merging: maintainers may regenerate different lessons at the same time.
    with open(REFERENCE_FILE.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        previous = json.loads(REFERENCE_FILE.read_text(encoding="utf-8")) if REFERENCE_FILE.exists() else {}
        merged = share_bands({**previous.get("lessons", {}), **fresh} if args.lesson else fresh)
        default_seeds = list(range(DEFAULT_SEEDS))
        # "seeds": those of every lesson not in "lesson_seeds" (see nncourse.reference.recorded_seeds)
        lesson_seeds = {lesson: recorded_seeds(previous, lesson) for lesson in merged
                        if lesson not in fresh and previous.get("seeds") is not None}
        lesson_seeds.update({lesson: seeds[lesson] for lesson in fresh})
        lesson_seeds = {lesson: values for lesson, values in sorted(lesson_seeds.items()) if values != default_seeds}
        document = {"rule": RULE, "seeds": default_seeds, "lesson_seeds": lesson_seeds,
                    "settings": {name: SETTINGS[name] for name in settings},
                    "machine": machine(), "lessons": dict(sorted(merged.items()))}
        REFERENCE_FILE.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for lesson, checks in fresh.items():
        for check, metrics in checks.items():
            for name, ref in metrics.items():
                values = all_runs(ref)
                print(f"{lesson:18} {check:6} {name:13} {ref['value']:.4f} ± {ref['tolerance']:.4f}"
                      f"   runs {min(values):.4f}–{max(values):.4f} (n={len(values)})")
    print(f"{REFERENCE_FILE} 에 썼습니다 / written ({time.perf_counter() - started:.0f} s)")
    return 0 if all(math.isfinite(r["value"]) for c in fresh.values() for m in c.values()
                    for r in m.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
