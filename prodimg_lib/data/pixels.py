"""Pixel values and image arrays: the scaling between pixels and the models' range, and the checks.

The models see float32 images in [-1, 1] (the range of a tanh generator); scikit-image's
filters work in [0, 1]; files hold uint8 pixels in [0, 255]. A pixel value v in [0, 255] is
x = v / 127.5 - 1 in [-1, 1] and u = v / 255 = (x + 1) / 2 in [0, 1].

Every image input of the library is checked here, once:

- :func:`check_pixel_values`: non-empty, finite, within [low, high] (the last step of every check);
- :func:`as_model_images`: a batch (N, *image_shape) for a model, float in [-1, 1];
- :func:`as_images`: a batch (N, H, W, C) or one image (H, W, C) for the classical methods (with
  ``batch_only``, a batch only; with ``pixels``, uint8 pixels too, as the experiments take them);
- :func:`as_masks`: boolean damage masks matching the images;
- :func:`as_photo`: one uint8 photo (H, W, C), as read from a file;
- :func:`as_raw_images`: images in their own units (data-set statistics);
- :func:`as_labels`: integer class labels;
- :func:`check_scalar`, :func:`per_image_values` and :func:`check_positive_int`: numeric parameters.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

__all__ = [
    "IMAGE_SHAPE",
    "RANGE_TOLERANCE",
    "to_minus_one_one",
    "from_minus_one_one",
    "to_unit",
    "from_unit",
    "rgb_to_ycbcr",
    "ycbcr_to_rgb",
    "check_pixel_values",
    "as_model_images",
    "as_images",
    "as_masks",
    "as_photo",
    "as_raw_images",
    "as_labels",
    "restore_batch",
    "check_scalar",
    "check_positive_int",
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
    _check_float(images, name, "the model expects float32 in [-1, 1]: use to_minus_one_one({name})"
                 + ("[..., None] (which also adds the channel axis)" if images.shape[1:] == image_shape[:-1] else ""))
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


def _check_float(images: np.ndarray, name: str, uint8_fix: str) -> None:
    """The dtype part of every check: float images; uint8 pixels get ``uint8_fix`` as the way out."""
    if images.dtype == np.uint8:
        raise TypeError(f"{name} are uint8 pixels in [0, 255]; " + uint8_fix.format(name=name))
    if images.dtype == bool or not np.issubdtype(images.dtype, np.floating):
        raise TypeError(f"{name} must be float images in [-1, 1], got dtype {images.dtype}")


def as_images(
    images,
    name: str = "images",
    *,
    channels: tuple[int, ...] | None = (1, 3),
    batch_only: bool = False,
    pixels: bool = False,
    low: float = -1.0,
    high: float = 1.0,
) -> tuple[np.ndarray, bool]:
    """Check images in the models' range; return them as float32 (N, H, W, C) and whether one image was given.

    Accepts (N, H, W, C) or a single image (H, W, C) with C in ``channels``, float values in
    [-1, 1] (within a rounding tolerance), finite, non-empty.

    Args:
        images: the array to check.
        name: how the array is named in error messages.
        channels: the channel counts accepted; None accepts any.
        batch_only: accept only a batch (N, H, W, C) (the flag returned is then always False).
        pixels: also accept uint8 pixels in [0, 255], converted with :func:`to_minus_one_one`;
            a batch is then expected, and a rank-3 array is a grayscale batch (N, H, W) (as
            ``load_fashion_mnist`` gives it), which gets its channel axis.
        low, high: the range of the values (e.g. [0, 1] for a model's mask input).

    Raises:
        TypeError: uint8 pixels (convert with ``data.to_minus_one_one``) or non-float values.
        ValueError: a wrong rank, a missing or unexpected channel axis, no images, NaN, or
            values outside [low, high].
    """
    images = np.asarray(images)
    if pixels:
        if images.dtype != np.uint8 and (images.dtype == bool or not np.issubdtype(images.dtype, np.floating)):
            raise TypeError(f"{name} must be uint8 pixels or float images in [-1, 1], got dtype {images.dtype}")
        if images.ndim == 3:
            images = images[..., None]
        if images.ndim != 4:
            raise ValueError(f"{name} must have shape (N, H, W) or (N, H, W, C), got {images.shape}")
        if images.dtype == np.uint8:
            images = to_minus_one_one(images)
    else:
        _check_float(images, name, "expected float images in [-1, 1]: use prodimg_lib.data.to_minus_one_one({name})")
    wanted = "any number" if channels is None else " or ".join(str(c) for c in channels)
    if batch_only and images.ndim == 3:
        raise ValueError(f"{name} must have shape (N, H, W, C), got {images.shape}: add the channel axis with "
                         f"{name}[..., None] (a rank-3 array would be taken as one image)")
    if batch_only and images.ndim != 4:
        raise ValueError(f"{name} must have shape (N, H, W, C) (rank 4), got shape {images.shape} (rank {images.ndim})")
    if images.ndim == 2:
        raise ValueError(
            f"{name} has shape {images.shape}: one image without the channel axis; use {name}[..., None] "
            "for (H, W, 1), or pass a batch (N, H, W, C)"
        )
    if images.ndim == 3 and channels is not None and images.shape[-1] not in channels:
        raise ValueError(
            f"{name} has shape {images.shape}: expected (N, H, W, C) or one image (H, W, C) with C = {wanted}; "
            f"a grayscale batch without the channel axis needs {name}[..., None]"
        )
    if images.ndim not in (3, 4):
        raise ValueError(f"{name} must have shape (N, H, W, C) or (H, W, C), got {images.shape} (rank {images.ndim})")
    if channels is not None and images.shape[-1] not in channels:
        raise ValueError(f"{name} must have C = {wanted} channels (last axis), got shape {images.shape}")
    single = images.ndim == 3
    batch = images[None] if single else images
    check_pixel_values(batch, name, low=low, high=high)
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


def as_photo(pixels, name: str = "pixels", *, channels: tuple[int, ...] = (1, 3)) -> np.ndarray:
    """Check one photo as read from a file: uint8 pixels (H, W, C) with C in ``channels``; return it."""
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[-1] not in channels or pixels.size == 0:
        wanted = " or ".join(str(c) for c in channels)
        raise ValueError(f"{name} must be one uint8 image (H, W, {wanted}), got {pixels.dtype} {pixels.shape}")
    return pixels


def as_raw_images(images, name: str = "images") -> np.ndarray:
    """Check images kept in their own units (statistics of a data set): (N, H, W) or (N, H, W, C), numeric, finite.

    uint8 pixels and floats of any range are accepted and returned unchanged (not converted).

    Raises:
        TypeError: non-numeric values.
        ValueError: another rank, NaN or infinite values.
    """
    images = np.asarray(images)
    if images.dtype == bool or not np.issubdtype(images.dtype, np.number):
        raise TypeError(f"{name} must hold numbers (pixel values), got dtype {images.dtype}")
    if images.ndim not in (3, 4):
        raise ValueError(f"{name} must have shape (N, H, W) or (N, H, W, C), got {images.shape}")
    if images.size and not np.all(np.isfinite(images)):
        raise ValueError(f"{name} contain NaN or infinite values")
    return images


def as_labels(labels, num_classes: int, name: str = "labels", *, num_images: int | None = None) -> np.ndarray:
    """Check class labels: integer class indices (N,) in [0, num_classes); return them as int32.

    Args:
        labels: the labels to check.
        num_classes: the number of classes.
        name: how the labels are named in error messages (e.g. "y_train").
        num_images: the number of images they label (N), or None for any.

    Raises:
        TypeError: non-integer labels.
        ValueError: one-hot labels (or class probabilities), another shape or length, or a label out of range.
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    labels = np.asarray(labels)
    one_hot = labels.ndim == 2 and labels.shape[1] == num_classes and (
        labels.shape[0] == num_images if num_images is not None else labels.shape[0] != 1)
    if one_hot:
        raise ValueError(
            f"{name} has shape {labels.shape} and looks one-hot encoded (or like class probabilities); "
            f"pass class indices, e.g. {name}.argmax(axis=1)"
        )
    expected = f"({num_images},)" if num_images is not None else "(N,)"
    if labels.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class indices, shape {expected}, got shape {labels.shape}")
    if num_images is not None and len(labels) != num_images:
        raise ValueError(f"{name} must have shape {expected}, one class index per image, got {labels.shape}")
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{name} must be integer class indices, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{name} must be in [0, {num_classes}), got values in [{labels.min()}, {labels.max()}]")
    return labels.astype(np.int32)


def check_positive_int(value, name: str, *, low: int = 1, high: int | None = None, hint: str = "") -> int:
    """``value`` as an int in [low, high] (no upper bound when None), or a ValueError naming the argument.

    ``hint`` is added to the message after the requirement, e.g. " (the number of masks)".
    """
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low
            or (high is not None and value > high)):
        if high is not None:
            what = f"an integer in [{low}, {high}]"
        else:
            what = "a positive integer" if low == 1 else f"an integer >= {low}"
        raise ValueError(f"{name} must be {what}{hint}, got {value!r}")
    return int(value)


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


