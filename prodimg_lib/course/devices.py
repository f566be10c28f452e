"""Which devices the active Keras backend can use, and quiet imports of TensorFlow.

The one place that asks a backend about its GPUs: the environment report (:mod:`.env`) and
the run profiles (:mod:`.profiles`) both read it.
"""

from __future__ import annotations

import os
import sys

__all__ = ["quiet_tensorflow", "gpu_names", "gpu_supports_bfloat16"]


def quiet_tensorflow() -> None:
    """Import TensorFlow (if Keras runs on it) without its C++ start-up log lines.

    ``TF_CPP_MIN_LOG_LEVEL=2`` hides TensorFlow's informational log, but a few lines are
    written before that setting is read (the oneDNN notice, for one). They go straight to
    the process's standard error, so it is pointed at ``/dev/null`` for the length of the
    import. Errors still surface: a failed import raises as usual.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules or os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 to redirect
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                import tensorflow  # noqa: F401
            except ImportError:
                pass  # Keras will say what is missing when it is imported
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def gpu_names() -> list[str]:
    """Names of the GPUs the active Keras backend can use (empty list: none)."""
    quiet_tensorflow()
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


def _compute_capabilities() -> list[tuple[int, int]]:
    """(major, minor) CUDA compute capability of each GPU the active backend sees."""
    import keras

    backend = keras.backend.backend()
    found = []
    if backend == "tensorflow":
        import tensorflow as tf

        for gpu in tf.config.list_physical_devices("GPU"):
            found.append(tuple(tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))))
    elif backend == "jax":
        import jax

        for device in jax.devices():
            if device.platform == "gpu":
                major, _, minor = str(getattr(device, "compute_capability", "0.0")).partition(".")
                found.append((int(major or 0), int(minor or 0)))
    elif backend == "torch":
        import torch

        found = [tuple(torch.cuda.get_device_capability(i)) for i in range(torch.cuda.device_count())]
    return found


def gpu_supports_bfloat16() -> bool:
    """True when every visible GPU computes bfloat16 natively (NVIDIA Ampere or newer: capability 8.0+).

    Older GPUs, such as Colab's T4 (7.5), emulate bfloat16 slowly; there the course keeps float32.
    """
    capabilities = _compute_capabilities()
    return bool(capabilities) and all(major >= 8 for major, _ in capabilities)
