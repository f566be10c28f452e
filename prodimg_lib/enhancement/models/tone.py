"""Low-light enhancement by curve estimation, in the style of Zero-DCE (Guo et al., CVPR 2020).

Instead of predicting the bright image, the network predicts, for every pixel and
channel, the parameter ``a`` in [-1, 1] of a light-enhancement curve on [0, 1]::

    LE(u) = u + a * u * (1 - u)

and applies it ``iterations`` times, each time with its own parameter map. Each curve keeps
0 at 0 and 1 at 1, is monotonic, and never leaves [0, 1] (for a in [-1, 1] the result lies
between u² and 2u - u²), so the output can only re-tone the picture: it cannot invent
content, clip highlights or produce values out of range. ``a > 0`` brightens (lifts the
dark tones most), ``a < 0`` darkens. Eight iterations can approximate strong gamma curves.

Architecture (w = ``width``), all convolutions 3x3 with 'same' padding, so any H and W::

    image (N, H, W, C) in [-1, 1]  ->  u = (x + 1) / 2 in [0, 1]
    features: Conv (w, ReLU) x 4, with the Zero-DCE symmetric skips
              (conv5 sees [conv3, conv4], conv6 sees [conv2, conv5])
    per iteration i: Conv (C, tanh) "curve{i}" -> a_i (N, H, W, C) in [-1, 1] (starts at 0)
    u <- u + a_i * u * (1 - u)    (Rescaling(-1, offset=1), Multiply, Add: standard layers)
    output 2u - 1, clipped to [-1, 1]   -> (N, H, W, C)

The curve heads start at zero, so an untrained model returns its input unchanged.

**Training.** Zero-DCE itself trains without references, with the no-reference losses of
:mod:`prodimg_lib.enhancement.models.tone_losses` (spatial consistency, exposure, colour
constancy, illumination smoothness), which matters when no clean image exists. The course has
clean references for every damaged image, so its main models train *supervised*, with the MSE
on ``(dark, clean)`` pairs, which optimises the PSNR they are judged by; notebook 11 trains
both ways and compares them.

:func:`build_low_light_net` follows the curves with a DnCNN, because a dark shot is noisy
(:func:`prodimg_lib.data.degrade.low_light_as_shot`) and curves cannot remove noise.

Measured results (notebook 11, ``python -m benchmarks enhance --tasks tone low_light``, cpu
profile, 2-core CPU, all 10,000 test images):

- Fashion-MNIST darkened by one curve per image (gamma in [1.5, 2.5], exposure in [0.3,
  0.6]): a classical per-image "levels + gamma" correction reaches 36.3 dB, and the curve
  estimator trained on top of it does not beat it (36.0 dB); see
  :mod:`prodimg_lib.experiments.tone`.
- Fashion-MNIST darkened as shot: levels + gamma + non-local means 20.50 dB, the curves +
  DnCNN network (3 epochs, 350 s) 25.56 dB (+5.06); see :mod:`prodimg_lib.experiments.low_light`.

Only standard Keras layers are used, so saved models load with ``keras.models.load_model``
in safe mode.
"""

from __future__ import annotations

import keras
from keras import layers

from prodimg_lib.data.pixels import check_positive_int
from prodimg_lib.enhancement.fit import clip_to_model_range

__all__ = ["build_curve_estimator", "build_low_light_net", "curve_parameters"]


def _features(u, width: int):
    conv = [None]
    x = u
    for i in range(1, 5):
        x = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        conv.append(x)
    x = layers.Concatenate(name="skip5")([conv[3], conv[4]])
    x = layers.Conv2D(width, 3, padding="same", activation="relu", name="conv5")(x)
    x = layers.Concatenate(name="skip6")([conv[2], x])
    return layers.Conv2D(width, 3, padding="same", activation="relu", name="conv6")(x)


def _enhance_step(u, a, index: int):
    """One light-enhancement curve: u + a * u * (1 - u)."""
    one_minus = layers.Rescaling(-1.0, offset=1.0, name=f"le{index}_one_minus")(u)
    spread = layers.Multiply(name=f"le{index}_u_one_minus_u")([u, one_minus])
    step = layers.Multiply(name=f"le{index}_times_a")([a, spread])
    return layers.Add(name=f"le{index}")([u, step])


