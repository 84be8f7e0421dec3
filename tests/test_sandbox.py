"""Untrusted submissions graded in the bubblewrap sandbox (nncourse.grading.kernels.sandbox), through real grade_class.

An abuse class of 01_mnist_data: two honest learners and one learner per probe below. Every
prober hands in the right answers with a few extra lines in the last answer cell (or extra
entries in its submission folder). The class is graded twice by `python -m nncourse.grading.grade_class`:

* with the sandbox (the default): every probe must be blocked, as seen from OUTSIDE (the file is
  not there, the gradebook has no new table, the listener got no connection, no process is left,
  the secret is not in any output), every honest learner and every prober gets full marks, and
  the prober's cell output or the grading log says what was refused;
* with --no-sandbox, as the control: each kernel probe must then get through, so that none of the
  checks above can pass by accident.

The class is graded with a small memory per submission (PROBE_MEMORY_MB, grade_class
--submission-memory-gb) so that the memory probes, which try to hold HOLD_MB, show the limit
while touching little of the shared machine's memory; the disk probe stops itself at DISK_BOUND_MB. The links and odd names are refused by the safe copy even
  then; plain `nbgrader autograde` is run on the planted links to show that it follows them.

The probe table is printed at the end of the run (tests/conftest.py).
"""

from __future__ import annotations

import ast
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from nbgrader_course import (
    autograded_notebook,
    cell_outputs_text,
    filled_notebook,
    graded_cells,
    make_course,
    nbgrader_env,
    require_sandbox,
    run_nbgrader,
    scores,
    solution_cells,
    solution_code,
    solution_notebook,
)

LESSON = "01_mnist_data"
LAST_CELL = "batch_count"
#: Every probe answers all of the lesson as the solution does (the probe rides in one answer
#: cell): full marks when the sandbox holds.
FULL = sum(graded_cells(solution_notebook(LESSON)).values())
TOKEN = uuid.uuid4().hex[:12]
SECRET = f"pw-{TOKEN}"
HONEST_MARKER = f"HONEST-{TOKEN}"

from nncourse.grading.grade_class import WORKER_LOG_START  # noqa: E402
from nncourse.grading.nbgrader_plugins.notebook_limits import MEMORY_ENAME  # noqa: E402
require_sandbox()


#: Memory of one submission's kernel tree in the probe class (the course's default is 4 GiB); an
#: honest lesson-01 kernel's tree peaks far under it (its grading log says how far).
PROBE_MEMORY_MB = 1280
#: What each memory probe tries to hold: over PROBE_MEMORY_MB, and little enough for a shared
#: machine in the control run, where it gets it.
HOLD_MB = 1792
#: The disk probe stops itself once it has written this much (the control writes it on the real
#: disk, then removes it).
DISK_BOUND_MB = 2560


@dataclass(frozen=True)
class Probe:
    name: str
    what: str
    code: str = ""                               # appended to the last answer cell; {course} {home} {port} {token}
    links: dict[str, str] = field(default_factory=dict)   # planted symlinks: name → target ({course})
    kernel: bool = True                          # False: refused by the safe copy, sandbox or not
    lost: int = 0                                # points it loses with the sandbox (its kernel is killed)


