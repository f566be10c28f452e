"""What this machine is: library versions, CPU and GPU, and where the data comes from."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

__all__ = ["gpu_names", "gpu_supports_bfloat16", "environment_report", "format_report", "quiet_tensorflow"]


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


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


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


def environment_report() -> dict[str, object]:
    """A dictionary describing the Python, libraries, hardware and the data found."""
    quiet_tensorflow()
    import keras

    from prodimg_lib.data import DataNotFoundError, load_sample, locate_fashion_mnist
    from prodimg_lib.course.profiles import default_profile_name

    try:
        full, source = locate_fashion_mnist(download=False)
        full_data = f"{len(full.x_train) + len(full.x_test):,} images from {source.description}"
    except DataNotFoundError:
        full_data = "not found offline (run `python -m prodimg_lib.data fetch`)"
    try:
        sample = load_sample()
        sample_data = f"{len(sample.x_train) + len(sample.x_test):,} images, checksum verified"
    except (OSError, ValueError) as exc:
        sample_data = f"unavailable ({exc})"
    gpus = gpu_names()
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu cores": os.cpu_count(),
        "keras": keras.__version__,
        "keras backend": keras.backend.backend(),
        "tensorflow": _version("tensorflow") if _version("tensorflow") != "not installed" else _version("tensorflow-cpu"),
        "numpy": _version("numpy"),
        "scikit-image": _version("scikit-image"),
        "prodimg_lib": _version("prodimg-lib"),
        "gpu": ", ".join(gpus) if gpus else "none (CPU only)",
        "default profile": default_profile_name(),
        "Fashion-MNIST (full)": full_data,
        "Fashion-MNIST (sample)": sample_data,
    }


def format_report(report: dict[str, object]) -> str:
    """The report as aligned ``key: value`` lines."""
    width = max(len(k) for k in report)
    return "\n".join(f"{k:<{width}} : {v}" for k, v in report.items())
