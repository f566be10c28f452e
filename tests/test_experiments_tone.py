"""Recipes of notebook 11: per-image darkening, the tuned classical baselines, the curve-estimator run, checkers."""

import keras
import numpy as np
import pytest

from prodimg_lib.data import degrade
from prodimg_lib.course.profiles import get_profile
from prodimg_lib.course.exercises import colour_and_tone as exercises
from prodimg_lib.enhancement import classical
from prodimg_lib.experiments import tone
from prodimg_lib.experiments.common import TrainedRun


def _colour(shape=(2, 12, 12, 3), seed=0, low=-0.8, high=0.6):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


def test_darken_draws_per_image_parameters_reproducibly(sample):
    dark, clean, params = tone.darken(sample.x_test[:50], seed=1)
    assert dark.shape == clean.shape == (50, 28, 28, 1) and dark.dtype == np.float32
    g, e = params["gamma"], params["exposure"]
    assert g.min() >= tone.DARK_GAMMA[0] and g.max() <= tone.DARK_GAMMA[1] and g.std() > 0.1
    assert e.min() >= tone.DARK_EXPOSURE[0] and e.max() <= tone.DARK_EXPOSURE[1] and e.std() > 0.03
    np.testing.assert_array_equal(dark, degrade.low_light(clean, gamma=g, exposure=e))
    np.testing.assert_array_equal(dark, tone.darken(sample.x_test[:50], seed=1)[0])
    assert not np.array_equal(dark, tone.darken(sample.x_test[:50], seed=2)[0])
    fixed, _, p = tone.darken(clean[:3], gamma=2.0, exposure=0.4)
    np.testing.assert_array_equal(p["gamma"], [2.0] * 3)
    np.testing.assert_allclose(fixed, degrade.low_light(clean[:3], 2.0, 0.4))


@pytest.mark.parametrize(
    "kwargs, message",
    [({"gamma": (2.0, 1.0)}, "gamma"), ({"exposure": (0.5, 1.5)}, "exposure"), ({"gamma": (1, 2, 3)}, "gamma"),
     ({"exposure": 0.0}, "exposure")],
)
def test_darken_rejects_bad_ranges(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tone.darken(np.zeros((2, 4, 4, 1), np.float32), **kwargs)


def test_darken_rejects_bad_images():
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        tone.darken(np.full((2, 4, 4, 1), 3.0, np.float32))
    with pytest.raises(TypeError):
        tone.darken(np.zeros((2, 4, 4, 1), np.int32))


def test_split_held_out(sample):
    fit, held = tone.split_held_out(np.arange(800))
    assert len(held) == 100 and len(fit) == 700 and held[0] == 700
    fit, held = tone.split_held_out(np.arange(10_000))
    assert len(held) == tone.HELD_OUT
    with pytest.raises(ValueError, match="at least 8"):
        tone.split_held_out(np.arange(5))


def test_settings_follow_the_profile():
    for name in ("smoke", "cpu", "gpu"):
        profile = get_profile(name)
        settings = tone.tone_settings(profile)
        assert settings["epochs"] == profile.tone_epochs and settings["width"] >= 4


def test_train_evaluate_save_and_load(sample, tmp_path):
    profile = get_profile("smoke")
    fit, held = tone.split_held_out(sample.x_train[:256])
    run = tone.train_curve_estimator(fit, profile, validation=held, verbose=0, log=None)
    assert run.n_train == len(fit) and "val_loss" in run.history and run.seconds > 0
    assert isinstance(run, TrainedRun) and run.name == "curve estimator"  # the experiments' one run record
    dark, clean, _ = tone.darken(sample.x_test[:30], 0)
    tuned = {"levels_gamma": {"params": dict(tone.PREPARE), "psnr": 0.0}}
    rows, outputs = tone.evaluate(dark, clean, tuned, run)
    assert [r["key"] for r in rows] == ["dark", "levels_gamma", "curve_estimator"]
    assert all(np.isfinite(r["psnr"]) and 0 < r["ssim"] <= 1 for r in rows)
    assert outputs["curve_estimator"].shape == clean.shape
    assert rows[-1]["psnr"] > rows[0]["psnr"] + 10  # far brighter than the dark input
    # colour: each channel through the grayscale model
    photo = _colour((16, 20, 3))
    assert tone.enhance_colour(run, photo).shape == photo.shape
    # the saved model loads in safe mode and gives the same output
    run.model.save(tmp_path / "tone.keras")
    loaded = keras.models.load_model(tmp_path / "tone.keras", safe_mode=True)
    x = classical.levels_gamma(dark, **run.prepare)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), run.model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(TypeError, match="ToneRun"):
        tone.enhance_images(run.model, dark)
    with pytest.raises(ValueError, match="enhance_colour"):
        tone.enhance_images(run, np.zeros((1, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="grayscale"):
        tone.train_curve_estimator(np.zeros((70, 8, 8, 3), np.float32), profile, verbose=0, log=None)


def test_tune_classical_on_a_few_images(sample):
    dark, clean, _ = tone.darken(sample.x_test[:12], 5)
    tuned = tone.tune_classical(dark, clean, log=None)
    assert set(tuned) == set(tone.CLASSICAL_GRIDS)
    for name, entry in tuned.items():
        assert set(entry["params"]) == set(tone.CLASSICAL_GRIDS[name])
    assert tuned["levels_gamma"]["psnr"] > tuned["adjust_gamma"]["psnr"] > tuned["equalize_hist"]["psnr"]


def test_checkers_accept_the_reference_and_reject_mistakes():
    assert exercises.check_le_curve(tone.le_curve)
    assert not exercises.check_le_curve(None)
    wrong = exercises.check_le_curve(lambda u, a, iterations: u + a * u)
    assert not wrong and "(1 - u)" in wrong.message
    assert exercises.check_undo_low_light(classical.undo_low_light)
    wrong = exercises.check_undo_low_light(lambda d, g, e: 2 * ((d + 1) / 2 / e) ** g - 1)
    assert not wrong and "1 / gamma" in wrong.message
    assert exercises.check_auto_gamma(lambda m, t: np.log(t) / np.log(m))
    wrong = exercises.check_auto_gamma(lambda m, t: np.log(m) / np.log(t))
    assert not wrong and "Upside down" in wrong.message
    assert exercises.check_grey_world(classical.grey_world)
    assert not exercises.check_grey_world(...)
    assert not exercises.check_grey_world(lambda x: 1 / 0)

