"""Grade a whole class: real nbgrader autograde per student and lesson, in parallel.

    python -m nncourse.grading.grade_class [--lesson ID ...] [--student ID ...] [--workers N]
                                           [--shard K/N] [--force] [--zip-collect] [--db-url-file F]

nbgrader grades one submission at a time. This command starts ``--workers`` long-lived graders
(default: the number of cores; nncourse.grading.worker), each grading submission after
submission through nbgrader's Python API, so nbgrader and its libraries are imported once per
worker, not once per submission. Each worker keeps kernels started ahead of time, inside the
sandbox and already past their imports (``--pool``, nncourse.grading.kernels.pool); each kernel serves
one submission and is then shut down. Every kernel runs with one torch thread so that the workers
do not fight over cores. A submission that crashes or hangs its worker (``--timeout``) never
stops the others: that worker is killed, with its kernels, and replaced. Only what changed is
graded again: a submission with no autograded copy, or one submitted after its autograded copy
was made (``--force`` regrades everything). At the end: a score table (student × lesson), the
feedback HTML and the CSV export.

``--shard K/N`` grades only the students whose stable hash falls in share K of N, so that N
machines (a Slurm array job, a Kubernetes indexed job) can split a class that shares one
PostgreSQL gradebook (its URL in ``$NNCOURSE_DB_URL`` or a mode-600 ``--db-url-file``; ``--db-url``
works too, but a password there shows in ``ps``; the workers and nbgrader's commands get it only
in their environment).

Learners' code is untrusted: each submission is copied for grading without following links
(nncourse.grading.kernels.sandbox.copy_submission) and its kernel runs in a bubblewrap sandbox
(nncourse.grading.kernels.sandbox). When the sandbox cannot start, nothing is graded; ``--no-sandbox``
grades without it, and the summary says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .kernels.cgroups import DEFAULT_MEMORY_MB, MEMORY_ENV

#: Environment for every worker: one intra-op thread per kernel (see nncourse.lesson).
WORKER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NNCOURSE_THREADS": "1",
              "NNCOURSE_PROGRESS": "0"}
DEFAULT_TIMEOUT = 1800  # seconds for one whole submission; cells have their own 120 s limit
#: Warm kernels each worker keeps per lesson (nncourse.grading.kernels.pool).
DEFAULT_POOL = 1
#: Address-space limit of each nbgrader process and each process of its kernel. The course's
#: largest kernel maps about 1.6 GB; a learner cell that asks for far more gets a MemoryError (or
#: torch's "can't allocate memory") in that cell instead of pushing the machine into the OOM killer.
DEFAULT_MEMORY_LIMIT_GB = 6.0
#: Memory of one submission's whole kernel tree, every process and its tmpfs and memfd pages
#: together (a root grader's cgroup: nncourse.grading.kernels.cgroups).
DEFAULT_SUBMISSION_MEMORY_GB = DEFAULT_MEMORY_MB / 1024


@dataclass(frozen=True)
class Job:
    student: str
    lesson: str


@dataclass
class Outcome:
    job: Job
    status: str  # graded | error | timeout
    seconds: float
    peak_mb: float  # the peak memory of its worker (PSS, MB) from its start to this submission's end
    log: Path
    feedback: bool | None = None  # feedback HTML written (None: not asked for)


def parse_shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard 은 K/N 형식입니다 (예: 1/4): {text!r}") from None
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"--shard {text}: 1 ≤ K ≤ N 이어야 합니다")
    return index, count


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    """Stable across machines and runs (unlike Python's hash)."""
    if shard is None:
        return True
    index, count = shard
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % count == index - 1


def nbgrader_bin() -> str:
    return str(Path(sys.executable).with_name("nbgrader"))


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    # nbgrader runs `alembic` when it creates a gradebook: the venv's bin/ must be on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(WORKER_ENV)
    return env


def gpu_present() -> bool:
    """CUDA maps far more address space than it uses: no address-space limit with a GPU."""
    return Path("/dev/nvidia0").exists() or Path("/dev/nvidiactl").exists()


def limit_memory(pid: int, limit_gb: float | None) -> None:
    """Cap the address space of a just-started worker; the kernel it starts inherits the cap.

    Set from outside (psutil's prlimit) rather than in a preexec function, which is unsafe in
    a process that runs threads, as this one does.
    """
    if not limit_gb:
        return
    import psutil

    limit = int(limit_gb * 2**30)
    try:
        psutil.Process(pid).rlimit(psutil.RLIMIT_AS, (limit, limit))
    except psutil.Error:  # it has already exited; its log says why
        pass


#: The gradebook URL reaches the workers and nbgrader's commands in this variable (read by the
#: course's nbgrader_config.py), never on a command line: any local user reads those with `ps`.
DB_URL_ENV = "NNCOURSE_DB_URL"


def db_env(db_url: str | None) -> dict[str, str]:
    """The environment of a child that needs the gradebook: ours, with the URL in DB_URL_ENV."""
    env = base_env()
    env.pop(DB_URL_ENV, None)
    if db_url:
        env[DB_URL_ENV] = db_url
    return env


def read_db_url(args) -> str | None:
    """The gradebook URL: --db-url-file (a file only its owner may read), else --db-url, else
    $NNCOURSE_DB_URL; None for the course's own gradebook.db."""
    if args.db_url_file:
        path = Path(args.db_url_file)
        try:
            mode = path.stat().st_mode
            text = path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise SystemExit(f"--db-url-file {path}: 읽을 수 없습니다 / cannot read it: {error}") from None
        if mode & 0o077:
            raise SystemExit(f"--db-url-file {path}: 다른 사용자도 읽을 수 있습니다. `chmod 600 {path}` 하세요 / "
                             "other users can read it: chmod 600 it.")
        return text or None
    if args.db_url:
        from sqlalchemy.engine import make_url

        try:
            has_password = make_url(args.db_url).password is not None
        except Exception:  # noqa: BLE001 - nbgrader reports a malformed URL itself
            has_password = False
        if has_password:
            print(f"⚠️ --db-url 의 비밀번호는 ps 로 이 컴퓨터의 모든 사용자에게 보입니다. {DB_URL_ENV} 환경 "
                  "변수나 --db-url-file(권한 600 인 파일)로 주세요 / the password in --db-url shows in `ps`: "
                  f"use ${DB_URL_ENV} or --db-url-file.", file=sys.stderr)
        return args.db_url
    return os.environ.get(DB_URL_ENV) or None


NO_SANDBOX_WARNING = (
    "⚠️ 샌드박스 없이 채점했습니다(--no-sandbox): 학습자 코드가 gradebook, 다른 학습자의 제출물, "
    "홈 폴더와 네트워크에 닿을 수 있었습니다. 믿을 수 있는 제출물에만 쓰세요.\n"
    "⚠️ Graded WITHOUT the sandbox (--no-sandbox): learners' code could reach the gradebook, other "
    "learners' work, your home folder and the network. Use it for trusted submissions only."
)


def _newest_mtime(folder: Path) -> float:
    # lstat: a submission's links are not followed, here either
    return max((p.lstat().st_mtime for p in folder.rglob("*") if not p.is_symlink() and p.is_file()),
               default=0.0)


def needs_grading(root: Path, job: Job) -> bool:
    autograded = root / "autograded" / job.student / job.lesson / f"{job.lesson}.ipynb"
    if not autograded.exists():
        return True
    return _newest_mtime(root / "submitted" / job.student / job.lesson) > autograded.stat().st_mtime


def graded_by_older_version(root: Path, db_url: str | None, jobs: list[Job]) -> list[Job]:
    """The jobs whose stored results came from another version of their lesson than the course's
    current one (or from none: graded before versions were kept)."""
    from .results import current_version, stored_versions

    url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    stored = stored_versions(url)
    current = {lesson: current_version(url, lesson) for lesson in {job.lesson for job in jobs}}
    return [job for job in jobs if stored.get((job.lesson, job.student)) != {current[job.lesson]}]


def discover(root: Path, lessons: list[str] | None, students: list[str] | None,
             shard: tuple[int, int] | None) -> list[Job]:
    jobs = []
    for student_dir in sorted((root / "submitted").glob("*")):
        if not student_dir.is_dir() or (students and student_dir.name not in students):
            continue
        if not in_shard(student_dir.name, shard):
            continue
        for lesson_dir in sorted(student_dir.glob("*")):
            if lesson_dir.is_dir() and (not lessons or lesson_dir.name in lessons):
                jobs.append(Job(student_dir.name, lesson_dir.name))
    return jobs


def _proportional_mb(process) -> float:
    """A process's proportional set size (PSS): pages it shares with others (a kernel forked from
    the zygote shares most of the zygote's) count once in the sum over a worker's processes,
    split between them; its resident size where /proc does not say."""
    try:
        with open(f"/proc/{process.pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return process.memory_info().rss / 2**20


class MemoryWatcher:
    """The peak memory of a worker and every process under it (its zygote, kernels, sandboxes),
    as PSS (shared pages counted once), for as long as the worker runs.

    PSS is dear: the kernel walks every page table of the process to sum it (0.1-0.4 s for one
    worker's tree, most of it system time), and sampling it twice a second took 15 % of a core
    from the grading. So the tree's resident size (cheap) is read every ``interval`` seconds, and
    PSS only when that reaches a new high or ``pss_every`` seconds have passed (a forked kernel's
    copy-on-write pages raise PSS without raising the resident size).
    """

    def __init__(self, pid: int, interval: float = 0.5, pss_every: float = 5.0):
        self.pid, self.interval, self.pss_every = pid, interval, pss_every
        self.peak_mb = 0.0
        self._resident_high = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        try:
            process = psutil.Process(self.pid)
        except psutil.Error:
            return
        last_pss = float("-inf")
        while not self._stop.wait(self.interval):
            try:
                tree = [process, *process.children(recursive=True)]
            except psutil.Error:
                return
            resident = 0.0
            for member in tree:
                try:
                    resident += member.memory_info().rss / 2**20
                except psutil.Error:
                    pass
            now = time.monotonic()
            if resident <= self._resident_high * 1.02 and now - last_pss < self.pss_every:
                continue
            self._resident_high = max(self._resident_high, resident)
            last_pss = now
            total = 0.0
            for member in tree:
                try:
                    total += _proportional_mb(member)
                except psutil.Error:
                    pass
            self.peak_mb = max(self.peak_mb, total)

    def stop(self) -> float:
        """Stop watching; the peak seen (MB)."""
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def _kill_tree(pid: int) -> None:
    """SIGKILL a worker, its session and every process below it (the kernel has its own)."""
    import psutil

    try:
        tree = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        tree = []
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    for child in tree:
        try:
            child.kill()
        except psutil.Error:
            pass


#: The first words of each start of a worker in its log (grading_logs/worker-N.log).
WORKER_LOG_START = "[nncourse] worker"


class Worker:
    """One long-lived grader process (nncourse.grading.worker) and what it is grading.

    The worker grades one submission at a time; if it runs past the submission's timeout or
    dies, it is killed with every kernel it started and a fresh one takes its place, so one
    hanging or crashing submission never stops the others. After ``max_jobs`` submissions it is
    replaced too, so that whatever a long run leaves behind in it is let go.
    """

    READY_TIMEOUT = 300  # seconds for a fresh worker to import nbgrader and start its kernels

    def __init__(self, root: Path, number: int, db_url: str | None, memory_limit_gb: float | None,
                 sandbox: bool, pool: int, log_dir: Path, max_jobs: int = 200, fork: bool = True,
                 submission_memory_gb: float | None = None):
        self.root, self.number, self.db_url = root, number, db_url
        self.memory_limit_gb, self.sandbox, self.pool, self.fork = memory_limit_gb, sandbox, pool, fork
        self.submission_memory_gb = submission_memory_gb
        self.log_path = log_dir / f"worker-{number}.log"
        self.max_jobs = max_jobs
        self.process: subprocess.Popen | None = None
        self.scratch: Path | None = None
        self.jobs_done = 0
        self.peak_mb = 0.0
        self.watcher: MemoryWatcher | None = None

    def start(self, warm: str | None) -> None:
        command = [sys.executable, "-m", "nncourse.grading.worker", "--root", str(self.root),
                   "--pool", str(self.pool)]
        if not self.sandbox:
            command.append("--no-sandbox")
        if not self.fork:
            command.append("--no-fork")
        if warm:
            command += ["--warm", warm]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # The worker's own TMPDIR (its kernels' runtime folders and sockets): removed with the
        # worker, so that one killed mid-submission leaves nothing behind in /tmp.
        self.scratch = Path(tempfile.mkdtemp(prefix=f"nncourse-w{self.number}-"))
        env = {**db_env(self.db_url), "TMPDIR": str(self.scratch)}
        if self.submission_memory_gb is not None:
            env[MEMORY_ENV] = str(int(self.submission_memory_gb * 1024))
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"{WORKER_LOG_START} {self.number} starting, {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
            log.flush()
            self.process = subprocess.Popen(command, cwd=self.root, env=env, stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1,
                                            start_new_session=True)
        limit_memory(self.process.pid, self.memory_limit_gb)
        self.watcher = MemoryWatcher(self.process.pid)
        self.jobs_done = 0
        started = time.perf_counter()
        reply = self._read_reply(self.READY_TIMEOUT)
        if not reply or not reply.get("ready"):
            self.stop(kill=True)
            raise RuntimeError(f"채점 worker 가 시작하지 못했습니다 / a grading worker did not start; "
                               f"see {self.log_path}")
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"{WORKER_LOG_START} {self.number} ready in {time.perf_counter() - started:.2f} s\n")

    def _read_reply(self, timeout: float) -> dict | None:
        """The worker's next protocol line, or None on timeout or when it died."""
        import select

        assert self.process is not None and self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.process.stdout.readline()
        return json.loads(line) if line else None

    def grade(self, job: Job, staging: Path, log_path: Path, timeout: float,
              feedback: bool = False, ahead: str | None = None) -> tuple[str, bool | None]:
        """(graded | error | timeout, feedback written); a worker that did not answer is replaced."""
        assert self.process is not None and self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps({"student": job.student, "lesson": job.lesson,
                                                 "staging": str(staging), "log": str(log_path),
                                                 "feedback": feedback, "next": ahead}) + "\n")
            self.process.stdin.flush()
            reply = self._read_reply(timeout)
        except (BrokenPipeError, OSError, ValueError):
            reply = None
        self.peak_mb = max(self.peak_mb, self.watcher.peak_mb if self.watcher else 0.0)
        if reply is None:
            timed_out = self._still_running()
            self.stop(kill=True)
            with log_path.open("a", encoding="utf-8") as log:
                log.write(f"[nncourse] {'시간 초과 / timed out after %g s' % timeout if timed_out else '채점 worker 가 죽었습니다 / the grading worker died'}"
                          f"; worker log: {self.log_path}\n")
            return ("timeout" if timed_out else "error"), None
        self.jobs_done += 1
        return reply["status"], reply.get("feedback")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _still_running(self, grace: float = 5.0) -> bool:
        """Whether the worker that gave no answer is still running (a timeout) rather than dead.
        A killed worker's pipe reaches end-of-file a moment before the process can be reaped, so
        it is given ``grace`` seconds to be seen dead."""
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            return True
        return False

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        if self.watcher is not None:
            self.peak_mb = max(self.peak_mb, self.watcher.stop())
            self.watcher = None
        if kill:
            _kill_tree(self.process.pid)
        else:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                _kill_tree(self.process.pid)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except (OSError, AttributeError):
                pass
        if self.sandbox:  # a worker that was killed or died left its kernels' tmpfs and cgroups
            from nncourse.grading.kernels.sandbox import release_leftovers

            release_leftovers(self.process.pid, self.scratch)
        self.process = None
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


