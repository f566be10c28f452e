"""The exercise checkers of notebook 06 (conditional dcgan).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.generation.sampling import interpolate
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases


def check_interpolation(fn) -> "CheckResult":
    """Check a learner's linear interpolation ``fn(z0, z1, steps)`` -> (steps, latent_dim)."""

    rng = np.random.default_rng(6)
    cases = []
    for steps, dim in [(5, 4), (2, 3), (9, 16)]:
        z0, z1 = rng.normal(size=dim), rng.normal(size=dim)
        expected = interpolate(z0, z1, steps, "linear")
        wrong_ends = np.stack([(1 - t) * z0 + t * z1 for t in np.arange(steps) / steps])
        cases.append(Case((z0, z1, steps), expected, f"steps={steps}, latent_dim={dim}",
                          ((wrong_ends, "The last point must be z1 itself: use t = 0, 1/(steps-1), ..., 1 (np.linspace(0, 1, steps))."),
                           (expected[::-1], "The path runs backwards: t = 0 must give z0."))))
    return check_cases("your interpolation", fn, cases)


def check_class_agreement(fn) -> "CheckResult":
    """Check a learner's ``fn(requested, predicted)`` -> share of matches in [0, 1]."""

    requested = np.repeat(np.arange(10), 3)
    predicted = requested.copy()
    predicted[[1, 5, 29]] = [4, 0, 2]
    cases = [
        Case((requested, predicted), 27 / 30, "30 samples, 3 wrong", ((27.0, "Return a share in [0, 1], not a count: divide by the number of samples."),
                                                                      (3 / 30, "That is the share of mistakes; agreement counts the matches."))),
        Case((np.array([3, 3]), np.array([3, 3])), 1.0, "two correct samples"),
        Case((np.array([1, 2, 3, 4]), np.array([0, 0, 0, 0])), 0.0, "no match"),
    ]
    return check_cases("your agreement", fn, cases)


def check_grid_labels(fn) -> "CheckResult":
    """Check a learner's ``fn(num_classes, per_class)``: labels of a class-by-sample grid, row by row."""

    cases = []
    for classes, per in [(10, 4), (3, 2), (2, 5)]:
        expected = np.repeat(np.arange(classes), per)
        cases.append(Case((classes, per), expected, f"num_classes={classes}, per_class={per}",
                          ((np.tile(np.arange(classes), per), "Those labels change every sample (0, 1, 2, ...): a row of the grid must hold one class, so repeat each class per_class times (np.repeat)."),)))
    return check_cases("your grid_labels", fn, cases)
