"""Where the course keeps what it builds: ``build/`` and the saved models in ``build/models/``.

Notebooks save the models later notebooks (and the command-line tools) need, e.g. the
product classifier of notebook 04 as ``build/models/classifier.keras``. Where the learner has
not trained one, :func:`load_model` uses the pretrained model shipped with the library
(:mod:`prodimg_lib.course.pretrained`), after checking its checksum. Models are written
atomically (:func:`prodimg_lib.files.atomic_save_model`: to a temporary file, then renamed), so
an interrupted save never leaves a half-written model behind, and loaded with Keras's safe mode on.

The build folder is ``$PRODIMG_BUILD_DIR`` if set (the course runner sets it), else
``build/`` at the root of the course repository.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from prodimg_lib.files import atomic_save_model, describe_error, sha256_of

__all__ = ["MODEL_SOURCES", "build_dir", "models_dir", "model_path", "save_model", "ModelSource", "find_model", "pretrained_model", "load_model", "ModelNotFoundError", "CorruptModelError", "CLASSIFIER_SETTINGS", "load_or_train_classifier"]

# Which notebook creates each saved model (for the error message when one is missing).
MODEL_SOURCES: dict[str, str] = {
    "classifier": "notebooks/04_product_data.ipynb",
    "dcgan_generator": "notebooks/05_dcgan.ipynb",
    "cdcgan_generator": "notebooks/06_conditional_dcgan.ipynb",
    "flow_generator": "notebooks/08_diffusion.ipynb",
    "sr_x2": "notebooks/09_super_resolution.ipynb",
    "sr_x4": "notebooks/09_super_resolution.ipynb",
    "sr_x2_photo": "notebooks/09_super_resolution.ipynb",
    "sr_x4_photo": "notebooks/09_super_resolution.ipynb",
    "denoise": "notebooks/10_restoration.ipynb",
    "denoise_photo": "notebooks/10_restoration.ipynb",
    "low_light_photo": "notebooks/11_colour_and_tone.ipynb",
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


def save_model(model, name: str, *, include_optimizer: bool = True) -> Path:
    """Save a Keras model as ``build/models/<name>.keras`` atomically; return the path.

    ``include_optimizer=False`` leaves the optimizer's state out (see :func:`~prodimg_lib.files.atomic_save_model`).
    """
    return atomic_save_model(model, models_dir() / f"{name}.keras", include_optimizer=include_optimizer)


@dataclass(frozen=True)
class ModelSource:
    """Where :func:`load_model` takes a model from.

    Attributes:
        name: the model's name, e.g. "classifier".
        path: its ``.keras`` file.
        origin: ``"yours"`` (``build/models``, saved by a notebook) or ``"pretrained"`` (shipped
            with the library, :mod:`prodimg_lib.course.pretrained`).
        record: the pretrained model's manifest record (None for ``"yours"``).
    """

    name: str
    path: Path
    origin: str
    record: dict | None = None

    def describe(self) -> str:
        """One line: which model is used and where it came from."""
        if self.origin == "yours":
            saved = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.path.stat().st_mtime))
            return f"{self.name}: your model, {self.path} (saved {saved})"
        r = self.record
        how = f"run {MODEL_SOURCES[self.name]} to train your own" if self.name in MODEL_SOURCES else "train your own"
        return (f"{self.name}: the course's pretrained model ({r.get('notebook', '?')}, {r.get('profile', '?')} profile, "
                f"{r.get('backend', '?')}, {str(r.get('date', '?'))[:10]}; checksum verified); {how}")


def find_model(name: str) -> ModelSource:
    """Where the model ``name`` comes from: ``build/models/<name>.keras`` if it exists, else the pretrained one.

    A pretrained file is verified against its manifest's SHA-256 before it is offered.

    Raises:
        ModelNotFoundError: neither exists; the message names the notebook that creates it.
        CorruptModelError: the pretrained file is missing or does not match its checksum.
    """
    from prodimg_lib.course import pretrained

    path = model_path(name)
    if path.is_file():
        return ModelSource(name, path, "yours")
    source = MODEL_SOURCES.get(name)
    found = pretrained.entry(name)
    if found is None:
        how = f"run {source} (or `make course`) first" if source else "train and save it first"
        shipped = ("pretrained models are off (PRODIMG_PRETRAINED=off)" if pretrained.pretrained_dir() is None
                   else "no pretrained one of that name is installed")
        raise ModelNotFoundError(f"saved model {name!r} not found at {path} and {shipped}: {how}.")
    return pretrained_model(name)


def pretrained_model(name: str, folder=None) -> ModelSource:
    """The shipped pretrained model ``name``, its file verified against the manifest's SHA-256.

    ``folder``: a set's folder (default: the one in use, :func:`prodimg_lib.course.pretrained.pretrained_dir`).

    Raises:
        ModelNotFoundError: the set has no model of that name (or the shipped models are off).
        CorruptModelError: the file is missing or does not match its checksum.
    """
    from prodimg_lib.course import pretrained

    found = pretrained.entry(name, folder)
    if found is None:
        raise ModelNotFoundError(f"no pretrained model {name!r} is installed")
    source = MODEL_SOURCES.get(name)
    shipped_path, record = found
    fix = (f"reinstall the library (pip install --force-reinstall prodimg-lib) or run {source} to train your own"
           if source else "reinstall the library")
    if not shipped_path.is_file():
        raise CorruptModelError(f"the pretrained model {name!r} is listed in its manifest but {shipped_path} is missing: {fix}.")
    digest = sha256_of(shipped_path)
    if digest != record.get("sha256"):
        raise CorruptModelError(f"the pretrained model {name!r} at {shipped_path} does not match its manifest "
                                f"(sha256 {digest[:12]}..., expected {str(record.get('sha256'))[:12]}...): {fix}.")
    return ModelSource(name, shipped_path, "pretrained", record)


def load_model(name: str, *, log=None):
    """Load the model ``name`` with safe mode on: the learner's (``build/models``), else the pretrained one.

    Args:
        name: e.g. "classifier", "cdcgan_generator" (see :data:`MODEL_SOURCES`).
        log: called with one line saying which model is used and where it came from
            (:meth:`ModelSource.describe`), e.g. ``print``; None says nothing.

    Raises:
        ModelNotFoundError: neither exists; the message names the notebook that creates it.
        CorruptModelError: the file cannot be loaded (truncated, emptied, not a Keras archive,
            holding code that safe mode refuses, or a pretrained file that fails its checksum);
            the message names the file and the fix.
    """
    import keras

    import prodimg_lib.generation.unet  # noqa: F401  (registers the U-Net's layer, which notebook 08's model uses)

    found = find_model(name)
    try:
        model = keras.models.load_model(found.path, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - whatever Keras raises for a bad file becomes one clear error
        source = MODEL_SOURCES.get(name)
        how = (f"run {source} again to rebuild it" if source else "save it again") if found.origin == "yours" \
            else "reinstall the library (pip install --force-reinstall prodimg-lib)"
        raise CorruptModelError(f"saved model {name!r} at {found.path} cannot be loaded ({describe_error(error)}): {how}.") from None
    if log is not None:
        log(found.describe())
    return model


# The product classifier's documented settings (evaluation.classifier): about 93% test accuracy.
CLASSIFIER_SETTINGS = dict(width=32, epochs=8, batch_size=128, learning_rate=3e-3)



def load_or_train_classifier(path=None, data=None, *, out_dir=None, log=print, **settings):
    """The product classifier for the metrics: from ``path``, else the course's saved one, else trained now.

    Order: ``path`` when given (an error if missing); else ``build/models/classifier.keras``
    (written by notebook 04) or the pretrained one (:func:`load_model`); else a classifier is
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
            found = []
            model = load_model("classifier", log=found.append)
            description = found[0]
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
