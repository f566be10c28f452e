"""The GAN training steps of :mod:`prodimg_lib.generation.steps`, checked on the backend Keras runs on.

``make test`` runs this file once per backend (``KERAS_BACKEND=tensorflow``, ``jax``, ``torch``).

The main check replays two training steps *by hand*: the same starting weights, the
same noise (a ``SeedGenerator`` with the GAN's seed draws the same numbers), gradients
from the backend's own autodiff called directly (``tf.GradientTape``,
``torch.autograd.grad``, ``jax.grad``), and plain SGD, so each weight must end at
``w - lr * g``. The hand-made gradients are themselves checked against calculus: the
gradient of the discriminator loss with respect to the discriminator's last bias is
``mean(sigmoid(real_logits)) - (1 - smoothing) + mean(sigmoid(fake_logits))``. The
logged metrics are checked against NumPy formulas, the BatchNorm moving statistics
against the momentum update, the noise seed and optimizer counters against the number
of steps. ``fit`` runs with ``jit_compile`` left at its default ("auto": XLA under
JAX, a ``tf.function`` without XLA on TensorFlow's CPU, eager PyTorch).
"""

import keras
import numpy as np
import pytest
from keras import ops

from prodimg_lib.generation import dcgan
from prodimg_lib.generation.dataset import make_dataset
from prodimg_lib.generation.gan import GAN
from prodimg_lib.generation.losses import class_loss_from_logits, d_loss_from_logits, g_loss_from_logits

BACKEND = keras.backend.backend()
LATENT = 8
CLASSES = 10
BN_MOMENTUM = 0.99  # keras.layers.BatchNormalization's default, used by the DCGAN generator


def make_gan(seed=0, conditional=False, width=4, dropout=0.0, d_optimizer=None, g_optimizer=None, class_head=False, **compile_kwargs):
    keras.utils.set_random_seed(seed)
    if conditional:
        g = dcgan.build_conditional_generator(LATENT, CLASSES, width)
        d = dcgan.build_conditional_discriminator(CLASSES, width, dropout=dropout, class_head=class_head)
    else:
        g = dcgan.build_generator(LATENT, width)
        d = dcgan.build_discriminator(width, dropout=dropout)
    model = GAN(g, d, latent_dim=LATENT, conditional=conditional, num_classes=CLASSES if conditional else None, seed=seed)
    model.compile(
        d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5),
        **compile_kwargs,
    )
    return model


def images_and_labels(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32), rng.integers(0, CLASSES, n).astype(np.int32)


def _np(x):
    return ops.convert_to_numpy(x)


def _arrays(variables):
    return [_np(v).copy() for v in variables]


# --------------------------------------------------------------------------- the step by hand


