"""Loss functions in plain NumPy, with exercise checkers and worked examples.

All losses take NumPy arrays (or anything :func:`numpy.asarray` accepts) and return
a Python ``float``: the mean over every element, which is what the matching Keras
loss returns for inputs of the same shape (Keras averages the last axis, then the
batch). Bad input raises :class:`ValueError` with a message saying what is wrong.

Conventions for the GAN losses: ``D(x)`` is the discriminator's probability that
``x`` is real, real samples are labelled 1 and generated (fake) samples 0. A
*score* is a probability in [0, 1]; a *logit* is the unbounded value before the
sigmoid, ``D = sigmoid(logit)``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from prodimg_lib.reference.activations import sigmoid

__all__ = [
    "EPSILON",
    "sigmoid",
    "logit",
    "mse",
    "binary_crossentropy",
    "binary_crossentropy_from_logits",
    "discriminator_loss",
    "generator_loss",
    "generator_loss_grad_wrt_logit",
    "generator_loss_grad_wrt_score",
    "mse_example",
    "bce_example",
    "adversarial_example",
    "worked_examples",
]

#: Default clipping constant for probabilities, the same as ``keras.backend.epsilon()``.
EPSILON = 1e-7

GeneratorLossKind = Literal["non_saturating", "minimax"]
_KINDS = ("non_saturating", "minimax")


# --------------------------------------------------------------------------- validation


def _array(name: str, x: Any) -> np.ndarray:
    """``x`` as a non-empty float64 array of finite numbers, or a ValueError."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers ({exc}).") from None
    if arr.size == 0:
        raise ValueError(f"{name} is empty: a loss needs at least one value.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return arr


def _probabilities(name: str, x: Any) -> np.ndarray:
    arr = _array(name, x)
    if arr.min() < 0.0 or arr.max() > 1.0:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], got values in [{arr.min():.4g}, {arr.max():.4g}]"
            " (pass from_logits=True if these are logits)."
        )
    return arr


def _same_shape(a_name: str, a: np.ndarray, b_name: str, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} has shape {a.shape} but {b_name} has shape {b.shape}; they must match.")


def _check_eps(eps: float) -> None:
    if not 0.0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5), got {eps}.")


def check_loss_kind(kind: str) -> None:
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}.")


# --------------------------------------------------------------------------- helpers


def logit(p: Any, eps: float = EPSILON) -> np.ndarray:
    """Inverse of :func:`sigmoid`: ``ln(p / (1 - p))``, with ``p`` clipped to [eps, 1 - eps].

    Args:
        p: probabilities in [0, 1], any shape.
    Returns:
        Array of the same shape (finite values, about ±16.1 at the clipping limits).
    """
    _check_eps(eps)
    p = np.clip(_probabilities("p", p), eps, 1.0 - eps)
    return np.log(p) - np.log1p(-p)


