"""notebooks/ is exactly what `nbgrader generate_assignment` makes from solutions/."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbgrader_course import RELEASE, SOLUTIONS, lesson_ids, make_course, run_nbgrader

LESSONS = lesson_ids()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("release"), LESSONS)
    # A stray gradebook, as nbgrader leaves when run without a config, must not be released.
    (course / "solutions" / LESSONS[0] / "gradebook.db").write_bytes(b"stray")
    for lesson in LESSONS:
        run_nbgrader(course, "generate_assignment", lesson, "--force")
    return course / "notebooks"


def test_every_lesson_is_released():
    assert LESSONS, "no lessons found in solutions/"
    assert sorted(p.name for p in RELEASE.iterdir() if p.is_dir()) == LESSONS


@pytest.mark.parametrize("lesson", LESSONS)
def test_learner_notebooks_match_a_fresh_generate(regenerated, lesson):
    committed = _files(RELEASE / lesson)
    fresh = _files(regenerated / lesson)
    assert sorted(committed) == sorted(fresh), "released file lists differ; run `make generate`"
    for name in fresh:
        assert committed[name] == fresh[name], (
            f"notebooks/{lesson}/{name} differs from what nbgrader generates from solutions/; "
            "run `make generate` and commit the result (never edit notebooks/ by hand)")


def test_no_gradebook_or_checkpoint_is_released(regenerated):
    leaked = [p for p in regenerated.rglob("*")
              if p.name.startswith("gradebook.db") or ".ipynb_checkpoints" in p.parts]
    assert not leaked


def test_learner_notebooks_carry_no_solutions_or_outputs():
    for lesson in LESSONS:
        text = (RELEASE / lesson / f"{lesson}.ipynb").read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        assert '"outputs": []' in text and '"output_type"' not in text
        assert "NotImplementedError" in text and "여기에 코드를 작성하세요" in text


def test_solution_notebooks_are_the_nbgrader_source():
    for lesson in LESSONS:
        assert (SOLUTIONS / lesson / f"{lesson}.ipynb").is_file()
