"""The photo denoiser: training crops and noise, the classical baselines per channel, held-out measurement, tiling."""

import keras
import numpy as np
import pytest

from prodimg_lib.course.profiles import get_profile
from prodimg_lib.data import to_minus_one_one
from prodimg_lib.data.photos import HELD_OUT_PHOTOS, TRAINING_PHOTOS, skimage_photo
from prodimg_lib.evaluation.image_quality import noise_sigma
from prodimg_lib.enhancement import classical
from prodimg_lib.enhancement.models.restore import build_dncnn, noise_level_map, takes_noise_level
from prodimg_lib.enhancement.photo import DENOISER_OVERLAP, enhance_image, tiled_predict
from prodimg_lib.experiments import denoise_photos, photo_crops, restoration, tuning

SMALL_GRIDS = {"denoise_tv": {"weight": [0.05, 0.2]}, "denoise_bilateral": {"sigma_color": [0.1], "sigma_spatial": [1.0]},
               "denoise_nl_means": {"h": [0.05, 0.15], "patch_size": [3], "patch_distance": [3]}}


def test_photo_crops_refuse_held_out_photos_and_keep_8_bit_levels():
    with pytest.raises(ValueError, match="brick is held out"):
        photo_crops.photo_crops(2, 16, names=("camera", "brick"), rng=np.random.default_rng(0))
    crops = photo_crops.photo_crops(4, 16, names=("camera",), rng=np.random.default_rng(0))
    assert crops.shape == (4, 16, 16, 1) and crops.dtype == np.float32
    np.testing.assert_allclose((crops + 1) * 127.5, np.round((crops + 1) * 127.5), atol=1e-4)
    with pytest.raises(ValueError, match="no photo is at least"):
        photo_crops.photo_crops(1, 16, names=(), own_photos=[np.zeros((10, 10, 3), np.uint8)], rng=np.random.default_rng(0))


def test_photo_noise_pairs_draw_one_level_per_crop_and_leave_some_clean():
    noisy, clean, sigma = denoise_photos.photo_noise_pairs(40, names=("camera", "coffee"), clean_share=0.25,
                                                           light_share=0.0, seed=3)
    assert noisy.shape == clean.shape == (80, 48, 48, 1) and sigma.shape == (80,) and sigma.dtype == np.float32
    np.testing.assert_allclose((noisy + 1) * 127.5, np.round((noisy + 1) * 127.5), atol=1e-4)
    std = (noisy - clean).std(axis=(1, 2, 3)) * 127.5  # grey levels
    untouched = np.all(noisy == clean, axis=(1, 2, 3))
    assert 0.1 < untouched.mean() < 0.45  # the clean share (plus none by chance: at sigma > 0 every crop changes)
    assert std.max() < 56 and std[~untouched].min() > 0 and np.ptp(std) > 30  # levels spread over 0 to 55
    assert np.mean(std[~untouched] < 10) < 0.4  # uniform over 0 to 55: few light ones
    np.testing.assert_array_equal(sigma == 0, untouched)  # the levels returned are the levels added
    assert np.all(std <= 1.1 * sigma + 0.5)  # clipping at 0 and 255 only lowers it; rounding adds 0.3 at most
    assert np.corrcoef(std, sigma)[0, 1] > 0.95
    light, _, light_sigma = denoise_photos.photo_noise_pairs(40, names=("camera", "coffee"), clean_share=0.0,
                                                             light_share=0.6, seed=3)
    light_std = (light - clean).std(axis=(1, 2, 3)) * 127.5
    assert np.mean(light_std < 10) > 0.5 and np.mean(light_sigma <= 10) > 0.5  # the light share, below 10 grey levels
    with pytest.raises(ValueError, match="light_share"):
        denoise_photos.photo_noise_pairs(2, names=("camera",), clean_share=0.5, light_share=0.6)
    again, _, again_sigma = denoise_photos.photo_noise_pairs(40, names=("camera", "coffee"), clean_share=0.25,
                                                             light_share=0.0, seed=3)
    np.testing.assert_array_equal(noisy, again)
    np.testing.assert_array_equal(sigma, again_sigma)
    grey = [np.full((100, 100, 1), 128, np.uint8)]  # mid-grey: no clipping
    fixed, clean, fixed_sigma = denoise_photos.photo_noise_pairs(4, names=(), own_photos=grey, sigma=10,
                                                                 clean_share=0.0, light_share=0.0)
    np.testing.assert_allclose((fixed - clean).std() * 127.5, 10, rtol=0.1)
    np.testing.assert_array_equal(fixed_sigma, 10)
    with pytest.raises(ValueError, match="held out"):
        denoise_photos.photo_noise_pairs(2, names=("page",))
    with pytest.raises(ValueError, match="clean_share"):
        denoise_photos.photo_noise_pairs(2, clean_share=1.5)
    with pytest.raises(ValueError, match="sigma range"):
        denoise_photos.photo_noise_pairs(2, names=("camera",), sigma=(30, 10))


