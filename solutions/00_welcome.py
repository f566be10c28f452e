"""Solutions to the exercises of notebook 00 (for teachers; tests run each through its checker)."""

import numpy as np


def scale(images):
    """Exercise 1: uint8 pixels in [0, 255] to float32 in [-1, 1]."""
    return images.astype(np.float32) / 127.5 - 1.0


def unscale(x):
    """Exercise 2: values in [-1, 1] back to uint8 pixels, clipped and rounded."""
    return np.round(np.clip((np.asarray(x, dtype=np.float32) + 1.0) * 127.5, 0, 255)).astype(np.uint8)


def class_counts(labels):
    """Exercise 3: how many images of each of the ten classes."""
    return np.bincount(labels, minlength=10)


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib import data
    from prodimg_lib.course.exercises import welcome as exercises

    labels = data.load_sample().y_train
    return [
        exercises.check_scaling(scale),
        exercises.check_unscaling(unscale),
        exercises.check_class_counts(class_counts(labels), labels),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
