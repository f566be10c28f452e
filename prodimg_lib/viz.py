"""Every image grid, comparison panel and results table of the course.

One family of functions shows several images together:

- :func:`grid_image` tiles images into one uint8 picture (the one tiling function: sample
  grids, contact sheets, :func:`side_by_side` are built with it);
- :func:`side_by_side`: a before/after picture of two images of different sizes;
- :func:`image_grid` and :func:`class_grid`: a matplotlib figure of images with titles and row labels;
- :func:`compare_panels`: before / after / reference panels with enlarged crops;
- :func:`figure_png`: a figure as PNG bytes (to save it, e.g. with :mod:`prodimg_lib.files`);
- :func:`results_table`: the Markdown table of the enhancement results.
"""

from __future__ import annotations

import io

import numpy as np

from prodimg_lib.data import from_minus_one_one
from prodimg_lib.data.pixels import as_photo, check_pixel_values

__all__ = ["to_display", "grid_image", "side_by_side", "image_grid", "class_grid", "compare_panels", "figure_png",
           "results_table"]


def to_display(images: np.ndarray) -> np.ndarray:
    """Images as float values in [0, 1] for ``imshow``, with the channel axis dropped for grayscale.

    Accepts uint8 in [0, 255] or floats in [-1, 1] (model range); shape (..., H, W) or (..., H, W, C).
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        out = images.astype(np.float32) / 255.0
    else:
        if images.size:
            check_pixel_values(images, "float images")
        out = from_minus_one_one(images, dtype="float32")
    if out.ndim >= 3 and out.shape[-1] == 1:
        out = out[..., 0]
    return out


def _tiles(images) -> list[np.ndarray]:
    """The images to tile, each as uint8 pixels (H, W, C)."""
    if isinstance(images, (list, tuple)):
        items = [np.asarray(image) for image in images]
        shape = f"a list of {len(items)} images"
    else:
        array = np.asarray(images)
        items = list(array) if array.ndim in (3, 4) else []
        shape = array.shape
    if not items:
        raise ValueError(f"images must have shape (n, H, W) or (n, H, W, C) with n >= 1, got {shape}")
    tiles = []
    for i, image in enumerate(items):
        pixels = image if image.dtype == np.uint8 else from_minus_one_one(image)
        pixels = pixels[..., None] if pixels.ndim == 2 else pixels
        if pixels.ndim != 3 or pixels.shape[-1] not in (1, 3):
            raise ValueError(f"image {i} has shape {image.shape}; expected (H, W), (H, W, 1) or (H, W, 3)")
        tiles.append(pixels)
    return tiles


def grid_image(images, ncols: int | None = None, *, pad: int = 2, pad_value: int = 128, scale: int = 1,
               margin: int | None = None) -> np.ndarray:
    """Tile images into one uint8 picture, row by row.

    Args:
        images: (n, H, W, C) or (n, H, W) floats in [-1, 1] (mapped back with
            :func:`prodimg_lib.data.from_minus_one_one`) or uint8 pixels; or a list of images
            (H, W) or (H, W, C) of different sizes: each row is then as tall as its tallest
            image, each column as wide as its widest, and an image sits at the top left of
            its cell. Grayscale images next to colour ones are shown in grey.
        ncols: images per row (default: about the square root of n).
        pad: pixels between the images; pad_value: their grey level (also of empty cells).
        scale: integer upscaling factor (nearest neighbour), for visibility.
        margin: pixels around the whole picture (default: ``pad``).

    Returns:
        uint8 array (rows*(H+pad)+pad, ncols*(W+pad)+pad) for grayscale (with equal sizes and
        the default margin), with a trailing channel axis for colour, times ``scale``.
    """
    tiles = _tiles(images)
    channels = max(t.shape[-1] for t in tiles)
    tiles = [np.repeat(t, channels // t.shape[-1], axis=-1) for t in tiles]
    n = len(tiles)
    ncols = int(ncols or int(np.ceil(np.sqrt(n))))
    nrows = int(np.ceil(n / ncols))
    margin = pad if margin is None else margin
    widest = max(t.shape[1] for t in tiles)
    heights = [max(t.shape[0] for t in tiles[r * ncols:(r + 1) * ncols]) for r in range(nrows)]
    widths = [max((t.shape[1] for t in tiles[c::ncols]), default=widest) for c in range(ncols)]
    tops = margin + np.concatenate([[0], np.cumsum(np.add(heights, pad))[:-1]]).astype(int)
    lefts = margin + np.concatenate([[0], np.cumsum(np.add(widths, pad))[:-1]]).astype(int)
    grid = np.full((2 * margin + sum(heights) + pad * (nrows - 1), 2 * margin + sum(widths) + pad * (ncols - 1), channels),
                   pad_value, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        top, left = tops[i // ncols], lefts[i % ncols]
        grid[top:top + tile.shape[0], left:left + tile.shape[1]] = tile
    if scale > 1:
        grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    return grid[..., 0] if channels == 1 else grid


def side_by_side(before, after, gap: int = 8) -> np.ndarray:
    """One uint8 picture: ``before`` enlarged (nearest neighbour) to ``after``'s height, a white gap, ``after``.

    Args:
        before, after: uint8 (H, W, C) photos, C 1 or 3 (grayscale is shown in grey next to colour).
        gap: white pixels between them.

    Returns:
        uint8 (H, W, C), C the larger of the two.
    """
    before, after = as_photo(before, "before"), as_photo(after, "after")
    factor = max(1, round(after.shape[0] / before.shape[0]))
    big = before.repeat(factor, axis=0).repeat(factor, axis=1)[: after.shape[0]]
    picture = grid_image([big, after], ncols=2, pad=gap, pad_value=255, margin=0)
    return picture if picture.ndim == 3 else picture[..., None]


def figure_png(fig, *, dpi: int = 120) -> bytes:
    """A matplotlib figure as PNG bytes, on a white background, cropped to its content."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def image_grid(images, nrows: int, ncols: int, *, titles=None, row_labels=None, cell_size: float = 1.1, suptitle=None):
    """Show images (uint8 [0, 255] or float [-1, 1]) in a grid of ``nrows`` x ``ncols`` cells; return the figure.

    The images fill the grid row by row; cells beyond the last image stay empty (images beyond
    the grid are not shown). ``titles`` has one title per image. Grayscale images are drawn
    with a gray colour map on a fixed range (black 0, white 255), so that dark images stay dark.
    """
    import matplotlib.pyplot as plt

    shown = to_display(images)
    if len(shown) == 0:
        raise ValueError("no images to show")
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * cell_size + (1.4 if row_labels else 0), nrows * cell_size))
    axes = np.asarray(axes).reshape(nrows, ncols)
    for i, ax in enumerate(axes.flat):
        if i < len(shown):
            ax.imshow(shown[i], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_visible(False)
        if titles is not None and i < len(shown):
            ax.set_title(str(titles[i]), fontsize=8)
    if row_labels is not None:
        for label, ax in zip(row_labels, axes[:, 0]):
            ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def class_grid(images, labels, class_names, per_class: int = 8, *, seed: int = 0, suptitle=None):
    """One row per class with ``per_class`` randomly chosen examples, the class name at the left."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    picks = []
    for c in range(len(class_names)):
        idx = np.flatnonzero(labels == c)
        if len(idx) < per_class:
            raise ValueError(f"class {class_names[c]!r} has {len(idx)} images, fewer than per_class={per_class}")
        picks.append(rng.choice(idx, per_class, replace=False))
    order = np.concatenate(picks)
    return image_grid(np.asarray(images)[order], len(class_names), per_class, row_labels=list(class_names), suptitle=suptitle)


# --- enhancement results: before / after panels and a results table ---------------------------



def _panel_image(image, where: str) -> np.ndarray:
    """One image for display: (H, W) or (H, W, 3) floats in [0, 1]."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] not in (1, 3):
        raise ValueError(f"{where} has shape {image.shape}; expected (H, W), (H, W, 1) or (H, W, 3)")
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"{where} has shape {image.shape}; expected one image (H, W), (H, W, 1) or (H, W, 3)")
    if image.dtype != np.uint8 and not np.issubdtype(image.dtype, np.floating):
        raise TypeError(f"{where} must be uint8 pixels or floats in [-1, 1], got dtype {image.dtype}")
    try:
        return to_display(image)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _zoom_box(zoom, reference_shape) -> tuple[float, float, float, float]:
    """The zoom box (top, left, height, width) as fractions of the reference image."""
    try:
        top, left, height, width = (float(v) for v in zoom)
    except (TypeError, ValueError):
        raise ValueError(f"zoom must be (top, left, height, width) in pixels, got {zoom!r}") from None
    h, w = reference_shape
    if height < 1 or width < 1 or top < 0 or left < 0 or top + height > h or left + width > w:
        raise ValueError(
            f"zoom box (top={top:g}, left={left:g}, height={height:g}, width={width:g}) must lie inside the "
            f"{h}x{w} image (the largest of its row)"
        )
    return top / h, left / w, height / h, width / w


