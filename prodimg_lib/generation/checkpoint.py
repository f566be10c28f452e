"""Complete, atomic GAN checkpoints, and exact resume, on every Keras backend.

:class:`GANCheckpoint` writes a complete checkpoint after each epoch, atomically: into a
temporary folder first, renamed to ``epoch-0005`` only when everything is written, so that a
run stopped at any moment (a closed Colab tab) leaves the last complete epoch intact.
``initial_epoch = restore(gan, directory)`` then ``gan.fit(..., initial_epoch=initial_epoch)``
continues where it stopped: the weights, both optimizers' state and the random generators'
state are restored, so the resumed run is the run that was interrupted. A checkpoint whose
files were damaged afterwards (a truncated copy, a failing disk) is skipped for the newest
intact one, and moved aside into ``damaged/`` with a warning that says why; nothing is deleted.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from prodimg_lib.files import TMP_PREFIX, atomic_folder, describe_error, remove_folder
from prodimg_lib.generation.callbacks import TrainingDiverged

__all__ = [
    "CheckpointError",
    "DamagedCheckpointError",
    "EpochCheckpoint",
    "GANCheckpoint",
    "save_checkpoint",
    "list_checkpoints",
    "latest_checkpoint",
    "load_state",
    "restore",
    "newest_intact",
    "write_checkpoint",
]

CHECKPOINT_PATTERN = re.compile(r"^epoch-(\d{4,})$")
STATE_FORMAT = 1
DAMAGED_FOLDER = "damaged"  # where restore moves checkpoints it cannot read
ROLES = ("generator", "discriminator")
VARIABLE_FILES = ("d_optimizer", "g_optimizer", "rng")


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written or restored (the message says why and what to do)."""


class DamagedCheckpointError(CheckpointError):
    """A checkpoint's files cannot be read (truncated, corrupt or missing); the message names the file."""


def _epoch_folders(directory: Path) -> list[tuple[int, Path]]:
    """Every ``epoch-NNNN`` folder, complete or not, oldest first."""
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := CHECKPOINT_PATTERN.match(p.name)) and p.is_dir()]
    return sorted(found)


def list_checkpoints(directory) -> list[Path]:
    """Complete checkpoints in ``directory`` (``epoch-NNNN`` folders with a state.json), oldest first.

    Temporary folders of a write that never finished (``.tmp-*``) are ignored.
    """
    return [path for _, path in _epoch_folders(Path(directory)) if (path / "state.json").is_file()]


def latest_checkpoint(directory) -> Path | None:
    """The newest complete checkpoint in ``directory``, or None when there is none."""
    found = list_checkpoints(directory)
    return found[-1] if found else None


def load_state(checkpoint) -> dict:
    """The ``state.json`` of a checkpoint: ``epoch``, ``history`` (name -> list over epochs) and settings."""
    return json.loads((Path(checkpoint) / "state.json").read_text())


def _save_variables(path: Path, variables) -> list[str]:
    np.savez(path, **{f"v{i:04d}": keras.ops.convert_to_numpy(v) for i, v in enumerate(variables)})
    return [v.path for v in variables]


def _check_variables(arrays: list, variables, name: str, what: str) -> None:
    """Check that the arrays saved by :func:`_save_variables` (file ``name``) fit ``variables``, in order."""
    if len(arrays) != len(variables):
        raise CheckpointError(
            f"{name}.npz holds {len(arrays)} {what} variables but this model has {len(variables)}: "
            "the checkpoint was written for different models or optimizers"
        )
    for variable, array in zip(variables, arrays):
        if tuple(variable.shape) != array.shape:
            raise CheckpointError(
                f"{what} variable {variable.path} has shape {tuple(variable.shape)} but the checkpoint has "
                f"{array.shape}: it was written for different models (another width or latent_dim?)"
            )


def _read_checkpoint(path: Path) -> dict:
    """Everything a checkpoint holds, read into memory and nothing applied yet; raise if any file is damaged."""
    current = "state.json"
    try:
        state = json.loads((path / current).read_text())
        if not isinstance(state, dict) or not isinstance(state.get("epoch"), int):
            raise ValueError("no epoch number in it")
        models = {}
        for role in ROLES:
            current = f"{role}.keras"
            models[role] = keras.models.load_model(path / current, compile=False)
        arrays = {}
        for name in VARIABLE_FILES:
            current = f"{name}.npz"
            with np.load(path / current, allow_pickle=False) as npz:
                arrays[name] = [npz[f"v{i:04d}"] for i in range(len(npz.files))]
    except Exception as error:  # noqa: BLE001 - whatever the damage, the message names the file
        raise DamagedCheckpointError(f"{path.name}/{current} cannot be read ({describe_error(error, 160)})") from None
    return {"state": state, "models": models, "arrays": arrays}


