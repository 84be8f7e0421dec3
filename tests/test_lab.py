"""`make lab` opens the course: started from a fresh shell in another folder, as a learner does,
JupyterLab stays up, serves the learner notebooks and the start page, and takes JupyterLab's own
options through LAB_ARGS (the start page used to be looked up in the working folder: JupyterLab
exited at once with "No such file or directory")."""

from __future__ import annotations

import os

from lab_server import free_port, lab_options, new_token, start_page_served, started
from nbgrader_course import REPO
from nncourse import lab


def test_options_are_not_taken_for_the_notebook_folder():
    folder, options = lab.split_arguments(["--port=8890", "--no-browser"])
    assert folder.name == "notebooks" and options == ["--port=8890", "--no-browser"]
    folder, options = lab.split_arguments(["some/where", "--port", "8890"])
    assert folder.name == "where" and options == ["--port", "8890"]


def test_the_command_names_the_start_page_relative_to_the_notebook_folder():
    command = lab.lab_command(REPO / "notebooks", ["--port=1"])
    assert lab.START_PAGE in command and str(REPO / "notebooks" / lab.START_PAGE) not in command
    assert command[-1] == "--port=1"


def test_make_lab_serves_the_course_from_any_folder(tmp_path):
    port, token = free_port(), new_token()
    env = dict(os.environ)
    for name in ("JUPYTER_RUNTIME_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
        env[name] = str(tmp_path / name.lower())
    args = " ".join(lab_options(port, token))
    command = ["make", "-C", str(REPO), "lab", f"LAB_ARGS={args}"]
    with started(command, tmp_path, env, port, token, tmp_path / "lab.log") as base:
        entry = start_page_served(base, token)
    assert entry["name"] == lab.START_PAGE and entry["type"] == "file"
