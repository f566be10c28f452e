"""The photo denoiser of ``prodimg enhance --denoise``: one DnCNN for every noise level, told the level, measured on held-out photos.

Notebook 10's Fashion-MNIST denoiser learned clothing on black, and noise of the levels it was
shown. A shop's photos carry more or less noise, or none. This model is trained on photographs
for noise levels 0 to 55, as DnCNN-B (Zhang et al. 2017) is, and it is *told* each input's level
as a second input, a noise level map, as FFDNet (Zhang, Zuo and Zhang 2018) is. The tool passes
the level the user gives (``--noise-level``) or, by default, an estimate from the photo.

Measured on the held-out photos (2-core CPU, 4 epochs), told the level instead of blind, it
leaves every lightly noisy photo better than it was (the blind DnCNN-B removed the paper grain of
the page and the fine texture of the tissue section at sigma 2: -5.4 and -2.9 dB) and scores
about 1 dB more at sigma 25. With the level estimated, a photo's own grain counts as noise.

- :func:`photo_noise_pairs`: (noisy, clean) training pairs: luma crops of scikit-image's
  photographs (:func:`prodimg_lib.experiments.photo_crops.photo_crops`, never a held-out photo)
  and, optionally, your own photos; each crop gets its own noise level, drawn uniformly from
  :data:`~prodimg_lib.experiments.restoration.TRAIN_SIGMA_RANGE`, except that :data:`LIGHT_SHARE`
  of them get light noise (:data:`LIGHT_RANGE`) and :data:`CLEAN_SHARE` none at all, so that the
  network also learns to leave a clean photo and its texture alone; the noisy crops are rounded
  to 8 bits, as a saved photo is;
- :func:`photo_denoise_settings` and :func:`train_photo_denoiser`: the DnCNN of notebook 10,
  deeper and with a noise level map (``build_dncnn(..., noise_map=True)``), trained on those pairs
  with each crop's level;
- :func:`tune_photo_denoisers`: the classical denoisers tuned for each noise level on crops of the
  *training* photos (each is told the noise level this way);
- :func:`add_photo_noise` and :func:`evaluate_held_out`: every photo of
  :data:`prodimg_lib.data.photos.HELD_OUT_PHOTOS` at its own size, with noise of each level of
  :data:`PHOTO_SIGMAS` on every colour channel, rounded to 8 bits, then denoised channel by channel
  by each method (the models through :func:`prodimg_lib.enhancement.photo.enhance_image`, exactly
  as the tool runs them: with the level estimated, and told it, labelled with :data:`GIVEN`); PSNR
  on the 8-bit results. :func:`summarise` gives, per level and method,
  the mean PSNR and the mean and smallest change from the noisy photo;
- :func:`benchmark`: all of it, as ``python -m benchmarks enhance --tasks denoise_photos`` runs it.
"""

from __future__ import annotations

import time
import zlib
from typing import Callable

import numpy as np

from prodimg_lib.data.photos import HELD_OUT_PHOTOS, TRAINING_PHOTOS, skimage_photo
from prodimg_lib.data.pixels import as_photo, check_positive_int, check_scalar

__all__ = ["PHOTO_SIGMAS", "LIGHT_SIGMAS", "GIVEN", "CLEAN_SHARE", "LIGHT_SHARE", "LIGHT_RANGE", "PATCH", "photo_denoise_settings",
           "photo_noise_pairs", "train_photo_denoiser", "add_photo_noise", "tune_photo_denoisers", "denoise_photo_classical",
           "evaluate_held_out", "summarise", "benchmark"]

# Noise levels (0-255 scale) at which the held-out photos are measured: none, light, and the three of notebook 10.
PHOTO_SIGMAS = (0, 2, 5, 15, 25, 50)
# "Lightly noisy": the levels at which a denoiser must not make a photo worse than it was.
LIGHT_SIGMAS = (2, 5)
# The suffix of a noise-level-aware model's label when it is told the level that was added.
GIVEN = ", told sigma"
CLEAN_SHARE = 0.1  # of the training crops: no noise at all
# Another quarter of the crops get light noise, from this range: with noise levels drawn from 0 to 55
# only, the network removed more of the texture of lightly noisy photos along with their noise (2-core
# CPU, 4 to 5 epochs, measured on the training photos: a mean change of -2.2 dB at sigma 2 and +2.3 dB
# at sigma 5, against -1.7 and +2.5 dB with these crops, at a cost of about 0.3 dB at sigma 15 and 25).
LIGHT_SHARE = 0.25
LIGHT_RANGE = (0.0, 10.0)
PATCH = 48  # training crop size: a 12-layer network sees 25 x 25 pixels


