"""Image-to-image GANs: a generator that turns one image into another, trained with a pixel loss and a discriminator.

pix2pix (Isola et al., CVPR 2017) turns a drawing into a product; SRGAN (Ledig et al., CVPR
2017) a small image into a large one. Both train the generator on the sum of two terms: a
*pixel* term that pulls each output to its target, and an *adversarial* term from a
discriminator that pushes the outputs towards what real images look like. The pixel term alone
gives the mean of all the images that fit the input, which is blurred; the adversarial term
trades some of that accuracy for detail a real image would have.

One training step on a batch of ``(condition, target)`` pairs:

1. **Discriminator step.** ``fake = G(condition)``, made without a gradient to the generator;
   minimise ``0.5 * d_loss_from_logits(D(condition, target), D(condition, fake))``: real pairs
   towards 1, generated pairs towards 0. pix2pix halves D's objective, so that D learns more
   slowly than G. A *paired* discriminator (pix2pix) sees the condition beside the image, so
   that an output that is realistic but does not fit its input is caught; an unpaired one
   (SRGAN) sees the image alone.
2. **Generator step**, through the discriminator just updated, on the same batch::

       adversarial_weight * g_loss_from_logits(D(condition, G(condition)))
         + pixel_weight * mean |G(condition) - target|          (L1; or the squared error)

3. **Metrics**: ``d_loss`` (step 1's objective), ``g_loss`` (the adversarial term alone),
   ``g_pixel`` (the pixel term alone), ``d_real`` and ``d_fake`` (the mean probabilities of
   step 1, over images and patches).

The step is written for each backend as :mod:`prodimg_lib.generation.steps` writes the DCGAN's,
with the same losses (:mod:`prodimg_lib.generation.losses`) and the same helpers; the logits may
have any shape (one per image, or a PatchGAN's one per patch). Batches come from
:func:`prodimg_lib.generation.dataset.make_pair_dataset`; the DCGAN's checkpoints
(:class:`~prodimg_lib.generation.checkpoint.GANCheckpoint`, written atomically after every epoch,
and :func:`~prodimg_lib.generation.checkpoint.restore` for an exact resume) work for this GAN too.
"""

from __future__ import annotations

import keras
from keras import ops

from prodimg_lib.generation import steps
from prodimg_lib.generation.callbacks import DivergenceGuard
from prodimg_lib.generation.losses import d_loss_from_logits, g_loss_from_logits

__all__ = ["PIXEL_LOSSES", "ImageGAN"]

PIXEL_LOSSES = ("l1", "l2")


def _shape(tensor) -> tuple:
    return tuple(None if d is None else int(d) for d in tensor.shape)


