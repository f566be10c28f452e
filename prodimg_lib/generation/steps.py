"""One GAN training step, written for each Keras backend: TensorFlow, JAX and PyTorch.

``GAN.train_step`` (:mod:`prodimg_lib.generation.gan`) hands over to :func:`train_step`, which picks the version of the
backend Keras runs on. The three versions tell the same story, in the same numbered
sections, on a batch of ``N`` real images:

1. **Discriminator step.** Draw noise ``z`` and make ``G(z)`` *without* a gradient to
   the generator; compute ``d_loss_from_logits(D(x), D(G(z)))`` (real -> 1 minus the
   label smoothing, fake -> 0) and move the discriminator's weights down its gradient.
2. **Generator step.** Draw *fresh* noise ``z'`` and compute
   ``g_loss_from_logits(D(G(z')))`` through the discriminator *just updated* in step 1;
   move only the generator's weights.
3. **Metrics.** Update the epoch means ``d_loss``, ``g_loss``, ``d_real`` and ``d_fake``
   (the mean probabilities ``sigmoid`` of step 1's logits on real and fake images).

A discriminator with a class head (``build_conditional_discriminator(..., class_head=True)``)
adds the auxiliary class term of AC-GAN to both losses, weighted by ``gan.class_weight``:
step 1 minimises ``d_loss + class_weight * CE(y, C(x))`` (name the class of the *real*
images), step 2 ``g_loss + class_weight * CE(y', C(G(z', y')))`` (make images the head
names as the requested class ``y'``). ``d_loss`` and ``g_loss`` are still logged as the
adversarial terms alone, the two cross-entropies as ``d_class`` and ``g_class``.

What differs between the backends is only *how a gradient is taken* (the Keras guides
"Customizing what happens in fit()" with TensorFlow, JAX and PyTorch show the three ways):

* TensorFlow records the forward pass on a ``tf.GradientTape`` and asks it for the
  gradient;
* PyTorch records it in the tensors themselves: ``loss.backward()`` leaves each
  weight's gradient in ``weight.value.grad``;
* JAX differentiates a *pure function* of the weights with ``jax.value_and_grad``. The
  step may not change any Keras variable: the trainer passes the values of all the
  variables in (``state``) and takes the new values back. Models run with
  ``stateless_call``, optimizers with ``stateless_apply``, metrics with
  ``stateless_update_state``, and even the noise is drawn from a seed *value* carried in
  the state.

The losses are the course library's (one implementation, imported). What the steps need
from the GAN: ``generator``, ``discriminator``, ``d_optimizer``, ``g_optimizer``,
``loss_kind``, ``label_smoothing``, ``class_weight``, ``conditional``, ``seed_generator``, ``_trackers``
(``keras.metrics.Mean`` named d_loss, g_loss, d_real, d_fake, and d_class, g_class with a class head), ``sample_inputs``,
``_g`` and ``_d``; and, for JAX, ``optimizer`` set by :func:`combined_optimizer` so that
the trainer's state holds both optimizers' variables.
"""

from __future__ import annotations

import keras
from keras import ops

from prodimg_lib.generation.losses import class_loss_from_logits, d_loss_from_logits, g_loss_from_logits

__all__ = ["train_step", "tensorflow_train_step", "jax_train_step", "torch_train_step", "set_optimizers",
           "combined_optimizer"]


def train_step(gan, *args):
    """``GAN.train_step`` on the current backend: ``(data)`` on TensorFlow and PyTorch, ``(state, data)`` on JAX."""
    step = {
        "tensorflow": tensorflow_train_step,
        "jax": jax_train_step,
        "torch": torch_train_step,
    }.get(keras.backend.backend())
    if step is None:
        raise NotImplementedError(f"the GAN trains on the tensorflow, jax and torch backends, not {keras.backend.backend()!r}")
    return step(gan, *args)


