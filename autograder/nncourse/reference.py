"""Reference metrics and tolerances, taken from the solution notebooks themselves.

``python -m nncourse.reference`` executes every solution notebook that records metrics once
per seed (``NNCOURSE_SEED``) and writes, for each graded metric, the mean over the seeds and a
tolerance derived from their spread, into ``reference_metrics.json`` beside this file. Test
cells compare a learner's metrics with those values.

Tolerance rule (the same for every metric)::

    tolerance = max(SPREAD_FACTOR × sample standard deviation over the seeds, FLOOR[kind])

with SPREAD_FACTOR = 4 and FLOOR = 0.01 for losses, 0.005 for accuracies. Four standard
deviations let a correct solution with any seed or a different but equivalent loop pass, while
the floors keep the band from collapsing when the seeds happen to agree closely. Wrong learning
rates, missing gradient resets and similar mistakes land far outside (tests/ prove it).

While the generator runs, each check records what it measured instead of comparing
(``NNCOURSE_RECORD_METRICS`` names the JSON-lines file to append to).
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REFERENCE_FILE = Path(__file__).with_name("reference_metrics.json")
RECORD_ENV = "NNCOURSE_RECORD_METRICS"
SEED_ENV = "NNCOURSE_SEED"
DEFAULT_SEEDS = 5
SPREAD_FACTOR = 4.0
FLOOR = {"loss": 0.01, "accuracy": 0.005}
RULE = (f"tolerance = max({SPREAD_FACTOR:g} × sample std over the seeds, floor); "
        f"floor = {FLOOR['loss']} for losses, {FLOOR['accuracy']} for accuracies")


def metric_kind(name: str) -> str:
    return "accuracy" if "accuracy" in name else "loss"


def tolerance_for(name: str, values: list[float]) -> float:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return max(SPREAD_FACTOR * spread, FLOOR[metric_kind(name)])


@functools.cache
def load_reference() -> dict:
    with REFERENCE_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)


def reference_for(lesson: str, check: str) -> dict[str, dict]:
    """metric → {"value", "tolerance", "per_seed"} for one check of one lesson."""
    try:
        return load_reference()["lessons"][lesson][check]
    except KeyError:
        raise KeyError(
            f"{lesson}/{check} 의 기준값이 {REFERENCE_FILE.name} 에 없습니다. "
            "강사: `make reference` 를 실행하세요. / No reference values for "
            f"{lesson}/{check}; run `make reference`."
        ) from None


def recording() -> bool:
    return bool(os.environ.get(RECORD_ENV))


def record(lesson: str, check: str, metrics: dict[str, float]) -> None:
    """Append measured metrics to the generator's JSON-lines file."""
    entry = {"lesson": lesson, "check": check, "seed": int(os.environ.get(SEED_ENV, 0)),
             "metrics": metrics}
    with open(os.environ[RECORD_ENV], "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    print(f"[기준값 기록] {lesson}/{check}: {metrics}")


def _execute(notebook_path: Path, seed: int, record_file: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(notebook_path, as_version=4)
    # Only the kernel gets these; this process's environment stays as it was.
    kernel_env = {**os.environ, SEED_ENV: str(seed), RECORD_ENV: str(record_file),
                  "NNCOURSE_PROGRESS": "0"}
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook_path.parent)}}).execute(env=kernel_env)


def measure(lessons: list[str], seeds: list[int], solutions: Path) -> dict:
    """Run the solutions and return lesson → check → metric → per-seed values."""
    from tqdm import tqdm

    measured: dict = {}
    with tempfile.TemporaryDirectory() as scratch:
        record_file = Path(scratch) / "metrics.jsonl"
        runs = [(lesson, seed) for lesson in lessons for seed in seeds]
        for lesson, seed in tqdm(runs, desc="솔루션 실행 / running solutions", unit="run"):
            _execute(solutions / lesson / f"{lesson}.ipynb", seed, record_file)
        for line in record_file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            checks = measured.setdefault(entry["lesson"], {}).setdefault(entry["check"], {})
            for name, value in entry["metrics"].items():
                checks.setdefault(name, {})[entry["seed"]] = value
    return measured


def summarise(measured: dict, seeds: list[int]) -> dict:
    lessons = {}
    for lesson, checks in sorted(measured.items()):
        for check, metrics in sorted(checks.items()):
            for name, by_seed in sorted(metrics.items()):
                values = [by_seed[s] for s in seeds]
                lessons.setdefault(lesson, {}).setdefault(check, {})[name] = {
                    "value": round(statistics.fmean(values), 6),
                    "tolerance": round(tolerance_for(name, values), 6),
                    "per_seed": [round(v, 6) for v in values],
                }
    return lessons


def recording_lessons(solutions: Path) -> list[str]:
    """Lessons whose solution notebook records metrics: by convention those whose test cells
    call a grader function named ``check_train...`` (which ends in ``common.check_trained``)."""
    found = []
    for notebook in sorted(solutions.glob("*/*.ipynb")):
        if notebook.stem == notebook.parent.name and "grader.check_train" in notebook.read_text(encoding="utf-8"):
            found.append(notebook.stem)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="number of seeds (0..N-1)")
    parser.add_argument("--lesson", action="append", help="only these lessons (repeatable); "
                        "the others keep their committed values")
    parser.add_argument("--solutions", type=Path, default=Path(__file__).resolve().parents[2] / "solutions")
    args = parser.parse_args(argv)

    lessons = args.lesson or recording_lessons(args.solutions)
    seeds = list(range(args.seeds))
    started = time.perf_counter()
    fresh = summarise(measure(lessons, seeds, args.solutions), seeds)
    missing = sorted(set(lessons) - set(fresh))
    if missing:
        print(f"기록된 값이 없는 강의 / lessons that recorded nothing: {missing}", file=sys.stderr)
        return 1
    # Lock while merging: maintainers may regenerate different lessons at the same time.
    with open(REFERENCE_FILE.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        previous = json.loads(REFERENCE_FILE.read_text(encoding="utf-8")) if REFERENCE_FILE.exists() else {}
        merged = {**previous.get("lessons", {}), **fresh} if args.lesson else fresh
        document = {"rule": RULE, "seeds": seeds, "lessons": dict(sorted(merged.items()))}
        REFERENCE_FILE.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for lesson, checks in fresh.items():
        for check, metrics in checks.items():
            for name, ref in metrics.items():
                print(f"{lesson:18} {check:10} {name:15} {ref['value']:.4f} ± {ref['tolerance']:.4f}"
                      f"   seeds {ref['per_seed']}")
    print(f"{REFERENCE_FILE} 에 썼습니다 / written ({time.perf_counter() - started:.0f} s)")
    return 0 if all(math.isfinite(r["value"]) for c in fresh.values() for m in c.values()
                    for r in m.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
