"""DCGAN builders: shapes, output range, compatibility checks, conditional inputs, saving."""

import keras
import numpy as np
from keras import ops
import pytest

from prodimg_lib.course.exercises import dcgan as exercises
from prodimg_lib.generation import dcgan


def _noise(n, latent_dim, seed=0, scale=1.0):
    return (scale * np.random.default_rng(seed).standard_normal((n, latent_dim))).astype(np.float32)


@pytest.mark.parametrize("latent_dim, width", [(8, 4), (16, 8), (64, 16)])
def test_shapes_for_several_widths_and_latent_dims(latent_dim, width):
    g = dcgan.build_generator(latent_dim, width)
    d = dcgan.build_discriminator(width)
    assert g.input_shape == (None, latent_dim)
    assert g.output_shape == (None, 28, 28, 1)
    assert d.input_shape == (None, 28, 28, 1)
    assert d.output_shape == (None, 1)
    images = ops.convert_to_numpy(g(_noise(3, latent_dim), training=False))
    assert images.shape == (3, 28, 28, 1)
    assert ops.convert_to_numpy(d(images, training=False)).shape == (3, 1)
    assert dcgan.check_compatible(g, d) == (28, 28, 1)
    # the layers widen with `width`: 4w, 2w and w filters in G, w, 2w and 4w in D
    assert g.get_layer("up1").filters == 2 * width and g.get_layer("up2").filters == width
    assert [d.get_layer(f"down{i}").filters for i in (1, 2, 3)] == [width, 2 * width, 4 * width]


def test_parameter_count_grows_with_width():
    counts = [dcgan.build_generator(16, w).count_params() for w in (4, 8, 16)]
    assert counts == sorted(counts) and len(set(counts)) == 3
    counts = [dcgan.build_discriminator(w).count_params() for w in (4, 8, 16)]
    assert counts == sorted(counts) and len(set(counts)) == 3


def test_other_image_shapes_work_when_multiples_of_four():
    g = dcgan.build_generator(8, 4, image_shape=(32, 32, 3))
    d = dcgan.build_discriminator(4, image_shape=(32, 32, 3))
    assert g.output_shape == (None, 32, 32, 3)
    assert dcgan.check_compatible(g, d, image_shape=(32, 32, 3)) == (32, 32, 3)


def test_generator_output_stays_in_minus_one_one_even_for_extreme_noise():
    g = dcgan.build_generator(16, 4)
    for scale in (1.0, 1e3):
        out = ops.convert_to_numpy(g(_noise(8, 16, scale=scale), training=False))
        assert np.all(np.isfinite(out)) and out.min() >= -1.0 and out.max() <= 1.0
    assert g.get_layer("to_image").activation.__name__ == "tanh"


def test_discriminator_returns_logits_not_probabilities():
    d = dcgan.build_discriminator(4)
    assert d.get_layer("logit").activation.__name__ == "linear"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"image_shape": (30, 30, 1)}, "multiples of 4"),
        ({"image_shape": (28, 28)}, "height, width, channels"),
        ({"width": 0}, "width must be a positive integer"),
        ({"latent_dim": 2.5}, "latent_dim must be a positive integer"),
    ],
)
def test_bad_generator_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dcgan.build_generator(**kwargs)


def test_bad_dropout_is_a_clear_error():
    with pytest.raises(ValueError, match="dropout"):
        dcgan.build_discriminator(4, dropout=1.0)


def test_mismatched_shapes_give_a_clear_error():
    g = dcgan.build_generator(8, 4)  # 28x28x1
    d = dcgan.build_discriminator(4, image_shape=(32, 32, 3))
    with pytest.raises(dcgan.IncompatibleModelsError, match=r"makes images of shape \(28, 28, 1\) but the discriminator expects \(32, 32, 3\)"):
        dcgan.check_compatible(g, d)
    with pytest.raises(ValueError, match="image_shape"):  # IncompatibleModelsError is a ValueError
        dcgan.check_compatible(g, dcgan.build_discriminator(4), image_shape=(32, 32, 1))


