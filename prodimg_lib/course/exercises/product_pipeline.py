"""The exercise checkers of notebook 12 (product pipeline).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.enhancement.pipeline import white_background
from prodimg_lib.course.exercises.checking import (Case, CheckResult, check_cases, failed, not_answered, passed,
                                                  run_candidate)
from prodimg_lib.course.exercises.keras_checking import call_answer, fast_initialisation, is_stub, model_outputs


def check_white_background(fn) -> "CheckResult":
    """Check a learner's ``fn(images, threshold, softness)`` against :func:`white_background`."""

    rng = np.random.default_rng(11)
    cases = []
    for threshold, softness in [(-0.8, 0.2), (-0.9, 0.05), (-0.5, 0.5)]:
        x = rng.uniform(-1, 1, (2, 5, 5, 1)).astype(np.float32)
        x[:, 0] = -1.0
        hard = np.where(x <= threshold, 1.0, x)
        cases.append(Case((x, threshold, softness), white_background(x, threshold, softness),
                          f"threshold={threshold}, softness={softness}",
                          ((hard, "That is a hard cut: blend with alpha = clip((x - threshold) / softness, 0, 1), out = alpha x + (1 - alpha) * 1."),
                           (np.where(x <= threshold, -1.0, x), "White is +1 in the model range [-1, 1], not -1."))))
    return check_cases("your white_background", fn, cases)


def check_gate_one(fn) -> "CheckResult":
    """Check a learner's ``fn(probabilities, requested, realism, min_confidence, min_realism) -> bool``."""

    cases = [(([0.1, 0.9], 1, 1.5, 0.8, 1.0), True, "confident and realistic"),
             (([0.7, 0.3], 1, 1.5, 0.8, 1.0), False, "the classifier sees another class"),
             (([0.25, 0.75], 1, 1.5, 0.8, 1.0), False, "the right class, but not confident enough"),
             (([0.05, 0.95], 1, 0.7, 0.8, 1.0), False, "confident but unrealistic"),
             (([0.1, 0.8], 1, 1.0, 0.8, 1.0), True, "exactly at both thresholds")]
    for args, expected, label in cases:
        got, error = run_candidate("your gate", fn, np.asarray(args[0]), *args[1:])
        if error is not None:
            return error
        if got is None:
            return failed("your gate returned None: did you forget the `return` statement?")
        if bool(got) != expected:
            return failed(f"for {label} (probabilities {args[0]}, requested {args[1]}, realism {args[2]}) it should "
                          f"{'accept' if expected else 'reject'}. Accept only when the requested class has probability "
                          ">= min_confidence AND the realism score is >= min_realism.")
    return passed("your gate accepts and rejects like the pipeline's.")


def check_acceptance_by_class(fn) -> "CheckResult":
    """Check a learner's ``fn(requested, accepted, num_classes) -> (num_classes,) share accepted per class``."""

    requested = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
    accepted = np.array([True, False, True, True, True, False, False, True, False])
    expected = np.array([0.5, 1.0, 0.25, np.nan])
    counts = np.array([1.0, 3.0, 1.0, 0.0])
    return check_cases("your acceptance rates", fn, [
        Case((requested, accepted, 4), np.nan_to_num(expected, nan=0.0), "3 classes requested out of 4",
             ((counts, "Those are counts: divide by the number of images requested of each class."),
              (np.array([1, 3, 1, 0]) / accepted.sum(), "Divide by the requests of each class, not by all accepted images.")),
             nonfinite_hint="A class that was never requested has no rate: return 0 for it (avoid 0 / 0)."),
    ])


_PIPELINE_CACHE: dict = {}


def _small_pipeline_models():
    """A small untrained conditional generator (latent 8, width 4) and x4 upscaler, their inputs and outputs.

    Built once per process (weight initialisation is what costs time, on JAX in particular). The
    upscaler is the library's ESPCN x4 with a random last convolution: an untrained one starts at
    zero and would be a plain pixel repetition of its input.
    """
    if not _PIPELINE_CACHE:
        from prodimg_lib.enhancement.models.sr import build_espcn
        from prodimg_lib.generation.dcgan import build_conditional_generator

        rng = np.random.default_rng(41)
        with fast_initialisation():
            generator = build_conditional_generator(latent_dim=8, width=4, embed_dim=4)
            upscaler = build_espcn(4, channels=1, width=4)
        tail = upscaler.get_layer("conv3")
        tail.set_weights([rng.normal(0, 0.3, w.shape) for w in tail.get_weights()])
        z = rng.normal(size=(4, 8)).astype(np.float32)
        y = np.array([0, 3, 7, 9], dtype=np.int32)
        import keras

        # Both references from one model (on JAX one compilation instead of two).
        both = keras.Model(generator.inputs, [generator.outputs[0], upscaler(generator.outputs[0])])
        images, enlarged = model_outputs(both, [z, y])
        _PIPELINE_CACHE.update(generator=generator, upscaler=upscaler, z=z, y=y, images=images, enlarged=enlarged)
    return _PIPELINE_CACHE


