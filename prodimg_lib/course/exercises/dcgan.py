"""The exercise checkers of notebook 05 (dcgan).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

from keras import layers
import numpy as np

from prodimg_lib.generation.dcgan import transposed_output_size
from prodimg_lib.generation.losses import d_loss_from_logits
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases, failed, passed, run_candidate


def check_transposed_output_size(fn) -> "CheckResult":
    """Check a learner's ``fn(n, kernel, stride, padding)`` against Keras's ``Conv2DTranspose``."""

    cases = [(7, 4, 2, "same"), (14, 4, 2, "same"), (7, 4, 2, "valid"), (4, 3, 1, "valid"), (5, 2, 3, "valid"),
             (3, 3, 3, "same"), (1, 7, 1, "valid")]
    for n, k, s, p in cases:
        got, error = run_candidate("your output-size function", fn, n, k, s, p)
        if error is not None:
            return error
        expected = transposed_output_size(n, k, s, p)
        call = f"n={n}, kernel={k}, stride={s}, padding='{p}'"
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
            return failed(f"for {call} it should return a whole number, got {got!r}.")
        if got == expected:
            continue
        if p == "same" and got == n:
            return failed(f"for {call} you returned {got}: a transposed convolution *multiplies* the size by the stride ('same': n * stride = {expected}).")
        if p == "valid" and got == (n - k) // s + 1:
            return failed(f"for {call} you returned {got}: that is the size of an ordinary (downsampling) convolution; the transposed one goes the other way, (n - 1) * stride + kernel = {expected}.")
        return failed(f"for {call} you returned {got}, expected {expected}.")
    return passed("your formula gives the same sizes as Keras's Conv2DTranspose.")


def check_conv_transpose_parameters(fn) -> "CheckResult":
    """Check a learner's ``fn(kernel, in_channels, out_channels, use_bias)`` against Keras's parameter count."""

    cases = [(4, 128, 64, False), (4, 64, 32, False), (3, 32, 1, True), (5, 3, 7, True), (1, 10, 10, False)]
    for k, cin, cout, bias in cases:
        got, error = run_candidate("your parameter count", fn, k, cin, cout, bias)
        if error is not None:
            return error
        layer = layers.Conv2DTranspose(cout, k, use_bias=bias)
        layer.build((None, 7, 7, cin))
        expected = layer.count_params()
        call = f"kernel={k}, in_channels={cin}, out_channels={cout}, use_bias={bias}"
        if got == expected:
            continue
        if got == k * k * cin * cout + cout and not bias:
            return failed(f"for {call} you returned {got}: with use_bias=False there is no bias vector ({expected}).")
        if got == k * k * cin * cout and bias:
            return failed(f"for {call} you returned {got}: add one bias per output channel ({expected}).")
        if got == k * cin * cout + (cout if bias else 0):
            return failed(f"for {call} you returned {got}: the kernel is k x k, so k * k weights per (input, output) channel pair.")
        return failed(f"for {call} you returned {got}, Keras counts {expected}.")
    return passed("your count matches Keras for every layer.")


def check_smoothed_d_loss(fn) -> "CheckResult":
    """Check a learner's ``fn(real_logits, fake_logits, smoothing)`` (NumPy) against :func:`d_loss_from_logits`."""

    rng = np.random.default_rng(5)
    cases = []
    for smoothing, n in [(0.0, 4), (0.1, 6), (0.2, 3)]:
        real, fake = rng.normal(1, 2, (n, 1)), rng.normal(-1, 2, (n, 1))
        expected = float(d_loss_from_logits(real, fake, smoothing))
        sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
        two_sided = float(np.mean(-(1 - smoothing) * np.log(sig(real)) - smoothing * np.log(1 - sig(real)))
                          + np.mean(-(1 - smoothing) * np.log(1 - sig(fake)) - smoothing * np.log(sig(fake))))
        no_smoothing = float(d_loss_from_logits(real, fake, 0.0))
        probs = float(np.mean(-np.log(real.clip(1e-7, None))) if (real > 0).all() else np.nan)
        mistakes = [(two_sided, "That smooths both sides; one-sided smoothing changes only the real target (to 1 - smoothing), fakes keep 0.")]
        if smoothing:
            mistakes.append((no_smoothing, "The smoothing is not used: the real images' target is 1 - smoothing."))
        cases.append(Case((real, fake, smoothing), expected, f"smoothing={smoothing}, {n} logits each",
                          tuple(m for m in mistakes if np.isfinite(m[0])), nonfinite_hint=(
                              "The inputs are logits: apply the sigmoid first (or use the stable form)." if np.isnan(probs) else "")))
    return check_cases("your discriminator loss", fn, cases)
