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


def my_train_step(gan, real):
    """Exercise 4: one GAN step with tf.GradientTape (the TensorFlow backend), as in steps.tensorflow_train_step."""
    import tensorflow as tf

    from prodimg_lib.generation.losses import d_loss_from_logits, g_loss_from_logits

    batch_size = real.shape[0]
    discriminator, generator = gan.discriminator, gan.generator

    # 1. Discriminator step: the fake images are made outside the tape, so no gradient reaches G.
    noise, _ = gan.sample_inputs(batch_size)  # (noise, labels); labels is None without conditioning
    fake = generator(noise, training=True)
    with tf.GradientTape() as tape:
        real_logits = discriminator(real, training=True)
        fake_logits = discriminator(fake, training=True)
        d_loss = d_loss_from_logits(real_logits, fake_logits, gan.label_smoothing)
    grads = tape.gradient(d_loss, discriminator.trainable_weights)
    gan.d_optimizer.apply(grads, discriminator.trainable_weights)

    # 2. Generator step: fresh noise, through the discriminator just updated; only G's weights move.
    noise, _ = gan.sample_inputs(batch_size)
    with tf.GradientTape() as tape:
        logits = discriminator(generator(noise, training=True), training=True)
        g_loss = g_loss_from_logits(logits, gan.loss_kind)
    grads = tape.gradient(g_loss, generator.trainable_weights)
    gan.g_optimizer.apply(grads, generator.trainable_weights)
    return {"d_loss": d_loss, "g_loss": g_loss}


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import dcgan as exercises

    import keras

    results = [
        exercises.check_transposed_output_size(transposed_output_size),
        exercises.check_conv_transpose_parameters(conv_transpose_parameters),
        exercises.check_smoothed_d_loss(smoothed_d_loss),
    ]
    if keras.backend.backend() == "tensorflow":  # the training step is written with tf.GradientTape
        results.append(exercises.check_train_step(my_train_step))
    return results


if __name__ == "__main__":
    for result in check_all():
        print(result)
