"""The instructor's class report: what the class got wrong, per check and per diagnosed mistake.

    python -m nncourse.grading.report [--root COURSE] [--lesson ID ...] [--out reports] [--db-url-file F]
    make report [LESSON=08_validation]

After grading (``make autograde`` or ``python -m nncourse.grading.grade_class``, one machine or
several shards into one PostgreSQL gradebook), reads nbgrader's scores and the course's results
(nncourse.grading.results: each failed test cell's cause and the version that graded it) from the
gradebook and writes, per lesson:

- ``reports/<lesson>/checks.csv``: ``grade_id,max_points,students,mean_points,full_marks_rate,
  discrimination``; discrimination is the corrected item-total correlation (the check's points
  against the rest of the lesson's score over the learners), empty where it is undefined (fewer
  than three learners, or no spread);
- ``reports/<lesson>/mistakes.csv``: ``grade_id,cause,students,example``: every learner who lost
  points on a test cell, counted under exactly one cause (nncourse.grading.causes), with one
  such learner as the example;
- ``reports/<lesson>/scores.csv``: ``student_id,score,max_score,version,current``: which course
  version (nncourse.grading.results.lesson_version) graded each score, and whether it is the
  lesson's version now;

and ``reports/index.html`` (Korean, one section per lesson, readable without a server): the score
distribution, each check's difficulty against its discrimination, the most common mistakes with
their counts, what each means and a link to an example learner's feedback, and which course
version graded how many scores.
"""

from __future__ import annotations

import argparse
import base64
import csv
import html
import io
import math
import os
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..verdict import ERROR_PREFIX, NOT_ATTEMPTED, UNDIAGNOSED
from .causes import TIMEOUT

CHECK_COLUMNS = ["grade_id", "max_points", "students", "mean_points", "full_marks_rate", "discrimination"]
MISTAKE_COLUMNS = ["grade_id", "cause", "students", "example"]
SCORE_COLUMNS = ["student_id", "score", "max_score", "version", "current"]
#: Mistakes listed per lesson in the HTML page (the CSV has them all).
TOP_MISTAKES = 12


@dataclass
class LessonScores:
    """One lesson's points: student → grade_id → points, and each check's maximum, in notebook order."""
    lesson: str
    max_points: dict[str, float] = field(default_factory=dict)
    points: dict[str, dict[str, float]] = field(default_factory=dict)


def read_scores(db_url: str, lessons: list[str] | None, source: Path) -> dict[str, LessonScores]:
    """Every submission's points per graded cell, through nbgrader's own gradebook API; checks in
    the order of the lesson's source notebook in ``source`` (the gradebook keeps no order)."""
    from nbgrader.api import Gradebook

    found: dict[str, LessonScores] = {}
    with Gradebook(db_url) as gradebook:
        for assignment in gradebook.assignments:
            if lessons and assignment.name not in lessons:
                continue
            scores = found.setdefault(assignment.name, LessonScores(assignment.name))
            maxima = {cell.name: float(cell.max_score) for notebook in assignment.notebooks
                      for cell in notebook.grade_cells}
            order = [name for name in _cell_order(source, assignment.name) if name in maxima]
            scores.max_points = {name: maxima[name] for name in order + sorted(set(maxima) - set(order))}
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        scores.points.setdefault(submission.student.id, {})[grade.name] = float(grade.score or 0.0)
    return found


