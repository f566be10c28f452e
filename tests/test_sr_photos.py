"""Photo super-resolution: the bicubic base, YCbCr, bicubic shrinking, training pairs, held-out measurement, colour modes."""

import keras
import numpy as np
import pytest
from PIL import Image

from prodimg_lib.course.profiles import get_profile
from prodimg_lib.data import degrade, from_minus_one_one, to_minus_one_one
from prodimg_lib.data.photos import DEMO_PHOTOS, HELD_OUT_PHOTOS, TRAINING_PHOTOS, skimage_photo
from prodimg_lib.data.pixels import rgb_to_ycbcr, ycbcr_to_rgb
from prodimg_lib.enhancement import classical
from prodimg_lib.enhancement.classical.resize import bicubic_enlarge, bicubic_kernel, bicubic_taps
from prodimg_lib.enhancement.models import sr
from prodimg_lib.enhancement.photo import UPSCALER_OVERLAP, enhance_image, tiled_predict
from prodimg_lib.experiments import sr_photos


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def test_bicubic_taps_are_keys_kernel_at_the_half_pixel_positions():
    assert bicubic_kernel(0.0) == 1.0 and bicubic_kernel(1.0) == 0.0 and bicubic_kernel(2.0) == 0.0
    taps = bicubic_taps(2)
    # output pixel 2i lies at input coordinate i - 1/4: distances 1.75, 0.75, 0.25, 1.25, 2.25 to i-2 ... i+2
    np.testing.assert_allclose(taps[0], bicubic_kernel(np.array([1.75, 0.75, 0.25, 1.25, 2.25])))
    np.testing.assert_allclose(taps[1], taps[0][::-1])
    for factor in (2, 3, 4):
        np.testing.assert_allclose(bicubic_taps(factor).sum(axis=1), 1.0)


@pytest.mark.parametrize("factor", [2, 4])
@pytest.mark.parametrize("channels", [1, 3])
def test_an_untrained_bicubic_base_model_is_bicubic_inside_the_image(factor, channels):
    x = _images((2, 12, 10, channels)) * 0.5  # away from the clip at +-1
    model = sr.build_edsr(factor, channels, width=8, blocks=1, base="bicubic")
    out = keras.ops.convert_to_numpy(model(x))
    reference = bicubic_enlarge(x, factor)
    inner = slice(2 * factor, -2 * factor)
    np.testing.assert_allclose(out[:, inner, inner], reference[:, inner, inner], atol=1e-5)
    assert np.abs(out - reference).max() > 1e-2  # the zero padding shows at the border
    assert not model.get_layer("bicubic_taps").trainable and model.get_layer("bicubic_shuffle").trainable is False


@pytest.mark.parametrize("factor", [1, 2, 4])
def test_bicubic_enlarge_is_the_same_on_every_backend_and_tensorflows_resize(factor):
    x = _images((2, 9, 13, 3))
    out = bicubic_enlarge(x, factor)
    assert out.shape == (2, 9 * factor, 13 * factor, 3)
    np.testing.assert_allclose(bicubic_enlarge(np.full((1, 5, 6, 1), 0.3), factor), 0.3)  # weights sum to 1, at the border too
    ramp = np.tile(np.arange(12.0)[None, :, None], (12, 1, 1))[None] / 12
    inner = slice(2 * factor, -2 * factor)  # a straight ramp stays straight inside the image
    centres = (np.arange(12 * factor) + 0.5) / factor - 0.5
    np.testing.assert_allclose(bicubic_enlarge(ramp, factor)[0, inner, inner, 0], np.tile(centres / 12, (12 * factor, 1))[inner, inner],
                               atol=1e-12)
    np.testing.assert_allclose(classical.upscale(np.clip(x, -0.5, 0.5), factor, "bicubic"),
                               np.clip(bicubic_enlarge(np.clip(x, -0.5, 0.5), factor), -1, 1), atol=1e-6)
    if keras.backend.backend() != "torch":  # PyTorch's own bicubic uses a = -0.75
        resized = keras.ops.image.resize(x, (9 * factor, 13 * factor), interpolation="bicubic")
        np.testing.assert_allclose(out, keras.ops.convert_to_numpy(resized), atol=1e-5)