def test_settings_follow_the_profile():
    cpu = denoise_photos.photo_denoise_settings(get_profile("cpu"))
    assert (cpu["width"], cpu["depth"], cpu["batch_norm"], cpu["epochs"], cpu["sigma"], cpu["noise_map"]) == (
        32, 12, False, 4, restoration.TRAIN_SIGMA_RANGE, True)
    assert (cpu["tune_crops"], cpu["eval_size"]) == (48, None)
    gpu = denoise_photos.photo_denoise_settings(get_profile("gpu"))
    assert (gpu["depth"], gpu["batch_norm"]) == (17, True) and gpu["epochs"] > cpu["epochs"]
    assert denoise_photos.photo_denoise_settings(get_profile("smoke"))["per_photo"] < cpu["per_photo"]
    assert DENOISER_OVERLAP > gpu["depth"]  # tiles see more than the deepest denoiser


def test_train_photo_denoiser_uses_the_training_photos_only(monkeypatch):
    seen = {}
    real = denoise_photos.photo_noise_pairs

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(denoise_photos, "photo_noise_pairs", spy)
    run = denoise_photos.train_photo_denoiser(get_profile("smoke", width=4), own_photos=[skimage_photo("camera")],
                                              verbose=0, log=None)
    assert seen.get("names", TRAINING_PHOTOS) == TRAINING_PHOTOS and len(seen["own_photos"]) == 1
    assert run.n_train == (len(TRAINING_PHOTOS) + 1) * 8 and run.settings["own_photos"] == 1
    assert takes_noise_level(run.model)  # told each crop's level
    out = keras.ops.convert_to_numpy(run.model([np.zeros((1, 7, 9, 1), np.float32), noise_level_map(5, (1, 7, 9))]))
    assert out.shape == (1, 7, 9, 1)


def test_add_photo_noise():
    photo = np.full((64, 64, 3), 128, np.uint8)
    np.testing.assert_array_equal(denoise_photos.add_photo_noise(photo, 0), photo)
    noisy = denoise_photos.add_photo_noise(photo, 20, seed=1)
    assert noisy.dtype == np.uint8 and noisy.shape == photo.shape
    assert abs(noisy.astype(float).std() - 20) < 1.0
    np.testing.assert_array_equal(noisy, denoise_photos.add_photo_noise(photo, 20, seed=1))
    with pytest.raises(ValueError, match="sigma"):
        denoise_photos.add_photo_noise(photo, -1)


def test_classical_denoisers_run_on_each_channel_as_a_grayscale_image():
    photo = denoise_photos.add_photo_noise(skimage_photo("coffee")[:40, :40], 25, seed=0)
    out = denoise_photos.denoise_photo_classical("denoise_tv", {"weight": 0.1}, photo)
    assert out.shape == photo.shape and out.dtype == np.uint8
    for c in range(3):
        plane = classical.denoise_tv(to_minus_one_one(photo[..., c:c + 1]), weight=0.1)
        expected = np.round((plane + 1) * 127.5)
        assert np.abs(out[..., c].astype(float) - expected[..., 0]).max() <= 1


