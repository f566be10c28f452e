"""Classical enhancement and restoration: the baselines every learned model is measured against.

These are the tools a photo editor offers, each a thin wrapper around a library
implementation (scikit-image, SciPy, Keras image ops), never a hand-written algorithm:

- upscaling: :func:`upscale` (nearest, bilinear, bicubic, Lanczos; ``keras.ops.image.resize``);
- denoising: :func:`denoise_tv` (total variation, Chambolle), :func:`denoise_bilateral`,
  :func:`denoise_nl_means` (non-local means); tune their parameters on held-out images with
  :func:`tune` before comparing them with a learned denoiser (:data:`DENOISE_GRIDS`);
- defect repair: :func:`inpaint_biharmonic`;
- tone: :func:`equalize_hist`, :func:`clahe`, :func:`adjust_gamma`, :func:`auto_contrast`,
  and for low light :func:`auto_gamma` (per-image gamma from the mean), :func:`levels_gamma`
  (per-image levels, then gamma) and :func:`undo_low_light` (the exact inverse, parameters known);
- white balance: :func:`grey_world` and :func:`white_patch`;
- the adjustments of the article's section 2.4: :func:`adjust_brightness`,
  :func:`adjust_contrast`, :func:`adjust_saturation`; and :func:`unsharp_mask` sharpening.

Every function takes images in the models' range, float in [-1, 1], shape (N, H, W, C)
with C = 1 or 3 (or one image (H, W, C)), and returns float32 images of the same shape
(larger for :func:`upscale`) clipped to [-1, 1]. scikit-image works on [0, 1] images, so
the wrappers convert u = (x + 1) / 2 and back: parameters that are intensities
(``weight``, ``sigma_color``, ``h``, ``delta``) are therefore in [0, 1] units, a fraction
of the full black-to-white range (0.1 is 25.5 grey levels out of 255).
"""

from __future__ import annotations

import itertools
from typing import Callable, NamedTuple

import numpy as np

from prodimg_lib.data.pixels import (
    as_images, as_masks, check_positive_int, check_scalar, from_unit, per_image_values, restore_batch, to_unit,
)

__all__ = [
    "UPSCALE_METHODS",
    "upscale",
    "denoise_tv",
    "denoise_bilateral",
    "denoise_nl_means",
    "inpaint_biharmonic",
    "equalize_hist",
    "clahe",
    "adjust_gamma",
    "auto_contrast",
    "auto_gamma",
    "levels_gamma",
    "undo_low_light",
    "grey_world",
    "white_patch",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "unsharp_mask",
    "METHODS",
    "DENOISE_GRIDS",
    "TuneResult",
    "tune",
]

# Our name -> the interpolation name of keras.ops.image.resize.
UPSCALE_METHODS = {"nearest": "nearest", "bilinear": "bilinear", "bicubic": "bicubic", "lanczos": "lanczos3"}


def _per_image(x: np.ndarray, fn: Callable[[np.ndarray], np.ndarray], *, channels: str = "axis") -> np.ndarray:
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


def _channel_axis(x: np.ndarray) -> int | None:
    """``channel_axis`` for scikit-image given the batch: None for grayscale (passed as 2-D), 2 for colour.

    Each image reaches scikit-image as (H, W, 3), so the channel axis is 2. (It is not written
    as -1: ``skimage.filters.unsharp_mask`` 0.26 mishandles a negative ``channel_axis``.)
    """
    return 2 if x.shape[-1] == 3 else None


def _colour_only(x: np.ndarray, what: str) -> None:
    if x.shape[-1] != 3:
        raise ValueError(f"{what} needs colour images (C = 3), got {x.shape[-1]} channel(s)")


# --- upscaling -----------------------------------------------------------------------------------


