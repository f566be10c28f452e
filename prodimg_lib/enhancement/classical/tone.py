"""Tone and colour: histogram equalisation, CLAHE, gamma, auto-contrast, low-light corrections, white balance, and the brightness, contrast and saturation adjustments of the article's section 2.4.

Part of :mod:`prodimg_lib.enhancement.classical` (see its page for the conventions).
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.data.pixels import (
    as_images,
    check_positive_int,
    check_scalar,
    from_unit,
    per_image_values,
    restore_batch,
    to_unit,
)
from prodimg_lib.enhancement.classical.channels import colour_only, per_image

__all__ = ["equalize_hist", "clahe", "adjust_gamma", "auto_contrast", "auto_gamma", "levels_gamma", "undo_low_light", "grey_world", "white_patch", "adjust_brightness", "adjust_contrast", "adjust_saturation"]


def equalize_hist(images, nbins: int = 256) -> np.ndarray:
    """Histogram equalisation (``skimage.exposure.equalize_hist``), per image.

    Spreads the grey levels so that each is equally frequent: flat, dull images gain
    contrast, but a large uniform background (the black of Fashion-MNIST) is pushed to a
    mid-grey, because it is half of all pixels. Colour images are equalised on the value
    channel of HSV (``skimage.color.adapt_rgb.hsv_value``), so hues do not shift.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        nbins: number of histogram bins.

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    from skimage import exposure
    from skimage.color.adapt_rgb import adapt_rgb, hsv_value

    x, single = as_images(images)
    nbins = check_positive_int(nbins, "nbins")

    @adapt_rgb(hsv_value)
    def one(u):
        return exposure.equalize_hist(u, nbins=nbins)

    return restore_batch(per_image(x, one), single)


def clahe(images, clip_limit: float = 0.01, kernel_size: int | None = None) -> np.ndarray:
    """Contrast-limited adaptive histogram equalisation (``skimage.exposure.equalize_adapthist``).

    Equalises each tile of the image separately (local contrast) and limits how much any
    grey level may be stretched (``clip_limit``), which avoids amplifying noise in flat
    areas. Colour images are processed on the HSV value channel by scikit-image. Like all
    equalisation, the output spans the full range (scikit-image stretches it to [0, 1]).

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        clip_limit: in (0, 1]; higher gives more contrast.
        kernel_size: tile size in pixels; None uses 1/8 of the height and width.

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    from skimage import exposure

    x, single = as_images(images)
    clip_limit = check_scalar(clip_limit, "clip_limit", low=0.0, high=1.0, low_open=True)
    if kernel_size is not None:
        kernel_size = check_positive_int(kernel_size, "kernel_size")
    return restore_batch(
        per_image(x, lambda u: exposure.equalize_adapthist(u, kernel_size=kernel_size, clip_limit=clip_limit)),
        single,
    )


def adjust_gamma(images, gamma: float = 0.5, gain: float = 1.0) -> np.ndarray:
    """Gamma correction in [0, 1] space: u -> gain * u ** gamma (``skimage.exposure.adjust_gamma``).

    ``gamma < 1`` brightens the shadows and mid-tones (the classical fix for low light);
    ``gamma > 1`` darkens them. Black and white stay put when ``gain`` is 1.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        gamma: > 0.
        gain: > 0 (values pushed above white are clipped).

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    from skimage import exposure

    x, single = as_images(images)
    gamma = check_scalar(gamma, "gamma", low=0.0, low_open=True)
    gain = check_scalar(gain, "gain", low=0.0, low_open=True)
    out = from_unit(exposure.adjust_gamma(to_unit(x), gamma=gamma, gain=gain))
    return restore_batch(out, single)


