"""A learner's progress: which checks of which lessons pass, read from their own saved notebooks.

    progress()                       # in any lesson's notebook, after its setup cell
    python -m nncourse.progress [notebooks folder]

For every lesson notebook (``<folder>/<id>/<id>.ipynb``) it reads the outputs JupyterLab saved
under each check cell: ``✅`` with no error is passed, an error is failed, no output is not run
yet; checks are named by the exercise they follow (``연습 4``, ``개념 확인``). It runs nothing and
reads only what is saved, so save the notebook (JupyterLab saves by itself every two minutes)
after running it. The grader runs hidden checks too, so this is what passes *here*, not a score.
"""

from __future__ import annotations

import html
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

PASS_MARK = "✅"
LESSON_FOLDER = re.compile(r"^\d\d_[a-z_]+$")
HEADING = re.compile(r"^(#{2,3}) (연습 \d+|개념 확인[^.]*)\.?", re.MULTILINE)
STATES = {"passed": "✅ 통과", "failed": "❌ 실패", "not run": "· 아직 실행 안 함"}


@dataclass
class LessonProgress:
    lesson: str
    title: str
    checks: list[tuple[str, str]] = field(default_factory=list)  # (exercise label, state)

    def count(self, state: str) -> int:
        return sum(1 for _, seen in self.checks if seen == state)


def _state(cell: dict) -> str:
    outputs = cell.get("outputs") or []
    if not outputs:
        return "not run"
    if any(output.get("output_type") == "error" for output in outputs):
        return "failed"
    text = "".join(str(output.get("text", "")) for output in outputs)
    return "passed" if PASS_MARK in text else "failed"


def read_lesson(path: Path) -> LessonProgress:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    title, label = path.stem, "준비"
    progress = LessonProgress(path.stem, title)
    for cell in notebook.get("cells", []):
        source = "".join(cell.get("source", []))
        if cell.get("cell_type") == "markdown":
            first = source.lstrip().splitlines()[0] if source.strip() else ""
            if first.startswith("# ") and progress.title == path.stem:
                progress.title = first[2:].strip()
            for _, heading in HEADING.findall(source):
                label = heading.strip()
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            progress.checks.append((label, _state(cell)))
    return progress


def notebooks_folder(start: Path | None = None) -> Path:
    """The folder that holds the lesson folders: ``start`` (default: here) or its parent when
    ``start`` is a lesson's own folder, as a notebook's kernel is."""
    start = (start or Path.cwd()).resolve()
    return start.parent if LESSON_FOLDER.match(start.name) else start


def read_all(folder: Path) -> list[LessonProgress]:
    found = []
    for lesson in sorted(path for path in folder.iterdir() if path.is_dir() and LESSON_FOLDER.match(path.name)):
        notebook = lesson / f"{lesson.name}.ipynb"
        if notebook.is_file():
            found.append(read_lesson(notebook))
    return found


def as_text(lessons: list[LessonProgress]) -> str:
    lines = ["진도: 저장된 노트북의 확인 셀 (채점에는 숨겨진 확인도 있습니다)", ""]
    for lesson in lessons:
        total = len(lesson.checks)
        lines.append(f"{lesson.title}: {lesson.count('passed')}/{total} 통과"
                     + (f", 실패 {lesson.count('failed')}" if lesson.count("failed") else "")
                     + (f", 아직 {lesson.count('not run')}" if lesson.count("not run") else ""))
        todo = [f"{label} {STATES[state]}" for label, state in lesson.checks if state != "passed"]
        if todo and lesson.count("passed"):
            lines.append("    " + "; ".join(todo))
    return "\n".join(lines)


def as_html(lessons: list[LessonProgress]) -> str:
    e = html.escape
    rows = []
    for lesson in lessons:
        total = len(lesson.checks) or 1
        done = lesson.count("passed")
        marks = " ".join(
            f'<span title="{e(label)}: {e(STATES[state])}">{"✅" if state == "passed" else "❌" if state == "failed" else "·"}</span>'
            for label, state in lesson.checks)
        rows.append(f"<tr><td>{e(lesson.title)}</td><td>{done}/{len(lesson.checks)}</td>"
                    f'<td><div style="background:#eee;width:120px;height:10px"><div style="background:#2a9d8f;'
                    f'width:{120 * done // total}px;height:10px"></div></div></td><td>{marks}</td></tr>')
    return ("<p><b>진도</b>: 저장된 노트북의 확인 셀입니다(✅ 통과, ❌ 실패, · 아직 실행 안 함; 표시에 마우스를 올리면 어느 연습인지 "
            "보입니다). 채점에는 숨겨진 확인도 있습니다. 방금 실행한 결과는 노트북을 저장한 뒤에 보입니다.</p>"
            "<table><tr><th>강의</th><th>통과</th><th></th><th>확인 셀</th></tr>" + "".join(rows) + "</table>")


def progress(folder: str | Path | None = None) -> None:
    """Show the learner's progress (an HTML table in JupyterLab, text elsewhere)."""
    lessons = read_all(notebooks_folder(Path(folder) if folder else None))
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display

        if get_ipython() is not None:
            display(HTML(as_html(lessons)))
            return
    except ImportError:
        pass
    print(as_text(lessons))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = notebooks_folder(Path(args[0]) if args else None)
    lessons = read_all(folder)
    if not lessons:
        print(f"{folder} 에 강의 노트북이 없습니다. 노트북 폴더를 넣어 실행하세요: python -m nncourse.progress notebooks")
        return 1
    print(as_text(lessons))
    return 0


if __name__ == "__main__":
    sys.exit(main())