def _move_aside(path: Path, reason: str) -> Path:
    """Move a checkpoint that cannot be used into ``damaged/`` beside it (never deleted); return where."""
    folder = path.parent / DAMAGED_FOLDER
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    path.rename(target)
    warnings.warn(f"checkpoint {path.name} skipped and moved to {target}: {reason}", UserWarning, stacklevel=3)
    return target


def _check_same_weights(saved: keras.Model, model: keras.Model, what: str) -> None:
    got = [tuple(w.shape) for w in saved.weights]
    want = [tuple(w.shape) for w in model.weights]
    if got != want:
        first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        detail = (
            f"weight {first} ({model.weights[first].path}) has shape {want[first]} here but {got[first]} in the checkpoint"
            if first < min(len(got), len(want))
            else f"{len(got)} weights in the checkpoint, {len(want)} here"
        )
        raise CheckpointError(
            f"{what} does not fit this GAN: {detail}. Build the GAN exactly as the saved one "
            "(same builder, width, latent_dim and image_shape)"
        )


def _rng_variables(gan: keras.Model) -> list:
    """The states of every random generator of the GAN: its noise and the dropout layers' streams."""
    return [v for v in gan.non_trainable_variables if v.path.endswith("seed_generator_state")]


def _built_optimizer_variables(optimizer, model):
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return optimizer.variables




def _jsonable(value):
    value = np.asarray(keras.ops.convert_to_numpy(value))
    return value.item() if value.ndim == 0 else value.tolist()


def save_checkpoint(gan: keras.Model, directory, epoch: int, history: dict | None = None) -> Path:
    """Write a complete checkpoint of ``gan`` after ``epoch`` epochs, atomically; return its folder.

    ``gan`` is a :class:`~prodimg_lib.generation.gan.GAN` or an
    :class:`~prodimg_lib.generation.image_gan.ImageGAN`: a compiled model with ``generator``,
    ``discriminator``, ``d_optimizer``, ``g_optimizer`` and ``checkpoint_settings()``.

    Contents of ``directory/epoch-NNNN/``: ``generator.keras`` and ``discriminator.keras``
    (each loads on its own with ``keras.models.load_model``), ``d_optimizer.npz`` and
    ``g_optimizer.npz`` (the optimizers' variables, in order), ``rng.npz`` (the random
    generators' states) and ``state.json`` (the epoch, the history, the settings).
    Everything is written into a temporary folder in ``directory`` that is renamed to
    ``epoch-NNNN`` at the end (a rename is atomic on POSIX file systems): the folder either
    exists complete or not at all.
    """
    if not hasattr(gan, "d_optimizer"):
        raise CheckpointError("compile the GAN before saving a checkpoint: the optimizers are part of it")

    def write_files(tmp: Path) -> dict:
        gan.generator.save(tmp / "generator.keras")
        gan.discriminator.save(tmp / "discriminator.keras")
        d_paths = _save_variables(tmp / "d_optimizer.npz", _built_optimizer_variables(gan.d_optimizer, gan.discriminator))
        g_paths = _save_variables(tmp / "g_optimizer.npz", _built_optimizer_variables(gan.g_optimizer, gan.generator))
        rng_paths = _save_variables(tmp / "rng.npz", _rng_variables(gan))
        return {**gan.checkpoint_settings(),
                "variables": {"d_optimizer": d_paths, "g_optimizer": g_paths, "rng": rng_paths}}

    return write_checkpoint(directory, epoch, history, write_files)