def _softplus(z: np.ndarray) -> np.ndarray:
    """``ln(1 + exp(z))`` computed stably."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


# --------------------------------------------------------------------------- losses


def mse(y_true: Any, y_pred: Any) -> float:
    """Mean squared error ``mean((y_true - y_pred)**2)``.

    Args:
        y_true: targets, any shape.
        y_pred: predictions, the same shape as ``y_true``.
    Returns:
        A float in [0, inf); the mean over all elements (same as
        ``keras.losses.MeanSquaredError()`` for inputs of this shape).
    Raises:
        ValueError: empty input, mismatched shapes, NaN or infinite values.
    """
    y_true, y_pred = _array("y_true", y_true), _array("y_pred", y_pred)
    _same_shape("y_true", y_true, "y_pred", y_pred)
    return float(np.mean((y_true - y_pred) ** 2))


def binary_crossentropy(y_true: Any, p: Any, eps: float = EPSILON) -> float:
    """Binary cross-entropy from probabilities, ``mean(-y ln p - (1 - y) ln(1 - p))``.

    ``p`` is clipped to [eps, 1 - eps] first, as Keras does, so that ``p = 0`` or
    ``p = 1`` gives a large finite loss (at most ``-ln(eps)`` ≈ 16.1) rather than inf.

    Args:
        y_true: labels in [0, 1] (usually 0 or 1; soft labels are allowed), any shape.
        p: predicted probabilities of the label 1, in [0, 1], same shape as ``y_true``.
        eps: clipping constant in (0, 0.5).
    Returns:
        A float in [0, -ln(eps)] (natural logarithm, i.e. in nats).
    Raises:
        ValueError: empty input, mismatched shapes, values outside [0, 1].
    """
    _check_eps(eps)
    y, p = _probabilities("y_true", y_true), _probabilities("p", p)
    _same_shape("y_true", y, "p", p)
    p = np.clip(p, eps, 1.0 - eps)
    return float(np.mean(-(y * np.log(p) + (1.0 - y) * np.log1p(-p))))


def binary_crossentropy_from_logits(y_true: Any, logits: Any) -> float:
    """Binary cross-entropy from logits, computed stably.

    Uses ``max(z, 0) - z*y + ln(1 + exp(-|z|))``, which equals
    ``-y ln sigmoid(z) - (1 - y) ln(1 - sigmoid(z))`` but never overflows, even for
    ``|z| = 1000`` (the naive form gives ``ln(0) = -inf`` there). No clipping is needed.

    Args:
        y_true: labels in [0, 1], any shape.
        logits: unbounded real numbers, same shape as ``y_true``.
    Returns:
        A float in [0, inf).
    Raises:
        ValueError: empty input, mismatched shapes, labels outside [0, 1], NaN or inf logits.
    """
    y, z = _probabilities("y_true", y_true), _array("logits", logits)
    _same_shape("y_true", y, "logits", z)
    return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def _bce(y: float, scores: Any, name: str, from_logits: bool, eps: float) -> float:
    """BCE of ``scores`` against the constant label ``y`` (1 = real, 0 = fake)."""
    arr = _array(name, scores) if from_logits else _probabilities(name, scores)
    labels = np.full_like(arr, y)
    if from_logits:
        return binary_crossentropy_from_logits(labels, arr)
    return binary_crossentropy(labels, arr, eps)


def discriminator_loss(real_scores: Any, fake_scores: Any, from_logits: bool = False, eps: float = EPSILON) -> float:
    """Discriminator loss ``mean(-ln D(x)) + mean(-ln(1 - D(G(z))))``.

    It is the **sum of two binary cross-entropies**: BCE of the real scores against
    the label 1 plus BCE of the fake scores against the label 0, i.e. in Keras
    ``bce(ones_like(real), real) + bce(zeros_like(fake), fake)``. With equal batch
    sizes this is the mean over the batch of ``-ln D(x) - ln(1 - D(G(z)))``.

    Args:
        real_scores: ``D(x)`` on real samples, shape (batch,) or any shape; probabilities
            in [0, 1], or logits if ``from_logits``.
        fake_scores: ``D(G(z))`` on generated samples, any shape (may differ from the real one).
        from_logits: True if the scores are logits (no sigmoid applied yet).
        eps: clipping constant for probabilities (ignored for logits).
    Returns:
        A float in [0, inf): 0 for a perfect discriminator, ``2 ln 2`` ≈ 1.386 when it
        outputs 0.5 everywhere; at most ``-2 ln(eps)`` ≈ 32.2 for probabilities.
    Raises:
        ValueError: empty input, probabilities outside [0, 1], NaN or infinite values.
    """
    _check_eps(eps)
    return _bce(1.0, real_scores, "real_scores", from_logits, eps) + _bce(0.0, fake_scores, "fake_scores", from_logits, eps)


def generator_loss(
    fake_scores: Any,
    kind: GeneratorLossKind = "non_saturating",
    from_logits: bool = False,
    eps: float = EPSILON,
) -> float:
    """Generator loss, to be minimised.

    * ``"minimax"``: ``mean(ln(1 - D(G(z))))``, the original game value term. It is
      ``-BCE(0, fake)``; its values are in (-inf, 0] (``ln(1-eps)`` to ``ln(eps)`` for
      probabilities). It *saturates*: when the discriminator easily rejects the fakes
      (``D(G(z))`` near 0) its gradient vanishes.
    * ``"non_saturating"``: ``mean(-ln D(G(z)))`` = ``BCE(1, fake)``, in [0, inf): the
      generator is trained to have its fakes labelled real. Strong gradient near ``D = 0``.

    Args:
        fake_scores: ``D(G(z))``, any shape; probabilities in [0, 1], or logits if ``from_logits``.
        kind: ``"non_saturating"`` (the usual choice) or ``"minimax"``.
        from_logits: True if the scores are logits.
        eps: clipping constant for probabilities (ignored for logits).
    Returns:
        A float (range above).
    Raises:
        ValueError: unknown kind, empty input, probabilities outside [0, 1], NaN or inf.
    """
    check_loss_kind(kind)
    _check_eps(eps)
    if kind == "non_saturating":
        return _bce(1.0, fake_scores, "fake_scores", from_logits, eps)
    return -_bce(0.0, fake_scores, "fake_scores", from_logits, eps)


def generator_loss_grad_wrt_logit(logits: Any, kind: GeneratorLossKind = "non_saturating") -> np.ndarray:
    """Derivative of the per-sample generator loss with respect to the logit ``z``.

    With ``D = sigmoid(z)``:

    * minimax: ``d/dz ln(1 - sigmoid(z)) = -sigmoid(z)``, which tends to 0 as
      ``D(G(z)) -> 0``: the gradient vanishes exactly when the generator is worst.
    * non-saturating: ``d/dz -ln sigmoid(z) = sigmoid(z) - 1``, which tends to -1 there.

    This is the gradient of each sample's term; the gradient of the batch mean
    (:func:`generator_loss`) with respect to one logit is this divided by the batch size.

    Args:
        logits: ``z``, any shape (NaN and inf not allowed).
        kind: ``"non_saturating"`` or ``"minimax"``.
    Returns:
        Array of the same shape, values in [-1, 0] (both kinds).
    """
    check_loss_kind(kind)
    d = sigmoid(_array("logits", logits))
    return -d if kind == "minimax" else d - 1.0


def generator_loss_grad_wrt_score(scores: Any, kind: GeneratorLossKind = "non_saturating", eps: float = EPSILON) -> np.ndarray:
    """Derivative of the per-sample generator loss with respect to the score ``D = D(G(z))``.

    * minimax: ``d/dD ln(1 - D) = -1 / (1 - D)``, about -1 near ``D = 0``;
    * non-saturating: ``d/dD -ln D = -1 / D``, very large near ``D = 0``.

    The network's gradient also passes through the sigmoid (``dD/dz = D(1 - D)``),
    which multiplies these by about ``D`` near 0: that is why, per logit, the minimax
    gradient vanishes (see :func:`generator_loss_grad_wrt_logit`).

    Args:
        scores: probabilities in [0, 1], any shape; clipped to [eps, 1 - eps].
    Returns:
        Array of the same shape, values in [-1/eps, -1] (both kinds).
    """
    check_loss_kind(kind)
    _check_eps(eps)
    d = np.clip(_probabilities("scores", scores), eps, 1.0 - eps)
    return -1.0 / (1.0 - d) if kind == "minimax" else -1.0 / d


# --------------------------------------------------------------------------- worked examples


def mse_example() -> dict[str, Any]:
    """The source article's MSE example (section 4.1), corrected.

    Ten samples: true values ``2, 4, 6, ..., 20`` and predictions ``3, 5, 7, ..., 19``
    for the first nine and ``18`` for the last. The errors ``y - ŷ`` are nine times
    ``-1`` and once ``2``, so the mean squared error is
    ``(9 * 1**2 + 2**2) / 10 = 13 / 10 = 1.3``. The source article writes the sum as
    ``1 + 1 + ... + 4`` and then gives ``10 / 10 = 1``, which is wrong: the sum is 13.

    Returns:
        A dict with ``y_true``, ``y_pred``, ``errors`` (``y_true - y_pred``),
        ``squared_errors``, ``sum_squared_errors`` (13), ``mse`` (1.3),
        ``source_article_value`` (1.0) and a one-line ``note``.
    """
    y_true = np.arange(2.0, 21.0, 2.0)  # 2, 4, ..., 20
    y_pred = np.append(np.arange(3.0, 20.0, 2.0), 18.0)  # 3, 5, ..., 19, then 18
    errors = y_true - y_pred
    return {
        "y_true": y_true,
        "y_pred": y_pred,
        "errors": errors,
        "squared_errors": errors**2,
        "sum_squared_errors": float(np.sum(errors**2)),  # 13
        "mse": mse(y_true, y_pred),  # 1.3
        "source_article_value": 1.0,
        "note": "MSE = (9·1² + 2²)/10 = 13/10 = 1.3, not 1: the squared errors sum to 13, not 10.",
    }


def bce_example() -> dict[str, Any]:
    """The source article's binary cross-entropy example (section 4.1), corrected.

    The six rows the article shows: labels ``[0, 1, 0, 1, 0, 1]`` and predicted
    probabilities of the label 1 ``[0.6, 0.4, 0.8, 0.2, 0.9, 0.1]``. Every prediction
    is on the wrong side of 0.5, which is why the loss is large. The per-sample terms
    ``-[y ln p + (1 - y) ln(1 - p)]`` are ``-ln 0.4, -ln 0.4, -ln 0.2, -ln 0.2, -ln 0.1,
    -ln 0.1`` ≈ ``0.916, 0.916, 1.609, 1.609, 2.303, 2.303``; their mean (what Keras
    computes) is ``-ln 0.2`` ≈ 1.609.

    The article drops the ``(1 - y) ln(1 - p)`` terms of the rows labelled 0, uses wrong
    logarithm values (0.417 for ``-ln 0.4`` and 2.995 for ``-ln 0.2``), writes the sum
    without brackets and arrives at 3.48.

    Returns:
        A dict with ``y_true``, ``p``, ``per_sample``, ``bce`` (the mean, ≈ 1.609),
        ``bce_sum`` (the sum, ≈ 9.657), ``bce_without_negative_terms`` (the mean with the
        ``(1 - y) ln(1 - p)`` terms dropped, as in the article, ≈ 0.805),
        ``bce_if_log10_were_used``, ``wrong_side`` (True where the prediction is on the
        wrong side of 0.5), ``source_article_value`` (3.48) and a ``note``.
    """
    y_true = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    p = np.array([0.6, 0.4, 0.8, 0.2, 0.9, 0.1])
    terms = -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))
    return {
        "y_true": y_true,
        "p": p,
        "per_sample": terms,
        "bce": binary_crossentropy(y_true, p),  # -ln 0.2 ≈ 1.609
        "bce_sum": float(np.sum(terms)),
        "bce_without_negative_terms": float(np.mean(-y_true * np.log(p))),
        "bce_if_log10_were_used": float(np.mean(terms) / np.log(10.0)),
        "wrong_side": (p >= 0.5) != (y_true == 1.0),
        "source_article_value": 3.48,
        "note": "BCE = -(1/n)·Σ[y·ln p + (1-y)·ln(1-p)] with the natural logarithm; every row counts.",
    }


def adversarial_example(real_score: float = 0.9, fake_score: float = 0.2) -> dict[str, Any]:
    """The source article's adversarial example (section 4.1), corrected.

    One real score ``D(x)`` and one fake score ``D(G(z))``, with every loss spelled out.
    With the article's values ``D(x) = 0.9`` and ``D(G(z)) = 0.2`` (the defaults):

    * discriminator: ``-ln 0.9 - ln(1 - 0.2)`` ≈ 0.105 + 0.223 = 0.329 (the article adds
      four terms with wrong values and gets 3.906);
    * generator, minimax: ``ln(1 - 0.2)`` ≈ -0.223 (gradient per logit ``-0.2``);
    * generator, non-saturating: ``-ln 0.2`` ≈ 1.609 (gradient per logit ``-0.8``);
    * the article's generator loss ``-ln(1 - D(G(z)))`` ≈ 0.223 has the wrong sign:
      minimising it would push ``D(G(z))`` towards 0 (its gradient per logit is ``+0.2``).

    Returns:
        A dict with the scores, the two discriminator terms, ``discriminator_loss``, both
        generator losses and their gradients with respect to the fake logit,
        ``source_article_generator_loss`` and its gradient, ``source_article_discriminator_loss``
        (3.906) and a ``note``.
    """
    real, fake = np.array([real_score], dtype=np.float64), np.array([fake_score], dtype=np.float64)
    z_fake = logit(fake)
    return {
        "real_score": float(real_score),
        "fake_score": float(fake_score),
        "discriminator_real_term": float(-np.log(np.clip(real, EPSILON, 1 - EPSILON))[0]),
        "discriminator_fake_term": float(-np.log1p(-np.clip(fake, EPSILON, 1 - EPSILON))[0]),
        "discriminator_loss": discriminator_loss(real, fake),
        "generator_loss_minimax": generator_loss(fake, "minimax"),
        "generator_loss_non_saturating": generator_loss(fake, "non_saturating"),
        "grad_wrt_logit_minimax": float(generator_loss_grad_wrt_logit(z_fake, "minimax")[0]),
        "grad_wrt_logit_non_saturating": float(generator_loss_grad_wrt_logit(z_fake, "non_saturating")[0]),
        "source_article_generator_loss": -generator_loss(fake, "minimax"),
        "grad_wrt_logit_source_article": -float(generator_loss_grad_wrt_logit(z_fake, "minimax")[0]),
        "source_article_discriminator_loss": 3.906,
        "note": "Losses use the natural logarithm; the discriminator loss is the sum of its two BCE terms.",
    }


def worked_examples() -> dict[str, dict[str, Any]]:
    """All worked examples, keyed ``"mse"``, ``"bce"`` and ``"adversarial"``."""
    return {"mse": mse_example(), "bce": bce_example(), "adversarial": adversarial_example()}


# --------------------------------------------------------------------------- checker helpers


def _show(x: np.ndarray) -> str:
    """A short description of an input array for a checker message."""
    x = np.asarray(x)
    if x.size <= 4:
        return np.array2string(x, precision=3, separator=", ")
    return f"an array of shape {x.shape}"


# --------------------------------------------------------------------------- loss checkers




