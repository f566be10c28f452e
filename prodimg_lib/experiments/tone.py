"""Low-light experiments of notebook 11: training and evaluating the curve estimator against tuned classical baselines.

The classical colour and tone methods themselves (gamma, levels, white balance, ...) are in
:mod:`prodimg_lib.enhancement.classical`; this module trains and evaluates.

The low-light task: a product photo taken with too little light is darker than it should be,
and by a different amount for every photo. :func:`darken` models this with
:func:`prodimg_lib.data.degrade.low_light`, u -> e * u ** g in [0, 1] space, with a gamma g and an
exposure e drawn *per image* from :data:`DARK_GAMMA` and :data:`DARK_EXPOSURE`. (With one fixed
g and e for every image, a single tuned gamma correction undoes the darkening almost exactly,
and there would be nothing left to learn; varied darkening is both the realistic case and the
meaningful test.) A model must give the clean image back. Everything here works on images in
the models' range [-1, 1].

- :func:`tone_settings`: the training settings of a run profile;
- :func:`split_held_out` (from :mod:`.common`): the last training images, held out for
  validation and tuning;
- :func:`darken`: reproducible (dark, clean) pairs with per-image darkening;
- :func:`train_curve_estimator`: build and train the Zero-DCE-style curve estimator
  (:mod:`prodimg_lib.enhancement.models.tone`) on (dark, clean) pairs. Its input is the output of
  :func:`prodimg_lib.enhancement.classical.levels_gamma` (tuned), the strongest classical method
  (per-image *levels*, the brightest pixel becomes white, which undoes the exposure, followed
  by one gamma correction), so the network starts from the best classical result (an
  untrained curve estimator is the identity) and learns the per-image, per-pixel curves that
  correct what one gamma for all images cannot;
- :func:`enhance_images`, :func:`enhance_colour`: run it on grayscale or colour images;
- :data:`CLASSICAL_GRIDS`, :func:`classical_methods`, :func:`tune_classical`: the classical
  low-light methods of :mod:`prodimg_lib.enhancement.classical` (equalisation, CLAHE,
  auto-contrast, gamma, :func:`~prodimg_lib.enhancement.classical.auto_gamma`,
  :func:`~prodimg_lib.enhancement.classical.levels_gamma`) with their parameters tuned on
  held-out images; :func:`evaluate`: all methods on the test images;
- :func:`benchmark`: all of it, as ``python -m benchmarks enhance --tasks tone`` runs it;
- :func:`le_curve`: the curve of the model in NumPy, the reference answer of notebook 11's
  first exercise (the others are checked against :mod:`prodimg_lib.enhancement.classical`:
  ``undo_low_light``, ``auto_gamma``, ``grey_world``, where the white balances live too).

Measured with the ``cpu`` profile (full Fashion-MNIST, 59,500 training images, all 10,000 test
images, 2 CPU cores), ``python -m benchmarks enhance --tasks tone --profile cpu``:
levels + gamma 36.30 dB (SSIM 0.9928), one gamma for all 29.74, CLAHE 22.32, auto-contrast
22.32, histogram equalisation 7.68, the dark input 11.23; the curve estimator started from
levels + gamma 35.98 dB (SSIM 0.9929), -0.32 dB, after 3 epochs (197 s of
training). The +2 dB target over the best classical method is
missed: after levels the only unknown is each image's gamma (with the true gamma, levels
restores almost every image exactly), and a levelled product image barely reveals it.


Low light *as shot*, unevenly and with sensor noise, is in :mod:`prodimg_lib.experiments.low_light`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from prodimg_lib.enhancement.classical import levels_gamma
from prodimg_lib.experiments.common import (
    HELD_OUT, TrainedRun, describe_params, model_images, split_held_out, train_run,
)

__all__ = [
    "DARK_GAMMA",
    "DARK_EXPOSURE",
    "TARGET_GAIN_DB",
    "CLASSICAL_GRIDS",
    "HELD_OUT",
    "PREPARE",
    "METHOD_TITLES",
    "ToneRun",
    "tone_settings",
    "split_held_out",
    "darken",
    "train_curve_estimator",
    "enhance_images",
    "enhance_colour",
    "classical_methods",
    "tune_classical",
    "evaluate",
    "benchmark",
    "le_curve",
]

# Per-image darkening: gamma and exposure drawn uniformly from these ranges (see darken).
DARK_GAMMA = (1.5, 2.5)
DARK_EXPOSURE = (0.3, 0.6)
# The benchmark's target: PSNR gain of the curve estimator over the best classical method, in dB.
TARGET_GAIN_DB = 2.0
ITERATIONS = 8
BATCH_SIZE = 128
LEARNING_RATE = 3e-3

# Parameters tried for each classical method on the held-out images (intensities in [0, 1] units).
CLASSICAL_GRIDS: dict[str, dict[str, list]] = {
    "equalize_hist": {"nbins": [32, 64, 128, 256]},
    "clahe": {"clip_limit": [0.005, 0.01, 0.02, 0.05, 0.1], "kernel_size": [None, 7, 14]},
    "auto_contrast": {"low": [0.0, 1.0], "high": [95.0, 98.0, 99.0, 99.5, 100.0]},
    "adjust_gamma": {"gamma": [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7],
                     "gain": [1.0, 1.2, 1.4, 1.5, 1.6, 1.8, 2.0]},
    "auto_gamma": {"target": [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]},
    "levels_gamma": {"gamma": [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7], "high": [99.0, 99.5, 100.0]},
}
# What the curve estimator's input is prepared with when no tuned parameters are given.
PREPARE = {"gamma": 0.5, "high": 100.0}
# Table names of the methods.
METHOD_TITLES = {
    "dark": "dark input (no correction)",
    "equalize_hist": "histogram equalisation",
    "clahe": "CLAHE",
    "auto_contrast": "auto-contrast",
    "adjust_gamma": "gamma (one setting for all)",
    "auto_gamma": "gamma (per image, from its mean)",
    "levels_gamma": "levels + gamma (per image)",
    "curve_estimator": "levels + gamma + learned curves",
}


# --------------------------------------------------------------------------- data


def tone_settings(profile) -> dict:
    """The training settings of the curve estimator under a run profile.

    - epochs: ``profile.tone_epochs``;
    - width ``profile.width // 2`` (cpu 16, at least 4), :data:`ITERATIONS` curve steps;
    - Adam at :data:`LEARNING_RATE` with cosine decay, batches of :data:`BATCH_SIZE`, MSE loss.

    Returns:
        A dict with epochs, width, iterations, batch_size, learning_rate.
    """
    return dict(epochs=int(profile.tone_epochs), width=max(4, int(profile.width) // 2), iterations=ITERATIONS,
                batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE)


def darken(clean, seed=0, *, gamma=DARK_GAMMA, exposure=DARK_EXPOSURE):
    """(dark, clean) pairs: each image darkened with its own gamma and exposure (``degrade.low_light``).

    In [0, 1] space every image becomes ``e * u ** g`` with g drawn uniformly from ``gamma``
    and e from ``exposure``, independently per image.

    Args:
        clean: uint8 (N, 28, 28) Fashion-MNIST pixels or float (N, H, W, C) in [-1, 1].
        seed: int or ``numpy.random.Generator`` for the draws (same int, same darkening).
        gamma: (low, high) range of the gammas, 0 < low <= high; a single number gives all
            images the same gamma.
        exposure: (low, high) range of the exposures, within (0, 1]; or a single number.

    Returns:
        ``(dark, clean, params)``: float32 (N, H, W, C) arrays in [-1, 1] and a dict with the
        drawn "gamma" and "exposure" of each image (float64 (N,)).
    """
    from prodimg_lib.data import degrade

    clean = model_images(clean, "clean", channels=(1, 3))
    rng = np.random.default_rng(seed)
    g = _draw(rng, gamma, len(clean), "gamma", low=0.0)
    e = _draw(rng, exposure, len(clean), "exposure", low=0.0, high=1.0)
    return degrade.low_light(clean, gamma=g, exposure=e), clean, {"gamma": g, "exposure": e}


def _draw(rng, value, n: int, name: str, *, low: float, high: float | None = None) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        lo = hi = float(arr)
    elif arr.shape == (2,):
        lo, hi = (float(v) for v in arr)
    else:
        raise ValueError(f"{name} must be a number or a (low, high) range, got {value!r}")
    if not (np.isfinite(lo) and np.isfinite(hi) and low < lo <= hi and (high is None or hi <= high)):
        bound = f"in ({low}, {high}]" if high is not None else f"> {low}"
        raise ValueError(f"{name} range must satisfy low <= high, both {bound}; got {value!r}")
    return rng.uniform(lo, hi, n) if hi > lo else np.full(n, lo)


# --------------------------------------------------------------------------- the learned model


@dataclass
class ToneRun(TrainedRun):
    """A trained curve estimator: (N, H, W, 1) -> (N, H, W, 1) in [-1, 1], on the output of ``levels_gamma``.

    Fields: those of :class:`~prodimg_lib.experiments.common.TrainedRun` (``settings``
    from :func:`tone_settings`), and ``prepare``: the
    :func:`~prodimg_lib.enhancement.classical.levels_gamma` parameters applied before the model
    (tuned on held-out images).
    """

    prepare: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return "curve estimator"


def train_curve_estimator(clean_train, profile, *, prepare: dict | None = None, validation=None,
                          verbose: int | str = 2, seed: int = 0, log: Callable[[str], None] | None = print,
                          callbacks=None) -> ToneRun:
    """Build the curve estimator with :func:`tone_settings` and train it on per-image darkened pairs.

    The training images are darkened once (:func:`darken` with ``seed + 1``) and prepared
    with :func:`levels_gamma` (``prepare``); the loss is the MSE to the clean image
    (supervised, see :mod:`prodimg_lib.enhancement.models.tone`).

    Args:
        clean_train: clean training images, uint8 (N, 28, 28) or float (N, H, W, 1) in [-1, 1]
            (use :func:`split_held_out` first); at least one batch.
        profile: the run profile (epochs and width, see :func:`tone_settings`).
        prepare: parameters of :func:`levels_gamma` (e.g. the tuned ones,
            ``tune_classical(...)["levels_gamma"]["params"]``); None uses :data:`PREPARE`.
        validation: clean held-out images (darkened with ``seed + 2``) for a validation loss
            per epoch, or None.
        verbose: Keras ``fit`` verbosity (2: one line per epoch; 0: silent).
        seed: seeds the darkening, the weights and the shuffling.
        log: called with one line when training is done (None: silent).
        callbacks: extra Keras callbacks (e.g. a :class:`prodimg_lib.course.budget.TimeBudget`).

    Returns:
        :class:`ToneRun`.
    """
    import keras

    from prodimg_lib.enhancement.models.tone import build_curve_estimator

    settings = tone_settings(profile)
    prepare = dict(PREPARE if prepare is None else prepare)
    dark, clean, _ = darken(clean_train, seed + 1)
    if clean.shape[-1] != 1:
        raise ValueError(f"the course's curve estimator is trained on grayscale images: got {clean.shape[-1]} channels "
                         "(apply a grayscale model to colour photos with enhance_colour)")
    val = None
    if validation is not None:
        val_dark, val_clean, _ = darken(validation, seed + 2)
        val = (levels_gamma(val_dark, **prepare), val_clean)
    keras.utils.set_random_seed(seed)
    model = build_curve_estimator(1, width=settings["width"], iterations=settings["iterations"])
    return train_run(ToneRun, model, settings, levels_gamma(dark, **prepare), clean, validation=val, verbose=verbose,
                     seed=seed, log=log, jit_compile=profile.jit_compile, prepare=prepare, callbacks=callbacks)


def enhance_images(run: ToneRun, dark, batch_size: int = 500) -> np.ndarray:
    """Brighten dark images with a trained run: :func:`levels_gamma` (``run.prepare``), then the model.

    Args:
        run: from :func:`train_curve_estimator`.
        dark: float (N, H, W, 1) in [-1, 1] (any H and W: the model is fully convolutional).
        batch_size: images per prediction batch.

    Returns:
        float32 (N, H, W, 1) in [-1, 1].
    """
    if not isinstance(run, ToneRun):
        raise TypeError(f"run must be the ToneRun that train_curve_estimator returns, got {type(run).__name__}")
    x = model_images(dark, "dark", channels=(1, 3))
    channels = run.model.input_shape[-1]
    if x.shape[-1] != channels:
        raise ValueError(f"the model takes {channels} channel(s), the images have {x.shape[-1]}"
                         + ("; use enhance_colour for colour photos" if channels == 1 else ""))
    out = run.model.predict(levels_gamma(x, **run.prepare), batch_size=batch_size, verbose=0)
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def enhance_colour(run: ToneRun, dark) -> np.ndarray:
    """Apply a grayscale run to colour images, each RGB channel as one grayscale image.

    Each channel is levelled and gets its own curves, as in Zero-DCE (which predicts one
    curve per channel).

    Args:
        run: from :func:`train_curve_estimator` (a one-channel model).
        dark: float (N, H, W, 3) or one image (H, W, 3), in [-1, 1].

    Returns:
        float32 images of the input's shape, in [-1, 1].
    """
    x = np.asarray(dark)
    single = x.ndim == 3
    x = model_images(x[None] if single else x, "dark", channels=(3,))
    n, h, w, c = x.shape
    planes = np.moveaxis(x, -1, 1).reshape(n * c, h, w, 1)
    out = enhance_images(run, planes, batch_size=max(1, min(500, n * c)))
    out = np.moveaxis(out.reshape(n, c, h, w), 1, -1)
    return out[0] if single else out


# --------------------------------------------------------------------------- the classical baselines


def classical_methods() -> dict[str, Callable]:
    """The classical low-light methods compared, by name (the keys of :data:`CLASSICAL_GRIDS`)."""
    from prodimg_lib.enhancement import classical

    return {
        "equalize_hist": classical.equalize_hist,
        "clahe": classical.clahe,
        "auto_contrast": classical.auto_contrast,
        "adjust_gamma": classical.adjust_gamma,
        "auto_gamma": classical.auto_gamma,
        "levels_gamma": classical.levels_gamma,
    }


def tune_classical(dark_held, clean_held, *, log: Callable[[str], None] | None = print) -> dict[str, dict]:
    """Tune every classical method on held-out (dark, clean) pairs (``tuning.tune``, best mean PSNR).

    Returns:
        ``{name: {"params": {...}, "psnr": held-out PSNR}}`` for each method of :data:`CLASSICAL_GRIDS`.
    """
    from prodimg_lib.experiments.tuning import tune

    methods = classical_methods()
    tuned = {}
    for name, grid in CLASSICAL_GRIDS.items():
        result = tune(methods[name], dark_held, clean_held, grid)
        tuned[name] = {"params": result.params, "psnr": float(result.psnr)}
        if log is not None:
            log(f"  {METHOD_TITLES[name]}: {describe_params(result.params)} ({result.psnr:.2f} dB on "
                f"{len(clean_held)} held-out images)")
    return tuned


def evaluate(dark, clean, tuned: dict, run: ToneRun | None = None) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Every method on the test pairs: the dark input, each tuned classical method, and the learned run.

    Args:
        dark, clean: the test pairs (N, H, W, 1) in [-1, 1] (from :func:`darken`).
        tuned: from :func:`tune_classical`.
        run: a trained :class:`ToneRun`, or None.

    Returns:
        ``(rows, outputs)``: one dict per method (key, method, psnr, ssim, seconds, params) in
        the order dark, classical, learned; and each method's output images by key.
    """
    from prodimg_lib.evaluation.image_quality import psnr, ssim

    methods = classical_methods()
    outputs = {"dark": dark}
    seconds = {"dark": 0.0}
    params = {"dark": ""}
    for name, entry in tuned.items():
        start = time.perf_counter()
        outputs[name] = methods[name](dark, **entry["params"])
        seconds[name] = time.perf_counter() - start
        params[name] = describe_params(entry["params"])
    if run is not None:
        start = time.perf_counter()
        outputs["curve_estimator"] = enhance_images(run, dark)
        seconds["curve_estimator"] = time.perf_counter() - start
        params["curve_estimator"] = f"after levels + gamma ({describe_params(run.prepare)})"
    rows = [
        {"key": key, "method": METHOD_TITLES[key], "psnr": psnr(clean, out), "ssim": ssim(clean, out),
         "seconds": seconds[key], "params": params[key]}
        for key, out in outputs.items()
    ]
    return rows, outputs