def test_the_bicubic_base_model_saves_and_loads_in_safe_mode(tmp_path):
    model = sr.build_edsr(2, 1, width=8, blocks=1, base="bicubic")
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    x = _images((1, 9, 7, 1))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again(x)), keras.ops.convert_to_numpy(model(x)), atol=1e-6)
    with pytest.raises(ValueError, match="base must be one of 'nearest', 'bicubic'"):
        sr.build_edsr(2, base="lanczos")


def test_ycbcr_is_jpegs_transform_and_is_undone_exactly():
    x = _images((5, 4, 3))
    np.testing.assert_allclose(ycbcr_to_rgb(rgb_to_ycbcr(x)), x, atol=1e-6)
    grey = np.full((1, 3), 0.3)
    np.testing.assert_allclose(rgb_to_ycbcr(grey), [[0.3, 0.0, 0.0]], atol=1e-7)
    white_y = rgb_to_ycbcr(np.ones((1, 3)))[0, 0]
    assert white_y == pytest.approx(1.0, abs=1e-6)
    # the same luma as Pillow's "L" conversion (ITU-R 601-2), to its rounding
    pixels = np.random.default_rng(1).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    pillow = np.asarray(Image.fromarray(pixels).convert("L"), dtype=np.float64)
    ours = (rgb_to_ycbcr(to_minus_one_one(pixels))[..., 0] + 1) * 127.5
    assert np.abs(ours - pillow).max() <= 1.0
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        rgb_to_ycbcr(np.zeros((2, 2, 1)))


def test_bicubic_downscale_matches_pillow_and_keeps_a_flat_image_flat():
    x = _images((2, 8, 12, 3))
    small = degrade.downscale(x, 2, "bicubic")
    assert small.shape == (2, 4, 6, 3) and small.dtype == np.float32
    plane = Image.fromarray(np.ascontiguousarray(x[1, ..., 2]), mode="F").resize((6, 4), Image.Resampling.BICUBIC)
    np.testing.assert_allclose(small[1, ..., 2], np.clip(np.asarray(plane), -1, 1), atol=1e-6)
    np.testing.assert_allclose(degrade.downscale(np.full((8, 8, 1), 0.25, np.float32), 4, "bicubic"), 0.25, atol=1e-6)
    assert not np.allclose(small, degrade.downscale(x, 2))  # not the block mean
    with pytest.raises(ValueError, match="method must be one of 'area', 'bicubic'"):
        degrade.downscale(x, 2, "nearest")


def test_held_out_photos_are_never_training_photos():
    assert not set(HELD_OUT_PHOTOS) & set(TRAINING_PHOTOS)
    assert set(DEMO_PHOTOS) <= set(TRAINING_PHOTOS)
    assert skimage_photo("page").shape == (191, 384, 1) and skimage_photo("color").shape[-1] == 3
    with pytest.raises(ValueError, match="no photograph 'lena'"):
        skimage_photo("lena")
    with pytest.raises(ValueError, match="held out for measurement"):
        sr_photos.photo_pairs(2, 4, names=("camera", "brick"))


def test_photo_pairs_are_shrunk_crops_rounded_to_8_bits():
    low, high = sr_photos.photo_pairs(2, 6, names=("camera", "coffee"), degraded=0.0, seed=3)
    assert low.shape == (12, 32, 32, 1) and high.shape == (12, 64, 64, 1)
    for image in (low, high):  # 8-bit levels, as real photos
        np.testing.assert_allclose((image + 1) * 127.5, np.round((image + 1) * 127.5), atol=1e-3)
    ways = [from_minus_one_one(degrade.downscale(high, 2, m)) for m in ("area", "bicubic")]
    made = from_minus_one_one(low)
    by_area = np.all(made == ways[0], axis=(1, 2, 3))
    by_bicubic = np.all(made == ways[1], axis=(1, 2, 3))
    assert np.all(by_area | by_bicubic) and by_area.any() and by_bicubic.any()
    again = sr_photos.photo_pairs(2, 6, names=("camera", "coffee"), degraded=0.0, seed=3)
    np.testing.assert_array_equal(again[0], low)
    degraded_low, _ = sr_photos.photo_pairs(2, 6, names=("camera", "coffee"), degraded=1.0, seed=3)
    assert not np.array_equal(degraded_low, low)


