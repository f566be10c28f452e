import numpy as np
import pytest

from prodimg_lib import data
from prodimg_lib.data import degrade


@pytest.fixture(scope="module")
def fashion():
    """20 Fashion-MNIST test images from the committed sample, (20, 28, 28, 1) in [-1, 1]."""
    return data.to_minus_one_one(data.load_sample().x_test[:20, ..., None])


def _random(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


# --- downscale -----------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [2, 4])
def test_downscale_is_the_exact_block_mean(factor):
    x = _random((3, 28, 28, 1))
    got = degrade.downscale(x, factor)
    s = 28 // factor
    expected = x.astype(np.float64).reshape(3, s, factor, s, factor, 1).mean(axis=(2, 4))
    assert got.shape == (3, s, s, 1) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_downscale_colour_and_single_image_keep_their_layout():
    x = _random((8, 12, 3))
    got = degrade.downscale(x, 2)
    assert got.shape == (4, 6, 3)
    np.testing.assert_allclose(got[1, 2], x[2:4, 4:6].mean(axis=(0, 1)), atol=1e-6)


def test_downscale_rejects_factors_that_do_not_divide_the_size():
    with pytest.raises(ValueError, match="not divisible by factor 3"):
        degrade.downscale(_random((2, 28, 28, 1)), 3)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="factor must be a positive integer"):
            degrade.downscale(_random((2, 28, 28, 1)), bad)


# --- noise -----------------------------------------------------------------------------------------


def test_noise_std_matches_sigma_on_the_0_255_scale():
    grey = np.zeros((8, 64, 64, 1), dtype=np.float32)  # mid-grey, far from clipping
    noisy = degrade.add_gaussian_noise(grey, 25, seed=0, clip=False)
    assert np.std(noisy) == pytest.approx(2 * 25 / 255, rel=0.01)  # [-1, 1] units
    assert np.std((noisy + 1) * 127.5) == pytest.approx(25.0, rel=0.01)  # grey levels of 255
    assert abs(np.mean(noisy)) < 0.005
    assert degrade.sigma_to_model_units(25) == pytest.approx(0.19607843)


def test_noise_can_differ_per_image():
    grey = np.zeros((2, 64, 64, 1), dtype=np.float32)
    noisy = degrade.add_gaussian_noise(grey, [10, 50], seed=1, clip=False)
    assert np.std(noisy[0]) == pytest.approx(2 * 10 / 255, rel=0.03)
    assert np.std(noisy[1]) == pytest.approx(2 * 50 / 255, rel=0.03)


def test_noise_is_reproducible_with_a_seed_and_fresh_from_a_generator(fashion):
    a = degrade.add_gaussian_noise(fashion, 25, seed=3)
    assert np.array_equal(a, degrade.add_gaussian_noise(fashion, 25, seed=3))
    assert not np.array_equal(a, degrade.add_gaussian_noise(fashion, 25, seed=4))
    rng = np.random.default_rng(3)
    first, second = degrade.add_gaussian_noise(fashion, 25, seed=rng), degrade.add_gaussian_noise(fashion, 25, seed=rng)
    assert np.array_equal(first, a) and not np.array_equal(first, second)


def test_noise_is_clipped_by_default_and_not_when_asked():
    white = np.ones((2, 16, 16, 1), dtype=np.float32)
    clipped = degrade.add_gaussian_noise(white, 25, seed=0)
    assert clipped.dtype == np.float32 and clipped.max() <= 1.0 and clipped.min() >= -1.0
    assert degrade.add_gaussian_noise(white, 25, seed=0, clip=False).max() > 1.0


def test_noise_rejects_bad_sigma_and_seed(fashion):
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        degrade.add_gaussian_noise(fashion, -5)
    with pytest.raises(TypeError, match="seed must be"):
        degrade.add_gaussian_noise(fashion, 25, seed=None)


# --- blur and JPEG ----------------------------------------------------------------------------------


def test_blur_keeps_constants_and_smooths(fashion):
    flat = np.full((2, 16, 16, 3), 0.25, dtype=np.float32)
    np.testing.assert_allclose(degrade.blur(flat, 2.0), flat, atol=1e-6)
    blurred = degrade.blur(fashion, 1.0)
    assert blurred.shape == fashion.shape and blurred.dtype == np.float32
    assert np.abs(np.diff(blurred, axis=2)).mean() < np.abs(np.diff(fashion, axis=2)).mean()
    np.testing.assert_array_equal(degrade.blur(fashion, 0.0), fashion)