def write_checkpoint(directory, epoch: int, history: dict | None, write_files) -> Path:
    """Write ``directory/epoch-NNNN/`` atomically: the files of ``write_files(tmp)``, then ``state.json``.

    ``write_files`` writes the model's files into the temporary folder ``tmp`` and returns the
    settings to record; ``state.json`` gets them beside the epoch, the history, the Keras version
    and the time. The temporary folder is renamed to ``epoch-NNNN`` at the end (a rename is
    atomic on POSIX file systems): the folder either exists complete or not at all.

    Raises:
        CheckpointError: ``epoch-NNNN`` exists already.
    """
    final = Path(directory) / f"epoch-{epoch:04d}"
    if final.exists():
        raise CheckpointError(f"{final} already exists; delete it or write to another directory")
    with atomic_folder(final) as tmp:
        settings = write_files(tmp)
        state = {"format": STATE_FORMAT, "epoch": int(epoch), "history": history or {}, **settings,
                 "keras_version": keras.__version__, "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        (tmp / "state.json").write_text(json.dumps(state, indent=1))
    return final


def restore(gan: keras.Model, directory, *, checkpoint=None, missing_ok: bool = False) -> int:
    """Load the newest intact checkpoint of ``directory`` into ``gan``; return its epoch.

    Restores the generator's and discriminator's weights (BatchNorm statistics included),
    both optimizers' variables (step count, Adam moments) and the random generators'
    states, so that ``gan.fit(dataset, epochs=E, initial_epoch=restore(gan, directory))``
    continues the interrupted run. The learning rate is the one ``gan`` was compiled
    with (so that a run can be resumed with a lower one); it is not overwritten.

    Every file of a checkpoint is read before anything is assigned. A newer checkpoint that
    cannot be read (a damaged file) or is incomplete (no ``state.json``) is skipped for the
    next older one, and moved into ``directory/damaged/`` with a warning naming the file and
    the reason, so that the resumed run can write that epoch again.

    ``gan`` must be built like the saved one (same builders, widths and latent_dim) and
    compiled.

    Args:
        checkpoint: a specific ``epoch-NNNN`` folder instead of the newest (not moved when damaged).
        missing_ok: return 0 (start from scratch) instead of raising when there is no checkpoint.

    Raises:
        FileNotFoundError: no checkpoint (and not ``missing_ok``).
        DamagedCheckpointError: the given ``checkpoint``, or every checkpoint, cannot be read.
        CheckpointError: ``gan`` is not compiled, or the checkpoint does not fit it.
    """
    if not hasattr(gan, "d_optimizer"):
        raise CheckpointError("compile the GAN (with the same kind of optimizers) before restoring it")
    if checkpoint is not None:
        path = Path(checkpoint)
        if not path.is_dir():
            raise FileNotFoundError(f"checkpoint folder {path} does not exist")
        return _apply(gan, path, _read_checkpoint(path))
    found = newest_intact(directory, _read_checkpoint, missing_ok=missing_ok)
    return 0 if found is None else _apply(gan, *found)


def newest_intact(directory, read, *, missing_ok: bool = False) -> tuple[Path, dict] | None:
    """``(folder, read(folder))`` of the newest checkpoint of ``directory`` that ``read`` can read.

    Newer folders that are incomplete (no ``state.json``) or that ``read`` refuses with a
    :class:`DamagedCheckpointError` are moved into ``directory/damaged/`` with a warning, once
    an intact one is found. Used by every ``restore`` of the library.

    Raises:
        DamagedCheckpointError: no checkpoint can be read.
        FileNotFoundError: there is none (None is returned instead with ``missing_ok``).
    """
    directory = Path(directory)
    skipped = []
    for _, path in reversed(_epoch_folders(directory)):
        if not (path / "state.json").is_file():
            skipped.append((path, "incomplete (no state.json)"))
            continue
        try:
            content = read(path)
        except DamagedCheckpointError as error:
            skipped.append((path, str(error)))
            continue
        for bad, reason in skipped:
            _move_aside(bad, reason)
        return path, content
    if skipped:
        raise DamagedCheckpointError(f"no intact checkpoint in {directory}: "
                                     + "; ".join(f"{p.name}: {why}" for p, why in skipped))
    if missing_ok:
        return None
    raise FileNotFoundError(f"no complete checkpoint (epoch-NNNN folder) in {directory}")


def _apply(gan: keras.Model, path: Path, content: dict) -> int:
    """Check a read checkpoint against ``gan``, then assign it; return its epoch."""
    state = content["state"]
    if state.get("format") != STATE_FORMAT:
        raise CheckpointError(f"{path} has checkpoint format {state.get('format')}, this library reads {STATE_FORMAT}")
    models = {"generator": gan.generator, "discriminator": gan.discriminator}
    for role in ROLES:
        _check_same_weights(content["models"][role], models[role], f"the {role} in {path}")
    is_lr = lambda v: v.path.endswith("learning_rate")  # noqa: E731
    targets = {
        "d_optimizer": (_built_optimizer_variables(gan.d_optimizer, gan.discriminator), "d_optimizer", is_lr),
        "g_optimizer": (_built_optimizer_variables(gan.g_optimizer, gan.generator), "g_optimizer", is_lr),
        "rng": (_rng_variables(gan), "random generator", lambda v: False),
    }
    for name, (variables, what, _) in targets.items():  # every shape is checked before anything is assigned
        _check_variables(content["arrays"][name], variables, name, what)
    for role in ROLES:
        models[role].set_weights(content["models"][role].get_weights())
    for name, (variables, _, skip) in targets.items():
        for variable, array in zip(variables, content["arrays"][name]):
            if not skip(variable):
                variable.assign(array)
    return int(state["epoch"])


class EpochCheckpoint(keras.callbacks.Callback):
    """Write a complete checkpoint after every epoch with :meth:`save`; keep the newest ``keep`` (and the first).

    ``state.json`` carries the history of *all* epochs so far: when a run resumes from a
    checkpoint, its history is continued. A directory holding checkpoints newer than the
    epoch training starts from is refused (it belongs to another run): restore from it,
    or use a fresh directory.

    Args:
        directory: the checkpoint folder (created if missing).
        keep: how many of the newest checkpoints to keep (>= 1).
        keep_first: also keep the oldest checkpoint of the folder (a run's first epoch, which
            notebook 07 compares with the final generator), whatever ``keep`` is.

    Attributes:
        history: name -> list of epoch values (with ``"epoch"``: the epoch numbers).
    """

    def __init__(self, directory, keep: int = 2, keep_first: bool = False):
        super().__init__()
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise ValueError(f"keep must be a positive integer, got {keep!r}")
        self.directory, self.keep, self.keep_first = Path(directory), keep, bool(keep_first)
        self.history: dict | None = None

    def on_train_begin(self, logs=None):
        self.history = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.history is not None:
            return
        # decided before training: a later epoch folder (complete or not) would stop the run when it is reached
        newer = [p for number, p in _epoch_folders(self.directory) if number > epoch]
        if newer:
            what = "" if (newer[-1] / "state.json").is_file() else " (incomplete: no state.json)"
            raise CheckpointError(
                f"{self.directory} already holds {newer[-1].name}{what}, but this run starts after epoch {epoch}. "
                f"To continue that run, restore from it first (initial_epoch = restore(model, {str(self.directory)!r})); "
                "to start over, delete the folder or use another one"
            )
        previous = self.directory / f"epoch-{epoch:04d}"
        self.history = load_state(previous)["history"] if epoch > 0 and (previous / "state.json").is_file() else {}

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        for name, value in logs.items():
            if name.endswith("loss") and not np.isfinite(float(keras.ops.convert_to_numpy(value))):
                raise TrainingDiverged(epoch + 1, name, float(keras.ops.convert_to_numpy(value)))
        self.history.setdefault("epoch", []).append(epoch + 1)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(_jsonable(value))
        self.save(self.model, self.directory, epoch + 1, self.history)
        for old in list_checkpoints(self.directory)[int(self.keep_first): -self.keep]:
            remove_folder(old)
        for stale in self.directory.glob(f"{TMP_PREFIX}*"):  # left by writes that never finished
            shutil.rmtree(stale, ignore_errors=True)

    def save(self, model, directory: Path, epoch: int, history: dict) -> Path:
        """Write the checkpoint of ``model`` after ``epoch`` epochs into ``directory/epoch-NNNN``."""
        raise NotImplementedError


class GANCheckpoint(EpochCheckpoint):
    """:class:`EpochCheckpoint` for a :class:`~prodimg_lib.generation.gan.GAN` or an
    :class:`~prodimg_lib.generation.image_gan.ImageGAN` (see :func:`save_checkpoint`)."""

    def save(self, model, directory: Path, epoch: int, history: dict) -> Path:
        return save_checkpoint(model, directory, epoch, history)