def gradients(loss_fn, variables):
    """d loss_fn() / d variables, with the backend's own autodiff called directly (not through steps.py)."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_fn()
        return [_np(g) for g in tape.gradient(loss, variables)]
    if BACKEND == "torch":
        import torch

        return [_np(g) for g in torch.autograd.grad(loss_fn(), [v.value for v in variables])]
    if BACKEND == "jax":
        import jax

        def loss_of(values):  # the variables read `values` inside the scope, so jax.grad sees them
            with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                return loss_fn()

        return [_np(g) for g in jax.grad(loss_of)([v.value for v in variables])]
    raise NotImplementedError(BACKEND)


def softplus(x):
    return np.logaddexp(0.0, x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_d_loss(real_logits, fake_logits, smoothing):
    """BCE(1 - smoothing, real) + BCE(0, fake), with BCE(t, x) = t softplus(-x) + (1 - t) softplus(x)."""
    t = 1.0 - smoothing
    return float(np.mean(t * softplus(-real_logits) + (1 - t) * softplus(real_logits)) + np.mean(softplus(fake_logits)))


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def numpy_class_loss(labels, class_logits):
    """-mean(ln softmax(class_logits)[label])."""
    return float(-np.mean(np.log(softmax(class_logits)[np.arange(len(labels)), labels])))


def numpy_g_loss(fake_logits, kind):
    return float(np.mean(softplus(-fake_logits)) if kind == "non_saturating" else -np.mean(softplus(fake_logits)))


def steps_by_hand(model, batches, lr, seed):
    """Replay ``len(batches)`` GAN steps on ``model``'s own generator and discriminator, with plain SGD.

    Returns the per-step logged values; the expected moving mean and variance of the
    generator's first BatchNorm layer (``project_bn``), folded in by hand from the batch
    statistics of its input at each generator call in training mode (two per step); and
    the replayed noise seed's final state.
    """
    g, d = model.generator, model.discriminator
    cond, smoothing, kind = model.conditional, model.label_smoothing, model.loss_kind
    head, weight = model.class_head, getattr(model, "class_weight", 0.0)
    g_in = (lambda z, y: [z, y]) if cond else (lambda z, y: z)
    d_in = (lambda x, y: [x, y]) if cond else (lambda x, y: x)

    def discriminate(x, y):
        """``(logits, class_logits or None)``: what D says, in training mode."""
        out = d(d_in(x, y), training=True)
        return (out[0], out[1]) if head else (out, None)

    def d_objective(real, labels, fake, fake_labels):
        (real_logits, real_classes), (fake_logits, _) = discriminate(real, labels), discriminate(fake, fake_labels)
        loss = d_loss_from_logits(real_logits, fake_logits, smoothing)
        return loss + weight * class_loss_from_logits(labels, real_classes) if head else loss

    def g_objective(z, fake_labels):
        logits, classes = discriminate(g(g_in(z, fake_labels), training=True), fake_labels)
        loss = g_loss_from_logits(logits, kind)
        return loss + weight * class_loss_from_logits(fake_labels, classes) if head else loss

    project = keras.Model(g.inputs, g.get_layer("project").output)  # the BatchNorm layer's input
    bn = g.get_layer("project_bn")
    moving = [_np(bn.moving_mean).astype(np.float64), _np(bn.moving_variance).astype(np.float64)]

    def fold_batch_statistics(z, y):
        h = _np(project(g_in(z, y))).astype(np.float64)
        moving[0] = BN_MOMENTUM * moving[0] + (1 - BN_MOMENTUM) * h.mean(axis=0)
        moving[1] = BN_MOMENTUM * moving[1] + (1 - BN_MOMENTUM) * h.var(axis=0)

    def sgd(variables, grads):
        for v, grad in zip(variables, grads):
            v.assign(_np(v) - np.float32(lr) * grad)

    seeds = keras.random.SeedGenerator(seed)  # the GAN's seed: the same noise, drawn in the same order

    def draw(n):  # GAN.sample_inputs, by hand: the noise first, then the labels
        z = keras.random.normal((n, LATENT), seed=seeds)
        y = keras.random.randint((n,), 0, CLASSES, seed=seeds, dtype="int32") if cond else None
        return z, y

    paths = [v.path for v in d.trainable_variables]
    bias = paths.index("logit/bias")  # the discriminator's last bias

    logged = []
    for real, labels in batches:
        labels = labels if cond else None
        # 1. discriminator
        z, fake_labels = draw(len(real))
        fold_batch_statistics(z, fake_labels)
        fake = g(g_in(z, fake_labels), training=True)
        real_logits, real_classes = (None if t is None else _np(t).astype(np.float64) for t in discriminate(real, labels))
        fake_logits = _np(discriminate(fake, fake_labels)[0]).astype(np.float64)
        d_grads = gradients(lambda: d_objective(real, labels, fake, fake_labels), d.trainable_variables)
        # calculus: d BCE(t, x) / dx = sigmoid(x) - t, and the last bias adds 1 to every logit
        expected_bias_grad = np.mean(sigmoid(real_logits)) - (1 - smoothing) + np.mean(sigmoid(fake_logits))
        np.testing.assert_allclose(d_grads[bias], [expected_bias_grad], rtol=1e-4, atol=1e-6)
        if head:  # d CE / d class logits = softmax - one-hot, on the real images only
            expected_head_grad = weight * np.mean(softmax(real_classes) - np.eye(CLASSES)[labels], axis=0)
            np.testing.assert_allclose(d_grads[paths.index("class_logits/bias")], expected_head_grad, rtol=1e-4, atol=1e-6)
        sgd(d.trainable_variables, d_grads)
        # 2. generator, through the updated discriminator
        z, fake_labels = draw(len(real))
        fold_batch_statistics(z, fake_labels)
        g_logits, g_classes = (
            None if t is None else _np(t).astype(np.float64) for t in discriminate(g(g_in(z, fake_labels), training=True), fake_labels)
        )
        g_grads = gradients(lambda: g_objective(z, fake_labels), g.trainable_variables)
        sgd(g.trainable_variables, g_grads)
        logged.append(
            {
                "d_loss": numpy_d_loss(real_logits, fake_logits, smoothing),
                "g_loss": numpy_g_loss(g_logits, kind),
                "d_real": float(np.mean(sigmoid(real_logits))),
                "d_fake": float(np.mean(sigmoid(fake_logits))),
            }
        )
        if head:
            logged[-1]["d_class"] = numpy_class_loss(labels, real_classes)
            logged[-1]["g_class"] = numpy_class_loss(_np(fake_labels), g_classes)
    return logged, moving, _np(seeds.state)


@pytest.mark.parametrize(
    "conditional, loss, smoothing, class_weight",
    [(False, "non_saturating", 0.1, None), (True, "minimax", 0.0, None), (True, "non_saturating", 0.0, 2.0)],
    ids=["plain-non_saturating-smoothed", "conditional-minimax", "conditional-class_head"],
)
def test_two_steps_equal_the_steps_done_by_hand(conditional, loss, smoothing, class_weight):
    lr, batch, n_steps, seed = 0.5, 16, 2, 3
    head = {"class_head": True, "class_weight": class_weight} if class_weight is not None else {}
    model = make_gan(
        seed=seed, conditional=conditional, d_optimizer=keras.optimizers.SGD(lr), g_optimizer=keras.optimizers.SGD(lr),
        loss=loss, label_smoothing=smoothing, **head,
    )
    g, d = model.generator, model.discriminator
    images, labels = images_and_labels(batch * n_steps)
    start_g, start_d = g.get_weights(), d.get_weights()
    before = _arrays(g.trainable_variables + d.trainable_variables)

    history = model.fit(images, labels if conditional else None, batch_size=batch, epochs=1, shuffle=False, verbose=0).history
    after_g, after_d = _arrays(g.trainable_variables), _arrays(d.trainable_variables)
    bn = g.get_layer("project_bn")
    after_moving = [_np(bn.moving_mean), _np(bn.moving_variance)]
    after_seed = _np(model.seed_generator.state)

    g.set_weights(start_g)  # back to the start, and the same two steps by hand
    d.set_weights(start_d)
    batches = [(images[i : i + batch], labels[i : i + batch]) for i in range(0, batch * n_steps, batch)]
    logged, expected_moving, expected_seed = steps_by_hand(model, batches, lr, seed)
    expected_g, expected_d = _arrays(g.trainable_variables), _arrays(d.trainable_variables)

    # the steps moved the weights well beyond float32 rounding, so the comparison means something
    moved = max(np.abs(a - b).max() for a, b in zip(expected_g + expected_d, before))
    assert moved > 1e-3
    for name, got, want in zip([v.path for v in d.trainable_variables], after_d, expected_d):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-6, err_msg=f"discriminator {name}")
    for name, got, want in zip([v.path for v in g.trainable_variables], after_g, expected_g):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-6, err_msg=f"generator {name}")

    # the logged epoch means are the means of the per-step values
    assert set(history) == set(logged[0])
    for name in logged[0]:
        assert history[name][0] == pytest.approx(np.mean([step[name] for step in logged]), rel=1e-4, abs=1e-6), name

    # BatchNorm's moving statistics saw both generator calls of both steps, in order
    np.testing.assert_allclose(after_moving[0], expected_moving[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(after_moving[1], expected_moving[1], rtol=1e-4, atol=1e-6)
    # the noise seed advanced once per draw (fresh noise every step), each optimizer stepped once per step
    np.testing.assert_array_equal(after_seed, expected_seed)
    assert int(_np(model.d_optimizer.iterations)) == n_steps == int(_np(model.g_optimizer.iterations))


# --------------------------------------------------------------------------- fit


@pytest.mark.parametrize("conditional", [False, True], ids=["plain", "conditional"])
def test_fit_two_epochs_with_the_default_jit_compile(conditional):
    model = make_gan(seed=1, conditional=conditional, width=8, dropout=0.3)
    g, d = model.generator, model.discriminator
    images, labels = images_and_labels(64, seed=1)
    data = make_dataset(images, 32, labels=labels if conditional else None, shuffle=False)
    before_g, before_d = g.get_weights(), d.get_weights()
    seed_before = _np(model.seed_generator.state)

    history = model.fit(data, epochs=2, verbose=0).history

    assert set(history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    for name, values in history.items():
        assert len(values) == 2 and np.all(np.isfinite(values)), name
    assert all(0.0 < v < 1.0 for v in history["d_real"] + history["d_fake"])
    # every weight and every piece of state moved: weights, BatchNorm statistics, Dropout seeds
    for name, a, b in zip([w.path for w in g.weights], before_g, g.get_weights()):
        assert not np.array_equal(a, b), f"generator {name} did not change"
    for name, a, b in zip([w.path for w in d.weights], before_d, d.get_weights()):
        assert not np.array_equal(a, b), f"discriminator {name} did not change"
    draws_per_step = 4 if conditional else 2  # noise (and labels) for each of the two sub-steps
    np.testing.assert_array_equal(_np(model.seed_generator.state), seed_before + [0, 2 * 2 * draws_per_step])  # 2 epochs x 2 steps
    # the combined optimizer: each Adam stepped 4 times and holds slots for its own model's weights only
    assert model.optimizer.optimizers == [model.g_optimizer, model.d_optimizer]
    for optimizer, net in ((model.d_optimizer, d), (model.g_optimizer, g)):
        assert int(_np(optimizer.iterations)) == 4
        assert len(optimizer.variables) == 2 + 2 * len(net.trainable_variables)  # iterations, lr, m and v per weight


def test_a_conditional_gan_without_labels_is_a_clear_error():
    model = make_gan(conditional=True, run_eagerly=True)
    images, _ = images_and_labels(16)
    with pytest.raises(ValueError, match=r"conditional GAN trains on \(images, labels\) batches"):
        model.fit(images, batch_size=16, epochs=1, verbose=0)


def test_before_keras_3_15_tensorflow_and_torch_train_without_a_model_optimizer(monkeypatch):
    """Keras < 3.15 has no MultiOptimizer: ``model.optimizer`` is None, and only JAX needs one."""
    monkeypatch.delattr(keras.optimizers, "MultiOptimizer")
    if BACKEND == "jax":
        with pytest.raises(RuntimeError, match="JAX backend needs Keras 3.15 or later"):
            make_gan()
        return
    model = make_gan()
    assert model.optimizer is None
    images, _ = images_and_labels(32)
    history = model.fit(images, batch_size=16, epochs=1, verbose=0).history
    assert np.all(np.isfinite(history["d_loss"] + history["g_loss"]))
    assert int(_np(model.d_optimizer.iterations)) == 2 == int(_np(model.g_optimizer.iterations))
