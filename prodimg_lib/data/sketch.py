"""Line drawings of products: the inputs of a sketch-to-product model (pix2pix, Isola et al. 2017).

A model that turns a drawing into a product needs pairs (drawing, product). Nobody drew
Fashion-MNIST, so the drawings are made from the products with a classical edge detector,
Canny's (1986): smooth with a Gaussian of ``sigma`` pixels, take the gradient, keep the
pixels where its magnitude is a local maximum across the edge (thin lines), and keep the
strong ones (above ``high``) and the weak ones (above ``low``) that connect to a strong one.
On 28 x 28 products, ``sigma`` 1 gives the outline and the main seams, as a quick drawing
would.

The convention is a drawing's: **dark lines on white paper**, in the models' range, -1.0 on a
line and 1.0 elsewhere, (N, H, W, 1) float32.

- :func:`edge_sketches`: drawings of a batch of images (the training pairs' inputs);
- :func:`drawing_to_sketch`: a drawing of your own (a small array, or a photo of a drawing on
  paper, any size) in the same convention and at the models' size.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.data.pixels import as_images, as_photo, check_positive_int, check_scalar, restore_batch

__all__ = ["SKETCH_SIGMA", "SKETCH_THRESHOLDS", "LINE_COVERAGE", "edge_sketches", "drawing_to_sketch"]

SKETCH_SIGMA = 1.0  # Gaussian smoothing of Canny's detector, in pixels of a 28 x 28 image
SKETCH_THRESHOLDS = (0.1, 0.2)  # (low, high) on the gradient magnitude of images in [0, 1]
LINE_COVERAGE = 0.05  # share of ink that makes a pixel of a shrunk drawing a line


def edge_sketches(images, *, sigma: float = SKETCH_SIGMA, thresholds=SKETCH_THRESHOLDS) -> np.ndarray:
    """Line drawings of images by Canny's edge detector (``skimage.feature.canny``).

    Args:
        images: (N, H, W, 1) or one (H, W, 1), float in [-1, 1] (e.g. ``to_minus_one_one``
            of Fashion-MNIST); colour images are reduced to their mean first.
        sigma: the detector's Gaussian smoothing in pixels (> 0); larger keeps fewer, longer lines.
        thresholds: ``(low, high)``, 0 <= low <= high, on the gradient magnitude of the image
            scaled to [0, 1].

    Returns:
        float32 of the input's shape with one channel: -1.0 on a line, 1.0 elsewhere.

    Raises:
        ValueError: images of the wrong shape or range, or bad settings.
    """
    from skimage.feature import canny

    batch, single = as_images(images, "images")
    sigma = check_scalar(sigma, "sigma", low=0.0, low_open=True)
    low, high = (check_scalar(t, "thresholds", low=0.0) for t in thresholds)
    if low > high:
        raise ValueError(f"thresholds must be (low, high) with low <= high, got {thresholds!r}")
    unit = (batch.astype(np.float64).mean(axis=-1) + 1.0) / 2.0  # (N, H, W) in [0, 1]
    lines = np.stack([canny(image, sigma=sigma, low_threshold=low, high_threshold=high) for image in unit])
    return restore_batch(np.where(lines, -1.0, 1.0).astype(np.float32)[..., None], single)


def drawing_to_sketch(pixels, size: int = 28) -> np.ndarray:
    """A drawing of your own as the models take it: dark lines on light paper -> (size, size, 1) in {-1, 1}.

    The drawing (a photo of a pencil drawing, or a small array painted by hand) is made grey;
    each pixel darker than Otsu's threshold between paper and ink is ink. The ink is cropped to a
    square around it with a margin of a tenth on each side (Fashion-MNIST's products nearly fill
    their frame), and shrunk to ``size`` pixels by area averaging, which gives each pixel the
    share of it that is ink; a pixel is a line where that share is at least
    :data:`LINE_COVERAGE`, so that a line one pixel wide in a drawing 18 times larger survives
    and a speck of dust does not. The lines are then thinned to one pixel (``skeletonize``), as
    the edge detector's are.

    Args:
        pixels: uint8 (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) (the alpha channel is dropped),
            at least 8 x 8, with some ink on it.
        size: the side of the sketch (the models': 28).

    Returns:
        float32 (size, size, 1): -1.0 on a line, 1.0 on paper.

    Raises:
        ValueError: a blank drawing (one grey level: no line to find), or a bad shape or dtype.
    """
    from PIL import Image
    from skimage.filters import threshold_otsu
    from skimage.morphology import skeletonize

    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    pixels = as_photo(pixels, "pixels", channels=(1, 3, 4))
    size = check_positive_int(size, "size", low=4)
    if min(pixels.shape[:2]) < 8:
        raise ValueError(f"a drawing must be at least 8 x 8 pixels, got {pixels.shape[1]} x {pixels.shape[0]}")
    grey = pixels[..., :3].astype(np.float64).mean(axis=-1)
    if np.ptp(grey) == 0:
        raise ValueError("the drawing is blank (one grey level): there is no line to find")
    ink = grey < threshold_otsu(grey)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    centre = ((rows[0] + rows[-1]) / 2, (cols[0] + cols[-1]) / 2)
    side = int(round(max(rows[-1] - rows[0], cols[-1] - cols[0], 1) * 1.2)) + 1
    top, left = int(round(centre[0] - side / 2)), int(round(centre[1] - side / 2))
    padded = np.pad(ink, side)  # paper around the drawing, so that the square may reach past its edges
    square = padded[top + side:top + 2 * side, left + side:left + 2 * side].astype(np.float32)
    coverage = np.asarray(Image.fromarray(square).resize((size, size), Image.Resampling.BOX))
    lines = skeletonize(coverage >= LINE_COVERAGE)  # one pixel wide, as the detector's lines are
    return np.where(lines, -1.0, 1.0).astype(np.float32)[..., None]
