"""How fast a class is graded: the figures of the grading-engine issue, as one printed table.

    python benchmarks/grading_bench.py [--repeat 3] [--students 1] [--part notebooks|grading|ordinary|sandbox]

1. All solution notebooks executed as notebooks (one fresh kernel each, as nbval and nbgrader
   run them) by the course's own command, `python -m nncourse.grading.execute` (`make execute`:
   one kernel per core, one torch thread each), against the same code cells run as one plain
   Python script, with the better of one and two torch threads. Goal: ratio ≤ 1.5.
2. K simulated learners × every lesson (solution-filled learner notebooks): plain sequential
   `nbgrader autograde LESSON --student S` (a new process per submission, as nbgrader is used
   out of the box) against `python -m nncourse.grading.grade_class` (long-lived workers, warm
   kernels in the sandbox) with 1 and with 2 workers: seconds per submission, the speed-up
   (goal ≥ 3.5× on 2 cores), the peak memory of one worker (the worker, its running kernel and
   its warm one), and the projected time for 200 and 2,000 learners × all lessons on this machine
   and on 4 such machines sharing a PostgreSQL gradebook (`--shard K/4`).
3. The same grading as an ordinary user (not root; made by tests/ordinary_user.py when the bench
   runs as root): plain sequential `nbgrader autograde` against `grade_class` with kernels forked
   into bwrap's user-namespace sandbox, and with exec'd kernels (--no-fork). Goal ≥ 3.5× as well.
4. What the grading sandbox (nncourse.grading.kernels.sandbox) adds per submission: a kernel started,
   made to import what every lesson imports, and shut down, by nbgrader's kernel manager and by
   the sandboxed one, taking turns (plus the safe copy of a submission). Goal: ≤ 0.3 s.

Every figure is the median of --repeat runs. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from nbgrader_course import filled_notebook, lesson_ids, make_course, nbgrader_env, run_nbgrader, submit  # noqa: E402
from nncourse.grading import grade_class  # noqa: E402
from nncourse.grading.execute import execute_all  # noqa: E402

def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], per: int = 1) -> str:
    """The runs' range (min–max) per submission: a median of 3 hides one slow run."""
    return f"runs {min(values) / per:.2f}–{max(values) / per:.2f}"


def time_notebooks(lessons: list[str], workers: int) -> float:
    """Wall time of `python -m nncourse.grading.execute` (one fresh kernel per notebook)."""
    started = time.perf_counter()
    execute_all(lessons, workers, write=False, show_progress=False)
    return time.perf_counter() - started