def test_discriminator_with_more_than_one_output_is_refused():
    images = keras.Input((28, 28, 1))
    two = keras.layers.Dense(2)(keras.layers.Flatten()(images))
    with pytest.raises(dcgan.IncompatibleModelsError, match=r"one logit per image"):
        dcgan.check_compatible(dcgan.build_generator(8, 4), keras.Model(images, two))


def test_a_class_head_is_a_second_output_of_one_logit_per_class(tmp_path):
    d = dcgan.build_conditional_discriminator(10, 4, class_head=True)
    assert dcgan.has_class_head(d) and not dcgan.has_class_head(dcgan.build_conditional_discriminator(10, 4))
    assert dcgan.check_compatible(dcgan.build_conditional_generator(8, 10, 4), d) == (28, 28, 1)
    images = np.tanh(_noise(3, 28 * 28)).reshape(3, 28, 28, 1)
    logits, class_logits = (ops.convert_to_numpy(t) for t in d([images, np.array([0, 4, 9])], training=False))
    assert logits.shape == (3, 1) and class_logits.shape == (3, 10)
    # the head reads the image only: the requested label changes the logit, not the class logits
    _, other = (ops.convert_to_numpy(t) for t in d([images, np.array([1, 1, 1])], training=False))
    np.testing.assert_array_equal(class_logits, other)
    d.save(tmp_path / "d.keras")  # standard layers only: loads in safe mode, same outputs
    loaded = keras.models.load_model(tmp_path / "d.keras", safe_mode=True)
    for a, b in zip(loaded([images, np.array([0, 4, 9])], training=False), (logits, class_logits)):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), b)


def test_class_heads_that_cannot_work_are_refused():
    images, labels = keras.Input((28, 28, 1)), keras.Input((), dtype="int32")
    h = keras.layers.Flatten()(images)
    logit = keras.layers.Dense(1)(h)
    with pytest.raises(dcgan.IncompatibleModelsError, match="class head but takes no labels"):
        dcgan.check_compatible(dcgan.build_generator(8, 4), keras.Model(images, [logit, keras.layers.Dense(10)(h)]))
    embedded = keras.layers.Flatten()(keras.layers.Embedding(10, 4)(labels))
    conditional_logit = keras.layers.Dense(1)(keras.layers.Concatenate()([h, embedded]))
    wrong_head = keras.Model([images, labels], [conditional_logit, keras.layers.Dense(7)(h)])
    with pytest.raises(dcgan.IncompatibleModelsError, match=r"returns \(N, 7\), not one logit per class \(N, 10\)"):
        dcgan.check_compatible(dcgan.build_conditional_generator(8, 10, 4), wrong_head)
    three = keras.Model([images, labels], [conditional_logit, keras.layers.Dense(10)(h), keras.layers.Dense(10)(h)])
    with pytest.raises(dcgan.IncompatibleModelsError, match="one logit per image"):
        dcgan.check_compatible(dcgan.build_conditional_generator(8, 10, 4), three)


def test_conditional_and_plain_models_do_not_mix():
    with pytest.raises(dcgan.IncompatibleModelsError, match="only the generator is conditional"):
        dcgan.check_compatible(dcgan.build_conditional_generator(8, 10, 4), dcgan.build_discriminator(4))
    with pytest.raises(dcgan.IncompatibleModelsError, match="only the discriminator is conditional"):
        dcgan.check_compatible(dcgan.build_generator(8, 4), dcgan.build_conditional_discriminator(10, 4))
    with pytest.raises(dcgan.IncompatibleModelsError, match="10 classes but the discriminator 5"):
        dcgan.check_compatible(dcgan.build_conditional_generator(8, 10, 4), dcgan.build_conditional_discriminator(5, 4))


