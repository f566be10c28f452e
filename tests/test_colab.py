"""The Colab install cell, run in a simulated Colab: a runtime that already has TensorFlow, Keras and NumPy.

The simulation: a fresh virtual environment whose site-packages also see this environment's
(as Colab's Python comes with TensorFlow, Keras and NumPy installed), a ``google.colab`` module
imported at kernel start, and a ``git`` that clones this repository (shallow, as the cell asks)
where the cell names the course's GitHub address. pip may not download anything (``--no-index``):
if the install wanted to change a package, it would fail. A notebook then runs in that kernel.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import keras
import nbformat
import pytest

from prodimg_lib import GITHUB_URL
from prodimg_lib.course.notebooks import execute

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow" or shutil.which("git") is None
                                or not (ROOT / ".git").exists(),
                                reason="Colab runs Keras on TensorFlow: checked in the TensorFlow run, in a git checkout")
VERSIONS = "import json, keras, numpy, tensorflow; print(json.dumps([keras.__version__, numpy.__version__, tensorflow.__version__]))"


def _run(python, code, env, **kwargs):
    """Run ``python -c code``; its standard output, or an error that shows its standard error."""
    done = subprocess.run([str(python), "-c", code], env=env, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _colab(tmp_path):
    """A virtual environment set up as a Colab runtime; returns (python, environment variables, content folder)."""
    venv = tmp_path / "colab"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "preinstalled.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # Colab's own packages
    stub = tmp_path / "stub" / "google" / "colab"
    stub.mkdir(parents=True)
    # google/ stays a namespace package (no __init__.py): protobuf's google.protobuf lives beside it
    (stub / "__init__.py").write_text('"""Stand-in for Colab\'s module (the install cell only checks it is imported)."""\n')
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_git = bin_dir / "git"
    fake_git.write_text(f"""#!{sys.executable}
import subprocess, sys
args = sys.argv[1:]
if args[:1] == ["clone"] and {GITHUB_URL!r} in args:  # the course's address: clone this repository instead
    args = [{str(ROOT.as_uri())!r} if a == {GITHUB_URL!r} else a for a in args]
sys.exit(subprocess.call([{shutil.which("git")!r}, *args]))
""")
    fake_git.chmod(0o755)
    subprocess.run([str(python), "-m", "ipykernel", "install", "--prefix", str(venv), "--name", "colab-sim"],
                   check=True, capture_output=True)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(tmp_path / "stub"), "IPYTHONDIR": str(tmp_path / "ipython"), "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0",
           "JUPYTER_PATH": str(venv / "share" / "jupyter"), "VIRTUAL_ENV": str(venv)}
    return python, env, tmp_path / "content"


def test_the_install_cell_keeps_colabs_packages_and_the_notebook_runs(tmp_path, monkeypatch):
    python, env, content = _colab(tmp_path)
    before = _run(python, VERSIONS, env)
    nb = nbformat.read(ROOT / "notebooks" / "00_welcome.ipynb", as_version=4)
    (install,) = [c for c in nb.cells if "colab-install" in c.metadata.get("tags", [])]
    assert "/content/course" in install.source
    install.source = install.source.replace("/content/course", str(content / "course"))
    nb.metadata["kernelspec"] = {"name": "colab-sim", "display_name": "Colab (simulated)", "language": "python"}
    notebook = tmp_path / "00_welcome.ipynb"
    nbformat.write(nb, notebook)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PRODIMG_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.delenv("PRODIMG_PRETRAINED", raising=False)
    execute(notebook, tmp_path / "executed.ipynb", profile="smoke", kernel_name="colab-sim")  # raises on a failed cell
    assert (content / "course" / "prodimg_lib" / "__init__.py").is_file()  # the cell cloned the course
    after = _run(python, VERSIONS, env)
    assert json.loads(after) == json.loads(before)  # TensorFlow, Keras and NumPy as Colab had them
    where = _run(python, "import prodimg_lib; print(prodimg_lib.__file__)", env, cwd=tmp_path).strip()
    assert Path(where).is_relative_to(content / "course")  # the library the cell installed, from the clone
