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
- :func:`precision_recall`: improved precision (how many samples fall on the manifold of real
  features: fidelity) and recall (how much of the real manifold the samples cover: diversity),
  Kynkäänniemi et al., NeurIPS 2019.
- :func:`nearest_neighbours`: the closest training images of each sample (memorisation check).
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
    # distribution distances in feature space
    "feature_statistics",
    "frechet_distance",
    "frechet_classifier_distance",
    "kernel_classifier_distance",
    # fidelity, diversity, memorisation
    "precision_recall",
    "realism_scores",
    "nearest_neighbours",
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


def _as_features(features, name: str, min_samples: int = 1) -> np.ndarray:
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


def _same_dims(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
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
    features = _as_features(features, "features", min_samples=2)
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
    a = _as_features(features_a, "features_a", min_samples=2)
    b = _as_features(features_b, "features_b", min_samples=2)
    _same_dims(a, b, "features_a", "features_b")
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
    a = _as_features(features_a, "features_a", min_samples=2)
    b = _as_features(features_b, "features_b", min_samples=2)
    _same_dims(a, b, "features_a", "features_b")
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


# --- distances in batches --------------------------------------------------------------------


def _squared_distances(x: np.ndarray, y: np.ndarray, y_sq: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of x and y, (len(x), len(y)), clipped at 0."""
    d2 = np.sum(x * x, axis=1)[:, None] + y_sq[None, :] - 2.0 * (x @ y.T)
    return np.maximum(d2, 0.0)


def _row_batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def _kth_neighbour_radii(features: np.ndarray, k: int, batch_size: int) -> np.ndarray:
    """Distance of each row to its k-th nearest other row (the row itself does not count)."""
    sq = np.sum(features * features, axis=1)
    radii = np.empty(len(features))
    for rows in _row_batches(len(features), batch_size):
        d2 = _squared_distances(features[rows], features, sq)
        d2[np.arange(rows.stop - rows.start), np.arange(rows.start, rows.stop)] = np.inf  # not itself
        radii[rows] = np.sqrt(np.partition(d2, k - 1, axis=1)[:, k - 1])
    return radii


def _coverage(points: np.ndarray, centres: np.ndarray, radii: np.ndarray, batch_size: int) -> float:
    """Fraction of points inside at least one ball (centre, radius)."""
    sq = np.sum(centres * centres, axis=1)
    inside = np.empty(len(points), dtype=bool)
    r2 = radii**2
    for rows in _row_batches(len(points), batch_size):
        # A relative tolerance keeps exact copies (distance 0 up to rounding) inside.
        inside[rows] = np.any(_squared_distances(points[rows], centres, sq) <= r2[None, :] * (1 + 1e-9) + 1e-12, axis=1)
    return float(inside.mean())


def precision_recall(real_features, fake_features, k: int = 3, batch_size: int = 1024) -> tuple[float, float]:
    """Improved precision and recall of generated samples (Kynkäänniemi et al., NeurIPS 2019).

    The real manifold is the union of balls around each real feature vector, with radius
    the distance to its k-th nearest real neighbour; the generated manifold likewise.

    - precision: the fraction of generated samples inside the real manifold (fidelity: do
      the samples look real?);
    - recall: the fraction of real samples inside the generated manifold (diversity: is every
      kind of real product generated?). Mode collapse keeps precision and lowers recall.

    Distances are computed with NumPy in row batches, so memory stays at
    ``batch_size x N`` numbers. Use the same number of real and generated samples
    (thousands; the paper uses k = 3).

    Args:
        real_features, fake_features: (N_real, D) and (N_fake, D), each with more than k rows.
        k: which neighbour sets the radius (>= 1).
        batch_size: rows per distance batch.

    Returns:
        ``(precision, recall)``, both in [0, 1].

    Raises:
        ValueError: different feature dimensions, k out of range, NaN.
    """
    k = check_positive_int(k, "k")
    real = _as_features(real_features, "real_features", min_samples=k + 1)
    fake = _as_features(fake_features, "fake_features", min_samples=k + 1)
    _same_dims(real, fake, "real_features", "fake_features")
    batch_size = max(1, int(batch_size))
    real_radii = _kth_neighbour_radii(real, k, batch_size)
    fake_radii = _kth_neighbour_radii(fake, k, batch_size)
    precision = _coverage(fake, real, real_radii, batch_size)
    recall = _coverage(real, fake, fake_radii, batch_size)
    return precision, recall


def realism_scores(real_features, fake_features, k: int = 3, batch_size: int = 1024) -> np.ndarray:
    """Realism score of each generated sample (Kynkäänniemi et al., NeurIPS 2019, section 5).

    ``R(g) = max_i  r_i / |g - real_i|``, with ``r_i`` the distance of real sample i to its
    k-th nearest real neighbour. ``R >= 1`` means the sample lies inside at least one real
    sample's ball (inside the estimated real manifold, as counted by precision); the larger,
    the closer to a dense region of real images. As in the paper, the real balls whose radius
    is above the median are left out, so that isolated real outliers do not make any
    sample look realistic.

    Args:
        real_features: (N_real, D), more than k rows (thousands in practice).
        fake_features: (N_fake, D).
        k: the neighbour that sets the radius (the paper's 3).
        batch_size: rows per distance batch.

    Returns:
        float64 (N_fake,) scores >= 0.
    """
    k = check_positive_int(k, "k")
    real = _as_features(real_features, "real_features", min_samples=k + 1)
    fake = _as_features(fake_features, "fake_features")
    _same_dims(real, fake, "real_features", "fake_features")
    batch_size = max(1, int(batch_size))
    radii = _kth_neighbour_radii(real, k, batch_size)
    keep = radii <= np.median(radii)
    real, radii = real[keep], radii[keep]
    sq = np.sum(real * real, axis=1)
    scores = np.empty(len(fake))
    for rows in _row_batches(len(fake), batch_size):
        distances = np.sqrt(np.maximum(_squared_distances(fake[rows], real, sq), 0.0))
        scores[rows] = np.max(radii[None, :] / np.maximum(distances, 1e-12), axis=1)
    return scores


def nearest_neighbours(query_features, reference_features, k: int = 1, batch_size: int = 1024):
    """The k nearest reference rows of each query row (Euclidean), e.g. training images of samples.

    A generated sample at (near) distance 0 from a training image is a copy: the
    generator memorised it.

    Args:
        query_features: (N_q, D), e.g. features (or flattened pixels) of generated images.
        reference_features: (N_r, D), e.g. of the training images; N_r >= k.
        k: neighbours per query row.
        batch_size: query rows per distance batch.

    Returns:
        ``(distances, indices)``, both (N_q, k), sorted from nearest to farthest; indices point
        into ``reference_features``. The reported distances are computed directly from the
        differences, so an exact copy has distance exactly 0.

    Raises:
        ValueError: different feature dimensions, k out of range, NaN.
    """
    query = _as_features(query_features, "query_features")
    reference = _as_features(reference_features, "reference_features")
    _same_dims(query, reference, "query_features", "reference_features")
    k = check_positive_int(k, "k", high=len(reference), hint=" (the number of reference rows)")
    sq = np.sum(reference * reference, axis=1)
    indices = np.empty((len(query), k), dtype=np.int64)
    distances = np.empty((len(query), k))
    for rows in _row_batches(len(query), max(1, int(batch_size))):
        d2 = _squared_distances(query[rows], reference, sq)
        # A few spare candidates absorb rounding in the fast formula; exact distances then decide.
        candidates = min(len(reference), k + 4)
        idx = np.argpartition(d2, candidates - 1, axis=1)[:, :candidates]
        exact = np.linalg.norm(query[rows][:, None, :] - reference[idx], axis=-1)
        order = np.argsort(exact, axis=1, kind="stable")[:, :k]
        indices[rows] = np.take_along_axis(idx, order, axis=1)
        distances[rows] = np.take_along_axis(exact, order, axis=1)
    return distances, indices


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
