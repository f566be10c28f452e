"""The low-light model of ``prodimg enhance --low-light``: photos darkened as shot, brightened and cleaned by one network.

Notebook 11's low-light network learned clothing on black. This one learns from photographs:
scikit-image's training photos (never a held-out one), each darkened as a camera records a
dark shot (:func:`prodimg_lib.data.degrade.low_light_as_shot`: too short and uneven an exposure,
a colour cast, shot and read noise, clipping, 8 bits), at its own size, several times.

- :data:`~prodimg_lib.enhancement.photo.LOW_LIGHT_LEVELS`: the levels step that comes first, for
  the tool as for training: each photo is stretched so that its 99.5th percentile becomes white
  (:func:`prodimg_lib.enhancement.classical.levels_gamma`); the network then corrects what one
  stretch for the whole photo cannot: the uneven light, the cast, the tones and the noise;
- :func:`photo_low_light_settings`, :func:`photo_dark_pairs` and :func:`train_photo_low_light`:
  :func:`~prodimg_lib.enhancement.models.tone.build_low_light_net` in colour (curves per RGB
  channel, then a DnCNN), trained on crops of the levelled dark photos and the originals;
- :func:`darken_photo` and :func:`tune_photo_chain`: the classical chain of notebook 11
  (levels + gamma, CLAHE, non-local means, :func:`prodimg_lib.experiments.low_light.tune_chain`)
  with a white balance stage in front (none, grey world or white patch), tuned on crops of
  the *training* photos darkened the same way;
- :func:`evaluate_held_out`: every photo of :data:`prodimg_lib.data.photos.HELD_OUT_PHOTOS` at its
  own size, darkened with a seed of its own, brightened by the tuned chain stage by stage and by
  the network through :func:`prodimg_lib.enhancement.photo.brighten`, exactly as the tool runs
  it; PSNR on the 8-bit results; :func:`summarise` gives the mean per method;
- :func:`benchmark`: all of it, as ``python -m benchmarks enhance --tasks low_light_photos`` runs it.
"""

from __future__ import annotations

import time
import zlib
from typing import Callable

import numpy as np

from prodimg_lib.data.photos import HELD_OUT_PHOTOS, TRAINING_PHOTOS, skimage_photo
from prodimg_lib.data.pixels import as_photo, check_positive_int
from prodimg_lib.enhancement.photo import LOW_LIGHT_LEVELS

__all__ = ["PATCH", "BALANCES", "photo_low_light_settings", "rgb_photo", "photo_dark_pairs",
           "train_photo_low_light", "darken_photo", "tune_photo_chain", "photo_chain", "evaluate_held_out", "summarise",
           "benchmark"]

PATCH = 48  # training crop size: the network sees 31 x 31 pixels (7 convolutions of the curves, 8 of the DnCNN)
LARGEST_SIDE = 800  # larger training photos are halved first, so that a crop holds as much scene as on the others
BALANCES = ("none", "grey_world", "white_patch")


