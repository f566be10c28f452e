"""Test-run settings shared by the unit tests, the papermill runs and nbval.

Notebooks executed during the tests use the ``smoke`` profile (nbval starts kernels that
inherit this environment), write what they build (saved models, sample grids) into a
temporary build folder instead of the repository's ``build/``, and TensorFlow's C++
start-up log is silenced. The pretrained models shipped with the library are off
(``PRODIMG_PRETRAINED=off``): a test sees only the models it, or an earlier notebook, saved;
the tests of the pretrained set turn them on. Under JAX, compiled steps are kept in a persistent cache for the run.

``KERAS_BACKEND`` chooses the backend of the whole run (``make test`` runs the suite on
``tensorflow``, ``jax`` and ``torch``). With ``PRODIMG_BLOCK_TENSORFLOW=1`` TensorFlow cannot be
imported at all, in the tests and in the notebook kernels: the JAX and PyTorch runs prove
that the course needs no TensorFlow there.

With pytest-xdist (``make test`` runs ``-n auto``) the test files spread over the CPU's cores.
nbval's run of the notebooks is one unit of work, in order in one worker (a later notebook
loads the models an earlier one saved in the build folder); papermill runs each notebook alone
in a fresh build folder (see ``tests/test_notebooks.py``), each its own unit of work.
"""

import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ["PRODIMG_PROFILE"] = "smoke"
os.environ["PRODIMG_BUILD_DIR"] = tempfile.mkdtemp(prefix="prodimg-test-build-")
os.environ["PRODIMG_PRETRAINED"] = "off"
os.environ.pop("PRODIMG_TRAIN_BUDGET", None)  # the profiles' own budgets, whatever the shell says
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# JAX's persistent compilation cache, shared by the test processes and the notebook kernels of
# one run: the tests build the same small models many times, and each identical training
# step is then compiled once (a second compile of a DCGAN step fell from about 23 s to 2 s).
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", tempfile.mkdtemp(prefix="prodimg-test-jax-cache-"))

if os.environ.get("PRODIMG_BLOCK_TENSORFLOW") == "1":
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        raise RuntimeError("PRODIMG_BLOCK_TENSORFLOW=1 needs KERAS_BACKEND=jax or torch")
    blocker = str(Path(__file__).resolve().parent / "tests" / "without_tensorflow")
    sys.path.insert(0, blocker)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (blocker, os.environ.get("PYTHONPATH")) if p)


# The notebook runs. nbval runs the notebooks in order in one process (a later notebook loads
# the models an earlier one saved in that process's build folder, the shipped ones are off);
# papermill runs each notebook alone, in a fresh build folder with the shipped pretrained
# models, as a learner who opens one notebook on Colab does: each is a unit of work of its own.
IN_ORDER = "notebooks/"
ALONE = "tests/test_notebooks.py::test_runs_headless"


def _notebook_run(nodeid: str):
    if nodeid.startswith(IN_ORDER):
        return "nbval"
    return nodeid if nodeid.startswith(ALONE) else None


def pytest_collection_modifyitems(items):
    """The notebook runs first (a stable sort): they are the longest units of work."""
    items.sort(key=lambda item: _notebook_run(item.nodeid) is None)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's units of work: the in-order notebook run whole, each lone notebook, every other test file whole."""
    from xdist.scheduler import LoadScopeScheduling

    class NotebookRunsInOrder(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _notebook_run(nodeid) or nodeid.split("::", 1)[0]

    config.option.loadscopereorder = False  # keep the collection order: the notebook runs start first
    return NotebookRunsInOrder(config, log)
