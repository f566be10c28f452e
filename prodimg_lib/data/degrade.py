"""Reproducible degradations that turn clean product images into (damaged, clean) training pairs.

Every function takes images in the models' range: float in [-1, 1], shape (N, H, W, C) with
C = 1 (grayscale, e.g. Fashion-MNIST 28x28) or C = 3 (colour photos), or one image
(H, W, C). It returns float32 images of the same kind (the same shape, except
:func:`downscale`). Randomness comes only from an explicit ``seed``: an int (the same int
gives the same damage every call) or a ``numpy.random.Generator`` (each call draws fresh
damage from it, reproducibly given the generator's own seed).

- :func:`downscale`: area averaging (or Pillow's bicubic) by an integer factor (the super-resolution inputs);
- :func:`add_gaussian_noise`: additive white Gaussian noise, sigma on the 0-255 pixel scale;
- :func:`blur`: Gaussian blur;
- :func:`jpeg`: JPEG compression artefacts (a Pillow round trip);
- :func:`defect_masks` and :func:`apply_defects`: scratches, blotches and missing blocks;
- :func:`low_light`: underexposure (gamma and exposure);
- :func:`low_light_as_shot`: a dark shot as a camera records it (uneven exposure, a colour cast,
  sensor noise that grows in the shadows, clipping and 8-bit rounding);
- :func:`colour_cast`: a tint from per-channel gains (colour images);
- :func:`make_pairs`: any of these as ``(damaged, clean)`` or ``(damaged, clean, mask)``.

Pixel-scale conventions. A pixel value v in [0, 255] is x = v / 127.5 - 1 in [-1, 1] and
u = v / 255 = (x + 1) / 2 in [0, 1]. Noise "sigma = 25" means a standard deviation of 25
grey levels out of 255: 25 / 255 = 0.098 in [0, 1] units and 2 * 25 / 255 = 0.196 in the
[-1, 1] units of the models (:func:`sigma_to_model_units`).
"""

from __future__ import annotations

import io
import numbers

import numpy as np

from prodimg_lib.data.pixels import (
    as_images, as_masks, check_positive_int, check_scalar, from_unit, per_image_values, restore_batch, to_unit,
)

__all__ = [
    "DEFECT_KINDS",
    "DEFECT_FRACTION",
    "PAIR_KINDS",
    "as_rng",
    "sigma_to_model_units",
    "DOWNSCALE_METHODS",
    "downscale",
    "add_gaussian_noise",
    "blur",
    "jpeg",
    "defect_masks",
    "apply_defects",
    "low_light",
    "LOW_LIGHT_STOPS",
    "low_light_as_shot",
    "colour_cast",
    "make_pairs",
]

DEFECT_KINDS = ("scratches", "blotches", "blocks", "mixed")
# Default share of damaged pixels per mask: each mask covers between 5 % and 20 % of its image.
DEFECT_FRACTION = (0.05, 0.20)
PAIR_KINDS = ("downscale", "noise", "blur", "jpeg", "defects", "low_light", "colour_cast")


