"""The exercise checkers of notebook 06 (conditional dcgan).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.generation.sampling import interpolate
from prodimg_lib.reference.activations import softmax
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases, failed, passed, run_answer


def check_interpolation(fn) -> "CheckResult":
    """Check a learner's linear interpolation ``fn(z0, z1, steps)`` -> (steps, latent_dim)."""

    rng = np.random.default_rng(6)
    cases = []
    for steps, dim in [(5, 4), (2, 3), (9, 16)]:
        z0, z1 = rng.normal(size=dim), rng.normal(size=dim)
        expected = interpolate(z0, z1, steps, "linear")
        wrong_ends = np.stack([(1 - t) * z0 + t * z1 for t in np.arange(steps) / steps])
        cases.append(Case((z0, z1, steps), expected, f"steps={steps}, latent_dim={dim}",
                          ((wrong_ends, "The last point must be z1 itself: use t = 0, 1/(steps-1), ..., 1 (np.linspace(0, 1, steps))."),
                           (expected[::-1], "The path runs backwards: t = 0 must give z0."))))
    return check_cases("your interpolation", fn, cases)


def check_class_agreement(fn) -> "CheckResult":
    """Check a learner's ``fn(requested, predicted)`` -> share of matches in [0, 1]."""

    requested = np.repeat(np.arange(10), 3)
    predicted = requested.copy()
    predicted[[1, 5, 29]] = [4, 0, 2]
    cases = [
        Case((requested, predicted), 27 / 30, "30 samples, 3 wrong", ((27.0, "Return a share in [0, 1], not a count: divide by the number of samples."),
                                                                      (3 / 30, "That is the share of mistakes; agreement counts the matches."))),
        Case((np.array([3, 3]), np.array([3, 3])), 1.0, "two correct samples"),
        Case((np.array([1, 2, 3, 4]), np.array([0, 0, 0, 0])), 0.0, "no match"),
    ]
    return check_cases("your agreement", fn, cases)


def check_grid_labels(fn) -> "CheckResult":
    """Check a learner's ``fn(num_classes, per_class)``: labels of a class-by-sample grid, row by row."""

    cases = []
    for classes, per in [(10, 4), (3, 2), (2, 5)]:
        expected = np.repeat(np.arange(classes), per)
        cases.append(Case((classes, per), expected, f"num_classes={classes}, per_class={per}",
                          ((np.tile(np.arange(classes), per), "Those labels change every sample (0, 1, 2, ...): a row of the grid must hold one class, so repeat each class per_class times (np.repeat)."),)))
    return check_cases("your grid_labels", fn, cases)


def _layers_of(model, kind) -> list:
    """The layers of type ``kind`` in a Keras model, nested models included, in order."""
    found, stack = [], list(getattr(model, "layers", []))[::-1]
    while stack:
        layer = stack.pop()
        if isinstance(layer, kind):
            found.append(layer)
        stack.extend((getattr(layer, "layers", None) or [])[::-1])
    return found


def check_projection_head(fn) -> "CheckResult":
    """Check a learner's ``fn(num_classes, feature_dim)``: the output of a projection discriminator.

    The model takes ``[features (N, feature_dim) float, labels (N,) int]`` and returns the logits
    ``Dense(1)(features) + sum(Embedding(num_classes, feature_dim)(labels) * features, axis=-1)``,
    shape (N, 1) (Miyato and Koyama, 2018). The checker gives the model's Dense and Embedding layers
    random weights and compares the logits with the same sum in NumPy.
    """
    import keras

    rng = np.random.default_rng(11)
    for num_classes, feature_dim, n in ((10, 6, 7), (3, 5, 4)):
        call = f"projection_head({num_classes}, {feature_dim})"
        model, error = run_answer("projection_head", fn, num_classes, feature_dim)
        if error is not None:
            return error
        if not isinstance(model, keras.Model):
            return failed(f"projection_head should return a keras.Model, got {type(model).__name__}.")
        if len(model.inputs) != 2:
            return failed(f"{call} has {len(model.inputs)} input(s); it takes two, in this order: "
                          "[keras.Input((feature_dim,)), keras.Input((), dtype='int32')] for the features and the labels.")
        embeddings = _layers_of(model, keras.layers.Embedding)
        denses = [d for d in _layers_of(model, keras.layers.Dense) if tuple(d.kernel.shape) == (feature_dim, 1)]
        if not embeddings:
            return failed("there is no Embedding layer: a projection discriminator neither ignores the label nor concatenates it "
                          "(one-hot) with the features, it projects them: Embedding(num_classes, feature_dim) turns each label into "
                          "a vector v_y, and the logit gets the dot product of v_y with the features.")
        embedding = embeddings[0]
        if tuple(embedding.embeddings.shape) != (num_classes, feature_dim):
            return failed(f"in {call} the Embedding's table has shape {tuple(embedding.embeddings.shape)}; it needs one vector of "
                          f"feature_dim numbers per class, ({num_classes}, {feature_dim}), to take its dot product with the features "
                          "(concatenating a label embedding with the features is the generator's way, not the projection).")
        # random weights, large enough that every term shows in the logits
        table = rng.normal(size=(num_classes, feature_dim))
        embedding.set_weights([table.astype("float32")])
        dense_weights = None
        if denses:
            dense_weights = [rng.normal(size=tuple(v.shape)).astype("float32") for v in denses[0].weights]
            denses[0].set_weights(dense_weights)
        features = rng.normal(size=(n, feature_dim)).astype("float32")
        labels = np.resize(rng.permutation(num_classes), n).astype("int32")
        try:
            got = np.asarray(keras.ops.convert_to_numpy(model([features, labels])), dtype=np.float64)
        except Exception as exc:  # the learner's model does not take these inputs
            return failed(f"calling {call} on [features {features.shape}, labels {labels.shape}] raised {type(exc).__name__}: {exc}. "
                          "The labels are one integer per image: keras.Input((), dtype='int32').")
        f64 = features.astype(np.float64)
        projection = np.sum(table[labels] * f64, axis=1, keepdims=True)
        if dense_weights is not None:
            unconditional = f64 @ dense_weights[0].astype(np.float64) + (dense_weights[1].astype(np.float64) if len(dense_weights) > 1 else 0.0)
        else:
            unconditional = None
        expected = projection + (unconditional if unconditional is not None else 0.0)
        close = lambda a, b: a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-4, atol=1e-4))  # noqa: E731
        if got.shape == (n, feature_dim):
            return failed(f"{call} returns shape {got.shape}, one number per feature: sum the product over the feature axis "
                          "(layers.Dot(axes=1)([label_vectors, features]), or keepdims=True in a sum), giving (N, 1).")
        if got.shape == (n,):
            return failed(f"{call} returns shape {got.shape}; the discriminator's logits have shape (N, 1): keep the last axis.")
        if got.shape != (n, 1):
            return failed(f"{call} returns shape {got.shape}; expected one logit per image, (N, 1) = ({n}, 1).")
        if unconditional is None:
            if close(got, projection):
                return failed("the unconditional term is missing: the logit is Dense(1)(features) (\"does it look real?\") plus the "
                              "projection (\"does it look like this class?\"); add a Dense(1) of the features.")
            return failed(f"{call} has no Dense layer with one output on the {feature_dim} features: the logit starts with Dense(1)(features).")
        if close(got, expected):
            continue
        if close(got, projection):
            return failed("the unconditional term is missing: add Dense(1)(features) to the projection.")
        if close(got, unconditional):
            return failed("the label does not change the logit: add the projection, the dot product of Embedding(labels) with the features.")
        if close(got, unconditional + table[labels].sum(axis=1, keepdims=True)):
            return failed("you added the sum of the label's vector, without the features: the projection is sum(v_y * features), a dot product.")
        return failed(f"for {call} your logits differ from Dense(1)(features) + sum(Embedding(labels) * features) by up to "
                      f"{np.max(np.abs(got - expected)):.3g}.")
    return passed("your head computes Dense(1)(h) + <embed(y), h>, the projection discriminator's logit, as "
                  "dcgan.build_conditional_discriminator does.")


