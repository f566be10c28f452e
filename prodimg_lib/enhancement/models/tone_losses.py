"""The no-reference losses of Zero-DCE (Guo et al., CVPR 2020), in ``keras.ops`` for every backend.

Zero-DCE trains its curve estimator (:mod:`prodimg_lib.enhancement.models.tone`) without a
single well-exposed reference image: four losses describe what a good result looks like.
All of them take images ``u`` in [0, 1], shape (N, H, W, C), the curve estimator's working
range (``u = (x + 1) / 2`` for the course's [-1, 1] images):

- :func:`spatial_consistency_loss` (L_spa): the enhanced image keeps the *local contrast*
  of the input: the grey level of each 4 x 4 region differs from its four neighbours' by as
  much as it did in the dark input, ``mean over regions and neighbours of
  (|Y_i - Y_j| - |I_i - I_j|) ** 2``;
- :func:`exposure_loss` (L_exp): every 16 x 16 block of the enhanced image has a mean grey
  level close to a well-exposed ``level`` E (0.6 in the paper), ``mean |Y_k - E|``;
- :func:`colour_constancy_loss` (L_col): the grey-world assumption, the three channel means of
  each enhanced image are equal, ``(J_R - J_G) ** 2 + (J_R - J_B) ** 2 + (J_G - J_B) ** 2``;
- :func:`illumination_smoothness_loss` (L_tvA): the curve parameter maps vary smoothly, so
  that neighbouring pixels are treated alike, the mean squared difference between horizontal
  and vertical neighbours of each map.

:func:`zero_reference_loss` weighs the first three as the paper's published training code does
(1 for L_spa, 10 for L_exp, 5 for L_col; 200 for L_tvA, which :data:`SMOOTHNESS_WEIGHT` holds);
it is a Keras loss ``fn(dark, enhanced)``: the "target" it is given is the dark input itself,
which is all a no-reference loss may look at. :func:`smoothness_loss` is the Keras loss of the
curve maps.

Where the differences in the paper's notation are sums, these are means (the published code's
choice too), so the weights do not depend on the image size.
"""

from __future__ import annotations

from keras import ops

from prodimg_lib.data.pixels import check_positive_int, check_scalar

__all__ = ["EXPOSURE_LEVEL", "EXPOSURE_PATCH", "REGION", "LOSS_WEIGHTS", "SMOOTHNESS_WEIGHT",
           "spatial_consistency_loss", "exposure_loss", "colour_constancy_loss", "illumination_smoothness_loss",
           "zero_reference_loss", "smoothness_loss"]

EXPOSURE_LEVEL = 0.6  # E, the well-exposed grey level of the paper
EXPOSURE_PATCH = 16  # the exposure loss's block size, as in the paper
REGION = 4  # the spatial-consistency loss's region size, as in the paper
# The weights of the paper's published training code.
LOSS_WEIGHTS = {"spatial": 1.0, "exposure": 10.0, "colour": 5.0}
SMOOTHNESS_WEIGHT = 200.0


def _grey_blocks(u, patch: int):
    """Mean grey level of each non-overlapping patch x patch block: (N, H // patch, W // patch, 1)."""
    grey = ops.mean(u, axis=-1, keepdims=True)
    return ops.average_pool(grey, pool_size=patch, strides=patch, padding="valid")


def spatial_consistency_loss(dark, enhanced, region: int = REGION):
    """L_spa: the local contrast of ``enhanced`` between neighbouring regions equals that of ``dark``.

    Args:
        dark, enhanced: (N, H, W, C) in [0, 1], the input and the output of the enhancement;
            H and W at least ``2 * region``.
        region: the side of the regions whose grey means are compared (4 in the paper).

    Returns:
        A scalar tensor: the mean over regions and their right and lower neighbours of
        ``(|Y_i - Y_j| - |I_i - I_j|) ** 2`` (each neighbouring pair counted once).
    """
    region = check_positive_int(region, "region")
    y, i = _grey_blocks(enhanced, region), _grey_blocks(dark, region)
    across = ops.square(ops.abs(y[:, :, 1:] - y[:, :, :-1]) - ops.abs(i[:, :, 1:] - i[:, :, :-1]))
    down = ops.square(ops.abs(y[:, 1:] - y[:, :-1]) - ops.abs(i[:, 1:] - i[:, :-1]))
    return (ops.sum(across) + ops.sum(down)) / ops.cast(ops.size(across) + ops.size(down), across.dtype)


