"""Data augmentation with Keras preprocessing layers (the replacement of ``ImageDataGenerator``).

The source article augments with ``ImageDataGenerator``, which is gone in Keras 3 (errata,
section 5.2). Its modern replacement is a small stack of random preprocessing layers,
built here by :func:`build_augmenter`:

- ``RandomFlip("horizontal")``: a shoe pointing left is still a shoe (no vertical flip:
  an upside-down dress is not a product photo);
- ``RandomRotation``: small tilts;
- ``RandomTranslation``: small shifts;
- ``RandomZoom``: slightly larger or smaller products.

The geometric layers fill the pixels they uncover with a *constant*, the background colour.
Fashion-MNIST products sit on a black background, which is -1 in the model range [-1, 1]
(hence ``fill_value=-1.0``). Keras' default ``fill_mode="reflect"`` would mirror the image
content into the uncovered border: a sleeve or a heel touching the frame is copied into a
second, ghost edge, and the model learns from products that do not exist. For photos on a
white background in [-1, 1], pass ``fill_value=1.0``.

The layers are random only while training:

- inside a model (``keras.Sequential([augmenter, classifier])``), ``fit`` runs them with
  ``training=True`` and ``predict``/``evaluate`` with ``training=False``, where they pass
  images through unchanged;
- called directly, **pass** ``training`` **explicitly**: the random layers default to
  ``training=True``, so ``augmenter(x)`` augments;
- in a NumPy pipeline use :func:`augment_batch`; in a ``tf.data`` pipeline batch first,
  then map: ``ds.batch(128).map(lambda x, y: (augmenter(x, training=True), y))``.

Every layer takes the augmenter's ``seed`` (plus its position), so two augmenters built
with the same seed produce the same sequence of random transforms.
"""

from __future__ import annotations

import math

import numpy as np

from prodimg_lib.data.pixels import as_images, check_positive_int

__all__ = ["BACKGROUND", "build_augmenter", "augment_batch"]

# Black background of Fashion-MNIST in the model range [-1, 1].
BACKGROUND = -1.0


def _check_strength(name: str, value, upper: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(value) or not 0.0 <= value < upper:
        raise ValueError(f"{name} must be in [0, {upper}), got {value}")
    return value


def build_augmenter(
    flip: bool = True,
    rotation: float = 0.05,
    translation: float = 0.08,
    zoom: float = 0.1,
    seed: int | None = None,
    *,
    fill_value: float = BACKGROUND,
):
    """A ``keras.Sequential`` of random flip, rotation, translation and zoom layers.

    Args:
        flip: random horizontal (left-right) flips.
        rotation: largest rotation as a fraction of a full turn (0.05 is 18 degrees), in [0, 0.5).
        translation: largest shift as a fraction of the height and of the width, in [0, 1).
        zoom: largest zoom in or out as a fraction of the size, in [0, 1); the aspect ratio is kept.
        seed: integer seed for reproducible transforms (None: different every run).
        fill_value: the constant that fills uncovered pixels, the background colour
            (-1.0 is black in the model range [-1, 1]).

    A strength of 0 (or ``flip=False``) leaves its layer out; with everything off the
    augmenter is a single ``Identity`` layer. The augmenter accepts batches
    (N, H, W, C) of any size and channel count and returns the same shape and dtype; for
    inputs in [-1, 1] and a ``fill_value`` in [-1, 1] the outputs stay in [-1, 1]
    (bilinear interpolation mixes pixels, it never extrapolates).

    Returns:
        ``keras.Sequential`` named "augmenter", built only from standard Keras layers
        (so a model that contains it saves and loads in safe mode).

    Raises:
        TypeError, ValueError: a strength that is not a number in its range, or a bad seed or fill value.
    """
    import keras

    rotation = _check_strength("rotation", rotation, 0.5)
    translation = _check_strength("translation", translation, 1.0)
    zoom = _check_strength("zoom", zoom, 1.0)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be an int or None, got {seed!r}")
    fill_value = float(fill_value)
    if not math.isfinite(fill_value):
        raise ValueError(f"fill_value must be a finite number, got {fill_value}")

    def layer_seed(position: int):
        return None if seed is None else int(seed) * 16 + position

    fill = dict(fill_mode="constant", fill_value=fill_value, interpolation="bilinear")
    layers = []
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=layer_seed(0), name="flip"))
    if rotation > 0:
        layers.append(keras.layers.RandomRotation(rotation, seed=layer_seed(1), name="rotation", **fill))
    if translation > 0:
        layers.append(
            keras.layers.RandomTranslation(translation, translation, seed=layer_seed(2), name="translation", **fill)
        )
    if zoom > 0:
        layers.append(keras.layers.RandomZoom(zoom, None, seed=layer_seed(3), name="zoom", **fill))
    if not layers:
        layers.append(keras.layers.Identity(name="identity"))
    return keras.Sequential(layers, name="augmenter")


def augment_batch(images, augmenter=None, *, seed: int | None = None, batch_size: int = 256) -> np.ndarray:
    """Augment NumPy images (as in training) and return a new float32 array.

    Args:
        images: (N, H, W, C) float images in [-1, 1].
        augmenter: from :func:`build_augmenter`; None builds the default one with ``seed``.
        seed: seed of the default augmenter. A given augmenter keeps the seed it was
            built with (set it in :func:`build_augmenter`), so passing both is an error.
        batch_size: images augmented per call (bounds memory).

    Returns:
        (N, H, W, C) float32 in [-1, 1], each image transformed at random. The input is
        left unchanged. The same seed gives the same result on a freshly built augmenter;
        each further call of the same augmenter draws new transforms.

    Raises:
        TypeError: uint8 or non-float images.
        ValueError: images not of rank 4, outside [-1, 1] or not finite; ``seed`` given with an augmenter.
    """
    import keras

    images, _ = as_images(images, "images", channels=None, batch_only=True)
    if augmenter is None:
        augmenter = build_augmenter(seed=seed)
    elif seed is not None:
        raise ValueError("seed applies to the default augmenter only; build yours with build_augmenter(..., seed=...)")
    batch_size = check_positive_int(batch_size, "batch_size")
    out = np.empty_like(images)
    for start in range(0, len(images), batch_size):
        chunk = images[start : start + batch_size]
        out[start : start + len(chunk)] = keras.ops.convert_to_numpy(augmenter(chunk, training=True))
    # Bilinear mixing stays in range up to float rounding; clip that rounding away.
    return np.clip(out, -1.0, 1.0)
