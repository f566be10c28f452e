"""Training a diffusion or flow-matching network with ``fit``: EMA weights, atomic checkpoints, exact resume.

The network is a plain regressor (:func:`prodimg_lib.generation.unet.build_unet`), the batches
come from :class:`prodimg_lib.generation.diffusion.NoisyBatches`, and the loss is the mean
squared error, so the training step is Keras's own on every backend::

    network = build_unet(width=48)
    compile_denoiser(network, learning_rate=1e-3, ema_momentum=0.99)
    batches = NoisyBatches(images, labels, batch_size=128, objective="flow")
    history = train_denoiser(network, batches, epochs=30, out_dir="runs/flow")   # resumes if stopped

**The exponential moving average** (EMA) of the weights, ``w_ema <- m * w_ema + (1 - m) * w``
after every step, is Keras's own (``Adam(use_ema=True, ema_momentum=m)``): at the end of
``fit`` the network's weights are replaced by their average. A diffusion network's weights
keep moving with the noise of its mini-batches (every batch draws new noise levels); the
average smooths that away, and a sampler, which calls the network tens of times, is sensitive
to it. The average reaches back about ``1 / (1 - m)`` steps: 0.99 suits the few thousand steps of
a short run, 0.999 a long one.

The checkpoints (``out_dir/checkpoints/epoch-NNNN/``: ``network.keras`` with the optimizer's
state, the EMA included, and ``state.json``) are written atomically after every epoch, before
the EMA replaces the weights, so a resumed run continues from exactly the state the stopped
one had, and the last checkpoint holds the *raw* (not averaged) weights.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras

import prodimg_lib.generation.unet  # noqa: F401  (registers the U-Net's layer, so that its checkpoints load)
from prodimg_lib.files import describe_error
from prodimg_lib.generation.callbacks import DivergenceGuard
from prodimg_lib.generation.checkpoint import (
    CheckpointError,
    DamagedCheckpointError,
    EpochCheckpoint,
    latest_checkpoint,
    load_state,
    newest_intact,
    write_checkpoint,
)

__all__ = ["compile_denoiser", "EpochSeconds", "DenoiserCheckpoint", "save_denoiser_checkpoint", "restore_denoiser",
           "train_denoiser", "NETWORK_FILE"]

NETWORK_FILE = "network.keras"


def compile_denoiser(network, *, learning_rate: float = 1e-3, ema_momentum: float | None = 0.99,
                     jit_compile="auto") -> None:
    """Compile ``network`` with Adam (and the EMA of its weights) and the MSE loss.

    Args:
        learning_rate: Adam's learning rate (> 0).
        ema_momentum: the EMA's momentum in (0, 1), or None for no average.
        jit_compile: passed to ``compile`` (a profile's ``jit_compile``).
    """
    if isinstance(learning_rate, bool) or not (isinstance(learning_rate, (int, float)) and 0 < learning_rate < float("inf")):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    if ema_momentum is not None and not (isinstance(ema_momentum, float) and 0 < ema_momentum < 1):
        raise ValueError(f"ema_momentum must be a number in (0, 1) or None, got {ema_momentum!r}")
    optimizer = keras.optimizers.Adam(learning_rate, use_ema=ema_momentum is not None,
                                      ema_momentum=ema_momentum if ema_momentum is not None else 0.99)
    network.compile(optimizer=optimizer, loss="mse", jit_compile=jit_compile)


def save_denoiser_checkpoint(network, directory, epoch: int, history: dict | None = None) -> Path:
    """Write ``directory/epoch-NNNN/`` (``network.keras`` with the optimizer, ``state.json``) atomically."""
    if getattr(network, "optimizer", None) is None:  # an uncompiled Keras 3 model has no such attribute
        raise CheckpointError("compile the network (compile_denoiser) before saving a checkpoint")
    def write_files(tmp: Path) -> dict:
        network.save(tmp / NETWORK_FILE)
        return {}

    return write_checkpoint(directory, epoch, history, write_files)


class EpochSeconds(keras.callbacks.Callback):
    """Log each epoch's wall-clock seconds as ``"seconds"`` (so the checkpoints' history holds the training time)."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self._start


class DenoiserCheckpoint(EpochCheckpoint):
    """:class:`~prodimg_lib.generation.checkpoint.EpochCheckpoint` for a compiled denoising network."""

    def save(self, model, directory: Path, epoch: int, history: dict) -> Path:
        return save_denoiser_checkpoint(model, directory, epoch, history)