def test_tuning_uses_training_photo_crops(monkeypatch):
    monkeypatch.setattr(tuning, "DENOISE_GRIDS", SMALL_GRIDS)
    tuned = denoise_photos.tune_photo_denoisers(25, crops=3, patch=32)
    assert set(tuned) == set(restoration.CLASSICAL_DENOISERS)
    assert tuned["denoise_tv"].params["weight"] in (0.05, 0.2) and len(tuned["denoise_nl_means"].results) == 2


def test_evaluation_on_held_out_photos_with_an_identity_model():
    identity = build_dncnn(1, width=4, depth=3)  # the noise layer starts at zero: output = input
    tuned = {25: {"denoise_tv": tuning.TuneResult({"weight": 0.1}, 0.0, [])}}
    rows, outputs = denoise_photos.evaluate_held_out({"same": identity}, tuned, sigmas=(0, 25), names=("brick", "page"),
                                                     size=40, keep_outputs=True)
    assert [(r["photo"], r["sigma"]) for r in rows] == [("brick", 0), ("brick", 25), ("page", 0), ("page", 25)]
    assert rows[0]["own_noise"] == rows[1]["own_noise"] > 0  # measured once per photo, before noise is added
    assert rows[0]["noisy"] == np.inf and rows[0]["same"] == np.inf and "total variation" not in rows[0]
    assert rows[1]["same"] == pytest.approx(rows[1]["noisy"]) and rows[1]["total variation"] > rows[1]["noisy"]
    assert set(outputs["page", 25]) == {"clean", "noisy", "total variation", "same"}
    alone, _ = denoise_photos.evaluate_held_out({}, {}, sigmas=(25,), names=("page",), size=40, keep_outputs=True)
    assert alone[0]["noisy"] == rows[3]["noisy"]  # a photo's noise does not depend on what else is measured
    summary = denoise_photos.summarise(rows)
    at0 = {r["method"]: r for r in summary if r["sigma"] == 0}
    at25 = {r["method"]: r for r in summary if r["sigma"] == 25}
    assert at0["same"]["gain_db"] is None and at0["same"]["best_classical_gain_db"] is None
    assert at25["same"]["gain_db"] == pytest.approx(0.0, abs=1e-9)
    assert at25["same"]["best_classical_gain_db"] == pytest.approx(at25["same"]["psnr"] - at25["total variation"]["psnr"])
    assert "best_classical_gain_db" not in at25["total variation"]
    assert set(HELD_OUT_PHOTOS) >= {r["photo"] for r in rows}


def _level_reader():
    """A two-input model whose output is the image minus its level map: it shows the level it was told."""
    noisy, level = keras.Input((None, None, 1)), keras.Input((None, None, 1))
    return keras.Model([noisy, level], keras.layers.Subtract()([noisy, level]))


def test_a_noise_level_model_is_told_the_level_or_estimates_it():
    photo = np.full((40, 50, 3), 128, np.uint8)
    photo[:, 25:] = 200
    reader = _level_reader()
    told = enhance_image(photo, denoiser=reader, noise_level=10)
    np.testing.assert_allclose(photo.astype(int) - told.astype(int), 10, atol=1)  # 10 grey levels on every channel
    noisy = denoise_photos.add_photo_noise(photo, 20, seed=0)
    estimate = noise_sigma(to_minus_one_one(noisy))
    assert 15 < estimate < 25
    guessed = enhance_image(noisy, denoiser=reader)
    assert abs(np.mean(noisy.astype(float) - guessed) - estimate) < 1.0  # told its own estimate
    with pytest.raises(ValueError, match="blind"):
        enhance_image(photo, denoiser=build_dncnn(1, width=4, depth=3), noise_level=5)
    with pytest.raises(ValueError, match="missing"):
        enhance_image(photo, noise_level=5)
    with pytest.raises(ValueError, match="sigma"):
        enhance_image(photo, denoiser=reader, noise_level=-1)


