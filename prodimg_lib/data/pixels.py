"""Pixel values and image arrays: the scaling between pixels and the models' range, and the checks.

The models see float32 images in [-1, 1] (the range of a tanh generator); scikit-image's
filters work in [0, 1]; files hold uint8 pixels in [0, 255]. A pixel value v in [0, 255] is
x = v / 127.5 - 1 in [-1, 1] and u = v / 255 = (x + 1) / 2 in [0, 1].

Every image input of the library is checked here, once:

- :func:`check_pixel_values`: non-empty, finite, within [low, high] (the last step of every check);
- :func:`as_model_images`: a batch (N, *image_shape) for a model, float in [-1, 1];
- :func:`as_images`: a batch (N, H, W, C) or one image (H, W, C) for the classical methods;
- :func:`as_masks`: boolean damage masks matching the images;
- :func:`check_scalar` and :func:`per_image_values`: numeric parameters.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = [
    "IMAGE_SHAPE",
    "RANGE_TOLERANCE",
    "to_minus_one_one",
    "from_minus_one_one",
    "to_unit",
    "from_unit",
    "check_pixel_values",
    "as_model_images",
    "as_images",
    "as_masks",
    "restore_batch",
    "check_scalar",
    "per_image_values",
]

IMAGE_SHAPE = (28, 28, 1)  # one Fashion-MNIST image as the models see it: (height, width, channels)



def to_minus_one_one(images: np.ndarray) -> np.ndarray:
    """Scale uint8 pixels in [0, 255] to float32 in [-1, 1] (the range of a tanh generator).

    Accepts any shape. Float input must already lie in [0, 255].
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        if not np.issubdtype(images.dtype, np.number):
            raise TypeError(f"images must be numeric pixel values, got dtype {images.dtype}")
        if images.size and (not np.all(np.isfinite(images)) or images.min() < 0 or images.max() > 255):
            raise ValueError(
                f"images must hold pixel values in [0, 255]; got values in [{images.min()}, {images.max()}]"
            )
    return images.astype(np.float32) / 127.5 - 1.0


RANGE_TOLERANCE = 1e-3  # float rounding of [-1, 1] images (e.g. from uint8 via /127.5 - 1)


def check_pixel_values(images: np.ndarray, name: str = "images", *, low: float = -1.0, high: float = 1.0) -> tuple[float, float]:
    """Check that a float image array is non-empty, finite and within [low, high]; return (min, max).

    The shared last step of every image-input check of the library (shape and dtype are
    checked by the caller, which knows what shapes it accepts).

    Raises:
        ValueError: no pixels, NaN or infinite values, or values outside [low, high]
            (beyond a rounding tolerance of 1e-3).
    """
    if images.size == 0:
        raise ValueError(f"{name} holds no images (no pixels, shape {images.shape})")
    if not np.all(np.isfinite(images)):
        raise ValueError(f"{name} contains NaN or infinite values (a diverged model produces these)")
    lo, hi = float(images.min()), float(images.max())
    if lo < low - RANGE_TOLERANCE or hi > high + RANGE_TOLERANCE:
        hint = " (pixel values in [0, 255]? use to_minus_one_one)" if high == 1.0 and hi > 1.5 else ""
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got values in [{lo:.4g}, {hi:.4g}]{hint}")
    return lo, hi


