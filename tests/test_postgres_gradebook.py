"""Two machines' worth of graders sharing one PostgreSQL gradebook.

A real PostgreSQL server starts on loopback in a scratch folder (tests/postgres_server.py); two
`nncourse.grading.grade_class` processes grade shard 1/2 and shard 2/2 of a class at the same
time into it; the export must then hold every student with the right score. PostgreSQL comes
from Debian (installed by .ci/run); without it the test skips locally and fails under CI.
"""

from __future__ import annotations

import csv
import glob
import io
import subprocess
import sys
import threading
from pathlib import Path

from nbgrader_course import filled_notebook, learner_notebook, make_course, nbgrader_env, run_nbgrader, submit
from postgres_server import postgres_url, require_postgres  # noqa: F401 (postgres_url: a pytest fixture)

require_postgres()
LESSON = "01_mnist_data"

#: In the gradebook URL the shards get: it must never show on a command line.
PASSWORD = "pw-" + "x7Qz9"


class CommandLineWatch:
    """Reads every process's command line (/proc/*/cmdline, world-readable, what `ps` shows)
    while it runs, and keeps those that contain ``needle``."""

    def __init__(self, needle: str):
        self.needle, self.seen, self.looks = needle.encode(), [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self._stop.is_set():
            for path in glob.glob("/proc/[0-9]*/cmdline"):
                try:
                    line = Path(path).read_bytes()
                except OSError:
                    continue
                if self.needle in line:
                    self.seen.append(line.replace(b"\0", b" ").decode(errors="replace")[:300])
            self.looks += 1
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def test_two_shards_grade_into_one_postgres_gradebook(postgres_url, tmp_path):
    course = make_course(tmp_path / "course", [LESSON])
    db = f"--CourseDirectory.db_url={postgres_url}"
    run_nbgrader(course, "generate_assignment", LESSON, "--force", db)
    solved = [f"learner{i}" for i in range(4)]
    for student in solved:
        submit(course, student, LESSON, filled_notebook(LESSON))
    submit(course, "untouched", LESSON, learner_notebook(LESSON))

    # The URL with a password (the server trusts loopback and ignores it), given as an instructor
    # should: shard 1 in the environment, shard 2 in a file only its owner reads.
    secret_url = postgres_url.replace("grader@", f"grader:{PASSWORD}@")
    url_file = tmp_path / "gradebook-url"
    url_file.write_text(secret_url + "\n", encoding="utf-8")
    url_file.chmod(0o600)
    given = ({"env": {"NNCOURSE_DB_URL": secret_url}, "args": []},
             {"env": {}, "args": ["--db-url-file", str(url_file)]})
    shards = [
        subprocess.Popen(
            [sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(course), "--workers", "1",
             "--shard", f"{k}/2", *given[k - 1]["args"], "--no-feedback", "--no-export"],
            cwd=course, env={**nbgrader_env(), **given[k - 1]["env"]},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for k in (1, 2)
    ]
    with CommandLineWatch(PASSWORD) as watch:
        outputs = [shard.communicate(timeout=900)[0] for shard in shards]
    # Any local user can read every process's command line (ps): the password was on none.
    assert watch.seen == [] and watch.looks > 10, (watch.seen, watch.looks)
    for shard, output in zip(shards, outputs):
        assert shard.returncode == 0, output
    print("\n".join(outputs))
    graded_by = [set(line.split()[0] for line in out.splitlines() if line.startswith(("learner", "untouched")))
                 for out in outputs]
    assert graded_by[0] and graded_by[1] and not graded_by[0] & graded_by[1]

    run_nbgrader(course, "export", db)
    rows = {row["student_id"]: row for row in
            csv.DictReader(io.StringIO((course / "grades.csv").read_text(encoding="utf-8")))}
    print((course / "grades.csv").read_text(encoding="utf-8"))
    assert sorted(rows) == sorted([*solved, "untouched"])
    for student in solved:
        assert float(rows[student]["score"]) == float(rows[student]["max_score"]) > 0
    assert float(rows["untouched"]["score"]) == 0
    assert not (course / "gradebook.db").exists()  # everything went to PostgreSQL
    # The instructor's report reads both shards' results from the one gradebook (make report)
    report = subprocess.run([sys.executable, "-m", "nncourse.grading.report", "--root", str(course),
                             "--db-url-file", str(url_file)], cwd=course, env=nbgrader_env(),
                            capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stdout + report.stderr
    mistakes = list(csv.DictReader(io.StringIO(
        (course / "reports" / LESSON / "mistakes.csv").read_text(encoding="utf-8"))))
    assert mistakes and {row["cause"] for row in mistakes} == {"not attempted"}
    assert all(row["students"] == "1" and row["example"] == "untouched" for row in mistakes)
    checks = list(csv.DictReader(io.StringIO(
        (course / "reports" / LESSON / "checks.csv").read_text(encoding="utf-8"))))
    assert {row["students"] for row in checks} == {str(len(solved) + 1)}
    assert f"{len(solved) + 1}명 (지금 버전)" in (course / "reports" / "index.html").read_text(encoding="utf-8")
