"""Low light as a camera records it, on Fashion-MNIST: the classical chain, Zero-DCE's no-reference training, and curves + DnCNN (notebook 11, section 7).

The per-image darkening of :mod:`prodimg_lib.experiments.tone` bends each image with one curve,
which levels + gamma nearly undoes. A real dark shot is harder: :func:`shoot_dark` darkens as a
camera records it (:func:`prodimg_lib.data.degrade.low_light_as_shot`: an exposure 2 to 4 stops
short that varies across the image, shot and read noise in linear light, clipping, 8 bits), which
no single curve undoes. Everything here works on images in [-1, 1].

- :func:`tune_chain` and :func:`classical_chain`: levels + gamma, CLAHE and non-local means,
  tuned one stage after the other (:data:`CHAIN_GRIDS`; a stage that does not help gets the
  parameter 0); :func:`chain_labels` names the stages used;
- :func:`low_light_settings`, :func:`train_low_light`: the curves + DnCNN network
  (:func:`prodimg_lib.enhancement.models.tone.build_low_light_net`) trained on (dark, clean)
  pairs, or Zero-DCE's curve estimator trained with the no-reference losses alone
  (:mod:`prodimg_lib.enhancement.models.tone_losses`); :func:`enhance_low_light` runs either;
- :func:`evaluate_as_shot` and :func:`benchmark` (``python -m benchmarks enhance --tasks
  low_light``).

The photo network of ``prodimg enhance --low-light`` (:mod:`prodimg_lib.experiments.low_light_photos`)
uses the same chain and network on photographs.

Measured with the ``cpu`` profile (full Fashion-MNIST, all 10,000 test images, 2 CPU cores),
``python -m benchmarks enhance --tasks low_light --profile cpu``: the chain tuned on the
held-out images is levels + gamma (gamma 1, the 99.5th percentile to white; 19.27 dB), CLAHE left
out, non-local means h = 0.06 (20.50 dB, SSIM 0.776); the curves + DnCNN network started from
levels 25.56 dB (SSIM 0.899), +5.06 dB, after 3 epochs (350 s). The no-reference curve estimator
is far below the dark input (see notebook 11 for why).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from prodimg_lib.enhancement.classical import levels_gamma
from prodimg_lib.experiments.common import TrainedRun, describe_params, model_images, split_held_out, train_run
from prodimg_lib.experiments.tone import PREPARE, TARGET_GAIN_DB, tone_settings

__all__ = ["CHAIN_GRIDS", "CHAIN_TITLES", "DENOISER_DEPTH", "ZERO_REFERENCE_PATCH", "OBJECTIVES", "LowLightRun",
           "shoot_dark", "tune_chain", "classical_chain", "chain_labels", "low_light_settings", "train_low_light",
           "enhance_low_light", "evaluate_as_shot", "benchmark"]

# The classical chain for low light as shot (tune_chain): each stage's grid; 0 leaves a stage out.
CHAIN_GRIDS: dict[str, dict[str, list]] = {
    "levels_gamma": {"gamma": [0.6, 0.7, 0.8, 0.9, 1.0], "high": [99.0, 99.5, 100.0]},
    "clahe": {"clip_limit": [0, 0.005, 0.01, 0.02]},
    "nl_means": {"h": [0, 0.04, 0.06, 0.08, 0.1, 0.12, 0.16]},
}
CHAIN_TITLES = {"levels_gamma": "levels + gamma", "clahe": "CLAHE", "nl_means": "non-local means"}
DENOISER_DEPTH = 8  # of the supervised low-light network's DnCNN
# The exposure loss's block size for 28 x 28 images: the paper's 16 x 16 blocks are a 32nd of the side of
# its 512-pixel training images; a 28 x 28 image would hold one whole block, in its top-left corner.
ZERO_REFERENCE_PATCH = 4


def shoot_dark(clean, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """(dark, clean) pairs: each image as a camera records it in low light (:func:`~prodimg_lib.data.degrade.low_light_as_shot`).

    Each image is underexposed by 2 to 4 stops, unevenly across the image, given shot and read
    noise in linear light, clipped and rounded to 8 bits: no single tone curve undoes it.

    Args:
        clean: uint8 (N, 28, 28) Fashion-MNIST pixels or float (N, H, W, C) in [-1, 1], C = 1 or 3.
        seed: int or ``numpy.random.Generator`` (same int, same darkening and noise).

    Returns:
        ``(dark, clean)``: float32 (N, H, W, C) arrays in [-1, 1].
    """
    from prodimg_lib.data import degrade

    clean = model_images(clean, "clean", channels=(1, 3))
    return degrade.low_light_as_shot(clean, seed=seed), clean


def tune_chain(dark_held, clean_held, *, log: Callable[[str], None] | None = print) -> dict:
    """Tune the classical low-light chain on held-out pairs, one stage after the other.

    Each stage keeps its best setting before the next is tuned (``tuning.tune``, best mean PSNR):

    1. levels + gamma (:func:`~prodimg_lib.enhancement.classical.levels_gamma`, grid
       :data:`CHAIN_GRIDS` ["levels_gamma"]): the exposure and the tone curve;
    2. CLAHE on its output, or none (``clip_limit`` 0): local contrast, for the uneven exposure;
    3. non-local means on that, or none (``h`` 0): the noise.

    Returns:
        ``{"levels_gamma": {...}, "clahe": {...}, "nl_means": {...}, "psnr": held-out PSNR of the chain}``;
        a stage that does not help has the parameter 0.
    """
    from prodimg_lib.experiments.tuning import tune

    chain = {}
    current = dark_held
    best = None
    for stage, fn in _chain_stages().items():
        result = tune(fn, current, clean_held, CHAIN_GRIDS[stage])
        chain[stage] = dict(result.params)
        current = fn(current, **chain[stage])
        best = float(result.psnr)
        if log is not None:
            log(f"  {CHAIN_TITLES[stage]}: {describe_params(result.params)} ({result.psnr:.2f} dB on the {len(clean_held)} "
                "tuning images)")
    chain["psnr"] = best
    return chain


def classical_chain(dark, chain: dict, *, stages=None) -> np.ndarray:
    """Apply the tuned classical chain of :func:`tune_chain` (or its first ``stages`` stages) to dark images.

    Args:
        dark: (N, H, W, C) in [-1, 1].
        chain: from :func:`tune_chain`.
        stages: how many stages to apply (None: all three).

    Returns:
        float32 images of ``dark``'s shape, in [-1, 1].
    """
    out = dark
    for stage, fn in list(_chain_stages().items())[:stages]:
        out = fn(out, **chain[stage])
    return np.asarray(out, dtype=np.float32)


def chain_labels(chain: dict, first=()) -> dict[int, str]:
    """Names of the chain's results stage by stage: ``{number of stages: "levels + gamma + ..."}``.

    A stage after the first that the tuning left out (its parameter 0) changes nothing and gets
    no entry. ``first``: names of steps before the chain (e.g. a white balance), put in front.
    """
    used, labels = list(first), {}
    for k, stage in enumerate(CHAIN_TITLES, start=1):
        if k > 1 and not any(chain[stage].values()):
            continue
        used.append(CHAIN_TITLES[stage])
        labels[k] = " + ".join(used)
    return labels


def _chain_stages() -> dict[str, Callable]:
    from prodimg_lib.enhancement import classical

    def clahe_or_none(images, clip_limit):
        return images if clip_limit == 0 else classical.clahe(images, clip_limit=clip_limit)

    def nl_means_or_none(images, h):
        return images if h == 0 else classical.denoise_nl_means(images, h=h)

    return {"levels_gamma": classical.levels_gamma, "clahe": clahe_or_none, "nl_means": nl_means_or_none}


def low_light_settings(profile) -> dict:
    """The training settings of the low-light networks under a run profile.

    - epochs ``profile.tone_epochs`` (cpu 3), batches of :data:`~prodimg_lib.experiments.tone.BATCH_SIZE`, Adam at
      :data:`~prodimg_lib.experiments.tone.LEARNING_RATE` with cosine decay;
    - the curve estimator as in :func:`~prodimg_lib.experiments.tone.tone_settings` (width ``profile.width // 2``,
      :data:`~prodimg_lib.experiments.tone.ITERATIONS` curves), and for the supervised network a DnCNN of the same width and
      depth :data:`DENOISER_DEPTH` (:func:`~prodimg_lib.enhancement.models.tone.build_low_light_net`).

    Returns:
        A dict with epochs, width, iterations, denoiser_width, denoiser_depth, batch_size, learning_rate.
    """
    settings = tone_settings(profile)
    return dict(settings, denoiser_width=settings["width"], denoiser_depth=DENOISER_DEPTH)


@dataclass
class LowLightRun(TrainedRun):
    """A trained low-light network: (N, H, W, 1) -> (N, H, W, 1) in [-1, 1].

    Fields: those of :class:`~prodimg_lib.experiments.common.TrainedRun` (``settings`` from
    :func:`low_light_settings`), ``objective`` ("supervised" or "zero_reference") and ``prepare``:
    the :func:`~prodimg_lib.enhancement.classical.levels_gamma` parameters applied before the
    model (empty: the model sees the dark image itself).
    """

    objective: str = "supervised"
    prepare: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return "curves + denoiser (supervised)" if self.objective == "supervised" else "curves (no-reference losses)"


OBJECTIVES = ("supervised", "zero_reference")


def train_low_light(clean_train, profile, *, objective: str = "supervised", prepare: dict | None = None,
                    validation=None, verbose: int | str = 2, seed: int = 0,
                    log: Callable[[str], None] | None = print, callbacks=None) -> LowLightRun:
    """Train a low-light network on images darkened as shot (:func:`shoot_dark`).

    - ``objective="supervised"``: :func:`~prodimg_lib.enhancement.models.tone.build_low_light_net`
      (curves, then a DnCNN) on (dark, clean) pairs with the MSE; its input is the dark image after
      ``prepare`` (levels + gamma), so that it starts from the classical result.
    - ``objective="zero_reference"``: Zero-DCE itself, the curve estimator trained on the dark
      images alone with the no-reference losses of
      :mod:`prodimg_lib.enhancement.models.tone_losses` (spatial consistency, exposure, colour
      constancy for colour images, and the smoothness of the curve maps), without a clean
      image; it sees the dark image itself (``prepare`` must be None). The exposure loss
      averages 4 x 4 blocks (:data:`ZERO_REFERENCE_PATCH`).

    Args:
        clean_train: clean training images, uint8 (N, 28, 28) or float (N, H, W, 1) in [-1, 1];
            at least one batch.
        profile: the run profile (:func:`low_light_settings`).
        objective: one of :data:`OBJECTIVES`.
        prepare: :func:`~prodimg_lib.enhancement.classical.levels_gamma` parameters for the supervised network (None: :data:`~prodimg_lib.experiments.tone.PREPARE`).
        validation: clean held-out images (darkened with ``seed + 2``) for a validation loss, or None.
        verbose, seed, log, callbacks: as in :func:`~prodimg_lib.experiments.tone.train_curve_estimator`.

    Returns:
        :class:`LowLightRun`.
    """
    import keras

    from prodimg_lib.enhancement.models.tone import build_curve_estimator, build_low_light_net

    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(map(repr, OBJECTIVES))}, got {objective!r}")
    if objective == "zero_reference" and prepare is not None:
        raise ValueError("the no-reference curve estimator sees the dark image itself: leave prepare as None")
    settings = low_light_settings(profile)
    dark, clean = shoot_dark(clean_train, seed + 1)
    if clean.shape[-1] != 1:
        raise ValueError(f"the low-light networks are trained on grayscale images: got {clean.shape[-1]} channels")
    val = shoot_dark(validation, seed + 2) if validation is not None else None
    keras.utils.set_random_seed(seed)
    if objective == "supervised":
        prepare = dict(PREPARE if prepare is None else prepare)
        model = build_low_light_net(1, width=settings["width"], iterations=settings["iterations"],
                                    denoiser_width=settings["denoiser_width"], denoiser_depth=settings["denoiser_depth"])
        if val is not None:
            val = (levels_gamma(val[0], **prepare), val[1])
        return train_run(LowLightRun, model, settings, levels_gamma(dark, **prepare), clean, validation=val,
                         verbose=verbose, seed=seed, log=log, jit_compile=profile.jit_compile, callbacks=callbacks,
                         objective=objective, prepare=prepare)
    return _train_zero_reference(build_curve_estimator(1, width=settings["width"], iterations=settings["iterations"]),
                                 settings, dark, val, profile, verbose=verbose, seed=seed, log=log, callbacks=callbacks)


def _train_zero_reference(model, settings, dark, val, profile, *, verbose, seed, log, callbacks):
    """Zero-DCE's training: the curve estimator and its maps as two outputs, each with its no-reference loss."""
    import keras

    from prodimg_lib.enhancement.fit import fit_supervised
    from prodimg_lib.enhancement.models.tone import curve_parameters
    from prodimg_lib.enhancement.models.tone_losses import smoothness_loss, zero_reference_loss

    trainer = keras.Model(model.inputs, [model.output, curve_parameters(model).output], name="zero_dce_trainer")

    def targets(images):  # the loss of the image sees the dark input; that of the maps, nothing
        return [images, np.zeros((len(images), 1, 1, 1), np.float32)]

    start = time.perf_counter()
    history = fit_supervised(trainer, dark, targets(dark),
                             loss=[zero_reference_loss(patch=ZERO_REFERENCE_PATCH), smoothness_loss()],
                             epochs=settings["epochs"], batch_size=settings["batch_size"],
                             learning_rate=settings["learning_rate"],
                             validation_data=None if val is None else (val[0], targets(val[0])), verbose=verbose,
                             seed=seed, callbacks=callbacks, jit_compile=profile.jit_compile)
    run = LowLightRun(model, settings, dict(history.history), time.perf_counter() - start, len(dark),
                      objective="zero_reference")
    if log is not None:
        log(f"{run.name}: {model.count_params():,} parameters, {len(run.history['loss'])} epoch(s) on {len(dark):,} "
            f"images in {run.seconds:.0f} s")
    return run


