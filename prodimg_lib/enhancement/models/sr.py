"""Super-resolution networks: ESPCN (sub-pixel CNN) and an EDSR-style residual network.

Both work in low-resolution (LR) space and enlarge only at the end with *sub-pixel
convolution* (Shi et al., CVPR 2016): a convolution outputs ``C * r * r`` channels per LR
pixel, and a depth-to-space step (:func:`depth_to_space`) rearranges them into an r x r
block of high-resolution (HR) pixels. All the convolutions therefore run on the small
image, r² times cheaper than on the enlarged one, and the upsampling is learned.

Output (``residual=True``, the default): the network predicts a *correction* that is added
to a fixed enlargement of the input, the *base*, and the sum is clipped to [-1, 1]. The last
convolution starts at zero, so an untrained model *is* its base, already a sensible image, and
training only has to learn the missing detail. ``residual=False`` ends in ``tanh`` instead, as
the original ESPCN; it starts from a grey image and needs more training to get as far.

Two bases (``base=``):

- ``"nearest"``: pixel replication (``UpSampling2D``); the network also has to learn the
  interpolation. The Fashion-MNIST models use it.
- ``"bicubic"``: bicubic interpolation written as a frozen convolution plus a pixel shuffle
  (:func:`bicubic_upsample`), so an untrained model is bicubic and the network learns only what
  bicubic misses. The photo models use it: on photos most areas are smooth, and there the
  right correction is close to zero, which a zero-initialised layer starts from.

(Not ``UpSampling2D(interpolation="bicubic")``: it calls ``keras.ops.image.resize`` with the
input's *dynamic* size, and Keras 3.15 checks ``size[0] <= 0`` in Python, which fails in graph
mode (``predict``) once the model has seen two input sizes. The convolution has no such problem,
so the models stay fully convolutional.)

Shapes: input (N, H, W, C) float in [-1, 1] with any H and W (the models are fully
convolutional: ``input_shape = (None, None, C)``), output (N, H * factor, W * factor, C)
in [-1, 1]. C = 1 for Fashion-MNIST, 3 for colour photos. The course's saved models are
``sr_x2`` ((N, 14, 14, 1) -> (N, 28, 28, 1)) and ``sr_x4`` ((N, 7, 7, 1) -> (N, 28, 28, 1)),
trained on inputs made with :func:`prodimg_lib.data.degrade.downscale` (area averaging).

ESPCN (``width`` = w, factor r)::

    LR input (N, H, W, C)
    Conv2D 5x5 (w, ReLU) -> Conv2D 3x3 (w/2, ReLU) -> Conv2D 3x3 (C r²)   (N, H, W, C r²)
    depth_to_space(r)                                                        (N, rH, rW, C)
    + nearest upsample of the input, clip to [-1, 1]   (or tanh)

EDSR (Lim et al., CVPRW 2017), without batch normalisation (it removes the range
flexibility that regression needs and costs memory)::

    Conv2D 3x3 (w)                                   "head"
    blocks x [Conv 3x3 (w) - ReLU - Conv 3x3 (w)] + skip
    Conv2D 3x3 (w) + global skip from the head
    per x2 stage: Conv2D 3x3 (4w) -> depth_to_space(2)   (factor 4 = two x2 stages; 3 = one x3 stage)
    Conv2D 3x3 (C) + nearest upsample, clip           (or tanh)

Measured on Fashion-MNIST (full training set, PSNR on 1,000 test images, bicubic
baseline 19.2 dB at x2 and 15.9 dB at x4; 2 CPU cores shared with other work, Adam with
:func:`prodimg_lib.enhancement.fit.train_image_to_image`, batch 64):

- x2 ESPCN w=64: 3 epochs (lr 1e-3, 55 s) +4.8 dB; 10 epochs (lr 2e-3, 2 min) +5.6 dB;
  the tanh output (``residual=False``) at 3 epochs only +4.0 dB;
- x2 EDSR w=32, 4 blocks: 2 epochs (lr 2e-3, under 3 min) +6.0 dB; 3 epochs (lr 1e-3) +5.8 dB;
- x4 ESPCN w=64: 3 epochs (20 s) +3.6 dB; 12 epochs (74 s) +4.2 dB;
- x4 EDSR w=32, 4 blocks: 3 epochs (90 s) +4.7 dB.

Only standard Keras layers are used (the sub-pixel step is a frozen ``Conv2DTranspose``, see
:func:`depth_to_space`), so saved models load with ``keras.models.load_model(path)`` in safe
mode without importing anything first.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from prodimg_lib.data.pixels import check_positive_int
from prodimg_lib.enhancement.classical.resize import bicubic_taps
from prodimg_lib.enhancement.fit import clip_to_model_range

__all__ = ["SR_FACTORS", "SR_BASES", "depth_to_space", "bicubic_upsample", "build_espcn", "build_edsr"]

SR_FACTORS = (2, 3, 4, 8)
SR_BASES = ("nearest", "bicubic")  # what the correction of a residual model is added to


def depth_to_space(x, block_size: int, name: str = "subpixel", dtype=None):
    """Sub-pixel rearrangement with a standard layer: (N, H, W, C r²) -> (N, rH, rW, C).

    Each group of r² channels of an input pixel becomes an r x r block of output pixels, in
    the order of ``keras.ops.depth_to_space`` (and ``tf.nn.depth_to_space``): channel
    ``(i * r + j) * C + c`` goes to block row i, column j, output channel c.

    Implemented as a *frozen* ``Conv2DTranspose(C, kernel_size=r, strides=r)`` whose kernel is
    that permutation (0s and 1s, ``trainable=False``, no bias): a transposed convolution with
    kernel size equal to its stride writes each input pixel into its own r x r block, so with
    a permutation kernel it is exactly depth-to-space. Keras 3 has ``keras.ops.depth_to_space``
    but no layer for it; a custom layer would have to be registered and imported before
    ``keras.models.load_model`` could read the model in safe mode, whereas this one is a
    standard layer that any Keras loads. (Setting ``model.trainable = True`` would unfreeze it;
    set ``layer.trainable = False`` again after doing that.)

    Args:
        x: a Keras tensor (N, H, W, C r²), H and W may be None.
        block_size: r, an integer >= 2.
        name: the layer's name.
        dtype: the layer's dtype policy (None: the global one).

    Returns:
        The Keras tensor (N, rH, rW, C).

    Raises:
        ValueError: block_size < 2, or a channel count that is unknown or not divisible by r².
    """
    r = check_positive_int(block_size, "block_size", low=2)
    channels_in = x.shape[-1]
    if channels_in is None or channels_in % (r * r):
        raise ValueError(f"depth_to_space({r}) needs a known channel count divisible by {r * r}, got {channels_in}")
    channels = channels_in // (r * r)
    layer = layers.Conv2DTranspose(channels, r, strides=r, padding="valid", use_bias=False, trainable=False, name=name,
                                   dtype=dtype)
    out = layer(x)
    kernel = np.zeros(tuple(layer.kernel.shape), dtype="float32")  # (r, r, C, C r²)
    for i in range(r):
        for j in range(r):
            for c in range(channels):
                kernel[i, j, c, (i * r + j) * channels + c] = 1.0
    layer.set_weights([kernel])
    return out


def bicubic_upsample(x, factor: int, name: str = "bicubic"):
    """Bicubic enlargement with standard layers: (N, H, W, C) -> (N, factor H, factor W, C).

    Each output pixel is a fixed weighted sum of the 5 x 5 input pixels around it, with one set of
    weights per position inside its factor x factor block
    (:func:`prodimg_lib.enhancement.classical.resize.bicubic_taps`, rows times columns). So a frozen
    ``Conv2D(C factor², 5, padding="same")`` computes all of them, and :func:`depth_to_space` puts
    them in place. Inside the image this equals
    :func:`prodimg_lib.enhancement.classical.resize.bicubic_enlarge` (and TensorFlow's bicubic) to
    float rounding; within 2 input pixels of the border the convolution sees zeros where
    ``bicubic_enlarge`` leaves those taps out and rescales the others, so the two differ there
    (the tools extend a photo by mirror symmetry before they apply a model, and then they differ
    only slightly, in the outermost pixels). The layers compute in float32 whatever the global
    dtype policy, so that the base stays bicubic under mixed precision.

    Args:
        x: a Keras tensor (N, H, W, C) with a known channel count; H and W may be None.
        factor: an integer >= 2.
        name: prefix of the two layers' names.

    Returns:
        The Keras tensor (N, factor H, factor W, C).
    """
    r = check_positive_int(factor, "factor", low=2)
    channels = x.shape[-1]
    if channels is None:
        raise ValueError("bicubic_upsample needs a known channel count")
    conv = layers.Conv2D(channels * r * r, 5, padding="same", use_bias=False, trainable=False, name=f"{name}_taps",
                         dtype="float32")
    phases = conv(x)
    taps = bicubic_taps(r)
    kernel = np.zeros((5, 5, channels, channels * r * r), dtype="float32")
    for i in range(r):
        for j in range(r):
            for c in range(channels):
                kernel[:, :, c, (i * r + j) * channels + c] = np.outer(taps[i], taps[j])
    conv.set_weights([kernel])
    return depth_to_space(phases, r, name=f"{name}_shuffle", dtype="float32")


def _check_args(factor, channels, width, base="nearest") -> tuple[int, int, int]:
    if isinstance(factor, bool) or factor not in SR_FACTORS:
        raise ValueError(f"factor must be one of {', '.join(map(str, SR_FACTORS))}, got {factor!r}")
    if base not in SR_BASES:
        raise ValueError(f"base must be one of {', '.join(map(repr, SR_BASES))}, got {base!r}")
    return int(factor), check_positive_int(channels, "channels"), check_positive_int(width, "width")


def _output(inputs, correction, factor: int, residual: bool, channels: int, base: str = "nearest"):
    """The base enlargement + correction, clipped (``residual``), or tanh of the prediction."""
    if not residual:
        return layers.Activation("tanh", name="output")(correction)
    if base == "bicubic":  # in float32 (also under mixed precision), then the correction is added in float32
        upsampled = bicubic_upsample(inputs, factor, name="bicubic")
        total = layers.Add(name="add_detail", dtype="float32")([upsampled, correction])
    else:
        upsampled = layers.UpSampling2D(factor, interpolation="nearest", name="nearest")(inputs)
        total = layers.Add(name="add_detail")([upsampled, correction])
    return clip_to_model_range(total, name="output")


def build_espcn(factor: int, channels: int = 1, width: int = 64, *, residual: bool = True):
    """Build an ESPCN-style super-resolution network (uncompiled).

    Args:
        factor: enlargement r, one of :data:`SR_FACTORS` (one sub-pixel step of r).
        channels: C, 1 (grayscale) or 3 (colour); any positive count works.
        width: filters of the first convolution (the second has ``width // 2``, at least 1).
        residual: add the prediction to a nearest-neighbour enlargement and clip (default), or end in tanh.

    Returns:
        ``keras.Model`` named "espcn_x{r}": (N, H, W, C) float32 in [-1, 1] -> (N, rH, rW, C) in [-1, 1].

    Raises:
        ValueError: an unsupported factor, or a channel count or width that is not a positive integer.
    """
    factor, channels, width = _check_args(factor, channels, width)
    inputs = keras.Input(shape=(None, None, channels), name="low_res")
    x = layers.Conv2D(width, 5, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.Conv2D(max(1, width // 2), 3, padding="same", activation="relu", name="conv2")(x)
    last_init = "zeros" if residual else "glorot_uniform"
    x = layers.Conv2D(channels * factor * factor, 3, padding="same", kernel_initializer=last_init, name="conv3")(x)
    x = depth_to_space(x, factor, name="subpixel")
    return keras.Model(inputs, _output(inputs, x, factor, residual, channels), name=f"espcn_x{factor}")


def _residual_block(x, width: int, index: int):
    skip = x
    x = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"block{index}_conv1")(x)
    x = layers.Conv2D(width, 3, padding="same", name=f"block{index}_conv2")(x)
    return layers.Add(name=f"block{index}_add")([skip, x])


def _upsample_stages(factor: int) -> list[int]:
    """Sub-pixel steps: 2 -> [2], 4 -> [2, 2], 8 -> [2, 2, 2], 3 -> [3]."""
    return [3] if factor == 3 else [2] * (factor.bit_length() - 1)


def build_edsr(factor: int, channels: int = 1, width: int = 64, blocks: int = 8, *, residual: bool = True,
               base: str = "nearest"):
    """Build an EDSR-style residual super-resolution network (uncompiled, no batch normalisation).

    Args:
        factor: enlargement, one of :data:`SR_FACTORS`; 4 and 8 use x2 sub-pixel stages.
        channels: C, 1 (grayscale) or 3 (colour).
        width: filters of every convolution in the body.
        blocks: number of residual blocks (>= 0).
        residual: add the prediction to an enlargement of the input and clip (default), or end in tanh.
        base: the enlargement a residual model adds its correction to, "nearest" or "bicubic"
            (:data:`SR_BASES`, :func:`bicubic_upsample`).

    Returns:
        ``keras.Model`` named "edsr_x{factor}": (N, H, W, C) float32 in [-1, 1] ->
        (N, factor H, factor W, C) in [-1, 1].

    Raises:
        ValueError: an unsupported factor or base, or a non-positive channel count, width or negative blocks.
    """
    factor, channels, width = _check_args(factor, channels, width, base)
    blocks = check_positive_int(blocks, "blocks", low=0)
    inputs = keras.Input(shape=(None, None, channels), name="low_res")
    head = layers.Conv2D(width, 3, padding="same", name="head")(inputs)
    x = head
    for i in range(1, blocks + 1):
        x = _residual_block(x, width, i)
    x = layers.Conv2D(width, 3, padding="same", name="body_end")(x)
    x = layers.Add(name="global_skip")([head, x])
    for i, r in enumerate(_upsample_stages(factor), start=1):
        x = layers.Conv2D(width * r * r, 3, padding="same", name=f"up{i}_conv")(x)
        x = depth_to_space(x, r, name=f"up{i}_subpixel")
    last_init = "zeros" if residual else "glorot_uniform"
    x = layers.Conv2D(channels, 3, padding="same", kernel_initializer=last_init, name="tail")(x)
    return keras.Model(inputs, _output(inputs, x, factor, residual, channels, base), name=f"edsr_x{factor}")
