"""The exercise checkers of notebook 10 (colour and tone).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.enhancement.classical import grey_world, undo_low_light
from prodimg_lib.experiments.tone import le_curve
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases


def _auto_gamma_value(mean, target):
    return np.log(target) / np.log(mean)


def _random_images(shape, seed: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


def check_le_curve(fn) -> CheckResult:
    """Exercise: ``fn(u, a, iterations)`` applies u <- u + a u (1 - u) ``iterations`` times (NumPy)."""
    u = np.linspace(0.0, 1.0, 11)
    ramp = np.random.default_rng(1).uniform(0, 1, (4, 5))
    a_map = np.random.default_rng(2).uniform(-1, 1, (4, 5))
    cases = [
        Case((u, 0.5, 1), le_curve(u, 0.5, 1), "u = 0, 0.1, ..., 1 with a = 0.5, one iteration",
             mistakes=((u + 0.5 * u, "The step is a * u * (1 - u), not a * u: the (1 - u) keeps white at 1."),
                       (u * (1 - u) * 0.5, "Add the step to u: u + a * u * (1 - u)."))),
        Case((u, 0.8, 4), le_curve(u, 0.8, 4), "a = 0.8 applied 4 times",
             mistakes=((le_curve(u, 0.8, 1), "Apply the curve `iterations` times, each time to the previous result."),)),
        Case((ramp, a_map, 3), le_curve(ramp, a_map, 3), "a per-pixel parameter map a (4 x 5) and 3 iterations"),
        Case((u, -0.5, 2), le_curve(u, -0.5, 2), "a negative a (it darkens)"),
    ]
    return check_cases("le_curve", fn, cases)


def check_undo_low_light(fn) -> CheckResult:
    """Exercise: ``fn(dark, gamma, exposure)`` inverts ``degrade.low_light`` (images in [-1, 1])."""
    from prodimg_lib.data import degrade

    clean = _random_images((2, 6, 6, 1), 3)
    cases = []
    for g, e in ((2.0, 0.4), (1.5, 0.6), (1.0, 1.0)):
        dark = degrade.low_light(clean, gamma=g, exposure=e)
        v = (dark.astype(np.float64) + 1) / 2
        cases.append(Case(
            (dark, g, e), undo_low_light(dark, g, e), f"gamma {g} and exposure {e}",
            mistakes=((2 * (v / e) ** g - 1, "Undo the power with the exponent 1 / gamma, not gamma."),
                      ((v / e) ** (1 / g), "Work in [0, 1] (u = (x + 1) / 2) and convert the result back to [-1, 1]."),
                      (2 * (v ** (1 / g)) / e - 1, "Divide by the exposure first, then take the power 1 / gamma: "
                                                    "the darkening was e * u ** gamma.")),
        ))
    return check_cases("undo_low_light", fn, cases)


def check_auto_gamma(fn) -> CheckResult:
    """Exercise: ``fn(mean, target)`` is the gamma with mean ** gamma = target (per image)."""
    means = np.array([0.05, 0.1, 0.2, 0.4])
    cases = [
        Case((0.1, 0.2), _auto_gamma_value(0.1, 0.2), "mean 0.1 and target 0.2",
             mistakes=((np.log(0.1) / np.log(0.2), "Upside down: gamma = ln(target) / ln(mean)."),
                       (0.2 / 0.1, "A ratio of the values is a gain, not a gamma: take logarithms."))),
        Case((0.5, 0.5), 1.0, "an image already at the target (gamma 1)"),
        Case((means, 0.25), _auto_gamma_value(means, 0.25), "four images' means at once (an array)"),
    ]
    return check_cases("auto_gamma_value", fn, cases)


def check_grey_world(fn) -> CheckResult:
    """Exercise: ``fn(images)`` is grey-world white balance of (N, H, W, 3) images in [-1, 1]."""
    from prodimg_lib.data import degrade

    base = _random_images((2, 8, 8, 3), 4, -0.8, 0.4)
    cast = degrade.colour_cast(base, gains=(1.2, 1.0, 0.7))
    u = (cast.astype(np.float64) + 1) / 2
    m = u.mean(axis=(1, 2), keepdims=True)
    cases = [
        Case((cast,), grey_world(cast), "two images with a warm cast (gains 1.2, 1.0, 0.7)",
             mistakes=((2 * np.clip(u / m, 0, 1) - 1, "Multiply each channel by (grey mean) / (channel mean), "
                                                       "not 1 / (channel mean): the brightness must stay."),
                       (2 * np.clip(u * m.mean(axis=(0, -1), keepdims=True) / m.mean(axis=0, keepdims=True), 0, 1) - 1,
                        "Take the means per image (axes 1 and 2), not over the whole batch."))),
        Case((base[:1],), grey_world(base[:1]), "one image without a cast"),
    ]
    return check_cases("grey_world", fn, cases)