def as_model_images(
    images, name: str = "images", image_shape: tuple[int, ...] = IMAGE_SHAPE, *, unit_range: str = "warn"
) -> np.ndarray:
    """Check that ``images`` are model input: shape (N, *image_shape), float in [-1, 1], finite.

    Args:
        images: the array to check (float32 or another float dtype, which is converted).
        name: how the array is named in error messages (e.g. "x_train").
        image_shape: the expected (H, W, C) of one image.

    Returns:
        ``images`` as float32 (no copy when it already is).

    Raises:
        TypeError: uint8 pixels (scale them with ``data.to_minus_one_one``) or non-float values.
        ValueError: a missing channel axis, another shape, no images, NaN, or values outside [-1, 1].

    ``unit_range`` says what to do when every value is in [0, 1] (images scaled with 1/255
    instead of to [-1, 1]): "warn", or "error" where that is certainly wrong (real images for
    a GAN whose generator ends in tanh: the discriminator would tell them apart by brightness).
    """
    images = np.asarray(images)
    image_shape = tuple(int(s) for s in image_shape)
    if images.dtype == np.uint8:
        raise TypeError(
            f"{name} are uint8 pixels in [0, 255]; the model expects float32 in [-1, 1]: "
            f"use to_minus_one_one({name})"
            + ("[..., None] (which also adds the channel axis)" if images.shape[1:] == image_shape[:-1] else "")
        )
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(f"{name} must be float images in [-1, 1], got dtype {images.dtype}")
    if images.ndim == len(image_shape) and images.shape[1:] == image_shape[:-1] and image_shape[-1] == 1:
        raise ValueError(
            f"{name} has shape {images.shape}, without the channel axis; use {name}[..., None] to get "
            f"(N, {', '.join(map(str, image_shape))})"
        )
    if images.ndim != len(image_shape) + 1 or images.shape[1:] != image_shape:
        raise ValueError(f"{name} must have shape (N, {', '.join(map(str, image_shape))}), got {images.shape}")
    low, high = check_pixel_values(images, name)
    if low >= 0.0 and high > 0.0:
        message = (
            f"every value of {name} is in [{low:.3g}, {high:.3g}], which looks like [0, 1] scaling (rescale=1/255); "
            "the course's models expect [-1, 1], where the black background is -1: use x * 2 - 1, or "
            "to_minus_one_one on uint8 pixels"
        )
        if unit_range == "error":
            raise ValueError(message)
        warnings.warn(message, UserWarning, stacklevel=2)
    return images.astype(np.float32, copy=False)


def from_minus_one_one(x: np.ndarray, *, dtype: str = "uint8") -> np.ndarray:
    """Map model outputs in [-1, 1] back to pixels.

    Args:
        x: any shape, values in [-1, 1] (slightly outside is clipped; NaN is an error).
        dtype: "uint8" for pixels in [0, 255] (rounded), or "float32" for [0, 1] (for plotting).
    """
    x = np.asarray(x, dtype=np.float32)
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinite values; a diverged model produces these")
    unit = np.clip((x + 1.0) / 2.0, 0.0, 1.0)
    if dtype == "uint8":
        return np.round(unit * 255.0).astype(np.uint8)
    if dtype == "float32":
        return unit
    raise ValueError(f"dtype must be 'uint8' or 'float32', got {dtype!r}")


# --- exercise checkers (notebook 00) -------------------------------------------------------



