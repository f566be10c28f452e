import keras
import numpy as np
import pytest
from scipy import linalg

from prodimg_lib import data
from prodimg_lib.course.exercises import evaluating_generators as exercises
from prodimg_lib.evaluation import feature_space, neighbours
from prodimg_lib.evaluation.classifier import build_classifier, feature_extractor


def _gaussian(n, d, mean=0.0, scale=1.0, seed=0):
    return np.random.default_rng(seed).normal(mean, scale, size=(n, d))


def _random_covariance(d, seed):
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


# --- Fréchet distance --------------------------------------------------------------------------


def test_frechet_distance_of_identical_gaussians_is_zero():
    sigma = _random_covariance(6, 0)
    mu = np.arange(6.0)
    assert feature_space.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_of_shifted_unit_gaussians_is_the_squared_shift():
    m = np.array([1.0, -2.0, 0.5, 3.0])
    assert feature_space.frechet_distance(np.zeros(4), np.eye(4), m, np.eye(4)) == pytest.approx(m @ m, rel=1e-10)


def test_frechet_distance_of_diagonal_covariances_matches_the_closed_form():
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    s1, s2 = rng.uniform(0.1, 3.0, 5), rng.uniform(0.1, 3.0, 5)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(s1) - np.sqrt(s2)) ** 2)
    assert feature_space.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_of_full_covariances_matches_the_symmetric_form_and_is_symmetric():
    s1, s2 = _random_covariance(8, 2), _random_covariance(8, 3)
    mu1, mu2 = np.ones(8), np.zeros(8)
    # tr (s1 s2)^(1/2) = tr (s1^(1/2) s2 s1^(1/2))^(1/2), computed here with eigendecompositions only.
    w, v = np.linalg.eigh(s1)
    root1 = v @ np.diag(np.sqrt(w)) @ v.T
    inner = np.linalg.eigvalsh(root1 @ s2 @ root1)
    expected = 8.0 + np.trace(s1) + np.trace(s2) - 2.0 * np.sum(np.sqrt(inner))
    forward = feature_space.frechet_distance(mu1, s1, mu2, s2)
    assert forward == pytest.approx(expected, rel=1e-8)
    assert feature_space.frechet_distance(mu2, s2, mu1, s1) == pytest.approx(forward, rel=1e-8)


def test_frechet_distance_survives_singular_covariances():
    sigma = np.diag([1.0, 0.0, 2.0])
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])
    assert feature_space.frechet_distance(np.zeros(3), sigma, np.zeros(3), sigma) == pytest.approx(0.0, abs=1e-5)
    value = feature_space.frechet_distance(np.zeros(2), singular, np.ones(2), np.eye(2) * 0)
    assert np.isfinite(value) and value == pytest.approx(2.0 + 2.0, abs=1e-2)


def test_frechet_classifier_distance_of_samples():
    a, b = _gaussian(20000, 4, seed=0), _gaussian(20000, 4, seed=1)
    m = np.array([1.0, 2.0, 0.0, -1.0])
    assert feature_space.frechet_classifier_distance(a, b) < 0.01
    assert feature_space.frechet_classifier_distance(a, b + m) == pytest.approx(m @ m, rel=0.02)
    assert feature_space.frechet_classifier_distance(a, b + m) == pytest.approx(feature_space.frechet_classifier_distance(b + m, a))
    # A wider distribution: sigma = 4 I against I gives d (2 - 1)^2 = 4.
    assert feature_space.frechet_classifier_distance(a, 2.0 * b) == pytest.approx(4.0, rel=0.03)


def test_feature_statistics_and_few_samples():
    mu, sigma = feature_space.feature_statistics(_gaussian(500, 3, mean=2.0))
    assert mu.shape == (3,) and sigma.shape == (3, 3)
    np.testing.assert_allclose(mu, 2.0, atol=0.2)
    with pytest.warns(UserWarning, match="singular"):
        feature_space.feature_statistics(_gaussian(5, 8))
    with pytest.raises(ValueError, match="at least 2 samples"):
        feature_space.frechet_classifier_distance(_gaussian(1, 4), _gaussian(10, 4))


def test_frechet_bad_inputs():
    a = _gaussian(50, 4)
    with pytest.raises(ValueError, match="different feature dimensions"):
        feature_space.frechet_classifier_distance(a, _gaussian(50, 5))
    with pytest.raises(ValueError, match="NaN"):
        feature_space.frechet_classifier_distance(a, np.where(a > 2, np.nan, a))
    with pytest.raises(ValueError, match=r"shape \(N, D\).*compute_features"):
        feature_space.frechet_classifier_distance(np.zeros((4, 28, 28, 1)), a)
    with pytest.raises(ValueError, match="same length"):
        feature_space.frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match=r"shape \(3, 3\)"):
        feature_space.frechet_distance(np.zeros(3), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="sigma2 contains NaN"):
        feature_space.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.full((2, 2), np.nan))


# --- kernel distance ---------------------------------------------------------------------------


