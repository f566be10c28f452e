"""The exercise checkers of notebook 07 (evaluating generators).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.evaluation.feature_space import class_uniformity, feature_statistics, frechet_1d, frechet_distance
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases, failed, not_answered, passed
from prodimg_lib.course.exercises.keras_checking import call_answer, fast_initialisation, is_stub, model_outputs


def check_frechet_1d(fn) -> "CheckResult":
    """Check a learner's ``fn(mu1, std1, mu2, std2)`` (standard deviations, not variances)."""

    cases = []
    for mu1, s1, mu2, s2 in [(0.0, 1.0, 0.0, 1.0), (1.0, 1.0, -1.0, 1.0), (0.0, 2.0, 0.0, 0.5), (0.5, 3.0, -2.0, 1.5)]:
        expected = frechet_1d(mu1, s1, mu2, s2)
        variances = (mu1 - mu2) ** 2 + (s1 ** 2 - s2 ** 2) ** 2
        no_square = (mu1 - mu2) ** 2 + s1 ** 2 + s2 ** 2
        cases.append(Case((mu1, s1, mu2, s2), expected, f"mu1={mu1}, std1={s1}, mu2={mu2}, std2={s2}",
                          ((variances, "The arguments are standard deviations: in 1-D, tr(S1 + S2 - 2 (S1 S2)^(1/2)) = s1² + s2² - 2 s1 s2 = (s1 - s2)²."),
                           (no_square, "Don't forget the cross term -2 (S1 S2)^(1/2) = -2 s1 s2."),
                           (abs(mu1 - mu2) + abs(s1 - s2), "The Fréchet distance here is the *squared* distance: square both differences."))))
    return check_cases("your 1-D Fréchet distance", fn, cases)


def check_frechet_distance(fn) -> "CheckResult":
    """Check a learner's ``fn(mu1, sigma1, mu2, sigma2)`` against :func:`frechet_distance`."""

    rng = np.random.default_rng(7)
    cases = []
    for d in (1, 3, 8):
        a, b = rng.normal(size=(50, d)), rng.normal(0.5, 1.5, size=(60, d))
        stats = (*feature_statistics(a), *feature_statistics(b))
        expected = frechet_distance(*stats)
        no_cross = float(np.sum((stats[0] - stats[2]) ** 2) + np.trace(stats[1]) + np.trace(stats[3]))
        elementwise = float(np.sum((stats[0] - stats[2]) ** 2) + np.trace(stats[1] + stats[3] - 2 * np.sqrt(np.abs(stats[1] * stats[3]))))
        cases.append(Case(stats, expected, f"{d}-dimensional Gaussians",
                          ((no_cross, "The term -2 tr((S1 S2)^(1/2)) is missing."),
                           (elementwise, "np.sqrt takes the square root of each entry; the formula needs the matrix square root, scipy.linalg.sqrtm(S1 @ S2)."))))
    return check_cases("your Fréchet distance", fn, cases)


def check_normalised_entropy(fn) -> "CheckResult":
    """Check a learner's ``fn(histogram)`` -> H(p) / ln(C) in [0, 1] (counts in, 0 ln 0 = 0)."""

    cases = []
    for counts in ([10] * 10, [100, 0, 0, 0], [5, 5, 0, 0], [1, 2, 3, 4, 90]):
        expected = class_uniformity(counts).normalised_entropy
        p = np.asarray(counts, float) / np.sum(counts)
        nz = p[p > 0]
        unnormalised = float(-np.sum(nz * np.log(nz)))
        cases.append(Case((np.asarray(counts),), expected, f"histogram {counts}",
                          ((unnormalised, "Divide the entropy by ln(C), its largest value, so that a uniform histogram gives 1."),),
                          nonfinite_hint="Empty classes give 0 * ln 0 = nan in NumPy; by convention 0 ln 0 = 0, so leave the zero counts out."))
    return check_cases("your normalised entropy", fn, cases)


_CLASSIFIER_CACHE: dict = {}