def as_rng(seed) -> np.random.Generator:
    """A Generator from an int seed (fresh, reproducible) or the given Generator (advanced in place)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral,)) or seed < 0:
        raise TypeError(
            f"seed must be a non-negative int or a numpy.random.Generator (for reproducible damage), got {seed!r}"
        )
    return np.random.default_rng(int(seed))


# --- resolution ---------------------------------------------------------------------------------


DOWNSCALE_METHODS = ("area", "bicubic")


def downscale(images, factor: int = 2, method: str = "area") -> np.ndarray:
    """Shrink images by an integer factor by area averaging (each output pixel is the exact mean of a block).

    This is how the course makes super-resolution inputs: (N, 28, 28, 1) gives (N, 14, 14, 1)
    with ``factor=2`` and (N, 7, 7, 1) with ``factor=4``. Area averaging is what a camera
    sensor with bigger pixels would record, and it cannot alias (unlike taking every
    second pixel). Uses ``skimage.transform.downscale_local_mean``.

    ``method="bicubic"`` shrinks as a photo editor does instead: Pillow's bicubic resize, whose
    kernel is widened by ``factor`` when shrinking (antialiased), on 32-bit float values, each
    channel separately. It keeps edges a little sharper than the block mean, with a slight
    overshoot, so the photo models are trained and measured on both.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1]; H and W divisible by ``factor``.
        factor: an integer >= 1 (the course uses 2 and 4).
        method: "area" (the default) or "bicubic".

    Returns:
        float32 (N, H / factor, W / factor, C) (or (H / factor, W / factor, C)) in [-1, 1].

    Raises:
        ValueError: a factor that is not a positive integer or does not divide H and W, or an unknown method.
    """
    from skimage.transform import downscale_local_mean

    x, single = as_images(images)
    factor = check_positive_int(factor, "factor", hint=" (2 or 4 in the course)")
    if method not in DOWNSCALE_METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, DOWNSCALE_METHODS))}, got {method!r}")
    _, h, w, _ = x.shape
    if h % factor or w % factor:
        raise ValueError(
            f"image size {h}x{w} is not divisible by factor {factor}; crop the images to a multiple of {factor} first"
        )
    if method == "area":
        out = downscale_local_mean(x.astype(np.float64), (1, factor, factor, 1))
    else:
        from PIL import Image

        out = np.empty((len(x), h // factor, w // factor, x.shape[-1]), dtype=np.float32)
        for i, image in enumerate(x):
            for c in range(x.shape[-1]):
                plane = Image.fromarray(np.ascontiguousarray(image[..., c], dtype=np.float32), mode="F")
                out[i, ..., c] = np.asarray(plane.resize((w // factor, h // factor), Image.Resampling.BICUBIC))
        out = np.clip(out, -1.0, 1.0)
    return restore_batch(out.astype(np.float32), single)


# --- noise, blur, compression -------------------------------------------------------------------


def sigma_to_model_units(sigma):
    """Noise standard deviation on the 0-255 pixel scale -> in the models' [-1, 1] units: 2 * sigma / 255.

    ``sigma_to_model_units(25)`` is 0.196 (and 25 / 255 = 0.098 in [0, 1] units).
    """
    if np.ndim(sigma):
        return 2.0 * np.asarray(sigma, dtype=np.float64) / 255.0
    return 2.0 * float(sigma) / 255.0


def add_gaussian_noise(images, sigma=25.0, *, seed=0, clip: bool = True) -> np.ndarray:
    """Add white Gaussian noise whose standard deviation is ``sigma`` grey levels out of 255.

    In the models' [-1, 1] units the noise has standard deviation ``2 * sigma / 255``
    (:func:`sigma_to_model_units`): sigma = 25 adds noise of std 0.196 to [-1, 1] images,
    exactly as adding N(0, 25²) to uint8-scale pixels would. This is the convention of the
    denoising literature ("sigma = 25" in DnCNN, Zhang et al. 2017).

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        sigma: std on the 0-255 scale (>= 0), one number or one per image (N,) (for training
            a denoiser on a range of noise levels).
        seed: int or ``numpy.random.Generator``; the same int gives the same noise.
        clip: clip the result to [-1, 1] (default), as a saved image would be. Clipping
            lowers the noise near black and white, so the measured std is below sigma there;
            ``clip=False`` keeps the exact Gaussian model (values may leave [-1, 1]).

    Returns:
        float32 images of the input's shape (in [-1, 1] when ``clip``).
    """
    x, single = as_images(images)
    std = sigma_to_model_units(per_image_values(sigma, len(x), "sigma", low=0.0))
    noise = as_rng(seed).standard_normal(x.shape)
    out = x.astype(np.float64) + std[:, None, None, None] * noise
    if clip:
        out = np.clip(out, -1.0, 1.0)
    return restore_batch(out.astype(np.float32), single)


def blur(images, sigma: float = 1.0) -> np.ndarray:
    """Gaussian blur with standard deviation ``sigma`` pixels (each channel and image separately).

    Uses ``scipy.ndimage.gaussian_filter`` with mirrored borders ("reflect") and a kernel
    truncated at 4 sigma. ``sigma=0`` returns the images unchanged.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        sigma: blur radius in pixels (>= 0).

    Returns:
        float32 images of the input's shape, in [-1, 1] (a weighted mean never leaves the range).
    """
    from scipy.ndimage import gaussian_filter

    x, single = as_images(images)
    sigma = check_scalar(sigma, "sigma", low=0.0)
    out = gaussian_filter(x.astype(np.float64), sigma=(0.0, sigma, sigma, 0.0), mode="reflect")
    return restore_batch(np.clip(out, -1.0, 1.0).astype(np.float32), single)


def jpeg(images, quality: int = 30) -> np.ndarray:
    """JPEG compression artefacts: each image is saved as a JPEG with Pillow and read back.

    Images are first rounded to uint8 pixels (as any saved JPEG is), so the result also
    carries that quantisation. Colour images use Pillow's default chroma subsampling (4:2:0).

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        quality: JPEG quality, an integer in [1, 100] (lower: smaller files, stronger blocking).

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    from PIL import Image

    from prodimg_lib.data.pixels import from_minus_one_one, to_minus_one_one

    x, single = as_images(images)
    quality = check_positive_int(quality, "quality", high=100)
    pixels = from_minus_one_one(x)
    out = np.empty_like(pixels)
    for i, image in enumerate(pixels):
        buffer = io.BytesIO()
        pil = Image.fromarray(image[..., 0], mode="L") if image.shape[-1] == 1 else Image.fromarray(image, mode="RGB")
        pil.save(buffer, format="JPEG", quality=int(quality))
        buffer.seek(0)
        with Image.open(buffer) as decoded:
            out[i] = np.asarray(decoded).reshape(image.shape)
    return restore_batch(to_minus_one_one(out), single)


