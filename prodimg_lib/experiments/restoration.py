"""Restoration experiments of notebook 10: denoising and defect repair, learned models against classical methods.

Two tasks on Fashion-MNIST product images, in the models' range [-1, 1]:

- **denoising**: white Gaussian noise of standard deviation sigma grey levels out of 255
  (:func:`prodimg_lib.data.degrade.add_gaussian_noise`, clipped to the valid range as a saved
  image would be), at sigma = 15, 25 and 50. A DnCNN-style residual denoiser
  (:func:`prodimg_lib.enhancement.models.restore.build_dncnn`) is trained *blind*, on a different
  noise level in every image (:data:`TRAIN_SIGMA_RANGE`, 0 to 55: DnCNN-B), and measured at all
  three levels with the same weights; it is compared with
  total variation, the bilateral filter and non-local means, each with its parameters tuned
  for each noise level on held-out images (:func:`prodimg_lib.experiments.tuning.tune`,
  :data:`prodimg_lib.experiments.tuning.DENOISE_GRIDS`).
- **defect repair** (inpainting): scratches, blotches and missing blocks
  (:func:`prodimg_lib.data.degrade.defect_masks`, painted white) are filled by the mask-aware U-Net
  (:func:`prodimg_lib.enhancement.models.restore.build_inpainting_unet`) and by biharmonic inpainting
  (:func:`prodimg_lib.enhancement.classical.inpaint_biharmonic`), and measured inside the damaged region as
  well as over the whole image. Every test mask touches the product: a mask that falls
  wholly on the black background (which both methods repair exactly, an infinite PSNR) is
  redrawn (:func:`defect_pairs`).

The functions:

- :func:`restore_settings`: the training settings of a run profile;
- :func:`split_held_out`: the last training images held out for validation and tuning, and
  :func:`load_splits`: the (fit, held-out, test) images of a run profile;
- :func:`noisy_pairs`, :func:`defect_pairs`: (damaged, clean[, mask]) pairs;
- :func:`train_denoiser`, :func:`train_inpainter`: build and train the two models;
- :func:`denoise`, :func:`inpaint`: run them;
- :func:`tune_denoisers`: tune the classical denoisers on held-out images;
- :func:`evaluate_denoising`, :func:`evaluate_inpainting`: every method on the test images;
- :func:`benchmark`: all of it, as ``python -m benchmarks enhance --tasks restoration`` runs it;
- the reference answers that the exercise checkers of notebook 10
  (:mod:`prodimg_lib.course.exercises.restoration`) compare with: :func:`noise_psnr` and
  :func:`composite` (the masked-PSNR exercise is checked against
  :func:`prodimg_lib.evaluation.image_quality.psnr` with a mask).
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from prodimg_lib.experiments import tuning
from prodimg_lib.experiments.common import (
    TrainedRun, describe_params, model_images, model_of, split_held_out, train_run,
)

__all__ = [
    "SIGMAS",
    "TARGET_SIGMA",
    "TRAIN_SIGMA_RANGE",
    "TARGET_GAIN_DB",
    "CLASSICAL_DENOISERS",
    "METHOD_LABELS",
    "DEFECT_FILL",
    "RestoreRun",
    "check_sigma",
    "restore_settings",
    "split_held_out",
    "describe_params",
    "load_splits",
    "noisy_pairs",
    "defect_pairs",
    "train_denoiser",
    "train_inpainter",
    "denoise",
    "inpaint",
    "tune_denoisers",
    "evaluate_denoising",
    "evaluate_inpainting",
    "benchmark",
    "noise_psnr",
    "composite",
]

# Noise levels (standard deviation on the 0-255 scale) the notebook and the benchmark measure.
SIGMAS = (15, 25, 50)
# The noise level of the benchmark's target gain, and of the saved "denoise" model's headline number.
TARGET_SIGMA = 25
# The blind denoisers (DnCNN-B) are trained on noise levels drawn uniformly from this range (0-255
# scale), one per image: the range of the paper's blind model, a little beyond the highest level measured.
TRAIN_SIGMA_RANGE = (0.0, 55.0)
# The benchmark's target gains, in dB: DnCNN over the best tuned classical denoiser at sigma 25 (whole
# image), and the U-Net over biharmonic inpainting inside the damaged region.
TARGET_GAIN_DB = {"denoise": 4.0, "inpaint": 3.0}
# The classical denoisers compared (names of prodimg_lib.enhancement.classical functions), and how tables name them.
CLASSICAL_DENOISERS = ("denoise_tv", "denoise_bilateral", "denoise_nl_means")
METHOD_LABELS = {
    "noisy": "noisy input",
    "denoise_tv": "total variation",
    "denoise_bilateral": "bilateral",
    "denoise_nl_means": "non-local means",
    "dncnn": "DnCNN (learned)",
    "damaged": "damaged input",
    "biharmonic": "biharmonic",
    "unet": "inpainting U-Net (learned)",
}
# Damaged pixels are painted white, like scratches and stains on a print.
DEFECT_FILL = 1.0


# --- settings and data ----------------------------------------------------------------------------


def restore_settings(profile, task: str) -> dict:
    """The training and evaluation settings of one restoration model under a run profile.

    - "denoise": DnCNN of ``width = profile.width`` (cpu 32) and depth 8 without batch
      normalisation (depth 17 with batch normalisation, as in the paper, from width 64 up),
      trained blind, on noise levels drawn from :data:`TRAIN_SIGMA_RANGE`; ``profile.restore_epochs``
      epochs; Adam at 3e-3 with cosine decay, batches of 64, MSE loss (what PSNR measures).
    - "inpaint": the mask-aware U-Net of width ``profile.width // 2`` (cpu 16; at least 8),
      one and a half times ``profile.restore_epochs`` (rounded; its steps are cheaper),
      Adam at 2e-3 with cosine decay, batches of 64, MSE loss.

    Both also carry ``tune_images`` (held-out images that tune each classical denoiser: 200
    with the full data) and ``test_images`` (how many of the first test images are used:
    None, all of them, with the full data; 100 on the committed sample).

    Args:
        profile: a :class:`prodimg_lib.course.profiles.Profile`.
        task: "denoise" or "inpaint".

    Returns:
        A dict of settings.
    """
    if task not in ("denoise", "inpaint"):
        raise ValueError(f"task must be 'denoise' or 'inpaint', got {task!r}")
    epochs = max(1, int(profile.restore_epochs))
    common = dict(task=task, batch_size=64, loss="mse", tune_images=200 if profile.full_data else 16,
                  test_images=None if profile.full_data else 100)
    if task == "denoise":
        deep = profile.width >= 64
        return dict(common, architecture="dncnn", epochs=epochs, learning_rate=3e-3, width=int(profile.width),
                    depth=17 if deep else 8, batch_norm=deep, sigma=TRAIN_SIGMA_RANGE)
    return dict(common, architecture="inpainting_unet", epochs=max(1, int(round(1.5 * epochs))), learning_rate=2e-3,
                width=max(8, int(profile.width) // 2))


def load_splits(fm, profile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The images a run profile trains, tunes and tests on, as float32 (N, 28, 28, 1) in [-1, 1].

    - fit: the training images without the held-out ones (at most ``profile.max_train_images``);
    - held: the last 500 training images (:func:`split_held_out`): the models' validation loss
      and the tuning of the classical denoisers;
    - test: the first ``restore_settings(profile, ...)["test_images"]`` test images (all 10,000
      with the full data).

    Args:
        fm: Fashion-MNIST (``data.FashionMNIST``, uint8), from ``data.load_for_profile(profile)``.
        profile: a :class:`prodimg_lib.course.profiles.Profile`.

    Returns:
        ``(fit, held, test)``.
    """
    fit, held = split_held_out(model_images(fm.x_train, "x_train"))
    if profile.max_train_images is not None:
        fit = fit[: int(profile.max_train_images)]
    test = model_images(fm.x_test, "x_test")[: restore_settings(profile, "denoise")["test_images"]]
    return fit, held, test


