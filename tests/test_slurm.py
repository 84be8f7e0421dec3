"""A real one-node Slurm cluster grades a class as an array job into one PostgreSQL gradebook.

The test starts munged, slurmctld and slurmd (Debian's `munge` and `slurm-wlm`, installed by
`make system-deps`) with a generated slurm.conf and a fresh munge key in a scratch folder, on
free ports, so that nothing of the machine's own Slurm or munge setup is used or changed. It
submits the repository's batch script, autograder/cluster/grade_shard.sbatch (the one README's
Slurm recipe points to), as `sbatch --array=0-1`: each array task runs `grade_class --shard K/2`
against one PostgreSQL gradebook (tests/postgres_server.py). Every learner's grade there, cell by
cell, must equal a one-machine `grade_class` run into SQLite. A shard whose grading fails (a
missing gradebook URL file) must show as FAILED with a non-zero exit code in `scontrol show job`.
At the end the cluster is shut down, and no process it started may be left.

Without Slurm or munge the test skips locally and fails under CI (env CI set), like the
PostgreSQL test. It needs root (the daemons and the jobs run as root, SlurmUser=root) and skips
without it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from nbgrader_course import (REPO, filled_notebook, learner_notebook, make_course, nbgrader_env,
                             require_sandbox, run_nbgrader, submit)
from nncourse.grading.grade_class import in_shard
from postgres_server import postgres_url, require_postgres  # noqa: F401 (postgres_url: a pytest fixture)
from wrong_answers.lesson_01_mnist_data import WRONG

LESSON = "01_mnist_data"
SCRIPT = REPO / "autograder" / "cluster" / "grade_shard.sbatch"
SHARDS = 2
#: The daemons are in /usr/sbin, which a non-login PATH may lack.
_SEARCH = f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin"
TOOLS = {name: shutil.which(name, path=_SEARCH)
         for name in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel")}


def _require_slurm() -> None:
    missing = [name for name, path in TOOLS.items() if not path]
    if missing:
        if os.environ.get("CI"):
            raise RuntimeError(f"CI must install Debian's slurm-wlm and munge ({', '.join(missing)} missing): "
                               "make system-deps")
        pytest.skip(f"Slurm/munge is not installed ({', '.join(missing)} missing): make system-deps",
                    allow_module_level=True)
    if os.geteuid() != 0:  # like the sandbox's root-only tests, a skip under CI too
        pytest.skip("the one-node Slurm cluster runs its daemons and jobs as root", allow_module_level=True)


_require_slurm()
require_postgres()
require_sandbox()

#: Put in the environment of the daemons and of every job: whatever still carries it at the end
#: was started by this test's cluster and is left running.
MARK = "NNCOURSE_SLURM_TEST"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _marked_processes(mark: str) -> dict[str, str]:
    """pid → name and command line of the live (not zombie) processes whose environment holds
    ``mark``."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if f"{MARK}={mark}".encode() not in (proc / "environ").read_bytes().split(b"\0"):
                continue
            stat = (proc / "stat").read_text()  # pid (name) state ...
            name, state = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2]
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if state != "Z":
            found[proc.name] = f"{name}: {command[:200]}"
    return found