def _read(path: Path) -> dict:
    current = "state.json"
    try:
        state = json.loads((path / current).read_text())
        if not isinstance(state, dict) or not isinstance(state.get("epoch"), int):
            raise ValueError("no epoch number in it")
        current = NETWORK_FILE
        saved = keras.models.load_model(path / current, compile=False, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - whatever the damage, the message names the file
        raise DamagedCheckpointError(f"{path.name}/{current} cannot be read ({describe_error(error, 160)})") from None
    return {"state": state, "shapes": [tuple(w.shape) for w in saved.weights]}


def restore_denoiser(network, directory, *, missing_ok: bool = False) -> int:
    """Load the newest intact checkpoint of ``directory`` into the compiled ``network``; return its epoch.

    Restores the weights and the optimizer's variables (step count, Adam's moments, the EMA),
    but not the learning rate: the one ``network`` was compiled with stays, so that a run can be
    resumed with a lower one (after a divergence, say). Damaged or incomplete newer checkpoints
    are moved aside (see
    :func:`~prodimg_lib.generation.checkpoint.newest_intact`).

    Raises:
        FileNotFoundError: no checkpoint (and not ``missing_ok``, which returns 0).
        CheckpointError: ``network`` is not compiled, or was built differently from the saved one.
    """
    if getattr(network, "optimizer", None) is None:
        raise CheckpointError("compile the network (compile_denoiser) before restoring it")
    found = newest_intact(directory, _read, missing_ok=missing_ok)
    if found is None:
        return 0
    path, content = found
    want = [tuple(w.shape) for w in network.weights]
    if content["shapes"] != want:
        raise CheckpointError(f"the network in {path} does not fit this one ({len(content['shapes'])} weights against "
                              f"{len(want)}, or other shapes): build it with the same builder and width")
    if not network.optimizer.built:
        network.optimizer.build(network.trainable_variables)
    # load_weights also loads the saved learning rate: keep the compiled one, as the GAN's restore does
    compiled = [(v, keras.ops.convert_to_numpy(v)) for v in network.optimizer.variables
                if v.path.endswith("learning_rate")]
    network.load_weights(path / NETWORK_FILE)
    for variable, value in compiled:
        variable.assign(value)
    return int(content["state"]["epoch"])


def train_denoiser(network, batches, epochs: int, out_dir, *, keep: int = 2, resume: bool = True,
                   callbacks=(), verbose="auto") -> dict:
    """``network.fit(batches)`` with atomic checkpoints and a NaN guard; resumes a stopped run.

    Args:
        network: compiled with :func:`compile_denoiser`.
        batches: a :class:`~prodimg_lib.generation.diffusion.NoisyBatches`.
        epochs: the total number of epochs (counting those before a resume).
        out_dir: the run's folder (checkpoints in ``out_dir/checkpoints``).
        keep: how many of the newest checkpoints to keep.
        resume: continue from the newest checkpoint if there is one.
        callbacks: more Keras callbacks (a :class:`~prodimg_lib.course.budget.TimeBudget`, say).
        verbose: passed to ``fit`` (2 under papermill).

    Returns:
        The history of all epochs, resumed ones included: ``"epoch"``, ``"loss"`` and ``"seconds"``
        (each epoch's training time) lists. Running it again after a finished run trains nothing
        when ``epochs`` are done; a :class:`~prodimg_lib.course.budget.TimeBudget` among the
        callbacks counts only the time of this call.
    """
    ckpt_dir = Path(out_dir) / "checkpoints"
    initial_epoch = restore_denoiser(network, ckpt_dir, missing_ok=True) if resume else 0
    batches.set_epoch(initial_epoch)
    if initial_epoch:
        print(f"Resuming from checkpoint epoch-{initial_epoch:04d} (epoch {initial_epoch} of {epochs})")
    if initial_epoch < epochs:
        network.fit(batches, epochs=epochs, initial_epoch=initial_epoch, shuffle=False, verbose=verbose,
                    callbacks=[DivergenceGuard(), EpochSeconds(), DenoiserCheckpoint(ckpt_dir, keep=keep), *callbacks])
    else:
        print(f"Already trained for {initial_epoch} epochs (asked for {epochs}): nothing to do")
        network.optimizer.finalize_variable_values(network.trainable_weights)  # the EMA, as fit would end
    latest = latest_checkpoint(ckpt_dir)
    return load_state(latest)["history"] if latest is not None else {}
