"""Curve-estimation low-light model: shapes, identity at start, curve properties, saving, training."""

import keras
import numpy as np
import pytest

from prodimg_lib import data
from prodimg_lib.data import degrade
from prodimg_lib.enhancement.fit import train_image_to_image
from prodimg_lib.enhancement.models.restore import build_dncnn
from prodimg_lib.evaluation import image_quality
from prodimg_lib.enhancement.models import tone


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def _randomise(model, seed=0, scale=0.3):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([rng.normal(0, scale, w.shape).astype(np.float32) for w in weights])


@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_range_and_fully_convolutional(channels):
    model = tone.build_curve_estimator(channels, width=8, iterations=4)
    assert model.input_shape == (None, None, None, channels)
    _randomise(model)
    for shape in ((2, 28, 28, channels), (1, 17, 9, channels)):
        out = model.predict(_images(shape), verbose=0)
        assert out.shape == shape and out.min() >= -1.0 and out.max() <= 1.0


def test_untrained_model_is_identity():
    model = tone.build_curve_estimator(3, width=8)
    x = _images((2, 16, 16, 3))
    np.testing.assert_allclose(model.predict(x, verbose=0), x, atol=1e-6)


def test_curve_keeps_black_and_white_and_matches_formula():
    model = tone.build_curve_estimator(1, width=4, iterations=3)
    _randomise(model, scale=1.0)
    x = _images((2, 12, 12, 1))
    x[:, 0, 0], x[:, 0, 1] = -1.0, 1.0
    a = tone.curve_parameters(model).predict(x, verbose=0)
    assert a.shape == (2, 12, 12, 3) and np.abs(a).max() <= 1.0
    u = (x + 1) / 2
    for i in range(3):
        u = u + a[..., i : i + 1] * u * (1 - u)
    out = model.predict(x, verbose=0)
    np.testing.assert_allclose(out, 2 * u - 1, atol=1e-5)
    np.testing.assert_allclose(out[:, 0, 0], -1.0, atol=1e-6)
    np.testing.assert_allclose(out[:, 0, 1], 1.0, atol=1e-6)


def test_save_and_load_in_safe_mode(tmp_path):
    model = tone.build_curve_estimator(3, width=4, iterations=2)
    _randomise(model)
    model.save(tmp_path / "tone.keras")
    loaded = keras.models.load_model(tmp_path / "tone.keras", safe_mode=True)
    x = _images((2, 20, 24, 3))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in loaded.layers)


def test_supervised_training_brightens():
    s = data.load_sample()
    x_train, x_test = data.to_minus_one_one(s.x_train)[..., None], data.to_minus_one_one(s.x_test)[..., None]
    keras.utils.set_random_seed(0)
    model = tone.build_curve_estimator(1, width=8, iterations=4)
    dark = degrade.low_light(x_train, gamma=2.0, exposure=0.4)
    history = train_image_to_image(model, dark, x_train, epochs=3, batch_size=32, learning_rate=3e-3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    dark_test = degrade.low_light(x_test, gamma=2.0, exposure=0.4)
    assert image_quality.psnr(x_test, model.predict(dark_test, verbose=0)) > image_quality.psnr(x_test, dark_test) + 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [({"channels": 0}, "channels"), ({"width": -1}, "width"), ({"iterations": 0}, "iterations")],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tone.build_curve_estimator(**kwargs)


def test_curve_parameters_rejects_other_models():
    with pytest.raises(ValueError, match="curve1"):
        tone.curve_parameters(build_dncnn(width=4, depth=3))
    with pytest.raises(TypeError, match="keras.Model"):
        tone.curve_parameters("model")


def test_low_light_net_starts_as_identity_and_exposes_its_curves():
    model = tone.build_low_light_net(1, width=8, iterations=3, denoiser_width=8, denoiser_depth=4)
    x = _images((2, 12, 12, 1))
    np.testing.assert_allclose(model.predict(x, verbose=0), x, atol=1e-6)
    maps = tone.curve_parameters(model)
    assert maps.output.shape[-1] == 3 and maps.predict(x, verbose=0).shape == (2, 12, 12, 3)
    assert {layer.name for layer in model.layers} >= {"curve_estimator", "dncnn"}
