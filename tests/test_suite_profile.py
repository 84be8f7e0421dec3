"""benchmarks/suite_profile.py: seconds per test file from a junit report, worker-seconds per lesson
from grade_class's logs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("suite_profile", REPO / "benchmarks" / "suite_profile.py")
suite_profile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(suite_profile)

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4" time="10.0">
<testcase classname="tests.test_sandbox" name="test_a" time="6.0"/>
<testcase classname="tests.test_sandbox.TestProbes" name="test_b" time="2.5"/>
<testcase classname="tests.test_data" name="test_c" time="0.5"/>
<testcase classname="solutions.09_cnn.09_cnn" name="Cell 12" time="9.0"/>
</testsuite></testsuites>
"""


def test_seconds_are_summed_per_file_and_notebook(tmp_path):
    report = tmp_path / "suite.xml"
    report.write_text(JUNIT, encoding="utf-8")
    seconds, counts, wall = suite_profile.file_seconds(report)
    assert seconds == {"tests.test_sandbox": 8.5, "tests.test_data": 0.5, "solutions.09_cnn.09_cnn": 9.0}
    assert counts["tests.test_sandbox"] == 2 and wall == 10.0


def test_grading_logs_give_worker_seconds_per_lesson(tmp_path, capsys):
    logs = tmp_path / "grading_logs"
    (logs / "09_cnn").mkdir(parents=True)
    (logs / "09_cnn" / "ada.log").write_text(
        "[traitlets | INFO] judge: ...\n[nncourse] 채점 graded, 30.50 s (worker 1) / graded in 30.50 s (worker 1)\n",
        encoding="utf-8")
    (logs / "09_cnn" / "bo.log").write_text(
        "[nncourse] 채점 timeout, 90.00 s (worker 2) / timeout in 90.00 s (worker 2)\n", encoding="utf-8")
    (logs / "09_cnn" / "unfinished.log").write_text("[traitlets | INFO] Converting notebook\n", encoding="utf-8")
    (logs / "worker-1.log").write_text("[nncourse] worker 1 ready in 7.00 s\n", encoding="utf-8")
    assert suite_profile.lesson_seconds(logs) == {"09_cnn": (2, 120.5, 90.0)}
    report = tmp_path / "suite.xml"
    report.write_text(JUNIT, encoding="utf-8")
    assert suite_profile.main([str(report), "--grading-logs", str(logs)]) == 0
    printed = capsys.readouterr().out
    assert "tests.test_sandbox" in printed and "1.80 × the wall time" in printed
    assert "09_cnn" in printed and "2 submissions" in printed