def set_optimizers(gan, d_optimizer, g_optimizer):
    """Check and set ``gan.d_optimizer`` and ``gan.g_optimizer``; return them as one, for ``keras.Model.compile``.

    Raises:
        ValueError: the same optimizer object twice (each keeps state for its own model's weights).
    """
    if d_optimizer is g_optimizer and not isinstance(d_optimizer, str):
        raise ValueError("pass two different optimizer objects: each one keeps state for its own model's weights")
    gan.d_optimizer = keras.optimizers.get(d_optimizer)
    gan.g_optimizer = keras.optimizers.get(g_optimizer)
    # Keras's trainers know one optimizer, model.optimizer: hand them both as one (the JAX
    # trainer carries its variables through the step); the step applies each itself.
    return combined_optimizer(gan.generator, gan.discriminator, gan.d_optimizer, gan.g_optimizer)


def combined_optimizer(generator, discriminator, d_optimizer, g_optimizer):
    """The two optimizers as one built ``keras.optimizers.MultiOptimizer``, for ``keras.Model.compile``.

    The GAN steps each optimizer itself (``gan.d_optimizer``, ``gan.g_optimizer``), never
    this one. It exists for Keras's trainers, which know a model's optimizer only as
    ``model.optimizer``: the JAX trainer puts ``model.optimizer.variables`` (here: both
    optimizers' variables) into the state it passes to ``train_step`` and writes the new
    values back; ``fit`` ends with ``model.optimizer.finalize_variable_values``; the
    learning-rate callbacks reach both optimizers through its ``optimizers``. Without it,
    ``Model.compile()`` creates an RMSprop that nothing uses.

    It is built here, on both models' weights, which builds each optimizer on its own
    model's weights: the TensorFlow trainer never builds ``model.optimizer`` itself, and an
    unbuilt ``MultiOptimizer`` fails in ``finalize_variable_values`` at the end of ``fit``.

    ``MultiOptimizer`` is new in Keras 3.15. With an older Keras this returns None
    (``model.optimizer`` is then None, which the TensorFlow and PyTorch trainers accept),
    and the JAX backend, whose trainer needs ``model.optimizer.variables``, is refused.
    """
    if not hasattr(keras.optimizers, "MultiOptimizer"):
        if keras.backend.backend() == "jax":
            raise RuntimeError(
                f"training the GAN with the JAX backend needs Keras 3.15 or later (keras.optimizers.MultiOptimizer), "
                f"this is Keras {keras.__version__}: pip install -U keras, or use the tensorflow or torch backend"
            )
        return None
    generator_weights = {id(v) for v in generator.trainable_variables}

    def optimizer_for(variable):
        return g_optimizer if id(variable) in generator_weights else d_optimizer

    optimizer = keras.optimizers.MultiOptimizer(optimizer_for, name="gan_optimizers")
    optimizer.build(generator.trainable_variables + discriminator.trainable_variables)
    return optimizer


# --------------------------------------------------------------------------- shared pieces


def _unpack_batch(gan, data):
    """``(real_images, labels or None, batch_size)`` from one batch of ``fit``'s data."""
    real, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
    if not gan.conditional:
        return real, None, ops.shape(real)[0]
    if labels is None:
        raise ValueError("a conditional GAN trains on (images, labels) batches: make_dataset(images, batch_size, labels=labels)")
    return real, ops.cast(labels, "int32"), ops.shape(real)[0]


def _split(outputs):
    """``(logits, class_logits or None)`` from the discriminator's output: one tensor, or two with a class head."""
    if isinstance(outputs, (list, tuple)):
        return outputs[0], outputs[1]
    return outputs, None


def _d_objective(gan, real_outputs, fake_outputs, labels):
    """Step 1: the discriminator's loss to minimise, and its parts ``{"d_loss", "real_logits", "fake_logits"[, "d_class"]}``."""
    real_logits, real_classes = _split(real_outputs)
    fake_logits, _ = _split(fake_outputs)
    d_loss = d_loss_from_logits(real_logits, fake_logits, gan.label_smoothing)
    parts = {"d_loss": d_loss, "real_logits": real_logits, "fake_logits": fake_logits}
    if real_classes is None:
        return d_loss, parts
    parts["d_class"] = class_loss_from_logits(labels, real_classes)  # the real images' own labels
    return d_loss + gan.class_weight * parts["d_class"], parts


