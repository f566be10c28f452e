"""Solutions to the exercises of notebook 04 (for teachers; tests run each through its checker)."""

import numpy as np


def mean_images(images, labels):
    """Exercise 1: the mean image of each of the ten classes, shape (10, H, W)."""
    images = np.asarray(images, dtype=np.float64)
    return np.stack([images[labels == c].mean(axis=0) for c in range(10)])


def confusion_matrix(y_true, y_pred):
    """Exercise 2: 10 x 10 counts, rows true classes, columns predicted classes."""
    cm = np.zeros((10, 10), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)  # cm[t, p] += 1 for every pair, repeated pairs included
    return cm


def accuracy(cm):
    """Exercise 3: correct predictions (the diagonal) over all predictions.

    The mean of the per-class accuracies (balanced accuracy) is the same only when every
    class has the same number of images, as in the Fashion-MNIST test set.
    """
    cm = np.asarray(cm)
    return float(np.trace(cm) / cm.sum())


def horizontal_flip(images):
    """Exercise 4: mirror each image of a (N, H, W, C) batch left-right (reverse the width axis)."""
    return images[:, :, ::-1, :]


# Exercise 5: flip left-right, small rotations, small shifts, small zooms.
LABEL_PRESERVING = {"a", "c", "e", "f"}


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import product_data as exercises

    return [
        exercises.check_mean_images(mean_images),
        exercises.check_confusion_matrix(confusion_matrix),
        exercises.check_accuracy(accuracy),
        exercises.check_horizontal_flip(horizontal_flip),
        exercises.check_label_preserving(LABEL_PRESERVING),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
