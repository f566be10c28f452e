"""Image quality of an enhanced image against its clean reference (PSNR and SSIM), and the noise an image carries.

Both compare pixel by pixel, on images in the models' range [-1, 1] (shape (N, H, W, C) or
one image (H, W, C)), optionally only inside a mask (the repaired pixels of an inpainting).
They are the course's only implementations: every PSNR of the library, the notebooks and the
benchmarks is :func:`psnr` (or, for a mean squared error such as a Keras loss,
:func:`psnr_from_mse`, the formula :func:`psnr` itself uses). PSNR gives the numbers of
``skimage.metrics.peak_signal_noise_ratio``; SSIM calls ``skimage.metrics.structural_similarity``.

:func:`noise_sigma` needs no reference: it estimates the standard deviation of the white noise
in one image (Immerkær's method), which says how noisy a "clean" photo already is.
"""

from __future__ import annotations

import numpy as np

__all__ = ["IMAGE_DATA_RANGE", "psnr_from_mse", "psnr", "ssim", "noise_sigma"]

# The full range of [-1, 1] images. PSNR with data_range 2 on [-1, 1] images equals PSNR with
# data_range 255 on the same images as uint8 pixels: both the error and the range scale by 127.5.
# (SSIM is not shift-invariant, so it is computed on [0, 1] with data range 1 instead: see ssim.)
IMAGE_DATA_RANGE = 2.0


def _image_pair(reference, estimate, mask, clip: bool):
    """Check the reference, estimate and optional mask; return (ref, est, mask) as float64 (N, H, W, C) and bool."""
    from prodimg_lib.data.pixels import as_images, as_masks

    ref, single = as_images(reference, "reference")
    est = np.asarray(estimate)
    if clip and est.dtype != np.uint8 and np.issubdtype(est.dtype, np.floating):
        est = np.clip(est, -1.0, 1.0)
    try:
        est, est_single = as_images(est, "estimate")
    except ValueError as exc:
        if "must lie in [-1, 1]" in str(exc):
            raise ValueError(f"{exc}; clip it first (np.clip(estimate, -1, 1)) or pass clip=True") from None
        raise
    if est.shape != ref.shape:
        raise ValueError(
            f"reference and estimate have different shapes ({np.shape(reference)} and {np.shape(estimate)})"
        )
    m = None
    if mask is not None:
        m = as_masks(mask, "mask", like=ref, single=single)
        m = np.broadcast_to(m, ref.shape)
    return ref.astype(np.float64), est.astype(np.float64), m, single


def _reduce(values: np.ndarray, reduction: str, what: str):
    if reduction == "none":
        return values
    finite_or_inf = values[~np.isnan(values)]
    if finite_or_inf.size == 0:
        raise ValueError(f"the mask selects no pixels in any image: no {what} to compute")
    return float(np.mean(finite_or_inf))


def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")


def psnr_from_mse(mse, data_range: float = IMAGE_DATA_RANGE):
    """The PSNR in dB of a mean squared error: 10 log10(data_range² / MSE); ``inf`` for an MSE of 0.

    For an MSE that is not an image pair, e.g. a Keras MSE loss per epoch (the PSNR of the
    pooled error of all images, not the mean of per-image PSNRs that :func:`psnr` reports), or
    the MSE of noise of a known variance.

    Args:
        mse: a number or an array of them, >= 0, in squared [-1, 1] units (NaN stays NaN).
        data_range: the span of the values, 2 for [-1, 1].

    Returns:
        A float, or a float64 array of the shape of ``mse``.
    """
    mse = np.asarray(mse, dtype=np.float64)
    if np.any(mse < 0):
        raise ValueError(f"a mean squared error cannot be negative, got {mse.min():g}")
    with np.errstate(divide="ignore"):
        values = 10.0 * np.log10(float(data_range) ** 2 / mse)
    return float(values) if values.ndim == 0 else values


