import keras
import numpy as np
import pytest

from prodimg_lib import data
from prodimg_lib.data import augment


@pytest.fixture(scope="module")
def images():
    """64 sample images, float32 (64, 28, 28, 1) in [-1, 1]."""
    return data.to_minus_one_one(data.load_sample().x_train[:64])[..., None]


def test_output_shape_dtype_and_range_are_preserved(images):
    out = augment.augment_batch(images, seed=0, batch_size=24)
    assert out.shape == images.shape and out.dtype == np.float32
    assert out.min() >= -1.0 and out.max() <= 1.0
    direct = keras.ops.convert_to_numpy(augment.build_augmenter(seed=0)(images, training=True))
    assert direct.shape == images.shape and direct.dtype == np.float32
    assert direct.min() >= -1.0 - 1e-5 and direct.max() <= 1.0 + 1e-5
    # Three-channel photos of another size work too.
    photos = np.random.default_rng(0).uniform(-1, 1, (3, 40, 36, 3)).astype(np.float32)
    assert augment.augment_batch(photos, seed=1).shape == photos.shape


def test_all_strengths_zero_is_the_identity(images):
    augmenter = augment.build_augmenter(flip=False, rotation=0, translation=0, zoom=0)
    assert [layer.name for layer in augmenter.layers] == ["identity"]
    out = keras.ops.convert_to_numpy(augmenter(images, training=True))
    np.testing.assert_array_equal(out, images)
    np.testing.assert_array_equal(augment.augment_batch(images, augmenter), images)


def test_layers_follow_the_strengths():
    names = [layer.name for layer in augment.build_augmenter(flip=True, rotation=0, translation=0.1, zoom=0).layers]
    assert names == ["flip", "translation"]
    default = augment.build_augmenter()
    assert [type(layer).__name__ for layer in default.layers] == ["RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom"]
    for layer in default.layers[1:]:
        assert layer.fill_mode == "constant" and layer.fill_value == -1.0
    assert default.layers[0].mode == "horizontal"


def test_augmentation_changes_images_when_on(images):
    out = augment.augment_batch(images, seed=0)
    changed = np.abs(out - images).reshape(len(images), -1).max(axis=1) > 1e-3
    assert changed.mean() > 0.9
    # Each geometric layer on its own changes images too.
    for kwargs in ({"rotation": 0.1}, {"translation": 0.2}, {"zoom": 0.3}):
        settings = {"flip": False, "rotation": 0, "translation": 0, "zoom": 0, **kwargs}
        single = augment.augment_batch(images, augment.build_augmenter(seed=0, **settings))
        assert np.abs(single - images).max() > 0.5, kwargs


def test_uncovered_pixels_get_the_background_not_a_reflection():
    white = np.ones((16, 28, 28, 1), dtype=np.float32)
    shifted = augment.augment_batch(white, augment.build_augmenter(False, 0, 0.3, 0, seed=0))
    # "reflect" would keep a white image white; a constant fill brings in the black background.
    assert shifted.min() == pytest.approx(-1.0)
    grey = augment.augment_batch(white, augment.build_augmenter(False, 0, 0.3, 0, seed=0, fill_value=0.0))
    assert grey.min() == pytest.approx(0.0)


def test_inactive_at_inference(images):
    augmenter = augment.build_augmenter(seed=0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(augmenter(images, training=False)), images)
    # Inside a model, predict runs the layers with training=False.
    model = keras.Sequential([keras.Input((28, 28, 1)), augmenter, keras.layers.Identity()])
    np.testing.assert_allclose(model.predict(images, verbose=0), images)


def test_deterministic_with_a_seed(images):
    first = augment.augment_batch(images, seed=5)
    np.testing.assert_array_equal(first, augment.augment_batch(images, seed=5))
    assert not np.allclose(first, augment.augment_batch(images, seed=6))
    a, b = augment.build_augmenter(seed=7), augment.build_augmenter(seed=7)
    first_a = augment.augment_batch(images, a)
    np.testing.assert_array_equal(first_a, augment.augment_batch(images, b))
    # The same augmenter draws new transforms on each call.
    assert not np.allclose(first_a, augment.augment_batch(images, a))


def test_input_is_not_modified(images):
    before = images.copy()
    augment.augment_batch(images, seed=0)
    np.testing.assert_array_equal(images, before)


def test_works_in_a_tf_data_pipeline(images):
    tf = pytest.importorskip("tensorflow")
    augmenter = augment.build_augmenter(seed=0)
    labels = np.arange(len(images))
    ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(16).map(lambda x, y: (augmenter(x, training=True), y))
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    out = np.concatenate(xs)
    assert out.shape == images.shape and np.array_equal(np.concatenate(ys), labels)
    assert np.abs(out - images).max() > 0.5


def test_wrong_rank_is_a_clear_error(images):
    with pytest.raises(ValueError, match=r"channel axis.*\[\.\.\., None\]"):
        augment.augment_batch(images[..., 0], seed=0)
    with pytest.raises(ValueError, match="rank 4"):
        augment.augment_batch(images[0, ..., 0], seed=0)
    with pytest.raises(ValueError, match="rank 4"):
        augment.augment_batch(images[None], seed=0)


def test_bad_images_and_settings_are_clear_errors(images):
    with pytest.raises(TypeError, match="to_minus_one_one"):
        augment.augment_batch(data.load_sample().x_train[:4, ..., None], seed=0)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        augment.augment_batch(images * 255.0, seed=0)
    with pytest.raises(ValueError, match="NaN"):
        augment.augment_batch(np.full((2, 28, 28, 1), np.nan, dtype=np.float32), seed=0)
    with pytest.raises(ValueError, match="seed applies to the default augmenter"):
        augment.augment_batch(images, augment.build_augmenter(), seed=1)
    with pytest.raises(ValueError, match="rotation"):
        augment.build_augmenter(rotation=-0.1)
    with pytest.raises(ValueError, match="zoom"):
        augment.build_augmenter(zoom=1.5)
    with pytest.raises(TypeError, match="translation"):
        augment.build_augmenter(translation="a lot")
    with pytest.raises(TypeError, match="seed"):
        augment.build_augmenter(seed=1.5)
