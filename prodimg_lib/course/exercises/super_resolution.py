"""The exercise checkers of notebook 09 (super resolution).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.experiments.super_resolution import espcn_trainable_parameters, pixel_shuffle
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases, check_value, failed, passed
from prodimg_lib.course.exercises.keras_checking import call_answer, fast_initialisation, model_outputs


def check_downscale(fn) -> CheckResult:
    """Check a learner's ``fn(images, factor)``: area averaging of (N, H, W, C) by an integer factor."""
    from prodimg_lib.data import degrade

    rng = np.random.default_rng(8)
    cases = []
    for shape, factor, label in (((1, 4, 4, 1), 2, "one 4 x 4 image, factor 2"),
                                 ((3, 8, 12, 1), 4, "three 8 x 12 images, factor 4"),
                                 ((2, 6, 4, 3), 2, "two 6 x 4 colour images, factor 2")):
        x = rng.uniform(-1, 1, shape).astype(np.float32) if shape != (1, 4, 4, 1) else \
            (np.arange(16, dtype=np.float32).reshape(shape) / 15 * 2 - 1)
        expected = degrade.downscale(x, factor)
        every_other = x[:, ::factor, ::factor, :]
        block_sums = expected * factor * factor
        cases.append(Case(args=(x, factor), expected=expected, label=label, mistakes=(
            (every_other, "You kept every factor-th pixel (subsampling): average each factor x factor block instead."),
            (block_sums, "These are the sums of the blocks: divide by factor² to get their means."),
        )))
    result = check_cases("your downscale", fn, cases)
    if result:
        return passed("your downscale matches degrade.downscale: each output pixel is the mean of its block.")
    if "has shape (2, 3, 2, 1)" in result.message:
        return failed(result.message + " Average over the two spatial axes only, not over the channels.")
    return result


def check_psnr(fn) -> CheckResult:
    """Check a learner's ``fn(reference, estimate)``: the mean over images of each image's PSNR (range 2)."""
    from prodimg_lib.evaluation import image_quality

    rng = np.random.default_rng(9)
    ref = rng.uniform(-1, 1, (4, 6, 5, 1))
    est = np.clip(ref + rng.normal(0, [[[[0.05]]], [[[0.1]]], [[[0.2]]], [[[0.4]]]], ref.shape), -1, 1)
    one_ref, one_est = ref[:1], np.clip(ref[:1] + 0.1, -1, 1)
    cases = []
    for r, e, label in ((one_ref, one_est, "one 6 x 5 image"), (ref, est, "four images with different errors")):
        expected = image_quality.psnr(r, e)
        mse = np.mean((r - e) ** 2, axis=(1, 2, 3))
        cases.append(Case(args=(r, e), expected=expected, label=label, mistakes=(
            (float(np.mean(10 * np.log10(1.0 / mse))), "You used a peak of 1: the range of [-1, 1] images is 2, so the "
                                                      "numerator is 2² = 4."),
            (float(10 * np.log10(4.0 / np.mean(mse))), "This is the PSNR of the pooled MSE: compute one PSNR per image, "
                                                       "then average the PSNRs."),
            (float(np.mean(20 * np.log10(4.0 / mse))), "PSNR is 10 log10(peak² / MSE) (or 20 log10(peak / RMSE)), "
                                                       "not 20 log10(peak² / MSE)."),
            (float(np.mean(10 * np.log(4.0 / mse))), "Use the base-10 logarithm (np.log10), not the natural one."),
        )))
    result = check_cases("your psnr", fn, cases)
    return passed("your psnr matches image_quality.psnr: 10 log10(4 / MSE) per image, averaged.") if result else result


