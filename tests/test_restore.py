"""Restoration builders (DnCNN, inpainting U-Net) and the shared image-to-image training helper."""

import keras
import numpy as np
import pytest

from prodimg_lib import data
from prodimg_lib.data import degrade
from prodimg_lib.enhancement.fit import train_image_to_image
from prodimg_lib.evaluation import image_quality
from prodimg_lib.enhancement.models import restore


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def _randomise(model, seed=0):
    """Non-zero weights everywhere (the noise and curve heads start at zero)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights and not isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.normal(0, 0.1, w.shape).astype(np.float32) for w in weights])


@pytest.fixture(scope="module")
def sample():
    s = data.load_sample()
    return data.to_minus_one_one(s.x_train)[..., None], data.to_minus_one_one(s.x_test)[..., None]


# --- DnCNN ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 3])
def test_dncnn_shapes_range_and_fully_convolutional(channels):
    model = restore.build_dncnn(channels, width=8, depth=5)
    assert model.input_shape == (None, None, None, channels)
    _randomise(model)
    for shape in ((2, 28, 28, channels), (1, 13, 40, channels)):
        out = model.predict(_images(shape), verbose=0)
        assert out.shape == shape and out.min() >= -1.0 and out.max() <= 1.0


def test_dncnn_structure_and_identity_at_start():
    model = restore.build_dncnn(width=8, depth=6)
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers) == 4  # depth - 2
    assert sum(isinstance(layer, keras.layers.Conv2D) for layer in model.layers) == 6
    x = _images((2, 10, 10, 1))
    np.testing.assert_allclose(model.predict(x, verbose=0), x, atol=1e-6)  # zero noise estimate at start
    plain = restore.build_dncnn(width=8, depth=6, batch_norm=False)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in plain.layers)
    assert plain.get_layer("conv3").use_bias and not model.get_layer("conv3").use_bias


def test_dncnn_save_and_load(tmp_path):
    model = restore.build_dncnn(1, width=8, depth=4)
    _randomise(model)
    model.save(tmp_path / "denoise.keras")
    loaded = keras.models.load_model(tmp_path / "denoise.keras", safe_mode=True)
    x = _images((3, 28, 28, 1))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_dncnn_with_a_noise_level_map(tmp_path):
    model = restore.build_dncnn(1, width=8, depth=4, batch_norm=False, noise_map=True)
    assert restore.takes_noise_level(model) and not restore.takes_noise_level(restore.build_dncnn(1, width=8, depth=4))
    x = _images((2, 12, 9, 1))
    np.testing.assert_allclose(model.predict([x, restore.noise_level_map(25, x.shape)], verbose=0), x, atol=1e-6)
    _randomise(model)
    light, heavy = (model.predict([x, restore.noise_level_map(s, x.shape)], verbose=0) for s in (2, 40))
    assert light.shape == x.shape and np.abs(light - heavy).max() > 1e-3  # the level changes what is removed
    model.save(tmp_path / "aware.keras")
    loaded = keras.models.load_model(tmp_path / "aware.keras", safe_mode=True)
    np.testing.assert_array_equal(loaded.predict([x, restore.noise_level_map(2, x.shape)], verbose=0), light)


def test_noise_level_map_values_and_errors():
    level = restore.noise_level_map([0, 25.5], (2, 3, 4))
    assert level.shape == (2, 3, 4, 1) and level.dtype == np.float32
    np.testing.assert_allclose(level[0], 0) and np.testing.assert_allclose(level[1], 0.2, rtol=1e-6)  # 2 * 25.5 / 255
    np.testing.assert_allclose(restore.noise_level_map(10, (1, 2, 2, 3)), 2 * 10 / 255, rtol=1e-6)
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        restore.noise_level_map(-1, (1, 2, 2))
    with pytest.raises(ValueError, match="one number per image"):
        restore.noise_level_map([1, 2, 3], (2, 2, 2))


def test_dncnn_training_reduces_loss_and_denoises(sample):
    x_train, x_test = sample
    keras.utils.set_random_seed(0)
    model = restore.build_dncnn(width=16, depth=4)
    noisy = degrade.add_gaussian_noise(x_train, 25, seed=1)
    history = train_image_to_image(model, noisy, x_train, epochs=3, batch_size=32, learning_rate=2e-3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    noisy_test = degrade.add_gaussian_noise(x_test, 25, seed=2)
    assert image_quality.psnr(x_test, model.predict(noisy_test, verbose=0)) > image_quality.psnr(x_test, noisy_test) + 1.0


# --- inpainting U-Net ----------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 3])
def test_inpainting_keeps_known_pixels_exactly(channels):
    model = restore.build_inpainting_unet(channels, width=4)
    _randomise(model)
    for shape in ((3, 28, 28, channels), (1, 16, 32, channels)):
        clean = _images(shape, seed=1)
        masks = degrade.defect_masks(shape[0], shape[1:3], seed=2)
        damaged = degrade.apply_defects(clean, masks)
        out = model.predict([damaged, masks.astype(np.float32)], verbose=0)
        assert out.shape == shape and out.min() >= -1.0 and out.max() <= 1.0
        known = np.broadcast_to(~masks, shape)
        np.testing.assert_array_equal(out[known], damaged[known])
        assert not np.allclose(out[~known], damaged[~known])  # the holes are filled, not left white


def test_inpainting_inputs_and_save_load(tmp_path):
    model = restore.build_inpainting_unet(1, width=4)
    assert [t.name for t in model.inputs] == ["damaged", "mask"]
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in model.layers)
    _randomise(model)
    model.save(tmp_path / "inpaint.keras")
    loaded = keras.models.load_model(tmp_path / "inpaint.keras", safe_mode=True)
    x, m = _images((2, 28, 28, 1)), degrade.defect_masks(2, (28, 28), seed=0).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict([x, m], verbose=0), model.predict([x, m], verbose=0))


def test_inpainting_training_reduces_loss(sample):
    x_train, _ = sample
    keras.utils.set_random_seed(0)
    model = restore.build_inpainting_unet(width=8)
    damaged, clean, masks = degrade.make_pairs(x_train[:512], "defects", seed=0)
    history = train_image_to_image(model, [damaged, masks], clean, epochs=2, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, kwargs, message",
    [
        (restore.build_dncnn, {"channels": 0}, "channels"),
        (restore.build_dncnn, {"depth": 1}, "depth"),
        (restore.build_dncnn, {"width": "64"}, "width"),
        (restore.build_inpainting_unet, {"width": 0}, "width"),
        (restore.build_inpainting_unet, {"channels": 1.0}, "channels"),
    ],
)
def test_bad_builder_arguments(build, kwargs, message):
    with pytest.raises(ValueError, match=message):
        build(**kwargs)


def test_training_helper_errors():
    model = restore.build_dncnn(width=4, depth=3)
    x = _images((8, 28, 28, 1))
    with pytest.raises(ValueError, match="smaller than one batch"):
        train_image_to_image(model, x, x, batch_size=16, verbose=0)
    with pytest.raises(TypeError, match="uint8"):
        train_image_to_image(model, np.zeros((8, 28, 28, 1), np.uint8), x, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        train_image_to_image(model, x * 3, x, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"channel axis"):
        train_image_to_image(model, x[..., 0], x, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match="NaN"):
        train_image_to_image(model, np.full_like(x, np.nan), x, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match="targets has shape"):
        train_image_to_image(model, x, x[:, :14, :14], batch_size=4, verbose=0)
    with pytest.raises(ValueError, match="expects"):
        train_image_to_image(model, np.repeat(x, 3, axis=-1), np.repeat(x, 3, axis=-1), batch_size=4, verbose=0)
    with pytest.raises(ValueError, match="holds 4 images"):
        train_image_to_image(model, x, x[:4], batch_size=4, verbose=0)
    with pytest.raises(ValueError, match="loss"):
        train_image_to_image(model, x, x, batch_size=4, loss="ssim", verbose=0)
    with pytest.raises(ValueError, match="learning_rate"):
        train_image_to_image(model, x, x, batch_size=4, learning_rate=0, verbose=0)
    with pytest.raises(TypeError, match="keras.Model"):
        train_image_to_image("model", x, x, batch_size=4, verbose=0)
    unet = restore.build_inpainting_unet(width=4)
    with pytest.raises(ValueError, match="2 input"):
        train_image_to_image(unet, x, x, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        train_image_to_image(unet, [x, x], x, batch_size=4, verbose=0)


def test_training_helper_validation_data_and_l1():
    keras.utils.set_random_seed(0)
    model = restore.build_dncnn(width=4, depth=3)
    x = _images((16, 12, 12, 1))
    noisy = degrade.add_gaussian_noise(x, 25, seed=0)
    history = train_image_to_image(model, noisy, x, epochs=1, batch_size=8, loss="l1",
                                          validation_data=(noisy[:4], x[:4]), verbose=0)
    assert set(history.history) >= {"loss", "val_loss"}
