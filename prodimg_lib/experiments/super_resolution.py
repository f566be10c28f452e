"""Super-resolution experiments of notebook 09: train x2 and x4 models, measure them against classical upscaling.

The task: enlarge a product image by r = 2 or 4. The low-resolution (LR) input is made from
a clean high-resolution (HR) image by area averaging (:func:`prodimg_lib.data.degrade.downscale`):
28 x 28 Fashion-MNIST images become 14 x 14 (x2) or 7 x 7 (x4), and a model must give the
28 x 28 image back. Everything here works on images in the models' range [-1, 1].

- :func:`sr_settings`: the training settings of a run profile (epochs, width, learning rate);
- :func:`split_held_out`: the last training images held out for validation and tuning;
- :func:`make_pairs`: (LR, HR) pairs from clean images;
- :func:`train_sr`: build and train an ESPCN or EDSR-style model (:mod:`prodimg_lib.enhancement.models.sr`);
- :func:`super_resolve`: run a grayscale model on (N, h, w, 1) images;
- :func:`tune_sharpening`: the strongest classical baseline, bicubic + unsharp mask, tuned on
  held-out images;
- :func:`evaluate_factor`: every method on the test images (PSNR, SSIM, seconds);
- :func:`benchmark`: all of it, as ``python -m benchmarks enhance --tasks super_resolution`` runs it;
- the models for photographs are :mod:`.sr_photos` (trained on photos, measured on held-out ones);
- the reference answers that the exercise checkers of notebook 09
  (:mod:`prodimg_lib.course.exercises.super_resolution`) compare with: :func:`pixel_shuffle` and
  :func:`espcn_trainable_parameters` (the PSNR exercise is checked against
  :func:`prodimg_lib.evaluation.image_quality.psnr`).

Measured with the ``cpu`` profile (full Fashion-MNIST, 59,500 training images, all 10,000
test images, 2 CPU cores; ``python -m benchmarks enhance --tasks super_resolution``):

============  =========  =========  =================  =========  ===================
factor        bicubic    Lanczos    bicubic + unsharp  ESPCN      EDSR (training time)
============  =========  =========  =================  =========  ===================
x2            19.31 dB   19.46 dB   19.78 dB           24.20 dB   25.18 dB (83 s)
x4            16.03 dB   16.13 dB   16.36 dB           20.00 dB   20.98 dB (93 s)
============  =========  =========  =================  =========  ===================

On photographs these models lose to bicubic (per channel, on the held-out photos of
:mod:`.sr_photos`); the photo models of :mod:`.sr_photos` are trained for them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from prodimg_lib.data.pixels import check_positive_int
from prodimg_lib.experiments import tuning
from prodimg_lib.experiments.common import TrainedRun, model_images, model_of, split_held_out, train_run

__all__ = [
    "FACTORS",
    "ARCHITECTURES",
    "CLASSICAL_METHODS",
    "TARGET_GAIN_DB",
    "SHARPEN_GRID",
    "SRRun",
    "sr_settings",
    "split_held_out",
    "make_pairs",
    "build_sr",
    "train_sr",
    "super_resolve",
    "tune_sharpening",
    "evaluate",
    "evaluate_factor",
    "benchmark",
    "pixel_shuffle",
]

FACTORS = (2, 4)
ARCHITECTURES = ("espcn", "edsr")
# The classical upscalers compared (names of prodimg_lib.enhancement.classical.upscale methods).
CLASSICAL_METHODS = ("nearest", "bicubic", "lanczos")
# The benchmark's targets: PSNR gain of the learned (EDSR) model over bicubic on the test set, in dB.
TARGET_GAIN_DB = {2: 5.0, 4: 4.0}
# Unsharp-mask settings tried on top of bicubic (radius in HR pixels, amount).
SHARPEN_GRID = {"radius": [0.5, 1.0, 1.5, 2.0, 3.0], "amount": [0.25, 0.5, 0.75, 1.0, 1.5, 2.0]}
# The training batch size and peak learning rate of the super-resolution models (Adam, cosine decay).
BATCH_SIZE = 64
LEARNING_RATE = 2e-3


def _factor(factor) -> int:
    if isinstance(factor, bool) or factor not in FACTORS:
        raise ValueError(f"factor must be one of {', '.join(map(str, FACTORS))}, got {factor!r}")
    return int(factor)


def _architecture(architecture) -> str:
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)}, got {architecture!r}")
    return str(architecture)


def sr_settings(profile, factor: int, architecture: str = "edsr") -> dict:
    """The training settings of one super-resolution model under a run profile.

    - epochs: ``profile.sr_epochs`` for x2; one and a half times as many (rounded) for x4,
      whose steps are cheaper (the body runs on 7 x 7 instead of 14 x 14 images);
    - EDSR: ``width = profile.width`` (cpu 32), 4 residual blocks (8 from width 64 up);
    - ESPCN: ``width = 2 * profile.width`` (cpu 64; it has only three convolutions);
    - Adam at 2e-3 with cosine decay, batches of 64, MSE loss (what PSNR measures).

    Args:
        profile: a :class:`prodimg_lib.course.profiles.Profile`.
        factor: 2 or 4.
        architecture: "edsr" or "espcn".

    Returns:
        A dict with architecture, factor, epochs, batch_size, learning_rate, width (and blocks for EDSR).
    """
    factor, architecture = _factor(factor), _architecture(architecture)
    epochs = int(profile.sr_epochs) if factor == 2 else max(1, int(round(1.5 * profile.sr_epochs)))
    settings = dict(architecture=architecture, factor=factor, epochs=epochs, batch_size=BATCH_SIZE,
                    learning_rate=LEARNING_RATE)
    if architecture == "edsr":
        settings.update(width=int(profile.width), blocks=4 if profile.width < 64 else 8)
    else:
        settings.update(width=2 * int(profile.width))
    return settings


def make_pairs(clean, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """(low-resolution, clean) pairs: ``degrade.downscale(clean, factor)`` and the clean images.

    Args:
        clean: uint8 (N, 28, 28) Fashion-MNIST pixels or float (N, H, W, C) in [-1, 1];
            H and W divisible by ``factor``.
        factor: 2 or 4.

    Returns:
        ``(low, clean)``: float32 (N, H / factor, W / factor, C) and (N, H, W, C) in [-1, 1].
    """
    from prodimg_lib.data import degrade

    factor = _factor(factor)
    clean = model_images(clean, "clean")
    return degrade.downscale(clean, factor), clean


def build_sr(settings: dict, channels: int = 1):
    """The (untrained) model that ``settings`` (from :func:`sr_settings`) describe."""
    from prodimg_lib.enhancement.models import sr

    if settings["architecture"] == "edsr":
        return sr.build_edsr(settings["factor"], channels, width=settings["width"], blocks=settings["blocks"])
    return sr.build_espcn(settings["factor"], channels, width=settings["width"])


@dataclass
class SRRun(TrainedRun):
    """A trained super-resolution model: (N, h, w, 1) -> (N, factor h, factor w, 1). Fields: :class:`~prodimg_lib.experiments.common.TrainedRun`."""

    @property
    def name(self) -> str:
        photos = " (photos)" if self.settings.get("data") == "photos" else ""
        return f"{self.settings['architecture'].upper()} x{self.settings['factor']}{photos}"


def train_sr(clean_train, factor: int, architecture: str, profile, *, validation=None, verbose: int | str = 2,
             seed: int = 0, log: Callable[[str], None] | None = print, callbacks=None) -> SRRun:
    """Build a super-resolution model with :func:`sr_settings` and train it on (downscaled, clean) pairs.

    Args:
        clean_train: the clean training images, uint8 (N, 28, 28) or float (N, H, W, 1) in [-1, 1]
            (use :func:`split_held_out` first); at least one batch of 64.
        factor: 2 or 4.
        architecture: "edsr" or "espcn".
        profile: the run profile (epochs and widths, see :func:`sr_settings`).
        validation: clean held-out images for a validation loss per epoch, or None.
        verbose: Keras ``fit`` verbosity (2: one line per epoch; 0: silent).
        seed: seeds the weights and the shuffling.
        log: called with one line when training is done (None: silent).
        callbacks: extra Keras callbacks (e.g. a :class:`prodimg_lib.course.budget.TimeBudget`).

    Returns:
        :class:`SRRun`.
    """
    import keras

    settings = sr_settings(profile, factor, architecture)
    low, clean = make_pairs(clean_train, factor)
    if clean.shape[-1] != 1:
        raise ValueError(f"the course's super-resolution models are grayscale: got {clean.shape[-1]} channels "
                         "(apply a grayscale model to colour photos with prodimg_lib.enhancement.photo.enhance_image)")
    val = None if validation is None else make_pairs(validation, factor)
    keras.utils.set_random_seed(seed)
    return train_run(SRRun, build_sr(settings), settings, low, clean, validation=val, verbose=verbose, seed=seed,
                     log=log, jit_compile=profile.jit_compile, callbacks=callbacks)


def super_resolve(model, low, batch_size: int = 256) -> np.ndarray:
    """Enlarge grayscale images with a trained model: (N, h, w, 1) in [-1, 1] -> (N, r h, r w, 1) in [-1, 1].

    Args:
        model: a ``keras.Model`` from :func:`train_sr` (or the :class:`SRRun` itself).
        low: float (N, h, w, 1) in [-1, 1] (any h and w: the models are fully convolutional).
        batch_size: images per prediction batch.

    Returns:
        float32 (N, r h, r w, 1), clipped to [-1, 1].
    """
    model = model_of(model)
    low = model_images(low, "low")
    channels = model.input_shape[-1]
    if low.shape[-1] != channels:
        raise ValueError(f"the model takes {channels} channel(s), got images of shape {low.shape}"
                         + ("; for colour photos use prodimg_lib.enhancement.photo.enhance_image"
                            if low.shape[-1] == 3 else ""))
    import keras

    # Direct calls in batches rather than ``predict``: ``predict`` compiles a graph for every
    # new input size, and this function sees many (7 x 7, 14 x 14, photos of any size).
    batch_size = max(1, int(batch_size))
    parts = [keras.ops.convert_to_numpy(model(low[i:i + batch_size], training=False))
             for i in range(0, len(low), batch_size)]
    out = np.concatenate(parts) if parts else np.zeros((0, *model.compute_output_shape((1, *low.shape[1:]))[1:]))
    return np.clip(np.asarray(out, dtype=np.float32), -1.0, 1.0)


def tune_sharpening(low_held, clean_held, factor: int):
    """Bicubic followed by an unsharp mask, radius and amount tuned on held-out images for the best PSNR.

    Returns:
        :class:`prodimg_lib.experiments.tuning.TuneResult` (params, held-out PSNR, every grid point).
    """
    from prodimg_lib.enhancement import classical

    factor = _factor(factor)
    bicubic = classical.upscale(low_held, factor, "bicubic")
    return tuning.tune("unsharp_mask", bicubic, clean_held, SHARPEN_GRID)


def evaluate(clean, estimate) -> dict:
    """PSNR (dB) and SSIM of estimates against the clean images, per image and averaged.

    Returns:
        ``{"psnr": mean, "ssim": mean, "psnr_per_image": (N,), "ssim_per_image": (N,)}``.
    """
    from prodimg_lib.evaluation import image_quality

    p = image_quality.psnr(clean, estimate, reduction="none")
    s = image_quality.ssim(clean, estimate, reduction="none")
    return {"psnr": float(np.mean(p)), "ssim": float(np.mean(s)), "psnr_per_image": p, "ssim_per_image": s}


def evaluate_factor(clean_test, factor: int, runs=(), *, sharpen_params: dict | None = None,
                    log: Callable[[str], None] | None = None) -> tuple[list[dict], dict]:
    """Every method on the test images at one factor: classical upscalers, tuned sharpening, learned models.

    Args:
        clean_test: clean test images, uint8 (N, 28, 28) or float (N, H, W, 1) in [-1, 1].
        factor: 2 or 4.
        runs: trained :class:`SRRun` of this factor (their rows get ``gain_db`` over bicubic;
            the EDSR row also ``target_db``, the benchmark's target gain).
        sharpen_params: the tuned unsharp mask (:func:`tune_sharpening`), or None to leave that row out.
        log: progress lines (None: silent).

    Returns:
        ``(rows, outputs)``: one dict per method (method, psnr, ssim, seconds; learned models
        also train_seconds, gain_db) and ``{method: (N, H, W, 1) outputs}`` plus "low" and
        "clean" and per-image PSNRs under ``("psnr", method)``.
    """
    from prodimg_lib.enhancement import classical

    factor = _factor(factor)
    low, clean = make_pairs(clean_test, factor)
    outputs: dict = {"low": low, "clean": clean}
    rows: list[dict] = []

    def measure(method: str, fn, extra: dict | None = None):
        start = time.perf_counter()
        estimate = fn()
        seconds = time.perf_counter() - start
        scores = evaluate(clean, estimate)
        outputs[method], outputs[("psnr", method)] = estimate, scores["psnr_per_image"]
        row = dict(method=method, psnr=scores["psnr"], ssim=scores["ssim"], seconds=seconds, **(extra or {}))
        rows.append(row)
        if log is not None:
            log(f"x{factor} {method:18s} PSNR {row['psnr']:.2f} dB  SSIM {row['ssim']:.4f}")
        return row

    for method in CLASSICAL_METHODS:
        measure(method, lambda m=method: classical.upscale(low, factor, m))
    if sharpen_params is not None:
        text = ", ".join(f"{k} {v:g}" for k, v in sharpen_params.items())
        measure("bicubic + unsharp", lambda: classical.unsharp_mask(outputs["bicubic"], **sharpen_params),
                {"params": f"tuned: {text}"})
    bicubic = next(r["psnr"] for r in rows if r["method"] == "bicubic")
    for run in runs:
        if run.settings["factor"] != factor:
            raise ValueError(f"{run.name} is a x{run.settings['factor']} model, evaluated at x{factor}")
        extra = dict(train_seconds=run.seconds)
        row = measure(run.settings["architecture"].upper(), lambda r=run: super_resolve(r, low), extra)
        row["gain_db"] = row["psnr"] - bicubic
        if run.settings["architecture"] == "edsr":
            row["target_db"] = TARGET_GAIN_DB[factor]
    return rows, outputs


def benchmark(fm, profile, *, log=print) -> list[dict]:
    """Train the notebook's four models (ESPCN and EDSR, x2 and x4) and compare them with classical upscaling.

    Trained on the training split minus its last 500 images (held out: validation loss and
    tuning of the unsharp mask), evaluated on *all* test images (10,000 with the full data).
    (The Fashion-MNIST EDSR on photographs is measured by the benchmark task ``sr_photos``,
    :func:`prodimg_lib.experiments.sr_photos.benchmark`.)

    Args:
        fm: ``data.FashionMNIST`` (uint8), e.g. ``data.load_for_profile(profile)``.
        profile: the run profile.
        log: progress lines.

    Returns:
        One dict per (task, method): task ("super_resolution_x2", "super_resolution_x4"), method,
        psnr, ssim, seconds (to enlarge the test images), plus params for the tuned sharpening,
        train_seconds and gain_db (over bicubic) for the learned models, target_db for EDSR.
    """
    fit, held = split_held_out(fm.x_train)
    rows = []
    for factor in FACTORS:
        low_held, clean_held = make_pairs(held, factor)
        sharpen = tune_sharpening(low_held, clean_held, factor)
        log(f"x{factor}: unsharp mask tuned on {len(held)} held-out training images: {sharpen.params}")
        runs = [train_sr(fit, factor, arch, profile, validation=held, verbose=0, log=log) for arch in ARCHITECTURES]
        factor_rows, _ = evaluate_factor(fm.x_test, factor, runs, sharpen_params=sharpen.params, log=log)
        rows += [dict(task=f"super_resolution_x{factor}", **row) for row in factor_rows]
    return rows


# --- exercises -------------------------------------------------------------------------------


def pixel_shuffle(x, r: int) -> np.ndarray:
    """NumPy depth-to-space: (N, H, W, C r²) -> (N, r H, r W, C), the order of ``keras.ops.depth_to_space``.

    Channel ``(i * r + j) * C + c`` of input pixel (h, w) goes to output pixel (r h + i, r w + j),
    channel c.
    """
    x = np.asarray(x)
    r = check_positive_int(r, "r")
    n, h, w, depth = x.shape
    if depth % (r * r):
        raise ValueError(f"the channel count {depth} is not divisible by r² = {r * r}")
    c = depth // (r * r)
    return x.reshape(n, h, w, r, r, c).transpose(0, 1, 3, 2, 4, 5).reshape(n, h * r, w * r, c)


def espcn_trainable_parameters(factor: int = 3, width: int = 32, channels: int = 1) -> int:
    """Trainable parameters of :func:`prodimg_lib.enhancement.models.sr.build_espcn` (the sub-pixel layer has none)."""
    half = max(1, width // 2)
    out = channels * factor * factor
    return (5 * 5 * channels * width + width) + (3 * 3 * width * half + half) + (3 * 3 * half * out + out)