PROBES = [
    Probe("package-write", "write a file into the installed course package",
          "import os, nncourse\n"
          "open(os.path.join(os.path.dirname(nncourse.__file__), 'probe-{token}.txt'), 'w').write('x')\n"),
    Probe("gradebook-table", "create a table in gradebook.db",
          "import sqlite3\n"
          "db = sqlite3.connect('file:{course}/gradebook.db?mode=rw', uri=True, timeout=30)\n"
          "db.execute('create table probe_{token} (x)')\ndb.commit()\ndb.close()\n"),
    Probe("read-other", "read another learner's submitted notebook",
          "found, error = [], None\n"
          "for path in ['{course}/submitted/honest-a/01_mnist_data/01_mnist_data.ipynb',\n"
          "             '../../honest-a/01_mnist_data/01_mnist_data.ipynb']:\n"
          "    try:\n        found.append(open(path, encoding='utf-8').read())\n"
          "    except OSError as e:\n        error = e\n"
          "if not found:\n    raise error\n"
          "print('OTHER', [t[t.find('HONEST-'):t.find('HONEST-') + 19] for t in found])\n"),
    Probe("tcp-loopback", "open a TCP connection to 127.0.0.1",
          "import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=10)\n"
          "s.sendall(b'{token}')\ns.close()\n"),
    Probe("survivor", "start a process that outlives grading and writes a file later",
          "import subprocess, time\n"
          "subprocess.Popen(['sh', '-c', 'for i in $(seq 90); do date >> late.txt; sleep 1; done',\n"
          "                  'probe-survivor-{token}'], start_new_session=True)\n"
          "time.sleep(1.5)\n"),
    Probe("home-write", "write into the instructor's home folder",
          "open('{home}/probe-{token}.txt', 'w').write('x')\n"),
    Probe("solutions-write", "write into solutions/",
          "open('{course}/solutions/01_mnist_data/probe-{token}.txt', 'w').write('x')\n"),
    Probe("env-secret", "read the grader's environment (a PostgreSQL URL with a password)",
          "import os, glob\n"
          "needle = 'pw-' + '{token}'\n"
          "leaks = [v for v in os.environ.values() if needle in v]\n"
          "for path in glob.glob('/proc/*/environ'):\n"
          "    try:\n        leaks += [x.decode() for x in open(path, 'rb').read().split(b'\\0') if needle.encode() in x]\n"
          "    except OSError:\n        pass\n"
          "if not leaks:\n    raise LookupError('no secret in any environment')\n"
          "print('LEAKED', sorted(set(leaks))[:3])\n"),
    Probe("fork-bomb", "a bounded fork bomb (400 processes)",
          "import subprocess\nkids = []\n"
          "try:\n    for _ in range(400):\n        kids.append(subprocess.Popen(['sleep', '60']))\n"
          "finally:\n    for k in kids:\n        k.kill()\n    for k in kids:\n        k.wait()\n"
          "    print('FORKED', len(kids))\n"),
    Probe("worker-log", "truncate the grading worker's log and forge a line in it",
          "import os, stat\nlogs = []\n"
          "for name in os.listdir('/proc/self/fd'):\n"
          "    fd = int(name)\n"
          "    try:\n"
          "        flags = int(open(f'/proc/self/fdinfo/{fd}').read().split('flags:')[1].split()[0], 8)\n"
          "        if stat.S_ISREG(os.fstat(fd).st_mode) and flags & os.O_APPEND:\n"
          "            logs.append(fd)\n"
          "    except (OSError, IndexError, ValueError):\n"
          "        pass\n"
          "if not logs:\n    raise LookupError('no log file among the kernel descriptors')\n"
          "for fd in logs:\n"
          "    os.ftruncate(fd, 0)\n    os.write(fd, b'FORGED {token}\\n')\n"),
    Probe("planted-files", "write torch/__init__.py and nncourse.py beside the notebook, for the instructor to import",
          "import os\nos.makedirs('torch', exist_ok=True)\n"
          "open('torch/__init__.py', 'w').write('print(\"planted {token}\")\\n')\n"
          "open('nncourse.py', 'w').write('print(\"planted {token}\")\\n')\n"),
    Probe("planted-links", "symlinks in the submission: gradebook, /etc/passwd, another learner",
          "import os\n"
          "got = [n for n in ('gradebook.db', 'passwd', 'other.ipynb', 'others') if os.path.exists(n)]\n"
          "if not got:\n    raise FileNotFoundError('none of the planted links was copied')\n"
          "print('LINKED', got, open('passwd').read()[:12] if 'passwd' in got else '')\n",
          links={"gradebook.db": "{course}/gradebook.db", "passwd": "/etc/passwd",
                 "other.ipynb": "{course}/submitted/honest-a/01_mnist_data/01_mnist_data.ipynb",
                 "others": "{course}/submitted"},
          kernel=False),
    Probe("hostile-names", "names with '..' and bad bytes, a 2 GB (sparse) file",
          "import os\n"
          "bad = [n for n in os.listdir('.') if '..' in n or n == 'big.bin' or not n.isprintable()]\n"
          "if bad:\n    print('COPIED', bad)\nelse:\n    raise FileNotFoundError('no hostile entry was copied')\n",
          kernel=False),
]

#: Learner code that makes each system call in CALLS with harmless arguments (a bad pointer, fd,
#: pid or flag, or an io_uring / userfaultfd closed at once: nothing is created, loaded or
#: mounted) and prints the ones the host's kernel answered itself, that is with anything but the
#: seccomp filter's answer (EPERM; ENOSYS for clone3, which glibc then replaces with clone).
REACH = textwrap.dedent("""\
    import ctypes, errno, os, pyseccomp
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    params = ctypes.create_string_buffer(120)  # io_uring_setup's, zeroed
    answers, reached = {}, {}
    for name, *args in CALLS:
        number = pyseccomp.resolve_syscall(pyseccomp.system_arch(), name)
        args = [ctypes.addressof(params) if arg == 'params' else arg for arg in args]
        ctypes.set_errno(0)
        result = libc.syscall(ctypes.c_long(number), *map(ctypes.c_long, args))
        answers[name] = errno.errorcode.get(ctypes.get_errno(), '?') if result == -1 else 'ran'
        if result > 2 and name in ('io_uring_setup', 'userfaultfd'):
            os.close(result)
        if answers[name] != ('ENOSYS' if name == 'clone3' else 'EPERM'):
            reached[name] = answers[name]
    if not reached:
        raise PermissionError(f'refused: {answers}')
    print('REACHED-{token}', reached)
""")
CLONE_NEWUSER = 0x10000000
#: probe → (what it tries, the calls REACH makes). Each answer the kernel itself gives is harmless.
SYSCALL_PROBES = {
    "namespaces": ("new user namespace (root in it), mount/pid/net/... namespaces, setns", [
        ("unshare", CLONE_NEWUSER | 0x8000),           # CLONE_PARENT: EINVAL, nothing made
        ("clone", CLONE_NEWUSER | 0x200, 0, 0, 0, 0),  # with CLONE_FS: EINVAL, nothing made
        ("clone3", 0, 0),                              # size 0: EINVAL
        ("setns", -1, 0)]),                            # EBADF
    "mount": ("mount, umount2, pivot_root, the new mount API", [
        ("mount", 0, 0, 1, 0, 0),                      # type at address 1: EFAULT
        ("umount2", 0, 0xFF00),                        # unknown flags: EINVAL
        ("pivot_root", 1, 1),
        ("open_tree", -1, 0, 0xFFFF0000),
        ("move_mount", -1, 0, -1, 0, 0xFFFF0000),
        ("fsopen", 1, 0xFFFF)]),
    "io-uring": ("io_uring (a ring of one entry, closed at once)", [
        ("io_uring_setup", 1, "params"), ("io_uring_enter", -1, 0, 0, 0, 0, 0),
        ("io_uring_register", -1, 0, 0, 0)]),
    "userfaultfd": ("userfaultfd (user-mode only, closed at once)", [
        ("userfaultfd", os.O_CLOEXEC | 1)]),
    "bpf": ("bpf and perf_event_open", [
        ("bpf", 9999, 0, 0),                           # unknown command: EINVAL
        ("perf_event_open", 0, 0, -1, -1, 0)]),        # attr at NULL: EFAULT
    "keyctl": ("keyctl, add_key, request_key", [
        ("keyctl", 9999, 0, 0, 0, 0), ("add_key", 1, 1, 0, 0, 0), ("request_key", 1, 1, 0, 0)]),
    "ptrace": ("ptrace and process_vm_readv", [
        ("ptrace", 16, 2**22 + 7, 0, 0),               # PTRACE_ATTACH to a pid that cannot exist
        ("process_vm_readv", 1, 0, 1, 0, 1, 0)]),      # iovec at NULL: EFAULT
    "module-kexec": ("init/finit/delete_module, kexec_load, kexec_file_load", [
        ("init_module", 0, 0, 0),                      # an image of 0 bytes: ENOEXEC
        ("finit_module", -1, 0, 0),                    # EBADF
        ("delete_module", 1, 0),                       # name at address 1: EFAULT
        ("kexec_load", 0, 1000, 0, 0xDEAD0000),        # unknown flags: EINVAL
        ("kexec_file_load", -1, -1, 0, 0, 0xDEAD0000)]),
}
#: The namespaces probe also tries the real thing: root in new namespaces, through util-linux.
NEW_NAMESPACES = textwrap.dedent("""\
    import subprocess
    made = subprocess.run(['unshare', '--user', '--map-root-user', '--mount', '--net', '--ipc', '--uts',
                           '--pid', '--fork', '--cgroup', 'id', '-u'], capture_output=True, text=True)
    if made.returncode == 0:
        print('REACHED-{token}', 'uid', made.stdout.strip(), 'in new user/mount/net/ipc/uts/pid/cgroup namespaces')
    else:
        print('unshare:', made.stderr.strip()[-200:])
""")


