"""`make learner-bundle`: the zip learners get holds no answers, installs into a new venv, and
runs lesson 01 from its untouched notebook to its first check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

from lab_server import free_port, lab_options, new_token, start_page_served, started
from nncourse import lab
from nncourse.grading import learner_bundle
from nncourse.grading.kernels.ipc import command_line_options, private_socket_folder


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Path:
    out = learner_bundle.build(tmp_path_factory.mktemp("zip") / "bundle.zip")
    target = tmp_path_factory.mktemp("learner")  # an empty folder, as on a learner's computer
    with zipfile.ZipFile(out) as archive:
        archive.extractall(target)
    return target / learner_bundle.ROOT_NAME


def test_bundle_holds_what_a_learner_needs_and_no_answers(unpacked):
    names = {p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*") if p.is_file()}
    assert not any(name.startswith("solutions/") for name in names)
    assert {"README.md", "pyproject.toml", "notebooks/00_시작하기.md", "data/README.md",
            "nncourse/checks.py", "nncourse/reference_metrics.json"} <= names
    lessons = sorted(p.parent.name for p in unpacked.glob("notebooks/*/*.ipynb"))
    assert lessons == sorted(p.name for p in (learner_bundle.REPO / "solutions").iterdir() if p.is_dir())
    for path in unpacked.rglob("*"):
        if path.is_file() and path.suffix != ".gz":
            text = path.read_text(encoding="utf-8", errors="ignore")
            assert not any(marker in text for marker in learner_bundle.FORBIDDEN), path
    assert "pip install ." in (unpacked / "README.md").read_text(encoding="utf-8")
    assert "nbgrader" not in (unpacked / "pyproject.toml").read_text(encoding="utf-8")
    # help on request: every lesson's hints, and no worked answers in a graded release
    assert {f"nncourse/help/{lesson}.toml" for lesson in lessons} | {"nncourse/help/__init__.py"} <= names
    assert "nncourse/help/solutions.json" not in names


def test_a_self_study_bundle_carries_the_worked_answers(tmp_path):
    out = learner_bundle.build(tmp_path / "self-study.zip", self_study=True)
    with zipfile.ZipFile(out) as archive:
        answers = json.loads(archive.read(f"{learner_bundle.ROOT_NAME}/nncourse/help/solutions.json"))
    assert "torch.bincount" in answers["01_mnist_data"]["4"]


def test_the_builder_refuses_a_solution():
    with pytest.raises(SystemExit, match="BEGIN SOLUTION"):
        learner_bundle.check_no_answers({"notebooks/x.ipynb": "x = 1\n### BEGIN SOLUTION\n"})


@pytest.fixture(scope="module")
def bundle_venv(unpacked, tmp_path_factory) -> Path:
    """A new venv with the bundle's package installed from the unpacked folder. Its dependencies
    (torch and the rest, several hundred MB) come from this test run's environment through a
    .pth line instead of a second download; the package itself is the bundle's own copy, built
    and installed by the new venv's pip."""
    venv = tmp_path_factory.mktemp("venv") / ".venv"
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "course_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # pip builds the package the way a learner's pip does (setuptools fetched for the build).
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(unpacked)],
                   check=True, cwd=unpacked)
    return python


def test_the_package_comes_from_the_bundle(bundle_venv, unpacked):
    # From the notebooks' folder, as a kernel imports it (in the bundle's root, the source folder
    # nncourse/ itself would shadow the installed copy).
    where = subprocess.run([str(bundle_venv), "-c", "import nncourse; print(nncourse.__file__)"],
                           check=True, capture_output=True, text=True,
                           cwd=unpacked / "notebooks" / "01_mnist_data").stdout.strip()
    assert where.startswith(str(bundle_venv.parent.parent)), where


def test_lab_settings_skip_the_news_question(bundle_venv, unpacked):
    written = subprocess.run([str(bundle_venv), "-c", "from nncourse import lab; print(lab.install_overrides())"],
                             check=True, capture_output=True, text=True, cwd=unpacked).stdout.strip()
    settings = json.loads(Path(written).read_text(encoding="utf-8"))
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert Path(written).is_relative_to(bundle_venv.parent.parent)
    assert lab.START_PAGE == "00_시작하기.md"


def test_lesson_01_runs_to_its_first_check(bundle_venv, unpacked):
    original = unpacked / "notebooks" / "01_mnist_data" / "01_mnist_data.ipynb"
    lesson = original.with_name("asked.ipynb")  # the learner's notebook, where they ask for help
    notebook = nbformat.read(original, as_version=4)
    at = next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code") + 1
    notebook.cells[at:at] = [nbformat.v4.new_code_cell("hint(1)"), nbformat.v4.new_code_cell("solution(1)")]
    nbformat.write(notebook, lesson)
    executed = lesson.with_name("executed.ipynb")
    with private_socket_folder() as sockets:  # not TCP ports: see nncourse.grading.kernels.ipc
        subprocess.run([str(bundle_venv), "-m", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
                        "--ExecutePreprocessor.kernel_name=python3", *command_line_options(sockets),
                        "--output", executed.name, str(lesson)],
                       check=True, capture_output=True, cwd=lesson.parent)
    cells = nbformat.read(executed, as_version=4).cells
    code = [c for c in cells if c.cell_type == "code"]
    setup = code[0]
    assert not any(o.output_type == "error" for o in setup.outputs), setup.outputs
    assert "준비 완료" in "".join(o.get("text", "") for o in setup.outputs)
    # hint(1) and solution(1), from the installed bundle's package: a hint, and no answer
    asked = [json.dumps(cell.outputs, ensure_ascii=False) for cell in code[1:3]]
    assert "힌트 1/2" in asked[0] and "보여 주지 않습니다" in asked[1], asked
    first_test = next(c for c in code if c.metadata.get("nbgrader", {}).get("grade"))
    shown = json.dumps(first_test.outputs, ensure_ascii=False)
    # The untouched answer is missing, so the first check fails, and says so in Korean.
    assert any(o.output_type == "error" for o in first_test.outputs), shown
    assert "MnistDataError" not in shown and "ModuleNotFoundError" not in shown, shown


def test_the_bundle_command_opens_the_course(bundle_venv, unpacked, tmp_path):
    """The bundle README's start command, run in the unpacked folder with the learner's venv."""
    port, token = free_port(), new_token()
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(tmp_path / "workspaces")
    command = [str(bundle_venv), "-m", "nncourse.lab", *lab_options(port, token)]
    with started(command, unpacked, env, port, token, tmp_path / "lab.log") as base:
        entry = start_page_served(base, token)
    assert entry["name"] == lab.START_PAGE
