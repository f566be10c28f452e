"""Enlarging and sharpening: interpolation (nearest, bilinear, bicubic, Lanczos) and the unsharp mask.

Part of :mod:`prodimg_lib.enhancement.classical` (see its page for the conventions).
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.data.pixels import (
    as_images,
    check_positive_int,
    check_scalar,
    restore_batch,
)
from prodimg_lib.enhancement.classical.channels import channel_axis, per_image

__all__ = ["UPSCALE_METHODS", "BICUBIC_A", "bicubic_kernel", "bicubic_taps", "bicubic_enlarge", "pillow_lanczos", "upscale",
           "unsharp_mask"]


# Our name -> the interpolation name of keras.ops.image.resize.
UPSCALE_METHODS = {"nearest": "nearest", "bilinear": "bilinear", "bicubic": "bicubic", "lanczos": "lanczos3"}


BICUBIC_A = -0.5  # Keys' cubic convolution parameter, as in TensorFlow, Pillow and MATLAB


def bicubic_kernel(t, a: float = BICUBIC_A) -> np.ndarray:
    """Keys' cubic convolution kernel k(t): the weight of an input pixel at distance t (in input pixels).

    ``k(t) = (a + 2)|t|³ - (a + 3)|t|² + 1`` for |t| <= 1, ``a|t|³ - 5a|t|² + 8a|t| - 4a`` for
    1 < |t| < 2, and 0 beyond; k(0) = 1 and k(±1) = k(±2) = 0, so the interpolation passes
    through the input pixels. With a = -0.5 it reproduces quadratic ramps exactly.
    """
    t = np.abs(np.asarray(t, dtype=np.float64))
    return np.where(t <= 1, (a + 2) * t**3 - (a + 3) * t**2 + 1,
                    np.where(t < 2, a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a, 0.0))


def bicubic_taps(factor: int) -> np.ndarray:
    """The weights of bicubic enlargement by ``factor``, one row of 5 taps per output phase.

    With half-pixel centres (TensorFlow's, Pillow's and OpenCV's convention) output pixel
    ``p = factor * i + k`` of a row lies at input coordinate ``i + (k + 0.5) / factor - 0.5``;
    its value is ``sum_t taps[k, t] * x[i + t - 2]`` over the input pixels i - 2 ... i + 2. So
    bicubic enlargement is a fixed 5-tap filter per phase k, rows then columns: one convolution
    with ``factor²`` outputs per input pixel followed by a pixel shuffle
    (:func:`prodimg_lib.enhancement.models.sr.bicubic_upsample`).

    Returns:
        float64 (factor, 5); each row sums to 1.
    """
    factor = check_positive_int(factor, "factor")
    offsets = (np.arange(factor) + 0.5) / factor - 0.5  # (factor,), in [-0.5, 0.5)
    taps = bicubic_kernel(np.arange(-2, 3)[None, :] - offsets[:, None])
    return taps / taps.sum(axis=1, keepdims=True)


def _enlarge_axis(x: np.ndarray, taps: np.ndarray, axis: int) -> np.ndarray:
    """Bicubic enlargement of ``x`` along ``axis`` by ``len(taps)``; taps outside the image left out, the rest rescaled."""
    factor, n = len(taps), x.shape[axis]
    x = np.moveaxis(x, axis, -1)
    pad = [(0, 0)] * (x.ndim - 1) + [(2, 2)]
    padded, inside = np.pad(x, pad), np.pad(np.ones(n), (2, 2))
    out = np.empty(x.shape[:-1] + (n * factor,), dtype=np.float64)
    for k in range(factor):
        total = sum(taps[k, t] * padded[..., t:t + n] for t in range(5))
        weight = sum(taps[k, t] * inside[t:t + n] for t in range(5))
        out[..., k::factor] = total / weight
    return np.moveaxis(out, -1, axis)


def bicubic_enlarge(images, factor: int) -> np.ndarray:
    """Bicubic enlargement by an integer factor, in NumPy: the same numbers on every backend.

    Rows then columns, each output pixel the :func:`bicubic_taps` sum of the 5 input pixels around
    it; at the border the taps that fall outside the image are left out and the others rescaled
    to sum to 1 (as ``tf.image.resize`` does). Inside the image this is
    :func:`prodimg_lib.enhancement.models.sr.bicubic_upsample` exactly.

    Args:
        images: float (N, H, W, C).
        factor: integer >= 1.

    Returns:
        float64 (N, H * factor, W * factor, C), not clipped.
    """
    taps = bicubic_taps(factor)
    return _enlarge_axis(_enlarge_axis(np.asarray(images, dtype=np.float64), taps, 1), taps, 2)


def pillow_lanczos(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Lanczos (a = 3) resize with Pillow, channel by channel in 32-bit float mode ("F")."""
    from PIL import Image

    h, w = size
    out = np.empty((len(x), h, w, x.shape[-1]), dtype=np.float32)
    for i, image in enumerate(x):
        for c in range(x.shape[-1]):
            pil = Image.fromarray(np.ascontiguousarray(image[..., c], dtype=np.float32), mode="F")
            out[i, ..., c] = np.asarray(pil.resize((w, h), Image.Resampling.LANCZOS))
    return out


def upscale(images, factor: int = 2, method: str = "bicubic") -> np.ndarray:
    """Enlarge images by an integer factor with a classical interpolation (the super-resolution baseline).

    "bicubic" is :func:`bicubic_enlarge` (Keys cubic, a = -0.5, half-pixel centres), in NumPy, so
    that the baseline is the same on every backend (PyTorch's own bicubic uses a = -0.75). The
    others use ``keras.ops.image.resize`` (on TensorFlow: ``tf.image.resize``, with half-pixel
    centres): "nearest", "bilinear" and "lanczos3" (TensorFlow, JAX, NumPy backends; not
    PyTorch, where Pillow's Lanczos is used instead). Antialiasing only matters when shrinking,
    so it is off here. Bicubic and Lanczos overshoot at sharp edges (ringing);
    the result is clipped to [-1, 1].

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        factor: integer >= 1; e.g. 2 maps (N, 14, 14, 1) to (N, 28, 28, 1).
        method: "bicubic", "lanczos" (a = 3), "bilinear" or "nearest" (pixel replication).

    Returns:
        float32 (N, H * factor, W * factor, C) (or one image) in [-1, 1].
    """
    import keras

    x, single = as_images(images)
    if method not in UPSCALE_METHODS:
        raise ValueError(f"unknown upscaling method {method!r}; choose one of {', '.join(UPSCALE_METHODS)}")
    factor = check_positive_int(factor, "factor")
    size = (x.shape[1] * int(factor), x.shape[2] * int(factor))
    if method == "bicubic":
        out = bicubic_enlarge(x, factor)
    elif method == "lanczos" and keras.backend.backend() == "torch":
        out = pillow_lanczos(x, size)
    else:
        out = keras.ops.convert_to_numpy(keras.ops.image.resize(
            x, size, interpolation=UPSCALE_METHODS[method], data_format="channels_last"
        ))
    return restore_batch(np.clip(np.asarray(out, dtype=np.float32), -1.0, 1.0), single)


def unsharp_mask(images, radius: float = 1.0, amount: float = 1.0) -> np.ndarray:
    """Unsharp-mask sharpening (``skimage.filters.unsharp_mask``): x + amount * (x - blurred x).

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        radius: std of the Gaussian blur in pixels (>= 0); the size of the details sharpened.
        amount: strength (>= 0); 0 changes nothing. Large values give halos at edges.

    Returns:
        float32 images of the input's shape, clipped to [-1, 1].
    """
    from skimage.filters import unsharp_mask as sharpen

    x, single = as_images(images)
    radius = check_scalar(radius, "radius", low=0.0)
    amount = check_scalar(amount, "amount", low=0.0)
    axis = channel_axis(x)
    return restore_batch(per_image(x, lambda u: sharpen(u, radius=radius, amount=amount, channel_axis=axis)), single)