def _g_objective(gan, fake_outputs, fake_labels):
    """Step 2: the generator's loss to minimise, and its parts ``{"g_loss"[, "g_class"]}``."""
    logits, classes = _split(fake_outputs)
    g_loss = g_loss_from_logits(logits, gan.loss_kind)
    if classes is None:
        return g_loss, {"g_loss": g_loss}
    g_class = class_loss_from_logits(fake_labels, classes)  # the classes the generator was asked for
    return g_loss + gan.class_weight * g_class, {"g_loss": g_loss, "g_class": g_class}


def _metric_values(d_parts, g_parts):
    """This step's value of each logged metric (``d_real``, ``d_fake``: mean probabilities of step 1)."""
    values = {
        "d_loss": d_parts["d_loss"],
        "g_loss": g_parts["g_loss"],
        "d_real": ops.mean(ops.sigmoid(d_parts["real_logits"])),
        "d_fake": ops.mean(ops.sigmoid(d_parts["fake_logits"])),
    }
    for name in ("d_class", "g_class"):
        if name in d_parts or name in g_parts:
            values[name] = d_parts.get(name, g_parts.get(name))
    return values


def _update_metrics(gan, values):
    """Add this step's values to the epoch means; return the means (what ``fit`` logs)."""
    for name, value in values.items():
        gan._trackers[name].update_state(value)
    return {name: tracker.result() for name, tracker in gan._trackers.items()}


# --------------------------------------------------------------------------- TensorFlow


def tensorflow_train_step(gan, data):
    """One step with ``tf.GradientTape``: only what runs inside the tape is differentiated."""
    import tensorflow as tf

    real, labels, batch_size = _unpack_batch(gan, data)
    discriminator, generator = gan.discriminator, gan.generator

    # 1. Discriminator step: G(z) is made outside the tape, so no gradient reaches G.
    noise, fake_labels = gan.sample_inputs(batch_size)
    fake = gan._g(noise, fake_labels)
    with tf.GradientTape() as tape:
        d_loss, d_parts = _d_objective(gan, gan._d(real, labels), gan._d(fake, fake_labels), labels)
    grads = tape.gradient(d_loss, discriminator.trainable_weights)
    gan.d_optimizer.apply(grads, discriminator.trainable_weights)

    # 2. Generator step, with fresh noise, through the updated discriminator.
    noise, fake_labels = gan.sample_inputs(batch_size)
    with tf.GradientTape() as tape:
        g_loss, g_parts = _g_objective(gan, gan._d(gan._g(noise, fake_labels), fake_labels), fake_labels)
    grads = tape.gradient(g_loss, generator.trainable_weights)  # D's weights are not asked for
    gan.g_optimizer.apply(grads, generator.trainable_weights)

    # 3. Metrics.
    return _update_metrics(gan, _metric_values(d_parts, g_parts))


# --------------------------------------------------------------------------- PyTorch


def torch_train_step(gan, data):
    """One step with PyTorch autograd: ``loss.backward()`` fills each weight's ``.value.grad``."""
    import torch

    real, labels, batch_size = _unpack_batch(gan, data)
    discriminator, generator = gan.discriminator, gan.generator

    # 1. Discriminator step: G(z) under no_grad records no graph, so nothing flows into G.
    noise, fake_labels = gan.sample_inputs(batch_size)
    with torch.no_grad():
        fake = gan._g(noise, fake_labels)
    gan.zero_grad()  # clear the gradients the previous backward() left on every weight
    d_loss, d_parts = _d_objective(gan, gan._d(real, labels), gan._d(fake, fake_labels), labels)
    d_loss.backward()
    grads = [v.value.grad for v in discriminator.trainable_weights]
    with torch.no_grad():  # the update itself is not part of any graph
        gan.d_optimizer.apply(grads, discriminator.trainable_weights)

    # 2. Generator step, with fresh noise, through the updated discriminator.
    noise, fake_labels = gan.sample_inputs(batch_size)
    gan.zero_grad()
    g_loss, g_parts = _g_objective(gan, gan._d(gan._g(noise, fake_labels), fake_labels), fake_labels)
    g_loss.backward()  # also fills D's .grad; only G's gradients are used, and zero_grad clears the rest
    grads = [v.value.grad for v in generator.trainable_weights]
    with torch.no_grad():
        gan.g_optimizer.apply(grads, generator.trainable_weights)

    # 3. Metrics (from the recorded tensors, without recording more).
    with torch.no_grad():
        return _update_metrics(gan, _metric_values(d_parts, g_parts))


