"""pyproject.toml and environment.yml name the same packages at the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"pytorch": "torch"}
NOT_PACKAGES = {"python", "pip"}


def _normalise(name: str) -> str:
    name = re.sub(r"[-_.]+", "-", name).lower()
    return CONDA_TO_PYPI.get(name, name)


def _pins(requirements, separator):
    pins = {}
    for requirement in requirements:
        name, version = (part.strip() for part in requirement.split(separator, 1))
        pins[_normalise(name)] = version
    return pins


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert all("==" in r for r in project["dependencies"]), "pin every dependency with =="
    return _pins(project["dependencies"], "==")


def environment_pins() -> dict[str, str]:
    environment = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda, pip = [], []
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            pip += [line for line in entry["pip"] if not line.startswith("-")]
        elif entry.split("=")[0] not in NOT_PACKAGES:
            conda.append(entry)
    return {**_pins([c.replace("==", "=") for c in conda], "="), **_pins(pip, "==")}


def test_environment_yml_names_the_same_pins_as_pyproject():
    assert environment_pins() == pyproject_pins()


def test_environment_yml_uses_conda_forge_and_python_311_and_installs_the_course():
    environment = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    assert environment["channels"] == ["conda-forge"]
    assert "python=3.11" in environment["dependencies"]
    pip = next(e["pip"] for e in environment["dependencies"] if isinstance(e, dict))
    assert "-e ." in pip


def test_the_drift_check_can_fail(tmp_path, monkeypatch):
    drifted = (REPO / "environment.yml").read_text(encoding="utf-8").replace("nbgrader=0.9.6", "nbgrader=0.9.5")
    assert drifted != (REPO / "environment.yml").read_text(encoding="utf-8")
    (tmp_path / "environment.yml").write_text(drifted, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(__import__(__name__), "REPO", tmp_path)
    assert environment_pins() != pyproject_pins()
