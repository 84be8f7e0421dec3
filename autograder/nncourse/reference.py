"""Reference metrics and tolerances the checks compare a learner's metrics with.

The values live in ``reference_metrics.json`` beside this file; the maintainer's generator
``python -m nncourse.grading.make_reference`` (``make reference``) makes them from the solution
notebooks, under several seeds and arithmetic settings, by the rule below. While it runs, each
check records what it measured instead of comparing (``NNCOURSE_RECORD_METRICS`` names the
JSON-lines file to append to).

Tolerance rule (the same for every metric)::

    value     = mean over all runs (of every lesson in the metric's SHARED_BANDS group)
    tolerance = max(SPREAD_FACTOR × sample std over all runs,
                    MARGIN × largest distance of a run from the value,
                    FLOOR[kind])

with SPREAD_FACTOR = 4, MARGIN = 1.5 and FLOOR = 0.01 for losses, 0.005 for accuracies. Every
recorded run lies inside the band with room to spare (MARGIN); four standard deviations leave
room for seeds and machines that were not recorded; the floors keep the band from collapsing
where the runs agree closely. Mistakes that the band alone cannot separate from honest variation
are caught by structural checks (tests/wrong_answers/ proves every one of them still fails).
"""


from __future__ import annotations

import functools
import json
import os
import statistics
from pathlib import Path

REFERENCE_FILE = Path(__file__).with_name("reference_metrics.json")
RECORD_ENV = "NNCOURSE_RECORD_METRICS"
SEED_ENV = "NNCOURSE_SEED"            # the shift nncourse.seed_everything adds to every seed
SETTING_ENV = "NNCOURSE_REFERENCE_SETTING"
DEFAULT_SEEDS = 5
#: Lessons recorded under more seeds: a CNN trained on shuffled batches ends somewhere else for
#: each seed, and five seeds under-estimate that spread (seeds 0–4 gave lesson 09 a loss band of
#: ±0.014, while seeds 7 and 11 end 0.019 and 0.021 away from the mean: see
#: benchmarks/recipe_spread.py). Twelve seeds × the settings put the band where honest runs fall.
SEEDS_FOR = {"09_cnn": 12, "10_device": 12}
#: Lessons that train the same model by the same recipe on the same data, so that only their random
#: streams differ: each metric gets one band from the runs of them all. Lesson 09's twelve seeds
#: and lesson 10's drew different tails of the same spread (a loss band of ±0.048 from one, ±0.027
#: from the other, with a run of 09 outside 10's band): an honest learner of either lesson may land
#: anywhere in both.
SHARED_BANDS = (("09_cnn", "10_device"),)
SPREAD_FACTOR = 4.0
MARGIN = 1.5
FLOOR = {"loss": 0.01, "accuracy": 0.005}
RULE = (f"value = mean over all runs (seeds × arithmetic settings); tolerance = max({SPREAD_FACTOR:g} × "
        f"sample std over all runs, {MARGIN:g} × largest distance of a run from the value, floor); "
        f"floor = {FLOOR['loss']} for losses, {FLOOR['accuracy']} for accuracies")

_ONE_THREAD = {"NNCOURSE_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: Arithmetic settings: name → what the kernel's environment gets (None removes a variable).
SETTINGS: dict[str, dict[str, str | None]] = {
    "threads=1": dict(_ONE_THREAD),
    "threads=2": {"NNCOURSE_THREADS": "2", "OMP_NUM_THREADS": None, "MKL_NUM_THREADS": None},
    "threads=default": {"NNCOURSE_THREADS": "0", "OMP_NUM_THREADS": None, "MKL_NUM_THREADS": None},
    "isa=avx2": {**_ONE_THREAD, "ATEN_CPU_CAPABILITY": "avx2"},
    "isa=default": {**_ONE_THREAD, "ATEN_CPU_CAPABILITY": "default"},
}


def seeds_for(lesson: str) -> list[int]:
    """The seeds `make reference` runs ``lesson`` under (each shifts every seed the lesson sets)."""
    return list(range(SEEDS_FOR.get(lesson, DEFAULT_SEEDS)))


def band_lessons(lesson: str) -> tuple[str, ...]:
    """The lessons whose runs make ``lesson``'s bands (itself alone, or its SHARED_BANDS group)."""
    return next((group for group in SHARED_BANDS if lesson in group), (lesson,))


def recorded_seeds(document: dict, lesson: str) -> list[int]:
    """The seeds ``lesson``'s runs in reference_metrics.json were recorded under."""
    return document.get("lesson_seeds", {}).get(lesson, document["seeds"])


def metric_kind(name: str) -> str:
    return "accuracy" if "accuracy" in name else "loss"


def tolerance_for(name: str, values: list[float]) -> float:
    """The band around the mean of ``values`` (all runs of one metric), by the rule above."""
    mean = statistics.fmean(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    farthest = max(abs(value - mean) for value in values)
    return max(SPREAD_FACTOR * spread, MARGIN * farthest, FLOOR[metric_kind(name)])


@functools.cache
def load_reference() -> dict:
    with REFERENCE_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)


def reference_for(lesson: str, check: str) -> dict[str, dict]:
    """metric → {"value", "tolerance", "runs"} for one check of one lesson."""
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
    entry = {"lesson": lesson, "check": check, "seed": int(os.environ.get(SEED_ENV) or 0),
             "setting": os.environ.get(SETTING_ENV, "threads=1"), "metrics": metrics}
    with open(os.environ[RECORD_ENV], "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    print(f"[기준값 기록] {lesson}/{check}: {metrics}")