def exposure_loss(enhanced, level: float = EXPOSURE_LEVEL, patch: int = EXPOSURE_PATCH):
    """L_exp: the mean over non-overlapping ``patch`` x ``patch`` blocks of |block mean of grey - level|.

    Args:
        enhanced: (N, H, W, C) in [0, 1]; grey is the mean over the channels.
        level: the well-exposed grey level E in (0, 1) (0.6 in the paper).
        patch: the block size (16 in the paper; at most H and W).

    Returns:
        A scalar tensor.
    """
    patch = check_positive_int(patch, "patch")
    return ops.mean(ops.abs(_grey_blocks(enhanced, patch) - level))


def colour_constancy_loss(enhanced):
    """L_col: ``(J_R - J_G)^2 + (J_R - J_B)^2 + (J_G - J_B)^2`` per image (J: a channel's mean), averaged over the batch.

    Args:
        enhanced: (N, H, W, 3) in [0, 1].

    Returns:
        A scalar tensor (0 for a grayscale image, whose channels are equal).
    """
    if enhanced.shape[-1] != 3:
        raise ValueError(f"the colour constancy loss needs colour images (C = 3), got {enhanced.shape[-1]} channel(s)")
    j = ops.mean(enhanced, axis=(1, 2))
    r, g, b = j[:, 0], j[:, 1], j[:, 2]
    return ops.mean(ops.square(r - g) + ops.square(r - b) + ops.square(g - b))


def illumination_smoothness_loss(maps):
    """L_tvA: the mean squared difference between horizontally and vertically neighbouring values of the curve maps.

    Args:
        maps: (N, H, W, K) curve parameter maps in [-1, 1], e.g. all iterations' maps concatenated
            (:func:`prodimg_lib.enhancement.models.tone.curve_parameters`).

    Returns:
        A scalar tensor: mean of squared horizontal differences plus mean of squared vertical ones.
    """
    return ops.mean(ops.square(maps[:, :, 1:] - maps[:, :, :-1])) + ops.mean(ops.square(maps[:, 1:] - maps[:, :-1]))


def zero_reference_loss(weights: dict | None = None, *, level: float = EXPOSURE_LEVEL, patch: int = EXPOSURE_PATCH):
    """The image part of Zero-DCE's loss as a Keras loss ``fn(dark, enhanced)``, both in [-1, 1].

    ``weights["spatial"] * L_spa + weights["exposure"] * L_exp + weights["colour"] * L_col``
    (``L_col`` only for colour images), computed on ``u = (x + 1) / 2``. Train with the dark
    images as the targets, ``model.fit(dark, dark)``; add the smoothness of the curve maps with
    :func:`smoothness_loss` on a second output.

    Args:
        weights: {"spatial", "exposure", "colour"} (default :data:`LOSS_WEIGHTS`).
        level, patch: of :func:`exposure_loss`.
    """
    w = dict(LOSS_WEIGHTS if weights is None else weights)
    if set(w) != set(LOSS_WEIGHTS):
        raise ValueError(f"weights must give exactly {sorted(LOSS_WEIGHTS)}, got {sorted(w)}")

    def loss(dark, enhanced):
        i, y = (ops.cast(dark, "float32") + 1.0) / 2.0, (enhanced + 1.0) / 2.0
        total = w["spatial"] * spatial_consistency_loss(i, y) + w["exposure"] * exposure_loss(y, level, patch)
        if y.shape[-1] == 3:
            total = total + w["colour"] * colour_constancy_loss(y)
        return total

    loss.__name__ = "zero_reference"
    return loss


def smoothness_loss(weight: float = SMOOTHNESS_WEIGHT):
    """``weight`` times :func:`illumination_smoothness_loss`, as a Keras loss ``fn(y_true, maps)`` (``y_true`` is ignored).

    For a second output of the curve estimator that gives its curve maps: train with
    ``loss=[zero_reference_loss(), smoothness_loss()]`` and any targets of rank 4 for the maps
    (e.g. zeros of shape (N, 1, 1, 1)).
    """
    weight = check_scalar(weight, "weight", low=0.0)

    def loss(_unused, maps):
        return weight * illumination_smoothness_loss(maps)

    loss.__name__ = "illumination_smoothness"
    return loss