def check_class_term(fn) -> "CheckResult":
    """Check a learner's ``fn(requested, class_logits)``: the generator's auxiliary class term, in ``keras.ops``.

    ``requested``: int tensor (N,); ``class_logits``: float tensor (N, num_classes), the class head's
    output on generated images. The answer is ``mean_i(-ln softmax(class_logits_i)[requested_i])``,
    a scalar backend tensor (so that a gradient can flow back into the generator), as
    :func:`prodimg_lib.generation.losses.class_loss_from_logits` computes it.
    """
    import keras
    from keras import ops

    rng = np.random.default_rng(12)
    for n, classes in ((6, 10), (5, 3)):
        logits = rng.normal(0.0, 3.0, (n, classes)).astype("float32")
        requested = rng.integers(0, classes, n).astype("int32")
        log_softmax = np.log(softmax(logits.astype(np.float64), axis=1))
        per_sample = -log_softmax[np.arange(n), requested]
        expected = float(per_sample.mean())
        case = f"{n} images, {classes} classes"
        result, error = run_answer("your class term", fn, ops.convert_to_tensor(requested), ops.convert_to_tensor(logits))
        if error is not None:
            return error
        if not ops.is_tensor(result) and not isinstance(result, keras.Variable):
            return failed(f"your class term returned a {type(result).__name__}, not a tensor: write it with keras.ops "
                          "(ops.sparse_categorical_crossentropy, ops.mean), so that the generator's gradient can flow through it.")
        got = np.asarray(ops.convert_to_numpy(result), dtype=np.float64)
        if got.shape == (n,):
            if np.allclose(got, per_sample, rtol=1e-4, atol=1e-5):
                return failed(f"for {case} you return one cross-entropy per image, shape {got.shape}: the loss is their mean (ops.mean), a scalar.")
            return failed(f"for {case} you return shape {got.shape}; the loss is one number, the mean over the images.")
        if got.shape != ():
            return failed(f"for {case} you return shape {got.shape}; the loss is one number (a scalar), the mean over the images.")
        value = float(got)
        if np.isclose(value, expected, rtol=1e-4, atol=1e-5):
            continue
        as_probabilities = float(ops.convert_to_numpy(ops.mean(ops.sparse_categorical_crossentropy(requested, logits, from_logits=False))))
        own_guess = float((-log_softmax[np.arange(n), logits.argmax(axis=1)]).mean())
        mistakes = (
            (n * expected, "you summed the cross-entropies; the loss is their mean, so that it does not grow with the batch size."),
            (-expected, "the sign is flipped: the cross-entropy is -ln p(requested class), which the generator minimises."),
            (as_probabilities, "the class head returns logits, not probabilities: pass from_logits=True (or apply the softmax yourself)."),
            (own_guess, "you used the head's own guess (argmax) as the label: the generator is judged against the class it was asked for, `requested`."),
        )
        for wrong, message in mistakes:
            if np.isfinite(wrong) and np.isclose(value, wrong, rtol=1e-4, atol=1e-5):
                return failed(f"for {case}: {message}")
        return failed(f"for {case} your class term is {value:.5g}; the mean cross-entropy of the requested classes is {expected:.5g}.")
    return passed("your class term is the mean cross-entropy of the requested classes, as losses.class_loss_from_logits computes it "
                  "and as the generator's step adds it, times class_weight.")
