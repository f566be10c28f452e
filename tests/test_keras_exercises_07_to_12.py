"""The checkers of the Keras exercises (notebooks 07 and 09 to 12) accept a right answer and name the typical mistakes.

Each runs on the backend of the test run (``KERAS_BACKEND``), as in the notebooks.
"""

import numpy as np
import pytest

from prodimg_lib.course.exercises import colour_and_tone, evaluating_generators, product_pipeline, restoration
from prodimg_lib.course.exercises import super_resolution
from prodimg_lib.course.exercises.keras_checking import is_stub


def _stub(*args, **kwargs):
    ...  # your code here


def test_the_untouched_exercise_cell_is_not_answered():
    def documented(x):
        """A docstring is still no answer."""
        ...

    def forgot_return(x):
        x = x + 1

    assert is_stub(_stub) and is_stub(documented) and not is_stub(forgot_return) and not is_stub(len)
    for checker in (evaluating_generators.check_feature_extractor, super_resolution.check_residual_block,
                    restoration.check_masked_l1, colour_and_tone.check_exposure_loss,
                    product_pipeline.check_generate_and_enlarge):
        for answer in (None, _stub):
            result = checker(answer)
            assert not result and "still empty" in result.message, (checker.__name__, result)


def test_feature_extractor_checker():
    import keras

    check = evaluating_generators.check_feature_extractor
    assert check(lambda c: keras.Model(c.inputs, c.get_layer("features").output))
    assert check(lambda c: keras.Model(c.input, c.layers[-1].input))  # after the dropout: the same values
    assert "class probabilities" in check(lambda c: keras.Model(c.inputs, c.output)).message
    assert "class probabilities" in check(lambda c: c).message
    assert "'flatten'" in check(lambda c: keras.Model(c.inputs, c.get_layer("flatten").output)).message
    new_layer = check(lambda c: keras.Model(c.inputs, keras.layers.Dense(128)(c.get_layer("flatten").output)))
    assert not new_layer and "own layers" in new_layer.message
    fresh_input = check(lambda c: keras.Model(keras.Input((28, 28, 1)), c.get_layer("features").output))
    assert not fresh_input and "classifier.inputs" in fresh_input.message
    assert "keras.Model" in check(lambda c: np.zeros((5, 128))).message


def test_residual_block_checker():
    from keras import layers

    def block(relu_after=False, skip=True, padding="same", second_activation=None, bn=False):
        def residual_block(x, width):
            y = layers.Conv2D(width, 3, padding=padding, activation="relu")(x)
            y = layers.Conv2D(width, 3, padding=padding, activation=second_activation)(y)
            if bn:
                y = layers.BatchNormalization()(y)
            out = layers.Add()([x, y]) if skip else y
            return layers.ReLU()(out) if relu_after else out
        return residual_block

    check = super_resolution.check_residual_block
    assert check(block())
    assert "skip connection" in check(block(skip=False)).message
    assert "ReLU after the addition" in check(block(relu_after=True)).message
    assert "BatchNormalization" in check(block(bn=True)).message
    assert "padding='same'" in check(block(padding="valid")).message
    assert "only the first one" in check(block(second_activation="relu")).message
    assert super_resolution.residual_block_parameters(4) == 296


def test_masked_l1_checker():
    from keras import ops

    def loss(y_true, y_pred, *, invert=False, over_all=False, safe=True):
        target, mask = y_true[..., 0:1], y_true[..., 1:2]
        if invert:
            mask = 1 - mask
        total = ops.sum(ops.abs(target - y_pred) * mask)
        if over_all:
            return total / ops.cast(ops.size(mask), "float32")
        return total / (ops.maximum(ops.sum(mask), 1.0) if safe else ops.sum(mask))

    check = restoration.check_masked_l1
    assert check(loss)
    assert "number of damaged pixels" in check(lambda t, p: loss(t, p, over_all=True)).message
    assert "not 1 - mask" in check(lambda t, p: loss(t, p, invert=True)).message
    empty = check(lambda t, p: loss(t, p, safe=False))
    assert not empty and "maximum" in empty.message
    numpy_loss = check(lambda t, p: float(np.sum(np.abs(np.asarray(t)[..., :1] - np.asarray(p)) * np.asarray(t)[..., 1:])
                                          / max(np.sum(np.asarray(t)[..., 1:]), 1.0)))
    assert not numpy_loss and "keras.ops" in numpy_loss.message  # right on arrays, but not inside fit


def test_exposure_loss_checker():
    from keras import ops

    def loss(images, level=0.6, patch=4, *, square=False, grey=True, strides=None):
        x = ops.mean(images, axis=-1, keepdims=True) if grey else images
        diff = ops.average_pool(x, patch, strides=strides or patch) - level
        return ops.mean(ops.square(diff) if square else ops.abs(diff))

    check = colour_and_tone.check_exposure_loss
    assert check(loss)
    assert "squared" in check(lambda x, level=0.6, patch=4: loss(x, level, patch, square=True)).message
    assert "grey image" in check(lambda x, level=0.6, patch=4: loss(x, level, patch, grey=False)).message
    assert "overlap" in check(lambda x, level=0.6, patch=4: loss(x, level, patch, strides=1)).message
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (2, 8, 8, 3))
    by_reshape = np.mean(np.abs(images.mean(-1).reshape(2, 2, 4, 2, 4).mean(axis=(2, 4)) - 0.6))
    assert colour_and_tone.exposure_loss_reference(images) == pytest.approx(by_reshape, rel=1e-12)


def test_generate_and_enlarge_checker():
    import keras

    def compose(only_noise=False, upscale=True, swap=False):
        def generate_and_enlarge(generator, upscaler):
            noise = keras.Input(generator.inputs[0].shape[1:])
            labels = keras.Input((), dtype="int32")
            images = generator([noise, keras.ops.zeros_like(noise[:, 0], dtype="int32") if only_noise else labels])
            out = upscaler(images) if upscale else images
            inputs = noise if only_noise else ([labels, noise] if swap else [noise, labels])
            return keras.Model(inputs, out)
        return generate_and_enlarge

    check = product_pipeline.check_generate_and_enlarge
    assert check(compose())
    assert check(lambda g, u: keras.Model(g.inputs, u(g.outputs[0])))
    assert "one input" in check(compose(only_noise=True)).message
    assert "the generator's" in check(compose(upscale=False)).message
    assert "[labels, noise]" in check(compose(swap=True)).message
    assert "functional API" in check(lambda g, u: keras.Sequential([g, u])).message