def psnr(reference, estimate, mask=None, *, reduction: str = "mean", clip: bool = False):
    """Peak signal-to-noise ratio in dB, higher is better (the number ``skimage.metrics.peak_signal_noise_ratio`` gives).

    PSNR = 10 log10(range² / MSE) with range 2 (the span of [-1, 1]). This gives exactly the
    PSNR of the same images as uint8 pixels with range 255, the number papers report: both
    the squared error and the squared range scale by 127.5². Rules of thumb: +6 dB halves
    the RMS error; noise of sigma 25 (0-255 scale) is at 20.2 dB.

    The PSNR is computed per image and then averaged over the batch (the mean of per-image
    PSNRs, as super-resolution and denoising papers report it). That is not the PSNR of the
    pooled MSE: good images count in dB, not in squared error.

    Identical images have zero error and PSNR ``inf`` (returned as ``float("inf")``); one
    such image makes the batch mean ``inf`` too; use ``reduction="none"`` to see each image.

    Args:
        reference: clean images (N, H, W, C) or (H, W, C), float in [-1, 1].
        estimate: the images to judge, same shape, float in [-1, 1].
        mask: optional bool (N, H, W, 1) (or (H, W, 1)), True where the error counts, e.g.
            the damaged pixels of an inpainting task; the MSE is then taken over the masked
            pixels (all channels) of each image only. Images whose mask is empty are left out
            of the mean (and are NaN with ``reduction="none"``).
        reduction: "mean" (a float) or "none" (float64 (N,), one PSNR per image).
        clip: clip the estimate to [-1, 1] first (model outputs without a final tanh);
            otherwise an estimate outside [-1, 1] is an error.

    Returns:
        The mean PSNR in dB (float, possibly inf), or the per-image array.

    Raises:
        TypeError, ValueError: uint8 or non-float images, different shapes, values outside
            [-1, 1], NaN, a mask of the wrong shape, or a mask that selects no pixel at all.
    """
    _check_reduction(reduction)
    ref, est, m, _ = _image_pair(reference, estimate, mask, clip)
    mse = np.empty(len(ref))
    for i in range(len(ref)):
        r, e = (ref[i], est[i]) if m is None else (ref[i][m[i]], est[i][m[i]])
        mse[i] = np.mean((r - e) ** 2) if r.size else np.nan
    return _reduce(psnr_from_mse(mse), reduction, "PSNR")