def test_jpeg_round_trip(fashion):
    colour = _random((2, 16, 16, 3))
    for images in (fashion[:4], colour):
        out = degrade.jpeg(images, quality=50)
        assert out.shape == images.shape and out.dtype == np.float32
        assert -1.0 <= out.min() and out.max() <= 1.0
    error_high = np.abs(degrade.jpeg(fashion[:4], 95) - fashion[:4]).mean()
    error_low = np.abs(degrade.jpeg(fashion[:4], 10) - fashion[:4]).mean()
    assert error_high < error_low
    with pytest.raises(ValueError, match="quality must be an integer in"):
        degrade.jpeg(fashion, 0)


# --- defects -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", degrade.DEFECT_KINDS)
@pytest.mark.parametrize("shape", [(28, 28), (48, 64, 3)])
def test_defect_masks_cover_the_documented_fraction(kind, shape):
    masks = degrade.defect_masks(40, shape, kind, seed=0)
    assert masks.shape == (40, *shape[:2], 1) and masks.dtype == bool
    fractions = masks.mean(axis=(1, 2, 3))
    low, high = degrade.DEFECT_FRACTION
    assert (low, high) == (0.05, 0.20)
    assert fractions.min() >= low and fractions.max() <= high


def test_defect_masks_are_reproducible_and_respect_a_custom_fraction():
    a = degrade.defect_masks(5, (28, 28), "mixed", seed=7)
    assert np.array_equal(a, degrade.defect_masks(5, (28, 28), "mixed", seed=7))
    assert not np.array_equal(a, degrade.defect_masks(5, (28, 28), "mixed", seed=8))
    big = degrade.defect_masks(10, (32, 32), "blocks", seed=0, fraction=(0.3, 0.4)).mean(axis=(1, 2, 3))
    assert big.min() >= 0.3 and big.max() <= 0.4


def test_defect_masks_reject_bad_arguments():
    with pytest.raises(ValueError, match="unknown defect kind 'holes'"):
        degrade.defect_masks(2, (28, 28), "holes")
    with pytest.raises(ValueError, match="fraction must satisfy"):
        degrade.defect_masks(2, (28, 28), fraction=(0.3, 0.1))
    with pytest.raises(ValueError, match="n must be a positive integer"):
        degrade.defect_masks(0, (28, 28))


def test_apply_defects_fills_only_the_masked_pixels(fashion):
    masks = degrade.defect_masks(len(fashion), fashion.shape[1:], "scratches", seed=1)
    damaged = degrade.apply_defects(fashion, masks, fill=1.0)
    inside = np.broadcast_to(masks, fashion.shape)
    assert damaged.dtype == np.float32 and np.all(damaged[inside] == 1.0)
    np.testing.assert_array_equal(damaged[~inside], fashion[~inside])
    colour = _random((2, 16, 16, 3))
    out = degrade.apply_defects(colour, degrade.defect_masks(2, (16, 16), seed=0), fill=(1.0, 0.5, -1.0))
    assert np.all(out[degrade.defect_masks(2, (16, 16), seed=0)[..., 0]] == np.array([1.0, 0.5, -1.0], np.float32))


def test_apply_defects_checks_the_masks(fashion):
    with pytest.raises(ValueError, match="expected \\(20, 28, 28, 1\\) to match the images"):
        degrade.apply_defects(fashion, np.zeros((20, 14, 14, 1), bool))
    with pytest.raises(TypeError, match="must be boolean"):
        degrade.apply_defects(fashion, np.full(fashion.shape, 0.5))
    with pytest.raises(ValueError, match="fill must lie in"):
        degrade.apply_defects(fashion, np.zeros(fashion.shape, bool), fill=255)


# --- tone and colour -------------------------------------------------------------------------------


def test_low_light_follows_its_formula():
    x = _random((2, 8, 8, 3))
    got = degrade.low_light(x, gamma=2.0, exposure=0.5)
    expected = (0.5 * ((x.astype(np.float64) + 1) / 2) ** 2.0) * 2 - 1
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert np.all(got <= x + 1e-6)
    with pytest.raises(ValueError, match="exposure must be <= 1"):
        degrade.low_light(x, exposure=1.5)


def test_colour_cast_scales_channels_and_needs_colour(fashion):
    x = _random((2, 8, 8, 3)) * 0.5
    got = degrade.colour_cast(x, (1.2, 1.0, 0.5))
    u = (x.astype(np.float64) + 1) / 2
    expected = np.clip(u * np.array([1.2, 1.0, 0.5]), 0, 1) * 2 - 1
    np.testing.assert_allclose(got, expected, atol=1e-6)
    with pytest.raises(ValueError, match="needs colour images"):
        degrade.colour_cast(fashion)


# --- pairs and input checks ----------------------------------------------------------------------


