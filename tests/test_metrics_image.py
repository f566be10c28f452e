"""PSNR and SSIM of enhanced images (prodimg_lib.evaluation.image_quality.psnr / ssim)."""

import math

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from prodimg_lib import data
from prodimg_lib.data import degrade
from prodimg_lib.evaluation import image_quality


@pytest.fixture(scope="module")
def fashion():
    return data.to_minus_one_one(data.load_sample().x_test[:12, ..., None])


def _random(shape, seed=0, low=-1.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


# --- PSNR ----------------------------------------------------------------------------------------


def test_psnr_of_identical_images_is_inf(fashion):
    assert image_quality.psnr(fashion, fashion) == math.inf
    per_image = image_quality.psnr(fashion, fashion.copy(), reduction="none")
    assert per_image.shape == (12,) and np.all(np.isinf(per_image))


def test_psnr_of_a_constant_offset_has_a_closed_form():
    reference = _random((3, 16, 16, 1), low=-0.5, high=0.5)
    offset = 0.1
    # MSE = offset², range 2: PSNR = 10 log10(4 / offset²) = 20 log10(2 / offset) = 26.02 dB
    assert image_quality.psnr(reference, reference + offset) == pytest.approx(20 * math.log10(2 / offset), abs=1e-4)


def test_psnr_in_minus_one_one_equals_psnr_of_uint8_pixels():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (4, 20, 20, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-30, 31, a.shape), 0, 255).astype(np.uint8)
    expected = np.mean([peak_signal_noise_ratio(x, y, data_range=255) for x, y in zip(a, b)])
    assert image_quality.psnr(data.to_minus_one_one(a), data.to_minus_one_one(b)) == pytest.approx(expected, abs=1e-4)


def test_psnr_is_the_mean_of_per_image_psnr():
    reference = np.zeros((2, 8, 8, 1), np.float32)
    estimate = np.stack([np.full((8, 8, 1), 0.02), np.full((8, 8, 1), 0.2)]).astype(np.float32)
    per_image = image_quality.psnr(reference, estimate, reduction="none")
    np.testing.assert_allclose(per_image, [20 * math.log10(2 / 0.02), 20 * math.log10(2 / 0.2)], atol=1e-4)
    assert image_quality.psnr(reference, estimate) == pytest.approx(per_image.mean())


def test_psnr_is_skimage_psnr_and_psnr_from_mse_is_its_formula():
    reference, estimate = _random((3, 9, 7, 3), seed=2), _random((3, 9, 7, 3), seed=3)
    expected = [peak_signal_noise_ratio(r.astype(np.float64), e.astype(np.float64), data_range=2) for r, e in
                zip(reference, estimate)]
    np.testing.assert_array_equal(image_quality.psnr(reference, estimate, reduction="none"), expected)
    mse = np.mean((reference.astype(np.float64) - estimate) ** 2, axis=(1, 2, 3))
    np.testing.assert_allclose(image_quality.psnr_from_mse(mse), expected, rtol=1e-12)
    assert image_quality.psnr_from_mse(0.01) == pytest.approx(10 * math.log10(4 / 0.01))
    assert image_quality.psnr_from_mse(0.0) == math.inf
    assert image_quality.psnr_from_mse(0.01, data_range=1.0) == pytest.approx(20.0)
    with pytest.raises(ValueError, match="cannot be negative"):
        image_quality.psnr_from_mse([0.1, -0.1])


def test_noise_of_sigma_25_gives_about_20_db():
    grey = np.zeros((4, 64, 64, 1), np.float32)
    noisy = degrade.add_gaussian_noise(grey, 25, seed=0)
    assert image_quality.psnr(grey, noisy) == pytest.approx(20 * math.log10(255 / 25), abs=0.1)


def test_masked_psnr_counts_only_the_mask():
    reference = _random((2, 16, 16, 1), low=-0.5, high=0.5)
    mask = np.zeros((2, 16, 16, 1), bool)
    mask[:, 4:8, 4:8] = True
    estimate = reference.copy()
    estimate[mask] += 0.1  # error inside the mask only
    assert image_quality.psnr(reference, estimate, mask) == pytest.approx(20 * math.log10(2 / 0.1), abs=1e-4)
    estimate[~mask] = 0.9  # large errors outside do not count
    assert image_quality.psnr(reference, estimate, mask) == pytest.approx(20 * math.log10(2 / 0.1), abs=1e-4)
    assert image_quality.psnr(reference, estimate) < 15


def test_masked_psnr_on_colour_and_empty_masks():
    reference = _random((2, 12, 12, 3), low=-0.5, high=0.5)
    estimate = reference + 0.05
    mask = np.zeros((2, 12, 12, 1), bool)
    mask[0, :3, :3] = True  # the second image has an empty mask: left out of the mean
    per_image = image_quality.psnr(reference, estimate, mask, reduction="none")
    assert per_image[0] == pytest.approx(20 * math.log10(2 / 0.05), abs=1e-4) and np.isnan(per_image[1])
    assert image_quality.psnr(reference, estimate, mask) == pytest.approx(per_image[0])
    with pytest.raises(ValueError, match="selects no pixels"):
        image_quality.psnr(reference, estimate, np.zeros_like(mask))


