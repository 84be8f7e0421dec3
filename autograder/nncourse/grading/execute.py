"""Run the solution notebooks and store their outputs, several notebooks at once.

    python -m nncourse.grading.execute [--lesson ID ...] [--workers N] [--dry-run]

Each notebook gets its own fresh kernel, as nbval and nbgrader give it, with one torch thread
(the numbers nbval compares are those of one thread). Several kernels run side by side, one
per core by default: on a 2-core machine the ten lessons take about half as long as one after
the other, because a kernel's start and its torch import use one core only.
``--dry-run`` executes without writing (the benchmark uses it); ``--times-only`` writes only
each lesson's time to ``lesson_seconds.json`` (the grader's time budget per notebook is derived from
it, see notebook_limits), which a full run writes too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SOLUTIONS = REPO / "solutions"
#: One torch thread per kernel (see nncourse.lesson), no progress bars in stored outputs.
KERNEL_ENV = {"NNCOURSE_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NNCOURSE_PROGRESS": "0"}
CELL_TIMEOUT = 600


def lesson_ids() -> list[str]:
    return sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").is_file())


def execute_notebook(path: Path, write: bool = True) -> float:
    """Execute one notebook in a fresh kernel; return the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    from .kernels.ipc import kernel_config, private_socket_folder

    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    # The kernel is thrown away afterwards: no need to wait for a graceful shutdown. Unix
    # sockets, not TCP ports: the other kernels started beside this one cannot take them.
    with private_socket_folder() as sockets:
        NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3", record_timing=False,
                       shutdown_kernel="immediate", config=kernel_config(sockets),
                       resources={"metadata": {"path": str(path.parent)}}).execute(
            env={**os.environ, **KERNEL_ENV})
    seconds = time.perf_counter() - started
    if write:
        from nbconvert.preprocessors import CoalesceStreamsPreprocessor

        # A print can reach the notebook in several stream chunks, split wherever the kernel
        # happened to flush: one output per stream keeps the stored outputs' diffs quiet.
        CoalesceStreamsPreprocessor().preprocess(notebook, {})
        nbformat.write(notebook, path)
    return seconds


def execute_all(lessons: list[str], workers: int, write: bool = True, show_progress: bool = True) -> dict[str, float]:
    """Execute the lessons' solution notebooks, ``workers`` at a time; lesson → seconds."""
    from tqdm import tqdm

    # Longest first (the later lessons train more), so no worker is left with a long one at the end.
    order = sorted(lessons, reverse=True)
    seconds = {}
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(execute_notebook, SOLUTIONS / lesson / f"{lesson}.ipynb", write): lesson
                   for lesson in order}
        with tqdm(total=len(futures), desc=f"노트북 실행 / executing ({workers} at once)", unit="nb",
                  disable=not show_progress) as bar:
            for future in as_completed(futures):
                lesson = futures[future]
                seconds[lesson] = future.result()
                bar.set_postfix_str(f"{lesson} {seconds[lesson]:.1f} s")
                bar.update()
    return dict(sorted(seconds.items()))


def record_seconds(seconds: dict[str, float]) -> None:
    """Merge the lessons' times into lesson_seconds.json (the other lessons keep theirs)."""
    from .nbgrader_plugins.notebook_limits import LESSON_SECONDS_FILE

    try:
        table = json.loads(LESSON_SECONDS_FILE.read_text(encoding="utf-8"))["seconds"]
    except (OSError, KeyError, ValueError):
        table = {}
    table.update({lesson: round(took, 1) for lesson, took in seconds.items()})
    document = {"what": "seconds each solution notebook took, in a fresh kernel with one torch thread "
                        "(python -m nncourse.grading.execute); the grader's time budget per notebook "
                        "is derived from them (nncourse.grading.nbgrader_plugins.notebook_limits)",
                "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
                "seconds": dict(sorted(table.items()))}
    LESSON_SECONDS_FILE.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lesson", action="append", help="only this lesson (repeatable)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dry-run", action="store_true", help="execute, but do not write the notebooks")
    parser.add_argument("--times-only", action="store_true",
                        help="execute, write only the lessons' times (lesson_seconds.json), not the notebooks")
    args = parser.parse_args(argv)
    lessons = args.lesson or lesson_ids()
    unknown = sorted(set(lessons) - set(lesson_ids()))
    if unknown:
        parser.error(f"없는 강의 / unknown lesson: {', '.join(unknown)}")
    started = time.perf_counter()
    seconds = execute_all(lessons, args.workers, write=not (args.dry_run or args.times_only))
    if not args.dry_run:
        record_seconds(seconds)
    for lesson, took in seconds.items():
        print(f"{lesson:18} {took:6.1f} s")
    print(f"{'합계 / wall':18} {time.perf_counter() - started:6.1f} s ({args.workers} at once)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