def _small_classifier():
    """An untrained classifier of the course's architecture (width 4) and every layer's output on 5 images.

    Built once per process (weight initialisation is what costs time, on JAX in particular); the
    batch normalisations get non-trivial statistics, so that a model that skips them is caught.
    """
    if not _CLASSIFIER_CACHE:
        import keras

        from prodimg_lib.evaluation.classifier import build_classifier

        with fast_initialisation():
            classifier = build_classifier(width=4)
        rng = np.random.default_rng(7)
        for layer in classifier.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                gamma, beta, mean, var = layer.get_weights()
                layer.set_weights([rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.2, beta.shape),
                                   rng.normal(0, 0.2, mean.shape), rng.uniform(0.5, 1.5, var.shape)])
        images = rng.uniform(-1, 1, (5, 28, 28, 1)).astype(np.float32)
        probe = keras.Model(classifier.inputs, [layer.output for layer in classifier.layers[1:]])
        outputs = {layer.name: np.asarray(out) for layer, out in zip(classifier.layers[1:], model_outputs(probe, images))}
        _CLASSIFIER_CACHE.update(classifier=classifier, images=images, outputs=outputs,
                                 weights=[w.copy() for w in classifier.get_weights()])
    return _CLASSIFIER_CACHE


def check_feature_extractor(fn) -> "CheckResult":
    """Check a learner's ``fn(classifier)`` -> a ``keras.Model``: images -> the classifier's "features" layer.

    The checker builds a small classifier of the course's architecture (untrained, width 4, so
    the layers have distinct sizes: flatten 144, features 128, probabilities 10), calls ``fn``
    on it and compares the model's outputs on random images with the classifier's "features"
    layer (what :func:`~prodimg_lib.evaluation.classifier.feature_extractor` returns). A model
    rebuilt from a fresh ``keras.Input`` with the classifier's own layers is accepted when its
    outputs agree; new (untrained) layers are not.
    """
    import keras

    from prodimg_lib.evaluation.classifier import FEATURES_LAYER

    name = "your feature_extractor"
    if fn is None or fn is Ellipsis or is_stub(fn):  # the untouched cell: no need to build anything
        return not_answered(name)
    reference = _small_classifier()
    classifier = reference["classifier"]
    model, error = call_answer(name, fn, classifier)
    if any(not np.array_equal(a, b) for a, b in zip(reference["weights"], classifier.get_weights())):
        _CLASSIFIER_CACHE.clear()
        return failed(f"{name} changed the classifier's weights: only read its layers, don't modify them.")
    if error is not None:
        text = error.message.lower()
        if "not connected" in text or "disconnected" in text:
            return failed(error.message + ". The output must be computed from the model's inputs: build the model "
                          "from classifier.inputs (or classifier.input), not from a new keras.Input.")
        return error
    if not isinstance(model, keras.Model):
        return failed(f"{name} should return a keras.Model (built with keras.Model(inputs, outputs)), got "
                      f"{type(model).__name__}.")
    if model is classifier:
        return failed(f"{name} returned the classifier itself, which outputs the class probabilities: build a new "
                      f"keras.Model whose output is the '{FEATURES_LAYER}' layer's output.")

    images, outputs = reference["images"], reference["outputs"]
    expected = outputs[FEATURES_LAYER]
    try:
        got = model_outputs(model, images)
    except Exception as exc:  # the learner's model failed on (N, 28, 28, 1) images
        return failed(f"running your model on images of shape {images.shape} raised {type(exc).__name__}: {exc}")
    if isinstance(got, list):
        if len(got) != 1:
            return failed(f"your model has {len(got)} outputs: it should have one, the features.")
        got = got[0]
    got = np.asarray(got, dtype=np.float64)
    n_features = expected.shape[1]
    if got.shape == expected.shape and np.allclose(got, expected, rtol=1e-4, atol=1e-5):
        return passed(f"{name} returns the classifier's {n_features} '{FEATURES_LAYER}' activations, the input of "
                      "its last Dense layer.")
    for layer_name, value in outputs.items():
        if value.shape == got.shape and np.allclose(got, value, rtol=1e-4, atol=1e-5):
            if layer_name == "probabilities":
                return failed(f"your model outputs the class probabilities, shape {got.shape}: take the output of "
                              f"the '{FEATURES_LAYER}' layer (the input of the last Dense layer) instead.")
            return failed(f"your model outputs the layer '{layer_name}', shape {got.shape}, an earlier layer: take "
                          f"the '{FEATURES_LAYER}' layer ({n_features} values per image), the input of the last "
                          "Dense layer.")
    if got.shape != expected.shape:
        return failed(f"your model's output has shape {got.shape} for {len(images)} images; the features have shape "
                      f"{expected.shape}: take classifier.get_layer('{FEATURES_LAYER}').output.")
    return failed(f"your model's output has the right shape {got.shape}, but its values differ from the classifier's "
                  f"'{FEATURES_LAYER}' layer by up to {np.max(np.abs(got - expected)):.3g}: use the classifier's own "
                  "layers (with their trained weights) from classifier.inputs to that layer's output, and add no "
                  "new layer.")
