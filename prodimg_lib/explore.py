"""Exploring a labelled image data set: class balance, mean images, confusion matrices.

Plain NumPy functions over arrays (notebook 04), each with a clear error on bad input:

- :func:`class_counts`: how many images of each class;
- :func:`mean_images`: the mean image of each class, and :func:`nearest_mean_predict`, the
  "nearest class mean" classifier built on them (a baseline any learned model must beat);
- :func:`confusion_matrix`, :func:`per_class_accuracy`, :func:`accuracy_from_confusion` and
  :func:`most_confused`: where a classifier goes wrong.

Labels are integer class indices in ``[0, num_classes)``; images are arrays of shape
(N, H, W) or (N, H, W, C), uint8 pixels or floats.

The module also holds the exercise checkers of notebook 04 (``check_...``): per-class mean
images, a confusion matrix, the accuracy read from a confusion matrix, a horizontal flip
written with NumPy, and which augmentations suit catalogue photos. Like every checker of the
course, they never raise on a wrong or missing answer; they return a
:class:`~prodimg_lib.exercises.CheckResult`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .exercises import Case, CheckResult, check_cases, failed, is_unanswered, not_answered, passed

__all__ = [
    "class_counts",
    "mean_images",
    "nearest_mean_predict",
    "confusion_matrix",
    "per_class_accuracy",
    "accuracy_from_confusion",
    "most_confused",
    "AUGMENTATION_CHOICES",
    "check_mean_images",
    "check_confusion_matrix",
    "check_accuracy",
    "check_horizontal_flip",
    "check_label_preserving",
]


# --- input checks ---------------------------------------------------------------------------


def _num_classes(num_classes) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    return int(num_classes)


def _labels(labels, num_classes: int, name: str = "labels") -> np.ndarray:
    """Integer class indices of shape (N,) in [0, num_classes), as int64."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == num_classes and labels.shape[0] != 1:
        raise ValueError(
            f"{name} has shape {labels.shape} and looks one-hot encoded (or like class probabilities); "
            f"pass class indices, e.g. {name}.argmax(axis=1)"
        )
    if labels.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class indices (N,), got shape {labels.shape}")
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{name} must be integer class indices, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"{name} must be in [0, {num_classes}) for num_classes={num_classes}, "
            f"got values in [{labels.min()}, {labels.max()}]"
        )
    return labels.astype(np.int64)