# --- SSIM ----------------------------------------------------------------------------------------


def test_ssim_is_one_for_identical_images(fashion):
    assert image_quality.ssim(fashion, fashion) == pytest.approx(1.0)
    mask = degrade.defect_masks(len(fashion), (28, 28), seed=0)
    assert image_quality.ssim(fashion, fashion, mask) == pytest.approx(1.0)
    colour = _random((2, 16, 16, 3))
    assert image_quality.ssim(colour, colour) == pytest.approx(1.0)


def test_ssim_matches_scikit_image_and_falls_with_noise(fashion):
    noisy = degrade.add_gaussian_noise(fashion, 25, seed=0)
    options = dict(data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    pairs = zip((fashion + 1) / 2, (noisy + 1) / 2)
    expected = np.mean([structural_similarity(a[..., 0], b[..., 0], **options) for a, b in pairs])
    assert image_quality.ssim(fashion, noisy) == pytest.approx(expected, abs=1e-6)
    assert image_quality.ssim(fashion, noisy) > image_quality.ssim(fashion, degrade.add_gaussian_noise(fashion, 50, seed=0))


def test_ssim_in_minus_one_one_equals_ssim_of_uint8_pixels():
    # SSIM is not shift-invariant: with data_range 2 directly on [-1, 1] values it would differ.
    rng = np.random.default_rng(2)
    a = rng.integers(0, 256, (2, 24, 24, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 41, a.shape), 0, 255).astype(np.uint8)
    options = dict(data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, channel_axis=-1)
    expected = np.mean([structural_similarity(x, y, **options) for x, y in zip(a, b)])
    x, y = data.to_minus_one_one(a), data.to_minus_one_one(b)
    assert image_quality.ssim(x, y) == pytest.approx(expected, abs=1e-6)
    naive = np.mean([structural_similarity(p, q, **{**options, "data_range": 2.0}) for p, q in zip(x, y)])
    assert abs(naive - expected) > 0.05  # why image_quality.ssim maps to [0, 1] first


def test_masked_ssim_averages_the_map_inside_the_mask(fashion):
    noisy = fashion.copy()
    mask = np.zeros(fashion.shape, bool)
    mask[:, :, :14] = True
    noisy[:, :, 14:] = degrade.add_gaussian_noise(fashion, 50, seed=0)[:, :, 14:]  # damage the right half only
    left = image_quality.ssim(fashion, noisy, mask)
    right = image_quality.ssim(fashion, noisy, ~mask)
    assert right < left < 1.0  # windows near the middle see both halves
    assert left > 0.8


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", [image_quality.psnr, image_quality.ssim])
def test_bad_inputs_raise_clear_errors(metric, fashion):
    with pytest.raises(ValueError, match="different shapes"):
        metric(fashion, fashion[:, :14, :14])
    with pytest.raises(TypeError, match="uint8 pixels"):
        metric(fashion, data.load_sample().x_test[:12, ..., None])
    with pytest.raises(ValueError, match="must lie in \\[-1, 1\\].*clip=True"):
        metric(fashion, fashion * 1.1)
    assert metric(fashion, fashion * 1.1, clip=True) > 0
    with pytest.raises(ValueError, match="to match the images"):
        metric(fashion, fashion, np.ones((12, 14, 14, 1), bool))
    with pytest.raises(ValueError, match="without the channel axis"):
        metric(fashion[0, ..., 0], fashion[0, ..., 0])
    with pytest.raises(ValueError, match="reduction must be"):
        metric(fashion, fashion, reduction="sum")


def test_ssim_needs_images_at_least_as_large_as_its_window():
    small = _random((2, 7, 7, 1))
    with pytest.raises(ValueError, match="at least 11x11"):
        image_quality.ssim(small, small)


def test_noise_sigma_reads_white_noise_and_ignores_smooth_content():
    flat = np.zeros((3, 120, 140, 3), np.float32)
    noisy = degrade.add_gaussian_noise(flat, np.array([5.0, 15.0, 30.0]), seed=0)
    np.testing.assert_allclose(image_quality.noise_sigma(noisy, reduction="none"), [5, 15, 30], rtol=0.05)
    ramp = np.tile(np.linspace(-0.8, 0.8, 60), (50, 1))[..., None]  # a plane: the mask gives exactly zero
    assert image_quality.noise_sigma(ramp) == pytest.approx(0.0, abs=1e-9)
    on_ramp = degrade.add_gaussian_noise(np.tile(ramp[None], (1, 1, 1, 1)) * 0.5, 20.0, seed=1)
    assert image_quality.noise_sigma(on_ramp) == pytest.approx(20.0, rel=0.06)
    with pytest.raises(ValueError, match="at least 3 x 3"):
        image_quality.noise_sigma(np.zeros((2, 8, 1)))
    with pytest.raises(ValueError, match="reduction"):
        image_quality.noise_sigma(flat, reduction="sum")
