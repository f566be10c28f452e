"""The denoising U-Net of the diffusion and flow-matching models (notebook 08).

One network serves every objective of :mod:`prodimg_lib.generation.diffusion`: it takes a noisy
image, the noise level ``t`` and a class label, and returns an image-shaped prediction (the
noise for DDPM, the velocity for flow matching). For 28x28 images and ``width=w``::

    inputs: noisy image (N, 28, 28, 1), time t (N,) in [0, 1], label (N,) in [0, num_classes]
    t -> sinusoidal features -> Dense 4w, swish -> Dense 4w   \\
    label -> Embedding(num_classes + 1, 4w)                    +-> embedding e (N, 4w)
    Conv 2x2 stride 2 (patches of 2x2 pixels)      14x14, w   ------------------+ skip
    ResBlock(w, e), ResBlock(w, e)                 14x14, w   ---------------+  | skips
    Conv 3x3 stride 2                              7x7,  2w                  |  |
    ResBlock(2w, e) x 2, ResBlock(2w, e) (middle)  7x7,  2w                  |  |
    UpSampling 2x, Conv 3x3                        14x14, w                  |  |
    3 x [concat a skip, ResBlock(w, e)]            14x14, w   <--------------+--+
    swish, Conv2DTranspose 2x2 stride 2            -> (N, 28, 28, 1)

A residual block is swish, Conv 3x3, *plus the embedding projected to the block's channels*
(so that every block knows the noise level and the class), swish, Conv 3x3, and the skip
connection (a 1x1 convolution where the channel count changes). The label ``num_classes`` is
the *null label* of classifier-free guidance: "no class given".

Two choices are made for a laptop CPU, and measured there (2 cores, TensorFlow, batch 128):

- the network starts by cutting the image into 2x2 patches (a stride-2 convolution) and ends by
  putting them back (a stride-2 transposed convolution), so no layer works at 28x28. At a
  similar cost per step this leaves room for 4-6 times the channels, which learned faster
  than a U-Net with 16 channels at full resolution;
- there is no normalisation layer. Diffusion U-Nets usually put GroupNormalization before each
  convolution, but on a CPU it more than halved the training steps per second of this
  network (0.97 against 2.38 steps/s at ``width=48``); the short runs of the course trained
  stably without it.

The last layer starts at zero (``kernel_initializer="zeros"``), so an untrained network
predicts 0. Only standard Keras layers and one small registered layer
(:class:`SinusoidalEmbedding`) are used, so the model saves to ``.keras`` and loads back in
safe mode.
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

__all__ = ["SinusoidalEmbedding", "build_unet", "null_label"]


@keras.saving.register_keras_serializable(package="prodimg_lib")
class SinusoidalEmbedding(layers.Layer):
    """Times ``t`` (N,) in [0, 1] -> features (N, dim): ``[sin(f_k t), cos(f_k t)]`` for ``dim / 2`` frequencies.

    The frequencies ``f_k`` grow geometrically from 1 to ``max_frequency`` (in radians per unit of
    ``t``), as in the positional encoding of the Transformer (Vaswani et al., 2017): the slow ones
    tell noisy from clean, the fast ones separate neighbouring noise levels.
    """

    def __init__(self, dim: int, max_frequency: float = 1000.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 2 or dim % 2:
            raise ValueError(f"dim must be an even integer >= 2, got {dim!r}")
        self.dim, self.max_frequency = dim, float(max_frequency)

    def call(self, t):
        half = self.dim // 2
        exponents = ops.arange(half, dtype="float32") / max(half - 1, 1)
        frequencies = ops.exp(exponents * math.log(self.max_frequency))
        angles = ops.reshape(ops.cast(t, "float32"), (-1, 1)) * frequencies[None, :]
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "max_frequency": self.max_frequency}


def null_label(model) -> int:
    """The label that means "no class" for a U-Net built by :func:`build_unet`: its number of classes."""
    return int(model.get_layer("label_embedding").input_dim) - 1


def _residual_block(x, embedding, filters: int, name: str):
    skip = x if x.shape[-1] == filters else layers.Conv2D(filters, 1, name=f"{name}_skip")(x)
    h = layers.Activation("swish", name=f"{name}_act1")(x)
    h = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv1")(h)
    e = layers.Reshape((1, 1, filters), name=f"{name}_embed_map")(layers.Dense(filters, name=f"{name}_embed")(embedding))
    h = layers.Add(name=f"{name}_add_embed")([h, e])
    h = layers.Activation("swish", name=f"{name}_act2")(h)
    h = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv2")(h)
    return layers.Add(name=f"{name}_out")([skip, h])


def build_unet(image_shape=(28, 28, 1), width: int = 48, num_classes: int = 10, *, name: str = "unet") -> keras.Model:
    """The denoising U-Net: ``[noisy (N, H, W, C), t (N,), labels (N,)]`` -> prediction ``(N, H, W, C)``.

    Args:
        image_shape: ``(H, W, C)``; H and W multiples of 4 (a 2x2 patch, then one halving).
        width: channels at the patch level, twice that at the lower one (the course uses 1.5
            times the profile's width: 12 smoke, 48 cpu, 96 gpu).
        num_classes: the classes; labels run from 0 to ``num_classes`` inclusive, the last being
            the null label ("unconditional") that classifier-free guidance needs.
        name: the model's name.

    Returns:
        A functional ``keras.Model``; its output is float32 under any dtype policy, unbounded
        (a noise or velocity prediction, not an image).

    Raises:
        ValueError: bad sizes.
    """
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 3 or min(shape) < 1 or shape[0] % 4 or shape[1] % 4:
        raise ValueError(f"image_shape must be (H, W, C) with H and W multiples of 4, got {image_shape!r}")
    for label, value in (("width", width), ("num_classes", num_classes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    noisy = keras.Input(shape, name="noisy")
    t = keras.Input((), name="t")
    labels = keras.Input((), dtype="int32", name="labels")

    # float32 under any policy: in bfloat16 the fast frequencies of t would be rounded to noise
    e = SinusoidalEmbedding(2 * ((width + 1) // 2), dtype="float32", name="time_features")(t)
    e = layers.Dense(4 * width, activation="swish", name="time_dense1")(e)
    e = layers.Dense(4 * width, name="time_dense2")(e)
    e = layers.Add(name="embedding")([e, layers.Embedding(num_classes + 1, 4 * width, name="label_embedding")(labels)])
    e = layers.Activation("swish", name="embedding_act")(e)

    x = layers.Conv2D(width, 2, strides=2, name="patches")(noisy)
    skips = [x]
    for i in (1, 2):
        x = _residual_block(x, e, width, f"down1_{i}")
        skips.append(x)
    x = layers.Conv2D(2 * width, 3, strides=2, padding="same", name="down2_stride")(x)
    for i in (1, 2):
        x = _residual_block(x, e, 2 * width, f"down2_{i}")
    x = _residual_block(x, e, 2 * width, "middle")
    x = layers.UpSampling2D(2, name="up_resize")(x)
    x = layers.Conv2D(width, 3, padding="same", name="up_conv")(x)
    for i in (1, 2, 3):
        x = layers.Concatenate(name=f"up_{i}_concat")([x, skips.pop()])
        x = _residual_block(x, e, width, f"up_{i}")
    x = layers.Activation("swish", name="out_act")(x)
    out = layers.Conv2DTranspose(shape[-1], 2, strides=2, kernel_initializer="zeros", dtype="float32",
                                 name="prediction")(x)
    return keras.Model([noisy, t, labels], out, name=name)