def as_images(images, name: str = "images", *, channels: tuple[int, ...] = (1, 3)) -> tuple[np.ndarray, bool]:
    """Check model-range images; return them as float32 (N, H, W, C) and whether one image was given.

    Accepts (N, H, W, C) or a single image (H, W, C) with C in ``channels``, float values in
    [-1, 1] (within a rounding tolerance), finite, non-empty.

    Raises:
        TypeError: uint8 pixels (convert with ``data.to_minus_one_one``) or non-float values.
        ValueError: a wrong rank, a missing or unexpected channel axis, no images, NaN, or
            values outside [-1, 1].
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        raise TypeError(
            f"{name} are uint8 pixels in [0, 255]; expected float images in [-1, 1]: "
            f"use prodimg_lib.data.to_minus_one_one({name})"
        )
    if images.dtype == bool or not np.issubdtype(images.dtype, np.floating):
        raise TypeError(f"{name} must be float images in [-1, 1], got dtype {images.dtype}")
    wanted = " or ".join(str(c) for c in channels)
    if images.ndim == 2:
        raise ValueError(
            f"{name} has shape {images.shape}: one image without the channel axis; use {name}[..., None] "
            "for (H, W, 1), or pass a batch (N, H, W, C)"
        )
    if images.ndim == 3 and images.shape[-1] not in channels:
        raise ValueError(
            f"{name} has shape {images.shape}: expected (N, H, W, C) or one image (H, W, C) with C = {wanted}; "
            f"a grayscale batch without the channel axis needs {name}[..., None]"
        )
    if images.ndim not in (3, 4):
        raise ValueError(f"{name} must have shape (N, H, W, C) or (H, W, C), got {images.shape} (rank {images.ndim})")
    if images.shape[-1] not in channels:
        raise ValueError(f"{name} must have C = {wanted} channels (last axis), got shape {images.shape}")
    single = images.ndim == 3
    batch = images[None] if single else images
    check_pixel_values(batch, name)
    return batch.astype(np.float32, copy=False), single


def as_masks(masks, name: str = "masks", *, like: np.ndarray | None = None, single: bool = False) -> np.ndarray:
    """Check boolean damage masks; return them as bool (N, H, W, 1) (or (N, H, W, C) when given so).

    Numeric masks holding only 0 and 1 are accepted and converted. With ``like`` (images as
    (N, H, W, C)), the masks must match its N, H and W, and have 1 or C channels.
    """
    masks = np.asarray(masks)
    if masks.dtype != bool:
        if not np.issubdtype(masks.dtype, np.number):
            raise TypeError(f"{name} must be boolean (True where damaged), got dtype {masks.dtype}")
        if masks.size and not np.all((masks == 0) | (masks == 1)):
            raise TypeError(
                f"{name} must be boolean (True where damaged), got dtype {masks.dtype} with values other than "
                f"0 and 1; threshold it, e.g. {name} > 0.5"
            )
        masks = masks.astype(bool)
    if masks.ndim == 3 and single:
        masks = masks[None]
    if masks.ndim != 4:
        raise ValueError(
            f"{name} must have shape (N, H, W, 1) (or (H, W, 1) for one image), got {masks.shape}"
            + (f"; add the channel axis with {name}[..., None]" if masks.ndim == 3 else "")
        )
    if like is not None:
        n, h, w, c = like.shape
        if masks.shape[:3] != (n, h, w) or masks.shape[3] not in (1, c):
            expected = f"({h}, {w}, 1)" if single else f"({n}, {h}, {w}, 1)"
            got = masks.shape[1:] if single else masks.shape
            raise ValueError(f"{name} has shape {got}, expected {expected} to match the images")
    return masks


def check_scalar(value, name: str, *, low: float | None = None, high: float | None = None, low_open: bool = False) -> float:
    """One finite number, checked against [low, high] (or (low, high] with ``low_open``)."""
    if isinstance(value, (bool, str)) or np.ndim(value) != 0:
        raise ValueError(f"{name} must be one number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be one number, got {value!r}") from None
    return float(per_image_values(number, 1, name, low=low, high=high, low_open=low_open)[0])


def restore_batch(batch: np.ndarray, single: bool) -> np.ndarray:
    """Undo the batch axis added for a single image."""
    return batch[0] if single else batch


def per_image_values(value, n: int, name: str, *, low: float | None = None, high: float | None = None,
               low_open: bool = False) -> np.ndarray:
    """A scalar or one value per image, as float64 (n,), checked against [low, high]."""
    try:
        arr = None if value is None or isinstance(value, (str, bool)) else np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim > 1 or (arr.ndim == 1 and len(arr) != n):
        raise ValueError(f"{name} must be a number or one number per image ({n}), got {value!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (np.any(arr <= low) if low_open else np.any(arr < low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and np.any(arr > high):
        raise ValueError(f"{name} must be <= {high}, got {value!r}")
    return np.broadcast_to(arr, (n,))


def to_unit(x: np.ndarray) -> np.ndarray:
    """[-1, 1] -> [0, 1] (float64, for scikit-image)."""
    return (x.astype(np.float64) + 1.0) / 2.0


def from_unit(u: np.ndarray) -> np.ndarray:
    """[0, 1] -> [-1, 1] float32, clipped."""
    return np.clip(np.asarray(u, dtype=np.float64) * 2.0 - 1.0, -1.0, 1.0).astype(np.float32)