def _cell_order(source: Path, lesson: str) -> list[str]:
    import nbformat

    try:
        notebook = nbformat.read(source / lesson / f"{lesson}.ipynb", as_version=4)
    except (OSError, ValueError):
        return []
    return [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade")]


def source_folder(root: Path) -> Path:
    """The course's source folder (nbgrader's CourseDirectory.source_directory, from its config)."""
    from .worker import course_config

    return root / course_config(root, None, sandbox=False).CourseDirectory.get("source_directory", "source")


# ------------------------------------------------------------------------------- statistics

def discrimination(item: list[float], rest: list[float]) -> float | None:
    """Pearson correlation of a check's points with the rest of the score; None if undefined."""
    if len(item) < 3:
        return None
    try:
        return statistics.correlation(item, rest)
    except statistics.StatisticsError:  # a constant column
        return None


def check_rows(scores: LessonScores) -> list[dict]:
    students = sorted(scores.points)
    totals = {student: sum(scores.points[student].values()) for student in students}
    rows = []
    for grade_id, max_points in scores.max_points.items():
        graded = [student for student in students if grade_id in scores.points[student]]
        item = [scores.points[student][grade_id] for student in graded]
        rest = [totals[student] - scores.points[student][grade_id] for student in graded]
        value = discrimination(item, rest)
        rows.append({
            "grade_id": grade_id,
            "max_points": _number(max_points),
            "students": len(graded),
            "mean_points": f"{statistics.fmean(item):.3f}" if item else "",
            "full_marks_rate": f"{sum(p >= max_points for p in item) / len(item):.3f}" if item else "",
            "discrimination": "" if value is None or math.isnan(value) else f"{value:.3f}",
        })
    return rows


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def mistake_rows(scores: LessonScores, results: list[dict]) -> list[dict]:
    """grade_id × cause → learners who lost points there, each under exactly one cause."""
    causes = {(row["student"], row["grade_id"]): row["cause"] for row in results if not row["passed"]}
    counted: dict[tuple[str, str], list[str]] = defaultdict(list)
    for student in sorted(scores.points):
        for grade_id, points in scores.points[student].items():
            if points < scores.max_points.get(grade_id, 0):
                counted[(grade_id, causes.get((student, grade_id)) or UNDIAGNOSED)].append(student)
    order = {grade_id: index for index, grade_id in enumerate(scores.max_points)}
    keys = sorted(counted, key=lambda key: (order.get(key[0], len(order)), -len(counted[key]), key[1]))
    return [{"grade_id": grade_id, "cause": cause, "students": len(counted[(grade_id, cause)]),
             "example": counted[(grade_id, cause)][0]} for grade_id, cause in keys]


def score_rows(scores: LessonScores, results: list[dict], current_version: str | None) -> list[dict]:
    """Each learner's score and the course version that graded it: ``current`` is ``yes`` when
    that is the lesson's version now, ``no`` when an older one graded it (``grade_class
    --regrade-changed`` regrades those), empty when the gradebook has no record of it."""
    maximum = sum(scores.max_points.values())
    graded_with = defaultdict(set)
    for row in results:
        graded_with[row["student"]].add(row["version"])
    rows = []
    for student in sorted(scores.points):
        versions = sorted(graded_with.get(student, ()))
        current = ""
        if versions and current_version:
            current = "yes" if versions == [current_version] else "no"
        rows.append({"student_id": student, "score": _number(sum(scores.points[student].values())),
                     "max_score": _number(maximum), "version": " ".join(versions), "current": current})
    return rows


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


# ------------------------------------------------------------------------------- what a cause means

def describe(cause: str) -> str:
    """A cause in Korean words for the instructor: the hint a diagnosed mistake gave (found by its
    id in the graders), or what the other kinds mean."""
    if cause == NOT_ATTEMPTED:
        return "손대지 않음: 답 셀이 아직 NotImplementedError 를 냅니다."
    if cause == TIMEOUT:
        return "시간 초과: 노트북이나 커널이 시간 안에 끝나지 않았습니다."
    if cause == UNDIAGNOSED:
        return "진단 없음: 검사가 실패했지만 원인을 짚는 힌트가 없었습니다."
    if cause.startswith(ERROR_PREFIX):
        return f"학습자 코드의 오류: {cause[len(ERROR_PREFIX):]}"
    if "=" in cause and "." not in cause.split("=", 1)[0]:
        name, letter = cause.split("=", 1)
        if letter == "?":
            return f"개념 문제 {name}: 보기 글자 하나가 아닌 답을 넣었습니다."
        return f"개념 문제 {name}: 보기 {letter} 를 골랐습니다."
    return _hint_text(cause) or cause


def _hint_text(cause: str) -> str | None:
    """The text of a grader's hint constant (``validation.WEIGHTING``, ``functional.ERROR_HINTS[1]``)
    or the first line of a check's docstring (``optim.check_training``)."""
    import importlib

    module_name, _, attribute = cause.partition(".")
    name, _, index = attribute.partition("[")
    try:
        module = importlib.import_module(f"nncourse.graders.{module_name}")
    except ImportError:
        return None
    value = getattr(module, name, None)
    if isinstance(value, dict) and index.rstrip("]").isdigit():
        values = list(value.values())
        position = int(index.rstrip("]"))
        value = values[position] if position < len(values) else None
    if isinstance(value, str):
        return value
    if callable(value):
        return f"{name} 검사의 실패" + (f": {value.__doc__.strip().splitlines()[0]}" if value.__doc__ else "")
    return None


# ------------------------------------------------------------------------------- the HTML page

def _figure_png(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _plots(scores: LessonScores, checks: list[dict]) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plots import use_korean_font

    use_korean_font()
    totals = [sum(points.values()) for points in scores.points.values()]
    maximum = sum(scores.max_points.values())
    figure, axes = plt.subplots(figsize=(5.5, 3))
    axes.hist(totals, bins=min(20, int(maximum) + 1), range=(0, maximum), color="#4c72b0", edgecolor="white")
    axes.set_xlabel(f"점수 (만점 {_number(maximum)})")
    axes.set_ylabel("학습자 수")
    axes.set_title("점수 분포")
    histogram = _figure_png(figure)

    figure, axes = plt.subplots(figsize=(5.5, 4))
    points = defaultdict(list)  # checks at the same spot share one label
    for row in checks:
        if row["full_marks_rate"] == "":
            continue
        spot = (float(row["full_marks_rate"]), float(row["discrimination"]) if row["discrimination"] else 0.0)
        points[(spot, bool(row["discrimination"]))].append(row["grade_id"].removeprefix("test_"))
    # Each spot gets a number and the checks' names are listed beside the plot: names written at
    # the points printed over each other when checks had nearly the same difficulty.
    for number, (((difficulty, value), defined), names) in enumerate(sorted(points.items()), start=1):
        axes.scatter(difficulty, value, color="#dd8452" if defined else "#999999",
                     label=f"{number}: {', '.join(names)}")
        axes.annotate(str(number), (difficulty, value), fontsize=8, xytext=(4, 3), textcoords="offset points")
    if points:
        axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=7, handletextpad=0.2, frameon=False)
    axes.axhline(0.2, color="#bbbbbb", linestyle="--", linewidth=1)
    axes.set_xlim(-0.05, 1.05)
    axes.set_ylim(-1.05, 1.05)
    axes.set_xlabel("만점 비율 (높을수록 쉬운 검사)")
    axes.set_ylabel("변별도 (나머지 점수와의 상관)")
    axes.set_title("검사별 난이도와 변별도")
    scatter = _figure_png(figure)
    return histogram, scatter


def _table(columns: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def lesson_section(scores: LessonScores, checks: list[dict], mistakes: list[dict], results: list[dict],
                   graded: list[dict], feedback_root: Path, out: Path, current_version: str | None) -> str:
    """The lesson's part of index.html; ``graded``: its :func:`score_rows` (the version of each score)."""
    e = html.escape
    students = len(scores.points)
    maximum = sum(scores.max_points.values())
    totals = [sum(points.values()) for points in scores.points.values()]
    parts = [f'<section id="{e(scores.lesson)}"><h2>{e(scores.lesson)}</h2>',
             f"<p>학습자 {students}명, 평균 {statistics.fmean(totals) if totals else 0:.2f} / {_number(maximum)}점, "
             f"만점 {sum(total >= maximum for total in totals)}명. "
             f'<a href="{e(scores.lesson)}/checks.csv">checks.csv</a> · '
             f'<a href="{e(scores.lesson)}/mistakes.csv">mistakes.csv</a> · '
             f'<a href="{e(scores.lesson)}/scores.csv">scores.csv</a> (학습자별 점수와 그 점수를 낸 코스 버전)</p>']
    if students:
        histogram, scatter = _plots(scores, checks)
        parts.append(f'<div class="plots"><img alt="점수 분포" src="data:image/png;base64,{histogram}">'
                     f'<img alt="검사별 난이도와 변별도" src="data:image/png;base64,{scatter}"></div>')
    parts.append("<h3>검사별</h3>")
    parts.append(_table(["검사 (grade_id)", "배점", "학습자", "평균", "만점 비율", "변별도"],
                        [[e(row["grade_id"]), row["max_points"], str(row["students"]), row["mean_points"],
                          row["full_marks_rate"], row["discrimination"] or "—"] for row in checks]))
    top = sorted(mistakes, key=lambda row: -row["students"])[:TOP_MISTAKES]
    parts.append(f"<h3>가장 흔한 실수 (상위 {len(top)}개, 전부는 mistakes.csv)</h3>")
    told = defaultdict(Counter)  # what the learners under each cause were told
    for row in results:
        if not row["passed"] and row.get("hint"):
            told[(row["grade_id"], row["cause"])][row["hint"]] += 1
    rows = []
    for row in top:
        page = feedback_root / row["example"] / scores.lesson / f"{scores.lesson}.html"
        example = e(row["example"])
        if page.is_file():
            example = f'<a href="{e(os.path.relpath(page, out))}">{example}</a>'
        hints = told.get((row["grade_id"], row["cause"]))
        meaning = f"힌트: {hints.most_common(1)[0][0]}" if hints else describe(row["cause"])
        rows.append([e(row["grade_id"]), f"<code>{e(row['cause'])}</code>", e(meaning),
                     str(row["students"]), example])
    parts.append(_table(["검사", "원인 (id)", "뜻 (학습자가 받은 힌트)", "학습자 수", "예 (피드백)"], rows) if rows
                 else "<p>점수를 잃은 학습자가 없습니다.</p>")
    versions = Counter(", ".join(row["version"].split()) or "기록 없음" for row in graded)
    lines = []
    for version, count in versions.most_common():
        note = " (지금 버전)" if version == current_version else (" (예전 버전: --regrade-changed 로 다시 채점)"
                                                                  if current_version and version != "기록 없음" else "")
        lines.append(f"<li><code>{e(version)}</code>: {count}명{note}</li>")
    parts.append(f"<h3>채점한 코스 버전</h3><ul>{''.join(lines)}</ul></section>")
    return "".join(parts)


STYLE = """
body { font-family: 'NanumGothic', 'Noto Sans CJK KR', sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; font-size: 14px; }
th { background: #f2f2f2; }
code { font-size: 13px; }
.plots img { margin-right: 1em; }
nav a { margin-right: 1em; }
"""


def write_report(root: Path, db_url: str, lessons: list[str] | None, out: Path) -> dict[str, tuple[Path, Path]]:
    """Write the CSVs and index.html; lesson → (checks.csv, mistakes.csv)."""
    from .results import current_version, read_results

    source = source_folder(root)
    scores = read_scores(db_url, lessons, source)
    if lessons:
        missing = sorted(set(lessons) - set(scores))
        if missing:
            raise SystemExit(f"gradebook 에 이 강의가 없습니다 / not in the gradebook: {', '.join(missing)}")
    written, sections = {}, []
    for lesson in sorted(scores):
        results = read_results(db_url, lesson)
        checks = check_rows(scores[lesson])
        mistakes = mistake_rows(scores[lesson], results)
        checks_csv, mistakes_csv = out / lesson / "checks.csv", out / lesson / "mistakes.csv"
        write_csv(checks_csv, CHECK_COLUMNS, checks)
        write_csv(mistakes_csv, MISTAKE_COLUMNS, mistakes)
        written[lesson] = (checks_csv, mistakes_csv)
        current = current_version(db_url, lesson)
        graded = score_rows(scores[lesson], results, current)
        write_csv(out / lesson / "scores.csv", SCORE_COLUMNS, graded)
        sections.append(lesson_section(scores[lesson], checks, mistakes, results, graded, root / "feedback", out,
                                       current))
    nav = "".join(f'<a href="#{html.escape(lesson)}">{html.escape(lesson)}</a>' for lesson in sorted(scores))
    page = (f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>반 보고서</title>'
            f"<style>{STYLE}</style></head><body><h1>반 보고서: 무엇을 틀렸나</h1>"
            "<p>강의마다 점수 분포, 검사별 난이도(만점 비율)와 변별도(그 검사의 점수와 나머지 점수의 상관: "
            "0.2 아래면 실력과 상관없이 갈리는 검사일 수 있습니다), 가장 흔한 실수와 그 예를 보여 줍니다. "
            "실수는 채점기가 붙인 원인 id 로 셉니다.</p>"
            f"<nav>{nav}</nav>{''.join(sections) or '<p>채점된 제출물이 없습니다.</p>'}</body></html>")
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text(page, encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="course root (default: here)")
    parser.add_argument("--lesson", action="append", help="only this lesson (repeatable)")
    parser.add_argument("--out", type=Path, help="output folder (default: <root>/reports)")
    parser.add_argument("--db-url-file", help="a file (mode 600) holding the gradebook URL")
    args = parser.parse_args(argv)
    from .grade_class import read_db_url

    root = args.root.resolve()
    args.db_url = None
    db_url = read_db_url(args) or f"sqlite:///{root / 'gradebook.db'}"
    out = (args.out or root / "reports").resolve()
    written = write_report(root, db_url, args.lesson, out)
    for lesson, (checks_csv, mistakes_csv) in written.items():
        print(f"{lesson}: {checks_csv.relative_to(out.parent)}, {mistakes_csv.relative_to(out.parent)}")
    print(f"보고서 / report: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