def photo_denoise_settings(profile) -> dict:
    """The training settings of the photo denoiser under a run profile.

    - pairs: 800 crops of 48 x 48 per training photo with the full data (about 11,200), 8 without;
    - noise: sigma drawn uniformly per crop from ``TRAIN_SIGMA_RANGE`` (0 to 55), from
      :data:`LIGHT_RANGE` (0 to 10) for :data:`LIGHT_SHARE` of them, none for :data:`CLEAN_SHARE`;
    - DnCNN of ``width = profile.width`` (32 under cpu) and depth 12 without batch normalisation
      (depth 17 with it from width 64 up, as in the paper);
    - epochs: 4 under ``cpu`` (90 to 150 s each on 2 cores: in notebook 10's 480 s, 3 or 4 of
      them), 20 under ``gpu``, 1 under ``smoke``; Adam at 1e-3 with cosine decay, batches of 32,
      MSE loss;
    - measurement: ``tune_crops`` crops of the training photos tune each classical denoiser
      (48 with the full data, 4 without), and the held-out photos are measured at their own
      size (``eval_size`` None) with the full data, as 96-pixel crops without.

    Returns:
        A dict with task, architecture, width, depth, batch_norm, epochs, batch_size,
        learning_rate, loss, sigma, light_share, light_sigma, clean_share, per_photo, patch, data,
        tune_crops and eval_size.
    """
    from prodimg_lib.experiments.restoration import TRAIN_SIGMA_RANGE

    width = int(profile.width)
    deep = width >= 64
    return dict(task="denoise", architecture="dncnn", width=width, depth=17 if deep else 12, batch_norm=deep, noise_map=True,
                epochs=1 if not profile.full_data else (4 if profile.name == "cpu" else 20), batch_size=32,
                learning_rate=1e-3, loss="mse", sigma=TRAIN_SIGMA_RANGE, light_share=LIGHT_SHARE,
                light_sigma=LIGHT_RANGE, clean_share=CLEAN_SHARE,
                per_photo=800 if profile.full_data else 8, patch=PATCH, data="photos",
                tune_crops=48 if profile.full_data else 4, eval_size=None if profile.full_data else 96)


