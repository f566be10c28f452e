"""Solutions to the exercises of notebook 07 (for teachers; tests run each through its checker)."""

import numpy as np
from scipy import linalg


def frechet_1d(mu1, std1, mu2, std2):
    """Exercise 1: in 1-D, tr(S1 + S2 - 2 (S1 S2)^(1/2)) = s1² + s2² - 2 s1 s2 = (s1 - s2)²."""
    return (mu1 - mu2) ** 2 + (std1 - std2) ** 2


def frechet(mu1, sigma1, mu2, sigma2):
    """Exercise 2: |mu1 - mu2|² + tr(S1 + S2 - 2 sqrtm(S1 S2)), keeping the real part of sqrtm."""
    covmean = linalg.sqrtm(sigma1 @ sigma2)
    covmean = np.real(covmean[0] if isinstance(covmean, tuple) else covmean)
    diff = np.asarray(mu1) - np.asarray(mu2)
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def normalised_entropy(histogram):
    """Exercise 3: H(p) / ln C, leaving the empty classes out (0 ln 0 = 0)."""
    counts = np.asarray(histogram, dtype=float)
    p = counts / counts.sum()
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)) / np.log(len(counts)))


def feature_extractor(classifier):
    """Exercise 5: a model from the classifier's inputs to its "features" layer (the input of the last Dense layer).

    It shares the classifier's layers and weights; ``classifier.layers[-1].input`` is the same
    tensor after the dropout, which passes values through unchanged outside training.
    """
    import keras

    return keras.Model(classifier.inputs, classifier.get_layer("features").output)


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import evaluating_generators as exercises

    return [
        exercises.check_frechet_1d(frechet_1d),
        exercises.check_frechet_distance(frechet),
        exercises.check_normalised_entropy(normalised_entropy),
        exercises.check_feature_extractor(feature_extractor),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
