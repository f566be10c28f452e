"""The exercise checkers of notebook 09 (restoration).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.experiments.restoration import composite, noise_psnr
from prodimg_lib.evaluation.image_quality import psnr
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases


def check_noise_psnr(fn) -> CheckResult:
    """Exercise: ``fn(sigma)`` gives the PSNR (dB) of unclipped Gaussian noise of std sigma on the 0-255 scale."""
    cases = []
    for sigma in (25.0, 15.0, 50.0, 5.0):
        mistakes = (
            (10.0 * np.log10(255.0 / sigma), "PSNR compares *squared* errors: 10 log10(255² / sigma²) = 20 log10(255 / sigma)."),
            (20.0 * np.log10(2.0 / sigma), "sigma is on the 0-255 scale, so the peak is 255 (or convert sigma to [-1, 1] units "
                                           "first: 2 sigma / 255 against the range 2)."),
            (20.0 * np.log10(1.0 / sigma), "sigma is on the 0-255 scale, so the peak is 255, not 1."),
        )
        cases.append(Case((sigma,), noise_psnr(sigma), f"sigma = {sigma:g}", mistakes))
    return check_cases("noise_psnr", fn, cases)


def _masked_cases() -> list[Case]:
    rng = np.random.default_rng(9)
    cases = []
    for i, shape in enumerate([(6, 6, 1), (28, 28, 1), (5, 7, 1)]):
        ref = rng.uniform(-1, 1, shape).astype(np.float32)
        est = np.clip(ref + rng.normal(0, 0.2, shape), -1, 1).astype(np.float32)
        mask = np.zeros(shape, bool)
        mask[1:4, 2:5] = True
        est[mask] = np.clip(est[mask] + 0.5, -1, 1)  # the damaged region is repaired worse
        whole = 10.0 * np.log10(4.0 / np.mean((ref.astype(np.float64) - est) ** 2))
        range_one = 10.0 * np.log10(1.0 / np.mean((ref[mask].astype(np.float64) - est[mask]) ** 2))
        mean_over_all = 10.0 * np.log10(4.0 / (np.sum((ref.astype(np.float64) - est) ** 2 * mask) / ref.size))
        mistakes = (
            (whole, "That is the PSNR of the whole image: average the squared error over the masked pixels only."),
            (range_one, "The images are in [-1, 1], so the data range is 2 and the peak squared is 4, not 1."),
            (mean_over_all, "The squared errors are summed over the mask but divided by all pixels: divide by the "
                            "number of masked pixels."),
        )
        cases.append(Case((ref, est, mask), psnr(ref, est, mask), f"test image {i + 1} ({shape[0]}x{shape[1]})",
                          mistakes))
    return cases


def check_masked_psnr(fn) -> CheckResult:
    """Exercise: ``fn(reference, estimate, mask)`` is the PSNR (range 2) over the masked pixels of one image."""
    return check_cases("masked_psnr", fn, _masked_cases())


def check_composite(fn) -> CheckResult:
    """Exercise: ``fn(damaged, prediction, mask)`` keeps known pixels and takes damaged ones from the prediction."""
    rng = np.random.default_rng(4)
    cases = []
    for i, shape in enumerate([(1, 4, 4, 1), (2, 28, 28, 1)]):
        damaged = rng.uniform(-1, 1, shape).astype(np.float32)
        prediction = rng.uniform(-1, 1, shape).astype(np.float32)
        mask = (rng.uniform(size=shape) < 0.3).astype(np.float32)
        swapped = damaged * mask + prediction * (1 - mask)
        mistakes = (
            (swapped, "The mask is 1 where a pixel is damaged: take the *prediction* there and the damaged image elsewhere."),
            (prediction, "The composite keeps the known pixels of the damaged image; only masked pixels come from the prediction."),
            (damaged * (1 - mask), "The damaged pixels are left at 0: add prediction * mask."),
        )
        cases.append(Case((damaged, prediction, mask), composite(damaged, prediction, mask), f"batch {i + 1} {shape}",
                          mistakes))
    return check_cases("composite", fn, cases)
