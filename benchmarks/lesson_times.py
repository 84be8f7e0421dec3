"""Per-lesson execution time of the solution notebooks, and the MNIST load time.

    python benchmarks/lesson_times.py [--repeat 3] [--lesson 02_from_scratch ...]

Each notebook is executed from a fresh kernel, the way nbval and nbgrader run it; the figure is
the median wall time over the repeats. Targets (issues): at most 20 s for lessons 02–06 and 25 s
for lessons 07–10 on the course's 2-core machine. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from nncourse.grading.kernels.ipc import kernel_config, private_socket_folder

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = {"01": 20, "02": 20, "03": 20, "04": 20, "05": 20, "06": 20,
                  "07": 25, "08": 25, "09": 25, "10": 25}


def run_notebook(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    with private_socket_folder() as sockets:  # not TCP ports: see nncourse.grading.kernels.ipc
        NotebookClient(notebook, timeout=600, kernel_name="python3", config=kernel_config(sockets),
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - started


def load_time(repeat: int) -> float:
    from nncourse import load_mnist

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        load_mnist()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lesson", action="append")
    args = parser.parse_args()
    os.environ["NNCOURSE_PROGRESS"] = "0"

    lessons = args.lesson or sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
    print(f"MNIST 불러오기 / load_mnist(): {load_time(5):.2f} s (median of 5, in-process)")
    print(f"{'lesson':18} {'median s':>9} {'min s':>7} {'max s':>7} {'target s':>9}  result")
    for lesson in lessons:
        times = [run_notebook(REPO / "solutions" / lesson / f"{lesson}.ipynb") for _ in range(args.repeat)]
        target = TARGET_SECONDS.get(lesson[:2], 25)
        median = statistics.median(times)
        verdict = "ok" if median <= target else "OVER TARGET"
        print(f"{lesson:18} {median:9.1f} {min(times):7.1f} {max(times):7.1f} {target:9d}  {verdict}",
              flush=True)


if __name__ == "__main__":
    main()