def test_a_noise_level_model_is_measured_estimating_and_told():
    model = build_dncnn(1, width=4, depth=3, noise_map=True)  # the noise layer starts at zero: output = input
    rows, outputs = denoise_photos.evaluate_held_out({"aware": model}, {}, sigmas=(0, 15), names=("page",), size=40,
                                                     keep_outputs=True)
    told = "aware" + denoise_photos.GIVEN
    assert set(outputs["page", 15]) == {"clean", "noisy", "aware", told}
    assert rows[1]["aware"] == pytest.approx(rows[1]["noisy"]) and rows[1][told] == pytest.approx(rows[1]["noisy"])
    reader = _level_reader()
    rows, outputs = denoise_photos.evaluate_held_out({"reader": reader}, {}, sigmas=(15,), names=("page",), size=40,
                                                     keep_outputs=True)
    out = outputs["page", 15]
    shift = np.mean(out["noisy"].astype(float) - out["reader" + denoise_photos.GIVEN])
    assert shift == pytest.approx(15, abs=1.5)  # told the level that was added (less where it clips at 0)


@pytest.mark.parametrize("depth", [12, 17])  # the cpu and gpu profiles' denoisers
def test_denoiser_tiles_overlap_enough_to_leave_no_seams(depth):
    keras.utils.set_random_seed(1)
    model = build_dncnn(1, width=4, depth=depth, batch_norm=False)
    last = model.get_layer("noise")
    last.set_weights([np.random.default_rng(2).normal(0, 0.3, w.shape).astype(np.float32) for w in last.get_weights()])
    image = np.random.default_rng(0).uniform(-0.3, 0.3, (130, 150, 1)).astype(np.float32)
    whole = keras.ops.convert_to_numpy(model(image[None]))[0]
    inner = slice(DENOISER_OVERLAP, -DENOISER_OVERLAP)
    tiled = tiled_predict(model, image, 1, tile=4 * DENOISER_OVERLAP, overlap=DENOISER_OVERLAP)
    np.testing.assert_allclose(tiled[inner, inner], whole[inner, inner], atol=1e-5)
    fewer = tiled_predict(model, image, 1, tile=4 * DENOISER_OVERLAP, overlap=4)
    assert np.abs(fewer[inner, inner] - whole[inner, inner]).max() > 1e-4
    photo = np.round((image[..., 0] + 1) * 127.5).astype(np.uint8)
    assert enhance_image(photo[..., None], denoiser=model).shape == (130, 150, 1)


def test_benchmark_rows(monkeypatch):
    monkeypatch.setattr(tuning, "DENOISE_GRIDS", SMALL_GRIDS)
    monkeypatch.setattr(denoise_photos, "PHOTO_SIGMAS", (0, 5, 25))
    monkeypatch.setattr(denoise_photos, "HELD_OUT_PHOTOS", ("brick",))
    lines = []
    rows = denoise_photos.benchmark(None, get_profile("smoke", width=4), log=lines.append)
    summary = [r for r in rows if r["task"] == "denoise_photos"]
    assert {r["sigma"] for r in summary} == {0, 5, 25}
    model_rows = [r for r in summary if r["method"] == "DnCNN (photos)"]
    assert len(model_rows) == 3 and all(r["train_seconds"] > 0 for r in model_rows)
    told = [r for r in summary if r["method"] == "DnCNN (photos)" + denoise_photos.GIVEN]
    assert len(told) == 3 and all(r["train_seconds"] is None for r in told)
    light = [r for r in rows if r["task"] == "denoise_photos_light"]
    assert [r["sigma"] for r in light] == [5] and light[0]["gain_db"] == pytest.approx(light[0]["dncnn"] - light[0]["noisy"])
    assert light[0]["told_gain_db"] == pytest.approx(light[0]["told_sigma"] - light[0]["noisy"])
    assert any("tuned" in line for line in lines)