def check_generate_and_enlarge(fn) -> "CheckResult":
    """Check a learner's ``fn(generator, upscaler)`` -> one ``keras.Model``: [noise, labels] -> enlarged images.

    The checker builds a small untrained conditional generator and x4 upscaler with the library's
    builders, calls ``fn`` on them and compares the model's output on fixed noise and labels with
    ``upscaler(generator([z, y]))`` computed directly.
    """
    import keras

    name = "your generate_and_enlarge"
    if fn is None or fn is Ellipsis or is_stub(fn):  # the untouched cell: no need to build anything
        return not_answered(name)
    ref = _small_pipeline_models()
    generator, upscaler, z, y = ref["generator"], ref["upscaler"], ref["z"], ref["y"]
    latent, n = z.shape[1], len(z)
    model, error = call_answer(name, fn, generator, upscaler)
    if error is not None:
        return error
    if not isinstance(model, keras.Model):
        return failed(f"{name} should return one keras.Model (keras.Model(inputs, outputs)), got "
                      f"{type(model).__name__}.")
    if model is generator or model is upscaler:
        return failed(f"{name} returned the {'generator' if model is generator else 'upscaler'} itself: build a new "
                      "keras.Model whose inputs are the generator's and whose output is the upscaler's.")
    try:
        inputs, outputs = list(model.inputs), list(model.outputs)
    except (AttributeError, ValueError):  # e.g. a Sequential model that was never built
        return failed("your model has no defined inputs: build it with the functional API, keras.Model(inputs, "
                      "outputs) from keras.Input tensors (a Sequential model cannot feed the generator's two inputs).")
    shapes = [tuple(t.shape[1:]) for t in inputs]
    if len(inputs) == 1:
        what = "the noise" if shapes[0] == (latent,) else f"one tensor of shape {tuple(inputs[0].shape)}"
        return failed(f"your model has one input ({what}); the conditional generator needs two, the noise "
                      f"(N, {latent}) and the labels (N,): use keras.Input((latent_dim,)) and "
                      "keras.Input((), dtype='int32'), or generator.inputs, and call generator([noise, labels]).")
    if len(inputs) != 2:
        return failed(f"your model has {len(inputs)} inputs; it needs two, [noise, labels], like the generator.")
    if shapes == [(), (latent,)]:
        return failed("your model's inputs are [labels, noise]: keep the generator's order, noise first, then "
                      "labels, so that the model is called as model([z, y]) like the generator.")
    if shapes != [(latent,), ()]:
        return failed(f"your model's inputs have shapes {[tuple(t.shape) for t in inputs]}; the generator's are "
                      f"(None, {latent}) (noise) and (None,) (labels): copy them from generator.inputs.")
    if len(outputs) != 1:
        return failed(f"your model has {len(outputs)} outputs: it should have one, the enlarged images.")
    out_shape = tuple(outputs[0].shape[1:])
    expected = ref["enlarged"]
    if out_shape == tuple(ref["images"].shape[1:]):
        return failed(f"your model outputs images of shape {out_shape}, the generator's: pass them through the "
                      f"upscaler, upscaler(generator([noise, labels])), to get {expected.shape[1:]}.")
    try:
        got = np.asarray(model_outputs(model, [z, y]), dtype=np.float64)
    except Exception as exc:
        return failed(f"running your model on noise {z.shape} and labels {y.shape} raised {type(exc).__name__}: {exc}")
    if got.shape != expected.shape:
        return failed(f"your model gives shape {got.shape} for {n} images; the upscaler gives {expected.shape}.")
    if np.allclose(got, expected, rtol=1e-4, atol=1e-5):
        return passed(f"{name} is one model: [noise {z.shape}, labels {y.shape}] -> upscaler(generator([z, y])) "
                      f"{expected.shape}.")
    nearest = np.repeat(np.repeat(ref["images"], 4, axis=1), 4, axis=2)
    if np.allclose(got, nearest, atol=1e-5):
        return failed("your model's output is a plain pixel repetition of the generated images (what "
                      "UpSampling2D, or an untrained copy of the upscaler, gives): pass them through the given "
                      "upscaler itself.")
    return failed(f"your model's output has the right shape {got.shape}, but differs from "
                  f"upscaler(generator([z, y])) by up to {np.max(np.abs(got - expected)):.3g}: call the two given "
                  "models (with their trained weights), not new ones, and pass the noise and labels unchanged.")
