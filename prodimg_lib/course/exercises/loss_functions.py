"""The exercise checkers of notebook 01 (loss functions).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

from typing import Any, Callable
import numpy as np

from prodimg_lib.reference.losses import GeneratorLossKind, check_loss_kind, bce_example, binary_crossentropy, mse_example
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases
_LN10, _LN2 = float(np.log(10.0)), float(np.log(2.0))


def _rng_cases(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def check_mse(fn: Callable[[np.ndarray, np.ndarray], Any] | None) -> CheckResult:
    """Check a learner's ``fn(y_true, y_pred) -> float`` computing the mean squared error."""
    rng = _rng_cases(1)
    ex = mse_example()
    inputs = [
        (ex["y_true"], ex["y_pred"], "the worked example (nine errors of 1 and one of 2)"),
        (rng.normal(size=8), rng.normal(size=8), "random 1-D inputs of length 8"),
        (rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), "random 2-D inputs of shape (4, 3)"),
    ]
    cases = []
    for y_true, y_pred, label in inputs:
        e = y_pred - y_true
        ref = float(np.mean(e**2))
        cases.append(
            Case(
                (y_true, y_pred),
                ref,
                label,
                mistakes=(
                    (np.sum(e**2), "That is the sum of the squared errors: divide by the number of values (take the mean)."),
                    (np.sum(e**2) / len(e), "You divided by len(y_true), the number of rows: divide by the number of elements (np.mean does it)."),
                    (np.sqrt(ref), "That is the root mean squared error: do not take the square root."),
                    (np.mean(np.abs(e)), "That is the mean absolute error: square the errors instead of taking |error|."),
                    (np.mean(e), "The errors were averaged without squaring them: positive and negative errors cancel."),
                    (np.mean(-e), "The errors were averaged without squaring them: positive and negative errors cancel."),
                    (ref / 2, "That is half the MSE: the ½ factor belongs to some derivations, not to the MSE itself."),
                    (e**2, "You returned one squared error per element: take their mean to get a single number."),
                ),
            )
        )
    return check_cases("mse", fn, cases)


def check_bce(fn: Callable[[np.ndarray, np.ndarray], Any] | None) -> CheckResult:
    """Check a learner's ``fn(y_true, p) -> float``: binary cross-entropy from probabilities.

    The test probabilities stay inside [0.02, 0.98], so clipping is not required to pass.
    """
    rng = _rng_cases(2)
    ex = bce_example()
    inputs = [
        (ex["y_true"], ex["p"], "the worked example y_true=[0, 1, 0, 1, 0, 1], p=[0.6, 0.4, 0.8, 0.2, 0.9, 0.1]"),
        (rng.integers(0, 2, size=10).astype(float), rng.uniform(0.02, 0.98, size=10), "random 0/1 labels, length 10"),
        (rng.integers(0, 2, size=(4, 3)).astype(float), rng.uniform(0.02, 0.98, size=(4, 3)), "random 0/1 labels of shape (4, 3)"),
        (rng.uniform(0, 1, size=5), rng.uniform(0.02, 0.98, size=5), "soft labels (values between 0 and 1)"),
    ]
    cases = []
    for y, p, label in inputs:
        pos, neg = y * np.log(p), (1 - y) * np.log(1 - p)
        terms = -(pos + neg)
        ref = float(np.mean(terms))
        cases.append(
            Case(
                (y, p),
                ref,
                label,
                mistakes=(
                    (-np.mean(pos), "The (1 - y)·ln(1 - p) term is missing: without it, samples labelled 0 cost nothing."),
                    (-np.mean(neg), "The y·ln(p) term is missing: without it, samples labelled 1 cost nothing."),
                    (ref / _LN10, "That is the value with log10: cross-entropy uses the natural logarithm (np.log)."),
                    (ref / _LN2, "That is the value with log2 (bits): use the natural logarithm (np.log)."),
                    (-ref, "The sign is wrong: BCE is minus the mean log-likelihood, so it is never negative."),
                    (np.mean(-pos + neg), "The sign of the (1 - y)·ln(1 - p) term is wrong: both terms are subtracted."),
                    (np.sum(terms), "That is the sum over samples: take the mean."),
                    (np.sum(terms) / len(terms), "You divided by len(y_true), the number of rows: take the mean over all elements."),
                    (terms, "You returned one loss per element: take their mean."),
                    (binary_crossentropy(p, y), "The arguments are swapped: the labels come first, fn(y_true, p)."),
                ),
                nonfinite_hint="(A log of 0? Check the argument order fn(y_true, p) and clip p to [eps, 1 - eps].)",
            )
        )
    return check_cases("bce", fn, cases)


