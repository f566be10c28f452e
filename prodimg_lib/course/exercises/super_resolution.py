"""The exercise checkers of notebook 08 (super resolution).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.experiments.super_resolution import espcn_trainable_parameters, pixel_shuffle
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases, check_value, failed, passed


def check_downscale(fn) -> CheckResult:
    """Check a learner's ``fn(images, factor)``: area averaging of (N, H, W, C) by an integer factor."""
    from prodimg_lib.data import degrade

    rng = np.random.default_rng(8)
    cases = []
    for shape, factor, label in (((1, 4, 4, 1), 2, "one 4 x 4 image, factor 2"),
                                 ((3, 8, 12, 1), 4, "three 8 x 12 images, factor 4"),
                                 ((2, 6, 4, 3), 2, "two 6 x 4 colour images, factor 2")):
        x = rng.uniform(-1, 1, shape).astype(np.float32) if shape != (1, 4, 4, 1) else \
            (np.arange(16, dtype=np.float32).reshape(shape) / 15 * 2 - 1)
        expected = degrade.downscale(x, factor)
        every_other = x[:, ::factor, ::factor, :]
        block_sums = expected * factor * factor
        cases.append(Case(args=(x, factor), expected=expected, label=label, mistakes=(
            (every_other, "You kept every factor-th pixel (subsampling): average each factor x factor block instead."),
            (block_sums, "These are the sums of the blocks: divide by factor² to get their means."),
        )))
    result = check_cases("your downscale", fn, cases)
    if result:
        return passed("your downscale matches degrade.downscale: each output pixel is the mean of its block.")
    if "has shape (2, 3, 2, 1)" in result.message:
        return failed(result.message + " Average over the two spatial axes only, not over the channels.")
    return result


def check_psnr(fn) -> CheckResult:
    """Check a learner's ``fn(reference, estimate)``: the mean over images of each image's PSNR (range 2)."""
    from prodimg_lib.evaluation import image_quality

    rng = np.random.default_rng(9)
    ref = rng.uniform(-1, 1, (4, 6, 5, 1))
    est = np.clip(ref + rng.normal(0, [[[[0.05]]], [[[0.1]]], [[[0.2]]], [[[0.4]]]], ref.shape), -1, 1)
    one_ref, one_est = ref[:1], np.clip(ref[:1] + 0.1, -1, 1)
    cases = []
    for r, e, label in ((one_ref, one_est, "one 6 x 5 image"), (ref, est, "four images with different errors")):
        expected = image_quality.psnr(r, e)
        mse = np.mean((r - e) ** 2, axis=(1, 2, 3))
        cases.append(Case(args=(r, e), expected=expected, label=label, mistakes=(
            (float(np.mean(10 * np.log10(1.0 / mse))), "You used a peak of 1: the range of [-1, 1] images is 2, so the "
                                                      "numerator is 2² = 4."),
            (float(10 * np.log10(4.0 / np.mean(mse))), "This is the PSNR of the pooled MSE: compute one PSNR per image, "
                                                       "then average the PSNRs."),
            (float(np.mean(20 * np.log10(4.0 / mse))), "PSNR is 10 log10(peak² / MSE) (or 20 log10(peak / RMSE)), "
                                                       "not 20 log10(peak² / MSE)."),
            (float(np.mean(10 * np.log(4.0 / mse))), "Use the base-10 logarithm (np.log10), not the natural one."),
        )))
    result = check_cases("your psnr", fn, cases)
    return passed("your psnr matches image_quality.psnr: 10 log10(4 / MSE) per image, averaged.") if result else result


def check_pixel_shuffle(fn) -> CheckResult:
    """Check a learner's ``fn(x, r)``: depth-to-space (N, H, W, C r²) -> (N, r H, r W, C) in Keras' order."""
    rng = np.random.default_rng(10)
    cases = []
    for shape, r, label in (((1, 1, 1, 4), 2, "one pixel with 4 channels, r = 2"),
                            ((2, 3, 2, 4), 2, "two 3 x 2 maps with 4 channels, r = 2"),
                            ((1, 2, 3, 18), 3, "a 2 x 3 map with 18 channels (C = 2), r = 3")):
        x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) if shape[0] == 1 and shape[1] == 1 else \
            rng.normal(size=shape)
        n, h, w, depth = shape
        c = depth // (r * r)
        transposed = x.reshape(n, h, w, r, r, c).transpose(0, 1, 4, 2, 3, 5).reshape(n, h * r, w * r, c)
        naive = x.reshape(n, h * r, w * r, c)
        cases.append(Case(args=(x, r), expected=pixel_shuffle(x, r), label=label, mistakes=(
            (transposed, "Rows and columns of each block are swapped: channel (i r + j) C + c goes to block row i, "
                         "column j."),
            (naive, "A plain reshape does not move the channels into blocks: reshape to (N, H, W, r, r, C), move the "
                    "block-row axis next to H, then reshape."),
        )))
    result = check_cases("your pixel_shuffle", fn, cases)
    return passed("your pixel_shuffle matches keras.ops.depth_to_space.") if result else result


def check_espcn_parameters(answer) -> CheckResult:
    """Check the learner's count of the trainable parameters of ``build_espcn(3, channels=1, width=32)``."""
    expected = espcn_trainable_parameters(3, 32, 1)  # 832 + 4,624 + 1,305 = 6,761
    no_bias = 5 * 5 * 32 + 3 * 3 * 32 * 16 + 3 * 3 * 16 * 9
    with_subpixel = expected + 3 * 3 * 1 * 9
    one_output = expected - (3 * 3 * 16 * 9 + 9) + (3 * 3 * 16 * 1 + 1)
    hints = {
        float(no_bias): "You left out the biases: each convolution has one bias per filter.",
        float(with_subpixel): "You counted the sub-pixel layer's 81 weights: they are a frozen permutation, not "
                              "trainable.",
        float(one_output): "The last convolution outputs C r² = 9 channels (one per sub-pixel), not 1.",
    }
    return check_value("trainable parameters", answer, expected, hints, rtol=0, atol=0.5)
