"""The zip to hand out to learners: notebooks, the course package, MNIST, no answers.

    python -m nncourse.grading.learner_bundle [--out build/torch-nn-ko-learner.zip]

Cloning the repository would hand learners ``solutions/`` with every answer and hidden test.
The bundle holds only what a learner needs:

- ``notebooks/``: the learner notebooks nbgrader generated, and the start page ``00_시작하기.md``;
- ``nncourse/``: the course package the notebooks' setup and check cells import, installed by
  the bundle's own ``pyproject.toml`` (learner dependencies only, the same pins as the course);
- ``data/``: the MNIST files with their checksums and licence;
- ``README.md``: the two commands to set up and start, in Korean.

The builder refuses to write a bundle that contains solution or hidden-test markers. With
``--self-study`` (``make learner-bundle SELF_STUDY=1``, for learners who study alone, not for a
graded class) it also carries each exercise's worked answer in ``nncourse/help/solutions.json``,
which the notebooks' ``solution(N)`` shows (nncourse.help); without it ``solution(N)`` says the
course does not show answers.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PACKAGE = Path(__file__).resolve().parents[1]
ROOT_NAME = "torch-nn-ko-learner"
DEFAULT_OUT = REPO / "build" / f"{ROOT_NAME}.zip"
SELF_STUDY_OUT = REPO / "build" / "torch-nn-ko-self-study.zip"
#: What learners' kernels and JupyterLab need; grading tools (nbgrader, psycopg...) stay out.
LEARNER_PACKAGES = ("torch", "numpy", "jupyterlab", "matplotlib", "koreanize-matplotlib", "tqdm")
#: nbgrader's markers, spelled so that this file does not contain them itself.
FORBIDDEN = tuple(f"### {edge} {what}" for edge in ("BEGIN", "END") for what in ("SOLUTION", "HIDDEN TESTS"))

README = """# torch.nn 제대로 배우기 — 학습자용

손으로 짠 MNIST 분류기를 한 단계씩 PyTorch 다운 코드로 바꿔 가며 배우는 과정입니다. Python 3.11 이 필요합니다.

## 설치와 시작 (이 폴더에서)

```bash
python3 -m venv .venv && .venv/bin/python -m pip install .
.venv/bin/python -m nncourse.lab
```

Windows 에서는 `.venv\\Scripts\\python` 을 쓰세요. 두 번째 명령이 JupyterLab 을 열고 `00_시작하기.md` 를 보여 줍니다.
거기서 강의 목록과 확인 셀 사용법을 읽고 `01_mnist_data` 부터 푸세요.

