"""Training a GAN with ``fit``: the GAN model, its data pipeline, monitoring and checkpoints.

The pieces, in the order a notebook uses them::

    from prodimg_lib import data, gan
    from prodimg_lib.models import dcgan

    x_train, *_ = data.load_fashion_mnist()
    images = data.to_minus_one_one(x_train)[..., None]             # (N, 28, 28, 1) in [-1, 1]
    dataset = gan.make_dataset(images, batch_size=128)

    model = gan.GAN(dcgan.build_generator(64, 32), dcgan.build_discriminator(32), latent_dim=64, seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    history = gan.train(model, dataset, epochs=10, out_dir="runs/dcgan")   # resumes if stopped

    # the same by hand: resume (0 on the first run), fit with the callbacks, animate
    initial_epoch = gan.restore(model, "runs/dcgan/checkpoints", missing_ok=True)
    model.fit(dataset, epochs=10, initial_epoch=initial_epoch,
              callbacks=[gan.SampleGrid("runs/dcgan/samples", gan.fixed_noise(64, 64)),
                         gan.GANCheckpoint("runs/dcgan/checkpoints", keep=2)])
    gan.make_gif("runs/dcgan/samples", "runs/dcgan/samples.gif")

:func:`train` is ``fit`` with three callbacks, which can also be used directly:

* :class:`SampleGrid` saves a PNG grid of samples from the *same* fixed noise after each
  epoch (``samples-epoch-0005.png``), and :func:`make_gif` turns them into an animation;
* :class:`GANCheckpoint` writes a complete checkpoint after each epoch, atomically: into a
  temporary folder first, renamed to ``epoch-0005`` only when everything is written, so
  that a run stopped at any moment (a closed Colab tab) leaves the last complete epoch
  intact. ``initial_epoch = restore(model, directory)`` then
  ``model.fit(..., initial_epoch=initial_epoch)`` continues where it stopped;
* :class:`DivergenceGuard` (added by ``GAN.fit`` automatically) stops training with a
  :class:`TrainingDiverged` error as soon as a loss is NaN or infinite.

Conventions, corrected from the source article (section 5.2): real images are labelled
1 and generated ones 0; the generator's loss is computed *through the discriminator* on
``G(z)`` (the article's combined model never fed ``G(z)`` into ``D``, so its generator
could not learn); the discriminator returns logits and the losses use
``from_logits=True``; images are in [-1, 1], the range of the generator's ``tanh``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterable

import keras
import numpy as np
from keras import ops

from .data import as_model_images
from .models.dcgan import check_compatible, is_conditional, num_classes_of

__all__ = [
    "LOSS_KINDS",
    "TrainingDiverged",
    "CheckpointError",
    "d_loss_from_logits",
    "g_loss_from_logits",
    "GAN",
    "make_dataset",
    "fixed_noise",
    "truncated_noise",
    "grid_image",
    "DivergenceGuard",
    "SampleGrid",
    "make_gif",
    "GANCheckpoint",
    "save_checkpoint",
    "list_checkpoints",
    "latest_checkpoint",
    "load_state",
    "restore",
    "train",
    "generate",
    "interpolate",
    "class_agreement",
    "check_smoothed_d_loss",
    "check_interpolation",
    "check_class_agreement",
    "check_grid_labels",
]

LOSS_KINDS = ("non_saturating", "minimax")

CHECKPOINT_PATTERN = re.compile(r"^epoch-(\d{4,})$")
TMP_PREFIX = ".tmp-"
SAMPLE_PATTERN = re.compile(r"^samples-epoch-(\d{4,})\.png$")
STATE_FORMAT = 1


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite, so training was stopped.

    Attributes:
        epoch: the epoch (1-based) in which it happened.
        batch: the batch (1-based) within that epoch, or None when found at the epoch's end.
        loss_name: which value was not finite (e.g. ``"g_loss"``).
        value: that value.
    """

    def __init__(self, epoch: int, loss_name: str, value: float, batch: int | None = None):
        self.epoch, self.batch, self.loss_name, self.value = epoch, batch, loss_name, value
        where = f"epoch {epoch}" + (f", batch {batch}" if batch is not None else "")
        super().__init__(
            f"Training diverged in {where}: {loss_name} is {value}. The weights now hold NaN or infinite "
            "values, so training was stopped (checkpoints written before this epoch are intact). Usual "
            "causes: a learning rate too high (the course uses Adam with learning rate 2e-4 and "
            "beta_1=0.5), images not scaled to [-1, 1], or a discriminator that applies a sigmoid although "
            "the losses expect logits. Restore the last checkpoint and lower the learning rate."
        )


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written or restored (the message says why and what to do)."""


# --------------------------------------------------------------------------- losses


def _bce_to_constant(target: float, logits):
    """Mean binary cross-entropy of ``logits`` against the constant label ``target`` (stable)."""
    logits = ops.convert_to_tensor(logits, dtype="float32")
    return ops.mean(ops.binary_crossentropy(ops.full_like(logits, target), logits, from_logits=True))


def d_loss_from_logits(real_logits, fake_logits, label_smoothing: float = 0.0):
    """Discriminator loss ``BCE(1 - label_smoothing, real) + BCE(0, fake)`` from logits.

    With ``label_smoothing=0`` this is :func:`prodimg_lib.losses.discriminator_loss` with
    ``from_logits=True``: ``mean(-ln D(x)) + mean(-ln(1 - D(G(z))))``, a sum of two
    binary cross-entropies. One-sided label smoothing (Salimans et al., 2016) lowers only
    the real target (to 0.9 for 0.1); fakes keep the target 0.

    Args:
        real_logits: discriminator logits on real images, shape (N, 1) (any shape works).
        fake_logits: logits on generated images, any shape.
        label_smoothing: in [0, 0.5).
    Returns:
        A scalar tensor, >= 0 (``2 ln 2`` ≈ 1.386 when D outputs 0.5 everywhere).
    """
    return _bce_to_constant(1.0 - label_smoothing, real_logits) + _bce_to_constant(0.0, fake_logits)


def g_loss_from_logits(fake_logits, loss: str = "non_saturating"):
    """Generator loss from the discriminator's logits on generated images.

    * ``"non_saturating"`` (default): ``mean(-ln D(G(z)))`` = ``BCE(1, fake)``;
    * ``"minimax"``: ``mean(ln(1 - D(G(z))))`` = ``-BCE(0, fake)``, the original game's
      term, whose gradient vanishes when the discriminator wins (shown in notebook 01).

    Equals :func:`prodimg_lib.losses.generator_loss` with ``from_logits=True``.
    """
    if loss == "non_saturating":
        return _bce_to_constant(1.0, fake_logits)
    if loss == "minimax":
        return -_bce_to_constant(0.0, fake_logits)
    raise ValueError(f"loss must be one of {LOSS_KINDS}, got {loss!r}")


# --------------------------------------------------------------------------- the model


@keras.saving.register_keras_serializable(package="prodimg_lib")
class GAN(keras.Model):
    """A generator and a discriminator trained against each other with ``fit``.

    Each training step (one batch of N real images):

    1. the discriminator takes a gradient step on ``d_loss_from_logits(D(x), D(G(z)))``:
       real images towards 1, generated images towards 0;
    2. the generator takes a step on ``g_loss_from_logits(D(G(z')))`` with fresh noise
       ``z'``: its gradient flows back through the discriminator into the generator.

    Logged metrics (epoch means): ``d_loss``, ``g_loss``, ``d_real`` (mean probability
    D(x) on real images) and ``d_fake`` (mean D(G(z)) on generated ones, from step 1).
    A balanced game keeps ``d_real`` above ``d_fake`` without either reaching 1 or 0.

    Args:
        generator: from :func:`~prodimg_lib.models.dcgan.build_generator` (or the
            conditional builder); noise ``(N, latent_dim)`` -> images in [-1, 1].
        discriminator: returns one logit per image; its input shape must equal the
            generator's output shape (checked here).
        latent_dim: length of the noise vector; must match the generator's input.
        conditional: True for the class-conditional models (inputs ``[noise, labels]``
            and ``[images, labels]``); batches are then ``(images, labels)``.
        num_classes: number of classes (conditional only; read from the models if None).
        seed: seed of the noise (``keras.random.SeedGenerator``); None for a random one.

    Raises:
        IncompatibleModelsError: the generator's output does not fit the discriminator.
        ValueError: ``latent_dim``, ``conditional`` or ``num_classes`` disagree with the models.
    """

    def __init__(self, generator, discriminator, latent_dim, conditional=False, num_classes=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_compatible(generator, discriminator)
        noise_dim = generator.inputs[0].shape[-1]
        if latent_dim != noise_dim:
            raise ValueError(f"latent_dim is {latent_dim} but the generator takes noise of length {noise_dim}")
        if bool(conditional) != is_conditional(generator):
            raise ValueError(
                "the generator takes [noise, labels]: pass conditional=True"
                if is_conditional(generator)
                else "conditional=True needs the conditional models (build_conditional_generator and "
                "build_conditional_discriminator); these take no labels"
            )
        if conditional:
            known = num_classes_of(generator)
            num_classes = known if num_classes is None else int(num_classes)
            if num_classes is None or num_classes < 2:
                raise ValueError("a conditional GAN needs num_classes >= 2")
            if known is not None and known != num_classes:
                raise ValueError(f"num_classes is {num_classes} but the models were built for {known} classes")
        elif num_classes is not None:
            raise ValueError("num_classes is only used by a conditional GAN (conditional=True)")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.conditional = bool(conditional)
        self.num_classes = num_classes
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed")
        self.image_shape = tuple(generator.outputs[0].shape[1:])
        self._trackers = {
            name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "d_real", "d_fake")
        }

    # -- set-up ---------------------------------------------------------------

    def compile(self, d_optimizer, g_optimizer, loss="non_saturating", label_smoothing=0.0, **kwargs):
        """Set the two optimizers and the loss.

        Args:
            d_optimizer, g_optimizer: two *separate* optimizers (or names such as "adam");
                DCGAN's usual choice is ``keras.optimizers.Adam(2e-4, beta_1=0.5)`` for both.
            loss: generator loss, ``"non_saturating"`` (default) or ``"minimax"``.
            label_smoothing: one-sided: real images get the target ``1 - label_smoothing``,
                generated ones 0. In [0, 0.5); 0.1 is a common choice.
            **kwargs: passed to ``keras.Model.compile`` (e.g. ``jit_compile``).
        """
        if loss not in LOSS_KINDS:
            raise ValueError(f"loss must be one of {LOSS_KINDS}, got {loss!r}")
        if not 0.0 <= float(label_smoothing) < 0.5:
            raise ValueError(f"label_smoothing must be in [0, 0.5), got {label_smoothing!r}")
        if d_optimizer is g_optimizer and not isinstance(d_optimizer, str):
            raise ValueError("pass two different optimizer objects: each one keeps state for its own model's weights")
        super().compile(**kwargs)
        self.d_optimizer = keras.optimizers.get(d_optimizer)
        self.g_optimizer = keras.optimizers.get(g_optimizer)
        self.loss_kind = loss
        self.label_smoothing = float(label_smoothing)

    @property
    def metrics(self):
        return list(self._trackers.values())

    def call(self, inputs, training=False):
        """Generate images: ``inputs`` as the generator takes them (noise, or ``[noise, labels]``)."""
        return self.generator(inputs, training=training)

    # -- one training step --------------------------------------------------------

    def sample_inputs(self, batch_size):
        """Generator inputs for ``batch_size`` samples: normal noise (and uniform labels if conditional)."""
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        if not self.conditional:
            return noise, None
        labels = keras.random.randint((batch_size,), 0, self.num_classes, seed=self.seed_generator, dtype="int32")
        return noise, labels

    def _g(self, noise, labels, training=True):
        return self.generator([noise, labels] if self.conditional else noise, training=training)

    def _d(self, images, labels, training=True):
        return self.discriminator([images, labels] if self.conditional else images, training=training)

    def train_step(self, data):
        import tensorflow as tf  # the one TensorFlow-specific place of the library (GradientTape)

        real, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.conditional:
            if labels is None:
                raise ValueError("a conditional GAN trains on (images, labels) batches: make_dataset(images, batch_size, labels=labels)")
            labels = ops.cast(labels, "int32")
        batch_size = ops.shape(real)[0]

        # 1. Discriminator: real images -> 1 (minus label smoothing), generated images -> 0.
        noise, fake_labels = self.sample_inputs(batch_size)
        fake = self._g(noise, fake_labels)
        with tf.GradientTape() as tape:
            real_logits = self._d(real, labels)
            fake_logits = self._d(fake, fake_labels)
            d_loss = d_loss_from_logits(real_logits, fake_logits, self.label_smoothing)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        # 2. Generator: its loss goes through the (just updated) discriminator on G(z).
        noise, fake_labels = self.sample_inputs(batch_size)
        with tf.GradientTape() as tape:
            g_logits = self._d(self._g(noise, fake_labels), fake_labels)
            g_loss = g_loss_from_logits(g_logits, self.loss_kind)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        values = {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": ops.mean(ops.sigmoid(real_logits)),
            "d_fake": ops.mean(ops.sigmoid(fake_logits)),
        }
        for name, value in values.items():
            self._trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    def fit(self, *args, callbacks=None, **kwargs):
        """``keras.Model.fit``, with a :class:`DivergenceGuard` added unless one is given."""
        if not hasattr(self, "d_optimizer"):
            raise RuntimeError("compile the GAN first: gan.compile(d_optimizer=..., g_optimizer=...)")
        if args and hasattr(args[0], "element_spec"):  # a tf.data.Dataset shuffles itself (make_dataset)
            kwargs.setdefault("shuffle", False)
        callbacks = list(callbacks or [])
        if not any(isinstance(cb, DivergenceGuard) for cb in callbacks):
            callbacks.insert(0, DivergenceGuard())
        return super().fit(*args, callbacks=callbacks, **kwargs)

    # -- serialisation --------------------------------------------------------------

    def get_config(self):
        return {
            "name": self.name,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "conditional": self.conditional,
            "num_classes": self.num_classes,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


# --------------------------------------------------------------------------- data


def make_dataset(images, batch_size: int, labels=None, shuffle: bool = True, seed: int = 0, image_shape=(28, 28, 1)):
    """A ``tf.data`` pipeline of training batches for :class:`GAN`.

    Args:
        images: float32 array (N, H, W, C) in [-1, 1], by default (N, 28, 28, 1). Convert
            uint8 pixels with ``data.to_minus_one_one(x)[..., None]``.
        batch_size: images per batch; every batch is full (``drop_remainder=True``), so
            BatchNorm and the loss always see the same batch size.
        labels: class labels (N,) of non-negative integers, for a conditional GAN; the
            batches are then ``(images, labels)``.
        shuffle: reshuffle every epoch (seeded by ``seed``).
        seed: shuffling seed.
        image_shape: the expected ``(H, W, C)``.

    Returns:
        A ``tf.data.Dataset`` with ``N // batch_size`` batches per epoch.

    Raises:
        ValueError: wrong dtype, shape or range (the message gives the fix), labels that do
            not fit the images, or fewer than ``batch_size`` images (training would
            otherwise silently run zero steps).
    """
    import tensorflow as tf

    image_shape = tuple(image_shape)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    images = as_model_images(images, "images", image_shape, unit_range="error")
    n = len(images)
    if n < batch_size:
        raise ValueError(
            f"too little data for one batch: {n} images but batch_size={batch_size}. Every batch must be full, "
            "so training would run zero steps and silently learn nothing; use more images or a smaller batch_size"
        )
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},), one per image; got {labels.shape}")
        if not np.issubdtype(labels.dtype, np.integer) or (labels.size and labels.min() < 0):
            raise ValueError(f"labels must be non-negative integers (class indices), got dtype {labels.dtype}")
        ds = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
    else:
        ds = tf.data.Dataset.from_tensor_slices(images)
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    return ds.batch(int(batch_size), drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def truncated_noise(n: int, latent_dim: int, threshold: float, seed: int = 0) -> np.ndarray:
    """Normal noise (n, latent_dim) with every value outside [-threshold, threshold] redrawn (the truncation trick).

    Brock, Donahue and Simonyan (BigGAN, ICLR 2019): noise from the centre of the normal
    distribution gives the generator's most typical images; a lower threshold trades variety
    for fidelity. ``threshold`` > 0; about 2 or more changes little.
    """
    threshold = float(threshold)
    if not threshold > 0:
        raise ValueError(f"the truncation threshold must be positive, got {threshold!r}")
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n, latent_dim))
    outside = np.abs(noise) > threshold
    while outside.any():
        noise[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(noise) > threshold
    return noise.astype(np.float32)


def fixed_noise(n: int, latent_dim: int, seed: int = 0) -> np.ndarray:
    """``n`` standard-normal noise vectors (n, latent_dim), float32, the same for the same seed.

    Feeding the same noise to the generator after every epoch shows how the *same*
    samples evolve, which is what makes the sample grids and the GIF readable.
    """
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


# --------------------------------------------------------------------------- callbacks


class DivergenceGuard(keras.callbacks.Callback):
    """Stop training with :class:`TrainingDiverged` when a loss is NaN or infinite.

    Checked after every batch, so a diverged model never reaches a checkpoint; unlike
    ``keras.callbacks.TerminateOnNaN``, training does not end quietly but with an error
    that names the epoch, the batch and the loss. Also raises a ``ValueError`` when an
    epoch ran no batch at all. :meth:`GAN.fit` adds one automatically.

    Args:
        keys: the logged values to check; None checks every value whose name ends in "loss".
    """

    def __init__(self, keys: Iterable[str] | None = None):
        super().__init__()
        self.keys = None if keys is None else tuple(keys)
        self._epoch, self._batches = 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._batches = epoch, 0

    def _check(self, logs, batch=None):
        for name, value in (logs or {}).items():
            if (name in self.keys) if self.keys is not None else name.endswith("loss"):
                value = float(np.asarray(value))
                if not np.isfinite(value):
                    raise TrainingDiverged(self._epoch + 1, name, value, batch)

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        self._check(logs, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self._batches == 0:
            raise ValueError(
                f"epoch {epoch + 1} ran no training step: the data set gave no full batch. Use make_dataset, "
                "which checks that there is at least one batch of data"
            )
        self._check(logs)


def grid_image(images, ncols: int | None = None, *, pad: int = 2, pad_value: int = 128, scale: int = 1) -> np.ndarray:
    """Tile images into one uint8 picture.

    Args:
        images: (n, H, W, C) or (n, H, W) floats in [-1, 1] (mapped back with
            :func:`prodimg_lib.data.from_minus_one_one`) or uint8 pixels.
        ncols: images per row (default: about the square root of n).
        pad: pixels between the images; pad_value: their grey level.
        scale: integer upscaling factor (nearest neighbour), for visibility.

    Returns:
        uint8 array (rows*(H+pad)+pad, ncols*(W+pad)+pad) for grayscale, with a trailing
        channel axis for colour, times ``scale``.
    """
    from .data import from_minus_one_one

    images = np.asarray(images)
    pixels = images if images.dtype == np.uint8 else from_minus_one_one(images)
    if pixels.ndim == 4 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim not in (3, 4) or len(pixels) == 0:
        raise ValueError(f"images must have shape (n, H, W) or (n, H, W, C) with n >= 1, got {images.shape}")
    n, h, w = pixels.shape[:3]
    ncols = int(ncols or int(np.ceil(np.sqrt(n))))
    nrows = int(np.ceil(n / ncols))
    grid = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, *pixels.shape[3:]), pad_value, dtype=np.uint8)
    for i, image in enumerate(pixels):
        r, c = divmod(i, ncols)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = image
    if scale > 1:
        grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    return grid


class SampleGrid(keras.callbacks.Callback):
    """Save a PNG grid of generator samples from fixed noise after every ``every`` epochs.

    Files: ``out_dir/samples-epoch-0005.png`` (epoch counted from 1, zero-padded so that
    they sort). The noise (and labels) never change, so the grids show the same samples
    improving; :func:`make_gif` animates them.

    Args:
        out_dir: folder for the PNGs (created if missing).
        fixed_noise: (n, latent_dim) float noise, e.g. :func:`fixed_noise`.
        labels: (n,) class labels, required for a conditional GAN; for a class-by-sample
            grid use ``np.repeat(np.arange(10), k)`` with ``ncols=k``.
        every: save after every ``every``-th epoch (and never in between).
        ncols: images per row (default: about the square root of n).
        scale: upscaling factor of the PNG.

    Attributes:
        paths: the files written so far.
    """

    def __init__(self, out_dir, fixed_noise, labels=None, every: int = 1, *, ncols: int | None = None, scale: int = 2):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        noise = np.asarray(fixed_noise, dtype=np.float32)
        if noise.ndim != 2 or len(noise) == 0:
            raise ValueError(f"fixed_noise must have shape (n, latent_dim) with n >= 1, got {noise.shape}")
        if labels is not None:
            labels = np.asarray(labels).astype(np.int32)
            if labels.shape != (len(noise),):
                raise ValueError(f"labels must have shape ({len(noise)},), one per noise vector; got {labels.shape}")
        self.out_dir, self.noise, self.labels = Path(out_dir), noise, labels
        self.every, self.ncols, self.scale = every, ncols, scale
        self.paths: list[Path] = []

    def on_train_begin(self, logs=None):
        model = self.model
        if self.noise.shape[1] != model.latent_dim:
            raise ValueError(f"fixed_noise has length {self.noise.shape[1]} but the GAN's latent_dim is {model.latent_dim}")
        if model.conditional and self.labels is None:
            raise ValueError("a conditional GAN's sample grid needs labels=..., one class label per noise vector")

    def generate(self) -> np.ndarray:
        """The generator's images for the fixed noise, (n, H, W, C) in [-1, 1]."""
        inputs = [self.noise, self.labels] if self.model.conditional else self.noise
        return ops.convert_to_numpy(self.model.generator(inputs, training=False))

    def save(self, epoch: int) -> Path:
        """Write the grid for ``epoch`` (1-based) and return its path."""
        from PIL import Image

        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"samples-epoch-{epoch:04d}.png"
        Image.fromarray(grid_image(self.generate(), self.ncols, scale=self.scale)).save(path)
        self.paths.append(path)
        return path

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.save(epoch + 1)


def _sample_files(out_dir: Path) -> list[tuple[int, Path]]:
    found = []
    for path in Path(out_dir).iterdir() if Path(out_dir).is_dir() else ():
        match = SAMPLE_PATTERN.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def make_gif(out_dir, gif_path, *, duration_ms: int = 400, hold_last_ms: int = 1500, label: bool = True) -> Path:
    """Assemble the ``samples-epoch-*.png`` files of ``out_dir``, in epoch order, into a GIF.

    Args:
        out_dir: the folder :class:`SampleGrid` wrote into.
        gif_path: the GIF to write (its folder is created if missing).
        duration_ms: time each frame is shown; the last frame stays ``hold_last_ms``.
        label: write "epoch N" above each frame.

    Raises:
        FileNotFoundError: no sample grid in ``out_dir``.
    """
    from PIL import Image, ImageDraw

    files = _sample_files(Path(out_dir))
    if not files:
        raise FileNotFoundError(f"no samples-epoch-*.png in {out_dir}: train with a SampleGrid callback first")
    frames = []
    for epoch, path in files:
        with Image.open(path) as image:
            frame = image.convert("L") if image.mode in ("L", "I", "1") else image.convert("RGB")
        if label:
            strip = Image.new(frame.mode, (frame.width, frame.height + 14), 0)
            strip.paste(frame, (0, 14))
            ImageDraw.Draw(strip).text((3, 1), f"epoch {epoch}", fill=255 if frame.mode == "L" else (255, 255, 255))
            frame = strip
        frames.append(frame)
    gif_path = Path(gif_path)
    gif_path.parent.mkdir(parents=True, exist_ok=True)
    durations = [duration_ms] * (len(frames) - 1) + [max(duration_ms, hold_last_ms)]
    frames[0].save(gif_path, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return gif_path


# --------------------------------------------------------------------------- checkpoints


def list_checkpoints(directory) -> list[Path]:
    """Complete checkpoints in ``directory`` (``epoch-NNNN`` folders with a state.json), oldest first.

    Temporary folders of a write that never finished (``.tmp-*``) are ignored.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = CHECKPOINT_PATTERN.match(path.name)
        if match and path.is_dir() and (path / "state.json").is_file():
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def latest_checkpoint(directory) -> Path | None:
    """The newest complete checkpoint in ``directory``, or None when there is none."""
    found = list_checkpoints(directory)
    return found[-1] if found else None


def load_state(checkpoint) -> dict:
    """The ``state.json`` of a checkpoint: ``epoch``, ``history`` (name -> list over epochs) and settings."""
    return json.loads((Path(checkpoint) / "state.json").read_text())


def _save_variables(path: Path, variables) -> list[str]:
    np.savez(path, **{f"v{i:04d}": np.asarray(v.numpy()) for i, v in enumerate(variables)})
    return [v.path for v in variables]


def _load_variables(path: Path, variables, what: str, skip=lambda v: False) -> None:
    """Assign the arrays saved by :func:`_save_variables` to ``variables``, in order, checking shapes."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = [npz[f"v{i:04d}"] for i in range(len(npz.files))]
    if len(arrays) != len(variables):
        raise CheckpointError(
            f"{path.name} holds {len(arrays)} {what} variables but this model has {len(variables)}: "
            "the checkpoint was written for different models or optimizers"
        )
    for variable, array in zip(variables, arrays):
        if tuple(variable.shape) != array.shape:
            raise CheckpointError(
                f"{what} variable {variable.path} has shape {tuple(variable.shape)} but the checkpoint has "
                f"{array.shape}: it was written for different models (another width or latent_dim?)"
            )
    for variable, array in zip(variables, arrays):
        if not skip(variable):
            variable.assign(array)


def _check_same_weights(saved: keras.Model, model: keras.Model, what: str) -> None:
    got = [tuple(w.shape) for w in saved.weights]
    want = [tuple(w.shape) for w in model.weights]
    if got != want:
        first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        detail = (
            f"weight {first} ({model.weights[first].path}) has shape {want[first]} here but {got[first]} in the checkpoint"
            if first < min(len(got), len(want))
            else f"{len(got)} weights in the checkpoint, {len(want)} here"
        )
        raise CheckpointError(
            f"{what} does not fit this GAN: {detail}. Build the GAN exactly as the saved one "
            "(same builder, width, latent_dim and image_shape)"
        )


def _rng_variables(gan: GAN) -> list:
    """The states of every random generator of the GAN: its noise and the dropout layers' streams."""
    return [v for v in gan.non_trainable_variables if v.path.endswith("seed_generator_state")]


def _built_optimizer_variables(optimizer, model):
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return optimizer.variables


def _fsync_files(folder: Path) -> None:
    for path in folder.iterdir():
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())


def _remove_folder(path: Path) -> None:
    """Delete a folder so that no half-deleted copy can look complete: rename, then remove."""
    trash = path.with_name(f"{TMP_PREFIX}delete-{path.name}-{os.getpid()}-{time.time_ns()}")
    os.rename(path, trash)
    shutil.rmtree(trash, ignore_errors=True)


def _jsonable(value):
    value = np.asarray(value)
    return value.item() if value.ndim == 0 else value.tolist()


def save_checkpoint(gan: GAN, directory, epoch: int, history: dict | None = None) -> Path:
    """Write a complete checkpoint of ``gan`` after ``epoch`` epochs, atomically; return its folder.

    Contents of ``directory/epoch-NNNN/``: ``generator.keras`` and ``discriminator.keras``
    (each loads on its own with ``keras.models.load_model``), ``d_optimizer.npz`` and
    ``g_optimizer.npz`` (the optimizers' variables, in order), ``rng.npz`` (the random
    generators' states) and ``state.json`` (the epoch, the history, the settings).
    Everything is written into a temporary folder in ``directory`` that is renamed to
    ``epoch-NNNN`` at the end (a rename is atomic on POSIX file systems): the folder either
    exists complete or not at all.
    """
    if not hasattr(gan, "d_optimizer"):
        raise CheckpointError("compile the GAN before saving a checkpoint: the optimizers are part of it")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"epoch-{epoch:04d}"
    if final.exists():
        raise CheckpointError(f"{final} already exists; delete it or write to another directory")
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{final.name}-", dir=directory))
    try:
        gan.generator.save(tmp / "generator.keras")
        gan.discriminator.save(tmp / "discriminator.keras")
        d_paths = _save_variables(tmp / "d_optimizer.npz", _built_optimizer_variables(gan.d_optimizer, gan.discriminator))
        g_paths = _save_variables(tmp / "g_optimizer.npz", _built_optimizer_variables(gan.g_optimizer, gan.generator))
        rng_paths = _save_variables(tmp / "rng.npz", _rng_variables(gan))
        state = {
            "format": STATE_FORMAT,
            "epoch": int(epoch),
            "history": history or {},
            "latent_dim": gan.latent_dim,
            "conditional": gan.conditional,
            "num_classes": gan.num_classes,
            "image_shape": list(gan.image_shape),
            "loss": gan.loss_kind,
            "label_smoothing": gan.label_smoothing,
            "variables": {"d_optimizer": d_paths, "g_optimizer": g_paths, "rng": rng_paths},
            "keras_version": keras.__version__,
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (tmp / "state.json").write_text(json.dumps(state, indent=1))
        _fsync_files(tmp)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def restore(gan: GAN, directory, *, checkpoint=None, missing_ok: bool = False) -> int:
    """Load the newest complete checkpoint of ``directory`` into ``gan``; return its epoch.

    Restores the generator's and discriminator's weights (BatchNorm statistics included),
    both optimizers' variables (step count, Adam moments) and the random generators'
    states, so that ``gan.fit(dataset, epochs=E, initial_epoch=restore(gan, directory))``
    continues the interrupted run. The learning rate is the one ``gan`` was compiled
    with (so that a run can be resumed with a lower one); it is not overwritten.

    ``gan`` must be built like the saved one (same builders, widths and latent_dim) and
    compiled. With a shuffled data set, batches come in a different order after resuming.

    Args:
        checkpoint: a specific ``epoch-NNNN`` folder instead of the newest.
        missing_ok: return 0 (start from scratch) instead of raising when there is no checkpoint.

    Raises:
        FileNotFoundError: no complete checkpoint (and not ``missing_ok``).
        CheckpointError: ``gan`` is not compiled, or the checkpoint does not fit it.
    """
    path = Path(checkpoint) if checkpoint is not None else latest_checkpoint(directory)
    if path is None:
        if missing_ok:
            return 0
        raise FileNotFoundError(f"no complete checkpoint (epoch-NNNN folder) in {directory}")
    if not hasattr(gan, "d_optimizer"):
        raise CheckpointError("compile the GAN (with the same kind of optimizers) before restoring it")
    state = load_state(path)
    if state.get("format") != STATE_FORMAT:
        raise CheckpointError(f"{path} has checkpoint format {state.get('format')}, this library reads {STATE_FORMAT}")
    for role, model in (("generator", gan.generator), ("discriminator", gan.discriminator)):
        saved = keras.models.load_model(path / f"{role}.keras", compile=False)
        _check_same_weights(saved, model, f"the {role} in {path}")
        model.set_weights(saved.get_weights())
    is_lr = lambda v: v.path.endswith("learning_rate")  # noqa: E731
    _load_variables(path / "d_optimizer.npz", _built_optimizer_variables(gan.d_optimizer, gan.discriminator), "d_optimizer", is_lr)
    _load_variables(path / "g_optimizer.npz", _built_optimizer_variables(gan.g_optimizer, gan.generator), "g_optimizer", is_lr)
    _load_variables(path / "rng.npz", _rng_variables(gan), "random generator")
    return int(state["epoch"])


class GANCheckpoint(keras.callbacks.Callback):
    """Write a complete checkpoint after every epoch (see :func:`save_checkpoint`); keep the newest ``keep``.

    ``state.json`` carries the history of *all* epochs so far: when a run resumes from a
    checkpoint, its history is continued. A directory holding checkpoints newer than the
    epoch training starts from is refused (it belongs to another run): restore from it,
    or use a fresh directory.

    Args:
        directory: the checkpoint folder (created if missing).
        keep: how many of the newest checkpoints to keep (>= 1).

    Attributes:
        history: name -> list of epoch values (with ``"epoch"``: the epoch numbers).
    """

    def __init__(self, directory, keep: int = 2):
        super().__init__()
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise ValueError(f"keep must be a positive integer, got {keep!r}")
        self.directory, self.keep = Path(directory), keep
        self.history: dict | None = None

    def on_train_begin(self, logs=None):
        self.history = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.history is not None:
            return
        newer = [p for p in list_checkpoints(self.directory) if int(CHECKPOINT_PATTERN.match(p.name).group(1)) > epoch]
        if newer:
            raise CheckpointError(
                f"{self.directory} already holds {newer[-1].name}, but this run starts after epoch {epoch}. "
                f"To continue that run: initial_epoch = restore(gan, {str(self.directory)!r}); to start over, "
                "delete the folder or use another one"
            )
        previous = self.directory / f"epoch-{epoch:04d}"
        self.history = load_state(previous)["history"] if epoch > 0 and (previous / "state.json").is_file() else {}

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        for name, value in logs.items():
            if name.endswith("loss") and not np.isfinite(float(np.asarray(value))):
                raise TrainingDiverged(epoch + 1, name, float(np.asarray(value)))
        self.history.setdefault("epoch", []).append(epoch + 1)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(_jsonable(value))
        save_checkpoint(self.model, self.directory, epoch + 1, self.history)
        for old in list_checkpoints(self.directory)[: -self.keep]:
            _remove_folder(old)
        for stale in self.directory.glob(f"{TMP_PREFIX}*"):  # left by writes that never finished
            shutil.rmtree(stale, ignore_errors=True)


# --------------------------------------------------------------------------- all together


def train(
    gan: GAN,
    dataset,
    epochs: int,
    out_dir,
    *,
    n_samples: int = 64,
    sample_labels=None,
    ncols: int | None = None,
    noise_seed: int = 0,
    keep: int = 2,
    resume: bool = True,
    gif: bool = True,
    callbacks=(),
    verbose="auto",
) -> dict:
    """``gan.fit`` with sample grids, atomic checkpoints and a GIF; resumes a stopped run.

    Layout of ``out_dir``: ``samples/samples-epoch-NNNN.png``, ``checkpoints/epoch-NNNN/``
    and ``samples.gif``. Running the same call again after an interruption restores the
    last complete epoch and trains the remaining ones; after a finished run it trains
    nothing and returns the history.

    Args:
        gan: a compiled :class:`GAN`.
        dataset: batches from :func:`make_dataset`.
        epochs: the total number of epochs (counting those before a resume).
        out_dir: the run's folder.
        n_samples: images in the sample grid (unconditional), from ``fixed_noise(n, latent_dim, noise_seed)``.
        sample_labels: labels of the grid's samples (conditional GAN); default: one row
            per class with ``n_samples // num_classes`` samples each.
        ncols: images per grid row.
        keep: checkpoints to keep.
        resume: continue from the newest checkpoint in ``out_dir/checkpoints`` if there is one.
        gif: write ``samples.gif`` at the end.
        callbacks: more Keras callbacks.
        verbose: passed to ``fit`` (use 2 under papermill).

    Returns:
        The history of all epochs: name -> list (``"epoch"``, ``"d_loss"``, ``"g_loss"``,
        ``"d_real"``, ``"d_fake"``).
    """
    out_dir = Path(out_dir)
    ckpt_dir, sample_dir = out_dir / "checkpoints", out_dir / "samples"
    if gan.conditional and sample_labels is None:
        per_class = max(1, n_samples // gan.num_classes)
        sample_labels, ncols = np.repeat(np.arange(gan.num_classes), per_class), ncols or per_class
    n = len(sample_labels) if sample_labels is not None else n_samples
    grid = SampleGrid(sample_dir, fixed_noise(n, gan.latent_dim, noise_seed), sample_labels, ncols=ncols)
    initial_epoch = restore(gan, ckpt_dir, missing_ok=True) if resume else 0
    if initial_epoch:
        print(f"Resuming from checkpoint {latest_checkpoint(ckpt_dir).name} (epoch {initial_epoch} of {epochs})")
    if initial_epoch < epochs:
        gan.fit(
            dataset,
            epochs=epochs,
            initial_epoch=initial_epoch,
            callbacks=[grid, GANCheckpoint(ckpt_dir, keep=keep), *callbacks],
            verbose=verbose,
        )
    else:
        print(f"Already trained for {initial_epoch} epochs (asked for {epochs}): nothing to do")
    if gif and _sample_files(sample_dir):
        make_gif(sample_dir, out_dir / "samples.gif")
    latest = latest_checkpoint(ckpt_dir)
    return load_state(latest)["history"] if latest is not None else {}


# --------------------------------------------------------------------------- latent space and exercises


def generate(generator, count: int, labels=None, *, seed: int = 0, truncation: float | None = None,
             batch_size: int = 500) -> np.ndarray:
    """Images from a saved or trained generator: ``(count, H, W, C)`` float32 in [-1, 1].

    Args:
        generator: a DCGAN generator (noise -> images) or a conditional one ([noise, labels] -> images).
        count: number of images (>= 1).
        labels: for a conditional generator: one class for all (an int or a name such as
            "sneaker", see :func:`prodimg_lib.data.class_index`) or ``count`` labels; must be
            None for an unconditional one.
        seed: seed of the normal noise (:func:`fixed_noise`): the same seed gives the same images.
        truncation: None for standard normal noise; a threshold t > 0 for the truncation trick
            (:func:`truncated_noise`): more typical images, less variety.
        batch_size: images per forward pass.

    Raises:
        ValueError: a bad count, labels given to an unconditional generator or missing for a
            conditional one, or an unknown class.
    """
    from .data import NUM_CLASSES, class_index

    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    latent_dim = int(generator.inputs[0].shape[-1])
    noise = fixed_noise(int(count), latent_dim, seed) if truncation is None else truncated_noise(int(count), latent_dim, truncation, seed)
    if is_conditional(generator):
        if labels is None:
            raise ValueError("this generator is conditional: pass labels (a class name or index, or one label per image)")
        if isinstance(labels, (str, int, np.integer)):
            labels = np.full(int(count), class_index(labels), dtype=np.int32)
        labels = np.asarray([class_index(v) for v in labels] if np.asarray(labels).dtype.kind in "USO" else labels)
        if labels.shape != (count,) or labels.min() < 0 or labels.max() >= (num_classes_of(generator) or NUM_CLASSES):
            raise ValueError(f"labels must be {count} class indices in [0, {num_classes_of(generator)}), got {labels!r}")
        inputs = [noise, labels.astype(np.int32)]
    else:
        if labels is not None:
            raise ValueError("this generator is unconditional (noise only): leave labels out")
        inputs = noise
    return np.asarray(generator.predict(inputs, batch_size=batch_size, verbose=0), dtype=np.float32)


def interpolate(z0, z1, steps: int, method: str = "slerp") -> np.ndarray:
    """Points between two latent vectors, ends included: shape ``(steps, latent_dim)``, float32.

    ``"linear"``: ``(1 - t) z0 + t z1``. ``"slerp"`` (spherical, White 2016): follows the
    great circle, ``sin((1 - t) w) / sin(w) z0 + sin(t w) / sin(w) z1`` with ``w`` the angle
    between the two vectors. Normal noise in many dimensions lies near a sphere of radius
    ``sqrt(latent_dim)``; a straight line cuts through its inside, where the generator saw
    no training noise (the midpoint's norm is about 0.71 of the ends'), while slerp keeps the
    norm.

    Args:
        z0, z1: vectors of shape (latent_dim,).
        steps: number of points (>= 2), at ``t = 0, 1/(steps-1), ..., 1``.
        method: "slerp" or "linear".
    """
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    if z0.ndim != 1 or z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must be vectors of the same length, got shapes {z0.shape} and {z1.shape}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    if method == "linear":
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    if method != "slerp":
        raise ValueError(f"method must be 'slerp' or 'linear', got {method!r}")
    cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if np.sin(omega) < 1e-6:  # (anti)parallel vectors: the circle is not defined, fall back to a line
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    return ((np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)).astype(np.float32)


def class_agreement(requested, predicted) -> float:
    """Share of generated images whose predicted class is the requested one, in [0, 1]."""
    requested, predicted = np.asarray(requested), np.asarray(predicted)
    if requested.shape != predicted.shape or requested.ndim != 1 or not len(requested):
        raise ValueError(f"requested and predicted must be label vectors of one length, got {requested.shape} and {predicted.shape}")
    return float(np.mean(requested == predicted))


def check_smoothed_d_loss(fn) -> "CheckResult":
    """Check a learner's ``fn(real_logits, fake_logits, smoothing)`` (NumPy) against :func:`d_loss_from_logits`."""
    from .exercises import Case, check_cases

    rng = np.random.default_rng(5)
    cases = []
    for smoothing, n in [(0.0, 4), (0.1, 6), (0.2, 3)]:
        real, fake = rng.normal(1, 2, (n, 1)), rng.normal(-1, 2, (n, 1))
        expected = float(d_loss_from_logits(real, fake, smoothing))
        sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
        two_sided = float(np.mean(-(1 - smoothing) * np.log(sig(real)) - smoothing * np.log(1 - sig(real)))
                          + np.mean(-(1 - smoothing) * np.log(1 - sig(fake)) - smoothing * np.log(sig(fake))))
        no_smoothing = float(d_loss_from_logits(real, fake, 0.0))
        probs = float(np.mean(-np.log(real.clip(1e-7, None))) if (real > 0).all() else np.nan)
        mistakes = [(two_sided, "That smooths both sides; one-sided smoothing changes only the real target (to 1 - smoothing), fakes keep 0.")]
        if smoothing:
            mistakes.append((no_smoothing, "The smoothing is not used: the real images' target is 1 - smoothing."))
        cases.append(Case((real, fake, smoothing), expected, f"smoothing={smoothing}, {n} logits each",
                          tuple(m for m in mistakes if np.isfinite(m[0])), nonfinite_hint=(
                              "The inputs are logits: apply the sigmoid first (or use the stable form)." if np.isnan(probs) else "")))
    return check_cases("your discriminator loss", fn, cases)


def check_interpolation(fn) -> "CheckResult":
    """Check a learner's linear interpolation ``fn(z0, z1, steps)`` -> (steps, latent_dim)."""
    from .exercises import Case, check_cases

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
    from .exercises import Case, check_cases

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
    from .exercises import Case, check_cases

    cases = []
    for classes, per in [(10, 4), (3, 2), (2, 5)]:
        expected = np.repeat(np.arange(classes), per)
        cases.append(Case((classes, per), expected, f"num_classes={classes}, per_class={per}",
                          ((np.tile(np.arange(classes), per), "Those labels change every sample (0, 1, 2, ...): a row of the grid must hold one class, so repeat each class per_class times (np.repeat)."),)))
    return check_cases("your grid_labels", fn, cases)
