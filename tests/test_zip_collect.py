"""`grade_class --zip-collect`: whose work each file of an LMS download is (#23 item 6).

The instructor's bulk download (downloaded/<lesson>/archive/) holds each learner's upload under
the name the LMS gave it: `<id>_<lesson>.ipynb`, or `<id>_<lesson>.zip` when the learner uploaded
an archive, whose inner names the learner chose. Before, nbgrader took the id from each file's
own name: a file in mallory's zip named `bob_...` was graded as bob's (and mallory's work twice),
one named `ada_...` beside ada's own upload stopped zip_collect ("Duplicate submission file. No
timestamps for comparison") and grade_class with it, and so did two different files for one
learner, and so did one learner's archive that is not a zip or is damaged. Now those files are
reported, by name, and collected for nobody; the rest of the class is collected and graded
(nncourse.grading.nbgrader_plugins.lms_collect).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from nbgrader_course import (filled_notebook, learner_notebook, make_course, nbgrader_env, run_nbgrader,
                             scores)

LESSON = "01_mnist_data"
NOTEBOOK = f"{LESSON}.ipynb"


def notebook_bytes(notebook) -> bytes:
    return nbformat.writes(notebook).encode("utf-8")


FULL = notebook_bytes(filled_notebook(LESSON))
BLANK = notebook_bytes(learner_notebook(LESSON))


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(student: str, ext: str = ".ipynb") -> str:
    """The name the LMS gives a learner's upload."""
    return f"{student}_{LESSON}{ext}"


def lms_download(course: Path, name: str, uploads: dict[str, bytes]) -> None:
    """One bulk download in downloaded/<lesson>/archive/: a zip of the uploads under their LMS names."""
    archive = course / "downloaded" / LESSON / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    (archive / name).write_bytes(zipped(uploads))


def submitted(course: Path) -> dict[str, bytes]:
    """student → the notebook collected for them."""
    return {path.parent.parent.name: path.read_bytes()
            for path in (course / "submitted").glob(f"*/{LESSON}/{NOTEBOOK}")}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("released"), [LESSON])
    run_nbgrader(course, "generate_assignment", LESSON, "--force")
    return course


@pytest.fixture
def course(released, tmp_path):
    """A copy of the released course, its config pointing at the copy."""
    return make_course(Path(shutil.copytree(released, tmp_path / "course")), [])


def collect(course: Path) -> str:
    """zip_collect as grade_class runs it; what it tells the instructor, one line each."""
    from nncourse.grading.grade_class import zip_collect

    lessons, not_collected = zip_collect(course, [LESSON], None)
    assert lessons == [LESSON]
    return "\n".join(not_collected)


def test_two_different_files_for_one_learner_are_reported_and_neither_is_collected(course):
    """Before: SystemExit "nbgrader zip_collect 01_mnist_data failed: ... Duplicate submission
    file. No timestamps for comparison": nobody in the class was collected."""
    lms_download(course, "submissions.zip", {upload("grace"): FULL, upload("linus"): FULL, upload("ada"): FULL})
    lms_download(course, "late.zip", {upload("linus"): BLANK, upload("ada"): FULL})  # ada: the same file again
    report = collect(course)
    assert submitted(course) == {"grace": FULL, "ada": FULL}, report
    assert "서로 다른 파일" in report and "different files" in report
    assert f"submitted/linus/{LESSON}/{NOTEBOOK}" in report, report
    for path in (f"extracted/submissions/{upload('linus')}", f"extracted/late/{upload('linus')}"):
        assert path in report, report
    assert "'ada'" not in report  # byte-identical copies are one submission


