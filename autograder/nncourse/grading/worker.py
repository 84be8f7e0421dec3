"""One long-lived grader: grades submission after submission through nbgrader's Python API.

    python -m nncourse.grading.worker --root COURSE [--no-sandbox] [--pool N] [--warm LESSON]

The gradebook's URL, when it is not the course's gradebook.db, comes in $NNCOURSE_DB_URL (never
on the command line, which every local user can read).

``python -m nncourse.grading.grade_class`` starts one of these per worker and feeds it jobs, one
JSON line each on standard input::

    {"student": "ada", "lesson": "06_optim", "staging": "/tmp/...", "log": "grading_logs/...",
     "feedback": true, "next": "06_optim"}

For each it runs nbgrader's autograde converter in this process (``NbGraderAPI.autograde``,
with the course's own nbgrader_config.py), grading the safe copy of the submission in
``staging``, then, if asked, its feedback HTML (``NbGraderAPI.generate_feedback``); it writes
nbgrader's log to ``log`` and answers with one JSON line on its protocol stream:
``{"status": "graded" | "error", "feedback": true | false | null, "seconds": ...}``. So Python, nbgrader, SQLAlchemy and
nbconvert are imported once per worker instead of once per submission, and with the sandbox on
the kernels come from the worker's pool of kernels started ahead of time
(nncourse.grading.kernels.pool), one submission per kernel; ``next`` names the lesson the worker will
probably grade after this job, for which the pool starts the replacement (none when null).
With ``--no-sandbox`` there is no pool: nbgrader starts each kernel, forked from a plain zygote
(nncourse.grading.kernels.fork_provisioner) unless ``--no-fork``.

The worker does nothing to keep itself alive: a submission that hangs or crashes it is the class
grader's to handle (it kills this process, with every kernel of it, and starts another).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

#: Loggers whose records go into the log of the submission being graded: nbgrader's autograde and
#: feedback apps, the sandbox and pool, and jupyter's kernel managers (traitlets' logger).
JOB_LOGGERS = ("Autograde", "GenerateFeedback", "nncourse.grading", "traitlets")


def course_config(root: Path, db_url: str | None, sandbox: bool, sockets: Path | None = None):
    """The course's nbgrader configuration, loaded as nbgrader's own commands load it; kernels
    started without the sandbox use unix sockets in ``sockets`` (see ipc_kernels)."""
    from nbgrader.apps.baseapp import NbGrader
    from traitlets.config import Config

    app = NbGrader()
    app.config_file_paths.append(str(root))
    app.load_config_file()
    config = app.config
    extra = Config()
    extra.CourseDirectory.root = str(root)
    if db_url:
        extra.CourseDirectory.db_url = db_url
    extra.SandboxedExecute.sandbox = sandbox
    if not sandbox and sockets is not None:
        from .kernels.ipc import kernel_config

        extra.merge(kernel_config(sockets))
    config.merge(extra)
    return config


class JobLog:
    """Routes the records of JOB_LOGGERS into one submission's log file while it is graded."""

    def __init__(self, path: Path):
        self.handler = logging.FileHandler(path, encoding="utf-8")
        self.handler.setFormatter(logging.Formatter("[%(name)s | %(levelname)s] %(message)s"))

    def __enter__(self):
        for name in JOB_LOGGERS:
            logger = logging.getLogger(name)
            logger.addHandler(self.handler)
            if logger.level == logging.NOTSET or logger.level > logging.INFO:
                logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc):
        for name in JOB_LOGGERS:
            logging.getLogger(name).removeHandler(self.handler)
        self.handler.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--no-sandbox", action="store_true")
    parser.add_argument("--pool", type=int, default=1, help="warm kernels per lesson (0: none)")
    parser.add_argument("--warm", help="lesson to start warm kernels for before the first job")
    parser.add_argument("--no-fork", action="store_true",
                        help="start pool kernels as new processes, not forked from a zygote")
    args = parser.parse_args(argv)

    # The protocol gets its own copy of stdout; fd 1 then goes where stderr goes (the worker's
    # log), so nothing nbgrader or a library prints can corrupt it.
    # Read once, then out of the environment: kernels started without the sandbox inherit it.
    db_url = os.environ.pop("NNCOURSE_DB_URL", None)
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    root = args.root.resolve()
    os.chdir(root)

    from nbgrader.apps import NbGraderAPI

    from .kernels.ipc import private_socket_folder
    from .kernels.pool import KernelPool, install_pool

    cleanup = contextlib.ExitStack()
    sockets = None if not args.no_sandbox else cleanup.enter_context(private_socket_folder())
    if args.no_sandbox and args.pool > 0 and not args.no_fork:
        # Without the sandbox there is no pool: nbgrader starts each kernel, and the kernel spec
        # on JUPYTER_PATH has it forked from a zygote that has done the imports (fork_provisioner).
        from .kernels.fork_provisioner import kernel_spec_folder

        share = cleanup.enter_context(kernel_spec_folder())
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(share), os.environ.get("JUPYTER_PATH")]))
    config = course_config(root, db_url, not args.no_sandbox, sockets)
    api = NbGraderAPI(config=config)
    judge_ready, warm_lessons = None, set()
    judged = config.JudgedExecute.get("judge", True)
    if judged:
        # The judge's imports and data, meanwhile: the main thread mostly waits for the zygote.
        from .judge import warm_up

        warm_lessons = {args.warm} if args.warm else set()
        judge_ready = threading.Thread(target=warm_up, args=(sorted(warm_lessons),), name="judge-warm-up",
                                       daemon=True)
        judge_ready.start()
    pool = None
    if not args.no_sandbox and args.pool > 0:
        def source_notebook(lesson: str) -> Path:
            return Path(api.coursedir.format_path(api.coursedir.source_directory, ".", lesson)) / f"{lesson}.ipynb"

        pool = KernelPool(source_notebook, size=args.pool, log=logging.getLogger("nncourse.grading"),
                          fork=not args.no_fork)
        install_pool(pool)
        if args.warm:
            pool.warm(args.warm)
    if judge_ready is not None:
        judge_ready.join()
    protocol.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    try:
        for line in sys.stdin:
            job = json.loads(line)
            started = time.perf_counter()
            if pool is not None:  # the lesson to have a warm kernel for after this one (none: last)
                pool.expect(job.get("next", job["lesson"]))
            if judged:  # the judge for this lesson and the next, beside this job's kernel
                coming = {job["lesson"], job.get("next") or job["lesson"]} - warm_lessons
                if coming:
                    warm_lessons |= coming
                    threading.Thread(target=warm_up, args=(sorted(coming),), name="judge-warm-up",
                                     daemon=True).start()
            api.coursedir.submitted_directory = job["staging"]
            with JobLog(Path(job["log"])):
                result = api.autograde(job["lesson"], job["student"], force=True, create=True)
                if not result["success"]:
                    logging.getLogger("Autograde").error("%s", result.get("error", ""))
                feedback = None
                if job.get("feedback") and result["success"]:
                    written = api.generate_feedback(job["lesson"], job["student"], force=True)
                    feedback = written["success"]
                    if not feedback:
                        logging.getLogger("Autograde").error("feedback: %s", written.get("error", ""))
            protocol.write(json.dumps({"status": "graded" if result["success"] else "error",
                                       "feedback": feedback,
                                       "seconds": time.perf_counter() - started}) + "\n")
    finally:
        if pool is not None:
            pool.close()
        cleanup.close()
    return 0


def leave(code: int) -> None:
    """Exit without tearing the interpreter down: with torch, nbgrader and the judge loaded that
    took 1.3 s, on the class's critical path (the last worker's stop). Everything that must be
    kept is written by then (the gradebook per job, the logs flushed here)."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    leave(main())