class ImageGAN(keras.Model):
    """A generator of images from images and its discriminator, trained against each other with ``fit``.

    Args:
        generator: condition ``(N, h, w, c)`` -> image ``(N, H, W, C)`` in [-1, 1].
        discriminator: ``[condition, image]`` -> logits (``paired=True``, e.g.
            :func:`prodimg_lib.generation.pix2pix.build_patch_discriminator`), or ``image`` ->
            logits (``paired=False``); logits of any shape, one per image or one per patch.
        paired: whether the discriminator sees the condition beside the image.

    The GAN itself is not saved: its generator and discriminator are, each a ``.keras`` file
    (the checkpoints hold both, with the optimizers' state).

    Raises:
        ValueError: the discriminator's inputs do not fit the generator's input and output.
    """

    def __init__(self, generator, discriminator, paired: bool = True, **kwargs):
        super().__init__(**kwargs)
        expected = ([_shape(generator.inputs[0])] if paired else []) + [_shape(generator.outputs[0])]
        found = [_shape(t) for t in discriminator.inputs]
        if found != expected:
            what = "[condition, image]" if paired else "the image alone"
            raise ValueError(f"the discriminator must take {what}, of shapes {expected}, got {found}"
                             + ("" if paired else "; for a discriminator of pairs pass paired=True"))
        self.generator, self.discriminator, self.paired = generator, discriminator, bool(paired)
        self._trackers = {name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "g_pixel", "d_real", "d_fake")}
        self.built = True  # both networks arrive built; the GAN has no weights of its own

    def compile(self, d_optimizer, g_optimizer, *, pixel_loss: str = "l1", pixel_weight: float = 100.0,
                adversarial_weight: float = 1.0, **kwargs):
        """Set the two optimizers and the generator's objective.

        Args:
            d_optimizer, g_optimizer: two separate optimizers; pix2pix uses
                ``keras.optimizers.Adam(2e-4, beta_1=0.5)`` for both.
            pixel_loss: "l1" (pix2pix: less blur than the squared error) or "l2".
            pixel_weight: the pixel term's weight (>= 0; pix2pix's lambda = 100).
            adversarial_weight: the adversarial term's weight (>= 0; 0 trains the generator on
                the pixel term alone, while the discriminator still learns).
            **kwargs: passed to ``keras.Model.compile`` (e.g. ``jit_compile``).

        Raises:
            ValueError: an unknown pixel loss, a negative or non-finite weight, both weights 0,
                or the same optimizer object twice.
        """
        if pixel_loss not in PIXEL_LOSSES:
            raise ValueError(f"pixel_loss must be one of {PIXEL_LOSSES}, got {pixel_loss!r}")
        weights = {"pixel_weight": pixel_weight, "adversarial_weight": adversarial_weight}
        for name, value in weights.items():
            if isinstance(value, bool) or not 0.0 <= float(value) < float("inf"):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not any(float(v) for v in weights.values()):
            raise ValueError("pixel_weight and adversarial_weight are both 0: the generator would learn nothing")
        super().compile(optimizer=steps.set_optimizers(self, d_optimizer, g_optimizer), **kwargs)
        self.pixel_loss = pixel_loss
        self.pixel_weight, self.adversarial_weight = float(pixel_weight), float(adversarial_weight)

    @property
    def metrics(self):
        return list(self._trackers.values())

    def checkpoint_settings(self) -> dict:
        """The settings a checkpoint records (:class:`~prodimg_lib.generation.checkpoint.GANCheckpoint` saves this GAN too)."""
        return {"kind": "image_gan", "paired": self.paired, "image_shape": list(self.generator.outputs[0].shape[1:]),
                "pixel_loss": self.pixel_loss, "pixel_weight": self.pixel_weight,
                "adversarial_weight": self.adversarial_weight}

    def call(self, inputs, training=False):
        """The generator's output for a batch of conditions."""
        return self.generator(inputs, training=training)

    def _d_inputs(self, condition, images):
        return [condition, images] if self.paired else images

    def train_step(self, *args):
        """One step (see the module's docstring): ``(data)`` on TensorFlow and PyTorch, ``(state, data)`` on JAX."""
        step = {"tensorflow": _tensorflow_step, "jax": _jax_step, "torch": _torch_step}.get(keras.backend.backend())
        if step is None:
            raise NotImplementedError(f"the GAN trains on the tensorflow, jax and torch backends, not {keras.backend.backend()!r}")
        return step(self, *args)

    def fit(self, *args, callbacks=None, **kwargs):
        """``keras.Model.fit`` on ``(condition, target)`` batches, with a :class:`DivergenceGuard` added unless one is given."""
        if not hasattr(self, "d_optimizer"):
            raise RuntimeError("compile the GAN first: gan.compile(d_optimizer=..., g_optimizer=...)")
        batches = args[0] if args else kwargs.get("x")
        if hasattr(batches, "set_epoch"):  # make_pair_dataset's batches have their own seeded order
            kwargs.setdefault("shuffle", False)
        callbacks = list(callbacks or [])
        if not any(isinstance(cb, DivergenceGuard) for cb in callbacks):
            callbacks.insert(0, DivergenceGuard())
        return super().fit(*args, callbacks=callbacks, **kwargs)


# --------------------------------------------------------------------------- the objectives, shared by the backends


def _unpack(data):
    condition, target, _ = keras.utils.unpack_x_y_sample_weight(data)
    if target is None:
        raise ValueError("an image GAN trains on (condition, target) batches: make_pair_dataset(conditions, targets, ...)")
    return condition, target


def _d_objective(real_logits, fake_logits):
    """Step 1: the discriminator's loss, halved as in pix2pix, and its parts."""
    d_loss = 0.5 * d_loss_from_logits(real_logits, fake_logits)
    return d_loss, {"d_loss": d_loss, "real_logits": real_logits, "fake_logits": fake_logits}


def _g_objective(gan, fake_logits, fake, target):
    """Step 2: the generator's loss, ``adversarial_weight * g_loss + pixel_weight * pixel``, and its two terms."""
    g_loss = g_loss_from_logits(fake_logits)
    difference = ops.cast(fake, "float32") - ops.cast(target, "float32")
    pixel = ops.mean(ops.abs(difference)) if gan.pixel_loss == "l1" else ops.mean(ops.square(difference))
    return gan.adversarial_weight * g_loss + gan.pixel_weight * pixel, {"g_loss": g_loss, "g_pixel": pixel}


def _metric_values(d_parts, g_parts):
    return {"d_loss": d_parts["d_loss"], "g_loss": g_parts["g_loss"], "g_pixel": g_parts["g_pixel"],
            "d_real": ops.mean(ops.sigmoid(d_parts["real_logits"])),
            "d_fake": ops.mean(ops.sigmoid(d_parts["fake_logits"]))}


# --------------------------------------------------------------------------- the step on each backend