def compare_panels(rows, titles=None, zoom=None, *, row_labels=None, cell_size: float = 2.0, colour: str = "red",
                   suptitle=None):
    """Before / after / reference panels, one row per example, optionally with an enlarged crop.

    Args:
        rows: a list of rows, each a list of images of one example, e.g.
            ``[[low_res[i], bicubic[i], model[i], clean[i]] for i in (0, 5, 9)]``. Images are
            uint8 [0, 255] or float [-1, 1], shaped (H, W), (H, W, 1) or (H, W, 3); the
            images of a row may differ in size (a 7x7 input next to 28x28 outputs).
        titles: one title per column (shown above the first row), or one per panel (a list
            of lists, e.g. with each panel's PSNR); None for none.
        zoom: None, or a box (top, left, height, width) in pixels of the largest image of each
            row. The box is outlined on every image (scaled to smaller ones) and the crop is
            shown enlarged below it, with nearest-neighbour pixels (no smoothing hides detail).
        row_labels: optional label at the left of each row.
        cell_size: inches per panel.
        colour: colour of the zoom box and of the crop's frame.
        suptitle: optional figure title.

    Returns:
        The matplotlib Figure, with len(rows) x columns axes (twice as many with ``zoom``).

    Raises:
        ValueError, TypeError: no rows, rows of different lengths, titles or labels of the
            wrong length, images of a bad shape, dtype or range, a zoom box outside the images.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    rows = [list(row) for row in rows]
    if not rows or not rows[0]:
        raise ValueError("rows must hold at least one row of at least one image")
    ncols = len(rows[0])
    for r, row in enumerate(rows):
        if len(row) != ncols:
            raise ValueError(f"every row needs {ncols} images (like the first); row {r} has {len(row)}")
    shown = [[_panel_image(image, f"rows[{r}][{c}]") for c, image in enumerate(row)] for r, row in enumerate(rows)]
    panel_titles = None
    if titles is not None:
        titles = list(titles)
        if len(titles) == len(rows) and all(isinstance(t, (list, tuple)) for t in titles):
            panel_titles = [list(t) for t in titles]
            if any(len(t) != ncols for t in panel_titles):
                raise ValueError(f"per-panel titles need {ncols} entries in each row")
        elif len(titles) == ncols:
            panel_titles = [titles] + [[None] * ncols for _ in rows[1:]]
        else:
            raise ValueError(
                f"titles must hold one title per column ({ncols}) or one list per row ({len(rows)} lists of {ncols})"
            )
    if row_labels is not None and len(row_labels) != len(rows):
        raise ValueError(f"row_labels needs one label per row ({len(rows)}), got {len(row_labels)}")

    per_row = 2 if zoom is not None else 1
    fig, axes = plt.subplots(len(rows) * per_row, ncols, figsize=(ncols * cell_size, len(rows) * per_row * cell_size),
                             squeeze=False)
    for r, row in enumerate(shown):
        box = None
        if zoom is not None:
            largest = max(row, key=lambda im: im.shape[0] * im.shape[1])
            box = _zoom_box(zoom, largest.shape[:2])
        for c, image in enumerate(row):
            ax = axes[r * per_row, c]
            ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            if panel_titles is not None and panel_titles[r][c] is not None:
                ax.set_title(str(panel_titles[r][c]), fontsize=9)
            if box is not None:
                h, w = image.shape[:2]
                top, left = int(round(box[0] * h)), int(round(box[1] * w))
                bottom = min(h, max(top + 1, int(round((box[0] + box[2]) * h))))
                right = min(w, max(left + 1, int(round((box[1] + box[3]) * w))))
                ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False,
                                       edgecolor=colour, linewidth=1.5))
                crop_ax = axes[r * per_row + 1, c]
                crop_ax.imshow(image[top:bottom, left:right], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
                crop_ax.set_xticks([])
                crop_ax.set_yticks([])
                for side in crop_ax.spines.values():
                    side.set_edgecolor(colour)
                    side.set_linewidth(1.5)
            ax.set_xticks([])
            ax.set_yticks([])
        if row_labels is not None:
            axes[r * per_row, 0].set_ylabel(str(row_labels[r]), rotation=0, ha="right", va="center", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


_TABLE_HEADERS = {
    "method": "method",
    "psnr": "PSNR (dB)",
    "ssim": "SSIM",
    "seconds": "seconds",
    "psnr_mask": "PSNR mask (dB)",
    "ssim_mask": "SSIM mask",
}
_TUPLE_KEYS = ("method", "psnr", "ssim", "seconds")


def _table_cell(key: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    value = float(value)
    if np.isnan(value):
        return "n/a"
    if np.isinf(value):
        return "inf" if value > 0 else "-inf"
    if key.startswith("psnr"):
        return f"{value:.2f}"
    if key.startswith("ssim"):
        return f"{value:.4f}"
    if key == "seconds":
        return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"
    return f"{value:.4g}"


def results_table(rows) -> str:
    """A results table as Markdown text (readable as plain text too), rows in the order given.

    Args:
        rows: a list of tuples ``(method, psnr, ssim)`` or ``(method, psnr, ssim, seconds)``,
            or of dicts with the keys "method", "psnr", "ssim", "seconds" and any others
            (e.g. "psnr_mask"); columns follow the first appearance of each key, and a value
            that is missing or None leaves its cell empty.

    Returns:
        The table as a string: a header, an alignment line, one line per row; PSNR with two
        decimals (inf for a perfect match), SSIM with four. ``print`` it, or show it with
        ``IPython.display.Markdown``.

    Raises:
        ValueError, TypeError: no rows, or a row that is neither a dict nor a tuple of 3 or 4.
    """
    rows = list(rows)
    if not rows:
        raise ValueError("rows is empty: nothing to tabulate")
    records = []
    for i, row in enumerate(rows):
        if isinstance(row, dict):
            records.append(dict(row))
        elif isinstance(row, (tuple, list)) and len(row) in (3, 4):
            records.append(dict(zip(_TUPLE_KEYS, row)))
        else:
            raise TypeError(f"rows[{i}] must be a dict or a tuple (method, psnr, ssim[, seconds]), got {row!r}")
    keys: list[str] = []
    for record in records:
        keys += [k for k in record if k not in keys]
    if "method" in keys:
        keys.remove("method")
        keys.insert(0, "method")
    headers = [_TABLE_HEADERS.get(k, str(k)) for k in keys]
    cells = [[_table_cell(k, record.get(k)) for k in keys] for record in records]
    numeric = [
        k != "method" and all(isinstance(r.get(k), (int, float, np.integer, np.floating, type(None))) for r in records)
        for k in keys
    ]
    widths = [max(3, len(h), *(len(row[j]) for row in cells)) for j, h in enumerate(headers)]

    def line(values):
        return "| " + " | ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if num else (":" + "-" * (w + 1)) for w, num in zip(widths, numeric)) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in cells)])
