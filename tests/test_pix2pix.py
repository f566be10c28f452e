"""The pix2pix generator and PatchGAN discriminator: shapes, ranges, the receptive field, saving."""

import keras
import numpy as np
import pytest

from prodimg_lib.generation import pix2pix


def _randomise(model, seed=0):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.get_weights() and not isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in layer.get_weights()])


def test_generator_turns_a_sketch_into_an_image_of_the_same_size():
    keras.utils.set_random_seed(0)
    model = pix2pix.build_sketch_generator(width=8)
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 28, 28, 1)
    sketches = np.where(np.random.default_rng(0).random((3, 28, 28, 1)) < 0.1, -1.0, 1.0).astype(np.float32)
    out = keras.ops.convert_to_numpy(model(sketches, training=False))
    assert out.shape == (3, 28, 28, 1) and out.min() >= -1.0 and out.max() <= 1.0
    assert np.abs(out[0] - out[1]).max() > 1e-4  # another sketch, another product
    np.testing.assert_array_equal(out, keras.ops.convert_to_numpy(model(sketches, training=False)))  # no noise at use
    colour = pix2pix.build_sketch_generator(width=4, channels=3, size=32)
    assert colour.output_shape == (None, 32, 32, 3)


def test_patch_discriminator_gives_one_logit_per_patch():
    model = pix2pix.build_patch_discriminator(width=8)
    assert [tuple(t.shape) for t in model.inputs] == [(None, 28, 28, 1), (None, 28, 28, 1)]
    assert model.output_shape == (None, 7, 7, 1)
    assert pix2pix.receptive_field(model) == 18  # 1 + 3 + 3 * 2 + 2 * 4


def test_receptive_field_is_what_one_logit_sees():
    keras.utils.set_random_seed(1)
    model = pix2pix.build_patch_discriminator(width=4)
    _randomise(model)
    sketch = np.zeros((1, 28, 28, 1), np.float32)
    base = np.random.default_rng(1).uniform(-0.5, 0.5, (1, 28, 28, 1)).astype(np.float32)
    probes = np.repeat(base, 28 * 28, axis=0)
    probes[np.arange(28 * 28), np.arange(28 * 28) // 28, np.arange(28 * 28) % 28, 0] += 0.5  # one pixel each
    logits = keras.ops.convert_to_numpy(model([np.repeat(sketch, len(probes), axis=0), probes], training=False))
    reference = keras.ops.convert_to_numpy(model([sketch, base], training=False))
    seen = (np.abs(logits[:, 3, 3, 0] - reference[0, 3, 3, 0]) > 1e-6).reshape(28, 28)  # the centre logit
    rows, cols = np.flatnonzero(seen.any(axis=1)), np.flatnonzero(seen.any(axis=0))
    assert rows[-1] - rows[0] + 1 == cols[-1] - cols[0] + 1 == pix2pix.receptive_field(model)


def test_receptive_field_counts_convolutions_and_poolings():
    inputs = keras.Input((32, 32, 1))
    x = keras.layers.Conv2D(2, 3)(inputs)                      # 3
    x = keras.layers.MaxPooling2D(2)(x)                         # 3 + 1 = 4, jump 2
    x = keras.layers.Conv2D(2, 5, strides=2)(x)                 # 4 + 4 * 2 = 12, jump 4
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(1, 3)(x)                            # 12 + 2 * 4 = 20
    assert pix2pix.receptive_field(keras.Model(inputs, x)) == 20
    with pytest.raises(TypeError, match="keras.Model"):
        pix2pix.receptive_field("discriminator")


def test_models_save_and_load_in_safe_mode(tmp_path):
    keras.utils.set_random_seed(2)
    generator = pix2pix.build_sketch_generator(width=4)
    discriminator = pix2pix.build_patch_discriminator(width=4)
    sketch = np.where(np.random.default_rng(2).random((2, 28, 28, 1)) < 0.1, -1.0, 1.0).astype(np.float32)
    for model, inputs in ((generator, sketch), (discriminator, [sketch, sketch])):
        model.save(tmp_path / f"{model.name}.keras")
        loaded = keras.models.load_model(tmp_path / f"{model.name}.keras", safe_mode=True)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(inputs, training=False)),
                                   keras.ops.convert_to_numpy(model(inputs, training=False)), atol=1e-6)


@pytest.mark.parametrize(("builder", "kwargs", "match"), [
    (pix2pix.build_sketch_generator, {"size": 30}, "multiple of 4"),
    (pix2pix.build_sketch_generator, {"dropout": 1.0}, "dropout"),
    (pix2pix.build_sketch_generator, {"width": 0}, "width"),
    (pix2pix.build_patch_discriminator, {"channels": 0}, "channels"),
])
def test_bad_settings_are_refused(builder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        builder(**kwargs)
