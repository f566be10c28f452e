"""The exercise checkers of notebook 11 (product pipeline).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.enhancement.pipeline import white_background
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases, failed, passed, run_candidate


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
