"""Judging a set of generated images with the product classifier: features, labels, every metric.

One pass of the classifier gives both the features (for the distances, precision and recall)
and the predicted classes (for the class histogram); :func:`evaluate_samples` computes every
metric of notebook 07 from them against a reference set of real images.
"""

from __future__ import annotations

import weakref

import keras
import numpy as np

from prodimg_lib.evaluation import feature_space, neighbours

__all__ = ["DISTANCE_LABEL", "features_and_labels", "two_headed", "real_features", "evaluate_samples"]

DISTANCE_LABEL = (
    "Fréchet classifier distance (features of the course's product classifier; not comparable with InceptionV3 FID)"
)


def features_and_labels(classifier, images, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """The classifier's features (N, D) and predicted classes (N,) of images, in one pass.

    Args:
        classifier: the product classifier (:func:`prodimg_lib.evaluation.classifier.build_classifier`'s model),
            or a model already returning ``[features, probabilities]``.
        images: (N, 28, 28, 1) float32 in [-1, 1] (checked).

    Returns:
        ``(features float32 (N, D), labels int64 (N,))``.
    """
    from prodimg_lib.data import as_model_images
    from prodimg_lib.evaluation.classifier import FEATURES_LAYER

    if len(classifier.outputs) == 1:
        classifier = two_headed(classifier, FEATURES_LAYER)
    images = as_model_images(images, "images", tuple(classifier.inputs[0].shape[1:]))
    features, probabilities = classifier.predict(images, batch_size=batch_size, verbose=0)
    return np.asarray(features, np.float32).reshape(len(images), -1), np.argmax(np.asarray(probabilities), axis=-1)


TWO_HEADED = weakref.WeakKeyDictionary()  # classifier -> its two-headed model, built once (one predict function)


def two_headed(classifier, layer_name: str):
    """A model sharing the classifier's weights that returns ``[features, probabilities]`` (cached per classifier)."""
    if classifier in TWO_HEADED:
        return TWO_HEADED[classifier]
    try:
        layer = classifier.get_layer(layer_name)
    except ValueError:
        raise ValueError(f"the classifier {classifier.name!r} has no layer named {layer_name!r}; "
                         "build it with prodimg_lib.evaluation.classifier.build_classifier") from None
    model = keras.Model(classifier.inputs, [layer.output, classifier.outputs[0]], name="features_and_probabilities")
    TWO_HEADED[classifier] = model
    return model


def real_features(classifier, x_test, x_train, n_floor: int, seed: int = 0) -> dict:
    """Features and predicted labels of the reference set (test) and of the floor set (train subset).

    Args:
        classifier: the product classifier (or its :func:`features_and_labels` model).
        x_test: (M, 28, 28, 1) in [-1, 1], the reference set.
        x_train: (N, 28, 28, 1) in [-1, 1]; ``n_floor`` of them (random, seeded) make the floor.
        n_floor: size of the floor set (the number of generated samples, for a fair comparison).

    Returns:
        ``{"test": (M, D), "test_labels": (M,), "floor": (n, D), "floor_labels": (n,)}``.
    """
    pick = np.random.default_rng(seed).choice(len(x_train), min(int(n_floor), len(x_train)), replace=False)
    test, test_labels = features_and_labels(classifier, x_test)
    floor, floor_labels = features_and_labels(classifier, x_train[np.sort(pick)])
    return {"test": test, "test_labels": test_labels, "floor": floor, "floor_labels": floor_labels}


def evaluate_samples(features, labels, reference_features, *, num_classes: int = 10, k: int = 3, seed: int = 0) -> dict:
    """Every metric of one sample set against the reference (test) features.

    Args:
        features: (N, D) classifier features of the samples.
        labels: (N,) the classifier's predicted classes of the samples.
        reference_features: (M, D) features of the test images.
        k: neighbourhood size of precision and recall.

    Returns:
        ``fcd``, ``kid_mean``, ``kid_std``, ``precision``, ``recall``, ``class_histogram``
        (list of counts), ``normalised_entropy``, ``kl_from_uniform``, ``classes_present``,
        ``largest_fraction``.
    """
    kid_mean, kid_std = feature_space.kernel_classifier_distance(features, reference_features, seed=seed)
    precision, recall = neighbours.precision_recall(reference_features, features, k=k)
    histogram = feature_space.class_histogram(labels, num_classes)
    uniformity = feature_space.class_uniformity(histogram)
    return dict(
        fcd=feature_space.frechet_classifier_distance(features, reference_features),
        kid_mean=kid_mean,
        kid_std=kid_std,
        precision=precision,
        recall=recall,
        class_histogram=histogram.tolist(),
        **uniformity._asdict(),
    )
