"""Stands in for TensorFlow when the tests run the course without it (``PRODIMG_BLOCK_TENSORFLOW=1``).

The root ``conftest.py`` puts this folder first on ``sys.path`` and on ``PYTHONPATH`` (so that
notebook kernels inherit it): every ``import tensorflow`` then fails as it does on a machine
where TensorFlow is not installed, and so proves that the JAX and PyTorch runs never need it.
"""

raise ModuleNotFoundError("No module named 'tensorflow' (blocked: this test run checks that the course works without TensorFlow)")