def _naive_mmd2(x, y):
    """Unbiased MMD² with the cubic kernel, written as plain loops."""
    d, m = x.shape[1], len(x)
    k = lambda u, v: (u @ v / d + 1.0) ** 3
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_kernel_distance_matches_the_formula():
    x, y = _gaussian(12, 3, seed=0), _gaussian(12, 3, mean=0.5, seed=1)
    # One subset holding every row: a permutation, which MMD² does not see.
    mean, std = feature_space.kernel_classifier_distance(x, y, subsets=1, subset_size=12)
    assert mean == pytest.approx(_naive_mmd2(x, y), rel=1e-10) and std == 0.0


def test_kernel_distance_same_versus_shifted_distribution():
    a, b = _gaussian(2000, 8, seed=0), _gaussian(2000, 8, seed=1)
    same_mean, same_std = feature_space.kernel_classifier_distance(a, b, subsets=5, subset_size=500)
    shifted_mean, _ = feature_space.kernel_classifier_distance(a, b + 1.0, subsets=5, subset_size=500)
    assert abs(same_mean) < 0.02 and same_std >= 0.0
    assert shifted_mean > 0.5 and shifted_mean > 20 * abs(same_mean)
    # Reproducible with a seed; the subset size is capped at the smaller set.
    assert feature_space.kernel_classifier_distance(a, b[:300], seed=3) == feature_space.kernel_classifier_distance(a, b[:300], seed=3)


def test_kernel_distance_bad_inputs():
    a = _gaussian(20, 4)
    with pytest.raises(ValueError, match="different feature dimensions"):
        feature_space.kernel_classifier_distance(a, _gaussian(20, 3))
    with pytest.raises(ValueError, match="subsets"):
        feature_space.kernel_classifier_distance(a, a, subsets=0)
    with pytest.raises(ValueError, match="at least 2 samples"):
        feature_space.kernel_classifier_distance(a[:1], a)


# --- precision, recall, nearest neighbours ----------------------------------------------------


def _naive_precision_recall(real, fake, k):
    def radii(x):
        d = np.linalg.norm(x[:, None] - x[None], axis=-1)
        return np.sort(d, axis=1)[:, k]  # column 0 is the point itself

    def covered(points, centres, r):
        d = np.linalg.norm(points[:, None] - centres[None], axis=-1)
        return np.mean(np.any(d <= r[None, :], axis=1))

    return covered(fake, real, radii(real)), covered(real, fake, radii(fake))


def test_precision_recall_matches_a_direct_computation_with_small_batches():
    real, fake = _gaussian(150, 5, seed=0), _gaussian(120, 5, mean=0.7, seed=1)
    got = neighbours.precision_recall(real, fake, k=3, batch_size=16)
    np.testing.assert_allclose(got, _naive_precision_recall(real, fake, 3))
    assert 0.0 < got[0] < 1.0 and 0.0 < got[1] < 1.0


def test_precision_recall_identical_far_and_collapsed():
    real = _gaussian(600, 8, seed=0)
    assert neighbours.precision_recall(real, real.copy()) == (1.0, 1.0)
    same_distribution = neighbours.precision_recall(real, _gaussian(600, 8, seed=1))
    assert min(same_distribution) > 0.8
    precision, recall = neighbours.precision_recall(real, _gaussian(600, 8, mean=50.0, seed=2))
    assert precision == 0.0 and recall == 0.0
    # Two real clusters; the generator covers only the first one (mode collapse).
    two_clusters = np.concatenate([_gaussian(400, 8, mean=-10.0, seed=3), _gaussian(400, 8, mean=10.0, seed=4)])
    collapsed = _gaussian(800, 8, mean=-10.0, seed=5)
    precision, recall = neighbours.precision_recall(two_clusters, collapsed)
    assert precision > 0.8  # the samples it makes look real...
    assert 0.35 < recall < 0.55  # ...but half of the real products are never made
    diverse = np.concatenate([_gaussian(400, 8, mean=-10.0, seed=5), _gaussian(400, 8, mean=10.0, seed=6)])
    assert neighbours.precision_recall(two_clusters, diverse)[1] > 0.8


def test_precision_recall_bad_inputs():
    a = _gaussian(10, 4)
    with pytest.raises(ValueError, match="k must be"):
        neighbours.precision_recall(a, a, k=0)
    with pytest.raises(ValueError, match="at least 4 samples"):
        neighbours.precision_recall(a[:3], a, k=3)
    with pytest.raises(ValueError, match="different feature dimensions"):
        neighbours.precision_recall(a, _gaussian(10, 5))


def test_nearest_neighbours_finds_copies_and_sorts():
    reference = _gaussian(500, 16, seed=0) * 100.0  # large values: rounding in |a|²+|b|²-2ab
    query = np.concatenate([reference[[42, 7]], _gaussian(3, 16, seed=1)])
    distances, indices = neighbours.nearest_neighbours(query, reference, k=3, batch_size=2)
    assert distances.shape == indices.shape == (5, 3)
    assert list(indices[:2, 0]) == [42, 7] and np.all(distances[:2, 0] == 0.0)
    assert np.all(np.diff(distances, axis=1) >= 0)
    brute = np.linalg.norm(query[:, None] - reference[None], axis=-1)
    np.testing.assert_array_equal(indices, np.argsort(brute, axis=1)[:, :3])
    np.testing.assert_allclose(distances, np.sort(brute, axis=1)[:, :3], rtol=1e-10)
    with pytest.raises(ValueError, match="k must be an integer in"):
        neighbours.nearest_neighbours(query, reference[:2], k=3)
    with pytest.raises(ValueError, match="different feature dimensions"):
        neighbours.nearest_neighbours(query, reference[:, :4])


