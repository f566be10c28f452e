"""The photographs of notebook 09's transfer experiment: four demo photos, and training patches from others.

All come with scikit-image, so the experiment needs no download. The demo photos (a cup, a
cat, a portrait, a rocket) are what the models are tried on; the fine-tuning patches are
cut from *other* photographs (:data:`PHOTO_TRAINING`), never from the demo photos.

- :func:`load_demo_photos`: the demo photos (:func:`prodimg_lib.data.photos.demo_photo_folder`)
  loaded as notebook 09 loads them;
- :func:`photo_patches`: random grayscale patches of the other photographs, and
  :func:`patches_per_scale`, how many a run profile cuts.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.data.photos import DEMO_PHOTOS, demo_photo_folder, load_photo_folder
from prodimg_lib.data.pixels import check_positive_int

__all__ = ["DEMO_PHOTOS", "PHOTO_TRAINING", "PHOTO_SIZE", "load_demo_photos",
           "patches_per_scale", "photo_patches"]

PHOTO_SIZE = 128


def patches_per_scale(profile) -> int:
    """Patches cut per photo plane and scale for fine-tuning: 200 (11,400 in all) with the full data, else 10."""
    return 200 if profile.full_data else 10


def load_demo_photos(size: int = PHOTO_SIZE) -> tuple[np.ndarray, list[str]]:
    """The demo photos (:data:`DEMO_PHOTOS`) as notebook 09 loads them: centre crop, ``size`` x ``size``, uint8 RGB."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = load_photo_folder(demo_photo_folder(tmp), size=size, color_mode="rgb", fit="crop")
    return folder.images, [p.stem for p in folder.paths]


# Photographs shipped with scikit-image that are NOT among the demo photos: the fine-tuning data.
PHOTO_TRAINING = ("camera", "brick", "grass", "gravel", "coins", "moon", "text", "page", "clock", "cell",
                  "hubble_deep_field", "immunohistochemistry", "retina")


def photo_patches(per_scale: int = 200, size: int = 32, *, names=PHOTO_TRAINING, scales=(128, 192, 256),
                  seed: int = 0) -> np.ndarray:
    """Random grayscale patches of scikit-image's photographs, to fine-tune a super-resolution model on photos.

    Each photograph of ``names`` (by default the 13 of :data:`PHOTO_TRAINING`, none of the
    demo photos) is split into its colour channels (each one a grayscale image, as
    :func:`prodimg_lib.experiments.super_resolution.super_resolve_colour` will see them), resized with Lanczos so that its shorter side
    is each of ``scales`` pixels (thumbnail scales, like the 128-pixel test photos), and
    ``per_scale`` random ``size`` x ``size`` crops are cut from each.

    Returns:
        uint8 (N, size, size) patches, N = planes x len(scales) x per_scale (11,400 by default).
    """
    from PIL import Image
    from skimage import data as skdata

    per_scale, size = check_positive_int(per_scale, "per_scale"), check_positive_int(size, "size")
    rng = np.random.default_rng(seed)
    planes = []
    for name in names:
        pixels = np.asarray(getattr(skdata, name)())
        if pixels.dtype != np.uint8:
            raise ValueError(f"scikit-image's {name!r} is not a uint8 photograph ({pixels.dtype})")
        planes += [pixels[..., c] for c in range(3)] if pixels.ndim == 3 else [pixels]
    out = []
    for plane in planes:
        h, w = plane.shape
        for short in scales:
            scale = short / min(h, w)
            shape = (max(size, round(w * scale)), max(size, round(h * scale)))
            image = np.asarray(Image.fromarray(plane).resize(shape, Image.Resampling.LANCZOS))
            rows = rng.integers(0, image.shape[0] - size + 1, per_scale)
            cols = rng.integers(0, image.shape[1] - size + 1, per_scale)
            out += [image[r:r + size, c:c + size] for r, c in zip(rows, cols)]
    return np.stack(out)