def photo_noise_pairs(per_photo: int, *, sigma=None, light_share: float = LIGHT_SHARE, light_sigma=LIGHT_RANGE,
                      clean_share: float = CLEAN_SHARE, names=TRAINING_PHOTOS, own_photos=None, patch: int = PATCH,
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Training pairs (noisy, clean) for a blind photo denoiser, from the luma of photographs.

    Args:
        per_photo: crops per photo (>= 1).
        sigma: the range ``(low, high)`` of noise levels on the 0-255 scale, one level drawn per
            crop (default ``TRAIN_SIGMA_RANGE``), or one level for all.
        light_share: the share of crops whose level is drawn from ``light_sigma`` instead, in [0, 1].
        light_sigma: the range of light noise levels.
        clean_share: the share of crops left without noise, in [0, 1]; with ``light_share`` at
            most 1.
        names, own_photos: the photos (see :func:`prodimg_lib.experiments.photo_crops.photo_crops`;
            a held-out photo is refused).
        patch: the crop size.
        seed: the seed of every random choice.

    Returns:
        ``(noisy, clean, sigma)``: float32 (N, patch, patch, 1) in [-1, 1], both on the 256 levels
        of an 8-bit image (the noisy crops are clipped to the range, then rounded), and each
        crop's noise level, float32 (N,) in grey levels out of 255 (0 for the clean ones).
    """
    from prodimg_lib.data import degrade
    from prodimg_lib.experiments.photo_crops import photo_crops, quantise
    from prodimg_lib.experiments.restoration import TRAIN_SIGMA_RANGE, check_sigma

    clean_share = check_scalar(clean_share, "clean_share", low=0.0, high=1.0)
    light_share = check_scalar(light_share, "light_share", low=0.0, high=1.0 - clean_share)
    sigma = check_sigma(TRAIN_SIGMA_RANGE if sigma is None else sigma)
    light_low, light_high = check_sigma(tuple(light_sigma))
    rng = np.random.default_rng(seed)
    clean = photo_crops(per_photo, patch, names=names, own_photos=own_photos, rng=rng)
    levels = rng.uniform(*sigma, len(clean)) if isinstance(sigma, tuple) else np.full(len(clean), sigma)
    kind = rng.random(len(clean))
    light = (kind >= clean_share) & (kind < clean_share + light_share)
    levels[light] = rng.uniform(light_low, light_high, int(light.sum()))
    levels[kind < clean_share] = 0.0
    noisy = degrade.add_gaussian_noise(clean, levels, seed=rng)
    return quantise(noisy), clean, levels.astype(np.float32)


def train_photo_denoiser(profile, *, own_photos=None, verbose: int | str = 2, seed: int = 0,
                         log: Callable[[str], None] | None = print, callbacks=None):
    """Build the photo denoiser of :func:`photo_denoise_settings` and train it on :func:`photo_noise_pairs`.

    Args:
        profile: the run profile.
        own_photos: None, or your own uint8 photos to train on as well (clean ones: the noise is added).
        verbose, seed, log, callbacks: as in :func:`prodimg_lib.experiments.restoration.train_denoiser`.

    Returns:
        :class:`~prodimg_lib.experiments.restoration.RestoreRun`; the model maps (N, h, w, 1) in
        [-1, 1] to the same shape and range, and is saved as ``denoise_photo``.
    """
    import keras

    from prodimg_lib.enhancement.models.restore import build_dncnn, noise_level_map
    from prodimg_lib.experiments.common import train_run
    from prodimg_lib.experiments.restoration import RestoreRun

    settings = photo_denoise_settings(profile)
    noisy, clean, sigma = photo_noise_pairs(settings["per_photo"], sigma=settings["sigma"],
                                            light_share=settings["light_share"], light_sigma=settings["light_sigma"],
                                            clean_share=settings["clean_share"], own_photos=own_photos,
                                            patch=settings["patch"], seed=seed)
    if own_photos is not None:
        settings["own_photos"] = len(own_photos)
    keras.utils.set_random_seed(seed)
    model = build_dncnn(1, settings["width"], settings["depth"], batch_norm=settings["batch_norm"],
                        noise_map=settings["noise_map"])
    inputs = [noisy, noise_level_map(sigma, noisy.shape)] if settings["noise_map"] else noisy
    return train_run(RestoreRun, model, settings, inputs, clean, verbose=verbose, seed=seed, log=log,
                     jit_compile=profile.jit_compile, callbacks=callbacks)


def add_photo_noise(pixels, sigma: float, *, seed=0) -> np.ndarray:
    """A photo with white Gaussian noise of ``sigma`` grey levels on every channel, clipped and rounded to 8 bits.

    Args:
        pixels: uint8 (H, W, C).
        sigma: the noise's standard deviation on the 0-255 scale (>= 0; 0 returns the photo).
        seed: int or ``numpy.random.Generator``.

    Returns:
        uint8 (H, W, C).
    """
    from prodimg_lib.data import degrade, from_minus_one_one, to_minus_one_one

    pixels = as_photo(pixels, "pixels")
    sigma = check_scalar(sigma, "sigma", low=0.0)
    return from_minus_one_one(degrade.add_gaussian_noise(to_minus_one_one(pixels), sigma, seed=seed))


def tune_photo_denoisers(sigma: float, *, crops: int = 48, patch: int = 96, seed: int = 1) -> dict:
    """Tune each classical denoiser for one noise level on luma crops of the training photos.

    Args:
        sigma: the noise level on the 0-255 scale.
        crops: how many crops in all (cut from the 14 training photos, about the same number from each).
        patch: the crop size.
        seed: seeds the crops and their noise.

    Returns:
        ``{method: TuneResult}`` as :func:`prodimg_lib.experiments.restoration.tune_denoisers`.
    """
    from prodimg_lib.experiments.photo_crops import photo_crops
    from prodimg_lib.experiments.restoration import tune_denoisers

    crops = check_positive_int(crops, "crops")
    rng = np.random.default_rng(seed)
    clean = photo_crops(-(-crops // len(TRAINING_PHOTOS)), patch, rng=rng)
    clean = clean[rng.permutation(len(clean))[:crops]]
    return tune_denoisers(clean, sigma, n_images=None, seed=rng)


def denoise_photo_classical(method: str, params: dict, pixels) -> np.ndarray:
    """A classical denoiser (:data:`prodimg_lib.experiments.tuning.METHODS`) on each channel of a uint8 photo.

    Each channel is denoised as a grayscale image, as the learned denoiser treats it.

    Returns:
        uint8, the shape of ``pixels``.
    """
    from prodimg_lib.data import from_minus_one_one, to_minus_one_one
    from prodimg_lib.experiments import tuning

    pixels = as_photo(pixels, "pixels")
    planes = np.moveaxis(to_minus_one_one(pixels), -1, 0)[..., None]  # (C, H, W, 1)
    out = tuning.METHODS[method](planes, **params)
    return from_minus_one_one(np.moveaxis(np.asarray(out)[..., 0], 0, -1))


def evaluate_held_out(models: dict, tuned: dict, *, sigmas=PHOTO_SIGMAS, names=None, size: int | None = None,
                      seed: int = 2, keep_outputs: bool = False) -> tuple[list[dict], dict]:
    """Classical and learned denoising of the held-out photos at each noise level.

    Args:
        models: ``{label: keras.Model or RestoreRun}``, grayscale denoisers, each run on every
            colour channel by :func:`prodimg_lib.enhancement.photo.enhance_image`. One that takes
            a noise level is measured twice: as the tool runs it, with the level estimated from
            the noisy photo (under its label), and told the level that was added (its label and
            :data:`GIVEN`).
        tuned: ``{sigma: {method: TuneResult}}`` from :func:`tune_photo_denoisers`; a level
            without an entry (sigma 0: there is nothing to remove) is measured without them.
        sigmas: the noise levels (0-255 scale).
        names: the photos (None: :data:`~prodimg_lib.data.photos.HELD_OUT_PHOTOS`).
        size: None for each photo at its own size, or the side of a crop from its top left
            (quicker, for tests and the smoke profile).
        seed: seeds the noise: the same noise for every method, and for each photo and level the
            same whatever other photos and levels are measured.
        keep_outputs: also return the photos.

    Returns:
        ``(rows, outputs)``: one row per photo and level, with photo, sigma, size, own_noise (the
        noise the photo carries before any is added, as
        :func:`prodimg_lib.evaluation.image_quality.noise_sigma` estimates it) and the PSNR of
        "noisy" (inf at sigma 0) and of each method in dB (classical ones by their labels in
        :data:`prodimg_lib.experiments.restoration.METHOD_LABELS`, models by theirs), plus the
        seconds per method; outputs (if kept) maps ``(photo, sigma)`` to ``{"clean", "noisy",
        method: uint8 photo}``.
    """
    from prodimg_lib.data import to_minus_one_one
    from prodimg_lib.enhancement.models.restore import takes_noise_level
    from prodimg_lib.enhancement.photo import enhance_image
    from prodimg_lib.evaluation.image_quality import noise_sigma, psnr
    from prodimg_lib.experiments.common import model_of
    from prodimg_lib.experiments.restoration import METHOD_LABELS

    rows, outputs = [], {}
    for name in HELD_OUT_PHOTOS if names is None else names:
        photo = skimage_photo(name)
        if size is not None:
            photo = photo[:size, :size]
        reference = to_minus_one_one(photo)
        own_noise = noise_sigma(reference)
        for sigma in sigmas:
            noisy = add_photo_noise(photo, sigma, seed=np.random.default_rng([seed, zlib.crc32(name.encode()),
                                                                               round(1000 * sigma)]))
            images = {"noisy": noisy}
            row = dict(photo=name, sigma=sigma, size=f"{photo.shape[1]}x{photo.shape[0]}", own_noise=own_noise)
            for method, result in tuned.get(sigma, {}).items():
                start = time.perf_counter()
                images[METHOD_LABELS[method]] = denoise_photo_classical(method, result.params, noisy)
                row[f"{METHOD_LABELS[method]} seconds"] = time.perf_counter() - start
            for label, model in models.items():
                model = model_of(model)
                for method, level in [(label, None)] + [(f"{label}{GIVEN}", sigma)] * takes_noise_level(model):
                    start = time.perf_counter()
                    images[method] = enhance_image(noisy, denoiser=model, noise_level=level)
                    row[f"{method} seconds"] = time.perf_counter() - start
            row.update({m: psnr(reference, to_minus_one_one(image)) for m, image in images.items()})
            rows.append(row)
            if keep_outputs:
                outputs[name, sigma] = dict(clean=photo, **images)
    return rows, outputs


def summarise(rows: list[dict]) -> list[dict]:
    """Per noise level and method: the mean PSNR and the mean and smallest change from the noisy photo (dB).

    At sigma 0 the noisy photo *is* the clean one (an infinite PSNR); there the row gives the
    mean and the smallest PSNR of the output against the clean photo instead (``min_psnr``;
    above about 45 dB a change is invisible), and no change.

    Returns:
        One dict per (sigma, method): sigma, method, psnr, min_psnr, gain_db and min_gain_db (over
        the noisy photo; None at sigma 0), worst (the photo of the smallest gain or PSNR), and
        best_classical_gain_db on each model's row (its mean PSNR above the best classical
        method's at this level; None where none was measured).
    """
    out = []
    for sigma in dict.fromkeys(r["sigma"] for r in rows):
        group = [r for r in rows if r["sigma"] == sigma]
        methods = [k for k in group[0] if k not in ("photo", "sigma", "size", "own_noise", "noisy")
                   and not k.endswith(" seconds")]
        classical = [m for m in methods if m in _classical_labels()]
        best = max((float(np.mean([r[m] for r in group])) for m in classical), default=None)
        for m in methods:
            values = np.array([r[m] for r in group])
            gains = None if sigma == 0 else values - np.array([r["noisy"] for r in group])
            worst = int(np.argmin(values if gains is None else gains))
            row = dict(sigma=sigma, method=m, psnr=float(np.mean(values)), min_psnr=float(np.min(values)),
                       gain_db=None if gains is None else float(np.mean(gains)),
                       min_gain_db=None if gains is None else float(np.min(gains)), worst=group[worst]["photo"])
            if m not in classical:
                row["best_classical_gain_db"] = None if best is None else row["psnr"] - best
            out.append(row)
    return out


def _classical_labels() -> set[str]:
    from prodimg_lib.experiments.restoration import CLASSICAL_DENOISERS, METHOD_LABELS

    return {METHOD_LABELS[m] for m in CLASSICAL_DENOISERS}


def benchmark(fm, profile, *, log=print) -> list[dict]:
    """Train the photo denoiser and measure it on the held-out photos against the tuned classical denoisers.

    Args:
        fm: ``data.FashionMNIST`` (unused: the photo denoiser learns from photographs; the
            argument keeps the benchmark tasks' signature).
        profile: the run profile (full-size photos when it has the full data, 96-pixel crops without).
        log: progress lines.

    Returns:
        The rows of :func:`summarise` (task ``denoise_photos``, with the model's training seconds),
        then one row per photo at each light level (task ``denoise_photos_light``).
    """
    del fm
    settings = photo_denoise_settings(profile)
    run = train_photo_denoiser(profile, verbose=0, log=log)
    tuned = {}
    for sigma in PHOTO_SIGMAS:
        if sigma > 0:
            start = time.perf_counter()
            tuned[sigma] = tune_photo_denoisers(sigma, crops=settings["tune_crops"])
            log(f"photo denoisers, sigma {sigma}: tuned in {time.perf_counter() - start:.0f} s")
    label = "DnCNN (photos)"
    rows, _ = evaluate_held_out({label: run}, tuned, sigmas=PHOTO_SIGMAS, names=HELD_OUT_PHOTOS,
                                size=settings["eval_size"])
    out = [dict(task="denoise_photos", train_seconds=round(run.seconds, 1) if r["method"] == label else None, **r)
           for r in summarise(rows)]
    out += [dict(task="denoise_photos_light", photo=r["photo"], own_noise=r["own_noise"], sigma=r["sigma"],
                 noisy=r["noisy"], dncnn=r[label], gain_db=r[label] - r["noisy"], told_sigma=r[label + GIVEN],
                 told_gain_db=r[label + GIVEN] - r["noisy"]) for r in rows if r["sigma"] in LIGHT_SIGMAS]
    return out
