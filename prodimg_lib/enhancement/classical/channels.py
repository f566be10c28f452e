"""How the classical methods run: image by image, on [0, 1] values, channel by channel where a method needs it.

Part of :mod:`prodimg_lib.enhancement.classical` (see its page for the conventions).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from prodimg_lib.data.pixels import (
    from_unit,
    to_unit,
)

__all__ = ["per_image", "channel_axis", "colour_only"]


def per_image(x: np.ndarray, fn: Callable[[np.ndarray], np.ndarray], *, channels: str = "axis") -> np.ndarray:
    """Apply ``fn`` to each image in [0, 1] space; return float32 in [-1, 1].

    ``fn`` receives one image as float64 in [0, 1]: 2-D (H, W) for grayscale and (H, W, 3)
    for colour when ``channels="axis"`` (functions called with ``channel_axis``), or always
    (H, W, C) when ``channels="keep"``.
    """
    units = to_unit(x)
    out = np.empty(x.shape, dtype=np.float64)
    for i, image in enumerate(units):
        if channels == "axis" and image.shape[-1] == 1:
            out[i, ..., 0] = fn(image[..., 0])
        else:
            out[i] = fn(image)
    return from_unit(out)


def channel_axis(x: np.ndarray) -> int | None:
    """``channel_axis`` for scikit-image given the batch: None for grayscale (passed as 2-D), 2 for colour.

    Each image reaches scikit-image as (H, W, 3), so the channel axis is 2. (It is not written
    as -1: ``skimage.filters.unsharp_mask`` 0.26 mishandles a negative ``channel_axis``.)
    """
    return 2 if x.shape[-1] == 3 else None


def colour_only(x: np.ndarray, what: str) -> None:
    if x.shape[-1] != 3:
        raise ValueError(f"{what} needs colour images (C = 3), got {x.shape[-1]} channel(s)")
