"""A re-implementation of the TensorFlow DCGAN tutorial, the baseline of :mod:`benchmarks.bench_gan`.

The tutorial "Deep Convolutional Generative Adversarial Network" on tensorflow.org trains
a DCGAN on MNIST with a hand-written loop. This module follows its description, written
anew for Keras 3 (it is not a copy of the tutorial's code):

* generator, noise ``(N, 100)`` -> ``(N, 28, 28, 1)`` in [-1, 1]::

      Dense 7*7*256 (no bias) -> BN -> LeakyReLU -> Reshape (7, 7, 256)
      Conv2DTranspose 128, 5x5, stride 1, same (no bias) -> BN -> LeakyReLU   (7, 7, 128)
      Conv2DTranspose 64,  5x5, stride 2, same (no bias) -> BN -> LeakyReLU   (14, 14, 64)
      Conv2DTranspose 1,   5x5, stride 2, same (no bias), tanh                (28, 28, 1)

* discriminator, images -> one logit ``(N, 1)``::

      Conv2D 64, 5x5, stride 2, same -> LeakyReLU -> Dropout 0.3              (14, 14, 64)
      Conv2D 128, 5x5, stride 2, same -> LeakyReLU -> Dropout 0.3             (7, 7, 128)
      Flatten -> Dense 1

* ``BinaryCrossentropy(from_logits=True)``; discriminator loss ``BCE(1, D(x)) + BCE(0, D(G(z)))``,
  generator loss ``BCE(1, D(G(z)))`` (non-saturating); two ``Adam(1e-4)`` (default betas);
  ``noise_dim`` 100; ``BATCH_SIZE`` 256; the data set ``from_tensor_slices(images)
  .shuffle(60000).batch(256)`` (the last, smaller batch of each epoch is kept, as in the tutorial);
* one ``tf.function`` ``train_step`` with two ``GradientTape``s recording the same forward pass:
  both models are updated from the same noise and the same discriminator outputs (the
  library's :class:`prodimg_lib.generation.gan.GAN` instead updates D first and then G on fresh noise).

LeakyReLU keeps the Keras default slope (0.3 in Keras 3 as in ``tf.keras``), as the tutorial
does. ``width`` scales every layer (64 is the tutorial: 4*64 = 256 filters at 7x7) so that
the tests can train a tiny copy; the tutorial's model is ``width=64, noise_dim=100``.

On a CPU, TensorFlow's graph optimiser logs one "remapper failed ... BiasAdd" error line
when it first traces the step (it cannot fuse the discriminator's Conv2D + bias + LeakyReLU
with its gradient); it is harmless and left as is, since the tutorial's model has those biases.

The training loop is plain Python (no ``keras.Model.fit``) and stops after the step during
which the wall-clock budget ran out: see :func:`train_for`.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "NOISE_DIM",
    "BATCH_SIZE",
    "LEARNING_RATE",
    "WIDTH",
    "build_generator",
    "build_discriminator",
    "make_dataset",
    "TutorialDCGAN",
    "LoopResult",
    "StepClock",
    "train_for",
]

NOISE_DIM = 100
BATCH_SIZE = 256
LEARNING_RATE = 1e-4
WIDTH = 64  # the tutorial's generator has 4*64 = 256, 128, 64 filters; its discriminator 64, 128


def require_tensorflow():
    """TensorFlow, for the tutorial's ``tf.function`` and tapes; a clear error where it cannot run.

    The tutorial is TensorFlow code, so it needs TensorFlow installed *and* Keras on the
    TensorFlow backend (its Keras models must hold TensorFlow variables for the tapes).

    Raises:
        RuntimeError: TensorFlow is missing, or Keras runs on another backend.
    """
    import keras

    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(f"the TensorFlow tutorial's DCGAN runs on Keras's tensorflow backend only (this is {backend}): "
                           "run the GAN benchmark with KERAS_BACKEND=tensorflow for its row")
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise RuntimeError("the TensorFlow tutorial's DCGAN needs TensorFlow: pip install tensorflow-cpu") from exc
    return tf


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def build_generator(noise_dim: int = NOISE_DIM, width: int = WIDTH):
    """The tutorial's generator: noise ``(N, noise_dim)`` -> images ``(N, 28, 28, 1)`` in [-1, 1].

    Args:
        noise_dim: length of the noise vector (tutorial: 100).
        width: filters of the last hidden layer; the layers have 4w, 2w, w (tutorial: 64).
    """
    import keras
    from keras import layers

    noise_dim, width = _positive_int("noise_dim", noise_dim), _positive_int("width", width)
    return keras.Sequential(
        [
            keras.Input((noise_dim,), name="noise"),
            layers.Dense(7 * 7 * 4 * width, use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Reshape((7, 7, 4 * width)),
            layers.Conv2DTranspose(2 * width, 5, strides=1, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Conv2DTranspose(width, 5, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
        ],
        name="tutorial_generator",
    )


def build_discriminator(width: int = WIDTH):
    """The tutorial's discriminator: images ``(N, 28, 28, 1)`` in [-1, 1] -> logits ``(N, 1)``.

    Args:
        width: filters of the first convolution; the second has 2w (tutorial: 64).
    """
    import keras
    from keras import layers

    width = _positive_int("width", width)
    return keras.Sequential(
        [
            keras.Input((28, 28, 1), name="images"),
            layers.Conv2D(width, 5, strides=2, padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Conv2D(2 * width, 5, strides=2, padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(1),
        ],
        name="tutorial_discriminator",
    )


def make_dataset(images, batch_size: int = BATCH_SIZE, seed: int | None = 0):
    """The tutorial's pipeline: ``from_tensor_slices(images).shuffle(N).batch(batch_size)``.

    Args:
        images: float32 (N, 28, 28, 1) in [-1, 1], N >= batch_size.
        batch_size: images per batch (tutorial: 256); the last batch of an epoch may be smaller.
        seed: shuffling seed (the tutorial sets none).

    Raises:
        ValueError: images of the wrong shape or range, or fewer than one batch of them.
    """
    tf = require_tensorflow()

    from prodimg_lib.data import as_model_images

    batch_size = _positive_int("batch_size", batch_size)
    images = as_model_images(images, "images", (28, 28, 1), unit_range="error")
    if len(images) < batch_size:
        raise ValueError(f"too little data for one batch: {len(images)} images but batch_size={batch_size}")
    return tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=seed).batch(batch_size)


class TutorialDCGAN:
    """The tutorial's two models, two optimizers and ``train_step`` (a ``tf.function``).

    Args:
        noise_dim, width: model sizes (tutorial: 100 and 64).
        batch_size: the noise batch of every step (the tutorial draws ``BATCH_SIZE`` noise
            vectors per step, even for the last, smaller real batch).
        learning_rate: of both Adam optimizers (tutorial: 1e-4).
        seed: seeds Keras (weights, dropout) and the noise; None leaves them random.
    """

    def __init__(self, noise_dim: int = NOISE_DIM, width: int = WIDTH, batch_size: int = BATCH_SIZE,
                 learning_rate: float = LEARNING_RATE, seed: int | None = 0):
        import keras
        tf = require_tensorflow()

        if seed is not None:
            keras.utils.set_random_seed(int(seed))
        self.noise_dim, self.batch_size = _positive_int("noise_dim", noise_dim), _positive_int("batch_size", batch_size)
        self.generator = build_generator(self.noise_dim, width)
        self.discriminator = build_discriminator(width)
        self.g_optimizer = keras.optimizers.Adam(learning_rate)
        self.d_optimizer = keras.optimizers.Adam(learning_rate)
        # Create the optimizers' variables outside the tf.function (Keras 3 builds them lazily).
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
        self.train_step = tf.function(self._train_step)

    def discriminator_loss(self, real_output, fake_output):
        """``BCE(1, real) + BCE(0, fake)`` on logits."""
        tf = require_tensorflow()

        return (self.cross_entropy(tf.ones_like(real_output), real_output)
                + self.cross_entropy(tf.zeros_like(fake_output), fake_output))

    def generator_loss(self, fake_output):
        """``BCE(1, fake)`` on logits (non-saturating)."""
        tf = require_tensorflow()

        return self.cross_entropy(tf.ones_like(fake_output), fake_output)

    def _train_step(self, images):
        tf = require_tensorflow()

        noise = tf.random.normal([self.batch_size, self.noise_dim])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated = self.generator(noise, training=True)
            real_output = self.discriminator(images, training=True)
            fake_output = self.discriminator(generated, training=True)
            gen_loss = self.generator_loss(fake_output)
            disc_loss = self.discriminator_loss(real_output, fake_output)
        g_grads = gen_tape.gradient(gen_loss, self.generator.trainable_variables)
        d_grads = disc_tape.gradient(disc_loss, self.discriminator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_variables))
        self.d_optimizer.apply_gradients(zip(d_grads, self.discriminator.trainable_variables))
        return gen_loss, disc_loss

    def generate(self, noise, batch_size: int = 500) -> np.ndarray:
        """Images (N, 28, 28, 1) float32 in [-1, 1] from noise (N, noise_dim), inference mode."""
        return np.asarray(self.generator.predict(np.asarray(noise, np.float32), batch_size=batch_size, verbose=0))


@dataclass
class LoopResult:
    """What a budgeted training loop did.

    Attributes:
        steps: training steps run.
        images: real images consumed (the sum of the batch sizes).
        seconds: wall-clock seconds from the start of the loop to its end (tracing included).
        first_step_seconds: the first step (it includes tracing the ``tf.function``).
        last_step_seconds: the step during which the budget ran out (or the last one).
        max_step_seconds: the slowest step.
        ended_seconds: elapsed time when the last step ended (the check that stopped the loop).
        previous_ended_seconds: elapsed time when the step before it ended (0.0 after one step);
            a loop that stops as soon as the budget is spent has ``previous_ended_seconds <
            budget <= ended_seconds``.
        losses: the last step's losses, name -> float.
    """

    steps: int = 0
    images: int = 0
    seconds: float = 0.0
    first_step_seconds: float = 0.0
    last_step_seconds: float = 0.0
    max_step_seconds: float = 0.0
    ended_seconds: float = 0.0
    previous_ended_seconds: float = 0.0
    losses: dict = field(default_factory=dict)


class StepClock:
    """Times training steps against a wall-clock budget and fills a :class:`LoopResult`.

    The clock starts when it is created. Call :meth:`begin_step` before each step and
    :meth:`end_step` after it (once the step's results are read, so that it has finished);
    :meth:`end_step` says whether the budget is spent. :meth:`finish` sets the total time.

    Args:
        budget_seconds: the budget, a positive finite number.
    """

    def __init__(self, budget_seconds: float):
        if not (isinstance(budget_seconds, (int, float, np.integer, np.floating)) and not isinstance(budget_seconds, bool)
                and np.isfinite(budget_seconds) and budget_seconds > 0):
            raise ValueError(f"budget_seconds must be a positive number, got {budget_seconds!r}")
        self.budget = float(budget_seconds)
        self.result = LoopResult()
        self.start = self._t0 = time.perf_counter()

    def begin_step(self) -> None:
        self._t0 = time.perf_counter()

    def end_step(self, images: int) -> bool:
        """Record a finished step of ``images`` images; True when the budget is spent."""
        now = time.perf_counter()
        step, r = now - self._t0, self.result
        r.first_step_seconds = r.first_step_seconds or step
        r.last_step_seconds, r.max_step_seconds = step, max(r.max_step_seconds, step)
        r.steps += 1
        r.images += int(images)
        r.previous_ended_seconds, r.ended_seconds = r.ended_seconds, now - self.start
        return r.ended_seconds >= self.budget

    def finish(self) -> LoopResult:
        """Set the total time and return the result."""
        self.result.seconds = time.perf_counter() - self.start
        return self.result


def train_for(model: TutorialDCGAN, dataset, budget_seconds: float, *, max_steps: int | None = None) -> LoopResult:
    """The tutorial's loop (``for epoch: for batch in dataset: train_step(batch)``) under a time budget.

    After every step the elapsed wall-clock time is checked, and the loop stops as soon as
    it reaches ``budget_seconds``: the run ends within the budget plus one step's time.

    Args:
        model: a :class:`TutorialDCGAN`.
        dataset: batches from :func:`make_dataset`.
        budget_seconds: wall-clock budget (> 0), counted from the loop's start (the first
            step's tracing counts: it is part of the tutorial's cost).
        max_steps: also stop after this many steps (None: no limit).

    Returns:
        A :class:`LoopResult`.
    """
    clock = StepClock(budget_seconds)
    for _ in itertools.count():
        for batch in dataset:
            clock.begin_step()
            gen_loss, disc_loss = model.train_step(batch)
            clock.result.losses = {"g_loss": float(gen_loss), "d_loss": float(disc_loss)}  # also waits for the step
            spent = clock.end_step(int(batch.shape[0]))
            if spent or (max_steps is not None and clock.result.steps >= max_steps):
                return clock.finish()
        if clock.result.steps == 0:
            raise ValueError("the data set gave no batch: use make_dataset")
    raise AssertionError("unreachable")
