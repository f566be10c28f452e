"""Line drawings of products: Canny sketches of images, and your own drawings brought to the models' convention."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from prodimg_lib import data
from prodimg_lib.data.sketch import edge_sketches, drawing_to_sketch


def test_a_bright_square_on_black_becomes_its_outline_on_white_paper():
    image = np.full((28, 28, 1), -1.0, np.float32)
    image[8:20, 8:20] = 1.0
    sketch = edge_sketches(image)
    assert sketch.shape == (28, 28, 1) and sketch.dtype == np.float32 and set(np.unique(sketch)) == {-1.0, 1.0}
    lines = sketch[..., 0] < 0
    rows, cols = np.flatnonzero(lines.any(axis=1)), np.flatnonzero(lines.any(axis=0))
    assert 6 <= rows[0] <= 8 and 19 <= rows[-1] <= 21 and 6 <= cols[0] <= 8 and 19 <= cols[-1] <= 21  # the outline
    assert not lines[11:17, 11:17].any() and not lines[:4].any()  # inside and far outside: paper
    flat = edge_sketches(np.zeros((2, 28, 28, 1), np.float32))
    np.testing.assert_array_equal(flat, 1.0)  # nothing to draw


def test_fashion_mnist_sketches_are_sparse_lines_and_reproducible(sample):
    images = data.to_minus_one_one(sample.x_train[:16])[..., None]
    sketches = edge_sketches(images)
    assert sketches.shape == (16, 28, 28, 1)
    ink = (sketches < 0).mean(axis=(1, 2, 3))
    assert np.all(ink > 0.02) and np.all(ink < 0.4)  # every product has lines, and they are lines, not fills
    np.testing.assert_array_equal(sketches, edge_sketches(images))
    assert (edge_sketches(images, sigma=2.0) < 0).mean() < ink.mean()  # more smoothing, fewer lines


def test_sketch_settings_are_checked():
    image = np.zeros((28, 28, 1), np.float32)
    with pytest.raises(ValueError, match="sigma"):
        edge_sketches(image, sigma=0)
    with pytest.raises(ValueError, match="low <= high"):
        edge_sketches(image, thresholds=(0.3, 0.1))
    with pytest.raises(ValueError):
        edge_sketches(np.full((28, 28, 1), 3.0, np.float32))  # out of [-1, 1]


def _photo_of_a_drawing(rgb: bool = False) -> np.ndarray:
    """A T-shirt drawn with a 4-pixel pen on 400 x 300 paper, lit unevenly, with sensor noise."""
    paper = Image.new("L", (400, 300), 235)
    ImageDraw.Draw(paper).line([(150, 40), (250, 40), (330, 100), (300, 140), (270, 120), (270, 270), (130, 270),
                                (130, 120), (100, 140), (70, 100), (150, 40)], fill=40, width=4)
    pixels = np.asarray(paper).astype(float) - np.linspace(0, 40, 400)[None]
    pixels = np.clip(pixels + np.random.default_rng(0).normal(0, 4, pixels.shape), 0, 255).astype(np.uint8)
    return np.repeat(pixels[..., None], 3, axis=-1) if rgb else pixels


def test_a_photo_of_a_drawing_becomes_a_thin_line_sketch_that_fills_the_frame():
    sketch = drawing_to_sketch(_photo_of_a_drawing())
    assert sketch.shape == (28, 28, 1) and set(np.unique(sketch)) == {-1.0, 1.0}
    lines = sketch[..., 0] < 0
    rows, cols = np.flatnonzero(lines.any(axis=1)), np.flatnonzero(lines.any(axis=0))
    assert rows[0] <= 5 and rows[-1] >= 22 and cols[0] <= 3 and cols[-1] >= 24  # cropped to the drawing, a margin left
    assert 0.05 < lines.mean() < 0.3
    blocks = lines[:-1, :-1] & lines[1:, :-1] & lines[:-1, 1:] & lines[1:, 1:]
    assert not blocks.any()  # one pixel wide: no 2 x 2 block of ink
    assert not lines[12:20, 10:18].any()  # the shirt's inside is paper
    np.testing.assert_array_equal(drawing_to_sketch(_photo_of_a_drawing(rgb=True)), sketch)


def test_drawing_errors_name_the_problem():
    with pytest.raises(ValueError, match="blank"):
        drawing_to_sketch(np.full((50, 50), 255, np.uint8))
    with pytest.raises(ValueError, match="at least 8 x 8"):
        drawing_to_sketch(np.zeros((5, 40), np.uint8))
    with pytest.raises(ValueError):
        drawing_to_sketch(np.zeros((50, 50), np.float64))  # not 8-bit pixels
