"""Where the course keeps what it builds: ``build/`` and the saved models in ``build/models/``.

Notebooks save the models later notebooks (and the command-line tools) need, e.g. the
product classifier of notebook 04 as ``build/models/classifier.keras``. Models are written
atomically (:func:`prodimg_lib.files.atomic_save_model`: to a temporary file, then renamed), so
an interrupted save never leaves a half-written model behind, and loaded with Keras's safe mode on.

The build folder is ``$PRODIMG_BUILD_DIR`` if set (the course runner sets it), else
``build/`` at the root of the course repository.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from prodimg_lib.files import atomic_save_model, describe_error

__all__ = ["MODEL_SOURCES", "build_dir", "models_dir", "model_path", "save_model", "load_model", "ModelNotFoundError", "CorruptModelError", "CLASSIFIER_SETTINGS", "load_or_train_classifier"]

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


class CorruptModelError(ValueError):
    """A saved course model is there but cannot be loaded (damaged, emptied, or refused by safe mode)."""


def build_dir() -> Path:
    """The course's build folder (``$PRODIMG_BUILD_DIR`` or ``<repository>/build``)."""
    return Path(os.environ.get("PRODIMG_BUILD_DIR") or Path(__file__).resolve().parents[2] / "build")


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
    return atomic_save_model(model, models_dir() / f"{name}.keras")


def load_model(name: str):
    """Load ``build/models/<name>.keras`` with safe mode on.

    Raises:
        ModelNotFoundError: the file is missing; the message names the notebook that creates it.
        CorruptModelError: the file cannot be loaded (truncated, emptied, not a Keras archive,
            or holding code that safe mode refuses); the message names the file and the fix.
    """
    import keras

    path = model_path(name)
    source = MODEL_SOURCES.get(name)
    if not path.is_file():
        how = f"run {source} (or `make course`) first" if source else "train and save it first"
        raise ModelNotFoundError(f"saved model {name!r} not found at {path}: {how}.")
    try:
        return keras.models.load_model(path, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - whatever Keras raises for a bad file becomes one clear error
        how = f"run {source} again to rebuild it" if source else "save it again"
        raise CorruptModelError(f"saved model {name!r} at {path} cannot be loaded ({describe_error(error)}): {how}.") from None


# The product classifier's documented settings (evaluation.classifier): about 93% test accuracy.
CLASSIFIER_SETTINGS = dict(width=32, epochs=8, batch_size=128, learning_rate=3e-3)



def load_or_train_classifier(path=None, data=None, *, out_dir=None, log=print, **settings):
    """The product classifier for the metrics: from ``path``, else the course's saved one, else trained now.

    Order: ``path`` when given (an error if missing); else ``build/models/classifier.keras``
    (:func:`prodimg_lib.course.artifacts.load_model`, written by notebook 04); else a classifier is
    trained on ``data`` with the documented settings (width 32, 8 epochs, batch 128,
    learning rate 3e-3, flip-only augmentation: about 93% test accuracy, a few minutes on
    2 CPU cores), saved as ``out_dir/classifier.keras`` when ``out_dir`` is given, and
    ``log`` says so.

    Args:
        path: a ``.keras`` file of :func:`prodimg_lib.evaluation.classifier.build_classifier`'s model.
        data: ``FashionMNIST`` (uint8) to train on when nothing is saved.
        out_dir: where a newly trained classifier is saved.
        log: called with one line of text describing the choice.
        **settings: overrides of ``width``, ``epochs``, ``batch_size``, ``learning_rate`` (tests).

    Returns:
        ``(model, description)``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: nothing is saved and no ``data`` was given to train on.
    """
    import keras

    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"classifier file {path} not found (leave --classifier out to use or train the course's)")
        model, description = keras.models.load_model(path, safe_mode=True), f"loaded from {path}"
    else:
        try:
            model, description = load_model("classifier"), f"loaded from {model_path('classifier')}"
        except ModelNotFoundError:
            model, description = _train_classifier(data, out_dir, {**CLASSIFIER_SETTINGS, **settings})
    log(f"Classifier: {description}")
    return model, description


def _train_classifier(data, out_dir, settings: dict):
    from prodimg_lib import data as data_module
    from prodimg_lib.data.augment import build_augmenter
    from prodimg_lib.evaluation.classifier import build_classifier, train_classifier

    if data is None:
        raise ValueError("no saved classifier (build/models/classifier.keras) and no data to train one on")
    unknown = set(settings) - set(CLASSIFIER_SETTINGS)
    if unknown:
        raise ValueError(f"unknown classifier setting(s) {sorted(unknown)}; known: {sorted(CLASSIFIER_SETTINGS)}")
    print(f"No saved classifier found (notebook 04 saves the course's): training one now ({settings}, flip-only augmentation)")
    start = time.perf_counter()
    model = build_classifier(width=settings["width"])
    train_classifier(model, data_module.to_minus_one_one(data.x_train)[..., None], data.y_train,
                     epochs=settings["epochs"], batch_size=settings["batch_size"], learning_rate=settings["learning_rate"],
                     augmenter=build_augmenter(flip=True, rotation=0, translation=0, zoom=0, seed=0), verbose=0)
    description = f"trained now ({settings}) in {time.perf_counter() - start:.0f} s"
    if out_dir is not None:
        target = atomic_save_model(model, Path(out_dir) / "classifier.keras")
        description += f", saved as {target}"
    return model, description
