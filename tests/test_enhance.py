import numpy as np
import pytest
from skimage import data as skdata
from skimage.transform import resize

from prodimg_lib import data
from prodimg_lib.data import degrade
from prodimg_lib.enhancement import classical
from prodimg_lib.evaluation import image_quality
from prodimg_lib.experiments import tuning


@pytest.fixture(scope="module")
def fashion():
    """16 Fashion-MNIST test images from the committed sample, (16, 28, 28, 1) in [-1, 1]."""
    return data.to_minus_one_one(data.load_sample().x_test[:16, ..., None])


@pytest.fixture(scope="module")
def photos():
    """Two small colour photos shipped with scikit-image, (2, 48, 48, 3) in [-1, 1]."""
    images = [resize(skdata.astronaut()[:400, 60:460], (48, 48), anti_aliasing=True),
              resize(skdata.coffee()[:, 100:500], (48, 48), anti_aliasing=True)]
    return (np.stack(images) * 2 - 1).astype(np.float32)


def _random(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


# --- upscaling -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", list(classical.UPSCALE_METHODS))
def test_upscale_shapes_range_and_constants(method, fashion):
    for factor, low_res in ((2, degrade.downscale(fashion, 2)), (4, degrade.downscale(fashion, 4))):
        up = classical.upscale(low_res, factor, method)
        assert up.shape == fashion.shape and up.dtype == np.float32
        assert up.min() >= -1.0 and up.max() <= 1.0  # bicubic and Lanczos overshoot: clipped
    flat = np.full((2, 28, 28, 3), 0.3, dtype=np.float32)
    np.testing.assert_allclose(classical.upscale(degrade.downscale(flat, 4), 4, method), flat, atol=1e-6)


def test_nearest_upscaling_replicates_pixels_and_single_images_work():
    x = _random((2, 7, 7, 1))
    np.testing.assert_array_equal(classical.upscale(x, 4, "nearest"), np.repeat(np.repeat(x, 4, axis=1), 4, axis=2))
    assert classical.upscale(x[0], 2).shape == (14, 14, 1)


def test_bicubic_and_lanczos_beat_nearest_on_real_images(fashion):
    low_res = degrade.downscale(fashion, 2)
    scores = {m: image_quality.psnr(fashion, classical.upscale(low_res, 2, m)) for m in classical.UPSCALE_METHODS}
    assert scores["bicubic"] > scores["nearest"] and scores["lanczos"] > scores["nearest"]


def test_pillow_lanczos_fallback_agrees_with_keras(photos):
    low_res = degrade.downscale(photos, 2)
    keras_version = classical.upscale(low_res, 2, "lanczos")
    pillow_version = np.clip(classical.pillow_lanczos(low_res, (48, 48)), -1, 1)
    np.testing.assert_allclose(pillow_version, keras_version, atol=1e-4)


def test_upscale_rejects_unknown_methods_and_factors(fashion):
    with pytest.raises(ValueError, match="unknown upscaling method 'bicubicc'"):
        classical.upscale(fashion, 2, "bicubicc")
    with pytest.raises(ValueError, match="factor must be a positive integer"):
        classical.upscale(fashion, 1.5)


# --- denoising -----------------------------------------------------------------------------------


DENOISERS = [
    (classical.denoise_tv, {"weight": 0.05}),
    (classical.denoise_bilateral, {"sigma_color": 0.07, "sigma_spatial": 2.0}),
    (classical.denoise_nl_means, {"h": 0.09, "patch_size": 5, "patch_distance": 4}),
]


@pytest.mark.parametrize("denoise, params", DENOISERS, ids=[d.__name__ for d, _ in DENOISERS])
def test_each_denoiser_improves_psnr_on_real_images(denoise, params, fashion, photos):
    for clean in (fashion, photos):
        noisy = degrade.add_gaussian_noise(clean, 25, seed=0)
        out = denoise(noisy, **params)
        assert out.shape == clean.shape and out.dtype == np.float32
        assert out.min() >= -1.0 and out.max() <= 1.0
        assert image_quality.psnr(clean, out) > image_quality.psnr(clean, noisy) + 1.0


def test_denoisers_check_their_parameters(fashion):
    with pytest.raises(ValueError, match="weight must be > 0"):
        classical.denoise_tv(fashion, weight=0)
    with pytest.raises(ValueError, match="patch_size must be a positive integer"):
        classical.denoise_nl_means(fashion, patch_size=2.5)


# --- inpainting ----------------------------------------------------------------------------------


def test_biharmonic_inpainting_repairs_the_masked_region(fashion, photos):
    for clean, fill in ((fashion, 1.0), (photos, 1.0)):
        damaged, _, masks = degrade.make_pairs(clean, "defects", defect="mixed", fill=fill, seed=0)
        repaired = classical.inpaint_biharmonic(damaged, masks)
        assert repaired.shape == clean.shape and repaired.dtype == np.float32
        assert image_quality.psnr(clean, repaired, masks) > image_quality.psnr(clean, damaged, masks) + 5.0
        outside = ~np.broadcast_to(masks, clean.shape)
        np.testing.assert_allclose(repaired[outside], damaged[outside], atol=1e-6)


def test_inpainting_needs_matching_masks(fashion):
    with pytest.raises(ValueError, match="to match the images"):
        classical.inpaint_biharmonic(fashion, np.zeros((16, 28, 28, 2), bool))


# --- tone ----------------------------------------------------------------------------------------


def test_tone_functions_keep_shape_and_range(fashion, photos):
    functions = [classical.equalize_hist, classical.clahe, classical.adjust_gamma, classical.auto_contrast,
                 lambda x: classical.unsharp_mask(x, 1.0, 1.5)]
    for images in (fashion, photos, photos[0]):
        for fn in functions:
            out = fn(images)
            assert out.shape == images.shape and out.dtype == np.float32
            assert out.min() >= -1.0 and out.max() <= 1.0


def test_equalisation_spreads_a_dull_image_over_the_range():
    dull = (np.random.default_rng(0).uniform(-0.2, 0.2, (2, 32, 32, 1))).astype(np.float32)
    for fn in (classical.equalize_hist, classical.clahe, classical.auto_contrast):
        out = fn(dull)
        assert out.max() - out.min() > 1.8, fn.__name__


def test_equalize_hist_on_colour_keeps_hue(photos):
    from skimage.color import rgb2hsv

    out = classical.equalize_hist(photos)
    hue_in, hue_out = rgb2hsv((photos + 1) / 2)[..., 0], rgb2hsv((out + 1) / 2)[..., 0]
    saturated = rgb2hsv((photos + 1) / 2)[..., 1] > 0.3
    difference = np.abs(hue_in - hue_out)[saturated]
    assert np.median(np.minimum(difference, 1 - difference)) < 0.01


def test_gamma_and_brightness_follow_their_formulas():
    x = _random((2, 8, 8, 3))
    u = (x.astype(np.float64) + 1) / 2
    np.testing.assert_allclose(classical.adjust_gamma(x, 0.5), np.sqrt(u) * 2 - 1, atol=1e-6)
    np.testing.assert_allclose(classical.adjust_brightness(x, 0.1), np.clip(u + 0.1, 0, 1) * 2 - 1, atol=1e-6)


def test_contrast_and_saturation_match_tensorflow(photos):
    tf = pytest.importorskip("tensorflow")
    u = (photos + 1) / 2
    for factor in (0.0, 0.5, 1.6):
        expected = np.clip(tf.image.adjust_contrast(u, factor).numpy(), 0, 1) * 2 - 1
        np.testing.assert_allclose(classical.adjust_contrast(photos, factor), expected, atol=1e-5)
        expected = np.clip(tf.image.adjust_saturation(u, factor).numpy(), 0, 1) * 2 - 1
        np.testing.assert_allclose(classical.adjust_saturation(photos, factor), expected, atol=1e-5)


def test_saturation_zero_is_grey_and_needs_colour(fashion, photos):
    grey = classical.adjust_saturation(photos, 0.0)
    np.testing.assert_allclose(grey[..., 0], grey[..., 2], atol=1e-6)
    with pytest.raises(ValueError, match="needs colour images"):
        classical.adjust_saturation(fashion, 1.5)


# --- low light and white balance (notebook 11) ------------------------------------------------------


def _colour_images(shape=(2, 12, 12, 3), seed=0, low=-0.8, high=0.6):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


def test_levels_gamma_undoes_exposure_and_known_gamma():
    clean = data.to_minus_one_one(data.load_sample().x_test[:20])[..., None]
    white = clean.reshape(20, -1).max(axis=1) == 1.0
    dark = degrade.low_light(clean, gamma=2.0, exposure=np.linspace(0.3, 0.6, 20))
    out = classical.levels_gamma(dark, gamma=0.5)
    # exact (up to float rounding) for every image with a white pixel, whatever its exposure
    assert image_quality.psnr(clean[white], out[white]) > 45


def test_auto_gamma_reaches_the_target_mean_for_flat_images():
    flat = np.full((3, 6, 6, 1), -0.6, np.float32)  # u = 0.2 everywhere
    out = classical.auto_gamma(flat, target=0.5)
    np.testing.assert_allclose((out + 1) / 2, 0.5, atol=1e-5)
    black = np.full((1, 6, 6, 1), -1.0, np.float32)
    np.testing.assert_array_equal(classical.auto_gamma(black), black)
    with pytest.raises(ValueError, match="target"):
        classical.auto_gamma(flat, target=1.0)


def test_grey_world_removes_a_gain_cast_and_needs_colour():
    clean = _colour_images()
    cast = degrade.colour_cast(clean, gains=(1.15, 1.0, 0.8))
    balanced = classical.grey_world(cast)
    means = ((balanced + 1) / 2).mean(axis=(1, 2))
    np.testing.assert_allclose(means - means.mean(axis=1, keepdims=True), 0.0, atol=1e-5)
    # without clipping, a cast of gains is undone up to one overall brightness factor per image
    a, b = (classical.grey_world(cast) + 1) / 2, (classical.grey_world(clean) + 1) / 2
    np.testing.assert_allclose(a / a.mean(axis=(1, 2, 3), keepdims=True), b / b.mean(axis=(1, 2, 3), keepdims=True),
                               rtol=1e-4)
    assert classical.grey_world(cast[0]).shape == (12, 12, 3)
    with pytest.raises(ValueError, match="colour"):
        classical.grey_world(np.zeros((1, 4, 4, 1), np.float32))


def test_white_patch_makes_the_bright_end_white():
    clean = _colour_images(low=-0.9, high=1.0)
    cast = degrade.colour_cast(clean, gains=(0.8, 1.0, 0.7))  # no clipping: all gains <= 1
    out = classical.white_patch(cast, percentile=100.0)
    np.testing.assert_allclose(out.reshape(2, -1, 3).max(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(out, classical.white_patch(clean, percentile=100.0), atol=1e-5)
    with pytest.raises(ValueError, match="colour"):
        classical.white_patch(np.zeros((1, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="percentile"):
        classical.white_patch(cast, percentile=0.0)


def test_undo_low_light_inverts_degrade_low_light():
    clean = _colour_images((3, 6, 6, 3), low=-0.9, high=1.0)  # away from black, where the darkening rounds to 0
    gamma, exposure = np.array([1.5, 2.0, 2.5]), np.array([0.3, 0.5, 1.0])
    dark = degrade.low_light(clean, gamma=gamma, exposure=exposure)
    np.testing.assert_allclose(classical.undo_low_light(dark, gamma, exposure), clean, atol=1e-4)
    assert classical.undo_low_light(dark[0], 2.0, 0.4).shape == (6, 6, 3)
    with pytest.raises(ValueError, match="exposure"):
        classical.undo_low_light(dark, 2.0, 1.5)


def test_unsharp_mask_raises_edge_contrast(fashion):
    np.testing.assert_allclose(classical.unsharp_mask(fashion, 1.0, 0.0), fashion, atol=1e-6)
    blurred = degrade.blur(fashion, 1.0)
    sharpened = classical.unsharp_mask(blurred, 1.0, 1.0)
    assert np.abs(np.diff(sharpened, axis=2)).mean() > np.abs(np.diff(blurred, axis=2)).mean()


# --- tuning --------------------------------------------------------------------------------------


def test_tune_picks_the_best_grid_point(fashion):
    def shift(images, offset, scale=1.0):
        return np.clip(images * scale + offset, -1, 1)

    result = tuning.tune(shift, fashion, fashion, {"offset": [-0.2, 0.1, 0.0, 0.3]})
    assert result.params == {"offset": 0.0} and result.psnr == float("inf")
    assert [p["offset"] for p, _ in result.results] == [-0.2, 0.1, 0.0, 0.3]
    result = tuning.tune(shift, fashion, fashion, {"offset": [-0.2, 0.1, 0.3]}, fixed={"scale": 1.0})
    assert result.params == {"offset": 0.1}
    assert result.psnr == max(score for _, score in result.results)


def test_tune_a_denoiser_by_name(fashion):
    clean, noisy = fashion[:8], degrade.add_gaussian_noise(fashion[:8], 25, seed=1)
    result = tuning.tune("denoise_tv", noisy, clean, {"weight": [0.01, 0.05, 0.5]})
    assert result.params == {"weight": 0.05}
    assert set(tuning.DENOISE_GRIDS) <= set(tuning.METHODS)


def test_tune_rejects_unknown_methods_and_empty_grids(fashion):
    with pytest.raises(ValueError, match="unknown method 'denoise_magic'"):
        tuning.tune("denoise_magic", fashion, fashion, {"weight": [0.1]})
    with pytest.raises(ValueError, match="non-empty dict"):
        tuning.tune("denoise_tv", fashion, fashion, {})
    with pytest.raises(ValueError, match="holds no values"):
        tuning.tune("denoise_tv", fashion, fashion, {"weight": []})


# --- input checks --------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [classical.denoise_tv, classical.clahe, lambda x: classical.upscale(x, 2)])
def test_bad_images_are_rejected(fn):
    with pytest.raises(TypeError, match="uint8 pixels"):
        fn(np.zeros((2, 28, 28, 1), np.uint8))
    with pytest.raises(ValueError, match="must lie in \\[-1, 1\\]"):
        fn(np.full((2, 28, 28, 1), 3.0, np.float32))
    with pytest.raises(ValueError, match="without the channel axis"):
        fn(np.zeros((28, 28), np.float32))


def test_unsharp_mask_on_colour_images_sharpens_each_channel():
    from skimage import data as skdata
    from skimage.filters import unsharp_mask as sk_unsharp

    photo = skdata.coffee()[:48, :48]
    x = (photo.astype(np.float32) / 127.5 - 1.0)[None]
    out = classical.unsharp_mask(x, radius=1.0, amount=1.0)
    assert np.all(np.isfinite(out))
    unit = photo / 255.0
    expected = np.stack([sk_unsharp(unit[..., k], radius=1.0, amount=1.0) for k in range(3)], axis=-1)
    np.testing.assert_allclose(out[0], np.clip(expected * 2 - 1, -1, 1), atol=1e-5)
