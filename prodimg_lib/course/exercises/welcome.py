"""The exercise checkers of notebook 00 (welcome).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.data import NUM_CLASSES, from_minus_one_one, to_minus_one_one
from prodimg_lib.course.exercises.checking import CheckResult, compare_arrays, failed, is_unanswered, not_answered, passed, run_candidate


def check_scaling(fn) -> "CheckResult":
    """Check a learner's ``fn(images_uint8) -> float32 in [-1, 1]`` against :func:`to_minus_one_one`."""

    probe = np.array([[0, 64, 127], [128, 200, 255]], dtype=np.uint8)
    got, problem = run_candidate("your scaling function", fn, probe)
    if problem:
        return problem
    got_arr = np.asarray(got)
    if got_arr.shape == probe.shape and np.allclose(got_arr, probe / 255.0, atol=1e-6):
        return failed("this maps to [0, 1] (like rescale=1/255); a tanh generator needs [-1, 1]: x / 127.5 - 1.")
    if got_arr.shape == probe.shape and np.all(got_arr == 0):
        return failed("every value is 0: integer division? Convert to float before dividing.")
    result = compare_arrays("the scaled pixels", got_arr, to_minus_one_one(probe))
    if result and got_arr.dtype != np.float32:
        return failed(f"the values are right but the dtype is {got_arr.dtype}; Keras models expect float32.")
    return result


def check_unscaling(fn) -> "CheckResult":
    """Check a learner's ``fn(x in [-1, 1]) -> uint8 pixels`` against :func:`from_minus_one_one`."""

    probe = np.array([-1.0, -0.5, 0.0, 0.999, 1.0, 1.02, -1.03], dtype=np.float32)
    expected = from_minus_one_one(probe)
    got, problem = run_candidate("your unscaling function", fn, probe)
    if problem:
        return problem
    got = np.asarray(got)
    if got.dtype != np.uint8:
        return failed(f"the result should have dtype uint8, got {got.dtype}.")
    if got.shape != expected.shape:
        return failed(f"the result has shape {got.shape}, expected {expected.shape}.")
    if got[-2] != 255 or got[-1] != 0:
        return failed(
            f"values slightly outside [-1, 1] must be clipped: 1.02 gave {got[-2]} and -1.03 gave {got[-1]} "
            "(uint8 wraps around without np.clip)."
        )
    if not np.array_equal(got, expected):
        return failed(f"got {got.tolist()}, expected {expected.tolist()}: round to the nearest integer, don't truncate.")
    return passed("model outputs map back to pixels, clipped and rounded.")


def check_class_counts(counts, labels) -> "CheckResult":
    """Check a per-class count (array of length 10) of ``labels``."""

    if is_unanswered(counts):
        return not_answered("counts")
    expected = np.bincount(np.asarray(labels), minlength=NUM_CLASSES)
    counts = np.asarray(counts)
    if counts.shape == (len(labels),):
        return failed("counts has one entry per image; it should have one entry per class (np.bincount).")
    return compare_arrays("counts", counts, expected, rtol=0, atol=0)
