import warnings

import keras
import numpy as np
import pytest

from prodimg_lib import data
from prodimg_lib.data import as_model_images
from prodimg_lib.data import augment
from prodimg_lib.evaluation.classifier import build_classifier, feature_extractor, train_classifier


@pytest.fixture(scope="module")
def sample():
    """The committed sample as model input: (x_train, y_train, x_test, y_test), images (N, 28, 28, 1) in [-1, 1]."""
    s = data.load_sample()
    return data.to_minus_one_one(s.x_train)[..., None], s.y_train, data.to_minus_one_one(s.x_test)[..., None], s.y_test


@pytest.fixture(scope="module")
def trained(sample, tmp_path_factory):
    """A narrow classifier fitted for one epoch on the sample with augmentation, its history and saved path."""
    x_train, y_train, x_test, y_test = sample
    keras.utils.set_random_seed(0)
    model = build_classifier(width=8)
    history = train_classifier(
        model, x_train, y_train, x_test, y_test, epochs=1, batch_size=32, augmenter=augment.build_augmenter(seed=0), verbose=0
    )
    path = tmp_path_factory.mktemp("models") / "classifier.keras"
    model.save(path)
    return model, history, path


def test_build_shapes_and_layers():
    model = build_classifier()
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    assert model.get_layer("features").output.shape == (None, 128)
    assert model.layers[-1].get_config()["activation"] == "softmax"
    # Only standard Keras layers: the model loads in safe mode without custom objects.
    assert all(type(layer).__module__.startswith("keras.") for layer in model.layers)
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in model.layers)
    # 'same' padding: only the three poolings shrink the maps.
    assert [model.get_layer(f"conv{i}").output.shape[1:] for i in (1, 2, 3)] == [(28, 28, 32), (14, 14, 64), (7, 7, 128)]


def test_build_options():
    model = build_classifier(width=4, num_classes=3, input_shape=(32, 32, 3), dropout=0.0, features=16)
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 3)
    assert model.get_layer("features").output.shape == (None, 16)
    probabilities = model.predict(np.zeros((2, 32, 32, 3), np.float32), verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"width": 0}, "width"),
        ({"num_classes": 1}, "num_classes"),
        ({"dropout": 1.0}, "dropout"),
        ({"input_shape": (28, 28)}, "input_shape"),
        ({"input_shape": (4, 4, 1)}, "input_shape"),
    ],
)
def test_bad_build_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_classifier(**kwargs)


def test_feature_extractor_outputs_the_features_layer(trained, sample):
    model = trained[0]
    extractor = feature_extractor(model)
    x = sample[2][:16]
    features = extractor.predict(x, verbose=0)
    assert features.shape == (16, 128) and features.min() >= 0.0
    # The same activations as the classifier's "features" layer: the extractor shares its weights.
    probe = keras.Model(model.inputs, [model.get_layer("features").output, model.output])
    np.testing.assert_allclose(features, probe.predict(x, verbose=0)[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="no layer named 'features'"):
        feature_extractor(keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()]))
    with pytest.raises(TypeError, match="keras.Model"):
        feature_extractor("classifier.keras")


def test_one_epoch_on_the_sample_learns_something(trained, sample):
    model, history, _ = trained
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
    # Chance is 0.1; one augmented epoch of a narrow model reaches about 0.3.
    assert history.history["accuracy"][0] > 0.2 and history.history["val_accuracy"][0] > 0.2
    # The augmenter trained the model but is not part of it.
    assert not any("augmenter" in layer.name for layer in model.layers)
    assert model.compiled


def test_training_without_augmentation_or_validation(sample):
    x_train, y_train, _, _ = sample
    keras.utils.set_random_seed(0)
    model = build_classifier(width=4, features=16)
    history = train_classifier(model, x_train[:256], y_train[:256], epochs=1, batch_size=64, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}


def test_save_and_load_in_safe_mode_gives_identical_predictions(trained, sample):
    model, _, path = trained
    loaded = keras.models.load_model(path, safe_mode=True)
    x = sample[2][:32]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        feature_extractor(loaded).predict(x, verbose=0), feature_extractor(model).predict(x, verbose=0), atol=1e-6
    )


def test_bad_training_input_is_a_clear_error(sample):
    x_train, y_train, x_test, y_test = sample
    model = build_classifier(width=4, features=8)
    fit = lambda x=x_train, y=y_train, **kw: train_classifier(model, x, y, epochs=1, batch_size=kw.pop("batch_size", 100), verbose=0, **kw)
    raw = data.load_sample().x_train
    with pytest.raises(TypeError, match=r"uint8.*to_minus_one_one\(x_train\)\[\.\.\., None\]"):
        fit(raw)
    with pytest.raises(ValueError, match=r"channel axis.*x_train\[\.\.\., None\]"):
        fit(x_train[..., 0])
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\)"):
        fit(x_train[:, :27])
    with pytest.raises(ValueError, match=r"\[-1, 1\].*to_minus_one_one"):
        fit(x_train * 127.5 + 127.5)
    with pytest.raises(ValueError, match="NaN"):
        fit(np.where(x_train > 0.5, np.nan, x_train))
    with pytest.raises(ValueError, match=r"y_train must be in \[0, 10\)"):
        fit(y=y_train.astype(int) + 1)
    with pytest.raises(ValueError, match="one-hot"):
        fit(y=np.eye(10)[y_train])
    with pytest.raises(TypeError, match="integer class indices"):
        fit(y=y_train.astype(np.float32))
    with pytest.raises(ValueError, match=r"shape \(1000,\)"):
        fit(y=y_train[:10])
    with pytest.raises(ValueError, match="smaller than one batch"):
        fit(x_train[:50], y_train[:50])
    with pytest.raises(ValueError, match="both x_val and y_val"):
        fit(x_val=x_test)
    with pytest.raises(TypeError, match="x_val are uint8"):
        fit(x_val=data.load_sample().x_test, y_val=y_test)
    with pytest.raises(ValueError, match="epochs"):
        train_classifier(model, x_train, y_train, epochs=0, batch_size=10)


def test_images_in_zero_one_warn():
    x = np.random.default_rng(0).uniform(0, 1, (4, 28, 28, 1)).astype(np.float32)
    with pytest.warns(UserWarning, match="1/255"):
        as_model_images(x, "x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert as_model_images(x * 2 - 1, "x").dtype == np.float32
        assert as_model_images((x * 2 - 1).astype(np.float64), "x").dtype == np.float32
