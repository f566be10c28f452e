"""Denoising (total variation, bilateral, non-local means) and defect repair (biharmonic inpainting).

Part of :mod:`prodimg_lib.enhancement.classical` (see its page for the conventions).
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.data.pixels import (
    as_images,
    as_masks,
    check_positive_int,
    check_scalar,
    from_unit,
    restore_batch,
    to_unit,
)
from prodimg_lib.enhancement.classical.channels import channel_axis, per_image

__all__ = ["denoise_tv", "denoise_bilateral", "denoise_nl_means", "inpaint_biharmonic"]


def denoise_tv(images, weight: float = 0.1) -> np.ndarray:
    """Total-variation denoising (Chambolle's algorithm, ``skimage.restoration.denoise_tv_chambolle``).

    Finds a piecewise-smooth image close to the noisy one: flat areas become clean, edges
    stay sharp, fine texture is lost ("cartoon" look when ``weight`` is large).

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        weight: denoising strength (> 0) in [0, 1] intensity units; larger is smoother.
            Around sigma/255 to 1.5 sigma/255 suits noise of std sigma on the 0-255 scale.

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    from skimage.restoration import denoise_tv_chambolle

    x, single = as_images(images)
    weight = check_scalar(weight, "weight", low=0.0, low_open=True)
    axis = channel_axis(x)
    return restore_batch(per_image(x, lambda u: denoise_tv_chambolle(u, weight=weight, channel_axis=axis)), single)


def denoise_bilateral(images, sigma_color: float = 0.1, sigma_spatial: float = 1.0) -> np.ndarray:
    """Bilateral filter (``skimage.restoration.denoise_bilateral``): averages neighbours that look alike.

    Each pixel becomes a mean of its neighbours weighted by distance (``sigma_spatial``,
    pixels) and by similarity of value (``sigma_color``), so edges between different values
    are kept. Borders are mirrored.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        sigma_color: > 0, in [0, 1] intensity units; the distance between colours counts all
            channels, so colour images want smaller values (at sigma 25: about 0.1 for
            grayscale, 0.05 for colour; tune it with :func:`tune`).
        sigma_spatial: > 0, in pixels.

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    from skimage.restoration import denoise_bilateral as bilateral

    x, single = as_images(images)
    sigma_color = check_scalar(sigma_color, "sigma_color", low=0.0, low_open=True)
    sigma_spatial = check_scalar(sigma_spatial, "sigma_spatial", low=0.0, low_open=True)
    axis = channel_axis(x)

    def one(u):
        return bilateral(u, sigma_color=sigma_color, sigma_spatial=sigma_spatial, mode="reflect", channel_axis=axis)

    return restore_batch(per_image(x, one), single)


def denoise_nl_means(
    images, h: float = 0.08, patch_size: int = 3, patch_distance: int = 5, sigma: float | None = None
) -> np.ndarray:
    """Non-local means (``skimage.restoration.denoise_nl_means``, fast mode): averages similar patches.

    Each pixel becomes a weighted mean of pixels whose surrounding patches
    (``patch_size`` x ``patch_size``) look alike, searched within ``patch_distance`` pixels;
    repeated structure anywhere nearby helps, not only the immediate neighbours.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        h: > 0, cut-off of patch similarity in [0, 1] intensity units; larger is smoother.
            With ``sigma`` given, scikit-image suggests h of about 0.8 sigma/255.
        patch_size: side of the compared patches (odd is usual; 3 or 5 for 28x28 images).
        patch_distance: search radius in pixels.
        sigma: known noise std on the 0-255 scale (as in ``degrade.add_gaussian_noise``), or
            None; when given, the expected noise is subtracted from the patch distances.

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    from skimage.restoration import denoise_nl_means as nl_means

    x, single = as_images(images)
    h = check_scalar(h, "h", low=0.0, low_open=True)
    patch_size = check_positive_int(patch_size, "patch_size")
    patch_distance = check_positive_int(patch_distance, "patch_distance")
    noise = 0.0 if sigma is None else check_scalar(sigma, "sigma", low=0.0) / 255.0
    axis = channel_axis(x)

    def one(u):
        return nl_means(
            u, h=h, patch_size=patch_size, patch_distance=patch_distance, fast_mode=True,
            sigma=noise, channel_axis=axis,
        )

    return restore_batch(per_image(x, one), single)


def inpaint_biharmonic(images, masks) -> np.ndarray:
    """Fill damaged pixels smoothly from their surroundings (``skimage.restoration.inpaint_biharmonic``).

    The masked pixels are replaced by the smoothest surface (a solution of the biharmonic
    equation) that joins the undamaged pixels around them; the other pixels are unchanged.
    Smooth regions are repaired well, texture and edges crossing a big hole are not.

    Args:
        images: damaged (N, H, W, C) or (H, W, C), float in [-1, 1] (the values under the
            mask are ignored).
        masks: bool (N, H, W, 1) (or (H, W, 1)), True where damaged (``degrade.defect_masks``).

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    from skimage.restoration import inpaint_biharmonic as biharmonic

    x, single = as_images(images)
    m = as_masks(masks, like=x, single=single).any(axis=-1)
    axis = channel_axis(x)
    units = to_unit(x)
    out = np.empty(x.shape, dtype=np.float64)
    for i, (image, mask) in enumerate(zip(units, m)):
        if not mask.any():
            out[i] = image
        elif axis is None:
            out[i, ..., 0] = biharmonic(image[..., 0], mask)
        else:
            out[i] = biharmonic(image, mask, channel_axis=axis)
    return restore_batch(from_unit(out), single)
