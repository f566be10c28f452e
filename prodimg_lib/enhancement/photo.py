"""Image-to-image models applied to photos of any size: tiled prediction and colour handling.

The enhancement models are fully convolutional and see one channel, in [-1, 1]. A photo is
large, 8-bit and usually in colour, so:

- :func:`tiled_predict` cuts an image into overlapping tiles (bounded memory for large photos),
  runs the model on them in batches and keeps the centre of each tile, so that tile borders
  leave no seams; the photo's own border is extended by mirror symmetry;
- :func:`brighten` corrects one dark photo with the colour low-light network of notebook 11
  (:func:`prodimg_lib.enhancement.models.tone.build_low_light_net`): levels over the whole photo
  (:data:`LOW_LIGHT_LEVELS`), then the network, tile by tile, on the three channels at once;
- :func:`enhance_image` brightens, denoises and/or enlarges one uint8 photo: the denoiser on each colour
  channel (told the photo's noise level, given or estimated, when it takes one), the upscaler on each channel (``colour="rgb"``) or on the luma only, with the colour
  differences enlarged by bicubic interpolation (``colour="luma"``, as SRCNN and ESPCN apply
  their models: three times faster; :func:`prodimg_lib.data.pixels.rgb_to_ycbcr`). Denoising comes
  before enlarging, so that the noise is not enlarged first.

``prodimg enhance`` (:mod:`prodimg_lib.course.apply`) and the photo measurements of
:mod:`prodimg_lib.experiments.sr_photos` both run these, so the numbers measured are the tool's.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.data.pixels import as_images, as_photo

__all__ = ["COLOUR_MODES", "UPSCALER_OVERLAP", "DENOISER_OVERLAP", "LOW_LIGHT_LEVELS", "LOW_LIGHT_OVERLAP",
           "tiled_predict", "brighten", "enhance_image"]

COLOUR_MODES = ("rgb", "luma")
# Input pixels of context around each tile of an upscaler: more than the course's EDSR models see
# (with 8 residual blocks, 19 3x3 convolutions at the input's size, plus the bicubic base's 2 and a
# fraction for the convolutions after the enlargement), so that tiling gives what the whole image
# at once would give, with no seams.
UPSCALER_OVERLAP = 24
# Pixels of context around each tile of a denoiser: more than a DnCNN of depth 17 (the gpu profile's)
# sees on each side, one pixel per 3x3 convolution.
DENOISER_OVERLAP = 20
# The levels step before the low-light network, over the whole photo: its 99.5th percentile to white,
# no gamma (the network was trained on photos levelled the same way).
LOW_LIGHT_LEVELS = {"gamma": 1.0, "high": 99.5}
# Context around each tile of the low-light network: it sees 15 pixels on each side (7 convolutions of
# the curve estimator, 8 of its DnCNN).
LOW_LIGHT_OVERLAP = 20


def tiled_predict(model, image, factor: int = 1, *, tile: int = 128, overlap: int = 8, batch_size: int = 16,
                  noise_level: float | None = None) -> np.ndarray:
    """Run an image-to-image model over one image of any size, tile by tile.

    The image is first extended by ``overlap`` pixels on each side by mirror symmetry (the edge
    pixel repeated, then the ones inside it: ``np.pad(..., mode="symmetric")``), which keeps
    the picture smooth across its border; an untrained model on a bicubic base
    (:func:`prodimg_lib.enhancement.models.sr.bicubic_upsample`) then gives bicubic
    interpolation inside the image and almost exactly at its border (a PSNR within 0.02 dB of
    bicubic's on photos). The tiles are cut from the extended image.

    Args:
        model: maps (N, h, w, C) in [-1, 1] to (N, h * factor, w * factor, C) for any h, w.
        image: float (H, W, C) in [-1, 1], C = 1 or 3.
        factor: the model's upscaling factor (1 for a denoiser).
        tile: tile size in input pixels, including the overlap on each side.
        overlap: input pixels of context on each side of a tile that are computed but not kept.
        batch_size: tiles per forward pass.
        noise_level: None, or for a denoiser that takes ``[noisy, noise_level]``
            (:func:`prodimg_lib.enhancement.models.restore.takes_noise_level`) the noise level
            in grey levels out of 255, passed as its constant level map.

    Returns:
        float32 (H * factor, W * factor, C) in [-1, 1].
    """
    import keras

    from prodimg_lib.enhancement.models.restore import noise_level_map

    batch, single = as_images(image, "image", channels=(1, 3))
    if not single:
        raise ValueError(f"image must be one image (H, W, C), got a batch of shape {batch.shape}")
    image = batch[0]
    if not 0 <= overlap < tile // 2:
        raise ValueError(f"overlap must be in [0, tile / 2), got overlap={overlap}, tile={tile}")
    h, w, _ = image.shape
    step = tile - 2 * overlap
    rows, cols = -(-h // step), -(-w // step)
    padded = np.pad(image, ((overlap, rows * step - h + overlap), (overlap, cols * step - w + overlap), (0, 0)), mode="symmetric")
    origins = [(r * step, c * step) for r in range(rows) for c in range(cols)]
    tiles = np.stack([padded[y:y + tile, x:x + tile] for y, x in origins])
    # Direct calls rather than model.predict: the tile shape changes from image to image, and
    # predict would compile a new graph function for every shape.
    def run(batch):
        inputs = batch if noise_level is None else [batch, noise_level_map(noise_level, batch.shape)]
        return keras.ops.convert_to_numpy(model(inputs, training=False)).astype(np.float32)

    outputs = np.concatenate([run(tiles[i:i + batch_size]) for i in range(0, len(tiles), batch_size)])
    keep = slice(overlap * factor, (overlap + step) * factor)
    result = np.empty((rows * step * factor, cols * step * factor, outputs.shape[-1]), dtype=np.float32)
    for (y, x), out in zip(origins, outputs):
        result[y * factor:(y + step) * factor, x * factor:(x + step) * factor] = out[keep, keep]
    return np.clip(result[: h * factor, : w * factor], -1.0, 1.0)


def _upscale_plane(upscaler, plane: np.ndarray, factor: int, tile: int) -> np.ndarray:
    """One (H, W, 1) [-1, 1] plane enlarged by the upscaler, in tiles of ``tile`` input pixels (fewer per batch at x4)."""
    return tiled_predict(upscaler, plane, factor, tile=tile, overlap=UPSCALER_OVERLAP, batch_size=max(1, 64 // factor**2))


def _upscale_luma(rgb: np.ndarray, upscaler, factor: int, tile: int) -> np.ndarray:
    """Enlarge (H, W, 3) [-1, 1] colour: the luma with the model, Cb and Cr with bicubic interpolation."""
    from prodimg_lib.data.pixels import rgb_to_ycbcr, ycbcr_to_rgb
    from prodimg_lib.enhancement.classical import upscale

    ycc = rgb_to_ycbcr(rgb)
    luma = _upscale_plane(upscaler, ycc[..., :1], factor, tile)
    chroma = [upscale(np.clip(ycc[..., c:c + 1], -1.0, 1.0), factor, "bicubic") for c in (1, 2)]
    return ycbcr_to_rgb(np.concatenate([luma, *chroma], axis=-1))


def brighten(pixels, model, *, tile: int = 256) -> np.ndarray:
    """Correct one dark photo with the low-light network: levels over the whole photo, then the network tile by tile.

    Args:
        pixels: uint8 (H, W, C), C 1 or 3 (a grayscale photo goes through the network as three
            equal channels and comes back as their mean).
        model: a colour low-light network, (N, h, w, 3) -> same, in [-1, 1] (``low_light_photo``).
        tile: tile size in pixels (at least 80), overlapping by :data:`LOW_LIGHT_OVERLAP`.

    Returns:
        uint8, the shape of ``pixels``.
    """
    from prodimg_lib.data import from_minus_one_one, to_minus_one_one
    from prodimg_lib.enhancement.classical import levels_gamma

    pixels = as_photo(pixels, "pixels")
    x = to_minus_one_one(pixels)
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    x = levels_gamma(x[None], **LOW_LIGHT_LEVELS)[0]
    out = tiled_predict(model, x, 1, tile=max(tile, 4 * LOW_LIGHT_OVERLAP), overlap=LOW_LIGHT_OVERLAP)
    if pixels.shape[-1] == 1:
        out = out.mean(axis=-1, keepdims=True)
    return from_minus_one_one(out)


def enhance_image(pixels, *, denoiser=None, upscaler=None, factor: int = 1, tile: int = 128,
                  colour: str = "rgb", low_light=None, noise_level: float | None = None) -> np.ndarray:
    """Brighten, denoise and/or upscale one photo with the given models, in that order.

    Args:
        pixels: uint8 (H, W, C) with C 1, 3, or 4 for RGBA (``photos.read_photo``); the alpha
            channel is not brightened or denoised, and is enlarged with bicubic interpolation.
        denoiser: a model (N, h, w, 1) -> same size, or one that also takes a noise level map
            (``build_dncnn(..., noise_map=True)``), or None; applied to each channel.
        upscaler: a model (N, h, w, 1) -> (N, h * factor, w * factor, 1), or None.
        factor: the upscaler's factor.
        tile: tile size of :func:`tiled_predict` in input pixels for the upscaler (at least 144,
            its tiles overlapping by :data:`UPSCALER_OVERLAP` pixels on each side); the
            denoiser's tiles are twice as large (at least 80, overlapping by :data:`DENOISER_OVERLAP`).
        colour: how the upscaler treats a colour photo (:data:`COLOUR_MODES`): "rgb", each
            channel as a grayscale image, or "luma", the luma Y only, with the colour differences
            Cb and Cr enlarged by bicubic interpolation. Grayscale photos are the same either way.
        low_light: a colour low-light network (:func:`brighten`, tiles twice ``tile``), or None.
        noise_level: for a denoiser that takes a noise level: the photo's noise in grey levels
            out of 255 (>= 0; 0 leaves it almost untouched), or None to estimate it from the photo
            (:func:`prodimg_lib.evaluation.image_quality.noise_sigma`, after any brightening; it
            reads texture and grain as noise too). Must be None for a blind denoiser.

    Returns:
        uint8 (H * f, W * f, C), f = factor if an upscaler is given, else 1.
    """
    from PIL import Image

    from prodimg_lib.data import from_minus_one_one, to_minus_one_one

    from prodimg_lib.enhancement.models.restore import takes_noise_level

    pixels = as_photo(pixels, "pixels", channels=(1, 3, 4))
    if noise_level is not None and (denoiser is None or not takes_noise_level(denoiser)):
        raise ValueError("noise_level is for a denoiser that takes a noise level map (build_dncnn(..., noise_map=True)); "
                         "this one " + ("is missing" if denoiser is None else "is blind"))
    if colour not in COLOUR_MODES:
        raise ValueError(f"colour must be one of {', '.join(map(repr, COLOUR_MODES))}, got {colour!r}")
    if pixels.shape[-1] == 4:
        rgb = enhance_image(pixels[..., :3], denoiser=denoiser, upscaler=upscaler, factor=factor, tile=tile, colour=colour,
                            low_light=low_light, noise_level=noise_level)
        alpha = Image.fromarray(pixels[..., 3])
        if upscaler is not None:
            alpha = alpha.resize((rgb.shape[1], rgb.shape[0]), Image.Resampling.BICUBIC)
        return np.concatenate([rgb, np.asarray(alpha, dtype=np.uint8)[..., None]], axis=-1)
    if low_light is not None:
        pixels = brighten(pixels, low_light, tile=2 * tile)
    x = to_minus_one_one(pixels)
    if denoiser is not None:
        # Tiles twice the size: with 20 pixels of context on each side, a 128-pixel tile would compute
        # twice the pixels it keeps, a 256-pixel one 1.4 times.
        tile_d = max(2 * tile, 4 * DENOISER_OVERLAP)
        if takes_noise_level(denoiser) and noise_level is None:
            from prodimg_lib.evaluation.image_quality import noise_sigma

            noise_level = noise_sigma(x)
        x = np.concatenate([tiled_predict(denoiser, x[..., c:c + 1], 1, tile=tile_d, overlap=DENOISER_OVERLAP,
                                          noise_level=noise_level) for c in range(x.shape[-1])], axis=-1)
    if upscaler is not None:
        tile = max(tile, 6 * UPSCALER_OVERLAP)
        if colour == "luma" and x.shape[-1] == 3:
            x = _upscale_luma(x, upscaler, factor, tile)
        else:
            x = np.concatenate([_upscale_plane(upscaler, x[..., c:c + 1], factor, tile) for c in range(x.shape[-1])],
                               axis=-1)
    return from_minus_one_one(x)