def check_pixel_shuffle(fn) -> CheckResult:
    """Check a learner's ``fn(x, r)``: depth-to-space (N, H, W, C r²) -> (N, r H, r W, C) in Keras' order."""
    rng = np.random.default_rng(10)
    cases = []
    for shape, r, label in (((1, 1, 1, 4), 2, "one pixel with 4 channels, r = 2"),
                            ((2, 3, 2, 4), 2, "two 3 x 2 maps with 4 channels, r = 2"),
                            ((1, 2, 3, 18), 3, "a 2 x 3 map with 18 channels (C = 2), r = 3")):
        x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) if shape[0] == 1 and shape[1] == 1 else \
            rng.normal(size=shape)
        n, h, w, depth = shape
        c = depth // (r * r)
        transposed = x.reshape(n, h, w, r, r, c).transpose(0, 1, 4, 2, 3, 5).reshape(n, h * r, w * r, c)
        naive = x.reshape(n, h * r, w * r, c)
        cases.append(Case(args=(x, r), expected=pixel_shuffle(x, r), label=label, mistakes=(
            (transposed, "Rows and columns of each block are swapped: channel (i r + j) C + c goes to block row i, "
                         "column j."),
            (naive, "A plain reshape does not move the channels into blocks: reshape to (N, H, W, r, r, C), move the "
                    "block-row axis next to H, then reshape."),
        )))
    result = check_cases("your pixel_shuffle", fn, cases)
    return passed("your pixel_shuffle matches keras.ops.depth_to_space.") if result else result


def check_espcn_parameters(answer) -> CheckResult:
    """Check the learner's count of the trainable parameters of ``build_espcn(3, channels=1, width=32)``."""
    expected = espcn_trainable_parameters(3, 32, 1)  # 832 + 4,624 + 1,305 = 6,761
    no_bias = 5 * 5 * 32 + 3 * 3 * 32 * 16 + 3 * 3 * 16 * 9
    with_subpixel = expected + 3 * 3 * 1 * 9
    one_output = expected - (3 * 3 * 16 * 9 + 9) + (3 * 3 * 16 * 1 + 1)
    hints = {
        float(no_bias): "You left out the biases: each convolution has one bias per filter.",
        float(with_subpixel): "You counted the sub-pixel layer's 81 weights: they are a frozen permutation, not "
                              "trainable.",
        float(one_output): "The last convolution outputs C r² = 9 channels (one per sub-pixel), not 1.",
    }
    return check_value("trainable parameters", answer, expected, hints, rtol=0, atol=0.5)


def residual_block_parameters(width: int) -> int:
    """Trainable parameters of one EDSR residual block: two 3 x 3 convolutions, width -> width, with biases."""
    return 2 * (9 * width * width + width)


