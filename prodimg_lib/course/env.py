"""What this machine is: library versions, CPU and GPU, and where the data comes from."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

from prodimg_lib.course.devices import gpu_names, quiet_tensorflow  # quiet_tensorflow: the name the notebooks import

__all__ = ["environment_report", "format_report", "quiet_tensorflow"]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


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
