"""Solutions to the exercises of notebook 10 (for teachers; tests run each through its checker)."""

import numpy as np


def noise_psnr(sigma):
    """Exercise 1: PSNR of unclipped Gaussian noise of std sigma grey levels: 10 log10(255² / sigma²).

    In grey levels the range is 255 and the MSE is the noise variance sigma², so the PSNR is
    20 log10(255 / sigma) whatever the image (24.6 dB at 15, 20.2 dB at 25, 14.2 dB at 50).
    """
    return 20.0 * np.log10(255.0 / np.asarray(sigma, dtype=np.float64))


def composite(damaged, prediction, mask):
    """Exercise 2: known pixels from the damaged image, damaged ones (mask 1) from the prediction."""
    return damaged * (1.0 - mask) + prediction * mask


def masked_psnr(reference, estimate, mask):
    """Exercise 3: PSNR (range 2 for [-1, 1] images) from the MSE over the masked pixels only."""
    error = np.asarray(reference, np.float64)[mask] - np.asarray(estimate, np.float64)[mask]
    return 10.0 * np.log10(2.0 ** 2 / np.mean(error ** 2))


def masked_l1(y_true, y_pred):
    """Exercise 5: the L1 error over the damaged pixels of the batch, a Keras loss (keras.ops only).

    y_true (N, H, W, 2): the clean image in channel 0, the mask (1.0 = damaged) in channel 1; the
    slices 0:1 and 1:2 keep the channel axis, so both match y_pred (N, H, W, 1). Dividing by at
    least 1 makes a batch without damage give 0, not 0 / 0.
    """
    from keras import ops

    target, mask = y_true[..., 0:1], y_true[..., 1:2]
    return ops.sum(ops.abs(target - y_pred) * mask) / ops.maximum(ops.sum(mask), 1.0)


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import restoration as exercises

    return [
        exercises.check_noise_psnr(noise_psnr),
        exercises.check_composite(composite),
        exercises.check_masked_psnr(masked_psnr),
        exercises.check_masked_l1(masked_l1),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