def test_make_pairs_for_every_kind(fashion):
    colour = _random((3, 16, 16, 3))
    cases = {
        "downscale": ({"factor": 4}, (20, 7, 7, 1)),
        "noise": ({"sigma": 25}, fashion.shape),
        "blur": ({"sigma": 1.0}, fashion.shape),
        "jpeg": ({"quality": 20}, fashion.shape),
        "low_light": ({}, fashion.shape),
    }
    for kind, (params, shape) in cases.items():
        damaged, clean = degrade.make_pairs(fashion, kind, seed=0, **params)
        assert damaged.shape == shape and damaged.dtype == np.float32 and np.array_equal(clean, fashion), kind
    damaged, clean = degrade.make_pairs(colour, "colour_cast")
    assert damaged.shape == colour.shape
    damaged, clean, mask = degrade.make_pairs(fashion, "defects", defect="blocks", fill=-1.0, seed=2)
    assert mask.shape == fashion.shape and np.all(damaged[mask] == -1.0)
    again = degrade.make_pairs(fashion, "defects", defect="blocks", fill=-1.0, seed=2)
    assert np.array_equal(again[2], mask)
    with pytest.raises(ValueError, match="unknown degradation kind 'rain'"):
        degrade.make_pairs(fashion, "rain")


def test_single_images_keep_their_shape(fashion):
    one = fashion[0]
    assert degrade.add_gaussian_noise(one, 10).shape == (28, 28, 1)
    damaged, clean, mask = degrade.make_pairs(one, "defects", seed=0)
    assert damaged.shape == (28, 28, 1) and mask.shape == (28, 28, 1)


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (np.zeros((2, 28, 28, 1), np.uint8), TypeError, "uint8 pixels"),
        (np.zeros((2, 28, 28, 1), np.int64), TypeError, "must be float images"),
        (np.zeros((28, 28), np.float32), ValueError, "without the channel axis"),
        (np.zeros((2, 28, 28), np.float32), ValueError, "images\\[..., None\\]"),
        (np.zeros((2, 28, 28, 2), np.float32), ValueError, "C = 1 or 3"),
        (np.zeros((1, 2, 28, 28, 1), np.float32), ValueError, "rank 5"),
        (np.full((2, 28, 28, 1), 200.0, np.float32), ValueError, "must lie in \\[-1, 1\\].*to_minus_one_one"),
        (np.full((2, 28, 28, 1), np.nan, np.float32), ValueError, "NaN"),
        (np.zeros((0, 28, 28, 1), np.float32), ValueError, "no pixels"),
    ],
)
def test_bad_images_are_rejected_with_a_clear_message(bad, error, message):
    with pytest.raises(error, match=message):
        degrade.add_gaussian_noise(bad, 25)


def _best_global_curve(dark, clean):
    """The best any global tone curve can do, per channel: each 8-bit level -> the mean clean value of its pixels."""
    out = np.empty_like(clean)
    for c in range(clean.shape[-1]):
        levels = np.round((dark[..., c] + 1) * 127.5).astype(int).ravel()
        sums = np.bincount(levels, clean[..., c].ravel(), 256)
        counts = np.bincount(levels, minlength=256)
        out[..., c] = (sums / np.maximum(counts, 1))[levels].reshape(clean.shape[:-1])
    return out


def test_low_light_as_shot_is_a_dark_noisy_8_bit_photo_that_no_tone_curve_undoes():
    from prodimg_lib.data.photos import skimage_photo
    from prodimg_lib.evaluation.image_quality import psnr

    clean = data.to_minus_one_one(skimage_photo("coffee"))[::2, ::2]  # a training photo, 200 x 300
    dark = degrade.low_light_as_shot(clean, seed=0)
    assert dark.shape == clean.shape and dark.dtype == np.float32
    np.testing.assert_allclose((dark + 1) * 127.5, np.round((dark + 1) * 127.5), atol=1e-4)  # 8-bit levels
    assert dark.mean() < clean.mean() - 0.3 and (dark == -1).mean() > 0.01  # darker, shadows crushed to black
    np.testing.assert_array_equal(dark, degrade.low_light_as_shot(clean, seed=0))
    assert not np.array_equal(dark, degrade.low_light_as_shot(clean, seed=1))
    # The old darkening is one tone curve: the best global curve undoes it almost exactly. Uneven
    # exposure, a cast and noise that grows in the shadows leave far more than any curve can undo.
    assert psnr(clean, _best_global_curve(degrade.low_light(clean), clean)) > 35
    assert psnr(clean, _best_global_curve(dark, clean)) < 28
    even = degrade.low_light_as_shot(clean, seed=0, stops=(2, 2), unevenness=0, cast=0, full_well=1e12, read_noise=0)
    assert psnr(clean, _best_global_curve(even, clean)) > 35  # with all three off, it is a curve again
    gray = degrade.low_light_as_shot(clean[None, ..., :1], seed=0)
    assert gray.shape == (1, 200, 300, 1)
    with pytest.raises(ValueError, match="stops"):
        degrade.low_light_as_shot(clean, stops=(3, 1))
    with pytest.raises(ValueError, match="full_well"):
        degrade.low_light_as_shot(clean, full_well=0)