# --------------------------------------------------------------------------- JAX


class _StateValues:
    """The JAX trainer's ``state``, looked up by Keras variable: ``values[model.trainable_variables]``.

    The trainer passes the values of *all* the GAN's variables as four flat lists, in the
    order of ``gan.trainable_variables``, ``gan.non_trainable_variables``,
    ``gan.optimizer.variables`` and ``gan.metrics_variables``. The GAN's lists mix the
    generator's, the discriminator's and the noise seed's variables, while each part of
    the step needs one model's or one optimizer's. Looking values up by the variable
    itself keeps the step independent of how those lists happen to be ordered.
    """

    def __init__(self, gan, state):
        self._groups = (gan.trainable_variables, gan.non_trainable_variables, gan.optimizer.variables, gan.metrics_variables)
        if len(state) != len(self._groups) or any(len(g) != len(s) for g, s in zip(self._groups, state)):
            raise ValueError("the JAX state does not match the GAN's variables: compile the GAN with combined_optimizer")
        self._values = {id(v): x for group, values in zip(self._groups, state) for v, x in zip(group, values)}

    def __getitem__(self, variables):
        """The value of one variable, or the list of values of a list of variables."""
        if isinstance(variables, keras.Variable):
            return self[[variables]][0]
        self._check(variables)
        return [self._values[id(v)] for v in variables]

    def __setitem__(self, variables, values):
        if isinstance(variables, keras.Variable):
            variables, values = [variables], [values]
        self._check(variables)
        for v, x in zip(variables, values, strict=True):
            self._values[id(v)] = x

    def _check(self, variables):
        missing = [v.path for v in variables if id(v) not in self._values]
        if missing:
            raise KeyError(
                f"{missing[0]} is not in the JAX trainer's state (the state holds model.optimizer.variables): "
                "compile the GAN with optimizer=combined_optimizer(...)"
            )

    def state(self):
        """The state in the trainer's layout, with the values set since."""
        return tuple(self[group] for group in self._groups)


def _sample_inputs_stateless(gan, seed, batch_size):
    """``gan.sample_inputs(batch_size)`` drawn from the seed value ``seed``: ``(noise, labels, new_seed)``.

    Under ``jax.jit`` the GAN's ``SeedGenerator`` must not update its variable: the new
    seed would be a traced value leaking out of the step, and the value it read a
    constant baked into the compiled step (the same noise for every batch). Inside a
    ``StatelessScope`` the variable reads the value we map it to, and its update is only
    recorded in the scope, for us to carry forward in the state.
    """
    with keras.StatelessScope(state_mapping=[(gan.seed_generator.state, seed)]) as scope:
        noise, labels = gan.sample_inputs(batch_size)
    return noise, labels, scope.get_current_value(gan.seed_generator.state)


