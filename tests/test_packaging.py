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
