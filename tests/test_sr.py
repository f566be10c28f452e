"""Super-resolution builders: shapes, full convolutionality, bicubic start, sub-pixel layer, saving, training."""

import keras
import numpy as np
import pytest

from prodimg_lib import data
from prodimg_lib.data import degrade
from prodimg_lib.enhancement import classical
from prodimg_lib.enhancement.fit import train_image_to_image
from prodimg_lib.evaluation import image_quality
from prodimg_lib.enhancement.models import sr


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


@pytest.fixture(scope="module")
def sample():
    """Sample train and test images (N, 28, 28, 1) in [-1, 1]."""
    s = data.load_sample()
    return data.to_minus_one_one(s.x_train)[..., None], data.to_minus_one_one(s.x_test)[..., None]


@pytest.mark.parametrize("build", [sr.build_espcn, sr.build_edsr])
@pytest.mark.parametrize("factor", [2, 3, 4])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_and_range(build, factor, channels):
    model = build(factor, channels, width=8)
    assert model.input_shape == (None, None, None, channels)
    out = keras.ops.convert_to_numpy(model(_images((2, 7, 5, channels)), training=False))
    assert out.shape == (2, 7 * factor, 5 * factor, channels)
    assert out.min() >= -1.0 and out.max() <= 1.0


def test_course_shapes_and_fully_convolutional():
    x2, x4 = sr.build_espcn(2, width=8), sr.build_edsr(4, width=8, blocks=2)
    assert x2.predict(_images((3, 14, 14, 1)), verbose=0).shape == (3, 28, 28, 1)
    assert x4.predict(_images((3, 7, 7, 1)), verbose=0).shape == (3, 28, 28, 1)
    # the same models on a bigger, non-square colour-sized input
    assert x2.predict(_images((1, 20, 31, 1)), verbose=0).shape == (1, 40, 62, 1)
    assert x4.predict(_images((1, 9, 4, 1)), verbose=0).shape == (1, 36, 16, 1)


def test_edsr_structure():
    model = sr.build_edsr(4, width=8, blocks=3)
    names = [layer.name for layer in model.layers]
    assert [n for n in names if n.endswith("_subpixel")] == ["up1_subpixel", "up2_subpixel"]  # x4 = two x2 stages
    assert sum(n.startswith("block") and n.endswith("_add") for n in names) == 3
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)
    assert sr.build_edsr(2, width=8, blocks=0).count_params() < model.count_params()


@pytest.mark.parametrize("build", [sr.build_espcn, sr.build_edsr])
def test_untrained_residual_model_is_pixel_replication(build):
    x = _images((2, 7, 7, 3), seed=1)
    model = build(4, 3, width=8)
    np.testing.assert_allclose(model.predict(x, verbose=0), classical.upscale(x, 4, "nearest"), atol=1e-6)


def test_tanh_output_option():
    model = sr.build_espcn(2, width=8, residual=False)
    assert model.layers[-1].name == "output" and model.layers[-1].get_config()["activation"] == "tanh"
    out = model.predict(_images((2, 5, 5, 1)) * 50, verbose=0)  # saturating input
    assert out.min() >= -1.0 and out.max() <= 1.0


@pytest.mark.parametrize("r, channels", [(2, 1), (2, 3), (3, 2), (4, 1)])
def test_depth_to_space_matches_keras_op(r, channels):
    inputs = keras.Input(shape=(None, None, channels * r * r))
    model = keras.Model(inputs, sr.depth_to_space(inputs, r, name="shuffle"))
    assert model.trainable_weights == []  # a frozen permutation
    for shape in ((2, 3, 4), (1, 5, 2)):
        x = _images((*shape, channels * r * r))
        expected = keras.ops.convert_to_numpy(keras.ops.depth_to_space(x, r))
        np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    # channel (i * r + j) * C + c lands in block row i, column j
    one = keras.Input(shape=(1, 1, 4))
    pixel = np.arange(4, dtype=np.float32).reshape(1, 1, 1, 4)
    block = keras.Model(one, sr.depth_to_space(one, 2)).predict(pixel, verbose=0)
    np.testing.assert_array_equal(block[0, ..., 0], [[0, 1], [2, 3]])


def test_depth_to_space_errors():
    with pytest.raises(ValueError, match="block_size"):
        sr.depth_to_space(keras.Input(shape=(4, 4, 4)), 1)
    with pytest.raises(ValueError, match="divisible by 4"):
        sr.depth_to_space(keras.Input(shape=(4, 4, 6)), 2)


def test_only_standard_layers():
    for model in (sr.build_espcn(2, width=8), sr.build_edsr(4, width=8, blocks=1)):
        assert all(type(layer).__module__.startswith("keras.") for layer in model.layers)
        shuffles = [layer for layer in model.layers if layer.name.endswith("subpixel")]
        assert shuffles and not any(layer.trainable for layer in shuffles)


@pytest.mark.parametrize("build", [sr.build_espcn, sr.build_edsr])
def test_save_and_load_in_safe_mode(build, tmp_path):
    model = build(2, 1, width=8)
    rng = np.random.default_rng(0)
    for layer in model.layers:  # non-zero weights everywhere, so the check is not trivial
        if layer.trainable:
            layer.set_weights([rng.normal(0, 0.1, w.shape).astype(np.float32) for w in layer.get_weights()])
    path = tmp_path / "sr.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    x = _images((2, 9, 6, 1))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert not loaded.get_layer("subpixel" if build is sr.build_espcn else "up1_subpixel").trainable


def test_saved_model_loads_in_a_fresh_process(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "sr_x2.keras"
    sr.build_espcn(2, width=4).save(path)
    code = (
        "import keras, numpy as np, prodimg_lib; "
        f"m = keras.models.load_model({str(path)!r}, safe_mode=True); "
        "print(m.predict(np.zeros((1, 14, 14, 1), 'float32'), verbose=0).shape)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "(1, 28, 28, 1)" in result.stdout


def test_training_on_sample_beats_bicubic(sample):
    x_train, x_test = sample
    keras.utils.set_random_seed(0)
    model = sr.build_espcn(2, width=16)
    history = train_image_to_image(model, degrade.downscale(x_train, 2), x_train, epochs=3, batch_size=32,
                                          learning_rate=2e-3, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    low = degrade.downscale(x_test, 2)
    assert image_quality.psnr(x_test, model.predict(low, verbose=0)) > image_quality.psnr(x_test, classical.upscale(low, 2))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"factor": 5}, "factor"),
        ({"factor": True}, "factor"),
        ({"factor": 2, "channels": 0}, "channels"),
        ({"factor": 2, "width": 2.5}, "width"),
    ],
)
def test_bad_arguments(kwargs, message):
    for build in (sr.build_espcn, sr.build_edsr):
        with pytest.raises(ValueError, match=message):
            build(**kwargs)
    with pytest.raises(ValueError, match="blocks"):
        sr.build_edsr(2, blocks=-1)
