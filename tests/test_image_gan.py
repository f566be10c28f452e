"""The image-to-image GAN (pix2pix's training) on the backend Keras runs on: one step checked by hand, and learning.

``make test`` runs this file once per backend. One step with plain SGD is replayed by hand:
the logged losses against the losses' formulas on the weights before the step, and the
discriminator's last bias against calculus (it adds to every logit, so its gradient is
``0.5 * (mean(sigmoid(real)) - 1 + mean(sigmoid(fake)))``). Without the adversarial term the
generator must move exactly as plain L1 regression moves it.
"""

import keras
import numpy as np
import pytest
from keras import ops

from prodimg_lib import data
from prodimg_lib.data.sketch import edge_sketches
from prodimg_lib.generation import dcgan, pix2pix
from prodimg_lib.generation.dataset import make_pair_dataset
from prodimg_lib.generation.image_gan import ImageGAN

LR = 0.05


def _pairs(n=8, seed=0):
    rng = np.random.default_rng(seed)
    targets = rng.uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)
    return edge_sketches(targets), targets


def _models(seed=0, width=4):
    keras.utils.set_random_seed(seed)
    return pix2pix.build_sketch_generator(width, dropout=0.0), pix2pix.build_patch_discriminator(width)


def _np(x):
    return ops.convert_to_numpy(x).astype(np.float64)


def _bce(target, logits):  # mean binary cross-entropy from logits, in NumPy
    return float(np.mean(np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_one_step_logs_its_losses_and_moves_the_discriminator_down_its_gradient():
    generator, discriminator = _models()
    gan = ImageGAN(generator, discriminator)
    gan.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR), pixel_weight=10.0, adversarial_weight=1.0)
    sketches, targets = _pairs()
    fake = _np(generator(sketches, training=True))  # batch statistics, as in the step
    real_logits, fake_logits = (_np(discriminator([sketches, x], training=True)) for x in (targets, fake))
    bias = _np(discriminator.get_layer("patch_logits").bias)
    history = gan.fit(make_pair_dataset(sketches, targets, 8), epochs=1, verbose=0).history
    assert history["d_loss"][0] == pytest.approx(0.5 * (_bce(1, real_logits) + _bce(0, fake_logits)), rel=1e-4)
    assert history["d_real"][0] == pytest.approx(np.mean(_sigmoid(real_logits)), rel=1e-4)
    assert history["d_fake"][0] == pytest.approx(np.mean(_sigmoid(fake_logits)), rel=1e-4)
    assert history["g_pixel"][0] == pytest.approx(np.mean(np.abs(fake - targets)), rel=1e-4)
    after = _np(discriminator([sketches, fake], training=True))  # the generator step saw the updated D
    assert history["g_loss"][0] == pytest.approx(_bce(1, after), rel=1e-4)
    gradient = 0.5 * (np.mean(_sigmoid(real_logits)) - 1 + np.mean(_sigmoid(fake_logits)))
    np.testing.assert_allclose(_np(discriminator.get_layer("patch_logits").bias), bias - LR * gradient, atol=1e-6)


def test_without_the_adversarial_term_the_generator_moves_as_l1_regression():
    generator, discriminator = _models(seed=1)
    twin = keras.models.clone_model(generator)
    twin.set_weights(generator.get_weights())
    gan = ImageGAN(generator, discriminator)
    gan.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR), pixel_weight=1.0, adversarial_weight=0.0)
    sketches, targets = _pairs(seed=1)
    gan.fit(make_pair_dataset(sketches, targets, 8), epochs=1, verbose=0)
    twin.compile(keras.optimizers.SGD(LR), loss="mae")
    twin.fit(sketches, targets, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for ours, plain in zip(generator.trainable_weights, twin.trainable_weights):
        np.testing.assert_allclose(_np(ours), _np(plain), atol=2e-5)
    moved = keras.models.clone_model(generator)
    moved.set_weights(twin.get_weights())
    gan = ImageGAN(*_models(seed=1))
    gan.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR), pixel_weight=1.0, adversarial_weight=1.0)
    gan.fit(make_pair_dataset(sketches, targets, 8), epochs=1, verbose=0)
    assert max(np.abs(_np(a) - _np(b)).max() for a, b in zip(gan.generator.trainable_weights, moved.trainable_weights)) > 1e-6