def jax_train_step(gan, state, data):
    """One step as a pure function: ``(logs, new_state)`` from ``(state, data)``, the Keras JAX trainer's contract.

    A model runs as ``model.stateless_call(trainable, non_trainable, inputs)``, which
    returns its output and its *new* non-trainable values (BatchNorm's moving statistics,
    the Dropout layers' seeds). They are passed on from one call to the next, so each call
    sees the updates of the one before, as on the stateful backends.
    """
    import jax

    discriminator, generator = gan.discriminator, gan.generator
    values = _StateValues(gan, state)
    d_trainable, d_non_trainable = values[discriminator.trainable_variables], values[discriminator.non_trainable_variables]
    g_trainable, g_non_trainable = values[generator.trainable_variables], values[generator.non_trainable_variables]
    d_optimizer_vars, g_optimizer_vars = values[gan.d_optimizer.variables], values[gan.g_optimizer.variables]
    seed = values[gan.seed_generator.state]
    real, labels, batch_size = _unpack_batch(gan, data)

    def discriminate(d_trainable, d_non_trainable, images, labels):
        inputs = [images, labels] if gan.conditional else images
        return discriminator.stateless_call(d_trainable, d_non_trainable, inputs, training=True)

    def generate(g_trainable, g_non_trainable, noise, labels):
        inputs = [noise, labels] if gan.conditional else noise
        return generator.stateless_call(g_trainable, g_non_trainable, inputs, training=True)

    # 1. Discriminator step: G(z) is made outside the differentiated function, so it is a
    #    constant there and no gradient reaches G.
    noise, fake_labels, seed = _sample_inputs_stateless(gan, seed, batch_size)
    fake, g_non_trainable = generate(g_trainable, g_non_trainable, noise, fake_labels)

    def d_loss_fn(d_trainable, d_non_trainable):
        real_outputs, d_non_trainable = discriminate(d_trainable, d_non_trainable, real, labels)
        fake_outputs, d_non_trainable = discriminate(d_trainable, d_non_trainable, fake, fake_labels)
        d_loss, d_parts = _d_objective(gan, real_outputs, fake_outputs, labels)
        return d_loss, (d_non_trainable, d_parts)

    # value_and_grad differentiates with respect to the first argument only (d_trainable);
    # has_aux=True passes the second output (the new non-trainable values, the loss's parts) through.
    (_, (d_non_trainable, d_parts)), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(
        d_trainable, d_non_trainable
    )
    d_trainable, d_optimizer_vars = gan.d_optimizer.stateless_apply(d_optimizer_vars, grads, d_trainable)

    # 2. Generator step, with fresh noise, through the updated discriminator: d_trainable
    #    (just updated) is a constant inside g_loss_fn, only g_trainable is differentiated.
    noise, fake_labels, seed = _sample_inputs_stateless(gan, seed, batch_size)

    def g_loss_fn(g_trainable, g_non_trainable, d_non_trainable):
        fake, g_non_trainable = generate(g_trainable, g_non_trainable, noise, fake_labels)
        fake_outputs, d_non_trainable = discriminate(d_trainable, d_non_trainable, fake, fake_labels)
        g_loss, g_parts = _g_objective(gan, fake_outputs, fake_labels)
        return g_loss, (g_non_trainable, d_non_trainable, g_parts)

    (_, (g_non_trainable, d_non_trainable, g_parts)), grads = jax.value_and_grad(g_loss_fn, has_aux=True)(
        g_trainable, g_non_trainable, d_non_trainable
    )
    g_trainable, g_optimizer_vars = gan.g_optimizer.stateless_apply(g_optimizer_vars, grads, g_trainable)

    # 3. Metrics, and the new state: every value this step changed, in the trainer's layout.
    logs = _jax_write_back(gan, values, _metric_values(d_parts, g_parts), (d_trainable, d_non_trainable),
                           (g_trainable, g_non_trainable), (d_optimizer_vars, g_optimizer_vars))
    values[gan.seed_generator.state] = seed
    return logs, values.state()


def _jax_write_back(gan, values: _StateValues, metric_values: dict, d_values, g_values, optimizer_values) -> dict:
    """The end of a JAX step: update the metrics, write every new value into ``values``; return the logs.

    Each Mean's (total, count) values go in and the updated values come out; ``d_values`` and
    ``g_values`` are each model's ``(trainable, non_trainable)`` values after the step,
    ``optimizer_values`` the two optimizers' ``(d, g)`` variables.
    """
    logs = {}
    for name, value in metric_values.items():
        tracker = gan._trackers[name]
        values[tracker.variables] = tracker.stateless_update_state(values[tracker.variables], value)
        logs[name] = tracker.stateless_result(values[tracker.variables])
    d, g = gan.discriminator, gan.generator
    values[d.trainable_variables], values[d.non_trainable_variables] = d_values
    values[g.trainable_variables], values[g.non_trainable_variables] = g_values
    values[gan.d_optimizer.variables], values[gan.g_optimizer.variables] = optimizer_values
    return logs