def _syscall_code(name: str, calls: list) -> str:
    return (NEW_NAMESPACES if name == "namespaces" else "") + f"CALLS = {calls!r}\n" + REACH


PROBES += [Probe(name, what, _syscall_code(name, calls)) for name, (what, calls) in SYSCALL_PROBES.items()]

#: A child process that holds memory until its stdin closes: ``{hold}`` is the code that takes
#: it. It asks to be the OOM killer's first choice, so that over the limit the kernel (and the
#: probe's points) survive and the probe can say what happened.
HOLDER = ("import os, sys\n"
          "open('/proc/self/oom_score_adj', 'w').write('1000')\n"
          "{hold}"
          "print('held', flush=True)\n"
          "sys.stdin.read()\n")
#: Starts the holders, waits until each says it holds its share, and gives the OOM killer a
#: moment: the probe got through when every holder is still alive then.
HOLD_IN_CHILDREN = textwrap.dedent("""\
    import subprocess, sys, time
    children = [subprocess.Popen([sys.executable, '-c', CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True) for _ in range(COUNT)]
    try:
        said = [child.stdout.readline().strip() for child in children]
        time.sleep(1)
        alive = [child.poll() is None and line == 'held' for child, line in zip(children, said)]
    finally:
        for child in children:
            child.stdin.close()
        codes = [child.wait() for child in children]
    if not all(alive):
        raise MemoryError(f'{sum(alive)} of {COUNT} holders of {EACH} MiB left alive; exit codes {codes}')
    print('HELD-{token}', COUNT * EACH, 'MiB in', COUNT, 'processes', WHAT)
""")
_EACH = HOLD_MB // 3
PROBES += [
    Probe("memory-processes", f"hold {HOLD_MB} MiB in 3 processes, each under the per-process limit",
          f"COUNT, EACH, WHAT = 3, {_EACH}, 'of their own memory'\n"
          + f"CHILD = {HOLDER.format(hold=f'data = bytes([1]) * ({_EACH} << 20)' + chr(10))!r}\n"
          + HOLD_IN_CHILDREN),
    # four memfds: each is a file, under the per-file limit (RLIMIT_FSIZE)
    Probe("memfd", f"hold {HOLD_MB} MiB in memfds (shared memory no process maps)",
          f"COUNT, EACH, WHAT = 1, {HOLD_MB}, 'of memfd pages'\n"
          + "CHILD = " + repr(HOLDER.format(hold=(
              "chunk, fds = bytes([1]) * (64 << 20), [os.memfd_create(f'probe-{n}') for n in range(4)]\n"
              f"for n in range({HOLD_MB // 64}):\n    os.write(fds[n % 4], chunk)\n"))) + "\n"
          + HOLD_IN_CHILDREN),
    Probe("memory-kernel", f"hold {HOLD_MB} MiB in the kernel itself (killed: graded up to that cell)",
          f"chunks = [bytes([1]) * (64 << 20) for _ in range({HOLD_MB // 64})]\n"
          "print('HELD-{token}', 64 * len(chunks), 'MiB in the kernel')\n"
          "del chunks\n",
          lost=2),  # test_batch_count, and test_why_valid_set after it, are not run
    Probe("disk-fill", f"fill its folder: up to {DISK_BOUND_MB} MiB in files under the per-file limit",
          "import os\nchunk, written, failed = bytes([1]) * (64 << 20), 0, None\n"
          "try:\n"
          f"    while written < {DISK_BOUND_MB} << 20:\n"
          "        with open(f'fill-{written >> 28}.bin', 'wb') as out:\n"
          "            for _ in range(4):\n"
          "                out.write(chunk)\n"
          "                written += 64 << 20\n"
          "except OSError as error:\n    failed = error\n"
          "finally:\n"
          "    for name in os.listdir('.'):\n"
          "        if name.startswith('fill-'):\n            os.remove(name)\n"
          "print('WROTE-{token}', written >> 20, 'MiB')\n"
          "if failed:\n    raise failed\n"),
]
PROBER_NAMES = [probe.name for probe in PROBES]

