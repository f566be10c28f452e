"""Stages of the end-to-end product pipeline of notebook 12 that are not models.

generate -> enhance -> post-process -> quality gate -> export:

- :class:`StageTimer` times each stage (``with timer("generate"): ...``);
- :func:`white_background` turns Fashion-MNIST's black background into a catalogue's white;
- :func:`quality_gate` accepts or rejects each image from the product classifier's
  confidence in the requested class and a realism score (:func:`prodimg_lib.evaluation.neighbours.realism_scores`),
  and says why;
- :func:`save_catalogue_sheet`, :func:`save_images` and :func:`write_manifest` export the
  results (every file written atomically, with :mod:`prodimg_lib.files`); before/after pictures
  of photos are :func:`prodimg_lib.viz.side_by_side`.
"""

from __future__ import annotations

import csv
import io
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from prodimg_lib.data.pixels import as_images
from prodimg_lib.files import atomic_write_json, atomic_write_text

__all__ = ["StageTimer", "background_mask", "white_background", "quality_gate", "save_images", "save_catalogue_sheet",
           "write_manifest"]


class StageTimer:
    """Wall-clock seconds per named stage: ``with timer("enhance"): ...``; ``timer.seconds`` keeps them in order."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start

    @property
    def total(self) -> float:
        return float(sum(self.seconds.values()))


def background_mask(images, threshold: float = -0.8) -> np.ndarray:
    """Where the background is: dark pixels (<= ``threshold``) connected to the image border.

    Dark areas *inside* a product (a black sole, a shadow in a fold) are not connected to the
    border through dark pixels, so they are not background. Uses ``scipy.ndimage.label``.

    Args:
        images: float (N, H, W, C) in [-1, 1]; the mean over channels decides.

    Returns:
        bool (N, H, W, 1).
    """
    from scipy import ndimage

    x, _ = as_images(images, "images", channels=None, batch_only=True)
    dark = x.mean(axis=-1) <= threshold
    masks = np.zeros(dark.shape, dtype=bool)
    for i, d in enumerate(dark):
        labels, _ = ndimage.label(d)
        border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        masks[i] = np.isin(labels, border[border > 0])
    return masks[..., None]


def white_background(images, threshold: float = -0.8, softness: float = 0.2, *, mask=None) -> np.ndarray:
    """Replace the black background of [-1, 1] product images with white, with a soft edge.

    Each pixel is blended towards white (1.0) by ``1 - alpha`` with
    ``alpha = clip((x - threshold) / softness, 0, 1)``: pixels at or below ``threshold`` become
    white, pixels above ``threshold + softness`` keep their value. Without ``mask`` every dark
    pixel is whitened, dark parts of the product included; with ``mask`` (e.g.
    :func:`background_mask`, dilated by a pixel for the soft edge) only pixels inside it are.

    Args:
        images: float (N, H, W, C) in [-1, 1].
        mask: None, or bool (N, H, W, 1): where blending is allowed.

    Returns:
        float32, same shape, in [-1, 1].
    """
    x, _ = as_images(images, "images", channels=None, batch_only=True)
    if not softness > 0:
        raise ValueError(f"softness must be positive, got {softness!r}")
    alpha = np.clip((x - threshold) / softness, 0.0, 1.0)
    if mask is not None:
        alpha = np.where(np.asarray(mask, dtype=bool), alpha, 1.0)
    return (alpha * x + (1.0 - alpha) * 1.0).astype(np.float32)


def quality_gate(probabilities, requested, realism, *, min_confidence: float = 0.8, min_realism: float = 1.0) -> list[dict]:
    """Accept or reject each generated image, with the reasons.

    Args:
        probabilities: (N, C) the product classifier's class probabilities.
        requested: (N,) the class each image was generated for.
        realism: (N,) realism scores (:func:`prodimg_lib.evaluation.neighbours.realism_scores`).
        min_confidence: the least probability of the requested class to accept.
        min_realism: the least realism score to accept (1.0: inside the real manifold).

    Returns:
        One dict per image: ``accepted`` (bool), ``confidence`` (probability of the requested
        class), ``predicted`` (the classifier's class), ``realism``, ``reasons`` (list of str,
        empty when accepted).
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    requested, realism = np.asarray(requested), np.asarray(realism, dtype=np.float64)
    n = len(requested)
    if probabilities.ndim != 2 or len(probabilities) != n or realism.shape != (n,):
        raise ValueError(f"probabilities (N, C), requested (N,) and realism (N,) must agree; got {probabilities.shape}, "
                         f"{requested.shape}, {realism.shape}")
    from prodimg_lib.data import CLASS_NAMES

    names = CLASS_NAMES if probabilities.shape[1] == len(CLASS_NAMES) else [str(c) for c in range(probabilities.shape[1])]
    results = []
    for p, want, r in zip(probabilities, requested, realism):
        predicted, confidence = int(np.argmax(p)), float(p[int(want)])
        reasons = []
        if predicted != int(want):
            reasons.append(f"looks like a {names[predicted]} ({p[predicted]:.0%}), not a {names[int(want)]}")
        elif confidence < min_confidence:
            reasons.append(f"unsure it is a {names[int(want)]} ({confidence:.0%} < {min_confidence:.0%})")
        if r < min_realism:
            reasons.append(f"unrealistic (realism {r:.2f} < {min_realism:g})")
        results.append(dict(accepted=not reasons, confidence=confidence, predicted=predicted, realism=float(r), reasons=reasons))
    return results


def save_images(images, names, out_dir) -> list[Path]:
    """Write [-1, 1] (or uint8) images as PNG files ``out_dir/<name>.png``; return the paths."""
    from prodimg_lib.data import from_minus_one_one
    from prodimg_lib.data.photos import write_photo

    images = np.asarray(images)
    pixels = images if images.dtype == np.uint8 else from_minus_one_one(images)
    if len(pixels) != len(names):
        raise ValueError(f"{len(pixels)} images but {len(names)} names")
    return [write_photo(image, Path(out_dir) / f"{name}.png") for image, name in zip(pixels, names)]


def save_catalogue_sheet(images, titles, path, *, ncols: int = 8, title: str | None = None) -> Path:
    """A labelled grid (:func:`prodimg_lib.viz.image_grid`, titles under each image) saved as one PNG; return its path."""
    import matplotlib.pyplot as plt

    from prodimg_lib.files import atomic_write_bytes
    from prodimg_lib.viz import figure_png, image_grid

    nrows = -(-len(images) // ncols)
    fig = image_grid(images, nrows, ncols, titles=list(titles), cell_size=1.5, suptitle=title)
    try:
        return atomic_write_bytes(path, figure_png(fig))
    finally:
        plt.close(fig)


def write_manifest(rows: list[dict], out_dir, stem: str = "manifest") -> tuple[Path, Path]:
    """Write ``rows`` (one dict per exported image, same keys) as ``<stem>.csv`` and ``<stem>.json``."""
    if not rows:
        raise ValueError("no rows to write")
    out = Path(out_dir)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "; ".join(v) if isinstance(v, list) else v for k, v in row.items()})
    return atomic_write_text(out / f"{stem}.csv", text.getvalue()), atomic_write_json(out / f"{stem}.json", rows)
