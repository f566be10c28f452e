"""Evaluation of generated product images in the feature space of the course's classifier.

A generator is good when its samples look like the real products (fidelity), cover all of
them (diversity), and are not copies of training images (memorisation). Pixels compare
images badly, so the metrics here compare *features*: the 128 activations of the "features"
layer of the course's own Fashion-MNIST classifier (:mod:`prodimg_lib.evaluation.classifier`).
Every metric works on feature arrays of shape (N, D); :func:`compute_features` makes them
from images in [-1, 1].

- :func:`frechet_classifier_distance` (FCD): the Fréchet distance between Gaussians fitted
  to real and generated features (like FID). 0 for identical statistics; lower is better.
- :func:`kernel_classifier_distance` (KCD, like KID): an unbiased estimate of the squared
  maximum mean discrepancy with a cubic polynomial kernel, averaged over random subsets;
  less biased than the Fréchet distance for small samples (and so may be slightly negative).
- precision and recall, realism scores and nearest neighbours (fidelity, diversity and
  memorisation, from distances between samples) are in :mod:`prodimg_lib.evaluation.neighbours`.
- :func:`class_histogram`, :func:`class_uniformity`: which classes the classifier sees in the
  samples; a collapsed generator makes few classes (mode collapse).

**These are classifier distances, not FID or KID.** Papers report FID/KID with the pool
features (2048-D) of an InceptionV3 network trained on ImageNet colour photos at 299x299.
The numbers here use a different network (a small CNN trained on 28x28 grayscale
Fashion-MNIST), a different feature space (128-D, another scale) and different sample
sizes (the Fréchet distance is biased by the sample size), so their values are on another
scale altogether: compare them only with numbers computed with the same classifier, the
same reference set and the same number of samples (for example the "floor": held-out real
images against the training set).

Image-quality metrics for enhancement (PSNR, SSIM) are in :mod:`prodimg_lib.evaluation.image_quality`.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np

from prodimg_lib.data.pixels import check_positive_int

__all__ = [
    # features
    "compute_features",
    "predict_labels",
    "as_features",
    "check_same_dims",
    # distribution distances in feature space
    "feature_statistics",
    "frechet_distance",
    "frechet_classifier_distance",
    "kernel_classifier_distance",
    # mode collapse
    "class_histogram",
    "ClassUniformity",
    "class_uniformity",
    "frechet_1d",
]


# --- features --------------------------------------------------------------------------------


def _extractor_for(model):
    """The model itself, or its feature extractor when given the whole classifier."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"extractor must be a keras.Model, got {type(model).__name__}")
    from prodimg_lib.evaluation.classifier import FEATURES_LAYER, feature_extractor

    names = [layer.name for layer in model.layers]
    if FEATURES_LAYER in names and model.outputs[0] is not model.get_layer(FEATURES_LAYER).output:
        return feature_extractor(model)
    return model


def compute_features(extractor, images, batch_size: int = 256) -> np.ndarray:
    """Features of images, computed in batches.

    Args:
        extractor: :func:`prodimg_lib.evaluation.classifier.feature_extractor` of the classifier; the whole
            classifier works too (its "features" layer is used, not its class probabilities).
        images: (N, H, W, C) float images in [-1, 1] matching the extractor's input shape.
        batch_size: images per forward pass (bounds memory).

    Returns:
        (N, D) float32 features (D = 128 for the course's classifier).

    Raises:
        TypeError, ValueError: images that are uint8, of the wrong shape, outside [-1, 1], or NaN.
    """
    from prodimg_lib.data.pixels import as_model_images

    model = _extractor_for(extractor)
    images = as_model_images(images, "images", tuple(model.input_shape[1:]))
    batch_size = check_positive_int(batch_size, "batch_size")
    features = np.asarray(model.predict(images, batch_size=batch_size, verbose=0), dtype=np.float32)
    return features.reshape(len(images), -1)


def predict_labels(classifier, images, batch_size: int = 256) -> np.ndarray:
    """The classifier's predicted class (argmax of its probabilities) for each image, (N,) int64."""
    import keras

    from prodimg_lib.data.pixels import as_model_images

    if not isinstance(classifier, keras.Model):
        raise TypeError(f"classifier must be a keras.Model, got {type(classifier).__name__}")
    images = as_model_images(images, "images", tuple(classifier.input_shape[1:]))
    probabilities = classifier.predict(images, batch_size=int(batch_size), verbose=0)
    return np.argmax(np.asarray(probabilities), axis=-1)