def plain_script(lessons: list[str]) -> str:
    """Every lesson's code cells, each lesson in its own namespace, in one Python process."""
    parts = ["import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"]
    for lesson in lessons:
        notebook = nbformat.read(REPO / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
        code = "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
        parts.append(f"exec(compile({code!r}, {lesson!r}, 'exec'), {{'__name__': '__main__'}})\n"
                     "plt.close('all')\n")
    return "".join(parts)


def time_script(script: Path, threads: int) -> float:
    # Record the metrics instead of comparing them: with two threads the CNN's sums run in
    # another order and its numbers drift from the one-thread reference.
    env = {**os.environ, "NNCOURSE_THREADS": str(threads), "NNCOURSE_PROGRESS": "0",
           "OMP_NUM_THREADS": str(threads), "NNCOURSE_RECORD_METRICS": str(script.with_suffix(".jsonl"))}
    started = time.perf_counter()
    subprocess.run([sys.executable, str(script)], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def prepare_class(root: Path, lessons: list[str], students: int) -> list[str]:
    make_course(root, lessons)
    for lesson in lessons:
        run_nbgrader(root, "generate_assignment", lesson, "--force")
    names = [f"learner{i:02d}" for i in range(students)]
    for lesson in lessons:
        for name in names:
            submit(root, name, lesson, filled_notebook(lesson))
    return names


def time_sequential(root: Path, lessons: list[str], students: list[str]) -> float:
    env = nbgrader_env()  # plain: nothing but PATH, as an instructor would run it
    started = time.perf_counter()
    for student in students:
        for lesson in lessons:
            subprocess.run([grade_class.nbgrader_bin(), "autograde", lesson, "--student", student,
                            "--force"], cwd=root, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def time_grade_class(root: Path, lessons: list[str], students: list[str], workers: int, fork: bool = True):
    """Wall time of grade_class's engine over the class, and the peak memory of one worker."""
    jobs = [grade_class.Job(s, lesson) for s in students for lesson in lessons]
    started = time.perf_counter()
    outcomes = grade_class.grade(root, jobs, workers, None, grade_class.DEFAULT_TIMEOUT,
                                 root / "grading_logs", memory_limit_gb=grade_class.DEFAULT_MEMORY_LIMIT_GB,
                                 fork=fork)
    wall = time.perf_counter() - started
    failed = [o for o in outcomes if o.status != "graded"]
    if failed:
        raise SystemExit(f"grading failed: {[(o.job, o.status, str(o.log)) for o in failed]}")
    return wall, max(o.peak_mb for o in outcomes)


KERNEL_WORK = "import torch, matplotlib.pyplot, nncourse\n"


async def _one_kernel(manager_class, workdir: Path) -> float:
    started = time.perf_counter()
    manager = manager_class(kernel_name="python3")
    await manager.start_kernel(cwd=str(workdir), env={**os.environ, **grade_class.WORKER_ENV,
                                                      "NBGRADER_EXECUTION": "autograde"})
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=120)
        reply = await client.execute_interactive(KERNEL_WORK, timeout=120)
        if reply["content"]["status"] != "ok":
            raise SystemExit(f"kernel work failed under {manager_class.__name__}: {reply['content']}")
    finally:
        client.stop_channels()
        await manager.shutdown_kernel()
    return time.perf_counter() - started


def time_sandbox(repeat: int) -> dict[str, float]:
    """Seconds per kernel without and with the sandbox (medians), and per safe copy."""
    import asyncio

    from jupyter_client.manager import AsyncKernelManager
    from nncourse.grading.kernels import sandbox

    plain, boxed, copies = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "submitted"
        source.mkdir()
        nbformat.write(filled_notebook("01_mnist_data"), source / "01_mnist_data.ipynb")
        started = time.perf_counter()
        problem = sandbox.sandbox_problem()
        check = time.perf_counter() - started
        if problem:
            raise SystemExit(sandbox.refusal_message(problem))
        for i in range(repeat):
            work = Path(scratch) / f"work{i}"
            work.mkdir()
            started = time.perf_counter()
            sandbox.copy_submission(source, Path(scratch) / f"copy{i}" / "01_mnist_data")
            copies.append(time.perf_counter() - started)
            plain.append(asyncio.run(_one_kernel(AsyncKernelManager, work)))
            boxed.append(asyncio.run(_one_kernel(sandbox.SandboxedKernelManager, work)))
    return {"plain": median(plain), "sandboxed": median(boxed), "copy": median(copies), "check": check,
            "added": median([b - p for b, p in zip(boxed, plain)]) + median(copies)}


def time_grade_class_lesson01(repeat: int, students: int, workers: int) -> tuple[float, float]:
    """Seconds per submission of lesson 01 by grade_class, with and without the sandbox (at least
    4 learners, so that the workers' start is shared as in a class)."""
    students = max(students, 4)
    with_box, without = [], []
    for _ in range(repeat):
        for flag, times in (([], with_box), (["--no-sandbox"], without)):
            with tempfile.TemporaryDirectory() as scratch:
                root = Path(scratch) / "course"
                prepare_class(root, ["01_mnist_data"], students)
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(root),
                                "--workers", str(workers), "--no-feedback", "--no-export", *flag],
                               cwd=root, env=nbgrader_env(), check=True, capture_output=True)
                times.append((time.perf_counter() - started) / students)
    return median(with_box), median(without)


