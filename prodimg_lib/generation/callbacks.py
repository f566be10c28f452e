"""Keras callbacks for GAN training: stop on a NaN loss, save sample grids, animate them.

* :class:`DivergenceGuard` stops training with :class:`TrainingDiverged` as soon as a loss
  is NaN or infinite (:meth:`prodimg_lib.generation.gan.GAN.fit` adds one automatically);
* :class:`SampleGrid` saves a PNG grid of samples from the *same* fixed noise after each
  epoch (``samples-epoch-0005.png``), and :func:`make_gif` turns them into an animation.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import keras
import numpy as np
from keras import ops

from prodimg_lib.data.photos import write_photo
from prodimg_lib.viz import grid_image

__all__ = ["TrainingDiverged", "DivergenceGuard", "SampleGrid", "make_gif"]

class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite, so training was stopped.

    Attributes:
        epoch: the epoch (1-based) in which it happened.
        batch: the batch (1-based) within that epoch, or None when found at the epoch's end.
        loss_name: which value was not finite (e.g. ``"g_loss"``).
        value: that value.
    """

    def __init__(self, epoch: int, loss_name: str, value: float, batch: int | None = None):
        self.epoch, self.batch, self.loss_name, self.value = epoch, batch, loss_name, value
        where = f"epoch {epoch}" + (f", batch {batch}" if batch is not None else "")
        super().__init__(
            f"Training diverged in {where}: {loss_name} is {value}. The weights now hold NaN or infinite "
            "values, so training was stopped (checkpoints written before this epoch are intact). Usual "
            "causes: a learning rate too high (the course uses Adam with learning rate 2e-4 and "
            "beta_1=0.5), images not scaled to [-1, 1], or a discriminator that applies a sigmoid although "
            "the losses expect logits. Restore the last checkpoint and lower the learning rate."
        )


class DivergenceGuard(keras.callbacks.Callback):
    """Stop training with :class:`TrainingDiverged` when a loss is NaN or infinite.

    Checked after every batch, so a diverged model never reaches a checkpoint; unlike
    ``keras.callbacks.TerminateOnNaN``, training does not end quietly but with an error
    that names the epoch, the batch and the loss. Also raises a ``ValueError`` when an
    epoch ran no batch at all. :meth:`GAN.fit` adds one automatically.

    Args:
        keys: the logged values to check; None checks every value whose name ends in "loss".
    """

    def __init__(self, keys: Iterable[str] | None = None):
        super().__init__()
        self.keys = None if keys is None else tuple(keys)
        self._epoch, self._batches = 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._batches = epoch, 0

    def _check(self, logs, batch=None):
        for name, value in (logs or {}).items():
            if (name in self.keys) if self.keys is not None else name.endswith("loss"):
                value = float(ops.convert_to_numpy(value))
                if not np.isfinite(value):
                    raise TrainingDiverged(self._epoch + 1, name, value, batch)

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        self._check(logs, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self._batches == 0:
            raise ValueError(
                f"epoch {epoch + 1} ran no training step: the data set gave no full batch. Use make_dataset, "
                "which checks that there is at least one batch of data"
            )
        self._check(logs)


SAMPLE_PATTERN = re.compile(r"^samples-epoch-(\d{4,})\.png$")


class SampleGrid(keras.callbacks.Callback):
    """Save a PNG grid of generator samples from fixed noise after every ``every`` epochs.

    Files: ``out_dir/samples-epoch-0005.png`` (epoch counted from 1, zero-padded so that
    they sort). The noise (and labels) never change, so the grids show the same samples
    improving; :func:`make_gif` animates them.

    Args:
        out_dir: folder for the PNGs (created if missing).
        fixed_noise: (n, latent_dim) float noise, e.g. :func:`fixed_noise`.
        labels: (n,) class labels, required for a conditional GAN; for a class-by-sample
            grid use ``np.repeat(np.arange(10), k)`` with ``ncols=k``.
        every: save after every ``every``-th epoch (and never in between).
        ncols: images per row (default: about the square root of n).
        scale: upscaling factor of the PNG.

    Attributes:
        paths: the files written so far.
    """

    def __init__(self, out_dir, fixed_noise, labels=None, every: int = 1, *, ncols: int | None = None, scale: int = 2):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        noise = np.asarray(fixed_noise, dtype=np.float32)
        if noise.ndim != 2 or len(noise) == 0:
            raise ValueError(f"fixed_noise must have shape (n, latent_dim) with n >= 1, got {noise.shape}")
        if labels is not None:
            labels = np.asarray(labels).astype(np.int32)
            if labels.shape != (len(noise),):
                raise ValueError(f"labels must have shape ({len(noise)},), one per noise vector; got {labels.shape}")
        self.out_dir, self.noise, self.labels = Path(out_dir), noise, labels
        self.every, self.ncols, self.scale = every, ncols, scale
        self.paths: list[Path] = []

    def on_train_begin(self, logs=None):
        model = self.model
        if self.noise.shape[1] != model.latent_dim:
            raise ValueError(f"fixed_noise has length {self.noise.shape[1]} but the GAN's latent_dim is {model.latent_dim}")
        if model.conditional and self.labels is None:
            raise ValueError("a conditional GAN's sample grid needs labels=..., one class label per noise vector")

    def generate(self) -> np.ndarray:
        """The generator's images for the fixed noise, (n, H, W, C) in [-1, 1]."""
        inputs = [self.noise, self.labels] if self.model.conditional else self.noise
        return ops.convert_to_numpy(self.model.generator(inputs, training=False))

    def save(self, epoch: int) -> Path:
        """Write the grid for ``epoch`` (1-based), atomically, and return its path."""
        path = write_photo(grid_image(self.generate(), self.ncols, scale=self.scale),
                           self.out_dir / f"samples-epoch-{epoch:04d}.png")
        self.paths.append(path)
        return path

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.save(epoch + 1)


def sample_files(out_dir: Path) -> list[tuple[int, Path]]:
    found = []
    for path in Path(out_dir).iterdir() if Path(out_dir).is_dir() else ():
        match = SAMPLE_PATTERN.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def make_gif(out_dir, gif_path, *, duration_ms: int = 400, hold_last_ms: int = 1500, label: bool = True) -> Path:
    """Assemble the ``samples-epoch-*.png`` files of ``out_dir``, in epoch order, into a GIF.

    Args:
        out_dir: the folder :class:`SampleGrid` wrote into.
        gif_path: the GIF to write (its folder is created if missing).
        duration_ms: time each frame is shown; the last frame stays ``hold_last_ms``.
        label: write "epoch N" above each frame.

    Raises:
        FileNotFoundError: no sample grid in ``out_dir``.
    """
    from PIL import Image, ImageDraw

    files = sample_files(Path(out_dir))
    if not files:
        raise FileNotFoundError(f"no samples-epoch-*.png in {out_dir}: train with a SampleGrid callback first")
    frames = []
    for epoch, path in files:
        with Image.open(path) as image:
            frame = image.convert("L") if image.mode in ("L", "I", "1") else image.convert("RGB")
        if label:
            strip = Image.new(frame.mode, (frame.width, frame.height + 14), 0)
            strip.paste(frame, (0, 14))
            ImageDraw.Draw(strip).text((3, 1), f"epoch {epoch}", fill=255 if frame.mode == "L" else (255, 255, 255))
            frame = strip
        frames.append(frame)
    gif_path = Path(gif_path)
    gif_path.parent.mkdir(parents=True, exist_ok=True)
    durations = [duration_ms] * (len(frames) - 1) + [max(duration_ms, hold_last_ms)]
    frames[0].save(gif_path, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return gif_path