def test_conditional_models_take_inputs_in_the_documented_order():
    g = dcgan.build_conditional_generator(latent_dim=12, num_classes=10, width=4)
    d = dcgan.build_conditional_discriminator(num_classes=10, width=4)
    assert [t.name for t in g.inputs] == ["noise", "labels"]
    assert [tuple(t.shape) for t in g.inputs] == [(None, 12), (None,)]
    assert "int" in str(g.inputs[1].dtype)
    assert [t.name for t in d.inputs] == ["images", "labels"]
    assert [tuple(t.shape) for t in d.inputs] == [(None, 28, 28, 1), (None,)]
    assert dcgan.is_conditional(g) and dcgan.is_conditional(d) and dcgan.num_classes_of(g) == 10

    noise = np.repeat(_noise(1, 12), 3, axis=0)  # the same noise three times
    labels = np.array([0, 7, 9])
    images = ops.convert_to_numpy(g([noise, labels], training=False))
    assert images.shape == (3, 28, 28, 1) and images.min() >= -1 and images.max() <= 1
    assert not np.allclose(images[0], images[1]) and not np.allclose(images[1], images[2])  # the label matters
    logits = ops.convert_to_numpy(d([np.repeat(images[:1], 3, axis=0), labels], training=False))
    assert logits.shape == (3, 1) and len(np.unique(logits.round(7))) == 3  # so does the label for D


@pytest.mark.parametrize("conditional", [False, True])
def test_saved_generator_loads_in_safe_mode_with_identical_outputs(tmp_path, conditional):
    if conditional:
        g = dcgan.build_conditional_generator(16, 10, 4)
        inputs = [_noise(5, 16), np.arange(5)]
    else:
        g = dcgan.build_generator(16, 4)
        inputs = _noise(5, 16)
    path = tmp_path / "generator.keras"
    g.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(ops.convert_to_numpy(loaded(inputs, training=False)), ops.convert_to_numpy(g(inputs, training=False)))


def test_models_use_only_standard_keras_layers():
    models = [
        dcgan.build_generator(8, 4),
        dcgan.build_discriminator(4),
        dcgan.build_conditional_generator(8, 10, 4),
        dcgan.build_conditional_discriminator(10, 4),
        dcgan.build_conditional_discriminator(10, 4, class_head=True),
    ]
    for model in models:
        for layer in model.layers:
            assert type(layer).__module__.startswith("keras."), type(layer)
            assert not isinstance(layer, keras.layers.Lambda)


def test_saved_conditional_discriminator_loads_with_identical_outputs(tmp_path):
    d = dcgan.build_conditional_discriminator(10, 4)
    images = np.tanh(_noise(4, 28 * 28)).reshape(4, 28, 28, 1)
    labels = np.array([1, 2, 3, 4])
    d.save(tmp_path / "d.keras")
    loaded = keras.models.load_model(tmp_path / "d.keras")
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded([images, labels], training=False)), ops.convert_to_numpy(d([images, labels], training=False)), rtol=0, atol=0
    )


@pytest.mark.parametrize("n, k, s, p", [(7, 4, 2, "same"), (7, 4, 2, "valid"), (5, 2, 3, "valid"), (4, 3, 1, "valid")])
def test_transposed_output_size_matches_keras(n, k, s, p):
    layer = keras.layers.Conv2DTranspose(1, k, strides=s, padding=p)
    assert layer.compute_output_shape((None, n, n, 1))[1] == dcgan.transposed_output_size(n, k, s, p)


def test_exercise_checkers_accept_the_reference_and_reject_mistakes():
    assert exercises.check_transposed_output_size(dcgan.transposed_output_size)
    assert not exercises.check_transposed_output_size(lambda n, k, s, p: n)
    assert not exercises.check_transposed_output_size(...)
    assert exercises.check_conv_transpose_parameters(dcgan.conv_transpose_parameters)
    wrong = exercises.check_conv_transpose_parameters(lambda k, a, b, bias: k * a * b)
    assert not wrong and "k x k" in wrong.message
