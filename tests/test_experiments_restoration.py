"""Restoration experiments of notebook 10: settings, pairs, training, tuning, evaluation, benchmark, checkers."""

import keras
import numpy as np
import pytest

from prodimg_lib import data
from prodimg_lib.course import artifacts
from prodimg_lib.data import degrade
from prodimg_lib.enhancement import classical
from prodimg_lib.evaluation import image_quality
from prodimg_lib.course.profiles import get_profile
from prodimg_lib.course.exercises import restoration as exercises
from prodimg_lib.experiments import restoration as recipe
from prodimg_lib.experiments import tuning

TINY = get_profile("smoke", width=4, restore_epochs=1)
SMALL_GRIDS = {"denoise_tv": {"weight": [0.05, 0.1]}, "denoise_bilateral": {"sigma_color": [0.1], "sigma_spatial": [1.0]},
               "denoise_nl_means": {"h": [0.08]}}


@pytest.fixture(scope="module")
def tiny_runs(sample):
    """A tiny DnCNN and inpainting U-Net, trained for one epoch on 128 sample images."""
    train = sample.x_train[:128]
    return {
        "denoise": recipe.train_denoiser(train, TINY, validation=sample.x_train[128:160], verbose=0, log=None),
        "inpaint": recipe.train_inpainter(train, TINY, validation=sample.x_train[128:160], verbose=0, log=None),
    }


def test_settings_follow_the_profile():
    cpu, gpu = get_profile("cpu"), get_profile("gpu")
    d, i = recipe.restore_settings(cpu, "denoise"), recipe.restore_settings(cpu, "inpaint")
    assert d["epochs"] == cpu.restore_epochs and i["epochs"] == round(1.5 * cpu.restore_epochs)
    assert (d["width"], d["depth"], d["batch_norm"], d["sigma"]) == (cpu.width, 8, False, recipe.TRAIN_SIGMA_RANGE)
    assert i["width"] == cpu.width // 2 and d["test_images"] is None and d["tune_images"] == 200
    deep = recipe.restore_settings(gpu, "denoise")
    assert (deep["depth"], deep["batch_norm"]) == (17, True)
    assert recipe.restore_settings(get_profile("smoke"), "denoise")["test_images"] == 100
    with pytest.raises(ValueError, match="task must be 'denoise' or 'inpaint'"):
        recipe.restore_settings(cpu, "deblur")


