"""The course's pretrained models: shipped inside the package, used where the learner has not trained their own.

This folder holds ``<name>.keras`` files (the models the notebooks save in ``build/models/``)
and ``manifest.json``, which records for each how it was made::

    {"format": 1,
     "models": {"classifier": {"file": "classifier.keras", "sha256": "...", "bytes": 123456,
                               "notebook": "04_product_data.ipynb", "profile": "cpu",
                               "backend": "tensorflow", "keras": "3.15.0", "device": "CPU",
                               "date": "2026-12-01T18:30:00+00:00", "commit": "abc1234",
                               "notebook_seconds": 374.2, "metrics": {"test_accuracy": 0.91, ...}},
                ...}}

``metrics`` are the headline numbers the notebook measured on held-out data in the run that
trained the model; ``notebook_seconds`` is that run's time. The set is rebuilt with
``python -m prodimg_lib.course.pretrained build --profile cpu`` (or ``gpu``): see
:mod:`prodimg_lib.course.pretrained.__main__`.

:func:`prodimg_lib.course.artifacts.load_model` uses a shipped model only when
``build/models/<name>.keras`` does not exist, and only after its checksum matches the
manifest. ``PRODIMG_PRETRAINED=off`` turns the shipped models off (only the learner's own are
used); ``PRODIMG_PRETRAINED=<folder>`` uses another folder of the same layout.

This module reads; it imports nothing of the library but :mod:`prodimg_lib.files`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from prodimg_lib.files import sha256_of

__all__ = ["ENV_PRETRAINED", "SHIPPED_DIR", "MANIFEST", "pretrained_dir", "read_manifest", "entry"]

ENV_PRETRAINED = "PRODIMG_PRETRAINED"
# The folder of the shipped set: this package's own folder.
SHIPPED_DIR = Path(__file__).resolve().parent
MANIFEST = "manifest.json"


def pretrained_dir() -> Path | None:
    """The folder of pretrained models in use: the shipped one, ``$PRODIMG_PRETRAINED``, or None when that is ``off``."""
    setting = os.environ.get(ENV_PRETRAINED, "").strip()
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    return Path(setting).expanduser() if setting else SHIPPED_DIR


def read_manifest(folder=None) -> dict:
    """The manifest of ``folder`` (default: :func:`pretrained_dir`); ``{"format": 1, "models": {}}`` when there is none.

    Raises:
        ValueError: a manifest that is not valid JSON of this layout (named, with the fix).
    """
    folder = pretrained_dir() if folder is None else Path(folder)
    path = None if folder is None else folder / MANIFEST
    if path is None or not path.is_file():
        return {"format": 1, "models": {}}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the pretrained models' manifest {path} cannot be read ({type(error).__name__}: {error}); "
                         f"reinstall the library or rebuild the set") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("models"), dict):
        raise ValueError(f"the pretrained models' manifest {path} has no 'models' table; reinstall the library or rebuild the set")
    return manifest


def entry(name: str, folder=None) -> tuple[Path, dict] | None:
    """``(path, record)`` of the pretrained model ``name``, or None when the set has none of that name."""
    folder = pretrained_dir() if folder is None else Path(folder)
    if folder is None:
        return None
    record = read_manifest(folder)["models"].get(name)
    if record is None:
        return None
    return folder / record["file"], record