def photo_low_light_settings(profile) -> dict:
    """The training settings of the photo low-light network under a run profile.

    - data: each training photo darkened ``darkenings`` times at its own size (6 with the full
      data, 1 without), ``per_darkening`` crops of 48 x 48 from each (120, else 8): about 10,000;
    - the network of notebook 11 in colour: curve estimator of width ``profile.width // 2`` (cpu
      16) with 8 curves, DnCNN of the same width and depth 8;
    - epochs: 4 under ``cpu``, 12 under ``gpu``, 1 under ``smoke``; Adam at 2e-3 with cosine
      decay, batches of 64, MSE;
    - measurement: ``tune_crops`` 128-pixel crops of each darkened training photo tune the
      classical chain (4 with the full data, 1 without); the held-out photos are measured at
      their own size (``eval_size`` None) with the full data, as 96-pixel crops without.

    Returns:
        A dict with task, width, iterations, denoiser_width, denoiser_depth, epochs, batch_size,
        learning_rate, loss, darkenings, per_darkening, patch, levels, tune_crops, eval_size.
    """
    full = bool(profile.full_data)
    width = max(4, int(profile.width) // 2)
    return dict(task="low_light", width=width, iterations=8, denoiser_width=width, denoiser_depth=8,
                epochs=1 if not full else (4 if profile.name == "cpu" else 12), batch_size=64, learning_rate=2e-3,
                loss="mse", darkenings=6 if full else 1, per_darkening=120 if full else 8, patch=PATCH,
                levels=dict(LOW_LIGHT_LEVELS), tune_crops=4 if full else 1, eval_size=None if full else 96)


def rgb_photo(pixels) -> np.ndarray:
    """A uint8 photo (H, W, 1 or 3) as float32 RGB (H, W, 3) in [-1, 1]; a grayscale photo's plane is repeated."""
    from prodimg_lib.data import to_minus_one_one

    x = to_minus_one_one(as_photo(pixels, "photo"))
    return np.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x


def _training_photos(names, own_photos) -> list[np.ndarray]:
    from skimage.transform import resize

    held = [n for n in names if n in HELD_OUT_PHOTOS]
    if held:
        raise ValueError(f"{', '.join(held)} {'is' if len(held) == 1 else 'are'} held out for measurement: "
                         "never train on the held-out photos")
    photos = []
    for pixels in [skimage_photo(n) for n in names] + list(own_photos if own_photos is not None else []):
        x = rgb_photo(pixels)
        if max(x.shape[:2]) > LARGEST_SIDE:
            x = resize(x, (x.shape[0] // 2, x.shape[1] // 2), anti_aliasing=True).astype(np.float32)
        photos.append(x)
    return photos


def darken_photo(pixels, *, seed=0) -> np.ndarray:
    """A photo as a camera would record it in low light (:func:`~prodimg_lib.data.degrade.low_light_as_shot`), as uint8.

    Args:
        pixels: uint8 (H, W, 1 or 3); a grayscale photo stays grayscale (no colour cast).
        seed: int or ``numpy.random.Generator``.

    Returns:
        uint8, the shape of ``pixels``.
    """
    from prodimg_lib.data import degrade, from_minus_one_one, to_minus_one_one

    return from_minus_one_one(degrade.low_light_as_shot(to_minus_one_one(as_photo(pixels, "pixels")), seed=seed))


def photo_dark_pairs(darkenings: int, per_darkening: int, *, names=TRAINING_PHOTOS, own_photos=None,
                     patch: int = PATCH, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Training pairs (levelled dark crop, clean crop) from photos darkened as shot at their own size.

    Each photo (RGB, larger ones halved) is darkened ``darkenings`` times, each time levelled with
    :data:`~prodimg_lib.enhancement.photo.LOW_LIGHT_LEVELS` over the whole photo, as the tool will level it; ``per_darkening`` crops
    of ``patch`` x ``patch`` are cut from the same place of the levelled photo and the original,
    turned by a random multiple of 90 degrees and flipped half of the time.

    Returns:
        ``(dark, clean)``: float32 (N, patch, patch, 3) in [-1, 1].

    Raises:
        ValueError: a held-out photo among ``names``, a bad count, or no photo as large as a crop.
    """
    darkenings = check_positive_int(darkenings, "darkenings")
    per_darkening = check_positive_int(per_darkening, "per_darkening")
    patch = check_positive_int(patch, "patch")
    rng = np.random.default_rng(seed)
    dark, clean = _dark_crops(_training_photos(names, own_photos), darkenings, per_darkening, patch, rng, levelled=True)
    for i in range(len(dark)):
        turn, flip = int(rng.integers(4)), rng.random() < 0.5
        for images in (dark, clean):
            crop = np.rot90(images[i], turn)
            images[i] = crop[:, ::-1] if flip else crop
    return np.stack(dark).astype(np.float32), np.stack(clean).astype(np.float32)


def _dark_crops(photos, darkenings: int, count: int, patch: int, rng, *, levelled: bool):
    """Crops from the same places of photos darkened as shot (levelled over the whole photo or not) and of the originals.

    Returns:
        ``(dark, clean)``: lists of float (patch, patch, 3) arrays in [-1, 1].
    """
    from prodimg_lib.data import degrade
    from prodimg_lib.enhancement.classical import levels_gamma

    dark, clean = [], []
    for photo in photos:
        h, w, _ = photo.shape
        if min(h, w) < patch:
            continue
        for _ in range(darkenings):
            shot = degrade.low_light_as_shot(photo, seed=rng)
            if levelled:
                shot = levels_gamma(shot, **LOW_LIGHT_LEVELS)
            for r, c in zip(rng.integers(0, h - patch + 1, count), rng.integers(0, w - patch + 1, count)):
                dark.append(shot[r:r + patch, c:c + patch])
                clean.append(photo[r:r + patch, c:c + patch])
    if not dark:
        raise ValueError(f"no photo is at least {patch} x {patch} pixels: nothing to crop")
    return dark, clean


def train_photo_low_light(profile, *, own_photos=None, verbose: int | str = 2, seed: int = 0,
                          log: Callable[[str], None] | None = print, callbacks=None):
    """Build the colour low-light network of :func:`photo_low_light_settings` and train it on :func:`photo_dark_pairs`.

    Args:
        profile: the run profile.
        own_photos: None, or your own well-exposed uint8 photos to train on as well (they are darkened).
        verbose, seed, log, callbacks: as in :func:`prodimg_lib.experiments.low_light.train_low_light`.

    Returns:
        :class:`~prodimg_lib.experiments.low_light.LowLightRun` (``prepare`` = :data:`~prodimg_lib.enhancement.photo.LOW_LIGHT_LEVELS`); the
        model maps (N, h, w, 3) in [-1, 1] to the same shape and range, and is saved as
        ``low_light_photo``.
    """
    import keras

    from prodimg_lib.enhancement.models.tone import build_low_light_net
    from prodimg_lib.experiments.common import train_run
    from prodimg_lib.experiments.low_light import LowLightRun

    settings = photo_low_light_settings(profile)
    dark, clean = photo_dark_pairs(settings["darkenings"], settings["per_darkening"], own_photos=own_photos,
                                   patch=settings["patch"], seed=seed)
    if own_photos is not None:
        settings["own_photos"] = len(own_photos)
    keras.utils.set_random_seed(seed)
    model = build_low_light_net(3, width=settings["width"], iterations=settings["iterations"],
                                denoiser_width=settings["denoiser_width"], denoiser_depth=settings["denoiser_depth"])
    return train_run(LowLightRun, model, settings, dark, clean, verbose=verbose, seed=seed, log=log,
                     jit_compile=profile.jit_compile, callbacks=callbacks, objective="supervised",
                     prepare=dict(LOW_LIGHT_LEVELS))


def _balance(images, balance: str):
    from prodimg_lib.enhancement import classical

    if balance == "none":
        return images
    return classical.grey_world(images) if balance == "grey_world" else classical.white_patch(images)


def photo_chain(images, chain: dict, *, stages=None) -> np.ndarray:
    """The tuned classical chain (white balance, then :func:`prodimg_lib.experiments.low_light.classical_chain`) on RGB images.

    Args:
        images: (N, H, W, 3) in [-1, 1].
        chain: from :func:`tune_photo_chain`.
        stages: how many stages after the white balance (None: all).
    """
    from prodimg_lib.experiments.low_light import classical_chain

    return classical_chain(_balance(images, chain["balance"]), chain, stages=stages)


def tune_photo_chain(crops: int = 4, *, patch: int = 128, seed: int = 1,
                     log: Callable[[str], None] | None = print) -> dict:
    """Tune the classical low-light chain on crops of the training photos darkened as shot.

    Each training photo is darkened at its own size and ``crops`` crops are cut; the white balance
    (:data:`BALANCES`) is chosen first, by the PSNR of levels + gamma after it, then
    :func:`prodimg_lib.experiments.low_light.tune_chain` tunes the rest on the balanced crops.

    Returns:
        The chain of ``tune_chain`` with "balance" added.
    """
    from prodimg_lib.evaluation.image_quality import psnr
    from prodimg_lib.experiments.low_light import classical_chain, tune_chain

    crops = check_positive_int(crops, "crops")
    rng = np.random.default_rng(seed)
    dark, clean = _dark_crops(_training_photos(TRAINING_PHOTOS, None), 1, crops, patch, rng, levelled=False)
    dark, clean = np.stack(dark), np.stack(clean)
    plain = {"levels_gamma": dict(LOW_LIGHT_LEVELS)}
    scores = {b: psnr(clean, classical_chain(_balance(dark, b), plain, stages=1)) for b in BALANCES}
    balance = max(scores, key=scores.get)
    if log is not None:
        log(f"  white balance: {balance} ({', '.join(f'{b} {s:.2f} dB' for b, s in scores.items())} with "
            f"levels at {LOW_LIGHT_LEVELS['high']:g} %, on {len(clean)} crops of {patch} x {patch})")
    return dict(tune_chain(_balance(dark, balance), clean, log=log), balance=balance)


def evaluate_held_out(model, chain: dict, *, names=None, size: int | None = None, seed: int = 3,
                      keep_outputs: bool = False) -> tuple[list[dict], dict]:
    """The held-out photos darkened as shot, brightened by the classical chain (stage by stage) and by the network.

    Args:
        model: the network (or its :class:`~prodimg_lib.experiments.low_light.LowLightRun`), run by
            :func:`prodimg_lib.enhancement.photo.brighten`; or None for the classical rows only.
        chain: from :func:`tune_photo_chain`, or None for no classical rows.
        names: the photos (None: :data:`~prodimg_lib.data.photos.HELD_OUT_PHOTOS`).
        size: None for each photo at its own size, or the side of a crop from its top left.
        seed: seeds each photo's darkening (the same for every method, and for each photo whatever
            other photos are measured).
        keep_outputs: also return the photos.

    Returns:
        ``(rows, outputs)``: one row per photo with photo, size, the PSNR in dB of "dark", of each
        classical stage (by its name in :func:`summarise`'s terms) and of "network", and the
        network's seconds; outputs (if kept) maps each photo to ``{"clean", "dark", method: uint8}``.
    """
    from prodimg_lib.data import from_minus_one_one, to_minus_one_one
    from prodimg_lib.enhancement.photo import brighten
    from prodimg_lib.evaluation.image_quality import psnr
    from prodimg_lib.experiments.common import model_of
    from prodimg_lib.experiments.low_light import chain_labels

    rows, outputs = [], {}
    labels = {} if chain is None else chain_labels(
        chain, [] if chain["balance"] == "none" else [chain["balance"].replace("_", " ")])
    for name in HELD_OUT_PHOTOS if names is None else names:
        photo = skimage_photo(name)
        if size is not None:
            photo = photo[:size, :size]
        dark = darken_photo(photo, seed=np.random.default_rng([seed, zlib.crc32(name.encode())]))
        images = {"dark": dark}
        x = rgb_photo(dark)[None]
        for k, label in labels.items():
            out = from_minus_one_one(photo_chain(x, chain, stages=k)[0])
            images[label] = out if photo.shape[-1] == 3 else _grey(out)
        row = dict(photo=name, size=f"{photo.shape[1]}x{photo.shape[0]}")
        if model is not None:
            start = time.perf_counter()
            images["network"] = brighten(dark, model_of(model))
            row["network seconds"] = time.perf_counter() - start
        reference = to_minus_one_one(photo)
        row.update({m: psnr(reference, to_minus_one_one(image)) for m, image in images.items()})
        rows.append(row)
        if keep_outputs:
            outputs[name] = dict(clean=photo, **images)
    return rows, outputs


def _grey(pixels: np.ndarray) -> np.ndarray:
    """The mean of the three channels of a uint8 RGB result, for a grayscale photo."""
    return np.round(pixels.astype(np.float64).mean(axis=-1, keepdims=True)).astype(np.uint8)


def summarise(rows: list[dict]) -> list[dict]:
    """Per method: the mean PSNR over the photos, the smallest, and its photo; the network's gain over the best classical.

    Returns:
        One dict per method (dark, each classical stage, network): method, psnr, min_psnr,
        worst; on the network's row gain_db (over the best classical row) and min_gain_db (its
        smallest gain on one photo over that row).
    """
    methods = [k for k in rows[0] if k not in ("photo", "size") and not k.endswith(" seconds")]
    classical = [m for m in methods if m not in ("dark", "network")]
    best = max(classical, key=lambda m: np.mean([r[m] for r in rows])) if classical else None
    out = []
    for m in methods:
        values = np.array([r[m] for r in rows])
        row = dict(method=m, psnr=float(values.mean()), min_psnr=float(values.min()),
                   worst=rows[int(np.argmin(values))]["photo"])
        if m == "network" and best is not None:
            gains = values - np.array([r[best] for r in rows])
            row.update(gain_db=float(gains.mean()), min_gain_db=float(gains.min()))
        out.append(row)
    return out


def benchmark(fm, profile, *, log=print) -> list[dict]:
    """Train the photo low-light network and measure it on the held-out photos against the tuned classical chain.

    Args:
        fm: ``data.FashionMNIST`` (unused: the network learns from photographs).
        profile: the run profile.
        log: progress lines.

    Returns:
        The rows of :func:`summarise` (task ``low_light_photos``; the network's row with its
        training seconds and target_db), then one row per photo (task ``low_light_photos_each``).
    """
    from prodimg_lib.experiments.tone import TARGET_GAIN_DB

    del fm
    settings = photo_low_light_settings(profile)
    log("Tuning the classical chain on the training photos ...")
    chain = tune_photo_chain(settings["tune_crops"], log=log)
    run = train_photo_low_light(profile, verbose=0, log=log)
    log("Measuring on the held-out photos ...")
    rows, _ = evaluate_held_out(run, chain, size=settings["eval_size"])
    out = []
    for row in summarise(rows):
        entry = dict(task="low_light_photos", **row)
        if row["method"] == "network":
            entry.update(seconds=run.seconds, target_db=TARGET_GAIN_DB)
        out.append(entry)
    out += [dict(task="low_light_photos_each", **row) for row in rows]
    return out