def test_held_out_split(sample):
    fit, held = recipe.split_held_out(sample.x_train)
    assert len(held) == min(500, len(sample.x_train) // 8) and len(fit) + len(held) == len(sample.x_train)
    with pytest.raises(ValueError, match="at least 8 training images"):
        recipe.split_held_out(sample.x_train[:7])
    fit, held, test = recipe.load_splits(sample, get_profile("smoke"))
    assert fit.shape[1:] == held.shape[1:] == test.shape[1:] == (28, 28, 1) and fit.dtype == np.float32
    assert len(test) == 100 and len(held) == len(sample.x_train) // 8
    np.testing.assert_array_equal(held, data.to_minus_one_one(sample.x_train[-len(held):])[..., None])


def test_noisy_pairs(sample):
    noisy, clean = recipe.noisy_pairs(sample.x_test[:6], 25, seed=3)  # uint8 (N, 28, 28) accepted
    assert noisy.shape == clean.shape == (6, 28, 28, 1) and noisy.dtype == np.float32
    np.testing.assert_array_equal(noisy, degrade.add_gaussian_noise(clean, 25, seed=3))
    np.testing.assert_array_equal(noisy, recipe.noisy_pairs(sample.x_test[:6], 25, seed=3)[0])
    # A range gives each image its own level: the noise of a flat grey image shows it.
    grey = np.zeros((200, 28, 28, 1), np.float32)
    spread = (recipe.noisy_pairs(grey, (5, 55), seed=0)[0] * 255 / 2).std(axis=(1, 2, 3))
    assert 4 < spread.min() < 10 and 50 < spread.max() < 60
    for bad in (-1, "25", (30, 10), (1, 2, 3), float("nan")):
        with pytest.raises(ValueError, match="sigma"):
            recipe.noisy_pairs(sample.x_test[:2], bad)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        recipe.noisy_pairs(np.full((2, 28, 28, 1), 3.0, np.float32))
    with pytest.raises(TypeError, match="uint8 pixels or float"):
        recipe.noisy_pairs(np.zeros((2, 28, 28, 1), np.int64))


def test_defect_pairs_touch_the_product(sample):
    damaged, clean, masks = recipe.defect_pairs(sample.x_test[:40], seed=1)
    assert masks.dtype == bool and masks.shape == (40, 28, 28, 1)
    assert np.all(np.any(masks & (clean > -1 + 1e-6), axis=(1, 2, 3)))
    np.testing.assert_array_equal(damaged[masks], recipe.DEFECT_FILL)
    np.testing.assert_array_equal(damaged[~masks], clean[~masks])
    fractions = masks.mean(axis=(1, 2, 3))
    assert fractions.min() >= degrade.DEFECT_FRACTION[0] - 0.01 and fractions.max() <= degrade.DEFECT_FRACTION[1] + 0.01
    again = recipe.defect_pairs(sample.x_test[:40], seed=1)[2]
    np.testing.assert_array_equal(masks, again)


def test_training_and_inference(tiny_runs, sample):
    den, inp = tiny_runs["denoise"], tiny_runs["inpaint"]
    assert den.name == "DnCNN (learned)" and den.settings["sigma"] == recipe.TRAIN_SIGMA_RANGE and den.n_train == 128
    assert set(den.history) == {"loss", "val_loss"} and len(den.history["loss"]) == 1 and den.seconds > 0
    noisy, _ = recipe.noisy_pairs(sample.x_test[:3], 25)
    out = recipe.denoise(den, noisy, batch_size=2)
    assert out.shape == (3, 28, 28, 1) and out.min() >= -1 and out.max() <= 1
    damaged, clean, masks = recipe.defect_pairs(sample.x_test[:3])
    repaired = recipe.inpaint(inp, damaged, masks)
    np.testing.assert_allclose(repaired[~masks], clean[~masks], atol=1e-6)  # known pixels are kept
    with pytest.raises(ValueError, match="masks has shape"):
        recipe.inpaint(inp, damaged, masks[:2])
    with pytest.raises(ValueError, match="grayscale"):
        recipe.train_denoiser(np.zeros((64, 28, 28, 3), np.float32), TINY, verbose=0, log=None)
    with pytest.raises(ValueError, match="smaller than one batch"):
        recipe.train_inpainter(sample.x_train[:10], TINY, verbose=0, log=None)
    one_level = recipe.train_denoiser(sample.x_train[:64], TINY, sigma=25, verbose=0, log=None)
    assert one_level.settings["sigma"] == 25.0
    with pytest.raises(ValueError, match="sigma range needs low <= high"):
        recipe.train_denoiser(sample.x_train[:64], TINY, sigma=(50, 10), verbose=0, log=None)


def test_saved_denoiser_loads_in_safe_mode(tiny_runs, sample, tmp_path, monkeypatch):
    monkeypatch.setenv("PRODIMG_BUILD_DIR", str(tmp_path))
    model = tiny_runs["denoise"].model
    path = artifacts.save_model(model, "denoise")
    loaded = keras.models.load_model(path, safe_mode=True)
    noisy, _ = recipe.noisy_pairs(sample.x_test[:4], 25)
    assert loaded.input_shape == (None, None, None, 1)
    np.testing.assert_allclose(loaded.predict(noisy, verbose=0), model.predict(noisy, verbose=0), atol=1e-6)


def test_tuning_and_evaluation(tiny_runs, sample):
    tuned = recipe.tune_denoisers(sample.x_train[-40:], 25, n_images=20, grids=SMALL_GRIDS)
    assert set(tuned) == set(recipe.CLASSICAL_DENOISERS)
    assert tuned["denoise_tv"].params["weight"] in (0.05, 0.1) and len(tuned["denoise_tv"].results) == 2
    with pytest.raises(ValueError, match="no tuning grid"):
        recipe.tune_denoisers(sample.x_train[-40:], 25, grids={"denoise_tv": {"weight": [0.1]}})

    rows, outputs = recipe.evaluate_denoising(tiny_runs["denoise"], tuned, sample.x_test[:12], 25, target_db=4.0)
    assert [r["method"].split(" (")[0] for r in rows] == ["noisy input", "total variation", "bilateral",
                                                           "non-local means", "DnCNN"]
    assert all(r["task"] == "denoise sigma 25" and {"psnr", "ssim", "seconds"} <= set(r) for r in rows)
    best = max(r["psnr"] for r in rows[1:-1])
    assert rows[-1]["gain_db"] == pytest.approx(rows[-1]["psnr"] - best) and rows[-1]["target_db"] == 4.0
    assert rows[0]["psnr"] == pytest.approx(image_quality.psnr(outputs["clean"], outputs["noisy"]))
    np.testing.assert_allclose(outputs["denoise_tv"], classical.denoise_tv(outputs["noisy"], **tuned["denoise_tv"].params))

    rows, outputs = recipe.evaluate_inpainting(tiny_runs["inpaint"], sample.x_test[:12])
    assert [r["method"] for r in rows] == ["damaged input", "biharmonic", "inpainting U-Net (learned)"]
    for r in rows:
        assert all(np.isfinite(r[k]) for k in ("psnr", "ssim", "psnr_mask", "ssim_mask"))
    assert rows[-1]["gain_db"] == pytest.approx(rows[-1]["psnr_mask"] - rows[1]["psnr_mask"])
    assert rows[1]["psnr_mask"] == pytest.approx(image_quality.psnr(outputs["clean"], outputs["biharmonic"], outputs["masks"]))
    assert len(recipe.evaluate_inpainting(None, sample.x_test[:4])[0]) == 2


def test_benchmark_rows(sample, monkeypatch):
    monkeypatch.setattr(tuning, "DENOISE_GRIDS", SMALL_GRIDS)
    fm = data.FashionMNIST(sample.x_train[:150], sample.y_train[:150], sample.x_test[:10], sample.y_test[:10])
    lines = []
    rows = recipe.benchmark(fm, TINY, log=lines.append, sigmas=(25,))
    assert [r["task"] for r in rows] == ["denoise sigma 25"] * 5 + ["inpaint"] * 3
    assert all({"task", "method", "psnr", "ssim", "seconds"} <= set(r) for r in rows)
    assert rows[4]["target_db"] == recipe.TARGET_GAIN_DB["denoise"] and "train_seconds" in rows[4]
    assert rows[-1]["target_db"] == recipe.TARGET_GAIN_DB["inpaint"] and "psnr_mask" in rows[-1]
    assert any("target" in line for line in lines)


def test_checkers_accept_the_reference_and_explain_mistakes():
    assert exercises.check_noise_psnr(recipe.noise_psnr)
    assert exercises.check_masked_psnr(lambda r, e, m: image_quality.psnr(r, e, m))
    assert exercises.check_composite(recipe.composite)
    assert recipe.noise_psnr(25) == pytest.approx(20.17, abs=0.01)
    for checker in (exercises.check_noise_psnr, exercises.check_masked_psnr, exercises.check_composite):
        result = checker(None)
        assert not result and "still empty" in result.message
    assert "squared" in exercises.check_noise_psnr(lambda s: 10 * np.log10(255 / s)).message
    whole = exercises.check_masked_psnr(lambda r, e, m: 10 * np.log10(4 / np.mean((r - e) ** 2)))
    assert not whole and "whole image" in whole.message
    swapped = exercises.check_composite(lambda d, p, m: d * m + p * (1 - m))
    assert not swapped and "prediction" in swapped.message
    crash = exercises.check_composite(lambda d, p, m: d @ p)
    assert not crash and "raised" in crash.message
    # the exercise's formula (the MSE over the masked pixels) is the library's masked PSNR
    rng = np.random.default_rng(0)
    ref = rng.uniform(-1, 1, (28, 28, 1)).astype(np.float32)
    est = np.clip(ref + rng.normal(0, 0.1, ref.shape), -1, 1).astype(np.float32)
    mask = rng.uniform(size=ref.shape) < 0.2
    by_hand = 10 * np.log10(4 / np.mean((ref[mask].astype(np.float64) - est[mask]) ** 2))
    assert by_hand == pytest.approx(image_quality.psnr(ref, est, mask), rel=1e-6)
