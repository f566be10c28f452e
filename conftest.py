"""Test-run settings shared by the unit tests, the papermill runs and nbval.

Notebooks executed during the tests use the ``smoke`` profile (nbval starts kernels that
inherit this environment), and TensorFlow's C++ start-up log is silenced.
"""

import os

os.environ["PRODIMG_PROFILE"] = "smoke"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