def sandbox_rows(repeat: int, students: int, workers: int) -> list[tuple[str, str, str]]:
    cost = time_sandbox(max(repeat, 5))
    boxed, plain = time_grade_class_lesson01(repeat, students, workers)
    students = max(students, 4)
    added = cost["added"]
    return [
        ("kernel start + imports + shutdown, nbgrader's manager (s)", f"{cost['plain']:.2f}", ""),
        ("same in the bubblewrap sandbox (s)", f"{cost['sandboxed']:.2f}", "ipc sockets, bwrap, setpriv, prlimit"),
        ("safe copy of a submission (s)", f"{cost['copy']:.3f}", "links not followed"),
        ("sandbox cost per submission (s)", f"{added:.2f}",
         "ok (≤ 0.3 s)" if added <= 0.3 else "OVER 0.3 s"),
        ("sandbox check, once per grade_class run (s)", f"{cost['check']:.2f}", ""),
        (f"grade_class lesson 01, {students} learner(s): s/submission sandbox / --no-sandbox",
         f"{boxed:.1f}/{plain:.1f}", "sandbox: warm kernels; --no-sandbox: nbgrader starts a kernel "
         "per submission, forked from a plain zygote (no pool without the sandbox)"),
    ]


def print_rows(rows, repeat: int) -> None:
    print(f"\nmedians of {repeat} runs, {os.cpu_count()} cores")
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:{width}}  {value:>9}  {note}")


def notebook_rows(lessons: list[str], repeat: int, workers: int) -> list[tuple[str, str, str]]:
    # Notebooks and script take turns within each repeat, so a machine that speeds up or slows
    # down during the run moves both sides of the ratio alike.
    one_at_a_time, notebook_times, script_times = [], [], {1: [], 2: []}
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "all_lessons.py"
        script.write_text(plain_script(lessons), encoding="utf-8")
        for _ in range(repeat):
            one_at_a_time.append(time_notebooks(lessons, 1))
            notebook_times.append(time_notebooks(lessons, workers))
            for threads, times in script_times.items():
                times.append(time_script(script, threads))
    by_threads = {t: median(times) for t, times in script_times.items()}
    best_threads = min(by_threads, key=by_threads.get)
    ratio = median(notebook_times) / by_threads[best_threads]
    return [
        ("solution notebooks one after another (s)", f"{median(one_at_a_time):.1f}",
         "a fresh kernel each"),
        (f"solution notebooks, nncourse.grading.execute, {workers} at once (s)",
         f"{median(notebook_times):.1f}", "make execute"),
        ("same code as one script, 1 thread (s)", f"{by_threads[1]:.1f}", ""),
        ("same code as one script, 2 threads (s)", f"{by_threads[2]:.1f}", ""),
        (f"make execute / best script ({best_threads} thread)", f"{ratio:.2f}",
         "ok (≤ 1.5)" if ratio <= 1.5 else "OVER 1.5"),
    ]


def grading_rows(lessons: list[str], repeat: int, students: int, workers: int) -> list[tuple[str, str, str]]:
    # (workers, kernels forked from the zygote): the default engine with 1 and N workers, and N
    # workers with exec'd kernels (--no-fork) for comparison
    variants = list(dict.fromkeys([(1, True), (workers, True), (workers, False)]))
    sequential, walls, peaks = [], {v: [] for v in variants}, {v: [] for v in variants}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch) / "course"
            names = prepare_class(root, lessons, students)
            sequential.append(time_sequential(root, lessons, names))
            for count, fork in variants:
                wall, peak = time_grade_class(root, lessons, names, count, fork)
                walls[count, fork].append(wall)
                peaks[count, fork].append(peak)
    submissions = students * len(lessons)
    per_sequential = median(sequential) / submissions
    per = {variant: median(times) / submissions for variant, times in walls.items()}
    speedup = per_sequential / per[workers, True]
    rows = [
        ("plain `nbgrader autograde`, one after another: s/submission", f"{per_sequential:.2f}",
         f"{students} learner(s) × {len(lessons)} lessons, a process per submission; "
         f"{spread(sequential, submissions)}"),
    ]
    for count, fork in variants:
        rows.append((f"grade_class, {count} worker{'s' if count > 1 else ''}"
                     f"{'' if fork else ', --no-fork (exec’d kernels)'}: s/submission",
                     f"{per[count, fork]:.2f}", f"speed-up {per_sequential / per[count, fork]:.2f}×; peak "
                     f"memory (PSS) of a worker {median(peaks[count, fork]):.0f} MB; "
                     f"{spread(walls[count, fork], submissions)}"))
    rows.append((f"speed-up, {workers} workers, over plain sequential", f"{speedup:.2f}×",
                 "ok (≥ 3.5×)" if speedup >= 3.5 else "UNDER 3.5×"))
    for learners in (200, 2000):
        total = learners * len(lessons) * per[workers, True]
        rows.append((f"projected: {learners} learners × {len(lessons)} lessons, one {os.cpu_count()}-core machine",
                     f"{total / 3600:.1f} h", f"4 machines, one PostgreSQL gradebook (--shard K/4): "
                     f"{total / 4 / 3600:.1f} h"))
    return rows