def check_residual_block(fn) -> CheckResult:
    """Check a learner's ``fn(x, width)``: the EDSR block Conv(3x3, ReLU) -> Conv(3x3) -> Add with ``x``.

    The checker builds ``keras.Model(inp, fn(inp, width))`` on ``keras.Input((None, None, width))``,
    looks at its layers (two 3 x 3 convolutions with 'same' padding, no batch normalisation),
    counts its trainable parameters, and compares its output on a random input with the block
    computed in NumPy from the two convolutions' weights.
    """
    import keras

    from prodimg_lib.reference.cnn import conv2d_forward

    width, name = 4, "your residual_block"
    inp = keras.Input((None, None, width))
    with fast_initialisation():
        out, error = call_answer(name, fn, inp, width)
    if error is not None:
        text = error.message.lower()
        if "incompatible shapes" in text or ("shape" in text and "add" in text):
            return failed(error.message.rstrip(".") + ". The addition needs two tensors of the same shape: both convolutions keep "
                          f"the {width} channels of the input (filters=width) and the spatial size (padding='same').")
        return error
    if isinstance(out, keras.Model):
        return failed(f"{name} should return the block's output tensor, not a model: the checker builds the model "
                      "with keras.Model(inp, residual_block(inp, width)).")
    if not isinstance(out, keras.KerasTensor):
        return failed(f"{name} should return the Keras tensor of the block's output (from calling layers on x), got "
                      f"{type(out).__name__}.")
    try:
        model = keras.Model(inp, out)
    except Exception as exc:
        return failed(f"keras.Model(inp, residual_block(inp, width)) raised {type(exc).__name__}: {exc}. Compute the "
                      "output from x with layers only.")
    if tuple(out.shape[1:]) != (None, None, width):
        return failed(f"the block's output has shape {tuple(out.shape)} for an input of shape {tuple(inp.shape)}; it "
                      f"must keep the shape (the second convolution has width = {width} filters).")
    layers = model.layers
    if any(isinstance(layer, keras.layers.BatchNormalization) for layer in layers):
        return failed("your block has a BatchNormalization layer: EDSR leaves batch normalisation out (it takes away "
                      "the range flexibility a regression network needs); use Conv -> ReLU -> Conv -> Add only.")
    convs = [layer for layer in layers if isinstance(layer, keras.layers.Conv2D)]
    if len(convs) != 2:
        return failed(f"your block has {len(convs)} Conv2D layer(s); the EDSR block has two: Conv2D(width, 3, "
                      "padding='same', activation='relu'), then Conv2D(width, 3, padding='same').")
    for i, conv in enumerate(convs, start=1):
        if conv.padding != "same":
            return failed(f"convolution {i} has padding='{conv.padding}': each 3 x 3 'valid' convolution shrinks the "
                          "maps by 2 pixels (an 8 x 8 input would give 4 x 4), so the output no longer matches the "
                          "input for the addition. Use padding='same'.")
        if tuple(conv.kernel_size) != (3, 3) or conv.filters != width or tuple(conv.strides) != (1, 1):
            return failed(f"convolution {i} has {conv.filters} filters of size {conv.kernel_size} with strides "
                          f"{conv.strides}; the block uses Conv2D(width, 3) ({width} filters of 3 x 3, stride 1).")
        if not conv.use_bias:
            return failed(f"convolution {i} has no bias (use_bias=False): keep the default biases.")
    params = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    expected_params = residual_block_parameters(width)
    if params != expected_params:
        return failed(f"your block has {params:,} trainable parameters; two 3 x 3 convolutions from {width} to "
                      f"{width} channels with biases have 2 (9 w² + w) = {expected_params:,}: add no other layer "
                      "with weights.")

    rng = np.random.default_rng(12)
    x = rng.normal(0, 1, (2, 8, 6, width)).astype(np.float32)
    try:
        got = np.asarray(model_outputs(model, x), dtype=np.float64)
    except Exception as exc:
        return failed(f"running the block on an input of shape {x.shape} raised {type(exc).__name__}: {exc}")
    if got.shape != x.shape:
        return failed(f"for an input of shape {x.shape} your block gives shape {got.shape}: it must keep the shape "
                      "(padding='same', width filters).")
    (k1, b1), (k2, b2) = ([np.asarray(w, np.float64) for w in conv.get_weights()] for conv in convs)
    x64 = x.astype(np.float64)
    relu = lambda v: np.maximum(v, 0.0)
    first = conv2d_forward(x64, k1, b1, padding="same")[0]
    second = conv2d_forward(relu(first), k2, b2, padding="same")[0]
    expected = x64 + second
    mistakes = (
        (second, "This is the second convolution's output alone: the skip connection is missing. Add the input "
                 "x to it with keras.layers.Add()([x, y])."),
        (relu(expected), "There is a ReLU after the addition: in EDSR the sum is the block's output, with no "
                         "activation after it."),
        (x64 + relu(second), "The second convolution has a ReLU: only the first one has activation='relu'."),
        (x64 + conv2d_forward(first, k2, b2, padding="same")[0], "The first convolution needs activation='relu'."),
        (relu(first) + second, "The skip connection starts after the first convolution: add the block's input x, "
                               "not the first convolution's output."),
        (x64 + conv2d_forward(relu(conv2d_forward(x64, k2, b2, padding="same")[0]), k1, b1, padding="same")[0],
         "The two convolutions are applied in the opposite order from the one in which they were created."),
    )
    if np.allclose(got, expected, rtol=1e-4, atol=1e-4):
        return passed(f"{name} is the EDSR block: Conv(3x3, ReLU) -> Conv(3x3) + x, with {expected_params:,} "
                      f"trainable parameters at width {width}.")
    for value, message in mistakes:
        if np.allclose(got, value, rtol=1e-4, atol=1e-4):
            return failed(message)
    return failed(f"your block's output differs from x + conv2(relu(conv1(x))) by up to "
                  f"{np.max(np.abs(got - expected)):.3g}.")
