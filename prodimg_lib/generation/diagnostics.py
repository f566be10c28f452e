"""Looking inside a GAN's game: the size of the gradient that reaches the generator.

The generator learns only through the discriminator: its gradient is the discriminator's
verdict on its samples, sent back through both networks. :func:`generator_gradient_norm`
measures how large that gradient is for either generator loss, which shows the minimax loss
saturating when the discriminator rejects the samples (notebook 05), and
:class:`GradientNormLog` records it during ``fit``. It takes the gradient
the way each Keras backend does (a ``GradientTape`` on TensorFlow, ``backward()`` on
PyTorch, ``jax.grad`` of a pure function on JAX), as :mod:`prodimg_lib.generation.steps`
does, and changes no weight.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from prodimg_lib.generation.losses import LOSS_KINDS, g_loss_from_logits

__all__ = ["generator_gradient_norm", "GradientNormLog"]


def generator_gradient_norm(generator, discriminator, noise, loss: str = "non_saturating", labels=None) -> float:
    """The L2 norm of the gradient of the generator loss with respect to all the generator's weights.

    The generator runs as in a training step (``training=True``: batch statistics), the
    discriminator without dropout (``training=False``), so the number is the verdict of the
    discriminator itself; the gradient is the one a step would hand the optimizer, before Adam
    rescales it. No weight changes (on TensorFlow and PyTorch the generator's BatchNormalization
    moving statistics move as in one training call).

    Args:
        generator, discriminator: the two ``keras.Model`` s of a GAN.
        noise: (N, latent_dim) float32 normal noise.
        loss: "non_saturating" (``-ln D(G(z))``) or "minimax" (``ln(1 - D(G(z)))``).
        labels: (N,) int class labels for a conditional GAN, else None.

    Returns:
        The norm, a float >= 0.

    Raises:
        ValueError: an unknown loss.
    """
    if loss not in LOSS_KINDS:
        raise ValueError(f"loss must be one of {LOSS_KINDS}, got {loss!r}")
    noise = ops.convert_to_tensor(np.asarray(noise, dtype="float32"))
    g_inputs = noise if labels is None else [noise, ops.convert_to_tensor(np.asarray(labels, dtype="int32"))]

    def loss_of(images):
        d_inputs = images if labels is None else [images, g_inputs[1]]
        return g_loss_from_logits(discriminator(d_inputs, training=False), loss)

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            value = loss_of(generator(g_inputs, training=True))
        grads = tape.gradient(value, generator.trainable_weights)
    elif backend == "torch":
        generator.zero_grad()
        loss_of(generator(g_inputs, training=True)).backward()
        grads = [v.value.grad for v in generator.trainable_weights]
        generator.zero_grad()
        discriminator.zero_grad()
    elif backend == "jax":
        import jax

        def pure_loss(trainable):
            images, _ = generator.stateless_call(trainable, [v.value for v in generator.non_trainable_variables],
                                                 g_inputs, training=True)
            return loss_of(images)

        grads = jax.grad(pure_loss)([v.value for v in generator.trainable_variables])
    else:
        raise NotImplementedError(f"the gradient norm is taken on the tensorflow, jax and torch backends, not {backend!r}")
    total = sum(float(np.sum(np.square(ops.convert_to_numpy(g)))) for g in grads if g is not None)
    return float(np.sqrt(total))


class GradientNormLog(keras.callbacks.Callback):
    """Every ``every`` steps of a GAN's ``fit``, record the generator's gradient norm under both losses.

    Both norms are taken at the same weights, on the same fixed noise, whichever loss the run
    trains with: the ratio of the two shows how much of the discriminator's verdict each loss
    passes on. ``d_fake`` is the mean ``D(G(z))`` on that noise (discriminator without dropout).

    Attributes:
        values: ``{"step": [...], "d_fake": [...], "non_saturating": [...], "minimax": [...]}``,
            one entry per record, ``step`` counted from 1 over the whole run.
    """

    def __init__(self, noise, every: int = 10):
        super().__init__()
        self.noise = np.asarray(noise, dtype="float32")
        self.every = max(1, int(every))
        self.values = {"step": [], "d_fake": [], **{loss: [] for loss in LOSS_KINDS}}
        self._step = 0

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self._step != 1 and self._step % self.every:
            return
        gan = self.model  # on JAX, reading the model brings its variables up to date
        logits = gan.discriminator(gan.generator(self.noise, training=True), training=False)
        self.values["step"].append(self._step)
        self.values["d_fake"].append(float(np.mean(ops.convert_to_numpy(ops.sigmoid(logits)))))
        for loss in LOSS_KINDS:
            self.values[loss].append(generator_gradient_norm(gan.generator, gan.discriminator, self.noise, loss))