def test_own_photos_are_added_to_the_pairs():
    own = [np.full((200, 150, 3), 77, np.uint8)]
    low, high = sr_photos.photo_pairs(4, 3, names=("camera",), own_photos=own, degraded=0.0)
    assert low.shape == (6, 24, 24, 1) and high.shape == (6, 96, 96, 1)
    np.testing.assert_allclose(high[3:], 77 / 127.5 - 1, atol=1e-6)  # the flat photo's crops
    with pytest.raises(ValueError, match="no photo is at least 96 x 96"):
        sr_photos.photo_pairs(4, 3, names=(), own_photos=[np.zeros((50, 50, 1), np.uint8)])
    with pytest.raises(ValueError, match="multiple of the factor"):
        sr_photos.photo_pairs(4, 3, patch=30)


def test_settings_follow_the_profile():
    cpu, gpu, smoke = (sr_photos.photo_sr_settings(get_profile(p), 2) for p in ("cpu", "gpu", "smoke"))
    assert (cpu["epochs"], cpu["per_photo"], cpu["base"], cpu["loss"], cpu["batch_size"]) == (4, 800, "bicubic", "l1", 16)
    assert gpu["epochs"] > cpu["epochs"] and gpu["blocks"] == 8 and smoke["per_photo"] < cpu["per_photo"]
    assert sr_photos.photo_sr_settings(get_profile("cpu"), 4)["patch"] == 96
    with pytest.raises(ValueError, match="factor must be one of 2, 4"):
        sr_photos.photo_sr_settings(get_profile("cpu"), 3)


def test_shrink_photo_crops_to_the_factor_and_rounds():
    photo = skimage_photo("page")  # 191 x 384
    original, small = sr_photos.shrink_photo(photo, 4, "area")
    assert original.shape == (188, 384, 1) and small.shape == (47, 96, 1) and small.dtype == np.uint8
    np.testing.assert_array_equal(original, photo[:188])
    assert abs(int(small[0, 0, 0]) - original[:4, :4].mean()) <= 0.5


def test_an_untrained_model_measures_as_bicubic_and_the_rows_say_everything():
    model = sr.build_edsr(2, 1, width=4, blocks=1, base="bicubic")
    rows, outputs = sr_photos.evaluate_held_out({"EDSR": model}, 2, names=("page", "color"), keep_outputs=True)
    assert [(r["photo"], r["downscaling"]) for r in rows] == [("page", "bicubic"), ("page", "area"),
                                                              ("color", "bicubic"), ("color", "area")]
    for row in rows:
        for colour in ("rgb", "luma"):
            assert abs(row[f"EDSR ({colour})"] - row["bicubic"]) < 0.05, row  # it *is* bicubic, but at the border
    assert rows[0]["EDSR (luma)"] == rows[0]["EDSR (rgb)"] and "EDSR (luma) seconds" not in rows[0]  # grayscale: run once
    out = outputs["color", "area"]
    assert out["original"].shape == (370, 370, 3) and out["small"].shape == (185, 185, 3)
    assert out["EDSR (rgb)"].shape == out["original"].shape and out["EDSR (rgb)"].dtype == np.uint8
    summary = sr_photos.summarise(rows, ["lanczos", "EDSR (rgb)"])
    assert [(s["downscaling"], s["method"]) for s in summary] == [("bicubic", "lanczos"), ("bicubic", "EDSR (rgb)"),
                                                                  ("area", "lanczos"), ("area", "EDSR (rgb)")]
    gains = [r["EDSR (rgb)"] - r["bicubic"] for r in rows if r["downscaling"] == "area"]
    assert summary[3]["gain_db"] == pytest.approx(np.mean(gains)) and summary[3]["min_gain_db"] == pytest.approx(min(gains))
    with pytest.raises(ValueError, match="colours must be among"):
        sr_photos.evaluate_held_out({"EDSR": model}, 2, colours=("lab",))


