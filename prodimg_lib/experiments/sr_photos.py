"""Photo super-resolution: the x2 and x4 upscalers of ``prodimg enhance``, trained on photographs, measured on held-out ones.

A model trained on Fashion-MNIST enlarges photos *worse* than bicubic (notebook 09): it learned
sharp clothing on black, not skies, skin and print. These models learn from photographs:

- :func:`photo_pairs`: (small, original) training pairs cut from the luma of scikit-image's
  photographs (:data:`prodimg_lib.data.photos.TRAINING_PHOTOS`, none of the held-out ones) and,
  optionally, from your own photos: each photo at three sizes, random crops, flips and quarter
  turns; the small copy made by area averaging or by bicubic shrinking (half each), some of them
  from a slightly blurred original or saved as a JPEG, and always rounded to 8 bits, as real small
  photos are;
- :func:`photo_sr_settings` and :func:`train_photo_sr`: the EDSR-style network of notebook 09
  with a *bicubic* base (:func:`prodimg_lib.enhancement.models.sr.bicubic_upsample`), trained
  with the L1 loss on those pairs;
- :func:`shrink_photo` and :func:`evaluate_held_out`: every photo of
  :data:`prodimg_lib.data.photos.HELD_OUT_PHOTOS` at its own size, shrunk both ways and enlarged
  again by bicubic, Lanczos and the models, each model on every colour channel and on the luma
  only (:func:`prodimg_lib.enhancement.photo.enhance_image`, exactly what the tool runs), PSNR on
  the 8-bit results; :func:`summarise` gives the mean and the smallest gain over bicubic;
- :func:`benchmark`: all of it, as ``python -m benchmarks enhance --tasks sr_photos`` runs it.

Measured with the ``cpu`` profile on 2 CPU cores (``python -m benchmarks enhance --tasks
sr_photos``: four epochs per model, no time budget; the mean gain over bicubic on the 7 held-out
photos and, in brackets, the smallest, in dB)::

    factor  small copy by   every channel (rgb)   luma only       training
    x2      bicubic         +1.91 (+1.31)         +1.72 (+0.60)   305 s
    x2      area            +1.39 (+0.88)         +1.23 (+0.61)
    x4      bicubic         +1.12 (+0.08)         +1.06 (-0.08)   513 s
    x4      area            +0.97 (+0.14)         +0.91 (-0.05)

Lanczos gains +0.52 and +0.43 dB at x2, +0.26 and +0.19 dB at x4.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from prodimg_lib.data.photos import HELD_OUT_PHOTOS, TRAINING_PHOTOS, skimage_photo
from prodimg_lib.data.pixels import as_photo, check_positive_int, check_scalar
from prodimg_lib.experiments.photo_crops import PHOTO_SCALES, photo_crops, quantise

__all__ = ["PHOTO_FACTORS", "PATCH_SIZE", "PHOTO_SCALES", "DOWNSCALINGS", "photo_sr_settings", "photo_pairs",
           "train_photo_sr", "shrink_photo", "evaluate_held_out", "summarise", "benchmark"]

PHOTO_FACTORS = (2, 4)
PATCH_SIZE = {2: 64, 4: 96}  # the originals' crop size: inputs of 32 x 32 (x2) and 24 x 24 (x4)
DOWNSCALINGS = ("bicubic", "area")  # how the small copies are made (prodimg_lib.data.degrade.downscale)
DEGRADED_SHARE = 0.3  # of the training pairs: half of them from a blurred original, half saved as JPEG


def photo_sr_settings(profile, factor: int) -> dict:
    """The training settings of one photo upscaler under a run profile.

    - pairs: 800 crops per training photo with the full data (11,200 in all), 8 without;
    - epochs: 4 under ``cpu`` (70 to 90 s each on 2 cores, so that a time budget can stop between
      them), 20 under ``gpu``, 1 under ``smoke``;
    - EDSR, ``width = profile.width`` (32 under cpu), 4 residual blocks (8 from width 64), bicubic base;
    - Adam at 1e-3 with cosine decay, batches of 16, L1 loss (it keeps edges a little crisper
      than the MSE, and is the loss EDSR was trained with).

    Returns:
        A dict with architecture, factor, base, width, blocks, epochs, batch_size,
        learning_rate, loss, per_photo, patch and data.
    """
    factor = _photo_factor(factor)
    width = int(profile.width)
    return dict(architecture="edsr", factor=factor, base="bicubic", width=width, blocks=4 if width < 64 else 8,
                epochs=1 if not profile.full_data else (4 if profile.name == "cpu" else 20), batch_size=16,
                learning_rate=1e-3, loss="l1", per_photo=800 if profile.full_data else 8, patch=PATCH_SIZE[factor],
                data="photos")


def _photo_factor(factor) -> int:
    if isinstance(factor, bool) or factor not in PHOTO_FACTORS:
        raise ValueError(f"factor must be one of {', '.join(map(str, PHOTO_FACTORS))}, got {factor!r}")
    return int(factor)


def photo_pairs(factor: int, per_photo: int, *, names=TRAINING_PHOTOS, own_photos=None, patch: int | None = None,
                degraded: float = DEGRADED_SHARE, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Training pairs (small, original) for a photo upscaler, from the luma of photographs.

    The originals are :func:`prodimg_lib.experiments.photo_crops.photo_crops`: ``per_photo`` random
    crops of ``patch`` x ``patch`` of each photo (by name from scikit-image, plus ``own_photos``) at
    the sizes :data:`PHOTO_SCALES`, turned and flipped, rounded to 8 bits. The small copy is made by
    :func:`prodimg_lib.data.degrade.downscale` with "area" or "bicubic" (half each), from the
    original blurred a little first (sigma 0.3 to 0.8 pixels) for ``degraded / 2`` of the pairs,
    rounded to 8 bits, and saved as a JPEG of quality 75 to 95 for another ``degraded / 2``.

    Args:
        factor: 2 or 4.
        per_photo: crops per photo (>= 1).
        names: scikit-image photographs (default :data:`~prodimg_lib.data.photos.TRAINING_PHOTOS`);
            a held-out photo is refused.
        own_photos: None, or uint8 photos (each (H, W, 1 or 3), any size) to add, e.g. a
            :class:`~prodimg_lib.data.photos.PhotoFolder`'s images or ``read_photo`` results.
        patch: the crop size (default :data:`PATCH_SIZE` of the factor), a multiple of ``factor``.
        degraded: the share of blurred or compressed pairs, in [0, 1].
        seed: the seed of every random choice.

    Returns:
        ``(small, original)``: float32 (N, patch / factor, patch / factor, 1) and (N, patch, patch, 1) in [-1, 1].

    Raises:
        ValueError: a held-out photo among ``names``, bad sizes, or no photo large enough for one crop.
    """
    from prodimg_lib.data import degrade

    factor = _photo_factor(factor)
    patch = PATCH_SIZE[factor] if patch is None else check_positive_int(patch, "patch", low=factor)
    if patch % factor:
        raise ValueError(f"patch ({patch}) must be a multiple of the factor ({factor})")
    degraded = check_scalar(degraded, "degraded", low=0.0, high=1.0)
    rng = np.random.default_rng(seed)
    high = photo_crops(per_photo, patch, names=names, own_photos=own_photos, rng=rng)  # the originals, as 8-bit photos
    low = np.empty((len(high), patch // factor, patch // factor, 1), dtype=np.float32)
    for i, original in enumerate(high):
        kind = rng.random()
        source = degrade.blur(original, float(rng.uniform(0.3, 0.8))) if kind < degraded / 2 else original
        small = quantise(degrade.downscale(source, factor, DOWNSCALINGS[int(rng.integers(2))]))
        low[i] = degrade.jpeg(small, int(rng.integers(75, 96))) if degraded / 2 <= kind < degraded else small
    return low, high


def train_photo_sr(factor: int, profile, *, own_photos=None, verbose: int | str = 2, seed: int = 0,
                   log: Callable[[str], None] | None = print, callbacks=None):
    """Build the photo upscaler of :func:`photo_sr_settings` and train it on :func:`photo_pairs`.

    Args:
        factor: 2 or 4.
        profile: the run profile.
        own_photos: None, or your own uint8 photos to train on as well (see :func:`photo_pairs`).
        verbose, seed, log, callbacks: as in :func:`prodimg_lib.experiments.super_resolution.train_sr`.

    Returns:
        :class:`~prodimg_lib.experiments.super_resolution.SRRun`; the model maps (N, h, w, 1) in
        [-1, 1] to (N, factor h, factor w, 1) and is saved as ``sr_x{factor}_photo``.
    """
    import keras

    from prodimg_lib.enhancement.models import sr
    from prodimg_lib.experiments.common import train_run
    from prodimg_lib.experiments.super_resolution import SRRun

    settings = photo_sr_settings(profile, factor)
    low, high = photo_pairs(factor, settings["per_photo"], own_photos=own_photos, seed=seed)
    if own_photos is not None:
        settings["own_photos"] = len(own_photos)
    keras.utils.set_random_seed(seed)
    model = sr.build_edsr(factor, 1, width=settings["width"], blocks=settings["blocks"], base="bicubic")
    return train_run(SRRun, model, settings, low, high, verbose=verbose, seed=seed, log=log,
                     jit_compile=profile.jit_compile, callbacks=callbacks)


def shrink_photo(pixels, factor: int, method: str = "bicubic") -> tuple[np.ndarray, np.ndarray]:
    """A photo and its small copy, as the held-out measurements make them.

    Args:
        pixels: uint8 (H, W, C), C 1 or 3.
        factor: 2 or 4.
        method: "bicubic" or "area" (:func:`prodimg_lib.data.degrade.downscale`).

    Returns:
        ``(original, small)``: uint8 (H', W', C), cropped to a multiple of ``factor`` from the
        top left, and uint8 (H' / factor, W' / factor, C), rounded to 8 bits.
    """
    from prodimg_lib.data import degrade, from_minus_one_one, to_minus_one_one

    pixels, factor = as_photo(pixels, "pixels"), _photo_factor(factor)
    h, w = (s - s % factor for s in pixels.shape[:2])
    original = pixels[:h, :w]
    return original, from_minus_one_one(degrade.downscale(to_minus_one_one(original), factor, method))


def evaluate_held_out(models: dict, factor: int, *, names=HELD_OUT_PHOTOS, downscalings=DOWNSCALINGS,
                      colours=("rgb", "luma"), keep_outputs: bool = False) -> tuple[list[dict], dict]:
    """Classical and learned enlargement of the held-out photos, each at its own size.

    Args:
        models: ``{label: keras.Model or SRRun}``, grayscale upscalers of this factor.
        factor: 2 or 4.
        names: the photos (default :data:`~prodimg_lib.data.photos.HELD_OUT_PHOTOS`).
        downscalings: how the small copies are made (:func:`shrink_photo`).
        colours: how each model treats colour (:data:`prodimg_lib.enhancement.photo.COLOUR_MODES`);
            for a grayscale photo the modes agree and the model is run once.
        keep_outputs: also return the enlarged photos.

    Returns:
        ``(rows, outputs)``: one row per photo and downscaling, with photo, downscaling, size
        and the PSNR of "bicubic", "lanczos" and of each ``"{label} ({colour})"`` in dB, plus
        the seconds per model; outputs (if kept) maps ``(photo, downscaling)`` to
        ``{"original", "small", method: uint8 image}``.
    """
    from prodimg_lib.data import from_minus_one_one, to_minus_one_one
    from prodimg_lib.enhancement.classical import upscale
    from prodimg_lib.enhancement.photo import COLOUR_MODES, enhance_image
    from prodimg_lib.evaluation.image_quality import psnr
    from prodimg_lib.experiments.common import model_of

    factor = _photo_factor(factor)
    unknown = [c for c in colours if c not in COLOUR_MODES]
    if unknown:
        raise ValueError(f"colours must be among {', '.join(COLOUR_MODES)}, got {unknown}")
    rows, outputs = [], {}
    for name in names:
        photo = skimage_photo(name)
        for method in downscalings:
            original, small = shrink_photo(photo, factor, method)
            row = dict(photo=name, downscaling=method, size=f"{original.shape[1]}x{original.shape[0]}")
            images = {m: from_minus_one_one(upscale(to_minus_one_one(small), factor, m)) for m in ("bicubic", "lanczos")}
            for label, model in models.items():
                for colour in colours:
                    start = time.perf_counter()
                    if colour != colours[0] and original.shape[-1] == 1:
                        images[f"{label} ({colour})"] = images[f"{label} ({colours[0]})"]
                        continue
                    images[f"{label} ({colour})"] = enhance_image(small, upscaler=model_of(model), factor=factor,
                                                                   colour=colour)
                    row[f"{label} ({colour}) seconds"] = time.perf_counter() - start
            reference = to_minus_one_one(original)
            row.update({m: psnr(reference, to_minus_one_one(image)) for m, image in images.items()})
            rows.append(row)
            if keep_outputs:
                outputs[name, method] = dict(original=original, small=small, **images)
    return rows, outputs


def summarise(rows: list[dict], methods) -> list[dict]:
    """Per downscaling and method: the mean PSNR, the mean gain over bicubic and the smallest gain (dB)."""
    out = []
    for method in dict.fromkeys(r["downscaling"] for r in rows):
        group = [r for r in rows if r["downscaling"] == method]
        for m in methods:
            gains = [r[m] - r["bicubic"] for r in group]
            out.append(dict(downscaling=method, method=m, psnr=float(np.mean([r[m] for r in group])),
                            gain_db=float(np.mean(gains)), min_gain_db=float(np.min(gains)),
                            worst=group[int(np.argmin(gains))]["photo"]))
    return out


def benchmark(fm, profile, *, log=print) -> list[dict]:
    """Train the x2 and x4 photo upscalers and measure them on the held-out photos, beside the Fashion-MNIST EDSR.

    Args:
        fm: ``data.FashionMNIST`` (uint8): the Fashion-MNIST EDSR of notebook 09 is trained on it
            (:func:`prodimg_lib.experiments.super_resolution.train_sr`), to show what a model
            trained on other images does to photos.
        profile: the run profile.
        log: progress lines.

    Returns:
        The rows of :func:`summarise` (task ``photo_sr_x{factor}``, with the training seconds of
        the model) and, for x2, one row per photo and downscaling (task ``photo_sr_x2_per_photo``,
        gains over bicubic).
    """
    from prodimg_lib.experiments import super_resolution

    fit, held = super_resolution.split_held_out(fm.x_train)
    rows = []
    for factor in PHOTO_FACTORS:
        run = train_photo_sr(factor, profile, verbose=0, log=log)
        fashion = super_resolution.train_sr(fit, factor, "edsr", profile, validation=held, verbose=0, log=log)
        per_photo, _ = evaluate_held_out({"EDSR": run, "EDSR (Fashion-MNIST)": fashion}, factor)
        methods = ["lanczos", "EDSR (Fashion-MNIST) (rgb)", "EDSR (rgb)", "EDSR (luma)"]
        seconds = {"EDSR (Fashion-MNIST) (rgb)": fashion.seconds, "EDSR (rgb)": run.seconds, "EDSR (luma)": run.seconds}
        rows += [dict(task=f"photo_sr_x{factor}", train_seconds=round(seconds.get(r["method"], 0.0), 1), **r)
                 for r in summarise(per_photo, methods)]
        if factor == 2:
            rows += [dict(task="photo_sr_x2_per_photo", photo=r["photo"], downscaling=r["downscaling"],
                          bicubic=r["bicubic"], **{f"{m} gain_db": r[m] - r["bicubic"] for m in methods})
                     for r in per_photo]
    return rows
