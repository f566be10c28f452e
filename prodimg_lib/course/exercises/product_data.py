"""The exercise checkers of notebook 04 (product data).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

from typing import Any, Callable
import numpy as np

from prodimg_lib.data.explore import accuracy_from_confusion, confusion_matrix, mean_images, per_class_accuracy
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases, failed, is_unanswered, not_answered, passed


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