def build_curve_estimator(channels: int = 3, width: int = 32, iterations: int = 8):
    """Build the Zero-DCE-style curve-estimation network (uncompiled); it outputs the enhanced image.

    Args:
        channels: C, 3 for colour photos (one curve per channel, as Zero-DCE) or 1 for grayscale.
        width: filters of the feature convolutions.
        iterations: how many times the curve is applied (>= 1), each with its own parameter map.

    Returns:
        ``keras.Model`` named "curve_estimator": (N, H, W, C) float32 in [-1, 1] (a dark image)
        -> (N, H, W, C) in [-1, 1] (the enhanced image). The parameter maps are the outputs of
        the layers "curve1" ... "curve{iterations}"; :func:`curve_parameters` collects them.

    Raises:
        ValueError: a channel count, width or iteration count that is not a positive integer.
    """
    channels = check_positive_int(channels, "channels")
    width = check_positive_int(width, "width")
    iterations = check_positive_int(iterations, "iterations")
    inputs = keras.Input(shape=(None, None, channels), name="dark")
    u = layers.Rescaling(0.5, offset=0.5, name="to_unit")(inputs)
    features = _features(u, width)
    for i in range(1, iterations + 1):
        a = layers.Conv2D(channels, 3, padding="same", activation="tanh", kernel_initializer="zeros",
                          name=f"curve{i}")(features)
        u = _enhance_step(u, a, i)
    x = layers.Rescaling(2.0, offset=-1.0, name="from_unit")(u)
    return keras.Model(inputs, clip_to_model_range(x, name="output"), name="curve_estimator")


def build_low_light_net(channels: int = 1, width: int = 16, iterations: int = 8, *, denoiser_width: int = 16,
                        denoiser_depth: int = 8):
    """The curve estimator followed by a DnCNN denoiser, one model trained end to end (uncompiled).

    Tone curves cannot remove noise, and a dark shot is noisy: its shadows carry shot and read
    noise that brightening makes visible. This model brightens with the curve estimator
    (:func:`build_curve_estimator`, the sub-model "curve_estimator") and cleans the result with a
    residual denoiser (:func:`prodimg_lib.enhancement.models.restore.build_dncnn` without batch
    normalisation, the sub-model "dncnn").

    Args:
        channels, width, iterations: of the curve estimator.
        denoiser_width, denoiser_depth: of the DnCNN (depth >= 2).

    Returns:
        ``keras.Model`` named "low_light_net": (N, H, W, C) in [-1, 1] -> (N, H, W, C) in [-1, 1];
        an untrained one returns its input unchanged (both parts start as the identity).
    """
    from prodimg_lib.enhancement.models.restore import build_dncnn

    curves = build_curve_estimator(channels, width=width, iterations=iterations)
    denoiser = build_dncnn(channels, width=denoiser_width, depth=denoiser_depth, batch_norm=False)
    inputs = keras.Input(shape=(None, None, channels), name="dark")
    return keras.Model(inputs, denoiser(curves(inputs)), name="low_light_net")


def curve_parameters(model):
    """A model sharing ``model``'s weights that outputs its curve parameter maps.

    Args:
        model: from :func:`build_curve_estimator` or :func:`build_low_light_net` (trained or
            loaded; for the latter, the maps of its curve estimator).

    Returns:
        ``keras.Model`` named "curve_parameters": (N, H, W, C) in [-1, 1] -> (N, H, W, C * iterations),
        the maps a_1 ... a_n concatenated along the channel axis, each in [-1, 1].

    Raises:
        TypeError: not a Keras model.
        ValueError: the model has no "curve1" layer (not a curve estimator).
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if model.name == "low_light_net":
        model = model.get_layer("curve_estimator")
    heads = []
    i = 1
    while True:
        try:
            heads.append(model.get_layer(f"curve{i}").output)
        except ValueError:
            break
        i += 1
    if not heads:
        raise ValueError(
            f"the model {model.name!r} has no layer named 'curve1'; build it with "
            "prodimg_lib.enhancement.models.tone.build_curve_estimator"
        )
    output = heads[0] if len(heads) == 1 else layers.Concatenate(name="curve_maps")(heads)
    return keras.Model(model.inputs, output, name="curve_parameters")
