"""Set-up files agree with each other: dependencies, the test command, the Makefile."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_mirrors_pyproject_dependencies():
    project = _pyproject()["project"]
    declared = set(project["dependencies"])
    for extra in ("cpu", "backends", "course", "dev"):
        declared |= set(project["optional-dependencies"][extra])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip_section) == declared


def test_tensorflow_is_not_a_core_dependency():
    """Installing the library on Colab must not reinstall or downgrade its TensorFlow."""
    core = _pyproject()["project"]["dependencies"]
    assert not any(re.match(r"tensorflow", d) for d in core)
    assert not any("==" in d or "<" in d for d in core), "pins in core dependencies could downgrade Colab's packages"


def test_ci_runs_the_test_command_written_in_readme():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "`make test`" in readme
    assert re.search(r"^make test$", ci, re.M)


def test_makefile_has_the_documented_targets():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("course", "test", "lab", "data", "env"):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_the_wheel_carries_the_pretrained_models(tmp_path):
    """`pip install` must bring the shipped models: build the wheel and look inside (once, in the TensorFlow run)."""
    import json
    import os

    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        import pytest

        pytest.skip("the wheel does not depend on the backend: built once, in the TensorFlow run")
    import subprocess
    import sys
    import zipfile

    import shutil

    source = tmp_path / "source"  # a copy, so that the build writes nothing into the repository
    shutil.copytree(ROOT / "prodimg_lib", source / "prodimg_lib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "wheel"), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "wheel").glob("prodimg_lib-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    folder = "prodimg_lib/course/pretrained/"
    manifest = json.loads((ROOT / folder / "manifest.json").read_text())
    assert {folder + "__init__.py", folder + "manifest.json"} <= names
    assert manifest["models"] and {folder + r["file"] for r in manifest["models"].values()} <= names