def test_colour_modes_of_enhance_image():
    model = sr.build_edsr(2, 1, width=4, blocks=1, base="bicubic")  # untrained: bicubic, a linear map
    pixels = np.random.default_rng(5).integers(40, 216, (40, 44, 3), dtype=np.uint8)
    bicubic = from_minus_one_one(bicubic_enlarge(to_minus_one_one(pixels)[None], 2)[0])
    inner = slice(4, -4)
    for colour in ("rgb", "luma"):  # YCbCr is linear too, so luma mode of bicubic is bicubic of RGB
        out = enhance_image(pixels, upscaler=model, factor=2, colour=colour)
        assert out.shape == (80, 88, 3) and out.dtype == np.uint8
        assert np.abs(out[inner, inner].astype(int) - bicubic[inner, inner]).max() <= 1
    trained_like = sr.build_espcn(2, 1, width=4)  # pixel replication: the two modes now differ
    rgb = enhance_image(pixels, upscaler=trained_like, factor=2, colour="rgb")
    np.testing.assert_array_equal(rgb, np.repeat(np.repeat(pixels, 2, axis=0), 2, axis=1))
    gray = pixels[..., :1]
    np.testing.assert_array_equal(enhance_image(gray, upscaler=model, factor=2, colour="luma"),
                                  enhance_image(gray, upscaler=model, factor=2, colour="rgb"))
    with pytest.raises(ValueError, match="colour must be one of 'rgb', 'luma'"):
        enhance_image(pixels, upscaler=model, factor=2, colour="hsv")


def test_the_photo_models_train_on_the_training_photos_only(monkeypatch):
    seen = {}
    real = sr_photos.photo_pairs

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(sr_photos, "photo_pairs", spy)
    sr_photos.train_photo_sr(4, get_profile("smoke", width=4), verbose=0, log=None)
    assert seen.get("names", TRAINING_PHOTOS) == TRAINING_PHOTOS and seen["own_photos"] is None


def test_train_photo_sr_smoke():
    run = sr_photos.train_photo_sr(2, get_profile("smoke", width=4), own_photos=[skimage_photo("camera")], verbose=0,
                                   log=None)
    assert run.name == "EDSR x2 (photos)" and run.settings["own_photos"] == 1 and run.n_train == (len(TRAINING_PHOTOS) + 1) * 8
    out = keras.ops.convert_to_numpy(run.model(np.zeros((1, 5, 6, 1), np.float32)))
    assert out.shape == (1, 10, 12, 1)


@pytest.mark.parametrize("factor, blocks", [(2, 4), (4, 4), (2, 8)])  # 8 blocks: the gpu profile's
def test_tiles_overlap_enough_that_an_edsr_leaves_no_seams(factor, blocks):
    keras.utils.set_random_seed(1)
    model = sr.build_edsr(factor, 1, width=4, blocks=blocks, base="bicubic")
    tail = model.get_layer("tail")
    tail.set_weights([np.random.default_rng(2).normal(0, 0.3, w.shape).astype(np.float32) for w in tail.get_weights()])
    image = _images((150, 170, 1)) * 0.3
    whole = keras.ops.convert_to_numpy(model(image[None]))[0]
    tiled = tiled_predict(model, image, factor, tile=80, overlap=UPSCALER_OVERLAP)  # 5 x 4 tiles
    inner = slice(UPSCALER_OVERLAP * factor, -UPSCALER_OVERLAP * factor)
    np.testing.assert_allclose(tiled[inner, inner], whole[inner, inner], atol=1e-5)
    fewer = tiled_predict(model, image, factor, tile=80, overlap=4)
    assert np.abs(fewer[inner, inner] - whole[inner, inner]).max() > 1e-4  # too little context shows at the seams
