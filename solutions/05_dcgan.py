"""Solutions to the exercises of notebook 05 (for teachers; tests run each through its checker)."""

import numpy as np


def transposed_output_size(n, kernel, stride, padding):
    """Exercise 1: one axis of a Conv2DTranspose. 'same': n * stride; 'valid': n * stride + max(kernel - stride, 0)."""
    if padding == "same":
        return n * stride
    return n * stride + max(kernel - stride, 0)


def conv_transpose_parameters(kernel, in_channels, out_channels, use_bias):
    """Exercise 2: a k x k kernel per (input, output) channel pair, plus one bias per output channel.

    The generator's `up1` at width 32: 4 * 4 * 128 * 64 = 131,072 (no bias: the BatchNormalization
    that follows subtracts the batch mean, which would cancel any bias, and adds its own offset).
    """
    return kernel * kernel * in_channels * out_channels + (out_channels if use_bias else 0)


def smoothed_d_loss(real_logits, fake_logits, smoothing):
    """Exercise 3: one-sided label smoothing, stable form.

    BCE(y, l) = y * ln(1 + e^-l) + (1 - y) * ln(1 + e^l); real target 1 - smoothing, fake target 0.
    """
    real, fake = np.asarray(real_logits, float), np.asarray(fake_logits, float)
    target = 1.0 - smoothing
    real_term = target * np.logaddexp(0, -real) + (1 - target) * np.logaddexp(0, real)
    fake_term = np.logaddexp(0, fake)
    return float(np.mean(real_term) + np.mean(fake_term))


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import dcgan as exercises

    return [
        exercises.check_transposed_output_size(transposed_output_size),
        exercises.check_conv_transpose_parameters(conv_transpose_parameters),
        exercises.check_smoothed_d_loss(smoothed_d_loss),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
