"""What the experiments share: the held-out split, the input check and the run record.

- :func:`split_held_out`: the last training images, held out for validation and tuning;
- :func:`model_images`: the experiments' image input (uint8 pixels or floats in [-1, 1]);
- :class:`TrainedRun`: the one record of a trained enhancement model (each experiment subclasses
  it to name its runs), :func:`train_run`, which trains a model and returns its record, and
  :func:`model_of`, the model of a run (or a model given as is);
- :func:`describe_params`: tuned parameters as one line of text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = ["HELD_OUT", "TrainedRun", "split_held_out", "model_images", "train_run", "model_of", "describe_params"]

HELD_OUT = 500  # the last training images: validation loss of the learned models, tuning of the classical ones


def split_held_out(images, held_out: int = HELD_OUT) -> tuple[np.ndarray, np.ndarray]:
    """Split training images into (fit, held out): the last ``min(held_out, N // 8)`` images are held out.

    The held-out images give the learned models' validation loss and tune the classical
    methods, so that the test images are used only once, to compare the methods.
    """
    images = np.asarray(images)
    n_held = min(int(held_out), len(images) // 8)
    if n_held < 1:
        raise ValueError(f"need at least 8 training images to hold some out, got {len(images)}")
    return images[:-n_held], images[-n_held:]


def model_images(images, name: str = "images", channels: tuple[int, ...] | None = None) -> np.ndarray:
    """uint8 (N, H, W) or (N, H, W, C) pixels, or floats in [-1, 1], as float32 (N, H, W, C) in [-1, 1].

    ``channels``: the channel counts accepted (None: any). See
    :func:`prodimg_lib.data.pixels.as_images` (``pixels=True``).
    """
    from prodimg_lib.data.pixels import as_images

    return as_images(images, name, channels=channels, pixels=True)[0]


@dataclass
class TrainedRun:
    """A trained enhancement model and how it was trained (each recipe names its own runs).

    Attributes:
        model: the ``keras.Model``, images in [-1, 1] to images in [-1, 1].
        settings: the recipe's training settings.
        history: loss (and val_loss) per epoch.
        seconds: wall-clock training time (graph tracing included).
        n_train: number of training images.
    """

    model: Any
    settings: dict
    history: dict = field(default_factory=dict)
    seconds: float = 0.0
    n_train: int = 0

    @property
    def name(self) -> str:
        """How tables and logs name the run."""
        return str(self.settings.get("architecture", self.model.name))


def train_run(run_class: type[TrainedRun], model, settings: dict, inputs, targets, *, validation=None,
              verbose: int | str = 2, seed: int = 0, log: Callable[[str], None] | None = print,
              jit_compile: bool | str = "auto", callbacks=None, **fields) -> TrainedRun:
    """Train ``model`` with ``settings`` (:func:`prodimg_lib.enhancement.fit.train_image_to_image`); return its record.

    Args:
        run_class: the recipe's :class:`TrainedRun` subclass.
        model: the built, untrained model.
        settings: epochs, batch_size, learning_rate and optionally loss (default "mse").
        inputs, targets, validation: as in ``train_image_to_image`` (``validation_data``).
        verbose, seed: as in ``train_image_to_image``.
        log: called with one line when training is done (None: silent).
        jit_compile: passed to ``compile``: a run profile's ``jit_compile`` (XLA under the gpu
            profile on TensorFlow), or "auto", Keras's default.
        callbacks: extra Keras callbacks, e.g. a
            :class:`prodimg_lib.course.budget.TimeBudget` that may end training before
            ``settings["epochs"]`` (the history then holds the epochs that ran).
        **fields: further fields of ``run_class``.

    Returns:
        ``run_class(model, settings, history, seconds, n_train, **fields)``.
    """
    from prodimg_lib.enhancement.fit import train_image_to_image

    start = time.perf_counter()
    history = train_image_to_image(model, inputs, targets, epochs=settings["epochs"], batch_size=settings["batch_size"],
                                   learning_rate=settings["learning_rate"], loss=settings.get("loss", "mse"),
                                   validation_data=validation, verbose=verbose, seed=seed, jit_compile=jit_compile,
                                   callbacks=callbacks)
    run = run_class(model, settings, dict(history.history), time.perf_counter() - start, len(targets), **fields)
    if log is not None:
        ran = len(run.history.get("loss", []))
        epochs = f"{ran} of {settings['epochs']}" if ran != settings["epochs"] else f"{ran}"
        log(f"{run.name}: {model.count_params():,} parameters, {epochs} epoch(s) on {len(targets):,} "
            f"images in {run.seconds:.0f} s")
    return run


def model_of(run_or_model):
    """The ``keras.Model`` of a :class:`TrainedRun`, or the model itself."""
    return run_or_model.model if isinstance(run_or_model, TrainedRun) else run_or_model


def describe_params(params: dict) -> str:
    """Parameters as text for tables and logs: ``"weight=0.08, sigma=25"`` (floats in the shortest form)."""
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