MNIST 데이터는 `data/` 에 들어 있어 인터넷이 필요 없습니다(출처와 라이선스: `data/README.md`).
"""


def _pyproject() -> str:
    course = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = {re.split(r"[=<>\[ ]", dep, maxsplit=1)[0]: dep for dep in course["dependencies"]}
    deps = ",\n".join(f'    "{pins[name]}"' for name in LEARNER_PACKAGES)
    return f'''[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "nncourse"
version = "{course["version"]}"
description = "한국어 PyTorch torch.nn 강의 (학습자용)"
requires-python = "{course["requires-python"]}"
dependencies = [
{deps},
]

[tool.setuptools]
packages = ["nncourse", "nncourse.graders", "nncourse.help"]

[tool.setuptools.package-data]
nncourse = ["*.json"]
"nncourse.help" = ["*.toml", "*.json"]
'''


def in_learner_kernel(relative: Path) -> bool:
    """Code the learner's kernel runs: everything but the instructor's ``nncourse/grading/``."""
    return relative.parts[0] != "grading"


def bundle_files() -> dict[str, Path | str]:
    """Path inside the bundle → source file (or text)."""
    files: dict[str, Path | str] = {"README.md": README, "pyproject.toml": _pyproject()}
    for source in sorted((REPO / "notebooks").rglob("*")):
        if source.is_file() and ".ipynb_checkpoints" not in source.parts:
            files[f"notebooks/{source.relative_to(REPO / 'notebooks').as_posix()}"] = source
    for source in sorted(PACKAGE.rglob("*")):
        if source.is_file() and source.suffix in (".py", ".json", ".toml") and "__pycache__" not in source.parts \
                and in_learner_kernel(source.relative_to(PACKAGE)):
            files[f"nncourse/{source.relative_to(PACKAGE).as_posix()}"] = source
    for source in sorted((REPO / "data").rglob("*")):
        if source.is_file():
            files[f"data/{source.relative_to(REPO / 'data').as_posix()}"] = source
    return files


EXERCISE = re.compile(r"^## 연습 (\d+)\.")
#: Headings that end an exercise's answer cells: the next section, or a concept question.
SECTION_END = re.compile(r"^(## |### 개념 확인)")


def exercise_answers(notebook) -> dict[str, str]:
    """Exercise number → the code of its answer cells (the solution cells after the heading
    ``## 연습 N.``, up to the next section or concept question), without nbgrader's markers."""
    answers: dict[str, list[str]] = {}
    current = None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            fenced = False
            for line in cell.source.splitlines():
                if line.startswith("```"):
                    fenced = not fenced
                elif not fenced and EXERCISE.match(line):
                    current = EXERCISE.match(line).group(1)
                elif not fenced and SECTION_END.match(line):
                    current = None
        elif current and cell.metadata.get("nbgrader", {}).get("solution"):
            code = "\n".join(line for line in cell.source.splitlines()
                             if line.strip() not in ("### BEGIN " + "SOLUTION", "### END " + "SOLUTION"))
            answers.setdefault(current, []).append(code.strip())
    return {number: "\n\n".join(parts) for number, parts in answers.items()}


def worked_solutions() -> str:
    """``nncourse/help/solutions.json`` of a self-study bundle: lesson → exercise → code."""
    import json

    import nbformat

    table = {}
    for path in sorted((REPO / "solutions").glob("[0-9]*/*.ipynb")):
        table[path.stem] = exercise_answers(nbformat.read(path, as_version=4))
    return json.dumps(table, ensure_ascii=False, indent=1) + "\n"


def check_no_answers(files: dict[str, Path | str]) -> None:
    for name, source in files.items():
        if name.endswith((".gz",)):
            continue
        text = source if isinstance(source, str) else source.read_text(encoding="utf-8", errors="ignore")
        for marker in FORBIDDEN:
            if marker in text:
                raise SystemExit(f"{name} 에 {marker!r} 가 있습니다: 정답이 든 파일은 묶지 않습니다. "
                                 f"/ {name} contains {marker!r}; run `make generate` first.")
    if any(name.startswith("solutions/") for name in files):
        raise SystemExit("solutions/ 는 묶지 않습니다 / solutions/ must not be bundled")


def build(out: Path = DEFAULT_OUT, self_study: bool = False) -> Path:
    files = bundle_files()
    check_no_answers(files)
    if self_study:  # the worked answers, marker-free: the one thing a graded release never holds
        files["nncourse/help/solutions.json"] = worked_solutions()
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, source in files.items():
            target = f"{ROOT_NAME}/{name}"
            if isinstance(source, str):
                archive.writestr(target, source)
            else:
                archive.write(source, target)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--self-study", action="store_true",
                        help="also the worked answers, which solution(N) shows (not for a graded class)")
    args = parser.parse_args(argv)
    out = build(args.out or (SELF_STUDY_OUT if args.self_study else DEFAULT_OUT), args.self_study)
    with zipfile.ZipFile(out) as archive:
        count = len(archive.namelist())
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB, 파일 {count}개) — 학습자에게 이 파일을 나눠 주세요 "
          "/ hand this file to learners")
    return 0


if __name__ == "__main__":
    sys.exit(main())
