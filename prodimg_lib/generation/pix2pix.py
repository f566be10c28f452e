"""Sketch to product: the pix2pix generator and PatchGAN discriminator (Isola et al., CVPR 2017), for 28 x 28 images.

pix2pix is a *conditional* GAN whose condition is a whole image: the generator turns a drawing
(:func:`prodimg_lib.data.sketch.edge_sketches`) into a product, and the discriminator judges
*pairs* (drawing, product), so that a product that is real-looking but does not fit its drawing
is caught. The generator's loss adds an L1 term, ``lambda * mean |G(s) - y|``, which pulls it to
the product of the pair; the adversarial term adds the sharp detail that L1 alone blurs away.

**Generator** (w = ``width``), a U-Net: what the encoder saw at each size is handed to the
decoder at the same size (skip connections), so that the lines of the drawing keep their place::

    sketch (N, 28, 28, 1) in [-1, 1]
    enc1: Conv 4x4 stride 2 (w), LeakyReLU(0.2)                       (N, 14, 14, w)
    enc2: Conv 4x4 stride 2 (2w), BatchNorm, LeakyReLU(0.2)           (N, 7, 7, 2w)
    bottleneck: Conv 3x3 (4w), BatchNorm, ReLU                        (N, 7, 7, 4w)
    dec2: ConvTranspose 4x4 stride 2 (2w), BatchNorm, Dropout, ReLU; concat enc1   (N, 14, 14, 3w)
    dec1: ConvTranspose 4x4 stride 2 (w), BatchNorm, ReLU; concat sketch           (N, 28, 28, w + 1)
    Conv 3x3 (C), tanh                                                (N, 28, 28, C) in [-1, 1]

The paper's generator takes no noise vector: its only randomness is dropout, and the authors
found that it learns to ignore even that. A drawing gives one product here too.

**PatchGAN discriminator**: no single real/fake verdict for the image, but one logit for each
overlapping patch, so that the adversarial term judges texture and local detail and L1 keeps the
large structure::

    [sketch (N, 28, 28, 1), image (N, 28, 28, C)] -> concatenate     (N, 28, 28, 1 + C)
    Conv 4x4 stride 2 (w), LeakyReLU(0.2)                             (N, 14, 14, w)
    Conv 4x4 stride 2 (2w), LeakyReLU(0.2)                            (N, 7, 7, 2w)
    Conv 3x3 (1)                                                      (N, 7, 7, 1) logits

Each of the 7 x 7 logits sees an 18 x 18 patch of the pair (:func:`receptive_field`), as each of
the paper's 30 x 30 logits sees 70 x 70 pixels of a 256 x 256 image. No batch normalisation: real
and generated pairs go through separately (as in the course's DCGAN discriminator).

Both use standard Keras layers only, so they save to ``.keras`` and load in safe mode.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from prodimg_lib.data.pixels import check_positive_int

__all__ = ["LEAKY_SLOPE", "build_sketch_generator", "build_patch_discriminator", "receptive_field"]

LEAKY_SLOPE = 0.2


def _check_size(size) -> int:
    size = check_positive_int(size, "size")
    if size % 4:
        raise ValueError(f"size must be a multiple of 4 (two stride-2 convolutions), got {size}")
    return size


def build_sketch_generator(width: int = 32, channels: int = 1, size: int = 28, *, dropout: float = 0.5):
    """Build the pix2pix U-Net generator (uncompiled).

    Args:
        width: w, filters of the first level (2w and 4w below it).
        channels: C of the products (1 for Fashion-MNIST).
        size: the images' side (a multiple of 4).
        dropout: rate of the dropout in the decoder's first block, in [0, 1) (the paper's 0.5).

    Returns:
        ``keras.Model`` named "sketch_generator": sketch (N, size, size, 1) float32 in [-1, 1] ->
        product (N, size, size, C) in [-1, 1].

    Raises:
        ValueError: a width, channel count or size that is not a positive integer, a size that
            is not a multiple of 4, or a dropout rate outside [0, 1).
    """
    width = check_positive_int(width, "width")
    channels = check_positive_int(channels, "channels")
    size = _check_size(size)
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    sketch = keras.Input((size, size, 1), name="sketch")
    e1 = layers.Conv2D(width, 4, strides=2, padding="same", name="enc1")(sketch)
    e1 = layers.LeakyReLU(LEAKY_SLOPE, name="enc1_lrelu")(e1)
    x = layers.Conv2D(2 * width, 4, strides=2, padding="same", use_bias=False, name="enc2")(e1)
    x = layers.LeakyReLU(LEAKY_SLOPE, name="enc2_lrelu")(layers.BatchNormalization(name="enc2_bn")(x))
    x = layers.Conv2D(4 * width, 3, padding="same", use_bias=False, name="bottleneck")(x)
    x = layers.ReLU(name="bottleneck_relu")(layers.BatchNormalization(name="bottleneck_bn")(x))
    x = layers.Conv2DTranspose(2 * width, 4, strides=2, padding="same", use_bias=False, name="dec2")(x)
    x = layers.BatchNormalization(name="dec2_bn")(x)
    if dropout:
        # Seeded, so that its masks come from a SeedGenerator whose state a checkpoint keeps; the seed
        # itself comes from NumPy's generator, which keras.utils.set_random_seed fixes.
        x = layers.Dropout(float(dropout), seed=int(np.random.randint(0, 2**31 - 1)), name="dec2_dropout")(x)
    x = layers.Concatenate(name="skip_enc1")([layers.ReLU(name="dec2_relu")(x), e1])
    x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False, name="dec1")(x)
    x = layers.ReLU(name="dec1_relu")(layers.BatchNormalization(name="dec1_bn")(x))
    x = layers.Concatenate(name="skip_sketch")([x, sketch])
    product = layers.Conv2D(channels, 3, padding="same", activation="tanh", dtype="float32", name="product")(x)
    return keras.Model(sketch, product, name="sketch_generator")


def build_patch_discriminator(width: int = 32, channels: int = 1, size: int = 28):
    """Build the PatchGAN discriminator of (sketch, product) pairs (uncompiled).

    Args:
        width: w, filters of the first convolution (2w in the second).
        channels: C of the products.
        size: the images' side (a multiple of 4).

    Returns:
        ``keras.Model`` named "patch_discriminator": inputs ``[sketch (N, size, size, 1),
        image (N, size, size, C)]``, both float32 in [-1, 1]; output (N, size / 4, size / 4, 1),
        one logit per patch (``sigmoid`` of a logit is the probability that its patch of the pair
        is real).

    Raises:
        ValueError: as :func:`build_sketch_generator`.
    """
    width = check_positive_int(width, "width")
    channels = check_positive_int(channels, "channels")
    size = _check_size(size)
    sketch = keras.Input((size, size, 1), name="sketch")
    image = keras.Input((size, size, channels), name="image")
    x = layers.Concatenate(name="pair")([sketch, image])
    for i, filters in enumerate((width, 2 * width), start=1):
        x = layers.Conv2D(filters, 4, strides=2, padding="same", name=f"down{i}")(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"down{i}_lrelu")(x)
    logits = layers.Conv2D(1, 3, padding="same", dtype="float32", name="patch_logits")(x)
    return keras.Model([sketch, image], logits, name="patch_discriminator")


def receptive_field(model) -> int:
    """The side, in input pixels, of the window that one output pixel of a chain of convolutions sees.

    Walking from the input to the output, each convolution or pooling of kernel k and stride s
    widens the window by ``(k - 1) * j`` pixels, where j is the product of the strides before
    it (the distance in input pixels between two neighbours of its input)::

        r = 1 + sum_i (k_i - 1) * prod_{l < i} s_l

    Only ``Conv2D``, ``MaxPooling2D`` and ``AveragePooling2D`` layers count, in the order of
    ``model.layers``: right for a chain such as the PatchGAN discriminator, whose other layers
    (activations, the concatenation of its inputs) see one pixel at a time. Not for a U-Net,
    whose skip connections give each output several paths.

    Args:
        model: a ``keras.Model``.

    Returns:
        The receptive field's side r (an int >= 1).

    Raises:
        TypeError: not a Keras model.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    field, jump = 1, 1
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            kernel, stride = layer.kernel_size[0], layer.strides[0]
        elif isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
            kernel, stride = layer.pool_size[0], layer.strides[0]
        else:
            continue
        field += (kernel - 1) * jump
        jump *= stride
    return field