def check_sigma(sigma):
    """A noise level (a number >= 0) or a range (low, high) with 0 <= low <= high, on the 0-255 scale."""
    if isinstance(sigma, (tuple, list)):
        if len(sigma) != 2:
            raise ValueError(f"a sigma range must be a pair (low, high), got {sigma!r}")
        low, high = (check_sigma(s) for s in sigma)
        if low > high:
            raise ValueError(f"a sigma range needs low <= high, got {sigma!r}")
        return (low, high)
    if isinstance(sigma, bool) or not isinstance(sigma, numbers.Real) or not np.isfinite(sigma) or sigma < 0:
        raise ValueError(f"sigma must be a number >= 0 (grey levels out of 255) or a range (low, high), got {sigma!r}")
    return float(sigma)


def noisy_pairs(clean, sigma=TARGET_SIGMA, *, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """(noisy, clean) pairs: white Gaussian noise of ``sigma`` grey levels out of 255, clipped to [-1, 1].

    Args:
        clean: uint8 (N, 28, 28) pixels or float (N, H, W, C) in [-1, 1].
        sigma: one noise level (e.g. 25), or a range ``(low, high)``: each image then gets its own
            level drawn uniformly from it (the training data of a blind denoiser).
        seed: int or ``numpy.random.Generator`` (the same int gives the same noise).

    Returns:
        ``(noisy, clean)``, float32 (N, H, W, C) in [-1, 1].
    """
    from prodimg_lib.data import degrade

    clean = model_images(clean, "clean")
    sigma = check_sigma(sigma)
    rng = degrade.as_rng(seed)
    if isinstance(sigma, tuple):
        sigma = rng.uniform(sigma[0], sigma[1], len(clean))
    return degrade.add_gaussian_noise(clean, sigma, seed=rng), clean


def _touches_product(clean: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per image: does the mask cover at least one pixel brighter than the black background?"""
    return np.any(masks & (clean > -1.0 + 1e-6), axis=(1, 2, 3))


def defect_pairs(clean, *, seed=0, kind: str = "mixed", touch_product: bool = True):
    """(damaged, clean, mask) triples: random defect masks (:func:`degrade.defect_masks`) painted white.

    Args:
        clean: uint8 (N, 28, 28) pixels or float (N, H, W, C) in [-1, 1].
        seed: int or ``numpy.random.Generator``.
        kind: "scratches", "blotches", "blocks" or "mixed".
        touch_product: redraw (up to 100 times) each mask that falls wholly on the black
            background. Such a defect is repaired exactly by any method (every neighbour is
            black), which gives an infinite PSNR and says nothing; the test pairs use True,
            training may use either.

    Returns:
        ``(damaged, clean, masks)``: float32 (N, H, W, C) in [-1, 1] twice, and bool (N, H, W, 1),
        True where damaged.
    """
    from prodimg_lib.data import degrade

    clean = model_images(clean, "clean")
    rng = degrade.as_rng(seed)
    shape = clean.shape[1:3]
    masks = degrade.defect_masks(len(clean), shape, kind, seed=rng)
    if touch_product:
        for _ in range(100):
            missing = np.flatnonzero(~_touches_product(clean, masks))
            if not len(missing):
                break
            masks[missing] = degrade.defect_masks(len(missing), shape, kind, seed=rng)
    return degrade.apply_defects(clean, masks, fill=DEFECT_FILL), clean, masks


# --- training ---------------------------------------------------------------------------------------


@dataclass
class RestoreRun(TrainedRun):
    """A trained restoration model: noisy (N, H, W, 1) -> clean, or [damaged, mask] -> repaired. Fields: :class:`~prodimg_lib.experiments.common.TrainedRun`."""

    @property
    def name(self) -> str:
        return METHOD_LABELS["dncnn" if self.settings["task"] == "denoise" else "unet"]


def train_denoiser(clean_train, profile, *, sigma=None, validation=None, verbose: int | str = 2, seed: int = 0,
                   log: Callable[[str], None] | None = print, callbacks=None) -> RestoreRun:
    """Build the DnCNN of :func:`restore_settings` and train it on (noisy, clean) pairs.

    Args:
        clean_train: the clean training images, uint8 (N, 28, 28) or float (N, H, W, 1) in [-1, 1]
            (use :func:`split_held_out` first); at least one batch of 64.
        profile: the run profile (epochs and width).
        sigma: the training noise: None for the settings' range (:data:`TRAIN_SIGMA_RANGE`: a
            *blind* denoiser that sees a different level in every image), another range
            ``(low, high)``, or one level (e.g. 25) for a denoiser of that level only.
        validation: clean held-out images; their noisy versions (at sigma 25) give a validation
            loss per epoch. None for none.
        verbose: Keras ``fit`` verbosity (2: one line per epoch; 0: silent).
        seed: seeds the noise, the weights and the shuffling.
        log: called with one line when training is done (None: silent).
        callbacks: extra Keras callbacks (e.g. a :class:`prodimg_lib.course.budget.TimeBudget`).

    Returns:
        :class:`RestoreRun`.
    """
    import keras

    from prodimg_lib.enhancement.models.restore import build_dncnn

    settings = restore_settings(profile, "denoise")
    if sigma is not None:
        settings["sigma"] = check_sigma(sigma)
    noisy, clean = noisy_pairs(clean_train, settings["sigma"], seed=seed)
    if clean.shape[-1] != 1:
        raise ValueError(f"the course's denoiser is grayscale: got {clean.shape[-1]} channels")
    val = None if validation is None else noisy_pairs(validation, TARGET_SIGMA, seed=seed + 1)
    keras.utils.set_random_seed(seed)
    model = build_dncnn(1, settings["width"], settings["depth"], batch_norm=settings["batch_norm"])
    return train_run(RestoreRun, model, settings, noisy, clean, validation=val, verbose=verbose, seed=seed, log=log,
                     jit_compile=profile.jit_compile, callbacks=callbacks)


def train_inpainter(clean_train, profile, *, validation=None, verbose: int | str = 2, seed: int = 0,
                    log: Callable[[str], None] | None = print, callbacks=None) -> RestoreRun:
    """Build the inpainting U-Net of :func:`restore_settings` and train it on (damaged, mask) -> clean.

    Training masks come from :func:`defect_pairs` (mixed defects, 5 to 20 % of each image,
    painted white); the loss is the MSE over the whole image, but the model's composite output
    keeps the known pixels exactly, so only the damaged pixels carry an error to learn from.

    Args:
        clean_train: clean training images (see :func:`train_denoiser`).
        profile: the run profile.
        validation: clean held-out images (damaged with fresh masks) for a validation loss, or None.
        verbose, seed, log: as in :func:`train_denoiser`.
        callbacks: extra Keras callbacks (e.g. a :class:`prodimg_lib.course.budget.TimeBudget`).

    Returns:
        :class:`RestoreRun`.
    """
    import keras

    from prodimg_lib.enhancement.models.restore import build_inpainting_unet

    settings = restore_settings(profile, "inpaint")
    damaged, clean, masks = defect_pairs(clean_train, seed=seed, touch_product=False)
    if clean.shape[-1] != 1:
        raise ValueError(f"the course's inpainting model is grayscale: got {clean.shape[-1]} channels")
    val = None
    if validation is not None:
        v_damaged, v_clean, v_masks = defect_pairs(validation, seed=seed + 1)
        val = ([v_damaged, v_masks.astype(np.float32)], v_clean)
    keras.utils.set_random_seed(seed)
    model = build_inpainting_unet(1, settings["width"])
    return train_run(RestoreRun, model, settings, [damaged, masks.astype(np.float32)], clean, validation=val,
                     verbose=verbose, seed=seed, log=log, jit_compile=profile.jit_compile, callbacks=callbacks)


def denoise(model, noisy, batch_size: int = 500) -> np.ndarray:
    """Denoise (N, H, W, 1) images in [-1, 1] with a trained denoiser (a model or a :class:`RestoreRun`)."""
    model = model_of(model)
    noisy = model_images(noisy, "noisy")
    return np.clip(np.asarray(model.predict(noisy, batch_size=batch_size, verbose=0)), -1.0, 1.0).astype(np.float32)


def inpaint(model, damaged, masks, batch_size: int = 500) -> np.ndarray:
    """Repair damaged images with the inpainting U-Net: (N, H, W, 1) and bool masks (N, H, W, 1) -> (N, H, W, 1)."""
    from prodimg_lib.data.pixels import as_masks

    model = model_of(model)
    damaged = model_images(damaged, "damaged")
    masks = as_masks(masks, like=damaged).astype(np.float32)
    out = model.predict([damaged, masks], batch_size=batch_size, verbose=0)
    return np.clip(np.asarray(out), -1.0, 1.0).astype(np.float32)


# --- classical baselines and evaluation -----------------------------------------------------------


def tune_denoisers(clean_held, sigma=TARGET_SIGMA, *, n_images: int | None = 200, seed: int = 1,
                   methods=CLASSICAL_DENOISERS, grids=None) -> dict:
    """Tune each classical denoiser for one noise level on held-out images (never the test images).

    Args:
        clean_held: clean held-out images (uint8 or float in [-1, 1]).
        sigma: the noise level on the 0-255 scale.
        n_images: use the first ``n_images`` of them (None: all).
        seed: seeds the noise added to them.
        methods: names of :mod:`prodimg_lib.enhancement.classical` denoisers.
        grids: ``{method: grid}`` (default :data:`prodimg_lib.experiments.tuning.DENOISE_GRIDS`).

    Returns:
        ``{method: TuneResult}`` (best parameters, their PSNR on the held-out images, every grid point).
    """
    clean = model_images(clean_held, "clean_held")
    if n_images is not None:
        clean = clean[: int(n_images)]
    noisy, clean = noisy_pairs(clean, check_sigma(sigma), seed=seed)
    grids = tuning.DENOISE_GRIDS if grids is None else grids
    unknown = [m for m in methods if m not in grids]
    if unknown:
        raise ValueError(f"no tuning grid for {unknown}; known: {', '.join(grids)}")
    return {method: tuning.tune(method, noisy, clean, grids[method]) for method in methods}


def _row(task: str, method: str, clean, estimate, seconds: float, mask=None, **extra) -> dict:
    from prodimg_lib.evaluation import image_quality

    row = dict(task=task, method=method, psnr=image_quality.psnr(clean, estimate), ssim=image_quality.ssim(clean, estimate))
    if mask is not None:
        row.update(psnr_mask=image_quality.psnr(clean, estimate, mask), ssim_mask=image_quality.ssim(clean, estimate, mask))
    row["seconds"] = seconds
    row.update(extra)
    return row


def evaluate_denoising(model, tuned: dict, clean_test, sigma=TARGET_SIGMA, *, seed: int = 2,
                       target_db: float | None = None) -> tuple[list[dict], dict]:
    """Every denoiser on the test images at one noise level: PSNR, SSIM and seconds.

    Args:
        model: the trained denoiser (a model or :class:`RestoreRun`), or None to leave it out.
        tuned: ``{method: TuneResult}`` from :func:`tune_denoisers` at this ``sigma``.
        clean_test: clean test images (uint8 or float in [-1, 1]).
        sigma: the noise level on the 0-255 scale.
        seed: seeds the test noise (the same for every method).
        target_db: the PSNR gain the learned model should reach over the best classical
            denoiser (written to its row), or None.

    Returns:
        ``(rows, outputs)``: one dict per method (task, method, psnr, ssim, seconds, params; on the
        learned model's row also gain_db, the PSNR above the best classical method, and target_db),
        noisy input first; ``outputs`` maps "noisy", "clean", each method name and "dncnn" to the images.
    """
    sigma = check_sigma(sigma)
    noisy, clean = noisy_pairs(clean_test, sigma, seed=seed)
    task = f"denoise sigma {sigma:g}"
    rows = [_row(task, METHOD_LABELS["noisy"], clean, noisy, 0.0)]
    outputs = {"noisy": noisy, "clean": clean}
    for method, result in tuned.items():
        start = time.perf_counter()
        out = tuning.METHODS[method](noisy, **result.params)
        seconds = time.perf_counter() - start
        outputs[method] = out
        rows.append(_row(task, f"{METHOD_LABELS.get(method, method)} ({describe_params(result.params)})", clean, out, seconds))
    if model is not None:
        start = time.perf_counter()
        out = denoise(model, noisy)
        seconds = time.perf_counter() - start
        outputs["dncnn"] = out
        best = max((r["psnr"] for r in rows[1:]), default=rows[0]["psnr"])
        row = _row(task, METHOD_LABELS["dncnn"], clean, out, seconds)
        row["gain_db"] = row["psnr"] - best
        if target_db is not None:
            row["target_db"] = float(target_db)
        rows.append(row)
    return rows, outputs


def evaluate_inpainting(model, clean_test, *, seed: int = 3, target_db: float | None = TARGET_GAIN_DB["inpaint"]
                        ) -> tuple[list[dict], dict]:
    """Defect repair on the test images: the damaged input, biharmonic inpainting and the U-Net.

    Each test image gets one mixed defect mask that touches the product (:func:`defect_pairs`).
    PSNR and SSIM are measured over the whole image and inside the damaged region (``psnr_mask``,
    ``ssim_mask``; :func:`prodimg_lib.evaluation.image_quality.psnr` with a mask).

    Args:
        model: the trained inpainting U-Net (model or :class:`RestoreRun`), or None to leave it out.
        clean_test: clean test images.
        seed: seeds the masks.
        target_db: the masked-region PSNR gain the U-Net should reach over biharmonic inpainting.

    Returns:
        ``(rows, outputs)`` as :func:`evaluate_denoising`; the U-Net's row has gain_db (inside the
        mask, over biharmonic) and target_db; ``outputs`` holds "damaged", "clean", "masks",
        "biharmonic" and "unet".
    """
    from prodimg_lib.enhancement import classical

    damaged, clean, masks = defect_pairs(clean_test, seed=seed)
    task = "inpaint"
    rows = [_row(task, METHOD_LABELS["damaged"], clean, damaged, 0.0, masks)]
    outputs = {"damaged": damaged, "clean": clean, "masks": masks}
    start = time.perf_counter()
    out = classical.inpaint_biharmonic(damaged, masks)
    rows.append(_row(task, METHOD_LABELS["biharmonic"], clean, out, time.perf_counter() - start, masks))
    outputs["biharmonic"] = out
    if model is not None:
        start = time.perf_counter()
        out = inpaint(model, damaged, masks)
        row = _row(task, METHOD_LABELS["unet"], clean, out, time.perf_counter() - start, masks)
        row["gain_db"] = row["psnr_mask"] - rows[1]["psnr_mask"]
        if target_db is not None:
            row["target_db"] = float(target_db)
        rows.append(row)
        outputs["unet"] = out
    return rows, outputs


def benchmark(fm, profile, *, log=print, sigmas=SIGMAS) -> list[dict]:
    """Train both restoration models with ``profile``'s settings and measure every method on the test set.

    The last 500 training images are held out (validation loss, and tuning of the classical
    denoisers on the first 200 of them); the models train on the rest. Test images: all of
    Fashion-MNIST's test set from the ``cpu`` profile up (the first 100 under ``smoke``).

    Args:
        fm: Fashion-MNIST (``data.FashionMNIST``, uint8).
        profile: a :class:`prodimg_lib.course.profiles.Profile`.
        log: progress lines.
        sigmas: the noise levels to measure.

    Returns:
        One dict per (task, method): task, method, psnr, ssim, seconds (psnr_mask and ssim_mask
        for inpainting; gain_db and target_db on the learned models' rows; train_seconds there too).
    """
    settings = restore_settings(profile, "denoise")
    fit, held, test = load_splits(fm, profile)
    log(f"restoration: {len(fit):,} training, {len(held):,} held-out, {len(test):,} test images; profile {profile.name}")
    rows = []
    denoiser = train_denoiser(fit, profile, validation=held, verbose=0, log=log)
    for sigma in sigmas:
        start = time.perf_counter()
        tuned = tune_denoisers(held, sigma, n_images=settings["tune_images"])
        log(f"sigma {sigma}: tuned the classical denoisers in {time.perf_counter() - start:.0f} s: "
            + "; ".join(f"{METHOD_LABELS[m]} {describe_params(r.params)} ({r.psnr:.2f} dB)" for m, r in tuned.items()))
        target = TARGET_GAIN_DB["denoise"] if sigma == TARGET_SIGMA else None
        sigma_rows, _ = evaluate_denoising(denoiser, tuned, test, sigma, target_db=target)
        sigma_rows[-1]["train_seconds"] = denoiser.seconds
        rows += sigma_rows
    inpainter = train_inpainter(fit, profile, validation=held, verbose=0, log=log)
    inpaint_rows, _ = evaluate_inpainting(inpainter, test)
    inpaint_rows[-1]["train_seconds"] = inpainter.seconds
    rows += inpaint_rows
    for row in rows:
        if "gain_db" in row:
            target = row.get("target_db")
            verdict = "" if target is None else (" (target met)" if row["gain_db"] >= target else " (target MISSED)")
            log(f"{row['task']}: {row['method']} gains {row['gain_db']:+.2f} dB"
                + (f", target +{target:.1f} dB{verdict}" if target is not None else ""))
    return rows


# --- exercises ----------------------------------------------------------------------------------------


def noise_psnr(sigma):
    """The PSNR in dB of an image carrying unclipped white noise of std ``sigma`` (0-255 scale): 20 log10(255 / sigma).

    The MSE of such noise is its variance, sigma² (in [-1, 1] units: (2 sigma / 255)²), whatever the image.
    """
    from prodimg_lib.data.degrade import sigma_to_model_units
    from prodimg_lib.evaluation.image_quality import psnr_from_mse

    return psnr_from_mse(np.square(sigma_to_model_units(np.asarray(sigma, dtype=np.float64))))


def composite(damaged, prediction, mask):
    """The inpainting composite: known pixels from ``damaged``, damaged ones (mask 1) from ``prediction``."""
    mask = np.asarray(mask, np.float32)
    return np.asarray(damaged) * (1.0 - mask) + np.asarray(prediction) * mask