def _pillow_lanczos(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
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

    Uses ``keras.ops.image.resize`` (on TensorFlow: ``tf.image.resize``, with half-pixel
    centres). Its interpolations: "nearest", "bilinear", "bicubic" (Keys cubic, a = -0.5),
    "lanczos3"/"lanczos5" (TensorFlow, JAX, NumPy backends; not PyTorch, where Pillow's Lanczos
    is used instead) and "area" (TensorFlow only, for shrinking). Antialiasing only matters
    when shrinking, so it is off here. Bicubic and Lanczos overshoot at sharp edges (ringing);
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
    if method == "lanczos" and keras.backend.backend() == "torch":
        out = _pillow_lanczos(x, size)
    else:
        out = keras.ops.convert_to_numpy(keras.ops.image.resize(
            x, size, interpolation=UPSCALE_METHODS[method], data_format="channels_last"
        ))
    return restore_batch(np.clip(np.asarray(out, dtype=np.float32), -1.0, 1.0), single)


# --- denoising -----------------------------------------------------------------------------------


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
    axis = _channel_axis(x)
    return restore_batch(_per_image(x, lambda u: denoise_tv_chambolle(u, weight=weight, channel_axis=axis)), single)


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
    axis = _channel_axis(x)

    def one(u):
        return bilateral(u, sigma_color=sigma_color, sigma_spatial=sigma_spatial, mode="reflect", channel_axis=axis)

    return restore_batch(_per_image(x, one), single)


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
    axis = _channel_axis(x)

    def one(u):
        return nl_means(
            u, h=h, patch_size=patch_size, patch_distance=patch_distance, fast_mode=True,
            sigma=noise, channel_axis=axis,
        )

    return restore_batch(_per_image(x, one), single)


# --- inpainting ----------------------------------------------------------------------------------


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
    axis = _channel_axis(x)
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


# --- tone ----------------------------------------------------------------------------------------


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

    return restore_batch(_per_image(x, one), single)


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
        _per_image(x, lambda u: exposure.equalize_adapthist(u, kernel_size=kernel_size, clip_limit=clip_limit)),
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

    return restore_batch(_per_image(x, one, channels="keep"), single)


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


# --- white balance -------------------------------------------------------------------------------


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
    _colour_only(x, "grey_world")
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
    _colour_only(x, "white_patch")
    percentile = check_scalar(percentile, "percentile", low=0.0, high=100.0, low_open=True)
    u = to_unit(x)
    bright = np.percentile(u.reshape(len(u), -1, 3), percentile, axis=1)[:, None, None, :]
    gains = np.where(bright > 0, 1.0 / np.where(bright > 0, bright, 1.0), 1.0)
    return restore_batch(from_unit(np.clip(u * gains, 0.0, 1.0)), single)


# --- the adjustments of section 2.4 -------------------------------------------------------------


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
    _colour_only(x, "adjust_saturation")
    factor = check_scalar(factor, "factor", low=0.0)
    hsv = rgb2hsv(to_unit(x), channel_axis=-1)
    hsv[..., 1] = np.clip(hsv[..., 1] * factor, 0.0, 1.0)
    return restore_batch(from_unit(hsv2rgb(hsv, channel_axis=-1)), single)


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
    axis = _channel_axis(x)
    return restore_batch(_per_image(x, lambda u: sharpen(u, radius=radius, amount=amount, channel_axis=axis)), single)


# --- tuning --------------------------------------------------------------------------------------


METHODS: dict[str, Callable] = {
    "upscale": upscale,
    "denoise_tv": denoise_tv,
    "denoise_bilateral": denoise_bilateral,
    "denoise_nl_means": denoise_nl_means,
    "inpaint_biharmonic": inpaint_biharmonic,
    "equalize_hist": equalize_hist,
    "clahe": clahe,
    "adjust_gamma": adjust_gamma,
    "auto_contrast": auto_contrast,
    "auto_gamma": auto_gamma,
    "levels_gamma": levels_gamma,
    "undo_low_light": undo_low_light,
    "grey_world": grey_world,
    "white_patch": white_patch,
    "adjust_brightness": adjust_brightness,
    "adjust_contrast": adjust_contrast,
    "adjust_saturation": adjust_saturation,
    "unsharp_mask": unsharp_mask,
}

# Search grids for tuning the denoisers with :func:`tune` (intensity parameters in [0, 1]
# units). They cover noise from sigma 10 to 50 on the 0-255 scale; for one noise level a
# finer grid around the best point gains a little more.
DENOISE_GRIDS: dict[str, dict[str, list]] = {
    "denoise_tv": {"weight": [0.02, 0.04, 0.06, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3]},
    "denoise_bilateral": {
        "sigma_color": [0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3],
        "sigma_spatial": [0.5, 1.0, 1.5, 2.0, 3.0],
    },
    "denoise_nl_means": {
        "h": [0.03, 0.05, 0.07, 0.09, 0.12, 0.15, 0.2],
        "patch_size": [3, 5],
        "patch_distance": [3, 5, 7],
    },
}


class TuneResult(NamedTuple):
    """What :func:`tune` found.

    Attributes:
        params: the best parameters (a dict to pass as ``method(images, **params)``).
        psnr: their mean PSNR on the tuning images, in dB.
        results: every grid point tried, as (params, PSNR) pairs in grid order.
    """

    params: dict
    psnr: float
    results: list


def tune(method, damaged, clean, grid: dict, *, fixed: dict | None = None) -> TuneResult:
    """Grid search: the parameters of a classical method that give the best mean PSNR.

    Tune on held-out images (a validation split), never on the test images the methods are
    then compared on, so that the classical baselines get the same fair treatment as a
    learned model whose hyper-parameters were chosen on validation data. Ties keep the
    first grid point.

    Args:
        method: a function ``method(images, **params)`` or the name of one of this module's
            (see :data:`METHODS`), e.g. "denoise_tv".
        damaged: (N, H, W, C) float in [-1, 1], the method's input (e.g. noisy images).
        clean: the matching references, the shape of the method's output.
        grid: ``{parameter: [values, ...]}``; every combination is tried (e.g.
            ``DENOISE_GRIDS["denoise_tv"]``).
        fixed: parameters passed unchanged to every call (e.g. ``{"sigma": 25}``).

    Returns:
        :class:`TuneResult` ``(params, psnr, results)``.

    Raises:
        ValueError: an unknown method name, an empty grid or an empty list of values.
        TypeError: a method that is not callable, or a parameter it does not take.
    """
    from prodimg_lib.evaluation.image_quality import psnr

    if isinstance(method, str):
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)} or pass a function")
        method = METHODS[method]
    if not callable(method):
        raise TypeError(f"method must be a function or a method name, got {type(method).__name__}")
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"grid must be a non-empty dict {{parameter: [values]}}, got {grid!r}")
    names = list(grid)
    values = []
    for name in names:
        options = list(grid[name]) if isinstance(grid[name], (list, tuple, np.ndarray, range)) else [grid[name]]
        if not options:
            raise ValueError(f"grid[{name!r}] holds no values")
        values.append(options)
    fixed = dict(fixed or {})
    results = []
    for combination in itertools.product(*values):
        params = dict(zip(names, combination))
        score = psnr(clean, method(damaged, **fixed, **params))
        results.append((params, score))
    best = max(range(len(results)), key=lambda i: results[i][1])  # max keeps the first of equal scores
    return TuneResult(params=results[best][0], psnr=results[best][1], results=results)