def enhance_low_light(run: LowLightRun, dark, batch_size: int = 500) -> np.ndarray:
    """Brighten dark images with a trained :class:`LowLightRun` (``run.prepare`` first, if any).

    Args:
        run: from :func:`train_low_light`.
        dark: float (N, H, W, 1) in [-1, 1].
        batch_size: images per prediction batch.

    Returns:
        float32 (N, H, W, 1) in [-1, 1].
    """
    if not isinstance(run, LowLightRun):
        raise TypeError(f"run must be the LowLightRun that train_low_light returns, got {type(run).__name__}")
    x = model_images(dark, "dark", channels=(1,))
    if run.prepare:
        x = levels_gamma(x, **run.prepare)
    return np.clip(run.model.predict(x, batch_size=batch_size, verbose=0), -1.0, 1.0).astype(np.float32)


def evaluate_as_shot(dark, clean, chain: dict, runs=()) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The dark input, the classical chain stage by stage, and each trained run, on test pairs.

    A no-reference run is followed by the chain's non-local means (Zero-DCE does not denoise),
    so that it is compared with the classical chain on equal terms.

    Args:
        dark, clean: (N, H, W, 1) in [-1, 1], from :func:`shoot_dark`.
        chain: from :func:`tune_chain`.
        runs: :class:`LowLightRun` objects.

    Returns:
        ``(rows, outputs)`` as :func:`~prodimg_lib.experiments.tone.evaluate`: rows with key, method, psnr, ssim, seconds, params.
    """
    from prodimg_lib.evaluation.image_quality import psnr, ssim

    methods = {"dark": ("dark input (no correction)", lambda x: x, "")}
    stages = list(CHAIN_TITLES)
    for k, title in chain_labels(chain).items():
        methods[f"chain{k}"] = (title, lambda x, k=k: classical_chain(x, chain, stages=k),
                                describe_params(chain[stages[k - 1]]))
    for run in runs:
        if run.objective == "zero_reference":
            nl = _chain_stages()["nl_means"]
            methods[run.objective] = (run.name + " + " + CHAIN_TITLES["nl_means"],
                                      lambda x, run=run: nl(enhance_low_light(run, x), **chain["nl_means"]), "")
        else:
            methods[run.objective] = (run.name, lambda x, run=run: enhance_low_light(run, x),
                                      f"after levels + gamma ({describe_params(run.prepare)})")
    rows, outputs = [], {}
    for key, (title, fn, params) in methods.items():
        start = time.perf_counter()
        outputs[key] = fn(dark)
        rows.append({"key": key, "method": title, "psnr": psnr(clean, outputs[key]), "ssim": ssim(clean, outputs[key]),
                     "seconds": time.perf_counter() - start, "params": params})
    return rows, outputs


def benchmark(fm, profile, *, log=print) -> list[dict]:
    """The classical chain and both low-light networks on Fashion-MNIST darkened as shot.

    Tuning on the last 500 training images (darkened with seed 3), training on the others,
    evaluation on every test image of ``fm`` (seed 0), as ``python -m benchmarks enhance --tasks
    low_light`` runs it.

    Returns:
        One dict per method: task "low_light_as_shot", method, psnr, ssim, seconds (training plus
        test time for the networks), and on the supervised network's row gain_db (over the
        classical chain) and target_db.
    """
    fit, held = split_held_out(fm.x_train)
    held_dark, held_clean = shoot_dark(held, 3)
    log(f"Tuning the classical chain on {len(held_clean)} held-out images ...")
    chain = tune_chain(held_dark, held_clean, log=log)
    runs = [train_low_light(fit, profile, objective=objective, validation=held, verbose=0, log=log,
                            prepare=chain["levels_gamma"] if objective == "supervised" else None)
            for objective in OBJECTIVES]
    test_dark, test_clean = shoot_dark(fm.x_test, 0)
    log(f"Evaluating on {len(test_clean):,} test images ...")
    rows, _ = evaluate_as_shot(test_dark, test_clean, chain, runs)
    best = max(r["psnr"] for r in rows if r["key"].startswith("chain"))
    seconds = {run.objective: run.seconds for run in runs}
    out = []
    for row in rows:
        entry = {"task": "low_light_as_shot", "method": row["method"], "psnr": row["psnr"], "ssim": row["ssim"],
                 "seconds": row["seconds"] + seconds.get(row["key"], 0.0)}
        if row["key"] == "supervised":
            entry.update(gain_db=row["psnr"] - best, target_db=TARGET_GAIN_DB)
        out.append(entry)
    return out
