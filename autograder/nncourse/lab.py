"""Start JupyterLab on the learner notebooks, set up for this course.

    python -m nncourse.lab [NOTEBOOK_DIR]

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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    notebooks = Path(args[0] if args else "notebooks").resolve()
    if not notebooks.is_dir():
        print(f"노트북 폴더가 없습니다: {notebooks}\n고치는 법: 과정 폴더에서 실행하세요. / "
              f"No notebook folder at {notebooks}; run this from the course folder.", file=sys.stderr)
        return 2
    install_overrides()
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={notebooks}"]
    if (notebooks / START_PAGE).exists():
        command.append(START_PAGE)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    os.execv(sys.executable, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