def test_sketch_to_product_training_lowers_the_pixel_loss(sample):
    products = data.to_minus_one_one(sample.x_train[:256])[..., None]
    keras.utils.set_random_seed(3)
    gan = ImageGAN(pix2pix.build_sketch_generator(8), pix2pix.build_patch_discriminator(8))
    gan.compile(keras.optimizers.Adam(2e-3, beta_1=0.5), keras.optimizers.Adam(2e-3, beta_1=0.5))
    history = gan.fit(make_pair_dataset(edge_sketches(products), products, 32), epochs=3, verbose=0).history
    assert history["g_pixel"][-1] < 0.6 * history["g_pixel"][0]
    assert all(np.isfinite(v).all() for v in history.values())
    out = keras.ops.convert_to_numpy(gan(edge_sketches(products[:4])))
    assert out.shape == (4, 28, 28, 1) and out.min() >= -1 and out.max() <= 1


def test_an_unpaired_discriminator_sees_the_image_alone():
    keras.utils.set_random_seed(4)
    generator = pix2pix.build_sketch_generator(4, dropout=0.0)
    gan = ImageGAN(generator, dcgan.build_discriminator(4, dropout=0.0), paired=False)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), pixel_loss="l2")
    history = gan.fit(make_pair_dataset(*_pairs(seed=4), 8), epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "g_pixel", "d_real", "d_fake"}


def test_errors_name_the_problem():
    generator, discriminator = _models()
    with pytest.raises(ValueError, match=r"\[condition, image\]"):
        ImageGAN(generator, dcgan.build_discriminator(4))
    with pytest.raises(ValueError, match="paired=True"):
        ImageGAN(generator, discriminator, paired=False)
    gan = ImageGAN(generator, discriminator)
    sketches, targets = _pairs()
    with pytest.raises(RuntimeError, match="compile"):
        gan.fit(make_pair_dataset(sketches, targets, 8), epochs=1, verbose=0)
    adam = keras.optimizers.Adam()
    for kwargs, match in (({"pixel_loss": "l3"}, "pixel_loss"), ({"pixel_weight": -1}, "pixel_weight"),
                          ({"pixel_weight": 0, "adversarial_weight": 0}, "both 0")):
        with pytest.raises(ValueError, match=match):
            gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), **kwargs)
    with pytest.raises(ValueError, match="two different optimizer"):
        gan.compile(adam, adam)
    with pytest.raises(ValueError, match="pair up"):
        make_pair_dataset(sketches, targets[:4], 2)
    with pytest.raises(ValueError, match="too little data"):
        make_pair_dataset(sketches, targets, 16)
    with pytest.raises(TypeError):
        make_pair_dataset(sketches, np.zeros((8, 28, 28, 1), np.uint8), 4)


def test_checkpoints_resume_to_the_uninterrupted_run(tmp_path):
    from prodimg_lib.generation import checkpoint

    sketches, targets = _pairs(n=16, seed=5)

    def make(seed):
        keras.utils.set_random_seed(seed)
        gan = ImageGAN(pix2pix.build_sketch_generator(4), pix2pix.build_patch_discriminator(4))  # with dropout
        gan.compile(keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5))
        return gan

    straight = make(6)
    straight.fit(make_pair_dataset(sketches, targets, 8, seed=1), epochs=2, verbose=0)
    first = make(6)
    first.fit(make_pair_dataset(sketches, targets, 8, seed=1), epochs=1, verbose=0,
              callbacks=[checkpoint.GANCheckpoint(tmp_path)])
    state = checkpoint.load_state(checkpoint.latest_checkpoint(tmp_path))
    assert state["kind"] == "image_gan" and state["paired"] and state["pixel_weight"] == 100.0
    resumed = make(7)  # other weights, other dropout streams
    assert checkpoint.restore(resumed, tmp_path) == 1
    batches = make_pair_dataset(sketches, targets, 8, seed=1)
    batches.set_epoch(1)  # the order an uninterrupted run would see next
    resumed.fit(batches, epochs=2, initial_epoch=1, verbose=0, callbacks=[checkpoint.GANCheckpoint(tmp_path)])
    for a, b in zip(straight.generator.get_weights() + straight.discriminator.get_weights(),
                    resumed.generator.get_weights() + resumed.discriminator.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