# --- defects ------------------------------------------------------------------------------------


def _thicken(rr: np.ndarray, cc: np.ndarray, radius: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Grow a thin curve into a stroke of the given radius (a dilation with a disk)."""
    if radius < 1:
        return rr, cc
    from skimage.morphology import disk

    dr, dc = np.nonzero(disk(radius))
    rr = (rr[:, None] + (dr - radius)[None, :]).ravel()
    cc = (cc[:, None] + (dc - radius)[None, :]).ravel()
    keep = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
    return rr[keep], cc[keep]


def _draw_defect(kind: str, rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (rows, cols) of one random defect drawn with ``skimage.draw``."""
    from skimage import draw

    s = min(h, w)
    if kind == "scratches":
        # A gently curved scratch: a quadratic Bezier curve, thickened on larger images.
        length = rng.uniform(0.4, 0.9) * s
        angle = rng.uniform(0.0, np.pi)
        r0, c0 = rng.uniform(0, h - 1), rng.uniform(0, w - 1)
        r2 = np.clip(r0 + length * np.sin(angle), 0, h - 1)
        c2 = np.clip(c0 + length * np.cos(angle), 0, w - 1)
        bend = rng.uniform(-0.2, 0.2) * length
        r1 = np.clip((r0 + r2) / 2 - bend * np.cos(angle), 0, h - 1)
        c1 = np.clip((c0 + c2) / 2 + bend * np.sin(angle), 0, w - 1)
        rr, cc = draw.bezier_curve(*(int(round(v)) for v in (r0, c0, r1, c1, r2, c2)), weight=1.0, shape=(h, w))
        return _thicken(rr, cc, int(s // 96), h, w)
    if kind == "blotches":
        # A stain: a rotated ellipse.
        r_radius, c_radius = rng.uniform(0.05, 0.15, size=2) * s + 0.5
        return draw.ellipse(
            rng.uniform(0, h), rng.uniform(0, w), r_radius, c_radius, shape=(h, w), rotation=rng.uniform(0, np.pi)
        )
    # A missing block: an axis-aligned rectangle.
    bh, bw = np.maximum(1, np.round(rng.uniform(0.15, 0.35, size=2) * s)).astype(int)
    top, left = rng.integers(0, h - bh + 1), rng.integers(0, w - bw + 1)
    return draw.rectangle((top, left), extent=(bh, bw), shape=(h, w))


def _one_mask(kind: str, rng: np.random.Generator, h: int, w: int, low: float, high: float) -> np.ndarray:
    """A mask whose damaged fraction lies in [low, high]: defects are added until a random target is met."""
    mask = np.zeros((h, w), dtype=bool)
    total = h * w
    target = rng.uniform(low, high)
    covered = 0
    for _ in range(2000):
        shape_kind = rng.choice(DEFECT_KINDS[:3]) if kind == "mixed" else kind
        rr, cc = _draw_defect(str(shape_kind), rng, h, w)
        new = np.unique(np.ravel(rr).astype(np.int64) * w + np.ravel(cc))
        new = new[~mask.ravel()[new]]
        if covered + len(new) > high * total:
            if covered >= low * total:
                return mask  # close to the target, and another defect would damage too much
            continue  # too much damage at once: draw another defect
        mask.ravel()[new] = True
        covered += len(new)
        if covered >= target * total:
            return mask
    raise ValueError(
        f"could not reach a damaged fraction in [{low}, {high}] on a {h}x{w} image with {kind}; "
        "use a wider fraction range or larger images"
    )


def defect_masks(n: int, shape, kind: str = "mixed", *, seed=0, fraction=DEFECT_FRACTION) -> np.ndarray:
    """Random damage masks: thin scratches, round blotches, missing rectangular blocks, or a mix.

    Defects are drawn with ``skimage.draw`` (quadratic Bezier curves for scratches, rotated
    ellipses for blotches, rectangles for blocks), with sizes relative to the image, and
    added one by one until the damaged share of the image reaches a target drawn uniformly
    from ``fraction``; a defect that would push it above ``fraction[1]`` is redrawn (or ends
    the mask, when the share is already at least ``fraction[0]``). So every
    mask covers between 5 % and 20 % of its pixels by default (:data:`DEFECT_FRACTION`).

    Args:
        n: number of masks (>= 1).
        shape: image size (H, W), or (H, W, C) (C is ignored), e.g. ``images.shape[1:]``.
        kind: "scratches", "blotches", "blocks" or "mixed" (each defect picks one of the three).
        seed: int or ``numpy.random.Generator``.
        fraction: (low, high) damaged share of each mask, 0 < low <= high < 1.

    Returns:
        bool (n, H, W, 1), True where a pixel is damaged.
    """
    if kind not in DEFECT_KINDS:
        raise ValueError(f"unknown defect kind {kind!r}; choose one of {', '.join(DEFECT_KINDS)}")
    n = check_positive_int(n, "n", hint=" (the number of masks)")
    try:
        dims = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape must be (H, W) or (H, W, C), got {shape!r}") from None
    if len(dims) not in (2, 3) or min(dims[:2]) < 4:
        raise ValueError(f"shape must be (H, W) or (H, W, C) with H, W >= 4, got {shape!r}")
    try:
        low, high = (float(f) for f in fraction)
    except (TypeError, ValueError):
        raise ValueError(f"fraction must be a pair (low, high), got {fraction!r}") from None
    if not 0.0 < low <= high < 1.0:
        raise ValueError(f"fraction must satisfy 0 < low <= high < 1, got {fraction!r}")
    h, w = dims[:2]
    rng = as_rng(seed)
    return np.stack([_one_mask(kind, rng, h, w, low, high) for _ in range(int(n))])[..., None]


def apply_defects(images, masks, fill=1.0) -> np.ndarray:
    """Damage images: every pixel where ``masks`` is True is set to ``fill``.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        masks: bool (N, H, W, 1) (or (H, W, 1) for one image), True where damaged, e.g. from
            :func:`defect_masks`; the same mask applies to every channel.
        fill: the value of damaged pixels in [-1, 1] (default 1.0: white, like scratches on a
            print; -1.0 is black), or one value per channel (e.g. (1.0, 1.0, 0.6) for yellowish
            stains).

    Returns:
        float32 images of the input's shape; undamaged pixels are unchanged.
    """
    x, single = as_images(images)
    m = as_masks(masks, like=x, single=single)
    value = np.asarray(fill, dtype=np.float64)
    if value.ndim > 1 or (value.ndim == 1 and len(value) not in (1, x.shape[-1])):
        raise ValueError(f"fill must be one number or one per channel ({x.shape[-1]}), got {fill!r}")
    if not np.all(np.isfinite(value)) or np.any(np.abs(value) > 1.0):
        raise ValueError(f"fill must lie in [-1, 1] (the images' range), got {fill!r}")
    out = np.where(m, value.astype(np.float32), x).astype(np.float32)
    return restore_batch(out, single)


# --- tone and colour -----------------------------------------------------------------------------


def low_light(images, gamma=2.0, exposure=0.4) -> np.ndarray:
    """Underexposure: in [0, 1] space, u -> exposure * u ** gamma.

    ``gamma > 1`` darkens the mid-tones more than the highlights (as a camera's tone curve
    does when too little light reaches the sensor) and ``exposure < 1`` scales everything down,
    so white becomes ``exposure``. Colour channels are changed alike.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1].
        gamma: > 0, a number or one per image (N,).
        exposure: in (0, 1], a number or one per image (N,).

    Returns:
        float32 images of the input's shape, in [-1, 1] (darker).
    """
    x, single = as_images(images)
    n = len(x)
    g = per_image_values(gamma, n, "gamma", low=0.0, low_open=True)[:, None, None, None]
    e = per_image_values(exposure, n, "exposure", low=0.0, high=1.0, low_open=True)[:, None, None, None]
    return restore_batch(from_unit(e * to_unit(x) ** g), single)


# Underexposure of low_light_as_shot, in stops (each halves the light): 2 to 4, a quarter to a sixteenth.
LOW_LIGHT_STOPS = (2.0, 4.0)
_DISPLAY_GAMMA = 2.2  # pixel values are about (linear light) ** (1 / 2.2), as in sRGB


def low_light_as_shot(images, *, seed=0, stops=LOW_LIGHT_STOPS, unevenness: float = 0.7, cast: float = 0.25,
                      full_well: float = 1000.0, read_noise: float = 0.002) -> np.ndarray:
    """A dark shot as a camera records it, which no single tone curve undoes.

    Each image is taken back to linear light (``u ** 2.2``, u in [0, 1]) and, with its own
    random draws:

    1. darkened by ``s`` stops (light times ``2 ** -s``, s uniform in ``stops``), unevenly: the
       exposure varies smoothly across the image (a 3 x 3 grid of log2 gains of standard
       deviation ``unevenness`` stops, interpolated bilinearly), as when a lamp lights one side;
    2. tinted (colour images): each channel's light times ``2 ** g_c``, g_c normal with standard
       deviation ``cast``, the three gains normalised to a geometric mean of 1;
    3. given sensor noise, Poisson (shot) noise of variance ``signal / full_well`` plus Gaussian
       read noise of standard deviation ``read_noise`` (both in units of the full range): in the
       shadows the noise is large against the signal, and gamma encoding enlarges it further;
    4. clipped to [0, 1], encoded again (``** (1 / 2.2)``) and rounded to 8 bits: the darkest
       shadows are crushed to black.

    Args:
        images: (N, H, W, C) or (H, W, C), float in [-1, 1], C = 1 or 3.
        seed: int or ``numpy.random.Generator``.
        stops: ``(low, high)`` underexposure in stops, 0 <= low <= high.
        unevenness: >= 0, standard deviation of the exposure field in stops (0: even).
        cast: >= 0, standard deviation of the colour gains in stops (ignored for grayscale).
        full_well: > 0, the signal-to-noise scale of the shot noise (photons at full scale).
        read_noise: >= 0, read noise in units of the full range.

    Returns:
        float32 images of the input's shape, in [-1, 1], on the 256 levels of an 8-bit image.
    """
    from skimage.transform import resize

    x, single = as_images(images, channels=(1, 3))
    if not (isinstance(stops, (tuple, list)) and len(stops) == 2):
        raise ValueError(f"stops must be a pair (low, high), got {stops!r}")
    low = check_scalar(stops[0], "stops[0]", low=0.0)
    high = check_scalar(stops[1], "stops[1]", low=low)
    unevenness = check_scalar(unevenness, "unevenness", low=0.0)
    cast = check_scalar(cast, "cast", low=0.0)
    full_well = check_scalar(full_well, "full_well", low=0.0, low_open=True)
    read_noise = check_scalar(read_noise, "read_noise", low=0.0)
    rng = as_rng(seed)
    n, h, w, c = x.shape
    linear = to_unit(x).astype(np.float64) ** _DISPLAY_GAMMA
    out = np.empty_like(linear)
    for i in range(n):
        log_gain = resize(rng.normal(0.0, unevenness, (3, 3)), (h, w), order=1, mode="edge", anti_aliasing=False)
        gain = 2.0 ** (log_gain - log_gain.mean() - rng.uniform(low, high))
        tint = rng.normal(0.0, cast, c) if c == 3 else np.zeros(c)
        signal = linear[i] * gain[..., None] * 2.0 ** (tint - tint.mean())
        noise = rng.standard_normal(signal.shape) * np.sqrt(signal / full_well + read_noise**2)
        out[i] = np.clip(signal + noise, 0.0, 1.0)
    encoded = np.round(out ** (1.0 / _DISPLAY_GAMMA) * 255.0) / 255.0
    return restore_batch(from_unit(encoded).astype(np.float32), single)


def colour_cast(images, gains=(1.15, 1.0, 0.8)) -> np.ndarray:
    """A colour cast: each RGB channel multiplied by a gain in [0, 1] space, then clipped.

    The default (1.15, 1.0, 0.8) gives the warm, yellowish cast of tungsten light; (0.8, 1.0,
    1.2) a cold, bluish one. Gains above 1 clip the brightest pixels of that channel.

    Args:
        images: (N, H, W, 3) or (H, W, 3), colour, float in [-1, 1].
        gains: (3,) positive gains for R, G, B, or (N, 3) one triple per image.

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    x, single = as_images(images, channels=(1, 3))
    if x.shape[-1] != 3:
        raise ValueError(f"colour_cast needs colour images (C = 3), got {x.shape[-1]} channel(s)")
    g = np.asarray(gains, dtype=np.float64)
    if g.shape not in ((3,), (len(x), 3)):
        raise ValueError(f"gains must have shape (3,) or ({len(x)}, 3), got {g.shape}")
    if not np.all(np.isfinite(g)) or np.any(g <= 0):
        raise ValueError(f"gains must be positive, got {gains!r}")
    g = g.reshape(-1, 1, 1, 3)
    return restore_batch(from_unit(np.clip(to_unit(x) * g, 0.0, 1.0)), single)


# --- pairs --------------------------------------------------------------------------------------


def make_pairs(images, kind: str, *, seed=0, **params):
    """Degrade clean images; return ``(damaged, clean)``, or ``(damaged, clean, mask)`` for defects.

    Kinds and their parameters (defaults as in the functions they call):

    - "downscale": ``factor`` (:func:`downscale`; ``damaged`` is smaller than ``clean``);
    - "noise": ``sigma`` (0-255 scale), ``clip`` (:func:`add_gaussian_noise`);
    - "blur": ``sigma`` (:func:`blur`);
    - "jpeg": ``quality`` (:func:`jpeg`);
    - "defects": ``defect`` (the mask kind, default "mixed"), ``fraction``, ``fill``
      (:func:`defect_masks`, :func:`apply_defects`);
    - "low_light": ``gamma``, ``exposure`` (:func:`low_light`);
    - "colour_cast": ``gains`` (:func:`colour_cast`).

    Args:
        images: clean (N, H, W, C) or (H, W, C), float in [-1, 1].
        kind: one of :data:`PAIR_KINDS`.
        seed: int or ``numpy.random.Generator`` (used by "noise" and "defects").
        **params: the parameters of that kind.

    Returns:
        ``(damaged, clean)`` float32 arrays (``clean`` is ``images`` as float32), plus the bool
        mask (N, H, W, 1) for "defects".
    """
    clean, single = as_images(images)
    clean = restore_batch(clean, single)
    if kind == "downscale":
        return downscale(clean, **params), clean
    if kind == "noise":
        return add_gaussian_noise(clean, seed=seed, **params), clean
    if kind == "blur":
        return blur(clean, **params), clean
    if kind == "jpeg":
        return jpeg(clean, **params), clean
    if kind == "defects":
        fill = params.pop("fill", 1.0)
        defect = params.pop("defect", "mixed")
        n = 1 if single else len(clean)
        masks = defect_masks(n, clean.shape[-3:-1], defect, seed=seed, **params)
        masks = masks[0] if single else masks
        return apply_defects(clean, masks, fill=fill), clean, masks
    if kind == "low_light":
        return low_light(clean, **params), clean
    if kind == "colour_cast":
        return colour_cast(clean, **params), clean
    raise ValueError(f"unknown degradation kind {kind!r}; choose one of {', '.join(PAIR_KINDS)}")