#: name → row of the probe table; printed by conftest at the end of the run.
PROBE_RESULTS: dict[str, dict] = {probe.name: {"what": probe.what} for probe in PROBES}


def _probe_code(probe: Probe, values: dict[str, str]) -> str:
    body = probe.code
    for key, value in values.items():
        body = body.replace("{" + key + "}", str(value))
    return (f"\n# ---- probe {probe.name} ----\ntry:\n{textwrap.indent(body, '    ')}"
            f"    print('PROBE {probe.name}: GOT THROUGH')\n"
            f"except BaseException as error:\n"
            f"    print('PROBE {probe.name}: REFUSED', type(error).__name__, error)\n")


class Listener:
    """A TCP server on the grader's loopback that records what connects to it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    self.received.append(conn.recv(100))
                except OSError:
                    self.received.append(b"")


def _make_class(root: Path, sandbox: bool, port: int, user=None) -> dict:
    """Grade the probe class (as ``user``, an ordinary_user.OrdinaryUser, when given; else as
    whoever runs the tests)."""
    course = make_course(root / "course", [LESSON])
    home = root / "instructor-home"
    home.mkdir()
    run_nbgrader(course, "generate_assignment", LESSON, "--force")
    solution = {gid: solution_code(src) for gid, src in solution_cells(solution_notebook(LESSON)).items()}
    honest = filled_notebook(LESSON, {LAST_CELL: solution[LAST_CELL] + f"\n# {HONEST_MARKER}\n"})
    import nbformat

    for student in ("honest-a", "honest-b") if sandbox else ("honest-a",):
        folder = course / "submitted" / student / LESSON
        folder.mkdir(parents=True)
        nbformat.write(honest, folder / f"{LESSON}.ipynb")
    values = {"course": course, "home": home, "port": port, "token": TOKEN}
    for probe in PROBES:
        folder = course / "submitted" / probe.name / LESSON
        folder.mkdir(parents=True)
        notebook = filled_notebook(LESSON, {LAST_CELL: solution[LAST_CELL] + _probe_code(probe, values)})
        nbformat.write(notebook, folder / f"{LESSON}.ipynb")
        for name, target in probe.links.items():
            (folder / name).symlink_to(target.replace("{course}", str(course)))
        if probe.name == "hostile-names":
            (folder / "..\\..\\escape.txt").write_text("x")
            with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "w") as latin1:
                latin1.write("x")
            subprocess.run(["truncate", "-s", "2G", str(folder / "big.bin")], check=True)
    secrets = {"HOME": str(home), "PGPASSWORD": SECRET,
               "GRADEBOOK_URL": f"postgresql+psycopg://grader:{SECRET}@db.example/gradebook"}
    command = [sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(course), "--lesson", LESSON,
               "--workers", "2", "--no-export", "--submission-memory-gb", str(PROBE_MEMORY_MB / 1024),
               *([] if sandbox else ["--no-sandbox", "--no-feedback"])]
    env = {**nbgrader_env(), **secrets}
    if user is not None:  # the course is the instructor's own; their environment, and nothing of root's
        user.own(course, home)
        command = user.command([user.python, *command[1:]], user.env(secrets))
        env = None
    started = time.time()
    grading = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=1800)
    ended = time.time()
    survivors = [p for p in psutil.process_iter(["cmdline"])
                 if any(f"probe-survivor-{TOKEN}" in part for part in (p.info["cmdline"] or []))]
    return {"course": course, "home": home, "grading": grading, "started": started, "ended": ended,
            "survivors": survivors, "scores": scores(course, LESSON)}


def _outside_evidence(run: dict, listener: Listener) -> dict[str, str | None]:
    """probe → what got through, as seen from outside the kernel (None: nothing)."""
    import nncourse

    course, home = run["course"], run["home"]
    evidence: dict[str, str | None] = {}
    planted = Path(nncourse.__file__).parent / f"probe-{TOKEN}.txt"
    evidence["package-write"] = "file in the package" if planted.exists() else None
    with sqlite3.connect(course / "gradebook.db") as db:
        tables = [row[0] for row in db.execute("select name from sqlite_master where type='table'")]
    evidence["gradebook-table"] = "table created" if f"probe_{TOKEN}" in tables else None
    evidence["tcp-loopback"] = ("connected" if any(TOKEN.encode() in data for data in listener.received)
                                else None)
    evidence["survivor"] = f"{len(run['survivors'])} still running" if run["survivors"] else None
    evidence["home-write"] = "file written" if (home / f"probe-{TOKEN}.txt").exists() else None
    evidence["solutions-write"] = ("file written" if (course / "solutions" / LESSON / f"probe-{TOKEN}.txt").exists()
                                   else None)
    for name, needle in (("read-other", HONEST_MARKER), ("env-secret", SECRET)):
        output = cell_outputs_text(autograded_notebook(course, name, LESSON), LAST_CELL)
        evidence[name] = "seen in its output" if needle in output else None
    output = cell_outputs_text(autograded_notebook(course, "fork-bomb", LESSON), LAST_CELL)
    forked = int(output.split("FORKED", 1)[1].split()[0]) if "FORKED" in output else 0
    evidence["fork-bomb"] = f"{forked} processes" if forked >= 400 else None
    logs = [path.read_text(encoding="utf-8", errors="replace")
            for path in (course / "grading_logs").glob("worker-*.log")]
    forged = any(line.startswith(f"FORGED {TOKEN}") for log in logs for line in log.splitlines())
    truncated = not all(log.startswith(WORKER_LOG_START) for log in logs)
    evidence["worker-log"] = (", ".join(what for what, happened in (("truncated", truncated), ("line forged", forged))
                                        if happened) or None)
    folder = course / "autograded" / "planted-files" / LESSON
    planted_files = [name for name in ("torch/__init__.py", "nncourse.py") if (folder / name).exists()]
    evidence["planted-files"] = f"in autograded/: {planted_files}" if planted_files else None
    for name in SYSCALL_PROBES:  # what the host's kernel answered, as the probe printed it
        output = cell_outputs_text(autograded_notebook(course, name, LESSON), LAST_CELL)
        reached = [line.split(f"REACHED-{TOKEN}", 1)[1].strip() for line in output.splitlines()
                   if f"REACHED-{TOKEN}" in line]
        evidence[name] = "; ".join(reached) or None
    for name in ("memory-processes", "memfd", "memory-kernel"):  # what the probe held, as it printed it
        output = cell_outputs_text(autograded_notebook(course, name, LESSON), LAST_CELL)
        held = [line.split(f"HELD-{TOKEN}", 1)[1].strip() for line in output.splitlines() if f"HELD-{TOKEN}" in line]
        evidence[name] = f"held {held[0]}" if held else None
    output = cell_outputs_text(autograded_notebook(course, "disk-fill", LESSON), LAST_CELL)
    wrote = [int(line.split()[1]) for line in output.splitlines() if line.startswith(f"WROTE-{TOKEN}")]
    evidence["disk-fill"] = f"wrote {wrote[0]} MiB" if wrote and wrote[0] >= DISK_BOUND_MB else None
    for name in ("planted-links", "hostile-names"):
        folder = course / "autograded" / name / LESSON
        extra = sorted(p.name for p in folder.iterdir() if p.name != f"{LESSON}.ipynb")
        evidence[name] = f"copied: {extra}" if extra else None
    return evidence


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.sock.close()


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory, listener):
    run = _make_class(tmp_path_factory.mktemp("abuse-sandbox"), True, listener.port)
    run["evidence"] = _outside_evidence(run, listener)
    for name, got in run["evidence"].items():
        PROBE_RESULTS[name]["sandbox"] = got or "blocked"
        score = run["scores"].get(name)
        PROBE_RESULTS[name]["score"] = "—" if score is None else f"{score.total:g}/{score.max_total:g}"
    return run


@pytest.fixture(scope="module")
def unsandboxed(tmp_path_factory, listener, sandboxed):
    received_before = len(listener.received)
    run = _make_class(tmp_path_factory.mktemp("abuse-control"), False, listener.port)
    try:
        listener.received[:] = listener.received[received_before:]
        run["evidence"] = _outside_evidence(run, listener)
        for name, got in run["evidence"].items():
            PROBE_RESULTS[name]["no_sandbox"] = got or "blocked"
        yield run
    finally:
        import nncourse

        for process in run["survivors"]:
            try:
                process.kill()
            except psutil.Error:
                pass
        (Path(nncourse.__file__).parent / f"probe-{TOKEN}.txt").unlink(missing_ok=True)


def test_the_sandboxed_class_is_graded(sandboxed):
    grading = sandboxed["grading"]
    assert grading.returncode == 0, grading.stdout[-4000:] + grading.stderr[-4000:]
    assert "--no-sandbox" not in grading.stdout


LOST = {probe.name: probe.lost for probe in PROBES}


@pytest.mark.parametrize("student", ["honest-a", "honest-b", *PROBER_NAMES])
def test_everyone_keeps_full_marks(sandboxed, student):
    """... but the prober whose kernel is killed, which keeps the points before that cell."""
    score = sandboxed["scores"][student]
    assert score.max_total == FULL and score.total == FULL - LOST.get(student, 0), (student, score.cells)


@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: probe.name)
def test_probe_is_blocked_and_said_so(sandboxed, probe):
    course = sandboxed["course"]
    assert sandboxed["evidence"][probe.name] is None, f"{probe.name} got through: {sandboxed['evidence'][probe.name]}"
    output = cell_outputs_text(autograded_notebook(course, probe.name, LESSON), LAST_CELL)
    log = (course / "grading_logs" / LESSON / f"{probe.name}.log").read_text(encoding="utf-8")
    if probe.name == "survivor":  # starting a process is allowed; outliving grading is not
        assert "ending" in log and "processes the submission left running" in log, log[-3000:]
    elif probe.name == "planted-files":  # writing in its own folder is allowed; keeping it is not
        assert "stay out of the grading folder" in log and "nncourse.py" in log, log[-3000:]
    elif probe.name in SYSCALL_PROBES:  # refused by the filter, not by a failed import
        assert f"PROBE {probe.name}: REFUSED PermissionError" in output, output[-2000:]
    elif probe.name == "memory-kernel":  # killed in that cell; said in Korean, graded up to it
        assert f"{MEMORY_ENAME}: " in output and "메모리 한도" in output, output[-2000:]
        assert "the kernel died in cell" in log and "(out of memory)" in log, log[-3000:]
        assert "memory: the kernel tree's peak was" in log, log[-3000:]  # its cleanup ran, dead as it was
    elif probe.name in ("memory-processes", "memfd"):  # a holder was killed, not the kernel
        assert f"PROBE {probe.name}: REFUSED MemoryError" in output and "-9" in output, output[-2000:]
    elif probe.name == "disk-fill":  # the folder is full, far under the bound
        assert f"PROBE {probe.name}: REFUSED OSError [Errno 28]" in output, output[-2000:]
    else:
        assert f"PROBE {probe.name}: REFUSED" in output, output[-2000:]
    if not probe.kernel:
        assert log.count("not copied for grading") >= (len(probe.links) or 3), log[:3000]
    html = (course / "feedback" / probe.name / LESSON / f"{LESSON}.html").read_text(encoding="utf-8")
    if probe.name == "memory-kernel":
        assert MEMORY_ENAME in html
    elif probe.name not in ("survivor", "planted-files"):
        assert f"PROBE {probe.name}: REFUSED" in html
    assert not (course / "feedback" / probe.name / LESSON / "nncourse.py").exists()


def test_the_sandbox_adds_no_stderr(sandboxed):
    """nbgrader scores a test cell with stderr as 0: the sandbox must not make any (matplotlib's
    cache warning, a missing /sys, ...), in any cell of an honest learner."""
    notebook = autograded_notebook(sandboxed["course"], "honest-a", LESSON)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.get("name") != "stderr", (cell.source[:80], output.get("text", "")[:500])


def test_fork_bomb_hits_the_process_limit(sandboxed):
    output = cell_outputs_text(autograded_notebook(sandboxed["course"], "fork-bomb", LESSON), LAST_CELL)
    assert "BlockingIOError" in output or "Resource temporarily unavailable" in output, output[-2000:]


def test_no_planted_link_reaches_the_graded_folders(sandboxed):
    for folder in (sandboxed["course"] / "autograded").rglob("*"):
        assert not folder.is_symlink(), folder


@pytest.mark.parametrize("probe", [p for p in PROBES if p.kernel], ids=lambda probe: probe.name)
def test_without_the_sandbox_the_probe_gets_through(unsandboxed, probe):
    """The control: the same probe, graded with --no-sandbox, does what the sandbox stops."""
    assert unsandboxed["evidence"][probe.name], f"{probe.name}: nothing got through even without the sandbox"


def test_no_sandbox_run_warns_and_still_refuses_links(unsandboxed):
    grading = unsandboxed["grading"]
    assert grading.returncode == 0, grading.stdout[-4000:] + grading.stderr[-4000:]
    assert "--no-sandbox" in grading.stdout and "WITHOUT the sandbox" in grading.stdout
    assert unsandboxed["evidence"]["planted-links"] is None
    assert unsandboxed["evidence"]["hostile-names"] is None
    for name in PROBER_NAMES:
        assert unsandboxed["scores"][name].total == FULL, name


def test_plain_nbgrader_would_follow_the_planted_links(unsandboxed):
    """Why the safe copy exists: nbgrader's own copy reads through a link."""
    course = unsandboxed["course"]
    run_nbgrader(course, "autograde", LESSON, "--student", "planted-links", "--force")
    copied = course / "autograded" / "planted-links" / LESSON / "passwd"
    assert copied.is_file() and not copied.is_symlink() and "root:" in copied.read_text()
    PROBE_RESULTS["planted-links"]["no_sandbox"] = "blocked (plain nbgrader: followed)"