# --- mode collapse -----------------------------------------------------------------------------


def test_class_histogram_and_uniformity():
    uniform = np.repeat(np.arange(10), 50)
    collapsed = np.full(500, 7)
    np.testing.assert_array_equal(feature_space.class_histogram(uniform), np.full(10, 50))
    np.testing.assert_array_equal(feature_space.class_histogram(collapsed), np.eye(10, dtype=int)[7] * 500)
    u = feature_space.class_uniformity(feature_space.class_histogram(uniform))
    assert u.normalised_entropy == pytest.approx(1.0) and u.kl_from_uniform == pytest.approx(0.0, abs=1e-12)
    assert u.classes_present == 10 and u.largest_fraction == pytest.approx(0.1)
    c = feature_space.class_uniformity(feature_space.class_histogram(collapsed))
    assert c.normalised_entropy == pytest.approx(0.0) and c.kl_from_uniform == pytest.approx(np.log(10))
    assert c.classes_present == 1 and c.largest_fraction == 1.0
    half = feature_space.class_uniformity([250, 250, 0, 0])
    assert half.normalised_entropy == pytest.approx(0.5) and half.kl_from_uniform == pytest.approx(np.log(2))
    # Class probabilities are reduced to their argmax.
    np.testing.assert_array_equal(feature_space.class_histogram(np.eye(10)[uniform] * 0.9 + 0.01), np.full(10, 50))


def test_class_histogram_bad_inputs():
    with pytest.raises(ValueError, match=r"in \[0, 10\)"):
        feature_space.class_histogram(np.array([0, 10]))
    with pytest.raises(TypeError, match="integer"):
        feature_space.class_histogram(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="all zeros"):
        feature_space.class_uniformity(np.zeros(10))
    with pytest.raises(ValueError, match="at least 2"):
        feature_space.class_uniformity([5])


# --- features from images ----------------------------------------------------------------------


def test_compute_features_from_images():
    keras.utils.set_random_seed(0)
    classifier = build_classifier(width=4, features=32)
    images = data.to_minus_one_one(data.load_sample().x_test[:40])[..., None]
    extractor = feature_extractor(classifier)
    features = feature_space.compute_features(extractor, images, batch_size=16)
    assert features.shape == (40, 32) and features.dtype == np.float32
    np.testing.assert_allclose(features, extractor.predict(images, verbose=0), rtol=1e-5, atol=1e-6)
    # The whole classifier works too: its "features" layer is used, not the probabilities.
    np.testing.assert_allclose(feature_space.compute_features(classifier, images), features, rtol=1e-5, atol=1e-6)
    labels = feature_space.predict_labels(classifier, images)
    assert labels.shape == (40,) and labels.min() >= 0 and labels.max() < 10
    with pytest.raises(TypeError, match="to_minus_one_one"):
        feature_space.compute_features(extractor, data.load_sample().x_test[:4, ..., None])
    with pytest.raises(ValueError, match=r"channel axis"):
        feature_space.compute_features(extractor, images[..., 0])
    with pytest.raises(ValueError, match="NaN"):
        feature_space.compute_features(extractor, np.full((2, 28, 28, 1), np.nan, np.float32))


def test_notebook_07_checkers_accept_references_and_explain_mistakes():
    assert exercises.check_frechet_1d(feature_space.frechet_1d)
    wrong = exercises.check_frechet_1d(lambda m1, s1, m2, s2: (m1 - m2) ** 2 + (s1 ** 2 - s2 ** 2) ** 2)
    assert not wrong and "standard deviations" in wrong.message

    def frechet(m1, s1, m2, s2):
        return float(np.sum((m1 - m2) ** 2) + np.trace(s1 + s2 - 2 * np.real(linalg.sqrtm(s1 @ s2))))

    assert exercises.check_frechet_distance(frechet)
    wrong = exercises.check_frechet_distance(lambda m1, s1, m2, s2: float(np.sum((m1 - m2) ** 2) + np.trace(s1 + s2)))
    assert not wrong and "missing" in wrong.message
    assert exercises.check_normalised_entropy(lambda h: feature_space.class_uniformity(h).normalised_entropy)
    assert not exercises.check_normalised_entropy(...)


def test_realism_scores_are_high_inside_the_real_cloud_and_low_far_away():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(500, 4))
    inside, outside = rng.normal(scale=0.3, size=(20, 4)), rng.normal(size=(20, 4)) + 12.0
    scores = neighbours.realism_scores(real, np.concatenate([inside, outside]))
    assert scores.shape == (40,) and np.all(scores[:20] > 1.0) and np.all(scores[20:] < 0.2)
    with pytest.raises(ValueError, match="k must be"):
        neighbours.realism_scores(real, inside, k=0)