def ssim(reference, estimate, mask=None, *, reduction: str = "mean", clip: bool = False):
    """Structural similarity (``skimage.metrics.structural_similarity``), in [-1, 1], 1 for identical images.

    Compares local means, contrasts and correlations in a sliding window, which follows
    perceived structure better than PSNR (a blurred image can have good PSNR and poor SSIM).
    Settings of Wang et al. (2004), as in most published tables: a Gaussian window of
    std 1.5 (11x11), population statistics, K1 = 0.01, K2 = 0.03. Colour images use
    ``channel_axis=-1`` (the mean over the three channels). Computed per image, then
    averaged over the batch.

    Unlike PSNR, SSIM changes when all pixel values are shifted: its luminance term compares
    the local means with each other *and with zero* (2 mu_x mu_y + C1) / (mu_x² + mu_y² + C1).
    On [-1, 1] values mid-grey sits at 0 and that term becomes unstable, giving lower numbers
    than papers report. So the images are mapped to [0, 1] first and compared with data range
    1, which gives exactly the SSIM of the same images as uint8 pixels with range 255.

    Args:
        reference: clean images (N, H, W, C) or (H, W, C), float in [-1, 1], at least 11x11.
        estimate: the images to judge, same shape, float in [-1, 1].
        mask: optional bool (N, H, W, 1), True where similarity counts: the full SSIM map
            (``full=True``; borders included) is averaged inside the mask of each image.
            Images with an empty mask are left out of the mean (NaN with ``reduction="none"``).
        reduction: "mean" (a float) or "none" (float64 (N,), one SSIM per image).
        clip: clip the estimate to [-1, 1] first; otherwise an estimate outside is an error.

    Returns:
        The mean SSIM (float), or the per-image array.

    Raises:
        TypeError, ValueError: as :func:`psnr`, and images smaller than the 11x11 window.
    """
    from skimage.metrics import structural_similarity

    _check_reduction(reduction)
    ref, est, m, _ = _image_pair(reference, estimate, mask, clip)
    if min(ref.shape[1:3]) < 11:
        raise ValueError(
            f"SSIM needs images of at least 11x11 pixels (its Gaussian window), got {ref.shape[1]}x{ref.shape[2]}"
        )
    ref, est = (ref + 1.0) / 2.0, (est + 1.0) / 2.0  # to [0, 1]: see the docstring
    colour = ref.shape[-1] == 3
    options = dict(
        data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        channel_axis=-1 if colour else None,
    )
    values = np.empty(len(ref))
    for i in range(len(ref)):
        r, e = (ref[i], est[i]) if colour else (ref[i, ..., 0], est[i, ..., 0])
        if m is None:
            values[i] = structural_similarity(r, e, **options)
            continue
        inside = m[i] if colour else m[i, ..., 0]
        if not inside.any():
            values[i] = np.nan
            continue
        _, ssim_map = structural_similarity(r, e, full=True, **options)
        values[i] = float(ssim_map[inside].mean())
    return _reduce(values, reduction, "SSIM")


# Immerkær's mask: the difference of two Laplacians, which is zero on any image that is locally
# a plane or a ramp, so that what it lets through is mostly noise (and strong edges).
_NOISE_MASK = np.array([[1.0, -2.0, 1.0], [-2.0, 4.0, -2.0], [1.0, -2.0, 1.0]])


def noise_sigma(images, *, reduction: str = "mean"):
    """Estimate the standard deviation of white Gaussian noise in images, in grey levels out of 255.

    J. Immerkær, *Fast Noise Variance Estimation*, Computer Vision and Image Understanding 64(2),
    1996: convolve with the 3x3 mask N = [[1, -2, 1], [-2, 4, -2], [1, -2, 1]] (zero on smooth
    image content), and scale the mean absolute response over the (H - 2) x (W - 2) valid pixels,

        sigma = sqrt(pi / 2) * mean(|I * N|) / 6,

    since white noise of std s gives a response of std 6 s whose mean absolute value is
    sqrt(2 / pi) * 6 s. Each channel is estimated alone and the channels are averaged. Texture
    and sharp edges pass the mask too, so the estimate is an upper bound on a detailed image: a
    clean photo reads 0.3 to 4 grey levels, and noise of 15 or more reads within a few per cent.

    Args:
        images: (N, H, W, C) or one (H, W, C), float in [-1, 1]; H and W at least 3.
        reduction: "mean" (a float over the images) or "none" (float64 (N,)).

    Returns:
        The estimate on the 0-255 scale (as ``sigma`` in
        :func:`prodimg_lib.data.degrade.add_gaussian_noise`).
    """
    from scipy.signal import convolve2d

    from prodimg_lib.data.pixels import as_images

    _check_reduction(reduction)
    x, _ = as_images(images, "images")
    if min(x.shape[1:3]) < 3:
        raise ValueError(f"images must be at least 3 x 3 pixels to estimate noise, got {x.shape[1]} x {x.shape[2]}")
    x = x.astype(np.float64) * 127.5  # grey levels (the offset does not pass the mask)
    values = np.array([np.mean([np.mean(np.abs(convolve2d(image[..., c], _NOISE_MASK, mode="valid")))
                                for c in range(x.shape[-1])]) for image in x]) * np.sqrt(np.pi / 2) / 6
    return values if reduction == "none" else float(np.mean(values))