#: Every system call of the syscall probes, and the real namespaces, with what a graded kernel
#: still does (threads, a child process), its answers written to answers.txt in its folder.
FILTER_CHECK = (f"CALLS = {[call for _, calls in SYSCALL_PROBES.values() for call in calls]!r}\n"
                + "import subprocess, threading\nlines = []\n"
                + "print = lambda *parts: lines.append(' '.join(map(str, parts)))\ntry:\n"
                + textwrap.indent(NEW_NAMESPACES + REACH, "    ").replace("{token}", TOKEN)
                + "except PermissionError as error:\n    lines.append(f'REFUSED {error}')\n"
                + "worker = threading.Thread(target=lines.append, args=('thread ran',))\n"
                + "worker.start()\nworker.join()\n"
                + "lines.append(subprocess.run(['echo', 'child ran'], capture_output=True, text=True).stdout)\n"
                + "open('answers.txt', 'w').write('\\n'.join(lines))\n")


def _exec_d_kernel(bwrap_pid: int, timeout: float = 60.0):
    """The Python process bwrap finally executes for a pool kernel (not bwrap, setpriv or prlimit)."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in psutil.Process(bwrap_pid).children(recursive=True):
            try:
                command = process.cmdline()
            except psutil.Error:
                continue
            if command and Path(command[0]).name.startswith("python") and "nncourse.grading.kernels.warm_kernel" in command:
                return process
        time.sleep(0.05)
    raise AssertionError(f"no kernel process under bwrap {bwrap_pid} after {timeout:.0f} s")


def _seccomp_mode(pid: int) -> str:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(line.split()[1] for line in status if line.startswith("Seccomp:"))


def _check_answers(answers: str) -> None:
    assert f"REACHED-{TOKEN}" not in answers, answers
    assert "unshare failed: Operation not permitted" in answers, answers
    refused = ast.literal_eval(answers.split("REFUSED refused: ", 1)[1].splitlines()[0])
    expected = {name: "ENOSYS" if name == "clone3" else "EPERM"
                for _, calls in SYSCALL_PROBES.values() for name, *_ in calls}
    assert refused == expected
    assert "thread ran" in answers and "child ran" in answers, answers


@pytest.mark.parametrize("fork", [True, False], ids=["forked-from-the-zygote", "execd-by-bwrap"])
def test_a_pool_kernel_runs_under_the_filter(fork, monkeypatch):
    """Both ways a root grader's kernel starts: the kernel's system calls, and its seccomp mode
    read from outside (2: a filter)."""
    import logging

    import psutil
    from jupyter_core.utils import run_sync

    from nbgrader_course import SOLUTIONS
    from nncourse.grading.kernels.pool import KernelPool

    if fork and os.geteuid() != 0:
        pytest.skip("only a root grader forks its kernels")
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NNCOURSE_THREADS"):
        monkeypatch.setenv(name, "1")
    pool = KernelPool(lambda lesson: SOLUTIONS / lesson / f"{lesson}.ipynb", size=1,
                      log=logging.getLogger("test_sandbox"), fork=fork)
    try:
        pool.warm(LESSON)
        km = pool._warm[LESSON][0]
        assert (km.provisioner.kernel_pid is not None) == fork
        # bwrap's own processes (and setpriv, prlimit on the way) carry the kernel's command line as
        # arguments too, and the filter is applied only to what bwrap finally executes: take the
        # Python process, once it runs (on a loaded machine the chain may still be exec'ing).
        kernel = psutil.Process(km.provisioner.kernel_pid) if fork else _exec_d_kernel(km.provisioner.process.pid)
        assert _seccomp_mode(kernel.pid) == "2"
        client = km.client()
        client.start_channels()
        try:
            run_sync(client.wait_for_ready)(timeout=60)
            request = client.execute(FILTER_CHECK)
            while True:
                reply = run_sync(client.get_shell_msg)(timeout=60)
                if reply["parent_header"]["msg_id"] == request:
                    break
            assert reply["content"]["status"] == "ok", reply["content"]
            _check_answers((km.provisioner.workdir / "answers.txt").read_text())
        finally:
            client.stop_channels()
    finally:
        pool.close()


def _memory_cgroup_of(pid: int) -> str:
    """The cgroup path of ``pid`` in the hierarchy of the memory controller (v1) or the unified one."""
    with open(f"/proc/{pid}/cgroup", encoding="ascii") as table:
        lines = [line.rstrip("\n").split(":", 2) for line in table]
    memory = [path for _, controllers, path in lines if "memory" in controllers.split(",")]
    return memory[0] if memory else next(path for number, _, path in lines if number == "0")


def _mount_of(path: Path) -> tuple[str, str] | None:
    """(file system type, super options) of the mount at ``path``, None when it is no mount point."""
    found = None
    with open("/proc/self/mountinfo", encoding="utf-8") as table:
        for line in table:
            fields = line.split()
            if fields[4] == str(path):  # the last one mounted there is the one seen
                dash = fields.index("-")
                found = (fields[dash + 1], fields[dash + 3])
    return found


@pytest.mark.parametrize("fork", [True, False], ids=["forked-from-the-zygote", "execd-by-bwrap"])
def test_a_pool_kernels_tree_is_capped_as_one(fork, tmp_path, monkeypatch):
    """A root grader's pool kernel, both ways it starts: before it is handed a submission, the
    kernel (exec'd: with every process of its sandbox; forked: the kernel, which runs all learner
    code) is in a memory cgroup of its own, capped at the submission's memory, and its folder is a
    tmpfs; the submission's files then get work_mb of room beside them, a process the learner's
    code starts is in the same cgroup, and once the kernel is shut down the mount and the cgroup
    are gone."""
    import logging

    import nbformat
    from jupyter_core.utils import run_sync

    from nbgrader_course import SOLUTIONS
    from nncourse.grading.kernels import cgroups
    from nncourse.grading.kernels.pool import KernelPool
    from nncourse.grading.kernels.sandbox import DEFAULT_WORK_MB

    if os.geteuid() != 0:
        pytest.skip("only a root grader has memory cgroups and tmpfs folders")
    if cgroups.hierarchy() is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI's root grader must find a memory cgroup hierarchy (v1 or v2)")
        pytest.skip("no memory cgroup hierarchy here (the RLIMIT_AS fallback)")
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NNCOURSE_THREADS"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv(cgroups.MEMORY_ENV, "1500")
    submitted = tmp_path / LESSON
    submitted.mkdir()
    nbformat.write(filled_notebook(LESSON), submitted / f"{LESSON}.ipynb")
    pool = KernelPool(lambda lesson: SOLUTIONS / lesson / f"{lesson}.ipynb", size=1,
                      log=logging.getLogger("test_sandbox"), fork=fork)
    try:
        pool.warm(LESSON)
        km = pool._warm[LESSON][0]
        group = km.memory_cgroup
        assert group is not None and group.path.is_dir()
        limit_file, limit, _ = group.hierarchy.limit_files(1500 * 2**20)[0]
        assert (group.path / limit_file).read_text().strip() == limit
        bwrap = psutil.Process(km.provisioner.process.pid)
        if not fork:  # the tree is complete once bwrap has executed the kernel (it may still be starting)
            _exec_d_kernel(bwrap.pid)
        members = [psutil.Process(km.provisioner.kernel_pid)] if fork else [bwrap, *bwrap.children(recursive=True)]
        inside = f"/{group.path.parent.name}/{group.path.name}"
        assert len(members) >= (1 if fork else 3), members
        assert all(_memory_cgroup_of(p.pid).endswith(inside) for p in members), \
            [(p.pid, p.name(), _memory_cgroup_of(p.pid)) for p in members]
        assert not _memory_cgroup_of(os.getpid()).endswith(inside)
        workdir = km.provisioner.workdir
        assert _mount_of(workdir)[0] == "tmpfs", _mount_of(workdir)
        assert pool.take(submitted) is km
        room = os.statvfs(workdir)
        used = (room.f_blocks - room.f_bfree) * room.f_frsize
        assert used > 0 and room.f_bavail * room.f_frsize == pytest.approx(DEFAULT_WORK_MB * 2**20, rel=0.01)
        client = km.client()
        client.start_channels()
        try:
            run_sync(client.wait_for_ready)(timeout=60)
            request = client.execute("import subprocess\nchild = subprocess.Popen(['sleep', '60'])\n"
                                     "open('child.txt', 'w').write(str(child.pid))")
            while True:
                reply = run_sync(client.get_shell_msg)(timeout=60)
                if reply["parent_header"]["msg_id"] == request:
                    break
            assert reply["content"]["status"] == "ok", reply["content"]
        finally:
            client.stop_channels()
        kernel_children = psutil.Process(km.provisioner.kernel_pid).children() if fork else []
        sleepers = [p for p in bwrap.children(recursive=True) + kernel_children if p.name() == "sleep"]
        assert len(sleepers) == 1 and _memory_cgroup_of(sleepers[0].pid).endswith(inside)
        run_sync(km.shutdown_kernel)(now=True)
        assert _mount_of(workdir) is None and not workdir.exists()
        cgroups.close()
        assert not group.path.exists() and not group.path.parent.exists()
    finally:
        pool.close()


def test_without_a_memory_cgroup_the_worker_says_what_applies(monkeypatch, caplog):
    """An ordinary grader (or a host with no memory controller to use): no cgroup per kernel,
    and one log line, once, that only the per-process address-space limit applies."""
    from nncourse.grading.kernels import cgroups

    monkeypatch.setattr(cgroups.os, "geteuid", lambda: 1000)
    cgroups.hierarchy.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="nncourse.grading"):
            assert cgroups.KernelCgroup.create(1024) is None
            assert cgroups.KernelCgroup.create(1024) is None
        said = [r.getMessage() for r in caplog.records if "RLIMIT_AS" in r.getMessage()]
        assert len(said) == 1 and "not root" in said[0], said
    finally:
        cgroups.hierarchy.cache_clear()


def test_an_ordinary_graders_sandbox_has_the_filter_too(tmp_path):
    """A grader that is not root: bwrap makes a user namespace (--unshare-user), and loads the
    same filter."""
    result, answers = _filter_check_in_an_ordinary_graders_sandbox(tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    _check_answers(answers.read_text())


def _filter_check_in_an_ordinary_graders_sandbox(tmp_path, preexec_fn=None):
    """FILTER_CHECK run in the sandbox an ordinary grader builds (a user namespace, the course's
    filter), started by ``preexec_fn``'s process if given; (the run, the file of its answers)."""
    from nncourse.grading.kernels import seccomp_filter
    from nncourse.grading.kernels.sandbox import bwrap_command, kernel_env

    work = tmp_path / "work"
    work.mkdir()
    seccomp_fd = seccomp_filter.program_fd()
    try:
        command = bwrap_command(work, "check", None, {"processes": 256, "tmp_mb": 16, "file_mb": 16},
                                seccomp_fd, uid=None)
        assert "--unshare-user" in command and "--seccomp" in command
        result = subprocess.run([*command, sys.executable, "-c", FILTER_CHECK], capture_output=True,
                                text=True, timeout=120, cwd="/", env=kernel_env({}), pass_fds=(seccomp_fd,),
                                preexec_fn=preexec_fn)
    finally:
        os.close(seccomp_fd)
    return result, work / "answers.txt"


