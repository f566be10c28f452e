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


def build_small_classifier():
    """Exercise 6: two convolution blocks, Flatten, Dense(10, softmax), compiled for integer labels."""
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(16, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _classifier_data():
    """1,024 training and 1,000 test images in [-1, 1]: the full Fashion-MNIST if found offline, else the committed sample."""
    from prodimg_lib import data

    try:
        images = data.locate_fashion_mnist(download=False)[0]
    except data.DataNotFoundError:
        images = data.load_sample()
    x_train, y_train, x_test, y_test = images
    return (data.to_minus_one_one(x_train[:1024, :, :, None]), y_train[:1024],
            data.to_minus_one_one(x_test[:1000, :, :, None]), y_test[:1000])


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import product_data as exercises

    return [
        exercises.check_mean_images(mean_images),
        exercises.check_confusion_matrix(confusion_matrix),
        exercises.check_accuracy(accuracy),
        exercises.check_horizontal_flip(horizontal_flip),
        exercises.check_label_preserving(LABEL_PRESERVING),
        exercises.check_small_classifier(build_small_classifier, *_classifier_data()),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