def auto_contrast(images, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """Percentile stretch per image (``skimage.exposure.rescale_intensity``).

    The ``low``-th percentile of each image becomes black and the ``high``-th white; values
    beyond are clipped (so 1 % of the pixels may saturate at each end with the defaults).
    Colour images use the percentiles of all three channels together, so colours keep their
    balance. A flat image (both percentiles equal) is returned unchanged.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        low, high: percentiles, 0 <= low < high <= 100.

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    from skimage import exposure

    x, single = as_images(images)
    low = check_scalar(low, "low", low=0.0, high=100.0)
    high = check_scalar(high, "high", low=0.0, high=100.0)
    if not low < high:
        raise ValueError(f"low must be below high (percentiles), got low={low}, high={high}")

    def one(u):
        p_low, p_high = np.percentile(u, (low, high))
        if p_high <= p_low:
            return u
        return exposure.rescale_intensity(u, in_range=(p_low, p_high), out_range=(0.0, 1.0))

    return restore_batch(per_image(x, one, channels="keep"), single)


def auto_gamma(images, target: float = 0.2) -> np.ndarray:
    """Per-image gamma correction: each image gets the gamma that brings its mean to ``target``.

    In [0, 1] space, with m the mean of an image, ``gamma = ln(target) / ln(m)``, so that
    ``m ** gamma = target``; then u -> u ** gamma (``skimage.exposure.adjust_gamma``). A dark
    image (m < target) gets gamma < 1 and is brightened, by more the darker it is. Unlike one
    gamma for all images, this uses each image's own statistics, the way an automatic exposure
    correction does. (The mean of u ** gamma is not exactly ``target``: m ** gamma is the
    power of the mean, not the mean of the powers.)

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        target: the mean to reach, in (0, 1).

    Returns:
        float32 images of the input's shape, in [-1, 1]. An image whose mean is 0 (all black)
        or 1 (all white) is returned unchanged.
    """
    from skimage import exposure

    x, single = as_images(images)
    target = check_scalar(target, "target", low=0.0, high=1.0, low_open=True)
    if target >= 1.0:
        raise ValueError(f"target must lie in (0, 1), got {target}")
    u = to_unit(x)
    out = np.empty_like(u)
    for i, image in enumerate(u):
        m = float(image.mean())
        out[i] = image if not 0.0 < m < 1.0 else exposure.adjust_gamma(image, gamma=np.log(target) / np.log(m))
    return restore_batch(from_unit(out), single)


def levels_gamma(images, gamma: float = 0.5, high: float = 100.0) -> np.ndarray:
    """Per-image *levels*, then one gamma correction: the classical low-light fix of a photo editor.

    Levels (:func:`auto_contrast` with ``low=0``): the darkest pixel becomes black and the
    ``high``-th percentile white. Under ``degrade.low_light`` white becomes the exposure e, so when
    the clean image has a white pixel (almost every Fashion-MNIST image has one), levels with
    ``high=100`` undoes the exposure exactly, whatever it was. What remains is the unknown
    gamma of each image, which one correction u -> u ** gamma (:func:`adjust_gamma`) can only
    undo on average.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        gamma: > 0, applied after levels (< 1 brightens the mid-tones).
        high: the percentile that becomes white, in (0, 100].

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    return adjust_gamma(auto_contrast(images, low=0.0, high=high), gamma=gamma)


def undo_low_light(dark, gamma, exposure) -> np.ndarray:
    """The exact inverse of ``degrade.low_light`` for a known gamma and exposure.

    ``degrade.low_light`` maps u to v = exposure * u ** gamma in [0, 1] space; this maps v back
    to u = (v / exposure) ** (1 / gamma), clipped to [0, 1]. Only possible when the darkening is
    known: a photo's own gamma and exposure are not (see :func:`levels_gamma`).

    Args:
        dark: (N, H, W, C) or (H, W, C), float in [-1, 1].
        gamma: > 0, a number or one per image (N,).
        exposure: in (0, 1], a number or one per image (N,).

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    x, single = as_images(dark, "dark")
    n = len(x)
    g = per_image_values(gamma, n, "gamma", low=0.0, low_open=True)[:, None, None, None]
    e = per_image_values(exposure, n, "exposure", low=0.0, high=1.0, low_open=True)[:, None, None, None]
    return restore_batch(from_unit(np.clip(to_unit(x) / e, 0.0, 1.0) ** (1.0 / g)), single)


def grey_world(images) -> np.ndarray:
    """Grey-world white balance: scale each colour channel so that its mean equals the image's grey mean.

    The grey-world assumption (Buchsbaum, 1980): averaged over a whole scene, surfaces are
    grey, so the three channel means should be equal; a colour cast makes them differ. With
    the channel means m_R, m_G, m_B of an image in [0, 1] space and their average
    m = (m_R + m_G + m_B) / 3, each channel c is multiplied by m / m_c, then clipped to [0, 1].
    It undoes a cast of per-channel gains exactly when no pixel was clipped, and fails on
    scenes that really are mostly one colour (a red product filling the frame turns grey).

    Args:
        images: colour (N, H, W, 3) or (H, W, 3), float in [-1, 1].

    Returns:
        float32 images of the input's shape, in [-1, 1]. A channel whose mean is 0 is left as is.
    """
    x, single = as_images(images)
    colour_only(x, "grey_world")
    u = to_unit(x)
    means = u.mean(axis=(1, 2), keepdims=True)
    grey = means.mean(axis=-1, keepdims=True)
    gains = np.where(means > 0, grey / np.where(means > 0, means, 1.0), 1.0)
    return restore_batch(from_unit(np.clip(u * gains, 0.0, 1.0)), single)


def white_patch(images, percentile: float = 99.0) -> np.ndarray:
    """White-patch white balance: scale each colour channel so that its bright end becomes white.

    The white-patch assumption (the max-RGB rule of Land's Retinex): the brightest surfaces of a
    scene are white, so under a colour cast their colour *is* the cast. Each channel c of an
    image in [0, 1] space is divided by its ``percentile``-th percentile p_c (a percentile
    rather than the maximum, so that a few clipped or noisy pixels do not decide), then clipped.
    It suits product photos shot on a white background or with a white object in view; it
    fails when nothing in the picture is white.

    Args:
        images: colour (N, H, W, 3) or (H, W, 3), float in [-1, 1].
        percentile: in (0, 100].

    Returns:
        float32 images of the input's shape, in [-1, 1]. A channel whose percentile is 0 is left as is.
    """
    x, single = as_images(images)
    colour_only(x, "white_patch")
    percentile = check_scalar(percentile, "percentile", low=0.0, high=100.0, low_open=True)
    u = to_unit(x)
    bright = np.percentile(u.reshape(len(u), -1, 3), percentile, axis=1)[:, None, None, :]
    gains = np.where(bright > 0, 1.0 / np.where(bright > 0, bright, 1.0), 1.0)
    return restore_batch(from_unit(np.clip(u * gains, 0.0, 1.0)), single)


def adjust_brightness(images, delta: float) -> np.ndarray:
    """Brightness: add ``delta`` in [0, 1] units to every pixel, then clip.

    The same as ``tf.image.adjust_brightness`` on [0, 1] images (and Keras's
    ``RandomBrightness`` with a fixed factor): delta 0.1 lifts every pixel by 25.5 grey
    levels (0.2 in [-1, 1] units). Highlights clip to white.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        delta: in [-1, 1].

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    x, single = as_images(images)
    delta = check_scalar(delta, "delta", low=-1.0, high=1.0)
    return restore_batch(from_unit(to_unit(x) + delta), single)


def adjust_contrast(images, factor: float) -> np.ndarray:
    """Contrast: move every pixel away from (factor > 1) or towards (factor < 1) its image's mean.

    out = (x - mean) * factor + mean, the mean taken per image and channel, then clipped;
    the same as ``tf.image.adjust_contrast``. factor 1 changes nothing, 0 gives a flat
    grey image at the mean.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        factor: >= 0.

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    x, single = as_images(images)
    factor = check_scalar(factor, "factor", low=0.0)
    u = to_unit(x)
    mean = u.mean(axis=(1, 2), keepdims=True)
    return restore_batch(from_unit((u - mean) * factor + mean), single)


def adjust_saturation(images, factor: float) -> np.ndarray:
    """Saturation: scale the S channel of HSV by ``factor`` (clipped to [0, 1]); colour images only.

    Uses ``skimage.color.rgb2hsv`` / ``hsv2rgb``; the same as ``tf.image.adjust_saturation``.
    factor 0 gives the grey image, 1 changes nothing, > 1 gives more vivid colours.

    Args:
        images: (N, H, W, 3) or (H, W, 3), float in [-1, 1].
        factor: >= 0.

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    from skimage.color import hsv2rgb, rgb2hsv

    x, single = as_images(images)
    colour_only(x, "adjust_saturation")
    factor = check_scalar(factor, "factor", low=0.0)
    hsv = rgb2hsv(to_unit(x), channel_axis=-1)
    hsv[..., 1] = np.clip(hsv[..., 1] * factor, 0.0, 1.0)
    return restore_batch(from_unit(hsv2rgb(hsv, channel_axis=-1)), single)
