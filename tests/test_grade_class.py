"""`python -m nncourse.grading.grade_class`: a class graded in parallel by real nbgrader autograde.

One run grades a solution-filled learner, an untouched notebook, a submission that is not a
notebook at all (nbgrader fails on it) and one that never finishes (killed at the submission
timeout); the others must still be graded, the table must say what happened, and a rerun must
grade only what changed without losing earlier grades.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from nbgrader_course import (filled_notebook, learner_notebook, make_course, nbgrader_env, run_nbgrader, scores,
                             solution_cells, solution_code, solution_notebook, submit)

LESSON = "01_mnist_data"
OTHER_LESSON = "03_functional"  # graded beside LESSON, so a regrade can be seen to leave it alone


def grade_class(course, *args, timeout=900):
    result = subprocess.run(
        [sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(course), *args],
        cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout + result.stderr


def endless_notebook():
    notebook = filled_notebook(LESSON)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "sizes":
            cell.source = "import time\nwhile True:\n    time.sleep(1)"
    return notebook


@pytest.fixture(scope="module")
def graded_once(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("class"), [LESSON, OTHER_LESSON])
    run_nbgrader(course, "generate_assignment", LESSON, "--force")
    run_nbgrader(course, "generate_assignment", OTHER_LESSON, "--force")
    submit(course, "ada", LESSON, filled_notebook(LESSON))
    submit(course, "ada", OTHER_LESSON, filled_notebook(OTHER_LESSON))
    submit(course, "blank", LESSON, learner_notebook(LESSON))
    broken = course / "submitted" / "broken" / LESSON
    broken.mkdir(parents=True)
    (broken / f"{LESSON}.ipynb").write_text("{ this is not a notebook", encoding="utf-8")
    submit(course, "endless", LESSON, endless_notebook())
    # a model hard-coded to the five validation images the visible check uses: it passes that
    # check and fails the hidden one (three other images)
    submit(course, "hidden-fail", OTHER_LESSON, filled_notebook(
        OTHER_LESSON, {"model": "def model(xb):\n    return x_valid[:5] @ weights + bias\n"}))
    # 30 s: an honest submission of this lesson takes 2-3 s in a started worker, about 10 s on a
    # 2-core machine running the rest of the suite too; the endless one waits out all of it
    # (the notebook's own time budget, minutes for this lesson, is tested in test_notebook_limits)
    code, output = grade_class(course, "--workers", "2", "--timeout", "30")
    return course, code, output


def test_one_bad_submission_does_not_stop_the_class(graded_once):
    course, code, output = graded_once
    assert code == 1, output  # failures are reported through the exit code
    result = scores(course, LESSON)
    assert result["ada"].total == result["ada"].max_total > 0, output
    assert result["blank"].total == 0
    other = scores(course, OTHER_LESSON)["ada"]
    assert other.total == other.max_total > 0, output
    assert 0 < scores(course, OTHER_LESSON)["hidden-fail"].total < other.max_total, output
    assert "TIMEOUT" in output and "ERROR" in output
    assert "endless" in output and "broken" in output


def test_summary_table_feedback_and_export(graded_once):
    course, _, output = graded_once
    assert f"{scores(course, LESSON)['ada'].max_total:g}" in output
    assert (course / "feedback" / "ada" / LESSON / f"{LESSON}.html").is_file()
    rows = list(csv.DictReader(io.StringIO((course / "grades.csv").read_text(encoding="utf-8"))))
    by_student = {row["student_id"]: row for row in rows}
    assert float(by_student["ada"]["score"]) == float(by_student["ada"]["max_score"]) > 0
    assert "다음 단계" in output and "workers 2" in output


def test_points_per_check_export_for_an_lms(graded_once):
    course, _, _ = graded_once
    result = scores(course, LESSON)
    out = course / "per_check.csv"
    run_nbgrader(course, "export", "--exporter", "nncourse.grading.export.PerCheckExport", "--to", str(out))
    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))}
    checks = [cell.metadata["nbgrader"]["grade_id"] for cell in solution_notebook(LESSON).cells
              if cell.metadata.get("nbgrader", {}).get("grade")]
    assert list(rows["ada"])[:len(checks) + 2] == ["student_id", *(f"{LESSON}/{check}" for check in checks),
                                                   f"{LESSON}/total"]
    for student in ("ada", "blank"):
        assert float(rows[student][f"{LESSON}/total"]) == result[student].total
        assert {check: float(rows[student][f"{LESSON}/{check}"]) for check in checks} == result[student].cells
    assert rows["hidden-fail"][f"{OTHER_LESSON}/test_model"] == "0"
    assert float(rows["hidden-fail"][f"{OTHER_LESSON}/total"]) == scores(course, OTHER_LESSON)["hidden-fail"].total


def test_feedback_keeps_hidden_tests_hidden(graded_once):
    course, _, _ = graded_once
    result = scores(course, OTHER_LESSON)
    assert result["hidden-fail"].cells["test_model"] == 0  # the hidden check did fail
    for student in ("ada", "hidden-fail"):
        html = (course / "feedback" / student / OTHER_LESSON / f"{OTHER_LESSON}.html").read_text(encoding="utf-8")
        assert "HIDDEN TESTS" not in html and "images=3, start=100" not in html
    html = (course / "feedback" / "hidden-fail" / OTHER_LESSON / f"{OTHER_LESSON}.html").read_text(encoding="utf-8")
    assert "model(검증 이미지 3장)" in html  # the learner still learns what went wrong


def test_rerun_grades_only_what_changed_and_keeps_earlier_grades(graded_once):
    course, _, _ = graded_once
    before = scores(course, LESSON)
    ada_graded = course / "autograded" / "ada" / LESSON / f"{LESSON}.ipynb"
    ada_mtime = ada_graded.stat().st_mtime
    time.sleep(1.1)
    # blank resubmits a finished notebook; the two failures are fixed by removing them
    submit(course, "blank", LESSON, filled_notebook(LESSON))
    for student in ("broken", "endless"):
        for path in sorted((course / "submitted" / student).rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        (course / "submitted" / student).rmdir()
    code, output = grade_class(course, "--workers", "2")
    assert code == 0, output
    assert "1 of 4 submissions to grade" in output
    assert ada_graded.stat().st_mtime == ada_mtime  # not graded again
    after = scores(course, LESSON)
    assert after["ada"].total == before["ada"].total
    assert after["blank"].total == after["blank"].max_total


def test_regrade_changed_regrades_what_an_older_version_graded(graded_once):
    """Each graded submission records the version of its lesson that graded it
    (nncourse.grading.results); after a test cell of one lesson changes, --regrade-changed
    regrades exactly the submissions an older version of that lesson graded (the other lesson's
    submissions are left alone), and then nothing."""
    from nncourse.grading.results import current_version, stored_versions

    course, _, _ = graded_once
    url = f"sqlite:///{course / 'gradebook.db'}"
    graded = sorted(student for (lesson, student) in stored_versions(url) if lesson == LESSON)
    assert graded == ["ada", "blank"]
    assert {(OTHER_LESSON, "ada"), (OTHER_LESSON, "hidden-fail")} <= set(stored_versions(url))
    code, output = grade_class(course, "--workers", "2", "--regrade-changed", "--no-feedback", "--no-export")
    assert code == 0 and "0 of 4 submissions to grade" in output and "0 graded by an older version" in output, output
    before = current_version(url, LESSON)
    other_before = current_version(url, OTHER_LESSON)
    other_graded = course / "autograded" / "ada" / OTHER_LESSON / f"{OTHER_LESSON}.ipynb"
    other_mtime = other_graded.stat().st_mtime

    source = course / "solutions" / LESSON / f"{LESSON}.ipynb"
    notebook = nbformat.read(source, as_version=4)
    test_cell = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_sizes")
    test_cell.source += "\n# 검사를 고쳤습니다"
    nbformat.write(notebook, source)
    run_nbgrader(course, "generate_assignment", LESSON, "--force")
    assert current_version(url, LESSON) != before
    assert current_version(url, OTHER_LESSON) == other_before
    # the report says which scores an older version gave (the two submissions that never got a
    # grade, broken and endless, have no version)
    assert report_versions(course) == {(LESSON, "ada"): "no", (LESSON, "blank"): "no",
                                       (OTHER_LESSON, "ada"): "yes", (OTHER_LESSON, "hidden-fail"): "yes",
                                       (LESSON, "broken"): "", (LESSON, "endless"): ""}
    code, output = grade_class(course, "--workers", "2", "--regrade-changed", "--no-feedback", "--no-export")
    assert code == 0 and "2 graded by an older version" in output and "2 of 4 submissions to grade" in output, output
    versions = stored_versions(url)
    assert all(versions[(LESSON, student)] == {current_version(url, LESSON)} for student in graded)
    assert versions[(OTHER_LESSON, "ada")] == {other_before}
    assert other_graded.stat().st_mtime == other_mtime  # the unchanged lesson was not regraded
    assert scores(course, LESSON)["ada"].total == scores(course, LESSON)["ada"].max_total
    assert set(report_versions(course).values()) == {"yes", ""}
    code, output = grade_class(course, "--workers", "2", "--regrade-changed", "--no-feedback", "--no-export")
    assert code == 0 and "0 graded by an older version" in output, output


def report_versions(course) -> dict[tuple[str, str], str]:
    """(lesson, student) → the ``current`` column of `make report`'s scores.csv."""
    result = subprocess.run([sys.executable, "-m", "nncourse.grading.report", "--root", str(course)],
                            cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = {}
    for lesson in (LESSON, OTHER_LESSON):
        text = (course / "reports" / lesson / "scores.csv").read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert list(rows[0]) == ["student_id", "score", "max_score", "version", "current"]
        found.update({(lesson, row["student_id"]): row["current"] for row in rows})
    return found


def test_shards_split_the_class_without_overlap():
    from nncourse.grading.grade_class import in_shard

    students = [f"s{i:03d}" for i in range(200)]
    shares = [[s for s in students if in_shard(s, (k, 4))] for k in range(1, 5)]
    assert sorted(sum(shares, [])) == students
    assert all(30 < len(share) < 70 for share in shares)


def test_lms_download_is_collected_and_graded(tmp_path):
    course = make_course(tmp_path / "lms", [LESSON])
    run_nbgrader(course, "generate_assignment", LESSON, "--force")
    archive = course / "downloaded" / LESSON / "archive"
    archive.mkdir(parents=True)
    # an LMS bulk download: one zip holding <student>_<lesson>.ipynb files
    with zipfile.ZipFile(archive / "submissions.zip", "w") as bundle:
        bundle.writestr(f"grace_{LESSON}.ipynb", nbformat.writes(filled_notebook(LESSON)))
        bundle.writestr(f"linus_{LESSON}.ipynb", nbformat.writes(learner_notebook(LESSON)))
    code, output = grade_class(course, "--zip-collect", "--workers", "2", "--no-feedback")
    assert code == 0, output
    result = scores(course, LESSON)
    assert result["grace"].total == result["grace"].max_total
    assert result["linus"].total == 0


def test_wrong_shard_syntax_is_explained(tmp_path):
    course = make_course(tmp_path / "c", [LESSON])
    code, output = grade_class(course, "--shard", "5/4")
    assert code == 2 and "1 ≤ K ≤ N" in output


#: Appended to an answer cell of lesson 01: the first learner leaves state wherever a kernel
#: could keep it; the second reports what it finds. (Each keeps the right answer.)
LEAVES_STATE = (
    "\nimport builtins, os, sys\n"
    "builtins.LEFT_BY_FIRST = 'first'\nos.environ['LEFT_BY_FIRST'] = 'first'\n"
    "sys.modules['left_by_first'] = sys\n"
    "open('/tmp/left-by-first', 'w').write('first')\nopen('left-by-first.txt', 'w').write('first')\n"
)
REPORTS_STATE = (
    "\nimport builtins, os, sys\n"
    "print('state seen:', getattr(builtins, 'LEFT_BY_FIRST', None), os.environ.get('LEFT_BY_FIRST'),\n"
    "      'left_by_first' in sys.modules, os.path.exists('/tmp/left-by-first'),\n"
    "      os.path.exists('left-by-first.txt'))\n"
    "status = dict(line.split(':\\t', 1) for line in open('/proc/self/status') if ':\\t' in line)\n"
    "print('kernel:', 'parent', os.getppid(), 'root' if os.getuid() == 0 else 'unprivileged',\n"
    "      *(status[key].strip() for key in ('CapEff', 'CapPrm', 'CapInh', 'CapBnd', 'CapAmb', 'NoNewPrivs')))\n"
)


@pytest.mark.parametrize("start", ["fork", "exec"])
def test_one_worker_never_lets_one_learner_state_reach_the_next(tmp_path, start):
    """Two learners graded one after the other by the same worker (one worker, warm kernels): the
    second kernel is a fresh one, so nothing the first left behind reaches it. Both ways a worker
    starts kernels: forked from its zygote (a root grader's default; the kernel's parent is then
    outside its pid namespace, so it sees parent 0) and exec'd (``--no-fork``: bwrap's init is
    its parent). Either way the kernel has no capability and no_new_privs."""
    course = make_course(tmp_path / "one-worker", [LESSON])
    run_nbgrader(course, "generate_assignment", LESSON, "--force")
    answer = solution_code(solution_cells(solution_notebook(LESSON))["sizes"])
    first = filled_notebook(LESSON, {"sizes": answer + LEAVES_STATE})
    second = filled_notebook(LESSON, {"sizes": answer + REPORTS_STATE})
    submit(course, "a-first", LESSON, first)   # graded first: jobs go in student order
    submit(course, "b-second", LESSON, second)
    code, output = grade_class(course, "--workers", "1", "--no-feedback", "--no-export",
                               *(["--no-fork"] if start == "exec" else []))
    assert code == 0, output
    result = scores(course, LESSON)
    assert all(score.total == score.max_total for score in result.values()), output
    graded = nbformat.read(course / "autograded" / "b-second" / LESSON / f"{LESSON}.ipynb", as_version=4)
    shown = "".join(output.get("text", "") for cell in graded.cells
                    if cell.metadata.get("nbgrader", {}).get("grade_id") == "sizes" for output in cell.outputs)
    assert "state seen: None None False False False" in shown, shown
    parent = 0 if start == "fork" and os.geteuid() == 0 else 1
    no_caps = " ".join(["0" * 16] * 5)
    assert f"kernel: parent {parent} unprivileged {no_caps} 1" in shown, shown
    # the file the first learner's code wrote reaches no grading folder (nothing a kernel writes
    # comes back), and the first learner's log names it
    assert not (course / "autograded" / "a-first" / LESSON / "left-by-first.txt").exists()
    assert not (course / "autograded" / "b-second" / LESSON / "left-by-first.txt").exists()
    log = (course / "grading_logs" / LESSON / "a-first.log").read_text(encoding="utf-8")
    assert "stay out of the grading folder" in log and "left-by-first.txt" in log, log[-2000:]


def test_a_worker_that_dies_is_replaced_and_the_class_goes_on(tmp_path, monkeypatch):
    """The worker grading the first submission is killed from outside (as the OOM killer would):
    that submission is reported as an error with the reason in its log, a fresh worker grades
    the rest, and the killed worker's kernel folders do not stay behind in the temp folder."""
    import tempfile
    import threading

    import psutil

    from nncourse.grading import grade_class as engine

    course = make_course(tmp_path / "dying-worker", [LESSON])
    run_nbgrader(course, "generate_assignment", LESSON, "--force")
    students = ["a-killed", "b-after", "c-after"]
    for student in students:
        submit(course, student, LESSON, filled_notebook(LESSON))
    killed = []

    def kill_the_first_worker():
        log = course / "grading_logs" / LESSON / "a-killed.log"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not killed:
            if log.is_file() and "Autograding" in log.read_text(encoding="utf-8", errors="ignore"):
                for process in psutil.process_iter(["cmdline"]):
                    command = " ".join(process.info["cmdline"] or [])
                    # this class's worker only (another test's may still be shutting down)
                    if "nncourse.grading.worker" in command and str(course) in command:
                        process.kill()
                        killed.append(process.pid)
            time.sleep(0.2)

    killer = threading.Thread(target=kill_the_first_worker, daemon=True)
    killer.start()
    # This class's own temp folder, apart from other tests' running workers (and short: the
    # kernels' unix sockets live below it).
    temp = Path(tempfile.mkdtemp(prefix="nc-"))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    try:
        outcomes = engine.grade(course, [engine.Job(s, LESSON) for s in students], 1, None, 300,
                                course / "grading_logs")
        killer.join()
        left = sorted(p.name for p in temp.iterdir())
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    assert not left, f"left in the temp folder: {left}"
    assert killed, "the worker was never seen grading"
    status = {o.job.student: o.status for o in outcomes}
    assert status == {"a-killed": "error", "b-after": "graded", "c-after": "graded"}, status
    assert "the grading worker died" in (course / "grading_logs" / LESSON / "a-killed.log").read_text(encoding="utf-8")
    result = scores(course, LESSON)
    assert all(result[s].total == result[s].max_total for s in ("b-after", "c-after"))