def as_features(features, name: str, min_samples: int = 1) -> np.ndarray:
    """Features as a finite float64 (N, D) array with N >= min_samples."""
    features = np.asarray(features)
    if not (np.issubdtype(features.dtype, np.floating) or np.issubdtype(features.dtype, np.integer)):
        raise TypeError(f"{name} must be numeric features, got dtype {features.dtype}")
    if features.ndim != 2:
        hint = " (images? compute their features first with compute_features)" if features.ndim == 4 else ""
        raise ValueError(f"{name} must have shape (N, D), one feature vector per row, got {features.shape}{hint}")
    if len(features) < min_samples:
        raise ValueError(f"{name} needs at least {min_samples} samples, got {len(features)}")
    if features.shape[1] == 0:
        raise ValueError(f"{name} has no feature dimensions (shape {features.shape})")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return features.astype(np.float64)


def check_same_dims(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise a ValueError naming both arrays when two (N, D) feature arrays differ in D."""
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{name_a} and {name_b} have different feature dimensions ({a.shape[1]} and {b.shape[1]}); "
            "compute both with the same feature extractor"
        )


# --- Fréchet distance ------------------------------------------------------------------------


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of features (N, D), N >= 2, in float64.

    Warns when N <= D: the covariance is then singular and the Fréchet distance unreliable
    (use thousands of samples for 128 features).
    """
    features = as_features(features, "features", min_samples=2)
    n, d = features.shape
    if n <= d:
        warnings.warn(
            f"only {n} samples for {d} feature dimensions: the covariance is singular and the "
            "Fréchet distance is unreliable; use many more samples than dimensions",
            stacklevel=2,
        )
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(d, d)


def _sqrtm(matrix: np.ndarray) -> np.ndarray:
    from scipy import linalg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # singular-matrix warnings: handled by the caller
        result = linalg.sqrtm(matrix)
    return result[0] if isinstance(result, tuple) else result


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """Fréchet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2).

    d² = |mu1 - mu2|² + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))

    The matrix square root comes from ``scipy.linalg.sqrtm``. As in the reference FID code,
    a product that has no finite square root (singular covariances) is retried with
    ``eps * I`` added to both covariances, and the tiny imaginary part that rounding leaves
    is dropped. The result is a squared distance: never negative (rounding below 0 gives 0).

    Args:
        mu1, mu2: means, shape (D,).
        sigma1, sigma2: covariance matrices, shape (D, D), symmetric positive semi-definite.
        eps: the regularisation added when the square root fails.

    Returns:
        The distance as a Python float (0 for identical Gaussians).

    Raises:
        ValueError: shapes that do not match, non-finite values, or a square root with a
            large imaginary part (covariances that are not positive semi-definite).
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, dtype=np.float64)), np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64)), np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    if mu1.ndim != 1 or mu1.shape != mu2.shape:
        raise ValueError(f"mu1 and mu2 must be vectors of the same length, got shapes {mu1.shape} and {mu2.shape}")
    d = mu1.shape[0]
    if sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ValueError(f"sigma1 and sigma2 must have shape ({d}, {d}), got {sigma1.shape} and {sigma2.shape}")
    for name, value in (("mu1", mu1), ("mu2", mu2), ("sigma1", sigma1), ("sigma2", sigma2)):
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{name} contains NaN or infinite values")

    covmean = _sqrtm(sigma1 @ sigma2)
    if not np.all(np.isfinite(covmean)):
        offset = np.eye(d) * eps
        covmean = _sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        imaginary = np.max(np.abs(np.diagonal(covmean).imag)) if d else 0.0
        if imaginary > 1e-3 * max(1.0, float(np.max(np.abs(covmean.real)))):
            raise ValueError(
                f"the matrix square root has a large imaginary part ({imaginary:.3g}): "
                "are sigma1 and sigma2 covariance matrices (symmetric, positive semi-definite)?"
            )
        covmean = covmean.real
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))
    if not math.isfinite(value):
        raise ValueError("the Fréchet distance is not finite; check the covariances")
    return max(value, 0.0)


def frechet_classifier_distance(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (FID with the course's classifier).

    Args:
        features_a, features_b: (N_a, D) and (N_b, D) features, N >= 2 each (use thousands).

    Returns:
        The Fréchet classifier distance (>= 0; lower is better). It shrinks as the sample
        grows, so compare values computed with the same numbers of samples.

    Raises:
        ValueError: different feature dimensions, fewer than 2 samples, NaN.
    """
    a = as_features(features_a, "features_a", min_samples=2)
    b = as_features(features_b, "features_b", min_samples=2)
    check_same_dims(a, b, "features_a", "features_b")
    return frechet_distance(*feature_statistics(a), *feature_statistics(b))


# --- kernel distance -------------------------------------------------------------------------


def _polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """k(x, y) = (x·y / d + 1)^3 for all pairs of rows."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def _mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased estimate of MMD² between two equal-size samples (diagonal terms left out)."""
    m = len(x)
    k_xx, k_yy, k_xy = _polynomial_kernel(x, x), _polynomial_kernel(y, y), _polynomial_kernel(x, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.mean())


def kernel_classifier_distance(
    features_a, features_b, subsets: int = 10, subset_size: int = 1000, seed: int | None = 0
) -> tuple[float, float]:
    """KID with the course's classifier: unbiased MMD² with the kernel (x·y / D + 1)³.

    For each of ``subsets`` rounds, ``subset_size`` rows are drawn without replacement from
    each feature set and the unbiased MMD² of the two subsets is computed (Bińkowski et al.,
    ICLR 2018); the mean and the standard deviation over the rounds are returned.

    Args:
        features_a, features_b: (N_a, D) and (N_b, D) features.
        subsets: number of random subsets (>= 1).
        subset_size: rows per subset; capped at the smaller set (which needs >= 2 rows).
        seed: seed of the subset draws (None: different each call).

    Returns:
        ``(mean, std)``. The mean is near 0 (it can be slightly negative: the estimate is
        unbiased) when both sets come from the same distribution, and grows with their difference.

    Raises:
        ValueError: different feature dimensions, fewer than 2 samples, NaN, bad subset counts.
    """
    a = as_features(features_a, "features_a", min_samples=2)
    b = as_features(features_b, "features_b", min_samples=2)
    check_same_dims(a, b, "features_a", "features_b")
    if int(subsets) < 1:
        raise ValueError(f"subsets must be at least 1, got {subsets}")
    if int(subset_size) < 2:
        raise ValueError(f"subset_size must be at least 2, got {subset_size}")
    m = min(int(subset_size), len(a), len(b))
    rng = np.random.default_rng(seed)
    values = [
        _mmd2_unbiased(a[rng.choice(len(a), m, replace=False)], b[rng.choice(len(b), m, replace=False)])
        for _ in range(int(subsets))
    ]
    return float(np.mean(values)), float(np.std(values))


# --- mode collapse ---------------------------------------------------------------------------


def class_histogram(predicted_labels, num_classes: int = 10) -> np.ndarray:
    """How many samples the classifier put in each class.

    Args:
        predicted_labels: (N,) integer classes in [0, num_classes) (see :func:`predict_labels`),
            or (N, num_classes) class probabilities (their argmax is used).
        num_classes: length of the histogram.

    Returns:
        (num_classes,) int64 counts, summing to N.

    Raises:
        TypeError, ValueError: non-integer labels, a label out of range, a wrong shape.
    """
    labels = np.asarray(predicted_labels)
    if labels.ndim == 2 and labels.shape[1] == num_classes:
        labels = np.argmax(labels, axis=1)
    if labels.ndim != 1:
        raise ValueError(f"predicted_labels must have shape (N,) or (N, {num_classes}), got {labels.shape}")
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"predicted_labels must be integer classes, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"predicted_labels must be in [0, {num_classes}), got values in [{labels.min()}, {labels.max()}]")
    return np.bincount(labels.astype(np.int64), minlength=num_classes).astype(np.int64)


class ClassUniformity(NamedTuple):
    """How evenly samples spread over the classes.

    Attributes:
        normalised_entropy: H(p) / ln(C) in [0, 1]: 1 for a uniform histogram, 0 when every
            sample is in one class.
        kl_from_uniform: KL(p || uniform) = ln(C) - H(p) in nats, in [0, ln C]: 0 for uniform.
        classes_present: number of classes with at least one sample.
        largest_fraction: share of the most frequent class (1/C when uniform).
    """

    normalised_entropy: float
    kl_from_uniform: float
    classes_present: int
    largest_fraction: float


def class_uniformity(histogram) -> ClassUniformity:
    """Uniformity of a class histogram (from :func:`class_histogram`), for mode-collapse checks.

    Raises:
        ValueError: an empty, negative or all-zero histogram, or fewer than 2 classes.
    """
    counts = np.asarray(histogram, dtype=np.float64)
    if counts.ndim != 1 or len(counts) < 2:
        raise ValueError(f"histogram must be a vector of at least 2 class counts, got shape {counts.shape}")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError("histogram counts must be finite and non-negative")
    total = counts.sum()
    if total <= 0:
        raise ValueError("histogram is all zeros: no samples were counted")
    p = counts / total
    nonzero = p[p > 0]
    entropy = float(-np.sum(nonzero * np.log(nonzero)))
    log_c = math.log(len(counts))
    return ClassUniformity(
        normalised_entropy=min(1.0, max(0.0, entropy / log_c)),
        kl_from_uniform=max(0.0, log_c - entropy),
        classes_present=int(np.count_nonzero(counts)),
        largest_fraction=float(p.max()),
    )


# --- the one-dimensional case (notebook 07 starts from it) ---------------------------------


def frechet_1d(mu1: float, std1: float, mu2: float, std2: float) -> float:
    """Fréchet distance between the 1-D Gaussians N(mu1, std1²) and N(mu2, std2²): (mu1 - mu2)² + (std1 - std2)²."""
    return float((mu1 - mu2) ** 2 + (std1 - std2) ** 2)
