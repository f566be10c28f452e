"""Test-run settings shared by the unit tests, the papermill runs and nbval.

Notebooks executed during the tests use the ``smoke`` profile (nbval starts kernels that
inherit this environment), write what they build (saved models, sample grids) into a
temporary build folder instead of the repository's ``build/``, and TensorFlow's C++
start-up log is silenced.
"""

import os
import tempfile

os.environ["PRODIMG_PROFILE"] = "smoke"
os.environ["PRODIMG_BUILD_DIR"] = tempfile.mkdtemp(prefix="prodimg-test-build-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
