"""The exercise checkers of notebook 03 (cnn operations).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

from typing import Any, Callable
import numpy as np

from prodimg_lib.reference.activations import softmax
from prodimg_lib.reference.cnn import avgpool_forward, conv2d_forward, conv_output_size, maxpool_forward
from prodimg_lib.course.exercises.checking import CheckResult, compare_arrays, failed, passed, run_candidate


def _first(value: Any) -> Any:
    """Accept both ``out`` and ``(out, cache)`` from a learner's forward function."""
    if isinstance(value, tuple) and len(value) == 2:
        return value[0]
    return value


def _close(got: np.ndarray, expected: np.ndarray) -> bool:
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=1e-5, atol=1e-6))


def _to_array(value: Any) -> np.ndarray | None:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _call(name: str, fn: Callable[..., Any] | None, *args: Any) -> tuple[Any, CheckResult | None]:
    """Run a learner's function; a ``None`` result (an unfinished ``...`` body, or a missing
    ``return``) is reported as such instead of as a wrong shape."""
    got, error = run_candidate(name, fn, *args)
    if error is None and got is None:
        return None, failed(f"{name} returned None: its body is still empty (`...`) or it has no `return` statement.")
    return got, error


def check_conv2d(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(x, w, b)``: stride 1, 'valid' padding, NHWC, Keras kernel layout.

    ``x`` is ``(N, H, W, C_in)``, ``w`` ``(kh, kw, C_in, C_out)``, ``b`` ``(C_out,)``; the
    function returns ``(N, H-kh+1, W-kw+1, C_out)`` (or ``(out, cache)``).
    """
    rng = np.random.default_rng(0)
    cases = [
        (np.arange(25.0).reshape(1, 5, 5, 1), np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, 0.0]])[:, :, None, None], np.array([0.5])),
        (rng.normal(size=(2, 6, 7, 3)), rng.normal(size=(3, 2, 3, 4)), rng.normal(size=4)),
    ]
    for x, w, b in cases:
        got, error = _call("your conv2d", fn, x.copy(), w.copy(), b.copy())
        if error is not None:
            return error
        got_arr = _to_array(_first(got))
        if got_arr is None:
            return failed(f"your conv2d should return an array, got {type(got).__name__}.")
        expected = conv2d_forward(x, w, b)[0]
        if _close(got_arr, expected):
            continue
        n, h, wd, _ = x.shape
        kh, kw, _, c_out = w.shape
        if got_arr.shape == (n, c_out) + expected.shape[1:3]:
            return failed("the output is channels-first (N, C, H, W); Keras uses channels-last (N, H, W, C).")
        if got_arr.shape == (n, h, wd, c_out):
            return failed(f"the output has the input's size {h}x{wd}: that is 'same' padding. With 'valid' padding it is {h - kh + 1}x{wd - kw + 1}.")
        if got_arr.shape != expected.shape:
            return failed(f"your conv2d returned shape {got_arr.shape}, expected {expected.shape} = (N, H-kh+1, W-kw+1, C_out).")
        if _close(got_arr, conv2d_forward(x, w[::-1, ::-1], b)[0]):
            return failed("you flipped the kernel (a mathematical convolution). Keras' Conv2D does not flip it: "
                          "it computes a cross-correlation, sum(patch * w).")
        if _close(got_arr, conv2d_forward(x, w, np.zeros_like(b))[0]):
            return failed("the values are right except for the bias: add b[o] to every output of filter o.")
        return compare_arrays("your conv2d output", got_arr, expected)
    return passed("your convolution matches keras.layers.Conv2D (stride 1, 'valid').")


def check_output_size(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(n, k, stride, padding)`` for ``padding`` in ``{"valid", "same"}``."""
    cases = [(28, 3, 1, "valid"), (28, 3, 1, "same"), (28, 5, 2, "valid"), (28, 5, 2, "same"),
             (7, 2, 2, "valid"), (7, 2, 2, "same"), (32, 1, 3, "valid"), (5, 5, 1, "valid")]
    for n, k, s, p in cases:
        got, error = _call("your output-size function", fn, n, k, s, p)
        if error is not None:
            return error
        expected = conv_output_size(n, k, s, p)
        call = f"n={n}, k={k}, stride={s}, padding='{p}'"
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
            return failed(f"for {call} it should return a whole number, got {got!r}.")
        if got == expected:
            continue
        if not float(got).is_integer():
            return failed(f"for {call} you returned {got}: an output size is a whole number; round down with // (valid) or up (same).")
        if p == "same" and got == n and s > 1:
            return failed(f"for {call} you returned {got}: 'same' keeps the size only for stride 1; in general it is ceil(n / stride) = {expected}.")
        if p == "same":
            return failed(f"for {call} you returned {got}, expected ceil(n / stride) = {expected}. With 'same' the kernel size does not matter.")
        if got == n - k + 1 and s > 1:
            return failed(f"for {call} you returned {got}: divide by the stride, floor((n - k) / stride) + 1 = {expected}.")
        if got == expected - 1:
            return failed(f"for {call} you returned {got}: don't forget the + 1 (the first window), floor((n - k) / stride) + 1 = {expected}.")
        return failed(f"for {call} you returned {got}, expected floor((n - k) / stride) + 1 = {expected}.")
    return passed("your formula gives the same sizes as Keras for 'valid' and 'same' padding.")


def check_maxpool(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(x, pool_size, stride)`` for ``x`` of shape ``(N, H, W, C)``, 'valid' padding."""
    rng = np.random.default_rng(1)
    cases = [(np.arange(16.0).reshape(1, 4, 4, 1), 2, 2), (rng.normal(size=(2, 7, 6, 3)), 2, 2), (rng.normal(size=(1, 7, 7, 2)), 3, 2)]
    for x, pool, stride in cases:
        got, error = _call("your max pooling", fn, x.copy(), pool, stride)
        if error is not None:
            return error
        got_arr = _to_array(_first(got))
        if got_arr is None:
            return failed(f"your max pooling should return an array, got {type(got).__name__}.")
        expected = maxpool_forward(x, pool, stride)[0]
        if _close(got_arr, expected):
            continue
        n, h, w, c = x.shape
        if got_arr.shape == (n, -(-h // stride), -(-w // stride), c) and got_arr.shape != expected.shape:
            return failed(f"for a {h}x{w} input you returned {got_arr.shape[1]}x{got_arr.shape[2]}: Keras' default 'valid' "
                          f"pooling drops the leftover rows/columns, giving {expected.shape[1]}x{expected.shape[2]}.")
        if got_arr.shape[:3] == expected.shape[:3] and got_arr.shape[3] != c:
            return failed(f"your output has {got_arr.shape[3]} channel(s) instead of {c}: pool each channel separately (over height and width only).")
        if got_arr.shape != expected.shape:
            return failed(f"your max pooling returned shape {got_arr.shape}, expected {expected.shape}.")
        if _close(got_arr, avgpool_forward(x, pool, stride)[0]):
            return failed("you computed the average of each window; max pooling takes the maximum.")
        return compare_arrays("your max pooling output", got_arr, expected)
    return passed("your max pooling matches keras.layers.MaxPooling2D.")


def check_softmax(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(z)``: softmax over the last axis of ``z`` (shape ``(N, K)``)."""
    cases = [
        np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0], [-1.0, 3.0, 0.5]]),
        np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]]),
        np.array([[5.0], [-3.0]]),
    ]
    for z in cases:
        with np.errstate(all="ignore"):  # a naive exp(1000) overflows: report it, don't warn
            got, error = _call("your softmax", fn, z.copy())
        if error is not None:
            return error
        got_arr = _to_array(got)
        if got_arr is None:
            return failed(f"your softmax should return an array, got {type(got).__name__}.")
        expected = softmax(z)
        if _close(got_arr, expected):
            continue
        if got_arr.shape != expected.shape:
            return failed(f"your softmax returned shape {got_arr.shape}, expected {expected.shape}: "
                          "keep the shape (use keepdims=True in the sum).")
        if not np.all(np.isfinite(got_arr)) and np.max(np.abs(z)) < 100:
            return failed(f"for logits {z.tolist()} your softmax gives NaN or inf values.")
        if not np.all(np.isfinite(got_arr)):
            return failed(f"for logits {z[0].tolist()} your softmax gives NaN or inf: exp overflows. "
                          "Subtract the maximum logit first (z - z.max(axis=-1, keepdims=True)); the result does not change.")
        with np.errstate(all="ignore"):
            if _close(got_arr, softmax(z, axis=0)):
                return failed("you normalised over the wrong axis (columns sum to 1): use axis=-1, one distribution per row.")
            if _close(got_arr, np.exp(z) / np.exp(z).sum()):
                return failed("you divided by the sum of the whole array: sum each row, np.sum(e, axis=-1, keepdims=True).")
            if _close(got_arr, np.exp(z) / np.exp(z).sum(axis=-1)[None, :]):
                return failed("the row sums are broadcast along the wrong axis: use np.sum(e, axis=-1, keepdims=True).")
        if not np.allclose(got_arr.sum(axis=-1), 1.0):
            return failed("your rows do not sum to 1: divide the exponentials by their sum over the last axis.")
        if z.shape[1] == 1:
            return failed("the softmax of a single logit must be 1 (one class gets all the probability).")
        return compare_arrays("your softmax output", got_arr, expected)
    return passed("your softmax is correct and numerically stable.")


def check_dense(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(x, w, b)``: ``x (N, D)``, Keras kernel ``w (D, M)``, ``b (M,)`` -> ``(N, M)``."""
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=5)
    got, error = _call("your dense layer", fn, x.copy(), w.copy(), b.copy())
    if error is not None:
        return error
    got_arr = _to_array(_first(got))
    if got_arr is None:
        return failed(f"your dense layer should return an array, got {type(got).__name__}.")
    expected = x @ w + b
    if _close(got_arr, expected):
        return passed("your dense layer matches keras.layers.Dense.")
    if got_arr.shape == expected.T.shape:
        return failed("your output is transposed: with the Keras layout it is x @ w + b, shape (N, M).")
    if _close(got_arr, x @ w):
        return failed("you forgot the bias b.")
    return compare_arrays("your dense output", got_arr, expected)
