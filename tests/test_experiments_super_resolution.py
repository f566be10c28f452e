"""Super-resolution experiments of notebook 09: settings, pairs, training, evaluation, benchmark, checkers."""

import keras
import numpy as np
import pytest

from prodimg_lib import data
from prodimg_lib.course import artifacts
from prodimg_lib.data import degrade
from prodimg_lib.enhancement import classical
from prodimg_lib.course.profiles import get_profile
from prodimg_lib.course.exercises import super_resolution as exercises
from prodimg_lib.experiments import sr_photos
from prodimg_lib.experiments import super_resolution as recipe

TINY = get_profile("smoke", width=4, sr_epochs=1)


@pytest.fixture(scope="module")
def tiny_runs(sample):
    """A tiny ESPCN and EDSR at x2 and an EDSR at x4, trained for one epoch on 128 sample images."""
    train = sample.x_train[:128]
    return {
        (2, "espcn"): recipe.train_sr(train, 2, "espcn", TINY, verbose=0, log=None),
        (2, "edsr"): recipe.train_sr(train, 2, "edsr", TINY, validation=sample.x_train[128:160], verbose=0, log=None),
        (4, "edsr"): recipe.train_sr(train, 4, "edsr", TINY, verbose=0, log=None),
    }


def test_settings_follow_the_profile():
    cpu = get_profile("cpu")
    x2, x4 = recipe.sr_settings(cpu, 2, "edsr"), recipe.sr_settings(cpu, 4, "edsr")
    assert x2["epochs"] == cpu.sr_epochs and x4["epochs"] == round(1.5 * cpu.sr_epochs)
    assert (x2["width"], x2["blocks"], x2["batch_size"]) == (cpu.width, 4, 64)
    assert recipe.sr_settings(cpu, 2, "espcn")["width"] == 2 * cpu.width
    assert recipe.sr_settings(get_profile("gpu"), 2, "edsr")["blocks"] == 8
    with pytest.raises(ValueError, match="factor must be one of 2, 4"):
        recipe.sr_settings(cpu, 3, "edsr")
    with pytest.raises(ValueError, match="architecture must be one of espcn, edsr"):
        recipe.sr_settings(cpu, 2, "srgan")


