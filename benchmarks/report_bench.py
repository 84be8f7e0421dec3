"""How long `make report` takes for a large class: a synthetic gradebook of K learners × every
lesson, as one printed figure (the median of --repeat runs).

    python benchmarks/report_bench.py [--students 200] [--repeat 3]

The gradebook is real: every lesson registered by `nbgrader generate_assignment` in a scratch
course, each learner's submission added through nbgrader's Gradebook API with drawn points per
check (a learner of some skill: each check passed with a probability that grows with it), and
the course's results (nncourse.grading.results) with a cause for each lost check, drawn from a
few per check. Then `python -m nncourse.grading.report` runs on it.
"""

from __future__ import annotations

import argparse
import datetime
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from nbgrader_course import lesson_ids, make_course, nbgrader_env, run_nbgrader  # noqa: E402


def synthetic_class(course: Path, lessons: list[str], students: int, seed: int = 0) -> None:
    from nbgrader.api import Gradebook

    from nncourse.grading import results

    rng = random.Random(seed)
    url = f"sqlite:///{course / 'gradebook.db'}"
    now = datetime.datetime.now()
    rows = []
    with Gradebook(url) as gradebook:
        for lesson in lessons:
            version = results.current_version(url, lesson)
            assignment = gradebook.find_assignment(lesson)
            cells = {cell.name: cell.max_score for notebook in assignment.notebooks for cell in notebook.grade_cells}
            answers = {cell.name for notebook in assignment.notebooks for cell in notebook.solution_cells}
            for number in range(students):
                student = f"learner{number:04d}"
                if lesson == lessons[0]:
                    gradebook.update_or_create_student(student)
                skill = (number % 10) / 10
                submission = gradebook.add_submission(lesson, student, timestamp=now)
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        passed = rng.random() < 0.35 + 0.6 * skill
                        grade.auto_score = cells[grade.name] if passed else 0.0
                        if grade.name not in answers:
                            cause = None if passed else rng.choice(
                                ["not attempted", "error: NameError", f"{lesson}.mistake-a", f"{lesson}.mistake-b"])
                            rows.append({"assignment": lesson, "student": student, "notebook": notebook.name,
                                         "grade_id": grade.name, "passed": passed, "cause": cause, "hint": None,
                                         "version": version, "graded_at": now})
                gradebook.db.commit()
    results._table_made(url)
    with results.engine(url).begin() as connection:
        connection.execute(results.RESULTS.insert(), rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lessons = lesson_ids()
    with tempfile.TemporaryDirectory(prefix="nncourse-report-bench-") as scratch:
        course = make_course(Path(scratch) / "course", lessons)
        started = time.perf_counter()
        for lesson in lessons:
            run_nbgrader(course, "generate_assignment", lesson, "--force")
        synthetic_class(course, lessons, args.students)
        print(f"synthetic gradebook: {args.students} learners × {len(lessons)} lessons in "
              f"{time.perf_counter() - started:.0f} s")
        seconds = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "nncourse.grading.report", "--root", str(course)],
                           cwd=course, env=nbgrader_env(), check=True, capture_output=True)
            seconds.append(time.perf_counter() - started)
        print(f"make report ({args.students} learners × {len(lessons)} lessons): median {statistics.median(seconds):.1f} s "
              f"(min {min(seconds):.1f}, max {max(seconds):.1f}, {args.repeat} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