def check_discriminator_loss(fn: Callable[[np.ndarray, np.ndarray], Any] | None) -> CheckResult:
    """Check a learner's ``fn(real_scores, fake_scores) -> float`` (probabilities in, natural log).

    Expected: ``mean(-ln D(x)) + mean(-ln(1 - D(G(z))))``.
    """
    rng = _rng_cases(3)
    inputs = [
        (np.array([0.9]), np.array([0.2]), "D(x)=[0.9], D(G(z))=[0.2]"),
        (rng.uniform(0.05, 0.95, size=8), rng.uniform(0.05, 0.95, size=8), "random scores, batch of 8"),
        (rng.uniform(0.05, 0.95, size=(6, 1)), rng.uniform(0.05, 0.95, size=(6, 1)), "random scores of shape (6, 1)"),
    ]
    cases = []
    for real, fake, label in inputs:
        r_term, f_term = -np.log(real), -np.log(1 - fake)
        ref = float(np.mean(r_term) + np.mean(f_term))
        cases.append(
            Case(
                (real, fake),
                ref,
                label,
                mistakes=(
                    (np.mean(r_term), "Only the real term -ln D(x) is there: add the fake term -ln(1 - D(G(z)))."),
                    (np.mean(f_term), "Only the fake term -ln(1 - D(G(z))) is there: add the real term -ln D(x)."),
                    (np.mean(-np.log(1 - real)) + np.mean(-np.log(fake)), "The labels are swapped: real samples are labelled 1 (-ln D(x)), fakes 0 (-ln(1 - D(G(z))))."),
                    (np.mean(r_term) + np.mean(-np.log(fake)), "The fake term should be -ln(1 - D(G(z))), not -ln D(G(z))."),
                    (np.mean(-np.log(1 - real)) + np.mean(f_term), "The real term should be -ln D(x), not -ln(1 - D(x))."),
                    (-ref, "The sign is wrong: the discriminator *minimises* -ln D(x) - ln(1 - D(G(z))) (a non-negative loss)."),
                    (ref / 2, "You averaged the two terms: the loss is their sum (two BCE terms added)."),
                    (ref / _LN10, "That is the value with log10: use the natural logarithm (np.log)."),
                    (np.sum(r_term) + np.sum(f_term), "That sums over the batch: take the mean over the batch."),
                ),
                nonfinite_hint="(A log of 0? Clip the scores to [eps, 1 - eps].)",
            )
        )
    return check_cases("discriminator_loss", fn, cases)


def check_generator_loss(fn: Callable[[np.ndarray], Any] | None, kind: GeneratorLossKind = "non_saturating") -> CheckResult:
    """Check a learner's ``fn(fake_scores) -> float`` for the given kind of generator loss.

    ``kind="non_saturating"``: ``mean(-ln D(G(z)))``; ``kind="minimax"``: ``mean(ln(1 - D(G(z))))``.
    """
    check_loss_kind(kind)
    rng = _rng_cases(4)
    inputs = [
        (np.array([0.2]), "D(G(z))=[0.2]"),
        (rng.uniform(0.05, 0.95, size=8), "random scores, batch of 8"),
        (rng.uniform(0.001, 0.05, size=5), "scores near 0 (the discriminator spots the fakes)"),
    ]
    cases = []
    for fake, label in inputs:
        ns, mm = float(np.mean(-np.log(fake))), float(np.mean(np.log(1 - fake)))
        ref = ns if kind == "non_saturating" else mm
        common = (
            (ref / _LN10, "That is the value with log10: use the natural logarithm (np.log)."),
            (ref * len(fake), "That sums over the batch: take the mean."),
        )
        if kind == "non_saturating":
            mistakes = (
                (mm, "That is the minimax loss mean(ln(1 - D(G(z)))): the non-saturating loss is mean(-ln D(G(z)))."),
                (-ns, "The sign is wrong: the generator minimises -ln D(G(z)), i.e. maximises ln D(G(z))."),
                (-mm, "That is the discriminator's fake term -ln(1 - D(G(z))): the generator wants the opposite, -ln D(G(z))."),
            )
        else:
            mistakes = (
                (ns, "That is the non-saturating loss: the minimax generator loss is mean(ln(1 - D(G(z))))."),
                (-mm, "The sign is wrong: the generator minimises ln(1 - D(G(z))) (the minus of the discriminator's fake term)."),
                (-ns, "Use ln(1 - D(G(z))), not ln D(G(z))."),
            )
        cases.append(Case((fake,), ref, label, mistakes=mistakes + common))
    return check_cases(f"generator_loss ({kind})", fn, cases)