class Cluster:
    """munged, slurmctld and slurmd in a scratch folder; see slurm.conf there."""

    def __init__(self, base: Path):
        self.base = base
        self.host = socket.gethostname().split(".")[0]  # slurmd finds its node by the short name
        self.conf = base / "slurm.conf"
        # sbatch hands its environment to the jobs: the course's Python for the batch script (the
        # course root here is a scratch folder without a .venv).
        self.env = {**nbgrader_env(), "SLURM_CONF": str(self.conf), "NNCOURSE_PYTHON": sys.executable,
                    MARK: str(base)}
        self.env.pop("NNCOURSE_DB_URL", None)
        self.daemons: dict[str, subprocess.Popen] = {}

    def write_config(self) -> None:
        base = self.base
        # munged wants a socket folder everyone may enter and a key only its owner reads.
        (base / "munge").mkdir(mode=0o755)
        (base / "key").mkdir(mode=0o700)
        key = base / "key" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        for folder in ("state", "spool"):
            (base / folder).mkdir(mode=0o700)
        hardware = subprocess.run([TOOLS["slurmd"], "-C"], capture_output=True, text=True, check=True).stdout
        found = dict(part.split("=", 1) for part in hardware.split() if "=" in part)
        cpus = min(2, int(found["CPUs"]))
        self.conf.write_text("\n".join([
            "ClusterName=nncourse-test",
            f"SlurmctldHost={self.host}(127.0.0.1)",
            f"SlurmctldPort={_free_port()}",
            f"SlurmdPort={_free_port()}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={base}/munge/munge.socket",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"StateSaveLocation={base}/state",
            f"SlurmdSpoolDir={base}/spool",
            f"SlurmctldPidFile={base}/slurmctld.pid",
            f"SlurmdPidFile={base}/slurmd.pid",
            f"SlurmctldLogFile={base}/slurmctld.log",
            f"SlurmdLogFile={base}/slurmd.log",
            "MailProg=/bin/true",
            # No cgroups: processes are tracked by their parent pids, tasks are not bound.
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "MpiDefault=none",
            "SchedulerType=sched/backfill",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "ReturnToService=2",
            f"NodeName={self.host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={found['RealMemory']} State=UNKNOWN",
            f"PartitionName=grading Nodes={self.host} Default=YES MaxTime=INFINITE State=UP",
        ]) + "\n", encoding="utf-8")

    def _start(self, name: str, *args: str) -> None:
        log = open(self.base / f"{name}.out", "wb")  # noqa: SIM115 - closed with the process
        self.daemons[name] = subprocess.Popen([TOOLS[name], *args], env=self.env, stdout=log,
                                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

    def start(self) -> None:
        base = self.base
        self._start("munged", "--foreground", f"--socket={base}/munge/munge.socket",
                    f"--key-file={base}/key/munge.key", f"--pid-file={base}/munge/munged.pid",
                    f"--log-file={base}/munge/munged.log", f"--seed-file={base}/munge/munged.seed")
        self._wait_for(lambda: (base / "munge" / "munge.socket").exists(), "munged's socket", "munge/munged.log")
        self._start("slurmctld", "-D", "-f", str(self.conf))
        self._start("slurmd", "-D", "-f", str(self.conf))
        self._wait_for(lambda: "State=IDLE" in self.scontrol("show", "node", self.host, check=False),
                       f"node {self.host} idle", "slurmctld.log")

    def _wait_for(self, ready, what: str, log: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            dead = {name: p.returncode for name, p in self.daemons.items() if p.poll() is not None}
            if dead or time.monotonic() > deadline:
                raise AssertionError(f"waiting for {what}: exited {dead}\n{self.logs(log)}")
            time.sleep(0.2)

    def logs(self, *names: str) -> str:
        names = names or ("slurmctld.log", "slurmd.log", "munge/munged.log",
                          "munged.out", "slurmctld.out", "slurmd.out")
        return "\n".join(f"--- {name}\n{(self.base / name).read_text(errors='replace')[-4000:]}"
                         for name in names if (self.base / name).exists())

    def run(self, tool: str, *args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run([TOOLS[tool], *args], env=self.env, capture_output=True, text=True,
                                timeout=60, **kwargs)
        if check and result.returncode != 0:
            raise AssertionError(f"{tool} {' '.join(args)}: {result.stdout}{result.stderr}\n{self.logs()}")
        return result

    def scontrol(self, *args: str, check: bool = True) -> str:
        result = self.run("scontrol", *args, check=check)
        return result.stdout + result.stderr

    def submit(self, course: Path, array: str, *script_args: str, shard: str | None = None) -> str:
        """Submits the repository's batch script from the course root (``shard``: one shard
        again, as NNCOURSE_SHARD); returns the job id."""
        export = [f"--export=ALL,NNCOURSE_SHARD={shard}"] if shard else []
        result = self.run("sbatch", "--parsable", f"--array={array}", "--cpus-per-task=1", *export,
                          f"--chdir={course}", f"--output={course}/slurm-%A_%a.out",
                          str(SCRIPT), *script_args)
        return result.stdout.strip().split(";")[0]

    def wait(self, job: str, timeout: float = 600) -> dict[int, dict[str, str]]:
        """Waits for every task of array ``job`` to end; array task id → its `scontrol show job` fields."""
        deadline = time.monotonic() + timeout
        # Polled rather than `sbatch --wait`, which sleeps 2, 8, then 32 s between its own polls.
        while self.run("squeue", "--noheader", "--array", f"--jobs={job}", check=False).stdout.strip():
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job} still queued or running after {timeout} s:\n"
                                     f"{self.scontrol('show', 'job', job)}\n{self.logs()}")
            time.sleep(0.5)
        tasks = {}
        for line in self.scontrol("--oneliner", "show", "job", job).splitlines():
            fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
            tasks[int(fields["ArrayTaskId"])] = fields
        return tasks

    def stop(self) -> None:
        if "slurmctld" in self.daemons and self.daemons["slurmctld"].poll() is None:
            # Jobs still queued or running (a failed test) end first: slurmd's shutdown leaves them.
            self.run("scancel", "--user=root", check=False)
            deadline = time.monotonic() + 30
            while (self.run("squeue", "--noheader", check=False).stdout.strip()
                   and time.monotonic() < deadline):
                time.sleep(0.5)
            self.run("scontrol", "shutdown", check=False)  # slurmctld tells slurmd to stop too
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.daemons.get(name)
            if process is None:
                continue
            if name == "munged":
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def slurm():
    # Not under pytest's tmp folder: munged refuses a socket in a folder others cannot enter.
    base = Path(tempfile.mkdtemp(prefix="nncourse-slurm-"))
    base.chmod(0o755)
    cluster = Cluster(base)
    try:
        cluster.write_config()
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        left = _marked_processes(str(base))
        for pid in left:  # the test fails below, but leaves nothing running
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        logs = cluster.logs()
        shutil.rmtree(base, ignore_errors=True)
    assert left == {}, f"the test's Slurm cluster left processes running: {left}\n{logs}"


def _class() -> dict[str, object]:
    """student → notebook: full marks, two different wrong answers, and an untouched notebook
    (ids picked so that each of the two shards grades two of them)."""
    wrong = {w.name: w for w in WRONG}
    return {
        "learner0": filled_notebook(LESSON),
        "transposed": filled_notebook(LESSON, {"first_image": wrong["image-transposed"].code}),
        "wrong-counts": filled_notebook(LESSON, {"label_counts": wrong["counts-of-valid"].code}),
        "blank": learner_notebook(LESSON),
    }


def _grades(url: str) -> dict[str, tuple[float, float, dict[str, float]]]:
    """student → (score, max score, grade_id → score) of the lesson's notebook in a gradebook."""
    result = {}
    with Gradebook(url) as gradebook:
        for submission in gradebook.assignment_submissions(LESSON):
            notebook = gradebook.find_submission_notebook(LESSON, LESSON, submission.student.id)
            result[submission.student.id] = (notebook.score, notebook.max_score,
                                             {grade.name: grade.score for grade in notebook.grades})
    return result


def test_slurm_array_grades_like_one_machine(slurm, postgres_url, tmp_path):
    # What the fixture's last check looks for, once the cluster is stopped, is there now.
    running = {line.split(":")[0] for line in _marked_processes(str(slurm.base)).values()}
    assert {"munged", "slurmctld", "slurmd"} <= running, running
    students = _class()
    # Each shard gets two (the shard of a student is a stable hash of the id).
    for k in range(1, SHARDS + 1):
        assert sum(in_shard(student, (k, SHARDS)) for student in students) == 2, k

    # The same class twice: one course graded by the Slurm array into PostgreSQL, one by a single
    # grade_class on this machine into the course's own gradebook.db.
    courses = {"slurm": make_course(tmp_path / "slurm", [LESSON]), "local": make_course(tmp_path / "local", [LESSON])}
    run_nbgrader(courses["slurm"], "generate_assignment", LESSON, "--force",
                 f"--CourseDirectory.db_url={postgres_url}")
    run_nbgrader(courses["local"], "generate_assignment", LESSON, "--force")
    for course in courses.values():
        for student, notebook in students.items():
            submit(course, student, LESSON, notebook)

    # A shard that cannot grade (its gradebook URL file is missing) fails, and Slurm says so. This
    # array counts from 1: the script still makes shards 1/2 and 2/2.
    broken = slurm.wait(slurm.submit(courses["slurm"], "1-2", "--db-url-file", str(tmp_path / "missing-url")))
    assert sorted(broken) == [1, 2], broken
    for task, fields in broken.items():
        assert fields["JobState"] == "FAILED" and fields["ExitCode"] != "0:0", fields
        output = (courses["slurm"] / f"slurm-{fields['ArrayJobId']}_{task}.out").read_text(encoding="utf-8")
        assert f"shard {task}/{SHARDS}" in output and "missing-url" in output, output

    # Rerunning a failed shard (here 2/2, with its URL file fixed) grades that shard's learners,
    # and only them; the URL in a file only its owner reads, never on a command line.
    url_file = tmp_path / "gradebook-url"
    url_file.write_text(postgres_url + "\n", encoding="utf-8")
    url_file.chmod(0o600)
    rerun = slurm.wait(slurm.submit(courses["slurm"], "1", "--db-url-file", str(url_file), "--no-feedback",
                                    shard=f"2/{SHARDS}"))
    assert [(fields["JobState"], fields["ExitCode"]) for fields in rerun.values()] == [("COMPLETED", "0:0")], rerun
    assert sorted(_grades(postgres_url)) == sorted(s for s in students if in_shard(s, (2, SHARDS)))

    # The real array: shard 1 grades its learners; shard 2 finds nothing left (graded by the rerun).
    started = time.monotonic()
    job = slurm.submit(courses["slurm"], f"0-{SHARDS - 1}", "--db-url-file", str(url_file), "--no-feedback")
    tasks = slurm.wait(job)
    array_seconds = time.monotonic() - started
    outputs = {task: (courses["slurm"] / f"slurm-{job}_{task}.out").read_text(encoding="utf-8") for task in tasks}
    print("\n".join(outputs.values()))
    assert sorted(tasks) == list(range(SHARDS)), tasks
    for task, fields in tasks.items():
        assert (fields["JobState"], fields["ExitCode"]) == ("COMPLETED", "0:0"), (fields, outputs[task])
        assert f"shard {task + 1}/{SHARDS}" in outputs[task], outputs[task]
    assert not (courses["slurm"] / "gradebook.db").exists()  # everything went to PostgreSQL

    started = time.monotonic()
    local = subprocess.run([sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(courses["local"]),
                            "--workers", str(SHARDS), "--no-feedback", "--no-export"],
                           cwd=courses["local"], env=slurm.env, capture_output=True, text=True, timeout=600)
    local_seconds = time.monotonic() - started
    assert local.returncode == 0, local.stdout + local.stderr
    print(f"Slurm array: {array_seconds:.1f} s; one machine: {local_seconds:.1f} s")

    on_slurm = _grades(postgres_url)
    on_one_machine = _grades(f"sqlite:///{courses['local'] / 'gradebook.db'}")
    assert sorted(on_slurm) == sorted(students)
    assert on_slurm == on_one_machine
    # And the grades are the expected ones: full marks, one test cell lost, nothing.
    score, max_score, cells = on_slurm["learner0"]
    assert score == max_score > 0
    for student, test_cell in (("transposed", "test_first_image"), ("wrong-counts", "test_label_counts")):
        lost = {gid for gid, points in on_slurm[student][2].items() if points < cells[gid]}
        assert lost == {test_cell}, (student, on_slurm[student])
    assert on_slurm["blank"][0] == 0
