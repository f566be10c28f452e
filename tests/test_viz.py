"""Figures and tables of prodimg_lib.viz: image grids, before/after pictures, enhancement panels, results tables."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from prodimg_lib import data
from prodimg_lib import viz  # noqa: E402
from prodimg_lib.data import degrade


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fashion():
    return data.to_minus_one_one(data.load_sample().x_test[:3, ..., None])


def test_grid_image_tiles_rows_with_padding(fashion):
    grid = viz.grid_image(fashion, ncols=2, pad=1, pad_value=7)
    assert grid.shape == (2 * 29 + 1, 2 * 29 + 1) and grid.dtype == np.uint8  # 3 images: 2 rows, 2 columns
    np.testing.assert_array_equal(grid[1:29, 30:58], data.from_minus_one_one(fashion[1, ..., 0]))
    assert (grid[30:58, 30:58] == 7).all()  # the empty cell
    assert viz.grid_image(fashion, scale=2).shape == (2 * (2 * 30 + 2), 2 * (2 * 30 + 2))
    colour = viz.grid_image(np.zeros((2, 4, 4, 3), np.uint8), ncols=2)
    assert colour.shape == (8, 14, 3)
    with pytest.raises(ValueError, match="n >= 1"):
        viz.grid_image(np.zeros((0, 4, 4), np.uint8))


def test_grid_image_of_different_sizes_and_side_by_side():
    small, large = np.full((10, 12, 1), 50, np.uint8), np.full((20, 24, 3), 200, np.uint8)
    grid = viz.grid_image([small, large], ncols=2, pad=8, pad_value=255, margin=0)
    assert grid.shape == (20, 12 + 8 + 24, 3)
    assert (grid[:10, :12] == 50).all() and (grid[10:, :12] == 255).all() and (grid[:, 20:] == 200).all()
    pair = viz.side_by_side(small, large)  # the small one enlarged x2 first
    assert pair.shape == (20, 24 + 8 + 24, 3)
    assert (pair[:, :24] == 50).all() and (pair[:, 24:32] == 255).all() and (pair[:, 32:] == 200).all()
    assert viz.side_by_side(small, small).shape == (10, 32, 1)
    with pytest.raises(ValueError, match="before must be one uint8 image"):
        viz.side_by_side(small.astype(np.float32), large)


def test_image_grid_leaves_the_cells_after_the_last_image_empty(fashion):
    fig = viz.image_grid(fashion, 2, 2, titles=["a", "b", "c"])
    assert len(fig.axes) == 4 and [len(ax.get_images()) for ax in fig.axes] == [1, 1, 1, 0]
    assert [ax.get_title() for ax in fig.axes] == ["a", "b", "c", ""]
    assert viz.figure_png(fig).startswith(b"\x89PNG")


def test_compare_panels_one_axis_per_image(fashion):
    rows = [[degrade.add_gaussian_noise(x, 25, seed=0), x, data.from_minus_one_one(x)] for x in fashion]
    fig = viz.compare_panels(rows, ["noisy", "clean", "uint8"])
    assert isinstance(fig, Figure) and len(fig.axes) == 9
    assert [ax.get_title() for ax in fig.axes[:3]] == ["noisy", "clean", "uint8"]


def test_compare_panels_with_zoom_mixed_sizes_and_colour(fashion):
    low_res = degrade.downscale(fashion, 4)  # 7x7 next to 28x28
    rows = [[low_res[i], fashion[i], fashion[i, ..., 0]] for i in range(2)]
    titles = [["input", "output 21.3 dB", "reference"], ["input", "output 19.0 dB", "reference"]]
    fig = viz.compare_panels(rows, titles, zoom=(8, 8, 12, 12), row_labels=["a", "b"])
    assert len(fig.axes) == 12  # each image and its enlarged crop
    # axes in grid order: row 0 images, row 0 crops, row 1 images, row 1 crops
    assert fig.axes[1].get_title() == "output 21.3 dB" and fig.axes[7].get_title() == "output 19.0 dB"
    crop = fig.axes[3].get_images()[0].get_array()  # crop of the 7x7 input: the box scaled by 1/4
    assert crop.shape == (3, 3)
    assert len(fig.axes[0].patches) == 1  # the zoom box drawn on the full image
    colour = np.random.default_rng(0).uniform(-1, 1, (32, 32, 3)).astype(np.float32)
    fig = viz.compare_panels([[colour, colour]], zoom=(0, 0, 16, 16))
    assert len(fig.axes) == 4 and fig.axes[2].get_images()[0].get_array().shape == (16, 16, 3)


def test_compare_panels_rejects_bad_input(fashion):
    with pytest.raises(ValueError, match="row 1 has 1"):
        viz.compare_panels([[fashion[0], fashion[1]], [fashion[2]]])
    with pytest.raises(ValueError, match="one title per column"):
        viz.compare_panels([[fashion[0], fashion[1]]], ["only one"])
    with pytest.raises(ValueError, match="must lie inside"):
        viz.compare_panels([[fashion[0]]], zoom=(20, 20, 10, 10))
    with pytest.raises(ValueError, match="rows\\[0\\]\\[0\\].*\\[-1, 1\\]"):
        viz.compare_panels([[fashion[0] * 255]])
    with pytest.raises(ValueError, match="at least one row"):
        viz.compare_panels([])


def test_results_table_keeps_the_given_order_and_formats():
    table = viz.results_table(
        [
            ("noisy input", 20.172, 0.51234, None),
            ("TV (tuned)", 24.2, 0.8165, 0.31),
            {"method": "DnCNN", "psnr": float("inf"), "ssim": 1.0, "seconds": 12.345, "psnr_mask": 30.0},
        ]
    )
    lines = table.splitlines()
    assert len(lines) == 5
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header == ["method", "PSNR (dB)", "SSIM", "seconds", "PSNR mask (dB)"]
    assert lines[2].startswith("| noisy input") and "20.17" in lines[2] and "0.5123" in lines[2]
    assert lines[3].startswith("| TV (tuned)") and "0.310" in lines[3]
    assert "inf" in lines[4] and "12.35" in lines[4] and "30.00" in lines[4]
    assert len({len(line) for line in lines}) == 1  # aligned columns


def test_results_table_rejects_bad_rows():
    with pytest.raises(ValueError, match="empty"):
        viz.results_table([])
    with pytest.raises(TypeError, match="rows\\[0\\] must be a dict or a tuple"):
        viz.results_table([("only a name",)])
