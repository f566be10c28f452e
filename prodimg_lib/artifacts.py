"""Where the course keeps what it builds: ``build/`` and the saved models in ``build/models/``.

Notebooks save the models later notebooks (and the command-line tools) need, e.g. the
product classifier of notebook 04 as ``build/models/classifier.keras``. Models are written
atomically (to a temporary file, then renamed), so an interrupted save never leaves a
half-written model behind, and loaded with Keras's safe mode on.

The build folder is ``$PRODIMG_BUILD_DIR`` if set (the course runner sets it), else
``build/`` at the root of the course repository.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["MODEL_SOURCES", "build_dir", "models_dir", "model_path", "save_model", "load_model", "ModelNotFoundError"]

# Which notebook creates each saved model (for the error message when one is missing).
MODEL_SOURCES: dict[str, str] = {
    "classifier": "notebooks/04_product_data.ipynb",
    "dcgan_generator": "notebooks/05_dcgan.ipynb",
    "cdcgan_generator": "notebooks/06_conditional_dcgan.ipynb",
    "sr_x2": "notebooks/08_super_resolution.ipynb",
    "sr_x4": "notebooks/08_super_resolution.ipynb",
    "sr_x2_photo": "notebooks/08_super_resolution.ipynb",
    "sr_x4_photo": "notebooks/08_super_resolution.ipynb",
    "denoise": "notebooks/09_restoration.ipynb",
}


class ModelNotFoundError(FileNotFoundError):
    """A saved course model is missing; the message says what creates it."""


def build_dir() -> Path:
    """The course's build folder (``$PRODIMG_BUILD_DIR`` or ``<repository>/build``)."""
    return Path(os.environ.get("PRODIMG_BUILD_DIR") or Path(__file__).resolve().parent.parent / "build")


def models_dir() -> Path:
    """``build/models``, created if missing."""
    folder = build_dir() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def model_path(name: str) -> Path:
    """Path of the saved model ``name`` (e.g. "classifier" gives ``build/models/classifier.keras``)."""
    return build_dir() / "models" / f"{name}.keras"


def save_model(model, name: str) -> Path:
    """Save a Keras model as ``build/models/<name>.keras`` atomically; return the path."""
    target = models_dir() / f"{name}.keras"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{name}.", suffix=".keras")
    os.close(fd)
    try:
        model.save(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates the file private to its owner
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


def load_model(name: str):
    """Load ``build/models/<name>.keras`` with safe mode on.

    Raises:
        ModelNotFoundError: the file is missing; the message names the notebook that creates it.
    """
    import keras

    path = model_path(name)
    if not path.is_file():
        source = MODEL_SOURCES.get(name)
        how = f"run {source} (or `make course`) first" if source else "train and save it first"
        raise ModelNotFoundError(f"saved model {name!r} not found at {path}: {how}.")
    return keras.models.load_model(path, safe_mode=True)
