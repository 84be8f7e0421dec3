"""Where the suite's time goes: test seconds per file from a pytest junit report, and, for a class
graded by `grade_class`, worker-seconds per lesson from its grading logs.

    python -m pytest --junitxml=/tmp/suite.xml          # any run of the suite (make test's options)
    python benchmarks/suite_profile.py /tmp/suite.xml [--grading-logs COURSE/grading_logs ...]

The suite runs in two pytest-xdist processes (`-n 2 --dist loadfile`), so the durations add up to
about twice the wall time when both stay busy; the table says how close they came. A grading log
folder is what `grade_class` writes (one folder per lesson, one log per submission, each ending
with "graded in N s"); the mutation class of tests/test_autograde.py keeps its course under
pytest's basetemp (`/tmp/pytest-of-$USER/pytest-current/popen-gw*/course*/grading_logs`). A
submission's seconds include its worker's start when it was the worker's first job.
"""

from __future__ import annotations

import argparse
import collections
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

#: The last line grade_class writes in a submission's log: "... graded in 12.34 s (worker 1)".
GRADED = re.compile(r"(?:graded|error|timeout) in (\d+(?:\.\d+)?) s")


def file_seconds(junit: Path) -> tuple[dict[str, float], dict[str, int], float | None]:
    """(test file or notebook → seconds, → tests, the run's wall time from the report or None)."""
    root = ElementTree.parse(junit).getroot()
    seconds: dict[str, float] = collections.Counter()
    counts: dict[str, int] = collections.Counter()
    for case in root.iter("testcase"):
        name = case.get("classname", "")
        # tests.test_sandbox[.Class] → tests.test_sandbox; solutions.09_cnn.09_cnn → the notebook
        parts = name.split(".")
        key = ".".join(parts[:2]) if parts[0] == "tests" else ".".join(parts[:3])
        seconds[key] += float(case.get("time") or 0.0)
        counts[key] += 1
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    wall = sum(float(suite.get("time") or 0.0) for suite in suites) or None
    return dict(seconds), dict(counts), wall


def lesson_seconds(logs: Path) -> dict[str, tuple[int, float, float]]:
    """lesson → (submissions, worker-seconds, the longest submission's seconds)."""
    result = {}
    for folder in sorted(path for path in logs.iterdir() if path.is_dir()):
        times = []
        for log in folder.glob("*.log"):
            found = GRADED.findall(log.read_text(encoding="utf-8", errors="replace"))
            if found:
                times.append(float(found[-1]))
        if times:
            result[folder.name] = (len(times), sum(times), max(times))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("junit", type=Path, help="pytest --junitxml report of a suite run")
    parser.add_argument("--grading-logs", type=Path, action="append", default=[],
                        help="a grade_class grading_logs folder (repeatable)")
    parser.add_argument("--top", type=int, default=25, help="files to list (default %(default)s)")
    args = parser.parse_args(argv)

    seconds, counts, wall = file_seconds(args.junit)
    total = sum(seconds.values())
    print(f"{'seconds':>9} {'share':>6} {'tests':>6}  file")
    for name, value in sorted(seconds.items(), key=lambda item: -item[1])[:args.top]:
        print(f"{value:9.1f} {value / total:6.1%} {counts[name]:6d}  {name}")
    print(f"{total:9.1f} {'':>6} {sum(counts.values()):6d}  all tests (summed over the xdist processes)")
    if wall:
        print(f"wall {wall:.0f} s: the durations are {total / wall:.2f} × the wall time "
              "(2.00: two processes busy from start to end)")
    for logs in args.grading_logs:
        lessons = lesson_seconds(logs)
        work = sum(value for _, value, _ in lessons.values())
        print(f"\n{logs}: {sum(n for n, _, _ in lessons.values())} submissions, {work:.0f} worker-seconds")
        for lesson, (count, value, longest) in lessons.items():
            print(f"  {lesson:16} {count:4d} submissions {value:7.0f} s ({value / work:5.1%}), longest {longest:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
