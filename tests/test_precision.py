"""Mixed precision (the gpu profile's ``mixed_bfloat16``): the models compute in bfloat16 but keep
their outputs, and so their losses, in float32 (``course.profiles.configure_keras`` sets the policy)."""

import keras
import numpy as np
import pytest
from keras import ops

from prodimg_lib.course.profiles import configure_keras, get_profile
from prodimg_lib.enhancement.fit import train_image_to_image
from prodimg_lib.enhancement.models import restore, sr, tone
from prodimg_lib.generation import dcgan


@pytest.fixture
def mixed_bfloat16():
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    yield
    keras.mixed_precision.set_global_policy(before)


def _weighted_layer_dtypes(model) -> set:
    """The compute dtypes of the layers that hold weights (convolutions, dense, normalisation)."""
    return {layer.compute_dtype for layer in model.layers if layer.weights}


BUILDERS = {
    "generator": (lambda: dcgan.build_generator(latent_dim=8, width=4), lambda: np.zeros((2, 8), "float32")),
    "discriminator": (lambda: dcgan.build_discriminator(width=4), lambda: np.zeros((2, 28, 28, 1), "float32")),
    "conditional_generator": (lambda: dcgan.build_conditional_generator(latent_dim=8, num_classes=10, width=4),
                              lambda: [np.zeros((2, 8), "float32"), np.array([1, 2])]),
    "conditional_discriminator": (lambda: dcgan.build_conditional_discriminator(num_classes=10, width=4),
                                  lambda: [np.zeros((2, 28, 28, 1), "float32"), np.array([1, 2])]),
    "espcn": (lambda: sr.build_espcn(2, width=8), lambda: np.zeros((2, 14, 14, 1), "float32")),
    "edsr": (lambda: sr.build_edsr(2, width=8, blocks=1), lambda: np.zeros((2, 14, 14, 1), "float32")),
    "dncnn": (lambda: restore.build_dncnn(width=8, depth=3), lambda: np.zeros((2, 28, 28, 1), "float32")),
    "inpainting_unet": (lambda: restore.build_inpainting_unet(width=8),
                        lambda: [np.zeros((2, 28, 28, 1), "float32"), np.ones((2, 28, 28, 1), "float32")]),
    "curve_estimator": (lambda: tone.build_curve_estimator(width=4, iterations=2),
                        lambda: np.zeros((2, 16, 16, 3), "float32")),
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_models_compute_in_bfloat16_and_output_float32(mixed_bfloat16, name):
    build, inputs = BUILDERS[name]
    model = build()
    assert "bfloat16" in _weighted_layer_dtypes(model), f"{name}: its layers should compute in bfloat16"
    assert all(w.dtype == "float32" for w in model.weights), f"{name}: weights stay float32 under mixed precision"
    output = model(inputs(), training=False)
    dtype = keras.backend.standardize_dtype(output.dtype)
    assert dtype == "float32", f"{name} outputs {dtype}; its loss would be computed in bfloat16"


@pytest.mark.skipif(keras.backend.backend() == "torch",
                    reason="PyTorch's CPU convolution has no bfloat16 backward pass (slow_conv2d: grad_weight "
                           "must be contiguous); on a GPU it has")
def test_an_enhancement_model_trains_under_mixed_bfloat16(mixed_bfloat16):
    rng = np.random.default_rng(0)
    clean = rng.uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    low = clean.reshape(64, 14, 2, 14, 2, 1).mean(axis=(2, 4))
    model = sr.build_edsr(2, width=8, blocks=1)
    history = train_image_to_image(model, low, clean, epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    estimate = ops.convert_to_numpy(model(low[:2]))
    assert estimate.dtype == np.float32 and np.abs(estimate).max() <= 1


def test_configure_keras_sets_the_profile_policy():
    before = keras.mixed_precision.global_policy()
    try:
        assert configure_keras(get_profile("cpu")) == "float32"
        assert keras.mixed_precision.global_policy().name == "float32"
        bf16 = get_profile("smoke", precision="mixed_bfloat16")
        assert configure_keras(bf16) == "mixed_bfloat16"
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        with pytest.raises(ValueError, match="precision"):
            configure_keras(get_profile("smoke", precision="mixed_float16"))
    finally:
        keras.mixed_precision.set_global_policy(before)
