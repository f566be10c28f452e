"""Training a GAN with ``fit``: the GAN model, its data pipeline, monitoring and checkpoints.

The pieces, in the order a notebook uses them::

    from prodimg_lib import data
    from prodimg_lib.generation import callbacks, checkpoint, dcgan, gan, sampling
    from prodimg_lib.generation.dataset import make_dataset

    x_train, *_ = data.load_fashion_mnist()
    images = data.to_minus_one_one(x_train)[..., None]             # (N, 28, 28, 1) in [-1, 1]
    dataset = make_dataset(images, batch_size=128)

    model = gan.GAN(dcgan.build_generator(64, 32), dcgan.build_discriminator(32), latent_dim=64, seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    history = gan.train(model, dataset, epochs=10, out_dir="runs/dcgan")   # resumes if stopped

    # the same by hand: resume (0 on the first run), fit with the callbacks, animate
    initial_epoch = checkpoint.restore(model, "runs/dcgan/checkpoints", missing_ok=True)
    model.fit(dataset, epochs=10, initial_epoch=initial_epoch,
              callbacks=[callbacks.SampleGrid("runs/dcgan/samples", sampling.fixed_noise(64, 64)),
                         checkpoint.GANCheckpoint("runs/dcgan/checkpoints", keep=2)])
    callbacks.make_gif("runs/dcgan/samples", "runs/dcgan/samples.gif")

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

from pathlib import Path

import keras
import numpy as np

from prodimg_lib.generation.callbacks import DivergenceGuard, SampleGrid, make_gif, sample_files
from prodimg_lib.generation.checkpoint import GANCheckpoint, latest_checkpoint, load_state, restore
from prodimg_lib.generation.dcgan import check_compatible, has_class_head, is_conditional, num_classes_of
from prodimg_lib.generation.losses import LOSS_KINDS
from prodimg_lib.generation import steps
from prodimg_lib.generation.sampling import fixed_noise

__all__ = ["GAN", "train"]

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

    A conditional discriminator built with ``class_head=True`` also names each image's
    class; both steps then add the auxiliary class term of AC-GAN, weighted by
    ``compile``'s ``class_weight``, and ``d_class`` (the head's cross-entropy on real
    images) and ``g_class`` (on generated ones, against the requested classes) are logged.

    Args:
        generator: from :func:`~prodimg_lib.generation.dcgan.build_generator` (or the
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
        self.class_head = has_class_head(discriminator)
        logged = ("d_loss", "g_loss", "d_real", "d_fake") + (("d_class", "g_class") if self.class_head else ())
        self._trackers = {name: keras.metrics.Mean(name=name) for name in logged}
        # The two networks arrive built and the GAN has no weights of its own: without this, the
        # JAX and PyTorch trainers would build it by calling it on a batch of images.
        self.built = True

    # -- set-up ---------------------------------------------------------------

    def compile(self, d_optimizer, g_optimizer, loss="non_saturating", label_smoothing=0.0, class_weight=None, **kwargs):
        """Set the two optimizers and the loss.

        Args:
            d_optimizer, g_optimizer: two *separate* optimizers (or names such as "adam");
                DCGAN's usual choice is ``keras.optimizers.Adam(2e-4, beta_1=0.5)`` for both.
            loss: generator loss, ``"non_saturating"`` (default) or ``"minimax"``.
            label_smoothing: one-sided: real images get the target ``1 - label_smoothing``,
                generated ones 0. In [0, 0.5); 0.1 is a common choice.
            class_weight: weight of the auxiliary class term (>= 0; default 1.0), only for a
                discriminator with a class head (``build_conditional_discriminator(...,
                class_head=True)``).
            **kwargs: passed to ``keras.Model.compile`` (e.g. ``jit_compile``).
        """
        if loss not in LOSS_KINDS:
            raise ValueError(f"loss must be one of {LOSS_KINDS}, got {loss!r}")
        if not 0.0 <= float(label_smoothing) < 0.5:
            raise ValueError(f"label_smoothing must be in [0, 0.5), got {label_smoothing!r}")
        if class_weight is not None and not self.class_head:
            raise ValueError(
                "class_weight weighs the auxiliary class term, which needs a discriminator with a class head: "
                "build_conditional_discriminator(..., class_head=True)"
            )
        class_weight = 1.0 if class_weight is None else class_weight
        if isinstance(class_weight, bool) or not (0.0 <= float(class_weight) < float("inf")):
            raise ValueError(f"class_weight must be a finite number >= 0, got {class_weight!r}")
        super().compile(optimizer=steps.set_optimizers(self, d_optimizer, g_optimizer), **kwargs)
        self.loss_kind = loss
        self.label_smoothing = float(label_smoothing)
        self.class_weight = float(class_weight)

    @property
    def metrics(self):
        return list(self._trackers.values())

    def checkpoint_settings(self) -> dict:
        """The settings a checkpoint records in its ``state.json`` (:func:`~prodimg_lib.generation.checkpoint.save_checkpoint`)."""
        return {"latent_dim": self.latent_dim, "conditional": self.conditional, "num_classes": self.num_classes,
                "image_shape": list(self.image_shape), "loss": self.loss_kind, "label_smoothing": self.label_smoothing}

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
        """The discriminator's logits ``(N, 1)``; with a class head ``[logits, class_logits (N, num_classes)]``."""
        return self.discriminator([images, labels] if self.conditional else images, training=training)

    def train_step(self, *args):
        """One step of the game (:mod:`prodimg_lib.generation.steps`, written for each backend).

        ``(data)`` on TensorFlow and PyTorch; ``(state, data)`` on JAX, whose trainer passes the
        values of every variable in and takes the new values back.
        """
        return steps.train_step(self, *args)

    def fit(self, *args, callbacks=None, **kwargs):
        """``keras.Model.fit``, with a :class:`DivergenceGuard` added unless one is given."""
        if not hasattr(self, "d_optimizer"):
            raise RuntimeError("compile the GAN first: gan.compile(d_optimizer=..., g_optimizer=...)")
        batches = args[0] if args else kwargs.get("x")
        if isinstance(batches, keras.utils.PyDataset) and len(batches) == 0:
            raise ValueError("the data set gives no batch, so training would run no step and learn nothing; use "
                             "make_dataset, which checks that there is at least one full batch of data")
        if hasattr(batches, "set_epoch"):  # make_dataset's batches have their own seeded order:
            kwargs.setdefault("shuffle", False)  # Keras would otherwise shuffle the batch order from the global seed
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
    keep_first: bool = False,
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

    With a generator optimizer made with ``use_ema=True`` (an exponential moving average
    of the generator's weights, Yazıcı et al., 2019) the generator holds the averaged
    weights when this returns, in both cases; the checkpoints keep the raw weights and
    the averages (in the optimizer's state), so a resumed run continues exactly.

    Args:
        gan: a compiled :class:`GAN`.
        dataset: batches from :func:`make_dataset`.
        epochs: the total number of epochs (counting those before a resume).
        out_dir: the run's folder.
        n_samples: images in the sample grid (unconditional), from ``fixed_noise(n, latent_dim, noise_seed)``.
        sample_labels: labels of the grid's samples (conditional GAN); default: one row
            per class with ``n_samples // num_classes`` samples each.
        ncols: images per grid row.
        keep: how many of the newest checkpoints to keep.
        keep_first: keep the first epoch's checkpoint too (see :class:`~prodimg_lib.generation.checkpoint.GANCheckpoint`).
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
    if hasattr(dataset, "set_epoch"):  # make_dataset's batches: the order the interrupted run would have seen
        dataset.set_epoch(initial_epoch)
    if initial_epoch:
        print(f"Resuming from checkpoint {latest_checkpoint(ckpt_dir).name} (epoch {initial_epoch} of {epochs})")
    if initial_epoch < epochs:
        gan.fit(
            dataset,
            epochs=epochs,
            initial_epoch=initial_epoch,
            callbacks=[grid, GANCheckpoint(ckpt_dir, keep=keep, keep_first=keep_first), *callbacks],
            verbose=verbose,
        )
    else:
        print(f"Already trained for {initial_epoch} epochs (asked for {epochs}): nothing to do")
        if gan.optimizer is not None:
            # what the end of fit does: an optimizer with use_ema=True writes its moving averages into
            # the weights (the checkpoint holds the raw weights and the averages); others change nothing
            gan.optimizer.finalize_variable_values(gan.trainable_variables)
    if gif and sample_files(sample_dir):
        make_gif(sample_dir, out_dir / "samples.gif")
    latest = latest_checkpoint(ckpt_dir)
    return load_state(latest)["history"] if latest is not None else {}
