"""Fidelity, diversity and memorisation of generated images, from distances in the classifier's feature space.

The features are those of :mod:`prodimg_lib.evaluation.feature_space` (``compute_features``:
(N, D) arrays, one row per image); every function here works on such arrays, and computes
the pairwise distances in batches of rows, so that memory stays bounded for large sets.

- :func:`precision_recall`: improved precision (how many samples fall on the manifold of real
  features: fidelity) and recall (how much of the real manifold the samples cover: diversity),
  Kynkäänniemi et al., NeurIPS 2019;
- :func:`realism_scores`: how far inside the real manifold each sample lies (the same paper);
- :func:`nearest_neighbours`: the closest training images of each sample (memorisation check).
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.data.pixels import check_positive_int
from prodimg_lib.evaluation.feature_space import as_features, check_same_dims

__all__ = ["precision_recall", "realism_scores", "nearest_neighbours"]


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
    real = as_features(real_features, "real_features", min_samples=k + 1)
    fake = as_features(fake_features, "fake_features", min_samples=k + 1)
    check_same_dims(real, fake, "real_features", "fake_features")
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
    real = as_features(real_features, "real_features", min_samples=k + 1)
    fake = as_features(fake_features, "fake_features")
    check_same_dims(real, fake, "real_features", "fake_features")
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
    query = as_features(query_features, "query_features")
    reference = as_features(reference_features, "reference_features")
    check_same_dims(query, reference, "query_features", "reference_features")
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
