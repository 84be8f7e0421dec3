"""reference_metrics.json is what the solution notebooks produce, under the documented rule."""

from __future__ import annotations

import statistics

import pytest

from nbgrader_course import SOLUTIONS
from nncourse import reference

DOCUMENT = reference.load_reference()
RECORDING = reference.recording_lessons(SOLUTIONS)


def test_every_training_lesson_has_reference_values():
    assert RECORDING, "no solution records metrics"
    assert sorted(DOCUMENT["lessons"]) == RECORDING
    assert DOCUMENT["rule"] == reference.RULE
    assert len(DOCUMENT["seeds"]) >= 3


@pytest.mark.parametrize("lesson", RECORDING)
def test_values_and_tolerances_follow_the_rule(lesson):
    for check, metrics in DOCUMENT["lessons"][lesson].items():
        for name, ref in metrics.items():
            values = ref["per_seed"]
            assert len(values) == len(DOCUMENT["seeds"])
            assert ref["value"] == pytest.approx(statistics.fmean(values), abs=1e-6)
            assert ref["tolerance"] == pytest.approx(reference.tolerance_for(name, values), abs=1e-6)


@pytest.mark.parametrize("lesson", RECORDING)
def test_committed_values_match_what_the_solution_produces_now(lesson):
    # One run with the first seed; the committed per-seed value must be reproduced.
    seed = DOCUMENT["seeds"][0]
    measured = reference.measure([lesson], [seed], SOLUTIONS)[lesson]
    committed = DOCUMENT["lessons"][lesson]
    assert sorted(measured) == sorted(committed), "checks that record metrics changed"
    for check, metrics in measured.items():
        for name, by_seed in metrics.items():
            assert by_seed[seed] == pytest.approx(committed[check][name]["per_seed"][0], abs=1e-4), (
                f"{lesson}/{check}/{name}: the solution now gives {by_seed[seed]:.6f}; "
                "run `make reference LESSON=" + lesson + "` and commit the file")
