"""DCGAN generator and discriminator builders (plain and class-conditional).

The architecture follows Radford, Metz and Chintala, *Unsupervised Representation
Learning with Deep Convolutional Generative Adversarial Networks* (ICLR 2016): the
generator upsamples with transposed convolutions, batch normalisation and ReLU and ends
with ``tanh``; the discriminator mirrors it with strided convolutions and LeakyReLU(0.2).
For 28x28 images and ``width=w``::

    generator                                   discriminator
    noise (N, latent_dim)                       image (N, 28, 28, 1) in [-1, 1]
    Dense -> (N, 7*7*4w), BN, ReLU              Conv2D w,  4x4 stride 2 -> (N, 14, 14, w),  LeakyReLU, Dropout
    Reshape -> (N, 7, 7, 4w)                    Conv2D 2w, 4x4 stride 2 -> (N, 7, 7, 2w),   LeakyReLU, Dropout
    Conv2DTranspose 2w, 4x4 stride 2 -> 14x14   Conv2D 4w, 4x4 stride 2 -> (N, 4, 4, 4w),   LeakyReLU, Dropout
    Conv2DTranspose w,  4x4 stride 2 -> 28x28   Flatten -> (N, 64w)
    Conv2D 1, 3x3, tanh -> (N, 28, 28, 1)       Dense 1 -> (N, 1): a LOGIT (no sigmoid)

The discriminator returns a logit, not a probability: the losses use
``from_logits=True``, which is numerically stable where ``sigmoid`` followed by
``log`` is not. ``D(x) = sigmoid(logit)``.

Any image shape whose height and width are multiples of 4 works (the generator starts
at a quarter of the size). :func:`check_compatible` verifies that a generator's output
and a discriminator's input agree, the mistake that made the source article's GAN
untrainable (its generator ended at 4x4x3 while its discriminator expected 150x150x3).

The conditional models take the class label as a second input:

* generator inputs ``[noise (N, latent_dim) float, labels (N,) int]``, in that order; the
  label goes through an ``Embedding`` and is concatenated with the noise;
* discriminator inputs ``[images (N, H, W, C), labels (N,) int]``; it is a *projection
  discriminator* (Miyato and Koyama, ICLR 2018): ``logit = Dense(h) + <embed(label), h>``
  where ``h`` are the image features, so it judges "is this a real image *of this class*";
* with ``class_head=True`` the discriminator also names the class of each image, a second
  output ``class_logits (N, num_classes)`` (the auxiliary classifier of AC-GAN), which
  pushes the generator towards images that are clearly of the requested class.

Only standard Keras layers are used (no ``Lambda``, no custom layers), so every model
saves to ``.keras`` and loads back with ``keras.models.load_model(path)`` in safe mode.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

__all__ = [
    "IncompatibleModelsError",
    "build_generator",
    "build_discriminator",
    "build_conditional_generator",
    "build_conditional_discriminator",
    "check_compatible",
    "has_class_head",
    "is_conditional",
    "num_classes_of",
    "transposed_output_size",
    "conv_transpose_parameters",
]

LEAKY_SLOPE = 0.2


class IncompatibleModelsError(ValueError):
    """A generator and a discriminator that cannot be trained together (shapes or inputs disagree)."""


# --------------------------------------------------------------------------- validation


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _image_shape(image_shape) -> tuple[int, int, int]:
    """``image_shape`` as ``(H, W, C)`` with H and W multiples of 4, or a ValueError."""
    try:
        shape = tuple(int(s) for s in image_shape)
    except (TypeError, ValueError):
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape!r}") from None
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"image_shape must be (height, width, channels) with positive sizes, got {image_shape!r} "
            "(grayscale 28x28 images are (28, 28, 1))"
        )
    height, width, _ = shape
    if height % 4 or width % 4:
        raise ValueError(
            f"image_shape {shape}: height and width must be multiples of 4 (the generator doubles "
            "a quarter-size map twice); for example (28, 28, 1) or (32, 32, 3)"
        )
    return shape


def _shape(tensor) -> tuple:
    return tuple(tensor.shape[1:])


# --------------------------------------------------------------------------- generator


def _generator_body(x, width: int, image_shape: tuple[int, int, int]):
    """Dense -> quarter-size map -> two stride-2 transposed convolutions -> tanh image."""
    height, wide, channels = image_shape
    h4, w4 = height // 4, wide // 4
    x = layers.Dense(h4 * w4 * 4 * width, use_bias=False, name="project")(x)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.ReLU(name="project_relu")(x)
    x = layers.Reshape((h4, w4, 4 * width), name="to_map")(x)
    for i, filters in enumerate((2 * width, width), start=1):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False, name=f"up{i}")(x)
        x = layers.BatchNormalization(name=f"up{i}_bn")(x)
        x = layers.ReLU(name=f"up{i}_relu")(x)
    # dtype float32: under a mixed-precision policy the images (and so the losses) stay float32.
    return layers.Conv2D(channels, 3, padding="same", activation="tanh", dtype="float32", name="to_image")(x)


def _checked_generator(model: keras.Model, image_shape: tuple) -> keras.Model:
    if _shape(model.outputs[0]) != image_shape:  # cannot happen with valid arguments; guards later edits
        raise IncompatibleModelsError(
            f"the generator makes images of shape {_shape(model.outputs[0])}, not the requested {image_shape}"
        )
    return model


def build_generator(latent_dim: int = 64, width: int = 64, image_shape=(28, 28, 1), *, name: str = "generator") -> keras.Model:
    """DCGAN generator: normal noise ``(N, latent_dim)`` -> images ``(N, H, W, C)`` in [-1, 1].

    Args:
        latent_dim: length of the noise vector z (64 is plenty for 28x28 images).
        width: base number of filters ``w``; the layers have 4w, 2w and w filters
            (use the run profile's ``width``: 8 smoke, 32 cpu, 64 gpu).
        image_shape: ``(H, W, C)``, H and W multiples of 4; default Fashion-MNIST ``(28, 28, 1)``.
        name: the model's name.

    Returns:
        A functional ``keras.Model`` with input ``noise`` and a ``tanh`` output.

    Raises:
        ValueError: non-positive sizes, or H or W not a multiple of 4.
    """
    latent_dim, width = _positive_int("latent_dim", latent_dim), _positive_int("width", width)
    image_shape = _image_shape(image_shape)
    noise = keras.Input((latent_dim,), name="noise")
    images = _generator_body(noise, width, image_shape)
    return _checked_generator(keras.Model(noise, images, name=name), image_shape)


def build_conditional_generator(
    latent_dim: int = 64,
    num_classes: int = 10,
    width: int = 64,
    image_shape=(28, 28, 1),
    *,
    embed_dim: int = 16,
    name: str = "conditional_generator",
) -> keras.Model:
    """Class-conditional DCGAN generator: ``[noise (N, latent_dim), labels (N,) int]`` -> ``(N, H, W, C)`` in [-1, 1].

    The inputs come in this order: noise first, labels second. The label (an integer in
    ``[0, num_classes)``) is embedded as a learned vector of length ``embed_dim`` and
    concatenated with the noise; the rest is :func:`build_generator`'s network.

    Raises:
        ValueError: non-positive sizes, or H or W not a multiple of 4.
    """
    latent_dim, width = _positive_int("latent_dim", latent_dim), _positive_int("width", width)
    num_classes, embed_dim = _positive_int("num_classes", num_classes), _positive_int("embed_dim", embed_dim)
    image_shape = _image_shape(image_shape)
    noise = keras.Input((latent_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    label_vec = layers.Embedding(num_classes, embed_dim, name="label_embedding")(labels)
    x = layers.Concatenate(name="noise_and_label")([noise, label_vec])
    images = _generator_body(x, width, image_shape)
    return _checked_generator(keras.Model([noise, labels], images, name=name), image_shape)


# --------------------------------------------------------------------------- discriminator


def _discriminator_features(images, width: int, dropout: float):
    """Three stride-2 convolutions with LeakyReLU(0.2) and dropout, flattened."""
    x = images
    for i, filters in enumerate((width, 2 * width, 4 * width), start=1):
        # No bias, as in the PyTorch DCGAN reference; it also spares TensorFlow's CPU graph
        # optimiser a failed Conv2D+BiasAdd+LeakyReLU fusion that logs a "remapper failed" error.
        x = layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False, name=f"down{i}")(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"down{i}_lrelu")(x)
        if dropout:
            # A seeded Dropout draws its masks from a SeedGenerator, whose state the checkpoints keep
            # (on PyTorch an unseeded one uses torch's global generator, which no checkpoint holds).
            # The seed itself comes from NumPy's generator: keras.utils.set_random_seed fixes it.
            seed = int(np.random.randint(0, 2**31 - 1))
            x = layers.Dropout(dropout, seed=seed, name=f"down{i}_dropout")(x)
    return layers.Flatten(name="features")(x)


def _check_dropout(dropout) -> float:
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    return float(dropout)


def build_discriminator(width: int = 64, image_shape=(28, 28, 1), *, dropout: float = 0.3, name: str = "discriminator") -> keras.Model:
    """DCGAN discriminator: images ``(N, H, W, C)`` in [-1, 1] -> one logit per image ``(N, 1)``.

    ``D(x) = sigmoid(logit)`` is the probability that ``x`` is real (real images are
    labelled 1). No batch normalisation: real and fake batches go through separately,
    and per-batch statistics would let the discriminator tell them apart by batch.

    Args:
        width: base number of filters ``w``; the convolutions have w, 2w and 4w filters.
        image_shape: ``(H, W, C)``, H and W multiples of 4; must equal the generator's.
        dropout: dropout rate after each convolution block (0 switches it off).
        name: the model's name.

    Raises:
        ValueError: non-positive sizes, H or W not a multiple of 4, dropout outside [0, 1).
    """
    width, dropout = _positive_int("width", width), _check_dropout(dropout)
    image_shape = _image_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    logit = layers.Dense(1, dtype="float32", name="logit")(_discriminator_features(images, width, dropout))
    return keras.Model(images, logit, name=name)


def build_conditional_discriminator(
    num_classes: int = 10,
    width: int = 64,
    image_shape=(28, 28, 1),
    *,
    dropout: float = 0.3,
    class_head: bool = False,
    name: str = "conditional_discriminator",
) -> keras.Model:
    """Projection discriminator: ``[images (N, H, W, C), labels (N,) int]`` -> logits ``(N, 1)``.

    ``logit = w·h + b + embed(label)·h``, with ``h`` the flattened image features of
    :func:`build_discriminator`. The first term asks "does this look real?", the
    projection term "does it look like this class?".

    With ``class_head=True`` the model has a second output, ``class_logits (N,
    num_classes)``: a ``Dense`` layer on the same features ``h`` that names the class of
    the image, as the auxiliary classifier of AC-GAN (Odena, Olah and Shlens, ICML 2017).
    :class:`~prodimg_lib.generation.gan.GAN` then trains it on the real images' labels
    and asks the generator to make images it classifies as the requested class (the
    weight of that term is ``GAN.compile``'s ``class_weight``).

    Raises:
        ValueError: non-positive sizes, H or W not a multiple of 4, dropout outside [0, 1).
    """
    width, num_classes = _positive_int("width", width), _positive_int("num_classes", num_classes)
    dropout, image_shape = _check_dropout(dropout), _image_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    features = _discriminator_features(images, width, dropout)
    n_features = features.shape[-1]
    unconditional = layers.Dense(1, name="logit")(features)
    label_vec = layers.Embedding(num_classes, n_features, name="label_projection")(labels)
    projection = layers.Dot(axes=1, name="class_match")([label_vec, features])
    logit = layers.Add(dtype="float32", name="conditional_logit")([unconditional, projection])
    if not class_head:
        return keras.Model([images, labels], logit, name=name)
    class_logits = layers.Dense(num_classes, dtype="float32", name="class_logits")(features)
    return keras.Model([images, labels], [logit, class_logits], name=name)


# --------------------------------------------------------------------------- compatibility


def is_conditional(model: keras.Model) -> bool:
    """True for a model with a second (label) input, as built by the conditional builders."""
    return len(model.inputs) == 2


def has_class_head(discriminator: keras.Model) -> bool:
    """True for a discriminator with a second output, the class logits of ``class_head=True``."""
    return len(discriminator.outputs) == 2


def num_classes_of(model: keras.Model) -> int | None:
    """Number of classes a conditional model knows (its first ``Embedding``'s ``input_dim``); None if none."""
    for layer in model.layers:
        if isinstance(layer, layers.Embedding):
            return int(layer.input_dim)
    return None


def check_compatible(generator: keras.Model, discriminator: keras.Model, image_shape=None) -> tuple:
    """Check that ``discriminator`` can judge what ``generator`` makes; return the image shape.

    Checks: the generator's output shape equals the discriminator's image input shape
    (and ``image_shape`` when given); the discriminator returns one logit per image,
    shape (N, 1), and, if it has a class head, class logits ``(N, num_classes)`` as its
    second output; both are conditional (two inputs, labels second) or neither is.

    Raises:
        IncompatibleModelsError: the first problem found, with what to change.
    """
    for role, model in (("generator", generator), ("discriminator", discriminator)):
        if not isinstance(model, keras.Model) or not getattr(model, "inputs", None):
            raise IncompatibleModelsError(
                f"the {role} must be a built functional keras.Model (as made by build_{role}), got {type(model).__name__}"
            )
    made = _shape(generator.outputs[0])
    expected = _shape(discriminator.inputs[0])
    if made != expected:
        raise IncompatibleModelsError(
            f"the generator makes images of shape {made} but the discriminator expects {expected}: build both "
            "with the same image_shape. (The source article's generator ended at 4x4x3 while its "
            "discriminator expected 150x150x3, so its GAN could not train.)"
        )
    if image_shape is not None and made != tuple(image_shape):
        raise IncompatibleModelsError(
            f"the models work on images of shape {made}, but image_shape {tuple(image_shape)} was requested"
        )
    out = _shape(discriminator.outputs[0])
    if out != (1,) or len(discriminator.outputs) > 2:
        raise IncompatibleModelsError(
            f"the discriminator must return one logit per image, shape (N, 1) (and, with a class head, the class "
            f"logits second); it returns {' and '.join('(N, ' + ', '.join(map(str, _shape(o))) + ')' for o in discriminator.outputs)}"
        )
    if is_conditional(generator) != is_conditional(discriminator):
        which = "generator" if is_conditional(generator) else "discriminator"
        raise IncompatibleModelsError(
            f"only the {which} is conditional (takes labels): use build_conditional_generator with "
            "build_conditional_discriminator, or build_generator with build_discriminator"
        )
    g_classes, d_classes = num_classes_of(generator), num_classes_of(discriminator)
    if g_classes is not None and d_classes is not None and g_classes != d_classes:
        raise IncompatibleModelsError(
            f"the generator knows {g_classes} classes but the discriminator {d_classes}: build both with the same num_classes"
        )
    if has_class_head(discriminator):
        head = _shape(discriminator.outputs[1])
        if not is_conditional(discriminator):
            raise IncompatibleModelsError(
                "the discriminator has a class head but takes no labels: a class head needs the conditional models "
                "(build_conditional_discriminator(..., class_head=True))"
            )
        if len(head) != 1 or (d_classes is not None and head[0] != d_classes):
            raise IncompatibleModelsError(
                f"the discriminator's class head returns (N, {', '.join(map(str, head))}), not one logit per class (N, {d_classes})"
            )
    return made


# --------------------------------------------------------------------------- exercises (notebook 05)


def transposed_output_size(n: int, kernel: int, stride: int, padding: str) -> int:
    """Output length of a ``Conv2DTranspose`` along one axis (Keras, ``output_padding=None``).

    ``"same"``: ``n * stride``; ``"valid"``: ``n * stride + max(kernel - stride, 0)``,
    i.e. ``(n - 1) * stride + kernel`` whenever ``kernel >= stride``.
    """
    if padding == "same":
        return n * stride
    if padding == "valid":
        return n * stride + max(kernel - stride, 0)
    raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")


def conv_transpose_parameters(kernel: int, in_channels: int, out_channels: int, use_bias: bool) -> int:
    """Trainable weights of a ``Conv2DTranspose(out_channels, kernel)`` on ``in_channels`` inputs."""
    return kernel * kernel * in_channels * out_channels + (out_channels if use_bias else 0)


