"""Start JupyterLab on the learner notebooks, set up for this course.

    python -m nncourse.lab [NOTEBOOK_DIR] [JupyterLab options, e.g. --port=8890 --no-browser]

Installs the course's JupyterLab settings overrides (no "Jupyter news" question on a fresh
profile, Markdown files such as 00_시작하기.md open as a rendered page) through JupyterLab's own
mechanism, ``<sys.prefix>/share/jupyter/lab/settings/overrides.json``, then starts JupyterLab.
``make lab`` and the learner bundle both use it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

OVERRIDES = Path(__file__).with_name("jupyterlab_overrides.json")
START_PAGE = "00_시작하기.md"


def overrides_path() -> Path:
    return Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def install_overrides() -> Path:
    """Merge the course's overrides into this environment's overrides.json (other keys kept)."""
    target = overrides_path()
    current = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    for plugin, settings in json.loads(OVERRIDES.read_text(encoding="utf-8")).items():
        current.setdefault(plugin, {}).update(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def split_arguments(args: list[str]) -> tuple[Path, list[str]]:
    """(notebook folder, JupyterLab options): the folder is the first argument when it is not an option."""
    if args and not args[0].startswith("-"):
        return Path(args[0]).resolve(), args[1:]
    return Path("notebooks").resolve(), list(args)


def lab_command(notebooks: Path, options: list[str]) -> list[str]:
    """The JupyterLab command line, to be run with ``notebooks`` as the working folder.

    JupyterLab resolves a file named on its command line against the working folder, not
    against ``--notebook-dir``; started from anywhere else, the start page is "not found" and
    JupyterLab exits. So the command runs inside the notebook folder and names the page relative to it.
    """
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={notebooks}"]
    if (notebooks / START_PAGE).exists():
        command.append(START_PAGE)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in options:
        command.append("--allow-root")
    return command + options


def main(argv: list[str] | None = None) -> int:
    notebooks, options = split_arguments(list(sys.argv[1:] if argv is None else argv))
    if not notebooks.is_dir():
        print(f"노트북 폴더가 없습니다: {notebooks}\n고치는 법: 과정 폴더에서 실행하거나 노트북 폴더를 첫 인자로 주세요. / "
              f"No notebook folder at {notebooks}; run this from the course folder or name the folder first.",
              file=sys.stderr)
        return 2
    install_overrides()
    os.chdir(notebooks)
    command = lab_command(notebooks, options)
    os.execv(sys.executable, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