def benchmark(fm, profile, *, log=print) -> list[dict]:
    """Train the curve estimator with ``profile``'s settings and compare it with every tuned classical method.

    Training on the first N - 500 training images, classical parameters tuned on the last 500
    (held out), evaluation on every test image of ``fm``, each darkened per image (:func:`darken`;
    seed 0 for the test set, 3 for the held-out images).

    Args:
        fm: Fashion-MNIST (``data.FashionMNIST``, uint8), the full set for real numbers.
        profile: a run profile (``cpu``: the model trains in under 5 minutes on 2 CPU cores).
        log: progress lines.

    Returns:
        One dict per method: task "low_light", method, psnr, ssim, seconds (training plus test
        time for the learned model, processing time of the test set otherwise), and on the learned
        model's row gain_db (over the best classical method) and target_db.
    """
    fit, held = split_held_out(fm.x_train)
    held_dark, held_clean, _ = darken(held, 3)
    log(f"Tuning {len(CLASSICAL_GRIDS)} classical methods on {len(held_clean)} held-out images ...")
    tuned = tune_classical(held_dark, held_clean, log=log)
    run = train_curve_estimator(fit, profile, prepare=tuned["levels_gamma"]["params"], validation=held, verbose=0,
                                log=log)
    test_dark, test_clean, _ = darken(fm.x_test, 0)
    log(f"Evaluating on {len(test_clean):,} test images ...")
    rows, _ = evaluate(test_dark, test_clean, tuned, run)
    best = max(r["psnr"] for r in rows if r["key"] in tuned)
    out = []
    for row in rows:
        entry = {"task": "low_light", "method": row["method"], "psnr": row["psnr"], "ssim": row["ssim"],
                 "seconds": row["seconds"]}
        if row["key"] == "curve_estimator":
            entry.update(seconds=run.seconds + row["seconds"], gain_db=row["psnr"] - best, target_db=TARGET_GAIN_DB)
        out.append(entry)
    return out


# --------------------------------------------------------------------------- the curve, for the exercises


def le_curve(u, a, iterations: int = 1):
    """The light-enhancement curve of Zero-DCE applied ``iterations`` times: u <- u + a u (1 - u).

    Args:
        u: values in [0, 1] (any shape).
        a: the curve parameter in [-1, 1], a number or an array broadcastable to ``u``.
        iterations: how many times the curve is applied.
    """
    u = np.asarray(u, dtype=np.float64)
    for _ in range(int(iterations)):
        u = u + a * u * (1.0 - u)
    return u