def stage_submission(root: Path, job: Job, log_path: Path) -> Path | None:
    """A safe copy of the submission (never following its links) for nbgrader to grade, or None
    when it cannot be copied (the log says why)."""
    from nncourse.grading.kernels.sandbox import copy_submission

    staging = Path(tempfile.mkdtemp(prefix="nncourse-submitted-"))
    with log_path.open("w", encoding="utf-8") as log:
        try:
            skipped = copy_submission(root / "submitted" / job.student / job.lesson,
                                      staging / job.student / job.lesson)
        except OSError as error:
            log.write(f"제출 폴더를 복사하지 못했습니다 / could not copy the submission: {error}\n")
            shutil.rmtree(staging, ignore_errors=True)
            return None
        for line in skipped:
            log.write(f"[nncourse] 채점용 복사에서 뺐습니다 / not copied for grading: {line}\n")
    return staging


def grade(root: Path, jobs: list[Job], workers: int, db_url: str | None, timeout: float,
          log_dir: Path, memory_limit_gb: float | None = None, sandbox: bool = True,
          pool: int = DEFAULT_POOL, feedback: bool = False, fork: bool = True,
          submission_memory_gb: float | None = None) -> list[Outcome]:
    """Grade ``jobs`` with ``workers`` long-lived graders, lesson by lesson (warm kernels are
    per lesson), the longest lessons first; with ``feedback``, each worker also writes the feedback HTML of what it graded;
    ``fork``: pool kernels are forked from each worker's zygote (nncourse.grading.kernels.zygote);
    ``submission_memory_gb``: memory of each submission's kernel tree (None: the sandbox's
    default, 0: none)."""
    import collections

    from tqdm import tqdm

    from .nbgrader_plugins.notebook_limits import reference_seconds

    # Lesson by lesson, the longest lessons first: a lesson of 15 s graded last would leave the
    # other workers idle while it ends the class (on 2 workers and one learner × 10 lessons that
    # tail was a quarter of the wall time).
    todo = collections.deque(sorted(jobs, key=lambda j: (-(reference_seconds(j.lesson) or 0.0), j.lesson, j.student)))

    def next_job() -> tuple[Job | None, str | None]:
        """The next job, and the lesson this worker will most likely grade after it: the job
        ``workers`` places further on (the other workers take the ones between), so that its
        pool warms that lesson, and none after the last job."""
        with lock:
            if not todo:
                return None, None
            job = todo.popleft()
            ahead = todo[min(workers - 1, len(todo) - 1)].lesson if todo else None
            return job, ahead
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    bar = tqdm(total=len(jobs), desc=f"채점 / grading ({workers} workers)", unit="sub")

    def serve(number: int) -> None:
        worker = Worker(root, number, db_url, memory_limit_gb, sandbox, pool, log_dir, fork=fork,
                        submission_memory_gb=submission_memory_gb)
        try:
            while True:
                job, ahead = next_job()
                if job is None:
                    return
                log_path = log_dir / job.lesson / f"{job.student}.log"
                log_path.parent.mkdir(parents=True, exist_ok=True)
                started = time.perf_counter()
                staging = stage_submission(root, job, log_path)
                status, peak, written = "error", 0.0, None
                if staging is not None:
                    try:
                        if not worker.alive() or worker.jobs_done >= worker.max_jobs:
                            worker.stop()
                            worker.start(warm=job.lesson)
                        status, written = worker.grade(job, staging, log_path, timeout, feedback, ahead)
                        peak = worker.peak_mb
                    except RuntimeError as error:
                        with log_path.open("a", encoding="utf-8") as log:
                            log.write(f"[nncourse] {error}\n")
                    finally:
                        shutil.rmtree(staging, ignore_errors=True)
                outcome = Outcome(job, status, time.perf_counter() - started, peak, log_path,
                                  written if feedback else None)
                with log_path.open("a", encoding="utf-8") as log:
                    log.write(f"[nncourse] 채점 {outcome.status}, {outcome.seconds:.2f} s (worker {number}) / "
                              f"{outcome.status} in {outcome.seconds:.2f} s (worker {number})\n")
                with lock:
                    outcomes.append(outcome)
                    bar.set_postfix_str(f"{job.student}/{job.lesson}: {status}")
                    bar.update()
        finally:
            worker.stop()

    threads = [threading.Thread(target=serve, args=(number,), daemon=True) for number in range(1, workers + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bar.close()
    return sorted(outcomes, key=lambda o: (o.job.student, o.job.lesson))


def run_nbgrader(root: Path, *args: str, db_url: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([nbgrader_bin(), *args], cwd=root, env=db_env(db_url),
                          capture_output=True, text=True)


def zip_collect(root: Path, lessons: list[str], db_url: str | None) -> tuple[list[str], list[str]]:
    """Turn LMS downloads (downloaded/<lesson>/archive/) into submitted/ folders.

    Each file's student id comes from the outermost name the LMS gave it, never from a name
    inside a learner's upload, one file per learner and notebook, and an archive that cannot be
    opened is left out alone (nncourse.grading.nbgrader_plugins.lms_collect). Returns the lessons collected and, for the instructor, one
    line per file not collected (and per lesson whose collect failed): the class goes on."""
    from nncourse.grading.nbgrader_plugins.lms_collect import read_report

    collected, not_collected = [], []
    for lesson in lessons:
        if not (root / "downloaded" / lesson / "archive").is_dir():
            continue
        with tempfile.TemporaryDirectory() as folder:
            reports = {plugin: Path(folder) / f"{plugin}.json"
                       for plugin in ("TolerantExtractor", "TrustedNameCollector")}
            result = run_nbgrader(
                root, "zip_collect", lesson, "--force",
                "--ZipCollectApp.extractor_plugin=nncourse.grading.nbgrader_plugins.lms_collect.TolerantExtractor",
                "--ZipCollectApp.collector_plugin=nncourse.grading.nbgrader_plugins.lms_collect.TrustedNameCollector",
                *(f"--{plugin}.report_path={path}" for plugin, path in reports.items()), db_url=db_url)
            not_collected += [f"{lesson}: {entry.message()}" for path in reports.values()
                              for entry in read_report(path)]
        if result.returncode != 0:
            not_collected.append(f"{lesson}: nbgrader zip_collect 가 실패해 이 강의의 LMS 파일을 수거하지 "
                                 f"못했습니다 (이미 submitted/ 에 있는 것만 채점) / nbgrader zip_collect failed; "
                                 f"only what is already in submitted/ is graded:\n{result.stderr[-3000:]}")
            continue
        collected.append(lesson)
    return collected, not_collected


def score_table(root: Path, db_url: str | None, students: list[str], lessons: list[str],
                outcomes: list[Outcome]) -> str:
    from nbgrader.api import Gradebook, MissingEntry

    status = {(o.job.student, o.job.lesson): o.status for o in outcomes}
    url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    width = max([len("student"), *map(len, students)])
    lines = [f"{'student':{width}}  " + "  ".join(f"{lesson:>14}" for lesson in lessons)]
    with Gradebook(url) as gradebook:
        for student in students:
            cells = []
            for lesson in lessons:
                state = status.get((student, lesson))
                if state in ("error", "timeout"):
                    cells.append(f"{state.upper():>14}")
                    continue
                try:
                    notebook = gradebook.find_submission_notebook(lesson, lesson, student)
                    cells.append(f"{notebook.score:>7g} / {notebook.max_score:<4g}")
                except MissingEntry:
                    cells.append(f"{'-':>14}")
            lines.append(f"{student:{width}}  " + "  ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="course root (default: here)")
    parser.add_argument("--lesson", action="append", help="only this lesson (repeatable)")
    parser.add_argument("--student", action="append", help="only this student (repeatable)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--shard", type=parse_shard, help="K/N: grade share K of N of the students")
    parser.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    parser.add_argument("--regrade-changed", action="store_true",
                        help="also regrade the submissions graded by an older version of their lesson (its "
                             "checks, reference metrics or test cells changed since; nncourse.grading.results)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds for one whole submission (default %(default)s)")
    parser.add_argument("--memory-limit-gb", type=float, default=None,
                        help=f"address-space limit of each process, 0 = none (default "
                             f"{DEFAULT_MEMORY_LIMIT_GB:g}, none when a GPU is present)")
    parser.add_argument("--submission-memory-gb", type=float, default=DEFAULT_SUBMISSION_MEMORY_GB,
                        help="memory of one submission's whole kernel tree, tmpfs and memfd pages included "
                             "(a cgroup; root grader), 0 = none (default %(default)g)")
    parser.add_argument("--db-url", help="gradebook URL, e.g. postgresql+psycopg://user@host/db (a password "
                        "here shows in `ps`: give it in $NNCOURSE_DB_URL or --db-url-file instead)")
    parser.add_argument("--db-url-file", help="a file (mode 600) holding the gradebook URL")
    parser.add_argument("--zip-collect", action="store_true",
                        help="first run `nbgrader zip_collect` for lessons with downloaded/<id>/archive/")
    parser.add_argument("--no-feedback", action="store_true")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--pool", type=int, default=DEFAULT_POOL,
                        help="kernels each worker starts ahead of time (default %(default)s; 0: start each "
                             "kernel when nbgrader asks; no pool without the sandbox)")
    parser.add_argument("--no-fork", action="store_true",
                        help="start every pool kernel as a new process instead of forking it from the "
                             "worker's zygote (slower; for comparison: nncourse.grading.kernels.zygote)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run learners' code WITHOUT the bubblewrap sandbox (trusted submissions only)")
    args = parser.parse_args(argv)

    root = args.root.resolve()
    db_url = read_db_url(args)
    if not (root / "nbgrader_config.py").is_file():
        print(f"{root} 에 nbgrader_config.py 가 없습니다. 저장소 루트에서 실행하세요.\n"
              f"No nbgrader_config.py in {root}; run from the course root.", file=sys.stderr)
        return 2
    if not args.no_sandbox:
        from nncourse.grading.kernels.sandbox import refusal_message, sandbox_problem

        problem = sandbox_problem()
        if problem:
            print(refusal_message(problem), file=sys.stderr)
            return 3
    not_collected = []
    if args.zip_collect:
        lessons = args.lesson or sorted(p.name for p in (root / "downloaded").glob("*") if p.is_dir())
        collected, not_collected = zip_collect(root, lessons, db_url)
        print("zip_collect:", ", ".join(collected) or "(nothing)")
        for line in not_collected:
            print(f"  {line}")

    memory_limit = args.memory_limit_gb
    if memory_limit is None:
        memory_limit = 0 if gpu_present() else DEFAULT_MEMORY_LIMIT_GB
    jobs = discover(root, args.lesson, args.student, args.shard)
    todo = [job for job in jobs if args.force or needs_grading(root, job)]
    if args.regrade_changed and not args.force:
        older = graded_by_older_version(root, db_url, [job for job in jobs if job not in todo])
        print(f"예전 버전으로 채점된 제출물 {len(older)}개를 다시 채점합니다 / {len(older)} graded by an "
              "older version of their lesson: regrading them")
        todo += older
    print(f"제출물 {len(jobs)}개 중 채점할 것 {len(todo)}개 / {len(todo)} of {len(jobs)} submissions "
          f"to grade (the rest are unchanged){' — shard %d/%d' % args.shard if args.shard else ''}")
    log_dir = root / "grading_logs"
    started = time.perf_counter()
    outcomes = grade(root, todo, args.workers, db_url, args.timeout, log_dir, memory_limit,
                     sandbox=not args.no_sandbox, pool=args.pool,
                     feedback=not args.no_feedback, fork=not args.no_fork,
                     submission_memory_gb=args.submission_memory_gb) if todo else []
    wall = time.perf_counter() - started

    students = sorted({job.student for job in jobs})
    lessons = sorted({job.lesson for job in jobs})
    if jobs:
        print("\n" + score_table(root, db_url, students, lessons, outcomes))
    failed = [o for o in outcomes if o.status != "graded"]
    if outcomes:
        print(f"\n{len(outcomes)}개 채점, {wall:.1f} s (제출물당 {wall / len(outcomes):.1f} s, "
              f"workers {args.workers}); 최대 메모리/worker "
              f"{max(o.peak_mb for o in outcomes):.0f} MB")
    for outcome in failed:
        print(f"  {outcome.status.upper()}: {outcome.job.student}/{outcome.job.lesson} — log {outcome.log}")
    if outcomes and args.no_sandbox:
        print("\n" + NO_SANDBOX_WARNING)

    if outcomes and not args.no_feedback:
        broken = [o for o in outcomes if o.status == "graded" and not o.feedback]
        print(f"피드백 HTML / feedback: {root / 'feedback'}"
              + (f" (failed for {len(broken)})" if broken else ""))
    if not args.no_export:
        result = run_nbgrader(root, "export", db_url=db_url)
        print(f"점수 CSV / export: {root / 'grades.csv'}" if result.returncode == 0
              else f"export failed:\n{result.stderr[-2000:]}")
    print("\n다음 단계 / next: feedback/<학생>/<강의>/ 의 HTML 을 돌려주고, grades.csv 를 LMS 에 "
          "올리세요. 새 제출물이 오면 같은 명령을 다시 실행하면 바뀐 것만 채점합니다.")
    if failed:
        print("실패한 제출물은 로그를 보고, 고친 뒤 다시 실행하세요 / inspect the logs and rerun.")
    if not_collected:
        print(f"LMS 에서 수거하지 않은 것 {len(not_collected)}건: 맨 위 zip_collect 아래 줄들을 보세요 / "
              f"{len(not_collected)} not collected from the LMS download: see the lines under zip_collect above.")
    return 1 if failed or not_collected else 0


if __name__ == "__main__":
    sys.exit(main())