def test_held_out_split_and_pairs(sample):
    fit, held = recipe.split_held_out(sample.x_train)
    assert len(held) == min(500, len(sample.x_train) // 8) and len(fit) + len(held) == len(sample.x_train)
    np.testing.assert_array_equal(held, sample.x_train[-len(held):])
    with pytest.raises(ValueError, match="at least 8 training images"):
        recipe.split_held_out(sample.x_train[:7])

    low, clean = recipe.make_pairs(sample.x_test[:5], 4)  # uint8 (N, 28, 28) accepted
    assert low.shape == (5, 7, 7, 1) and clean.shape == (5, 28, 28, 1) and clean.dtype == np.float32
    np.testing.assert_allclose(low, degrade.downscale(data.to_minus_one_one(sample.x_test[:5])[..., None], 4))
    with pytest.raises(ValueError, match="factor must be one of"):
        recipe.make_pairs(sample.x_test[:2], 3)
    with pytest.raises(ValueError, match=r"shape \(N, H, W\) or \(N, H, W, C\)"):
        recipe.make_pairs(sample.x_test[0, 0], 2)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        recipe.make_pairs(np.full((2, 28, 28, 1), 3.0, np.float32), 2)
    with pytest.raises(TypeError, match="uint8 pixels or float"):
        recipe.make_pairs(np.zeros((2, 28, 28, 1), np.int64), 2)


def test_training_gives_course_shapes(tiny_runs, sample):
    run = tiny_runs[2, "edsr"]
    assert run.name == "EDSR x2" and run.n_train == 128 and run.seconds > 0
    assert set(run.history) == {"loss", "val_loss"} and len(run.history["loss"]) == 1
    low4 = recipe.make_pairs(sample.x_test[:3], 4)[0]
    out = recipe.super_resolve(tiny_runs[4, "edsr"], low4, batch_size=2)
    assert out.shape == (3, 28, 28, 1) and out.min() >= -1 and out.max() <= 1
    with pytest.raises(ValueError, match="enhance_image"):
        recipe.super_resolve(run, np.zeros((1, 14, 14, 3), np.float32))
    with pytest.raises(ValueError, match="grayscale"):
        recipe.train_sr(np.zeros((64, 28, 28, 3), np.float32), 2, "edsr", TINY, verbose=0, log=None)
    with pytest.raises(ValueError, match="smaller than one batch"):
        recipe.train_sr(sample.x_train[:10], 2, "espcn", TINY, verbose=0, log=None)


def test_evaluate_factor_rows(tiny_runs, sample):
    rows, outputs = recipe.evaluate_factor(sample.x_test[:16], 2, [tiny_runs[2, "espcn"], tiny_runs[2, "edsr"]],
                                           sharpen_params={"radius": 1.0, "amount": 0.5})
    methods = [r["method"] for r in rows]
    assert methods == ["nearest", "bicubic", "lanczos", "bicubic + unsharp", "ESPCN", "EDSR"]
    by = {r["method"]: r for r in rows}
    assert all({"psnr", "ssim", "seconds"} <= set(r) for r in rows)
    assert by["EDSR"]["gain_db"] == pytest.approx(by["EDSR"]["psnr"] - by["bicubic"]["psnr"])
    assert by["EDSR"]["target_db"] == 5.0 and "target_db" not in by["ESPCN"]
    np.testing.assert_allclose(outputs["bicubic"], classical.upscale(outputs["low"], 2, "bicubic"))
    assert outputs["psnr", "EDSR"].shape == (16,)
    with pytest.raises(ValueError, match="x4 model, evaluated at x2"):
        recipe.evaluate_factor(sample.x_test[:16], 2, [tiny_runs[4, "edsr"]])


def test_sharpening_is_tuned_on_the_given_images(sample):
    low, clean = recipe.make_pairs(sample.x_train[-32:], 2)
    result = recipe.tune_sharpening(low, clean, 2)
    grid = recipe.SHARPEN_GRID
    assert len(result.results) == len(grid["radius"]) * len(grid["amount"])
    assert result.params["radius"] in grid["radius"] and result.psnr == max(s for _, s in result.results)


def test_benchmark_rows_on_tiny_data(sample, monkeypatch):
    tiny = data.FashionMNIST(sample.x_train[:96], sample.y_train[:96], sample.x_test[:12], sample.y_test[:12])
    monkeypatch.setattr(recipe, "SHARPEN_GRID", {"radius": [1.0], "amount": [0.5]})
    lines = []
    rows = recipe.benchmark(tiny, TINY, log=lines.append)
    tasks = [r["task"] for r in rows]
    assert tasks == ["super_resolution_x2"] * 6 + ["super_resolution_x4"] * 6
    assert all(np.isfinite(r["psnr"]) and 0 < r["ssim"] <= 1 and r["seconds"] >= 0 for r in rows)
    learned = [r for r in rows if r["method"] in ("ESPCN", "EDSR")]
    assert len(learned) == 4 and all("gain_db" in r and r["train_seconds"] > 0 for r in learned)
    assert any("unsharp mask tuned" in line for line in lines)


def test_the_photo_benchmark_puts_the_fashion_mnist_edsr_beside_the_photo_models(sample, monkeypatch):
    tiny = data.FashionMNIST(sample.x_train[:96], sample.y_train[:96], sample.x_test[:12], sample.y_test[:12])
    evaluate = sr_photos.evaluate_held_out
    monkeypatch.setattr(sr_photos, "evaluate_held_out", lambda *a, **k: evaluate(*a, names=("page", "ihc"), **k))
    rows = sr_photos.benchmark(tiny, TINY, log=None)
    tasks = [r["task"] for r in rows]
    assert tasks == ["photo_sr_x2"] * 8 + ["photo_sr_x2_per_photo"] * 4 + ["photo_sr_x4"] * 8
    photo_rows = [r for r in rows if r["task"] == "photo_sr_x4"]
    assert [r["downscaling"] for r in photo_rows] == ["bicubic"] * 4 + ["area"] * 4
    assert [r["method"] for r in photo_rows[:4]] == ["lanczos", "EDSR (Fashion-MNIST) (rgb)", "EDSR (rgb)", "EDSR (luma)"]
    assert all(r["worst"] in ("page", "ihc") and np.isfinite(r["gain_db"]) for r in photo_rows)
    assert all(r["train_seconds"] > 0 for r in photo_rows if r["method"] != "lanczos")
    per_photo = [r for r in rows if r["task"] == "photo_sr_x2_per_photo"]
    assert {(r["photo"], r["downscaling"]) for r in per_photo} == {(p, d) for p in ("page", "ihc") for d in ("bicubic", "area")}


def test_a_time_budget_ends_training_after_whole_epochs_and_the_log_says_so(sample):
    from prodimg_lib.course.budget import TimeBudget

    lines = []
    budget = TimeBudget(1e-6, log=lines.append)  # any epoch overruns it: exactly one runs
    run = recipe.train_sr(sample.x_train[:128], 2, "espcn", get_profile("smoke", width=4, sr_epochs=3), verbose=0,
                          log=lines.append, callbacks=[budget])
    assert len(run.history["loss"]) == 1 and budget.stopped and budget.epochs_planned == 3
    assert lines[0].startswith("trained 1 of 3 epoch(s) in ") and "overrun" in lines[0]
    assert "1 of 3 epoch(s) on 128 images" in lines[1]


def test_saved_model_loads_in_safe_mode(tiny_runs, tmp_path, monkeypatch):
    monkeypatch.setenv("PRODIMG_BUILD_DIR", str(tmp_path))
    model = tiny_runs[4, "edsr"].model
    path = artifacts.save_model(model, "sr_x4")
    loaded = keras.models.load_model(path, safe_mode=True)
    x = np.random.default_rng(1).uniform(-1, 1, (3, 7, 7, 1)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert loaded.predict(x, verbose=0).shape == (3, 28, 28, 1)
    assert artifacts.load_model("sr_x4").count_params() == model.count_params()


def test_demo_photos(tmp_path):
    from prodimg_lib.data.photos import demo_photo_folder, load_photo_folder

    folder = demo_photo_folder(tmp_path / "photos")
    photos = load_photo_folder(folder, size=32, fit="crop")
    assert photos.images.shape == (4, 32, 32, 3) and [p.stem for p in photos.paths][0] == "astronaut"


def test_pixel_shuffle_matches_keras():
    x = np.random.default_rng(2).normal(size=(2, 3, 4, 18)).astype(np.float32)
    np.testing.assert_array_equal(recipe.pixel_shuffle(x, 3), keras.ops.convert_to_numpy(keras.ops.depth_to_space(x, 3)))
    with pytest.raises(ValueError, match="not divisible"):
        recipe.pixel_shuffle(x, 4)


def test_checkers_accept_solutions_and_explain_mistakes():
    assert exercises.check_downscale(lambda x, f: degrade.downscale(x, f))
    assert exercises.check_pixel_shuffle(recipe.pixel_shuffle)
    assert exercises.check_espcn_parameters(6761)
    assert exercises.check_psnr(
        lambda r, e: float(np.mean(10 * np.log10(4 / np.mean((r - e) ** 2, axis=(1, 2, 3))))))

    subsample = exercises.check_downscale(lambda x, f: x[:, ::f, ::f, :])
    assert not subsample and "subsampling" in subsample.message
    pooled = exercises.check_psnr(lambda r, e: float(10 * np.log10(4 / np.mean((r - e) ** 2))))
    assert not pooled and "pooled MSE" in pooled.message
    peak_one = exercises.check_psnr(lambda r, e: float(np.mean(10 * np.log10(1 / np.mean((r - e) ** 2, axis=(1, 2, 3))))))
    assert not peak_one and "range of [-1, 1] images is 2" in peak_one.message
    naive = exercises.check_pixel_shuffle(lambda x, r: x.reshape(x.shape[0], x.shape[1] * r, x.shape[2] * r, -1))
    assert not naive and "plain reshape" in naive.message
    assert "biases" in exercises.check_espcn_parameters(6704).message
    assert "frozen" in exercises.check_espcn_parameters(6842).message
    for unanswered in (exercises.check_downscale(None), exercises.check_psnr(...), exercises.check_espcn_parameters(...)):
        assert not unanswered and "still empty" in unanswered.message
    broken = exercises.check_pixel_shuffle(lambda x, r: 1 / 0)
    assert not broken and "ZeroDivisionError" in broken.message