def ordinary_rows(lessons: list[str], repeat: int, students: int, workers: int) -> list[tuple[str, str, str]]:
    """The same class graded by an ordinary user (not root; tests/ordinary_user.py makes one when
    the bench runs as root): plain sequential `nbgrader autograde` against grade_class with
    kernels forked into bwrap's user-namespace sandbox, and with exec'd kernels (--no-fork, the
    ordinary grader's only engine before #28)."""
    from ordinary_user import prepare

    with tempfile.TemporaryDirectory(prefix="nncourse-bench-user-") as scratch:
        user = prepare(Path(scratch) / "user")
        if isinstance(user, str):
            return [("ordinary user", "—", f"not measured: {user}")]
        sequential, walls = [], {True: [], False: []}
        for index in range(repeat):
            root = Path(scratch) / f"course{index}"
            names = prepare_class(root, lessons, students)
            user.own(root)
            started = time.perf_counter()
            for student in names:
                for lesson in lessons:
                    user.run(["nbgrader", "autograde", lesson, "--student", student, "--force"], cwd=root,
                             check=True, capture_output=True)
            sequential.append(time.perf_counter() - started)
            for fork in (True, False):
                started = time.perf_counter()
                user.run([user.python, "-m", "nncourse.grading.grade_class", "--root", str(root), "--force",
                          "--workers", str(workers), "--no-feedback", "--no-export", *([] if fork else ["--no-fork"])],
                         cwd=root, check=True, capture_output=True)
                walls[fork].append(time.perf_counter() - started)
    submissions = students * len(lessons)
    per_sequential = median(sequential) / submissions
    per = {fork: median(times) / submissions for fork, times in walls.items()}
    speedup = per_sequential / per[True]
    return [
        ("ordinary user: plain `nbgrader autograde`, one after another: s/submission", f"{per_sequential:.2f}",
         f"as {user.name}; {spread(sequential, submissions)}"),
        (f"ordinary user: grade_class, {workers} workers, kernels forked into the user-namespace sandbox: "
         "s/submission", f"{per[True]:.2f}", f"speed-up {speedup:.2f}×; {spread(walls[True], submissions)}"),
        (f"ordinary user: grade_class, {workers} workers, --no-fork (exec'd kernels): s/submission",
         f"{per[False]:.2f}", f"speed-up {per_sequential / per[False]:.2f}×; {spread(walls[False], submissions)}"),
        (f"ordinary user: speed-up, {workers} workers, over plain sequential", f"{speedup:.2f}×",
         "ok (≥ 3.5×)" if speedup >= 3.5 else "UNDER 3.5×"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--students", type=int, default=1, help="simulated learners per lesson (K)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--part", choices=("notebooks", "grading", "ordinary", "sandbox"), action="append",
                        help="only these parts (default: all; ordinary: grading as an ordinary user, made "
                             "when the bench runs as root)")
    args = parser.parse_args()
    parts = args.part or ["notebooks", "grading", "ordinary", "sandbox"]
    lessons = lesson_ids()
    rows = []
    if "notebooks" in parts:
        rows += notebook_rows(lessons, args.repeat, args.workers)
    if "grading" in parts:
        rows += grading_rows(lessons, args.repeat, args.students, args.workers)
    if "ordinary" in parts:
        rows += ordinary_rows(lessons, args.repeat, args.students, args.workers)
    if "sandbox" in parts:
        rows += sandbox_rows(args.repeat, args.students, args.workers)
    print_rows(rows, args.repeat)


if __name__ == "__main__":
    main()
