"""Training crops cut from photographs, shared by the photo upscalers and the photo denoiser.

- :func:`luma_planes`: the brightness (luma) of each photo, the one channel the photo models
  learn from;
- :func:`quantise`: rounding to the 256 levels of an 8-bit image, as a saved photo is;
- :func:`photo_crops`: random crops of the luma of scikit-image's training photographs (never a
  held-out one) and of your own photos, each photo at several sizes, turned and flipped.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.data.photos import HELD_OUT_PHOTOS, TRAINING_PHOTOS, skimage_photo
from prodimg_lib.data.pixels import as_photo, check_positive_int

__all__ = ["PHOTO_SCALES", "luma_planes", "quantise", "photo_crops"]

PHOTO_SCALES = (1.0, 0.7, 0.5)  # each training photo at its own size and shrunk, for detail at several scales


def luma_planes(photos) -> list[np.ndarray]:
    """The luma of each uint8 photo (H, W, 1 or 3) as float64 (H, W) in [-1, 1]."""
    from prodimg_lib.data import to_minus_one_one
    from prodimg_lib.data.pixels import rgb_to_ycbcr

    planes = []
    for pixels in photos:
        x = to_minus_one_one(as_photo(pixels, "photo")).astype(np.float64)
        planes.append((rgb_to_ycbcr(x)[..., 0] if x.shape[-1] == 3 else x[..., 0]).astype(np.float64))
    return planes


def quantise(x: np.ndarray) -> np.ndarray:
    """Round [-1, 1] values to the 256 levels of an 8-bit image (float32, still in [-1, 1])."""
    from prodimg_lib.data import from_minus_one_one, to_minus_one_one

    return to_minus_one_one(from_minus_one_one(x))


def photo_crops(per_photo: int, patch: int, *, names=TRAINING_PHOTOS, own_photos=None,
                rng: np.random.Generator) -> np.ndarray:
    """Random luma crops of photographs, rounded to 8 bits.

    Each photo (by name from scikit-image, plus ``own_photos``) is taken at the sizes
    :data:`PHOTO_SCALES` (Lanczos), ``per_photo`` crops of ``patch`` x ``patch`` are cut at random
    (a third at each size; sizes smaller than a crop are left out), each turned by a random
    multiple of 90 degrees and flipped half of the time.

    Args:
        per_photo: crops per photo (>= 1).
        patch: the crop size in pixels (>= 1).
        names: scikit-image photographs (default :data:`~prodimg_lib.data.photos.TRAINING_PHOTOS`);
            a held-out photo is refused.
        own_photos: None, or uint8 photos (each (H, W, 1 or 3), any size) to add, e.g. a
            :class:`~prodimg_lib.data.photos.PhotoFolder`'s images or ``read_photo`` results.
        rng: the random generator of every choice.

    Returns:
        float32 (N, patch, patch, 1) in [-1, 1], on the 256 levels of an 8-bit image.

    Raises:
        ValueError: a held-out photo among ``names``, a bad size, or no photo large enough for one crop.
    """
    from prodimg_lib.enhancement.classical.resize import pillow_lanczos

    per_photo = check_positive_int(per_photo, "per_photo")
    patch = check_positive_int(patch, "patch")
    held = [n for n in names if n in HELD_OUT_PHOTOS]
    if held:
        raise ValueError(f"{', '.join(held)} {'is' if len(held) == 1 else 'are'} held out for measurement: "
                         "never train on the held-out photos")
    photos = [skimage_photo(n) for n in names] + list(own_photos if own_photos is not None else [])
    crops = []
    for plane in luma_planes(photos):
        sizes = [plane.shape if s == 1 else (round(plane.shape[0] * s), round(plane.shape[1] * s)) for s in PHOTO_SCALES]
        sizes = [size for size in sizes if min(size) >= patch]
        for k, size in enumerate(sizes):
            image = plane if size == plane.shape else pillow_lanczos(plane[None, ..., None], size)[0, ..., 0]
            count = per_photo // len(sizes) + (k < per_photo % len(sizes))
            rows = rng.integers(0, size[0] - patch + 1, count)
            cols = rng.integers(0, size[1] - patch + 1, count)
            for r, c in zip(rows, cols):
                crop = np.rot90(image[r:r + patch, c:c + patch], int(rng.integers(4)))
                crops.append(np.clip(crop[:, ::-1] if rng.random() < 0.5 else crop, -1.0, 1.0))
    if not crops:
        raise ValueError(f"no photo is at least {patch} x {patch} pixels: nothing to train on")
    return quantise(np.stack(crops)[..., None])