#: The Kubernetes recipe's Localhost seccomp profile for the grading pod (README.md)
POD_PROFILE = Path(__file__).resolve().parents[1] / "autograder" / "seccomp" / "nncourse-grader.json"


def test_the_pod_profile_refuses_the_kernels_list_less_what_bwrap_needs():
    import errno
    import json

    from nncourse.grading.kernels.seccomp_filter import NEEDED_BY_BWRAP, REFUSED

    profile = json.loads(POD_PROFILE.read_text(encoding="utf-8"))
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW"
    [rule] = profile["syscalls"]
    assert rule["action"] == "SCMP_ACT_ERRNO" and rule["errnoRet"] == errno.EPERM
    assert sorted(rule["names"]) == sorted(set(REFUSED) - set(NEEDED_BY_BWRAP))


def test_bwrap_works_under_the_pod_profile(tmp_path):
    """The pod profile, loaded as a container runtime loads it, leaves bubblewrap what it needs
    to make an ordinary grader's sandbox, and the kernel in there still gets the course's filter."""
    import ctypes
    import json

    import pyseccomp

    rule = json.loads(POD_PROFILE.read_text(encoding="utf-8"))["syscalls"][0]
    pod = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for name in rule["names"]:
        pod.add_rule(pyseccomp.ERRNO(rule["errnoRet"]), name)

    def enter_the_pod():
        ctypes.CDLL(None).prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS, as the pod's allowPrivilegeEscalation: false
        pod.load()

    # the grader in the pod: refused what the profile names (so it was loaded)
    in_pod = subprocess.run([sys.executable, "-c", "CALLS = [('io_uring_setup', 1, 'params')]\n" + REACH],
                            preexec_fn=enter_the_pod, capture_output=True, text=True, timeout=60)
    result, answers = _filter_check_in_an_ordinary_graders_sandbox(tmp_path, preexec_fn=enter_the_pod)
    assert "PermissionError: refused: {'io_uring_setup': 'EPERM'}" in in_pod.stderr, in_pod.stderr[-500:]
    assert result.returncode == 0, result.stderr[-2000:]
    _check_answers(answers.read_text())


def test_refuses_to_grade_without_a_sandbox(tmp_path):
    course = make_course(tmp_path / "course", [LESSON])
    run_nbgrader(course, "generate_assignment", LESSON, "--force")
    import nbformat

    folder = course / "submitted" / "ada" / LESSON
    folder.mkdir(parents=True)
    nbformat.write(filled_notebook(LESSON), folder / f"{LESSON}.ipynb")
    for bwrap in ("/nonexistent/bwrap", "/bin/false"):  # not installed; cannot make namespaces
        env = {**nbgrader_env(), "NNCOURSE_BWRAP": bwrap}
        result = subprocess.run([sys.executable, "-m", "nncourse.grading.grade_class", "--root", str(course)],
                                cwd=course, env=env, capture_output=True, text=True, timeout=300)
        message = result.stdout + result.stderr
        assert result.returncode == 3, message
        assert "채점 샌드박스를 시작할 수 없어" in message and "cannot start" in message
        assert "make system-deps" in message and "apt-get install bubblewrap" in message
        assert "sysctl" in message and "--no-sandbox" in message
        assert not (course / "autograded").exists()
