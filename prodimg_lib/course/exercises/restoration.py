"""The exercise checkers of notebook 10 (restoration).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.experiments.restoration import composite, noise_psnr
from prodimg_lib.evaluation.image_quality import psnr
from prodimg_lib.course.exercises.checking import (Case, CheckResult, check_cases, compare_arrays, failed, not_answered,
                                                  passed)
from prodimg_lib.course.exercises.keras_checking import call_answer, fast_initialisation, is_stub, to_numpy


def check_noise_psnr(fn) -> CheckResult:
    """Exercise: ``fn(sigma)`` gives the PSNR (dB) of unclipped Gaussian noise of std sigma on the 0-255 scale."""
    cases = []
    for sigma in (25.0, 15.0, 50.0, 5.0):
        mistakes = (
            (10.0 * np.log10(255.0 / sigma), "PSNR compares *squared* errors: 10 log10(255² / sigma²) = 20 log10(255 / sigma)."),
            (20.0 * np.log10(2.0 / sigma), "sigma is on the 0-255 scale, so the peak is 255 (or convert sigma to [-1, 1] units "
                                           "first: 2 sigma / 255 against the range 2)."),
            (20.0 * np.log10(1.0 / sigma), "sigma is on the 0-255 scale, so the peak is 255, not 1."),
        )
        cases.append(Case((sigma,), noise_psnr(sigma), f"sigma = {sigma:g}", mistakes))
    return check_cases("noise_psnr", fn, cases)


def _masked_cases() -> list[Case]:
    rng = np.random.default_rng(9)
    cases = []
    for i, shape in enumerate([(6, 6, 1), (28, 28, 1), (5, 7, 1)]):
        ref = rng.uniform(-1, 1, shape).astype(np.float32)
        est = np.clip(ref + rng.normal(0, 0.2, shape), -1, 1).astype(np.float32)
        mask = np.zeros(shape, bool)
        mask[1:4, 2:5] = True
        est[mask] = np.clip(est[mask] + 0.5, -1, 1)  # the damaged region is repaired worse
        whole = 10.0 * np.log10(4.0 / np.mean((ref.astype(np.float64) - est) ** 2))
        range_one = 10.0 * np.log10(1.0 / np.mean((ref[mask].astype(np.float64) - est[mask]) ** 2))
        mean_over_all = 10.0 * np.log10(4.0 / (np.sum((ref.astype(np.float64) - est) ** 2 * mask) / ref.size))
        mistakes = (
            (whole, "That is the PSNR of the whole image: average the squared error over the masked pixels only."),
            (range_one, "The images are in [-1, 1], so the data range is 2 and the peak squared is 4, not 1."),
            (mean_over_all, "The squared errors are summed over the mask but divided by all pixels: divide by the "
                            "number of masked pixels."),
        )
        cases.append(Case((ref, est, mask), psnr(ref, est, mask), f"test image {i + 1} ({shape[0]}x{shape[1]})",
                          mistakes))
    return cases


def check_masked_psnr(fn) -> CheckResult:
    """Exercise: ``fn(reference, estimate, mask)`` is the PSNR (range 2) over the masked pixels of one image."""
    return check_cases("masked_psnr", fn, _masked_cases())


def check_composite(fn) -> CheckResult:
    """Exercise: ``fn(damaged, prediction, mask)`` keeps known pixels and takes damaged ones from the prediction."""
    rng = np.random.default_rng(4)
    cases = []
    for i, shape in enumerate([(1, 4, 4, 1), (2, 28, 28, 1)]):
        damaged = rng.uniform(-1, 1, shape).astype(np.float32)
        prediction = rng.uniform(-1, 1, shape).astype(np.float32)
        mask = (rng.uniform(size=shape) < 0.3).astype(np.float32)
        swapped = damaged * mask + prediction * (1 - mask)
        mistakes = (
            (swapped, "The mask is 1 where a pixel is damaged: take the *prediction* there and the damaged image elsewhere."),
            (prediction, "The composite keeps the known pixels of the damaged image; only masked pixels come from the prediction."),
            (damaged * (1 - mask), "The damaged pixels are left at 0: add prediction * mask."),
        )
        cases.append(Case((damaged, prediction, mask), composite(damaged, prediction, mask), f"batch {i + 1} {shape}",
                          mistakes))
    return check_cases("composite", fn, cases)


def masked_l1_reference(y_true, y_pred) -> float:
    """The masked L1 loss in NumPy: y_true (N, H, W, 2) = [target, mask (1 = damaged)], y_pred (N, H, W, 1).

    The sum over the batch of |target - prediction| on the damaged pixels, divided by the number of
    damaged pixels (at least 1, so that a batch without damage gives 0, not 0 / 0).
    """
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    target, mask = y_true[..., :1], y_true[..., 1:2]
    return float(np.sum(np.abs(target - y_pred) * mask) / max(np.sum(mask), 1.0))


def _masked_l1_mistakes(y_true, y_pred) -> tuple[tuple[float, str], ...]:
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    target, mask = y_true[..., :1], y_true[..., 1:2]
    error = np.abs(target - y_pred)
    count = max(np.sum(mask), 1.0)
    mistakes = [
        (np.mean(error * mask), "The sum over the damaged pixels is divided by the number of all pixels: divide by "
                                "the number of damaged pixels, sum(mask) (at least 1)."),
        (np.sum(error * (1 - mask)) / max(np.sum(1 - mask), 1.0),
         "This is the error on the known pixels: the mask is 1 where a pixel is damaged, and those are the pixels "
         "to measure (multiply by mask, not 1 - mask)."),
        (np.mean(error), "This is the mean absolute error over all pixels: weight it by the mask (channel 1 of y_true) "
                         "so that only the damaged pixels count."),
        (np.sum((target - y_pred) ** 2 * mask) / count, "That is a squared error: the L1 loss uses the absolute "
                                                        "difference, keras.ops.abs."),
        (np.sum(np.abs(y_true[..., 1:2] - y_pred) * y_true[..., :1]) / max(np.sum(y_true[..., :1]), 1.0),
         "The channels are swapped: the target image is channel 0 of y_true and the mask channel 1."),
    ]
    per_image = np.sum(error * mask, axis=(1, 2, 3)) / np.maximum(np.sum(mask, axis=(1, 2, 3)), 1.0)
    if len(per_image) > 1:
        mistakes.append((float(np.mean(per_image)), "This is the mean of one masked error per image: sum over the "
                                                    "whole batch first, then divide by the batch's number of "
                                                    "damaged pixels."))
    try:  # y_true[..., 0] (N, H, W) against y_pred (N, H, W, 1) broadcasts to a 4-D array of the wrong pairs
        flat_error = np.abs(y_true[..., 0] - y_pred)
        mistakes.append((float(np.sum(flat_error * y_true[..., 1]) / count),
                         "y_true[..., 0] has shape (N, H, W) but y_pred has (N, H, W, 1), so their difference "
                         "broadcasts to (N, H, W, W): keep the channel axis with y_true[..., 0:1] and "
                         "y_true[..., 1:2]."))
    except ValueError:
        pass
    return tuple((float(v), m) for v, m in mistakes)


def _masked_l1_cases():
    rng = np.random.default_rng(21)
    cases = []
    shape = (2, 6, 6, 1)  # one shape for every case: on JAX each new shape compiles every operation again
    for label, kind in (("a batch of two 6 x 6 images with holes of different sizes", "random"),
                        ("a batch without any damaged pixel (an all-zero mask)", "empty"),
                        ("a batch with one damaged pixel", "one")):
        target = rng.uniform(-1, 1, shape)
        prediction = np.clip(target + rng.normal(0, 0.3, shape), -1, 1)
        if kind == "random":
            mask = (rng.uniform(size=shape) < rng.uniform(0.2, 0.6, (shape[0], 1, 1, 1))).astype(np.float64)
            mask[0, 0, 0, 0] = 1.0
        else:
            mask = np.zeros(shape)
            if kind == "one":
                mask[1, 2, 1, 0] = 1.0
        y_true = np.concatenate([target, mask], axis=-1).astype(np.float32)
        y_pred = prediction.astype(np.float32)
        cases.append((label, y_true, y_pred))
    return cases


def check_masked_l1(fn) -> CheckResult:
    """Exercise: ``fn(y_true, y_pred)`` is the L1 loss over the damaged pixels, a Keras loss for ``model.compile``.

    ``y_true`` (N, H, W, 2) holds the target image (channel 0) and the defect mask (channel 1,
    1.0 where a pixel is damaged); ``y_pred`` is (N, H, W, 1). The loss is one number for the
    batch: sum(|target - y_pred| * mask) / max(sum(mask), 1). The checker compares it with
    NumPy on four batches (one without damage, one with a single damaged pixel), then trains a
    one-layer model for one step with it, to show that it works inside ``fit`` on this backend.
    """
    import keras

    name = "your masked_l1"
    if fn is None or fn is Ellipsis or is_stub(fn):
        return not_answered(name)
    for label, y_true, y_pred in _masked_l1_cases():
        got, error = call_answer(name, fn, keras.ops.convert_to_tensor(y_true), keras.ops.convert_to_tensor(y_pred))
        if error is not None:
            if "broadcast" in error.message.lower() or "incompatible" in error.message.lower():
                return failed(f"For {label}: {error.message.rstrip('.')}. y_true[..., 0] has shape (N, H, W) but "
                              "y_pred has (N, H, W, 1): keep the channel axis with y_true[..., 0:1] and y_true[..., 1:2].")
            return failed(f"For {label}: {error.message}")
        try:
            value = to_numpy(got)
        except Exception:
            return failed(f"{name} should return a number (a scalar tensor), got {type(got).__name__}.")
        expected = masked_l1_reference(y_true, y_pred)
        if value.shape != ():
            return failed(f"For {label}: {name} returned shape {value.shape}; a loss here returns one number for "
                          "the batch: sum over all the batch's pixels, then divide.")
        if not np.isfinite(value):
            hint = " With no damaged pixel, sum(mask) is 0: divide by keras.ops.maximum(sum(mask), 1)." \
                if "without" in label else ""
            return failed(f"For {label}: {name} is {float(value)}.{hint}")
        result = compare_arrays(name, value, expected, rtol=1e-4, atol=1e-6)
        if not result:
            hint = next((m for v, m in _masked_l1_mistakes(y_true, y_pred)
                         if np.isfinite(v) and np.isclose(value, v, rtol=1e-4, atol=1e-6)), "")
            return failed(f"For {label}: {result.message}" + (f" {hint}" if hint else ""))

    # One training step: the loss must work on the backend's symbolic or traced tensors and pass gradients.
    rng = np.random.default_rng(22)
    with fast_initialisation():
        model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(1, 3, padding="same")])
    y_true = np.concatenate([rng.uniform(-1, 1, (2, 6, 6, 1)), (rng.uniform(size=(2, 6, 6, 1)) < 0.3)],
                            axis=-1).astype(np.float32)
    x = rng.uniform(-1, 1, (2, 6, 6, 1)).astype(np.float32)
    before = [np.array(w) for w in model.get_weights()]
    try:
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss=fn)
        loss = model.train_on_batch(x, y_true)
    except Exception as exc:
        return failed(f"{name} is right on arrays, but training a model with model.compile(loss=masked_l1) failed "
                      f"({type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}). Write it with keras.ops only (keras.ops.abs, "
                      "keras.ops.sum, keras.ops.maximum), not NumPy, so that it also works on the tensors inside fit.")
    loss = float(np.asarray(loss).ravel()[0]) if np.ndim(loss) else float(loss)
    changed = any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    if not np.isfinite(loss) or not changed:
        return failed(f"{name} is right on arrays, but one training step with it left the model's weights unchanged "
                      f"(loss {loss:.4g}): the gradient does not flow through it. Compute it from y_pred with "
                      "keras.ops, without converting to NumPy.")
    return passed(f"{name} measures the L1 error on the damaged pixels only (0 for a batch without damage), and a "
                  "model trains with it.")