def _tensorflow_step(gan, data):
    import tensorflow as tf

    condition, target = _unpack(data)
    d, g = gan.discriminator, gan.generator
    fake = g(condition, training=True)  # 1. outside the tape: no gradient reaches G
    with tf.GradientTape() as tape:
        d_loss, d_parts = _d_objective(d(gan._d_inputs(condition, target), training=True),
                                       d(gan._d_inputs(condition, fake), training=True))
    gan.d_optimizer.apply(tape.gradient(d_loss, d.trainable_weights), d.trainable_weights)
    with tf.GradientTape() as tape:  # 2. through the updated discriminator
        fake = g(condition, training=True)
        g_total, g_parts = _g_objective(gan, d(gan._d_inputs(condition, fake), training=True), fake, target)
    gan.g_optimizer.apply(tape.gradient(g_total, g.trainable_weights), g.trainable_weights)
    return steps._update_metrics(gan, _metric_values(d_parts, g_parts))  # 3.


def _torch_step(gan, data):
    import torch

    condition, target = _unpack(data)
    d, g = gan.discriminator, gan.generator
    with torch.no_grad():  # 1. no graph: nothing flows into G
        fake = g(condition, training=True)
    gan.zero_grad()
    d_loss, d_parts = _d_objective(d(gan._d_inputs(condition, target), training=True),
                                   d(gan._d_inputs(condition, fake), training=True))
    d_loss.backward()
    with torch.no_grad():
        gan.d_optimizer.apply([v.value.grad for v in d.trainable_weights], d.trainable_weights)
    gan.zero_grad()  # 2. through the updated discriminator
    fake = g(condition, training=True)
    g_total, g_parts = _g_objective(gan, d(gan._d_inputs(condition, fake), training=True), fake, target)
    g_total.backward()  # also fills D's .grad, which only the next zero_grad clears
    with torch.no_grad():
        gan.g_optimizer.apply([v.value.grad for v in g.trainable_weights], g.trainable_weights)
        return steps._update_metrics(gan, _metric_values(d_parts, g_parts))  # 3.


def _jax_step(gan, state, data):
    """A pure function of the variables' values, as :func:`prodimg_lib.generation.steps.jax_train_step`."""
    import jax

    d, g = gan.discriminator, gan.generator
    values = steps._StateValues(gan, state)
    d_trainable, d_non_trainable = values[d.trainable_variables], values[d.non_trainable_variables]
    g_trainable, g_non_trainable = values[g.trainable_variables], values[g.non_trainable_variables]
    d_optimizer_vars, g_optimizer_vars = values[gan.d_optimizer.variables], values[gan.g_optimizer.variables]
    condition, target = _unpack(data)

    # 1. G(condition) outside the differentiated function: a constant there.
    fake, g_non_trainable = g.stateless_call(g_trainable, g_non_trainable, condition, training=True)

    def d_loss_fn(d_trainable, d_non_trainable):
        real_logits, d_non_trainable = d.stateless_call(d_trainable, d_non_trainable,
                                                        gan._d_inputs(condition, target), training=True)
        fake_logits, d_non_trainable = d.stateless_call(d_trainable, d_non_trainable,
                                                        gan._d_inputs(condition, fake), training=True)
        d_loss, d_parts = _d_objective(real_logits, fake_logits)
        return d_loss, (d_non_trainable, d_parts)

    (_, (d_non_trainable, d_parts)), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d_trainable, d_non_trainable)
    d_trainable, d_optimizer_vars = gan.d_optimizer.stateless_apply(d_optimizer_vars, grads, d_trainable)

    # 2. The updated d_trainable is a constant inside g_loss_fn; only g_trainable is differentiated.
    def g_loss_fn(g_trainable, g_non_trainable, d_non_trainable):
        fake, g_non_trainable = g.stateless_call(g_trainable, g_non_trainable, condition, training=True)
        fake_logits, d_non_trainable = d.stateless_call(d_trainable, d_non_trainable,
                                                        gan._d_inputs(condition, fake), training=True)
        g_total, g_parts = _g_objective(gan, fake_logits, fake, target)
        return g_total, (g_non_trainable, d_non_trainable, g_parts)

    (_, (g_non_trainable, d_non_trainable, g_parts)), grads = jax.value_and_grad(g_loss_fn, has_aux=True)(
        g_trainable, g_non_trainable, d_non_trainable)
    g_trainable, g_optimizer_vars = gan.g_optimizer.stateless_apply(g_optimizer_vars, grads, g_trainable)

    # 3. Metrics, and every value this step changed, in the trainer's layout.
    logs = steps._jax_write_back(gan, values, _metric_values(d_parts, g_parts), (d_trainable, d_non_trainable),
                                 (g_trainable, g_non_trainable), (d_optimizer_vars, g_optimizer_vars))
    return logs, values.state()
