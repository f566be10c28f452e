"""The exercise checkers of notebook 11 (colour and tone).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.enhancement.classical import grey_world, undo_low_light
from prodimg_lib.experiments.tone import le_curve
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases, compare_arrays, failed, not_answered, passed
from prodimg_lib.course.exercises.keras_checking import call_answer, is_stub, to_numpy


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


def _block_means(images: np.ndarray, patch: int, stride: int | None = None) -> np.ndarray:
    """Means of patch x patch windows of (N, H, W, C) images, every ``stride`` pixels ('valid': no padding)."""
    stride = stride or patch
    h, w = images.shape[1:3]
    rows = range(0, h - patch + 1, stride)
    cols = range(0, w - patch + 1, stride)
    return np.array([[images[:, i:i + patch, j:j + patch, :].mean(axis=(1, 2)) for j in cols] for i in rows]
                    ).transpose(2, 0, 1, 3)


def exposure_loss_reference(images, level: float = 0.6, patch: int = 4) -> float:
    """The Zero-DCE exposure loss in NumPy: mean over the patch x patch blocks of |block mean of grey - level|.

    ``images`` (N, H, W, C) are in [0, 1] (the curve estimator's u = (x + 1) / 2); grey is the mean
    over the channels; the blocks do not overlap (stride = patch).
    """
    images = np.asarray(images, dtype=np.float64)
    grey = images.mean(axis=-1, keepdims=True)
    return float(np.mean(np.abs(_block_means(grey, patch) - level)))


def check_exposure_loss(fn) -> CheckResult:
    """Exercise: ``fn(images, level=0.6, patch=4)`` is the exposure loss of Zero-DCE, with ``keras.ops``.

    The checker compares it with NumPy on random images in [0, 1] (colour and grayscale, other
    levels and patch sizes), then calls it on a ``keras.Variable``: the result must be a scalar
    backend tensor (a NumPy value would stop the gradient).
    """
    import keras

    name = "your exposure_loss"
    if fn is None or fn is Ellipsis or is_stub(fn):
        return not_answered(name)
    rng = np.random.default_rng(31)
    cases = [("two 8 x 8 colour images, level 0.6, patch 4", rng.uniform(0, 1, (2, 8, 8, 3)), 0.6, 4),
             ("two 8 x 8 colour images, level 0.5, patch 2", rng.uniform(0, 0.7, (2, 8, 8, 3)), 0.5, 2),
             ("two 8 x 8 grayscale images, level 0.6, patch 4", rng.uniform(0.3, 1, (2, 8, 8, 1)), 0.6, 4)]
    for label, images, level, patch in cases:
        images = images.astype(np.float32)
        x = keras.ops.convert_to_tensor(images)
        got, error = call_answer(name, fn, x, level=level, patch=patch)
        if error is not None:
            return failed(f"For {label}: {error.message}")
        try:
            value = to_numpy(got)
        except Exception:
            return failed(f"{name} should return a number (a scalar tensor), got {type(got).__name__}.")
        if value.shape != ():
            return failed(f"For {label}: {name} returned shape {value.shape}: take the mean over all the blocks "
                          "(and images), keras.ops.mean(...), to return one number.")
        expected = exposure_loss_reference(images, level, patch)
        result = compare_arrays(name, value, expected, rtol=1e-4, atol=1e-6)
        if result:
            continue
        x64 = images.astype(np.float64)
        grey = x64.mean(axis=-1, keepdims=True)
        mistakes = (
            (np.mean((_block_means(grey, patch) - level) ** 2), "That is the squared difference: the exposure loss "
                                                               "uses the absolute value, keras.ops.abs."),
            (np.mean(np.abs(_block_means(x64, patch) - level)), "The channels are pooled one by one: first average "
                                                               "the channels into a grey image (keras.ops.mean over "
                                                               "axis -1, keepdims=True), then pool."),
            (np.mean(np.abs(_block_means(grey, patch, 1) - level)), "The pooling windows overlap (strides=1): use "
                                                                   "strides=patch, so that each block is counted "
                                                                   "once."),
            (np.mean(np.abs(grey - level)), "There is no pooling: the loss compares the mean of each patch x patch "
                                            "block with the level, not each pixel (keras.ops.average_pool)."),
            (abs(np.mean(grey) - level), "This compares the mean of the whole batch with the level: take |block "
                                         "mean - level| for each block first, then average."),
            (np.mean(np.abs(_block_means(grey, 4) - level)), "The patch size must come from the `patch` argument, "
                                                            "not a fixed 4."),
            (np.mean(np.abs(_block_means(grey, patch) - 0.6)), "Use the `level` argument, not a fixed 0.6."),
            (np.mean(np.abs(_block_means(2 * grey - 1, patch) - level)), "The images are already in [0, 1]: compare "
                                                                         "their block means with the level directly."),
        )
        hint = next((m for v, m in mistakes if np.isclose(value, v, rtol=1e-4, atol=1e-6)), "")
        return failed(f"For {label}: {result.message}" + (f" {hint}" if hint else ""))

    variable = keras.Variable(rng.uniform(0, 1, (1, 8, 8, 3)).astype(np.float32))
    got, error = call_answer(name, fn, variable)
    if error is not None:
        return failed(f"For a keras.Variable of images: {error.message} Use keras.ops functions, which accept "
                      "variables and tensors of every backend.")
    if not keras.ops.is_tensor(got):
        return failed(f"on a keras.Variable {name} returns a {type(got).__name__}, not a tensor: a NumPy result cuts "
                      "the gradient off. Use keras.ops (mean, average_pool, abs) from start to end.")
    return passed(f"{name} matches the Zero-DCE exposure loss: grey, non-overlapping patch means, mean |mean - level|.")