# ITU-R BT.601 luma and colour differences, as in JPEG (full range): rows Y, Cb, Cr.
_YCBCR = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])


def rgb_to_ycbcr(x) -> np.ndarray:
    """RGB in [-1, 1] -> (Y, Cb, Cr): the luma Y in [-1, 1] and the colour differences in [-1, 1].

    The JPEG transform (BT.601, full range) in the course's units: ``Y = 0.299 R + 0.587 G +
    0.114 B``, and Cb, Cr are 0 for grey pixels (JPEG's 128). It is linear and exactly undone by
    :func:`ycbcr_to_rgb`. Super-resolution models often enlarge Y only: the eye sees detail
    mostly in brightness, and one channel costs a third of three.

    Args:
        x: float (..., 3).

    Returns:
        float32 (..., 3).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.shape[-1:] != (3,):
        raise ValueError(f"rgb_to_ycbcr needs colour values (..., 3), got shape {x.shape}")
    return (x @ _YCBCR.T).astype(np.float32)


def ycbcr_to_rgb(y) -> np.ndarray:
    """(Y, Cb, Cr) -> RGB, the inverse of :func:`rgb_to_ycbcr`, clipped to [-1, 1]: float32 (..., 3)."""
    y = np.asarray(y, dtype=np.float64)
    if y.shape[-1:] != (3,):
        raise ValueError(f"ycbcr_to_rgb needs (..., 3) values, got shape {y.shape}")
    return np.clip(y @ np.linalg.inv(_YCBCR).T, -1.0, 1.0).astype(np.float32)
