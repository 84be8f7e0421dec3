"""An ordinary user (not root) to run the class grader as, the way most instructors run it (#28).

A root test run creates the system user ``nncourse-grader`` once, and for it a virtual
environment of its own that reuses this environment's packages: a venv made by a Python the user
may run (this one's, or Debian's ``/usr/bin/python3.11``) whose ``site-packages`` is a link to
this venv's, with the console scripts nbgrader needs (``nbgrader``, ``alembic``, ``jupyter``...)
pointing at it, and its ``share`` (nbconvert's templates, Jupyter's kernel specs) a link to this
venv's. Without root, or where the user cannot read the repository, the tests that need
it skip and say why.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

USER = "nncourse-grader"
VENV_BIN = Path(sys.executable).parent
SCRIPTS = ("nbgrader", "alembic", "jupyter", "jupyter-nbconvert", "jupyter-kernel", "jupyter-kernelspec",
           "jupyter-execute", "ipython")


def _runuser() -> str:
    return shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin") or "runuser"


@dataclass(frozen=True)
class OrdinaryUser:
    name: str
    uid: int
    gid: int
    venv: Path

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        home = self.venv.parent / "home"
        return {"PATH": f"{self.venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
                "USER": self.name, "LOGNAME": self.name, **(extra or {})}

    def command(self, command: list[str], env: dict[str, str]) -> list[str]:
        """``command`` as this user, with exactly ``env`` (nothing of root's environment)."""
        return [_runuser(), "-u", self.name, "--", "env", "-i", *(f"{key}={value}" for key, value in env.items()),
                *command]

    def run(self, command: list[str], env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(command, self.env(env)), **kwargs)

    def own(self, *paths: Path) -> None:
        """Give ``paths`` to this user, and let it reach them (pytest's folders are root's only)."""
        for path in paths:
            subprocess.run(["chown", "-R", f"{self.uid}:{self.gid}", str(path)], check=True)
            _searchable(Path(path).parent)


def _searchable(folder: Path) -> None:
    """Others may pass through ``folder`` and every folder above it (not list them)."""
    for current in (folder, *folder.parents):
        mode = os.stat(current).st_mode
        if not mode & 0o001:
            os.chmod(current, (mode & 0o7777) | 0o001)


def _base_python() -> str | None:
    """A Python 3.11 the ordinary user may run: this venv's base (the packages were installed for
    it: Debian's 3.11.2 with them failed in soupsieve, so no feedback HTML), its folders made
    searchable by others where they are private (pyenv under /root); else Debian's."""
    base = os.path.realpath(os.path.join(sys.base_prefix, "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}"))
    if os.path.isfile(base) and os.stat(base).st_mode & 0o001 and not _others_may_run(base):
        _searchable(Path(base).parent)
    candidates = [base, "/usr/bin/python3.11"]
    return next((path for path in candidates if os.path.isfile(path) and _others_may_run(path)), None)


def _others_may_run(path: str) -> bool:
    """Every folder above ``path`` is searchable by others, and ``path`` executable by them."""
    current = Path(path)
    if not os.stat(current).st_mode & 0o001:
        return False
    return all(os.stat(parent).st_mode & 0o001 for parent in current.parents)


def prepare(scratch: Path) -> OrdinaryUser | str:
    """The ordinary user with a venv in ``scratch``, or why there cannot be one here."""
    if os.geteuid() != 0:
        return "needs root to create the ordinary user"
    python = _base_python()
    if python is None:
        return "no Python 3.11 an ordinary user may run (apt-get install python3.11)"
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
                       check=True, capture_output=True)
    entry = pwd.getpwnam(USER)
    scratch.mkdir(parents=True, exist_ok=True)
    os.chmod(scratch, 0o755)
    _searchable(scratch)  # pytest's tmp folders are private to root
    venv = scratch / "venv"
    home = scratch / "home"
    home.mkdir(exist_ok=True)
    user = OrdinaryUser(USER, entry.pw_uid, entry.pw_gid, venv)
    user.own(home)
    made = subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], capture_output=True, text=True, cwd="/")
    if made.returncode != 0:
        return f"cannot make a venv with {python}: {made.stderr[-500:]}"
    packages = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    shutil.rmtree(packages)
    packages.symlink_to(sysconfig.get_paths()["purelib"])
    # and its data files: nbconvert's templates (the feedback HTML), Jupyter's kernel specs
    shutil.rmtree(venv / "share", ignore_errors=True)
    (venv / "share").symlink_to(VENV_BIN.parent / "share")
    for name in SCRIPTS:
        source = VENV_BIN / name
        if source.is_file():
            lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
            (venv / "bin" / name).write_text(f"#!{user.python}\n" + "".join(lines[1:]), encoding="utf-8")
            (venv / "bin" / name).chmod(0o755)
    user.own(venv)  # theirs, as an instructor's own venv is
    check = user.run([user.python, "-c", "import torch, nbgrader, nncourse.grading.grade_class"],
                     capture_output=True, text=True, cwd="/")
    if check.returncode != 0:
        return f"{USER} cannot import the course from here (is the repository readable by others?): {check.stderr[-500:]}"
    return user
