"""What the enhancement recipes share: the held-out split and the input check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["HELD_OUT", "TrainedRun", "split_held_out", "model_images"]

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


def model_images(images, name: str = "images") -> np.ndarray:
    """uint8 (N, H, W) or (N, H, W, C) pixels, or floats in [-1, 1], as float32 (N, H, W, C) in [-1, 1]."""
    from prodimg_lib.data import check_pixel_values, to_minus_one_one

    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"{name} must have shape (N, H, W) or (N, H, W, C), got {images.shape}")
    if images.dtype == np.uint8:
        return to_minus_one_one(images)
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(f"{name} must be uint8 pixels or float images in [-1, 1], got dtype {images.dtype}")
    check_pixel_values(images, name)
    return images.astype(np.float32, copy=False)


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
