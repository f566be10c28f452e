"""The exercise checkers of notebook 07 (evaluating generators).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.evaluation.feature_space import class_uniformity, feature_statistics, frechet_1d, frechet_distance
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases


def check_frechet_1d(fn) -> "CheckResult":
    """Check a learner's ``fn(mu1, std1, mu2, std2)`` (standard deviations, not variances)."""

    cases = []
    for mu1, s1, mu2, s2 in [(0.0, 1.0, 0.0, 1.0), (1.0, 1.0, -1.0, 1.0), (0.0, 2.0, 0.0, 0.5), (0.5, 3.0, -2.0, 1.5)]:
        expected = frechet_1d(mu1, s1, mu2, s2)
        variances = (mu1 - mu2) ** 2 + (s1 ** 2 - s2 ** 2) ** 2
        no_square = (mu1 - mu2) ** 2 + s1 ** 2 + s2 ** 2
        cases.append(Case((mu1, s1, mu2, s2), expected, f"mu1={mu1}, std1={s1}, mu2={mu2}, std2={s2}",
                          ((variances, "The arguments are standard deviations: in 1-D, tr(S1 + S2 - 2 (S1 S2)^(1/2)) = s1² + s2² - 2 s1 s2 = (s1 - s2)²."),
                           (no_square, "Don't forget the cross term -2 (S1 S2)^(1/2) = -2 s1 s2."),
                           (abs(mu1 - mu2) + abs(s1 - s2), "The Fréchet distance here is the *squared* distance: square both differences."))))
    return check_cases("your 1-D Fréchet distance", fn, cases)


def check_frechet_distance(fn) -> "CheckResult":
    """Check a learner's ``fn(mu1, sigma1, mu2, sigma2)`` against :func:`frechet_distance`."""

    rng = np.random.default_rng(7)
    cases = []
    for d in (1, 3, 8):
        a, b = rng.normal(size=(50, d)), rng.normal(0.5, 1.5, size=(60, d))
        stats = (*feature_statistics(a), *feature_statistics(b))
        expected = frechet_distance(*stats)
        no_cross = float(np.sum((stats[0] - stats[2]) ** 2) + np.trace(stats[1]) + np.trace(stats[3]))
        elementwise = float(np.sum((stats[0] - stats[2]) ** 2) + np.trace(stats[1] + stats[3] - 2 * np.sqrt(np.abs(stats[1] * stats[3]))))
        cases.append(Case(stats, expected, f"{d}-dimensional Gaussians",
                          ((no_cross, "The term -2 tr((S1 S2)^(1/2)) is missing."),
                           (elementwise, "np.sqrt takes the square root of each entry; the formula needs the matrix square root, scipy.linalg.sqrtm(S1 @ S2)."))))
    return check_cases("your Fréchet distance", fn, cases)


def check_normalised_entropy(fn) -> "CheckResult":
    """Check a learner's ``fn(histogram)`` -> H(p) / ln(C) in [0, 1] (counts in, 0 ln 0 = 0)."""

    cases = []
    for counts in ([10] * 10, [100, 0, 0, 0], [5, 5, 0, 0], [1, 2, 3, 4, 90]):
        expected = class_uniformity(counts).normalised_entropy
        p = np.asarray(counts, float) / np.sum(counts)
        nz = p[p > 0]
        unnormalised = float(-np.sum(nz * np.log(nz)))
        cases.append(Case((np.asarray(counts),), expected, f"histogram {counts}",
                          ((unnormalised, "Divide the entropy by ln(C), its largest value, so that a uniform histogram gives 1."),),
                          nonfinite_hint="Empty classes give 0 * ln 0 = nan in NumPy; by convention 0 ln 0 = 0, so leave the zero counts out."))
    return check_cases("your normalised entropy", fn, cases)
