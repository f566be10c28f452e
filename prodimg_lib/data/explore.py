"""Exploring a labelled image data set: class balance, mean images, confusion matrices.

Plain NumPy functions over arrays (notebook 04), each with a clear error on bad input:

- :func:`class_counts`: how many images of each class;
- :func:`mean_images`: the mean image of each class, and :func:`nearest_mean_predict`, the
  "nearest class mean" classifier built on them (a baseline any learned model must beat);
- :func:`confusion_matrix`, :func:`per_class_accuracy`, :func:`accuracy_from_confusion` and
  :func:`most_confused`: where a classifier goes wrong.

Labels are integer class indices in ``[0, num_classes)``; images are arrays of shape
(N, H, W) or (N, H, W, C), uint8 pixels or floats (checked by :mod:`prodimg_lib.data.pixels`:
:func:`~prodimg_lib.data.pixels.as_labels`, :func:`~prodimg_lib.data.pixels.as_raw_images`).
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.data.pixels import as_labels, as_raw_images, check_positive_int

__all__ = [
    "class_counts",
    "mean_images",
    "nearest_mean_predict",
    "confusion_matrix",
    "per_class_accuracy",
    "accuracy_from_confusion",
    "most_confused",
]


def _confusion(cm, name: str = "cm") -> np.ndarray:
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise ValueError(f"{name} must be a square (K, K) matrix (rows true, columns predicted), got shape {cm.shape}")
    if cm.dtype == bool or not np.issubdtype(cm.dtype, np.number):
        raise TypeError(f"{name} must hold counts, got dtype {cm.dtype}")
    if not np.all(np.isfinite(cm)) or cm.min() < 0:
        raise ValueError(f"{name} must hold non-negative counts")
    return cm


# --- statistics -----------------------------------------------------------------------------


def class_counts(labels, num_classes: int = 10) -> np.ndarray:
    """How many images of each class.

    Args:
        labels: (N,) integer class indices in [0, num_classes).
        num_classes: number of classes (10 for Fashion-MNIST).

    Returns:
        (num_classes,) int64 counts; classes without images count 0.

    Raises:
        TypeError, ValueError: labels that are not integer class indices in range.
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    return np.bincount(as_labels(labels, num_classes), minlength=num_classes).astype(np.int64)


def mean_images(images, labels, num_classes: int = 10) -> np.ndarray:
    """The mean image of each class: ``means[c] = images[labels == c].mean(axis=0)``.

    Args:
        images: (N, H, W) or (N, H, W, C) pixel values (uint8 in [0, 255] or floats).
        labels: (N,) integer class indices in [0, num_classes).
        num_classes: number of classes.

    Returns:
        (num_classes, H, W) or (num_classes, H, W, C) float64, in the units of ``images``
        (uint8 input gives means in [0, 255]).

    Raises:
        TypeError, ValueError: bad images or labels, lengths that differ, or a class without
            any image (its mean is undefined).
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    images = as_raw_images(images)
    labels = as_labels(labels, num_classes)
    if len(labels) != len(images):
        raise ValueError(f"images and labels must have the same length, got {len(images)} images and {len(labels)} labels")
    counts = np.bincount(labels, minlength=num_classes)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise ValueError(f"class(es) {empty.tolist()} have no images, so their mean image is undefined")
    sums = np.zeros((num_classes,) + images.shape[1:], dtype=np.float64)
    np.add.at(sums, labels, images.astype(np.float64))
    return sums / counts.reshape((num_classes,) + (1,) * (images.ndim - 1))


def nearest_mean_predict(images, means, *, batch_size: int = 2048) -> np.ndarray:
    """Classify each image as the class whose mean image is nearest (Euclidean distance).

    Args:
        images: (N, H, W[, C]) in the same units as ``means``.
        means: (K, H, W[, C]), e.g. from :func:`mean_images`.
        batch_size: images compared at a time (bounds memory).

    Returns:
        (N,) int64 predicted class indices.

    Raises:
        TypeError, ValueError: bad arrays, or images and means of different sizes.
    """
    images = as_raw_images(images)
    means = np.asarray(means)
    if means.ndim != images.ndim or means.shape[1:] != images.shape[1:] or len(means) == 0:
        raise ValueError(f"means must have shape (K, {', '.join(map(str, images.shape[1:]))}), got {means.shape}")
    batch_size = check_positive_int(batch_size, "batch_size")
    flat_means = means.reshape(len(means), -1).astype(np.float64)
    mean_sq = (flat_means**2).sum(axis=1)
    out = np.empty(len(images), dtype=np.int64)
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].reshape(-1, flat_means.shape[1]).astype(np.float64)
        # |x - m|^2 = |x|^2 - 2 x.m + |m|^2; |x|^2 is the same for every class.
        out[start : start + len(x)] = np.argmin(mean_sq[None, :] - 2.0 * x @ flat_means.T, axis=1)
    return out


def confusion_matrix(y_true, y_pred, num_classes: int = 10) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    ``cm[t, p]`` is the number of images of true class ``t`` predicted as class ``p``:
    rows are true classes, columns predicted classes, the diagonal holds the correct
    predictions, and row ``t`` sums to the number of images of class ``t``.

    Args:
        y_true, y_pred: (N,) integer class indices in [0, num_classes).
        num_classes: number of classes (the matrix is always num_classes x num_classes).

    Returns:
        (num_classes, num_classes) int64.

    Raises:
        TypeError, ValueError: bad labels (e.g. probabilities instead of class indices), or
            lengths that differ.
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    y_true = as_labels(y_true, num_classes, "y_true")
    y_pred = as_labels(y_pred, num_classes, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred must have the same length, got {len(y_true)} and {len(y_pred)}")
    counts = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def per_class_accuracy(cm) -> np.ndarray:
    """The fraction of each true class that was predicted correctly (the recall of each class).

    Args:
        cm: (K, K) confusion matrix, rows true, columns predicted.

    Returns:
        (K,) float64: ``diag(cm) / cm.sum(axis=1)``; NaN for a class without images.

    Raises:
        TypeError, ValueError: not a square matrix of non-negative counts.
    """
    cm = _confusion(cm)
    rows = cm.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rows > 0, np.diag(cm) / np.where(rows > 0, rows, 1.0), np.nan)


def accuracy_from_confusion(cm) -> float:
    """Overall accuracy: correct predictions (the diagonal) over all predictions.

    Raises:
        TypeError, ValueError: not a square matrix of non-negative counts, or an empty one.
    """
    cm = _confusion(cm)
    total = float(cm.sum())
    if total == 0:
        raise ValueError("the confusion matrix is empty (all counts are 0)")
    return float(np.trace(cm)) / total


def most_confused(cm, top: int = 5) -> list[tuple[int, int, int]]:
    """The largest off-diagonal counts: ``(true class, predicted class, count)``, largest first.

    Only pairs with a count above 0 are listed; ties keep the row-major order.

    Raises:
        TypeError, ValueError: not a square matrix of non-negative counts, or top < 1.
    """
    cm = _confusion(cm)
    top = check_positive_int(top, "top")
    off = cm.astype(np.float64).copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[: int(top)]
    pairs = [(int(i // len(cm)), int(i % len(cm)), int(round(off.flat[i]))) for i in order]
    return [p for p in pairs if p[2] > 0]
