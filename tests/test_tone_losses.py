"""Zero-DCE's no-reference losses: each against NumPy, their zeros, and a no-reference training that brightens."""

import keras
import numpy as np
import pytest
from keras import ops

from prodimg_lib.course.exercises.colour_and_tone import exposure_loss_reference
from prodimg_lib.enhancement.models import tone, tone_losses


def _value(tensor) -> float:
    return float(keras.ops.convert_to_numpy(tensor))


def _grey_blocks(u, region):
    n, h, w, _ = u.shape
    grey = u.mean(axis=-1)[:, :h // region * region, :w // region * region]
    return grey.reshape(n, h // region, region, w // region, region).mean(axis=(2, 4))


def test_exposure_loss_matches_the_exercise_reference():
    u = np.random.default_rng(0).uniform(0, 1, (2, 32, 48, 3)).astype(np.float32)
    for level, patch in ((0.6, 16), (0.5, 4)):
        got = _value(tone_losses.exposure_loss(ops.convert_to_tensor(u), level, patch))
        assert got == pytest.approx(exposure_loss_reference(u, level, patch), rel=1e-5)


def test_spatial_consistency_against_numpy_and_its_zeros():
    rng = np.random.default_rng(1)
    dark = rng.uniform(0, 0.3, (2, 16, 24, 3)).astype(np.float32)
    assert _value(tone_losses.spatial_consistency_loss(dark, dark)) == pytest.approx(0.0, abs=1e-10)
    # a uniform brightening keeps every difference between neighbouring regions
    assert _value(tone_losses.spatial_consistency_loss(dark, dark + 0.4)) == pytest.approx(0.0, abs=1e-10)
    bright = np.clip(dark * 3.0, 0, 1)
    y, i = _grey_blocks(bright, 4), _grey_blocks(dark, 4)
    across = (np.abs(np.diff(y, axis=2)) - np.abs(np.diff(i, axis=2))) ** 2
    down = (np.abs(np.diff(y, axis=1)) - np.abs(np.diff(i, axis=1))) ** 2
    expected = (across.sum() + down.sum()) / (across.size + down.size)
    got = _value(tone_losses.spatial_consistency_loss(dark, bright))
    assert expected > 1e-4 and got == pytest.approx(expected, rel=1e-5)


def test_colour_constancy_loss():
    grey = np.full((1, 8, 8, 3), 0.3, np.float32)
    assert _value(tone_losses.colour_constancy_loss(grey)) == pytest.approx(0.0, abs=1e-12)
    tinted = np.concatenate([np.full((1, 8, 8, 1), v, np.float32) for v in (0.6, 0.4, 0.2)], axis=-1)
    assert _value(tone_losses.colour_constancy_loss(tinted)) == pytest.approx(0.2**2 + 0.4**2 + 0.2**2, rel=1e-5)
    with pytest.raises(ValueError, match="colour images"):
        tone_losses.colour_constancy_loss(grey[..., :1])


def test_illumination_smoothness_loss():
    flat = np.full((2, 6, 7, 4), 0.5, np.float32)
    assert _value(tone_losses.illumination_smoothness_loss(flat)) == pytest.approx(0.0, abs=1e-12)
    ramp = np.broadcast_to((np.arange(7, dtype=np.float32) * 0.1)[:, None], (2, 6, 7, 4))
    assert _value(tone_losses.illumination_smoothness_loss(ramp)) == pytest.approx(0.01, rel=1e-5)


def test_zero_reference_loss_weights_are_checked():
    with pytest.raises(ValueError, match="exactly"):
        tone_losses.zero_reference_loss({"spatial": 1.0})


def test_no_reference_training_brightens_dark_images():
    """Trained on dark images alone, the curve estimator brings their exposure towards the level E."""
    rng = np.random.default_rng(2)
    base = rng.uniform(0.05, 0.25, (32, 1, 1, 3))
    texture = rng.uniform(0.8, 1.2, (32, 32, 32, 3))
    dark = (2 * np.clip(base * texture, 0, 1) - 1).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = tone.build_curve_estimator(3, width=8, iterations=4)
    maps = tone.curve_parameters(model).output
    trainer = keras.Model(model.inputs, [model.output, maps])
    trainer.compile(keras.optimizers.Adam(3e-3),
                    loss=[tone_losses.zero_reference_loss(), tone_losses.smoothness_loss()])
    before = _value(tone_losses.exposure_loss((ops.convert_to_tensor(dark) + 1) / 2))
    trainer.fit(dark, [dark, np.zeros((32, 1, 1, 1), np.float32)], batch_size=8, epochs=12, verbose=0)
    out = model.predict(dark, verbose=0)
    after = _value(tone_losses.exposure_loss((ops.convert_to_tensor(out) + 1) / 2))
    assert out.mean() > dark.mean() + 0.2
    assert after < 0.6 * before
