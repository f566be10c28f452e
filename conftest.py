"""Test-run settings shared by the unit tests, the papermill runs and nbval.

Notebooks executed during the tests use the ``smoke`` profile (nbval starts kernels that
inherit this environment), write what they build (saved models, sample grids) into a
temporary build folder instead of the repository's ``build/``, and TensorFlow's C++
start-up log is silenced.

``KERAS_BACKEND`` chooses the backend of the whole run (``make test`` runs the suite on
``tensorflow``, ``jax`` and ``torch``). With ``PRODIMG_BLOCK_TENSORFLOW=1`` TensorFlow cannot be
imported at all, in the tests and in the notebook kernels: the JAX and PyTorch runs prove
that the course needs no TensorFlow there.
"""

import os
import sys
import tempfile
from pathlib import Path

os.environ["PRODIMG_PROFILE"] = "smoke"
os.environ["PRODIMG_BUILD_DIR"] = tempfile.mkdtemp(prefix="prodimg-test-build-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

if os.environ.get("PRODIMG_BLOCK_TENSORFLOW") == "1":
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        raise RuntimeError("PRODIMG_BLOCK_TENSORFLOW=1 needs KERAS_BACKEND=jax or torch")
    blocker = str(Path(__file__).resolve().parent / "tests" / "without_tensorflow")
    sys.path.insert(0, blocker)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (blocker, os.environ.get("PYTHONPATH")) if p)