def _images(images, name: str = "images") -> np.ndarray:
    images = np.asarray(images)
    if images.dtype == bool or not np.issubdtype(images.dtype, np.number):
        raise TypeError(f"{name} must hold numbers (pixel values), got dtype {images.dtype}")
    if images.ndim not in (3, 4):
        raise ValueError(f"{name} must have shape (N, H, W) or (N, H, W, C), got {images.shape}")
    if images.size and not np.all(np.isfinite(images)):
        raise ValueError(f"{name} contain NaN or infinite values")
    return images


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
    num_classes = _num_classes(num_classes)
    return np.bincount(_labels(labels, num_classes), minlength=num_classes).astype(np.int64)


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
    num_classes = _num_classes(num_classes)
    images = _images(images)
    labels = _labels(labels, num_classes)
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
    images = _images(images)
    means = np.asarray(means)
    if means.ndim != images.ndim or means.shape[1:] != images.shape[1:] or len(means) == 0:
        raise ValueError(f"means must have shape (K, {', '.join(map(str, images.shape[1:]))}), got {means.shape}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    flat_means = means.reshape(len(means), -1).astype(np.float64)
    mean_sq = (flat_means**2).sum(axis=1)
    out = np.empty(len(images), dtype=np.int64)
    for start in range(0, len(images), int(batch_size)):
        x = images[start : start + int(batch_size)].reshape(-1, flat_means.shape[1]).astype(np.float64)
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
    num_classes = _num_classes(num_classes)
    y_true = _labels(y_true, num_classes, "y_true")
    y_pred = _labels(y_pred, num_classes, "y_pred")
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
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    off = cm.astype(np.float64).copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[: int(top)]
    pairs = [(int(i // len(cm)), int(i % len(cm)), int(round(off.flat[i]))) for i in order]
    return [p for p in pairs if p[2] > 0]


# --- exercise checkers (notebook 04) ----------------------------------------------------------


def check_mean_images(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(images, labels)``: the mean image of each of the 10 classes.

    ``images`` is (N, H, W) uint8 or float, ``labels`` (N,) in [0, 10); the answer has shape
    (10, H, W). The test images are not square, so a transposed answer is caught.
    """
    rng = np.random.default_rng(4)
    labels_a = rng.permutation(np.repeat(np.arange(10), 3))
    images_a = rng.integers(0, 256, size=(30, 4, 5), dtype=np.uint8)
    labels_b = np.concatenate([np.arange(10), rng.integers(0, 10, size=15)])
    labels_b = labels_b[rng.permutation(len(labels_b))]
    images_b = rng.normal(size=(25, 3, 6))

    cases = []
    for images, labels, label in (
        (images_a, labels_a, "30 uint8 images of 4 x 5 pixels, 3 per class"),
        (images_b, labels_b, "25 float images of 3 x 6 pixels, classes of different sizes"),
    ):
        expected = mean_images(images, labels)
        counts = np.bincount(labels, minlength=10).reshape(10, 1, 1)
        sums = expected * counts
        overall = np.broadcast_to(images.astype(np.float64).mean(axis=0), expected.shape)
        mistakes = (
            (sums, "These are the sums of each class: divide by the number of images of the class."),
            (sums / len(images), "You divided by the number of all images; divide by the number of images of the class."),
            (overall, "Every class got the mean of all images: average only images[labels == c] for class c."),
        )
        cases.append(Case(args=(images, labels), expected=expected, label=label, mistakes=mistakes))
    result = check_cases("your mean_images", fn, cases)
    if not result:
        for images in (images_a, images_b):
            h, w = images.shape[1:]
            if f"has shape (10, {w}, {h})," in result.message:
                return failed(result.message + " Rows and columns are swapped: keep each image (H, W) as it is.")
    if result:
        return passed("your mean images match the reference: one (H, W) mean per class, in class order.")
    return result


def check_confusion_matrix(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(y_true, y_pred)``: the 10 x 10 confusion matrix, rows true, columns predicted."""
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 10, size=60)
    y_pred = np.where(rng.random(60) < 0.6, y_true, rng.integers(0, 10, size=60))
    # a case where the last classes never occur: the matrix is still 10 x 10
    y_true_short = np.array([0, 1, 2, 2, 3, 1, 0, 2])
    y_pred_short = np.array([0, 2, 2, 1, 3, 1, 0, 0])
    cases = []
    for t, p, label in (
        (y_true, y_pred, "60 random labels"),
        (y_true_short, y_pred_short, "8 labels using only classes 0-3 (the matrix must still be 10 x 10)"),
    ):
        expected = confusion_matrix(t, p)
        rows = expected.sum(axis=1, keepdims=True)
        mistakes = (
            (expected.T, "Rows and columns are swapped: rows are the true classes, columns the predicted ones (cm[t, p] += 1)."),
            (expected / np.maximum(rows, 1), "These are fractions of each row: the confusion matrix counts images."),
            (expected / len(t), "These are fractions of all images: the confusion matrix counts images."),
        )
        cases.append(Case(args=(t, p), expected=expected, label=label, mistakes=mistakes))
    result = check_cases("your confusion_matrix", fn, cases)
    if not result and "has shape (4, 4)" in result.message:
        return failed(result.message + " Use num_classes = 10, not the largest label + 1: a class may be missing from a batch.")
    if result:
        return passed("your confusion matrix matches the reference (rows true, columns predicted).")
    return result


def check_accuracy(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(cm)``: the overall accuracy read from a (K, K) confusion matrix."""
    cm_a = np.array([[50, 0, 0], [10, 30, 10], [0, 5, 5]])  # classes of different sizes
    cm_b = confusion_matrix(np.array([0, 0, 1, 1, 1, 2, 3, 3, 3, 3]), np.array([0, 1, 1, 1, 0, 2, 3, 2, 3, 3]), 4)
    cases = []
    for cm, label in ((cm_a, f"the 3 x 3 matrix {cm_a.tolist()}"), (cm_b, f"the 4 x 4 matrix {cm_b.tolist()}")):
        expected = accuracy_from_confusion(cm)
        balanced = float(np.mean(per_class_accuracy(cm)))
        mistakes = (
            (balanced, "That is the mean of the per-class accuracies (balanced accuracy); the accuracy divides the "
                       "correct predictions by all predictions, so large classes count more."),
            (1 - expected, "That is the error rate: count the diagonal (correct predictions), not the rest."),
            (float(np.trace(cm)), "That is the number of correct predictions: divide it by the number of all predictions."),
            (float(np.trace(cm)) / len(cm), "Divide by the number of predictions (cm.sum()), not the number of classes."),
        )
        cases.append(Case(args=(cm,), expected=expected, label=label, mistakes=mistakes))
    result = check_cases("your accuracy", fn, cases)
    if result:
        return passed("the accuracy is the trace of the confusion matrix over its sum.")
    return result


def check_horizontal_flip(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(images)``: mirror a batch (N, H, W, C) left-right, like ``RandomFlip("horizontal")``."""
    rng = np.random.default_rng(6)
    cases = []
    for images, label in (
        (np.arange(24.0).reshape(2, 3, 4, 1), "a batch of 2 images of 3 x 4 pixels, 1 channel"),
        (rng.normal(size=(3, 5, 6, 2)), "a batch of 3 images of 5 x 6 pixels, 2 channels"),
    ):
        expected = np.flip(images, axis=2)
        mistakes = (  # the first match wins: "unchanged" before "channels" (1 channel)
            (images, "The images are unchanged: reverse the width axis, e.g. images[:, :, ::-1, :]."),
            (np.flip(images, axis=1), "That is a vertical flip (upside down): a horizontal flip reverses the columns, axis 2 of (N, H, W, C)."),
            (np.flip(images, axis=0), "That reverses the order of the images in the batch (axis 0); flip the width axis, axis 2."),
            (np.flip(images, axis=3), "That reverses the channels (axis 3); flip the width axis, axis 2."),
            (np.flip(images, axis=(1, 2)), "That flips both axes, a 180-degree rotation: flip the width axis (2) only."),
        )
        cases.append(Case(args=(images,), expected=expected, label=label, mistakes=mistakes))
    result = check_cases("your horizontal flip", fn, cases)
    if result:
        return passed("your flip mirrors each image left-right, like keras.layers.RandomFlip('horizontal') does.")
    return result


# Transformations of a Fashion-MNIST catalogue photo: (description, keeps label and look, why).
AUGMENTATION_CHOICES: dict[str, tuple[str, bool, str]] = {
    "a": ("mirror left-right (horizontal flip)", True,
          "a sneaker pointing the other way is still a sneaker, photographed the same way."),
    "b": ("mirror top-bottom (vertical flip)", False,
          "catalogue products are always shown upright: an upside-down boot or dress never appears, "
          "so the model would spend capacity on images it will never see (and a generator would learn to draw them)."),
    "c": ("tilt by a small angle (up to about 20 degrees)", True,
          "a slight tilt happens when products are photographed or cut out."),
    "d": ("rotate by 90 degrees", False,
          "products are never shown lying on their side; a trouser turned by 90 degrees no longer looks like a catalogue photo."),
    "e": ("shift by up to 2 pixels", True,
          "products are not always perfectly centred."),
    "f": ("zoom in or out by up to 10 %", True,
          "products of the same class come in slightly different sizes in the frame."),
    "g": ("keep only the top half of the image", False,
          "the label can change: the top half of a dress looks like a top, of an ankle boot like a sneaker."),
    "h": ("invert the brightness (dark product on a white background)", False,
          "every Fashion-MNIST photo has a black background and a bright product: inverted images come from "
          "another distribution, one the model never meets."),
}


def check_label_preserving(answer) -> CheckResult:
    """Check which of :data:`AUGMENTATION_CHOICES` keep both the label and the look of a catalogue photo.

    ``answer`` is a set (or list, tuple, or string) of choice letters, e.g. ``{"a", "c"}``.
    """
    if is_unanswered(answer):
        return not_answered("your set of letters")
    if isinstance(answer, str):
        answer = [ch for ch in answer if ch.strip() and ch not in ",;"]
    if not isinstance(answer, (set, frozenset, list, tuple)):
        return failed(f"give a set of letters such as {{'a', 'c'}}, got {type(answer).__name__}.")
    letters = set()
    for item in answer:
        if not isinstance(item, str):
            return failed(f"give the choices as letters (strings) such as 'a', got {item!r}.")
        letters.add(item.strip().lower())
    unknown = sorted(letters - set(AUGMENTATION_CHOICES))
    if unknown:
        return failed(f"unknown choice(s) {unknown}: the choices are {', '.join(sorted(AUGMENTATION_CHOICES))}.")
    right = {k for k, (_, ok, _) in AUGMENTATION_CHOICES.items() if ok}
    problems = []
    for k in sorted(letters - right):
        text, _, why = AUGMENTATION_CHOICES[k]
        problems.append(f"({k}) '{text}' does not fit: {why}")
    missing = sorted(right - letters)
    if problems:
        extra = f" You also left out {len(missing)} choice(s) that do fit." if missing else ""
        return failed(" ".join(problems) + extra)
    if missing:
        names = "; ".join(f"({k}) {AUGMENTATION_CHOICES[k][0]}" for k in missing)
        return failed(f"everything you chose fits, but you left out: {names}. Would it change the label or the look?")
    return passed("these transformations keep the class and give images like real catalogue photos: "
                  "flip, small rotations, small shifts and small zooms (the augmenter of this course).")
