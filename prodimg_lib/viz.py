"""Figures used across the course: labelled image grids."""

from __future__ import annotations

import numpy as np

__all__ = ["to_display", "image_grid", "class_grid"]


def to_display(images: np.ndarray) -> np.ndarray:
    """Images as float values in [0, 1] for ``imshow``, with the channel axis dropped for grayscale.

    Accepts uint8 in [0, 255] or floats in [-1, 1] (model range); shape (..., H, W) or (..., H, W, C).
    """
    from .data import from_minus_one_one

    images = np.asarray(images)
    if images.dtype == np.uint8:
        out = images.astype(np.float32) / 255.0
    else:
        if images.size and (np.nanmin(images) < -1.001 or np.nanmax(images) > 1.001):
            raise ValueError(
                f"float images must be in [-1, 1] (model range); got [{np.nanmin(images):.3g}, {np.nanmax(images):.3g}]. "
                "Convert uint8 photos with to_minus_one_one first or pass them as uint8."
            )
        out = from_minus_one_one(images, dtype="float32")
    if out.ndim >= 3 and out.shape[-1] == 1:
        out = out[..., 0]
    return out


def image_grid(images, nrows: int, ncols: int, *, titles=None, row_labels=None, cell_size: float = 1.1, suptitle=None):
    """Show ``nrows * ncols`` images (uint8 [0, 255] or float [-1, 1]) in a grid; return the figure.

    Grayscale images are drawn with a gray colour map on a fixed range (black 0, white 255),
    so that dark images stay dark.
    """
    import matplotlib.pyplot as plt

    shown = to_display(images)
    if len(shown) < nrows * ncols:
        raise ValueError(f"need {nrows * ncols} images for a {nrows}x{ncols} grid, got {len(shown)}")
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * cell_size + (1.4 if row_labels else 0), nrows * cell_size))
    axes = np.asarray(axes).reshape(nrows, ncols)
    for i, ax in enumerate(axes.flat):
        ax.imshow(shown[i], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_visible(False)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=8)
    if row_labels is not None:
        for label, ax in zip(row_labels, axes[:, 0]):
            ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def class_grid(images, labels, class_names, per_class: int = 8, *, seed: int = 0, suptitle=None):
    """One row per class with ``per_class`` randomly chosen examples, the class name at the left."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    picks = []
    for c in range(len(class_names)):
        idx = np.flatnonzero(labels == c)
        if len(idx) < per_class:
            raise ValueError(f"class {class_names[c]!r} has {len(idx)} images, fewer than per_class={per_class}")
        picks.append(rng.choice(idx, per_class, replace=False))
    order = np.concatenate(picks)
    return image_grid(np.asarray(images)[order], len(class_names), per_class, row_labels=list(class_names), suptitle=suptitle)