def test_a_name_inside_an_upload_gets_no_one_elses_grade(course):
    """Before: bob (who uploaded nothing) was collected with mallory's notebook, so mallory's
    work was graded twice, and `.._01_mnist_data.ipynb` was written to <course>/01_mnist_data/,
    outside submitted/ (`._01_mnist_data.ipynb`, to submitted/01_mnist_data/)."""
    lms_download(course, "submissions.zip", {
        upload("grace"): FULL,
        upload("."): FULL,
        upload("mallory", ".zip"): zipped({upload("mallory"): FULL, upload("bob"): FULL,
                                           upload(".."): FULL}),
    })
    report = collect(course)
    assert submitted(course) == {"grace": FULL, "mallory": FULL}, report
    assert not (course / LESSON).exists() and not (course / "submitted" / LESSON).exists()
    assert f"extracted/submissions/{upload('mallory', '')}/{upload('bob')}" in report, report
    assert "'bob'" in report and "'mallory'" in report and "다른 학생의" in report and "names another" in report
    assert upload("..") in report
    assert f"extracted/submissions/{upload('.')}" in report and "점으로 시작" in report


def test_a_name_inside_an_upload_cannot_replace_a_learners_own_upload(course):
    """Before: mallory's `ada_...` beside ada's own upload stopped the class (SystemExit:
    "Duplicate submission file. No timestamps for comparison")."""
    lms_download(course, "submissions.zip", {
        upload("ada"): FULL,
        upload("mallory", ".zip"): zipped({upload("ada"): BLANK}),
    })
    report = collect(course)
    assert submitted(course) == {"ada": FULL}, report
    assert f"extracted/submissions/{upload('mallory', '')}/{upload('ada')}" in report, report


def test_an_archive_that_cannot_be_opened_is_left_out_alone(course):
    """Before: SystemExit "nbgrader zip_collect 01_mnist_data failed: ... UnrecognizedFormat:
    ... is not a zip file" (or BadZipFile): nobody in the class was collected."""
    honest = zipped({upload("mallory"): FULL})
    damaged = bytearray(zipped({upload("trudy"): FULL}))
    damaged[len(damaged) // 2] ^= 0xFF  # its notebook fails the CRC check
    nested = zipped({upload("deep"): FULL})  # in deep_01_mnist_data.zip > 1.zip > 2.zip > 3.zip,
    for level in (3, 2, 1):                  # 5 archives deep with the LMS download
        nested = zipped({f"{level}.zip": nested})
    lms_download(course, "submissions.zip", {
        upload("grace"): FULL,
        upload("eve", ".zip"): b"PK\x03\x04 not really a zip",
        upload("trudy", ".zip"): bytes(damaged),
        upload("mallory", ".zip"): honest,
        upload("deep", ".zip"): nested,
    })
    report = collect(course)
    assert submitted(course) == {"grace": FULL, "mallory": FULL}, report
    for name in ("eve", "trudy"):
        assert f"extracted/submissions/{upload(name, '.zip')} " in report, report
    assert f"extracted/submissions/{upload('deep', '')}/1/2/3.zip" in report and "4단계" in report
    assert report.count("압축 파일") == report.count("was not extracted") == 3, report


def test_the_class_is_graded_around_the_conflicts(course):
    """The whole command: before, it stopped at zip_collect with exit code 1 and graded nobody."""
    lms_download(course, "submissions.zip", {
        upload("grace"): FULL,
        upload("ada"): FULL,
        upload("linus"): FULL,
        upload("mallory", ".zip"): zipped({upload("mallory"): BLANK, upload("ada"): BLANK, upload("bob"): BLANK}),
    })
    lms_download(course, "late.zip", {upload("linus"): BLANK})
    result = subprocess.run(
        [sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(course), "--zip-collect",
         "--workers", "2", "--no-feedback", "--no-export"],
        cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # the instructor has files to look at
    graded = scores(course, LESSON)
    assert sorted(graded) == ["ada", "grace", "mallory"], output
    assert graded["ada"].total == graded["ada"].max_total > 0  # her own work, not mallory's blank
    assert graded["grace"].total == graded["grace"].max_total
    assert graded["mallory"].total == 0  # her own (blank) notebook, graded once
    assert output.count("수거하지 않음") == 3, output  # linus's conflict, mallory's ada and bob
    assert "수거하지 않은 것 3건" in output, output  # repeated beside the summary
