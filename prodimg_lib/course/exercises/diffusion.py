"""The exercise checkers of notebook 08 (diffusion and flow matching).

Each ``check_...`` function runs a learner's answer on small fixed inputs, compares it with the
library's reference (:mod:`prodimg_lib.generation.diffusion`, :mod:`prodimg_lib.generation.unet`)
and returns a :class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is
right or, when the answer looks like a typical mistake, which one.

The images of the cases are float32 (N, 4, 4, C) in [-1, 1] (noise: standard normal); the
NumPy exercises may return float32 or float64.
"""

from __future__ import annotations

import re

import numpy as np

from prodimg_lib.generation import diffusion
from prodimg_lib.course.exercises.checking import (Case, CheckResult, check_cases, compare_arrays, failed, not_answered,
                                                  passed)
from prodimg_lib.course.exercises.keras_checking import call_answer, is_stub, model_outputs, to_numpy

__all__ = ["check_add_noise", "check_flow_pair", "check_euler_step", "check_ddim_step", "check_guidance",
           "check_time_embedding"]


def _unanswered(fn) -> bool:
    return fn is None or fn is Ellipsis or is_stub(fn)


def _images(rng, shape) -> tuple[np.ndarray, np.ndarray]:
    """Clean images in [-1, 1] and standard normal noise of ``shape``, float32."""
    return rng.uniform(-1, 1, shape).astype(np.float32), rng.standard_normal(shape).astype(np.float32)


def _normal_pair(rng, shape=(2, 4, 4, 1)) -> tuple[np.ndarray, np.ndarray]:
    """Two standard normal float32 arrays of ``shape`` (images at some level, a prediction)."""
    return rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(np.float32)


def _column(value, n: int) -> np.ndarray:
    """One number or (N,) values as (N, 1, 1, 1) float64, for the reference's mistakes."""
    value = np.asarray(value, np.float64)
    return np.broadcast_to(value, (n,)).reshape(n, 1, 1, 1) if value.ndim == 0 else value.reshape(n, 1, 1, 1)


def _broadcast_hint(what: str) -> str:
    return (f"{what} has one value per image, shape (N,), but the images are (N, H, W, C): NumPy lines up the "
            f"*last* axes, so the N values meet the channels. Reshape it to (N, 1, 1, 1) first; "
            f"np.reshape({what}, (-1, 1, 1, 1)) works for one number too.")


def _scalar_hint(what: str) -> str:
    return (f"{what} can also be one number (a float), which has no axes to index: np.reshape({what}, (-1, 1, 1, 1)) "
            "handles one number and one value per image alike.")


def _per_image_check(name: str, fn, cases, what: str) -> CheckResult:
    """:func:`check_cases`, with a hint when the learner's code failed on a per-image or a scalar ``what``."""
    result = check_cases(name, fn, cases)
    if result or "raised" not in result.message:
        return result
    text = result.message.lower()
    if "broadcast" in text:
        return failed(f"{result.message.rstrip('.')}. {_broadcast_hint(what)}")
    if "subscriptable" in text or "invalid index" in text or "too many indices" in text:
        return failed(f"{result.message.rstrip('.')}. {_scalar_hint(what)}")
    return result


# --------------------------------------------------------------------------- the forward process


def check_add_noise(fn) -> CheckResult:
    """Exercise: ``fn(x0, noise, alpha_bar)`` is DDPM's ``sqrt(alpha_bar) * x0 + sqrt(1 - alpha_bar) * noise``.

    ``x0`` (N, H, W, C) in [-1, 1], ``noise`` standard normal of the same shape, ``alpha_bar`` in
    [0, 1], one number or one per image (N,), broadcast over the image axes. Compared with
    :func:`prodimg_lib.generation.diffusion.add_noise`.
    """
    name = "add_noise"
    if _unanswered(fn):
        return not_answered(name)
    rng = np.random.default_rng(80)
    cases = []
    for shape, alpha_bar, label in (((2, 4, 4, 1), 0.64, "two grey images and one alpha_bar = 0.64"),
                                    ((3, 4, 4, 1), np.array([0.9, 0.5, 0.1]),
                                     "three grey images with one alpha_bar each, [0.9, 0.5, 0.1]"),
                                    ((2, 4, 4, 3), np.array([0.3, 0.75]),
                                     "two colour images with one alpha_bar each, [0.3, 0.75]")):
        x0, noise = _images(rng, shape)
        a, x, e = _column(alpha_bar, shape[0]), x0.astype(np.float64), noise.astype(np.float64)
        mistakes = [
            (a * x + (1 - a) * e, "Both factors are square roots: sqrt(alpha_bar) * x0 + sqrt(1 - alpha_bar) * noise. "
                                  "alpha_bar and 1 - alpha_bar are the shares of the *variance*, so the factors of "
                                  "the values are their square roots."),
            (np.sqrt(1 - a) * x + np.sqrt(a) * e, "The roles are swapped: alpha_bar is the share of the signal, so "
                                                  "sqrt(alpha_bar) scales the clean image x0 and sqrt(1 - alpha_bar) "
                                                  "the noise."),
            (np.sqrt(a) * x + (1 - a) * e, "The noise's factor is sqrt(1 - alpha_bar), a square root too: then the "
                                           "variances alpha_bar + (1 - alpha_bar) add up to 1 and x_t of unit-variance "
                                           "data keeps unit variance at every level."),
            (a * x + np.sqrt(1 - a) * e, "The clean image's factor is sqrt(alpha_bar), a square root too."),
        ]
        if np.ndim(alpha_bar):
            try:  # what NumPy gives for the (N,) values against (N, H, W, C) images, without the reshape
                mistakes.append((np.sqrt(alpha_bar) * x + np.sqrt(1 - alpha_bar) * e, _broadcast_hint("alpha_bar")))
            except ValueError:  # no shape to compare: the learner's code raises, and the error gets the hint
                pass
        args = (x0, noise, float(alpha_bar) if np.ndim(alpha_bar) == 0 else alpha_bar.astype(np.float32))
        cases.append(Case(args, diffusion.add_noise(x0, noise, alpha_bar), label, tuple(mistakes)))
    return _per_image_check(name, fn, cases, "alpha_bar")


def check_flow_pair(fn) -> CheckResult:
    """Exercise: ``fn(x0, noise, t)`` returns ``(x_t, velocity)`` of rectified flow.

    ``x_t = (1 - t) * x0 + t * noise`` (t = 0 the clean image, t = 1 pure noise) and the velocity
    ``dx_t / dt = noise - x0``, both (N, H, W, C); ``t`` in [0, 1], one number or one per image
    (N,). Compared with :func:`prodimg_lib.generation.diffusion.flow_interpolate`.
    """
    name = "flow_pair"
    if _unanswered(fn):
        return not_answered(name)
    rng = np.random.default_rng(81)
    cases = []
    for shape, t, label in (((2, 4, 4, 1), 0.3, "two grey images at t = 0.3"),
                            ((3, 4, 4, 1), np.array([0.1, 0.45, 0.8]),
                             "three grey images with one t each, [0.1, 0.45, 0.8]"),
                            ((2, 4, 4, 3), np.array([0.25, 0.9]), "two colour images with one t each, [0.25, 0.9]")):
        x0, noise = _images(rng, shape)
        tt, x, e = _column(t, shape[0]), x0.astype(np.float64), noise.astype(np.float64)
        x_t, reversed_x_t, v = (1 - tt) * x + tt * e, tt * x + (1 - tt) * e, e - x
        mistakes = [
            ((x_t, -v), "The velocity has the wrong sign: it is the derivative of x_t = (1 - t) * x0 + t * noise "
                        "with respect to t, noise - x0 (it points from the image towards the noise)."),
            ((reversed_x_t, v), "x_t runs the wrong way: at t = 0 it must be the clean image and at t = 1 the noise, "
                                "x_t = (1 - t) * x0 + t * noise."),
            ((reversed_x_t, -v), "Your path runs from the noise (t = 0) to the image (t = 1); the course's convention "
                                 "(the library's flow_interpolate) is the other way round: x_t = (1 - t) * x0 + "
                                 "t * noise, and so the velocity is noise - x0."),
            ((v, x_t), "The two results are in the wrong order: return (x_t, velocity)."),
        ]
        if np.ndim(t):
            try:  # (N,) values against (N, H, W, C) images, without the reshape
                mistakes.append((((1 - t) * x + t * e, v), _broadcast_hint("t")))
            except ValueError:
                pass
        args = (x0, noise, float(t) if np.ndim(t) == 0 else t.astype(np.float32))
        expected = (diffusion.flow_interpolate(x0, noise, t), (noise - x0))
        cases.append(Case(args, expected, label, tuple(mistakes), output_names=("x_t", "velocity")))
    return _per_image_check(name, fn, cases, "t")


# --------------------------------------------------------------------------- sampling steps


def check_euler_step(fn) -> CheckResult:
    """Exercise: ``fn(x_t, velocity, t, s)`` is one Euler step from time t to the earlier s < t: ``x_t + (s - t) * v``.

    ``x_t`` and ``velocity`` (N, H, W, C); ``t`` and ``s`` numbers in [0, 1]. Compared with
    :func:`prodimg_lib.generation.diffusion.euler_step`.
    """
    name = "euler_step"
    if _unanswered(fn):
        return not_answered(name)
    rng = np.random.default_rng(82)
    cases = []
    for t, s in ((1.0, 0.75), (0.5, 0.4375), (0.25, 0.0)):
        x_t, velocity = _normal_pair(rng)
        x, v = x_t.astype(np.float64), velocity.astype(np.float64)
        mistakes = (
            (x + (t - s) * v, "The step goes the wrong way: sampling moves back in time, from t to the earlier time "
                              "s < t, so the step is x_t + (s - t) * v, and s - t is negative."),
            (x - t * v, "x_t - t * v jumps all the way to t = 0 (it is the predicted clean image): one Euler step "
                        "moves only from t to s, x_t + (s - t) * v."),
            (x + t * v, "The step length is s - t, the time that passes (negative here), not t."),
            (x + s * v, "The step length is s - t, the time that passes (negative here), not s."),
            (x - s * v, "The step length is s - t, the time that passes, not s."),
        )
        cases.append(Case((x_t, velocity, t, s), diffusion.euler_step(x_t, velocity, t, s),
                          f"a step from t = {t:g} to s = {s:g}", mistakes))
    return check_cases(name, fn, cases)


def check_ddim_step(fn) -> CheckResult:
    """Exercise: ``fn(x_t, eps, alpha_bar_t, alpha_bar_s)`` is the deterministic DDIM step (eta = 0, no clipping).

    ``x0_hat = (x_t - sqrt(1 - ab_t) * eps) / sqrt(ab_t)`` and
    ``x_s = sqrt(ab_s) * x0_hat + sqrt(1 - ab_s) * eps``, with ``x_t`` and ``eps`` (N, H, W, C) and
    the levels numbers in (0, 1], ``ab_s > ab_t`` (s is less noisy). Compared with
    :func:`prodimg_lib.generation.diffusion.ddim_step` with ``eta=0, clip=False``.
    """
    name = "ddim_step"
    if _unanswered(fn):
        return not_answered(name)
    rng = np.random.default_rng(83)
    cases = []
    for ab_t, ab_s, label in ((0.3, 0.6, "a step from alpha_bar_t = 0.3 to alpha_bar_s = 0.6"),
                              (0.05, 0.5, "a long step from alpha_bar_t = 0.05 to alpha_bar_s = 0.5"),
                              (0.8, 0.95, "a step from alpha_bar_t = 0.8 to alpha_bar_s = 0.95"),
                              (0.5, 1.0, "the last step, to alpha_bar_s = 1 (the clean image)")):
        x_t, eps = _normal_pair(rng)
        x, e = x_t.astype(np.float64), eps.astype(np.float64)
        x0_hat = (x - np.sqrt(1 - ab_t) * e) / np.sqrt(ab_t)
        clipped = np.clip(x0_hat, -1, 1)
        undivided = x - np.sqrt(1 - ab_t) * e
        no_sqrt_x0 = (x - (1 - ab_t) * e) / ab_t
        mistakes = (
            (np.sqrt(ab_s) * x0_hat, "x_s = sqrt(alpha_bar_s) * x0_hat is only the signal part: level s still holds "
                                     "noise, so add sqrt(1 - alpha_bar_s) * eps (the same predicted noise: with "
                                     "eta = 0 DDIM adds no new noise)."),
            (x, "That gives back x_t unchanged: x_s puts x0_hat back at the *new* level s, with alpha_bar_s (not "
                "alpha_bar_t) in both factors."),
            (np.sqrt(ab_s) * x0_hat + np.sqrt(1 - ab_t) * e, "The noise's factor in x_s is sqrt(1 - alpha_bar_s), the "
                                                             "noise share of level s, not of level t."),
            (np.sqrt(ab_t) * x0_hat + np.sqrt(1 - ab_s) * e, "The signal's factor in x_s is sqrt(alpha_bar_s), the "
                                                             "signal share of level s, not of level t."),
            (np.sqrt(ab_s) * undivided + np.sqrt(1 - ab_s) * e, "x0_hat = (x_t - sqrt(1 - alpha_bar_t) * eps) / "
                                                                "sqrt(alpha_bar_t): the division undoes the scaling "
                                                                "of the clean image in x_t."),
            (ab_s * no_sqrt_x0 + (1 - ab_s) * e, "The factors are square roots: sqrt(alpha_bar) scales the image and "
                                                 "sqrt(1 - alpha_bar) the noise, in x0_hat and in x_s."),
            (np.sqrt(ab_t) * (x - np.sqrt(1 - ab_s) * e) / np.sqrt(ab_s) + np.sqrt(1 - ab_t) * e,
             "alpha_bar_t and alpha_bar_s are swapped: x0_hat comes from level t (alpha_bar_t, the noisier level), "
             "and x_s is built at level s (alpha_bar_s)."),
            (np.sqrt(ab_s) * clipped + np.sqrt(1 - ab_s) * e, "Don't clip x0_hat in this exercise: the formula is the "
                                                              "plain DDIM step (the library's sampler clips, with "
                                                              "clip=True, and then also recomputes eps)."),
            (diffusion.ddim_step(x, e, ab_t, ab_s, eta=0.0, clip=True), "Don't clip x0_hat in this exercise: the "
                                                                        "formula is the plain DDIM step, as "
                                                                        "ddim_step(..., clip=False)."),
        )
        expected = diffusion.ddim_step(x, e, ab_t, ab_s, eta=0.0, clip=False)
        cases.append(Case((x_t, eps, ab_t, ab_s), expected, label, mistakes))
    return check_cases(name, fn, cases)


def check_guidance(fn) -> CheckResult:
    """Exercise: ``fn(conditional, unconditional, scale)`` is classifier-free guidance, ``u + scale * (c - u)``.

    ``conditional`` and ``unconditional`` are the network's two predictions (N, H, W, C) for the
    same inputs, with the class label and with the null label; ``scale`` >= 0 (0: the
    unconditional prediction, 1: the conditional one). ``scale * c + (1 - scale) * u`` is the same
    mix and is accepted. Compared with :func:`prodimg_lib.generation.diffusion.guided`.
    """
    name = "guided"
    if _unanswered(fn):
        return not_answered(name)
    rng = np.random.default_rng(84)
    cases = []
    for scale in (3.0, 1.0, 0.0, 7.5):
        c, u = _normal_pair(rng)
        c64, u64 = c.astype(np.float64), u.astype(np.float64)
        mistakes = (
            (c64 + scale * (c64 - u64), "That is the convention in which scale = 0 is the conditional model (the "
                                        "guidance weight w = scale - 1 of some papers). Here scale = 1 must give "
                                        "the conditional prediction and 0 the unconditional one: start from the "
                                        "unconditional prediction, u + scale * (c - u)."),
            (c64 + scale * (u64 - c64), "The roles of the two predictions are swapped: start from the unconditional "
                                        "one and move towards (and, for scale > 1, past) the conditional one, "
                                        "u + scale * (c - u). Check the order of the arguments: "
                                        "guided(conditional, unconditional, scale)."),
            (u64 + scale * (u64 - c64), "The difference points the wrong way: guidance moves *towards* the "
                                        "conditional prediction, u + scale * (c - u)."),
            (scale * (c64 - u64), "Add the scaled difference to the unconditional prediction: u + scale * (c - u)."),
        )
        cases.append(Case((c, u, scale), diffusion.guided(c64, u64, scale), f"scale = {scale:g}", mistakes))
    return check_cases(name, fn, cases)


# --------------------------------------------------------------------------- the U-Net's time features (Keras)

_TIMES = np.array([0.0, 0.1, 0.37, 0.8, 1.0], np.float32)
_EMBEDDING_ATOL = 1e-3  # float32 angles of up to max_frequency radians: another order of operations moves them by ~1e-4


def _frequencies(half: int, max_frequency: float) -> np.ndarray:
    return np.exp(np.arange(half) / max(half - 1, 1) * np.log(max_frequency))


def _features(t, frequencies, *, cos_first=False, interleave=False) -> np.ndarray:
    angles = np.asarray(t, np.float64)[:, None] * np.asarray(frequencies, np.float64)[None, :]
    sin, cos = np.sin(angles), np.cos(angles)
    if interleave:
        return np.stack([sin, cos], axis=-1).reshape(len(angles), -1)
    return np.concatenate([cos, sin] if cos_first else [sin, cos], axis=-1)


def _embedding_mistakes(t, dim: int, max_frequency: float) -> list[tuple[np.ndarray, str]]:
    half = dim // 2
    right = _frequencies(half, max_frequency)
    mistakes = [
        (_features(t, right, cos_first=True), "The cosines come first: the layer puts all the sines first, then "
                                              "all the cosines, [sin(f_k t), cos(f_k t)]."),
        (_features(t, right, interleave=True), "The sines and cosines are interleaved (sin f_0 t, cos f_0 t, "
                                               "sin f_1 t, ...): the layer concatenates all the sines, then all "
                                               "the cosines, keras.ops.concatenate([...], axis=-1)."),
        (_features(t, 1.0 / right), "The frequencies fall from 1 to 1 / max_frequency (the Transformer divides "
                                    "positions 0, 1, 2, ... by 10000^(2i/d)); t here is in [0, 1], so the "
                                    "frequencies must *grow*, f_k = exp(k / (half - 1) * ln(max_frequency))."),
        (_features(t, np.exp(np.arange(half) / half * np.log(max_frequency))),
         "The last frequency must be max_frequency itself: divide k by half - 1 (k runs from 0 to half - 1), not by "
         "half."),
        (_features(t, np.exp(np.arange(half) / max(half - 1, 1) * np.log10(max_frequency))),
         "The exponent uses the natural logarithm, ln(max_frequency) (math.log or keras.ops.log), not log10: then "
         "exp(ln(max_frequency)) = max_frequency."),
        (_features(t, np.linspace(1.0, max_frequency, half)), "The frequencies are evenly spaced: they must grow "
                                                              "geometrically (each one the previous times the same "
                                                              "factor), f_k = exp(k / (half - 1) * ln(max_frequency))."),
        (_features(t, np.linspace(0.0, max_frequency, half)), "The frequencies are evenly spaced from 0: they must "
                                                              "grow geometrically from 1, f_k = exp(k / (half - 1) * "
                                                              "ln(max_frequency))."),
        (_features(t, np.arange(half)), "The frequencies are k = 0, 1, 2, ...: they must grow geometrically from 1 to "
                                        "max_frequency, f_k = exp(k / (half - 1) * ln(max_frequency))."),
    ]
    if max_frequency != 1000.0:
        mistakes.append((_features(t, _frequencies(half, 1000.0)),
                         f"Use the max_frequency argument ({max_frequency:g} here), not a fixed 1000."))
    return mistakes


def _shape_hint(shape: tuple, n: int, dim: int) -> str:
    half = dim // 2
    if shape == (n, 2 * dim):
        return (" There are dim frequencies, each giving a sine and a cosine: use half = dim // 2 frequencies, so "
                "that the sines and cosines together make dim features.")
    if shape == (n, half):
        return " Return both halves, the sines and the cosines, concatenated along the last axis."
    if shape in ((n, half, 2), (n, 2, half), (2, n, half)):
        return (" keras.ops.stack adds an axis: join the sines and the cosines with keras.ops.concatenate([...], "
                "axis=-1).")
    if shape == (2 * n, half):
        return " The sines and cosines are joined along the batch axis: concatenate along the last axis (axis=-1)."
    return ""


def _is_numpy_error(message: str) -> bool:
    text = message.lower()
    return "kerastensor is symbolic" in text or "numpy" in text or "ndarray" in text or "__array__" in text


def _exception_text(exc: Exception) -> str:
    """An exception's message on one line, without Keras's terminal colours and its list of the call's arguments."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).split("Arguments received by")[0]
    text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return text[:300].rstrip(".") or "no message"


_NUMPY_ADVICE = ("NumPy functions (np.sin, np.exp, np.asarray, ...) need actual numbers, which a model's symbolic "
                 "input and a compiled training step don't have, and not every backend's tensors convert to NumPy "
                 "(a PyTorch tensor on a GPU does not). Write it with keras.ops only: keras.ops.arange, keras.ops.exp, "
                 "keras.ops.reshape, keras.ops.sin, keras.ops.cos, keras.ops.concatenate.")


def check_time_embedding(fn) -> CheckResult:
    """Exercise: ``fn(t, dim, max_frequency)`` gives the U-Net's sinusoidal time features, with ``keras.ops`` only.

    ``t`` is a Keras tensor (N,) of times in [0, 1]; the result (N, dim) is
    ``[sin(f_k t) for k < half] + [cos(f_k t) for k < half]`` with ``half = dim // 2`` and
    ``f_k = exp(k / (half - 1) * ln(max_frequency))``, what
    :class:`~prodimg_lib.generation.unet.SinusoidalEmbedding` computes. The checker calls ``fn`` on
    tensors of the active backend (N = 5 times; dim 8 with max_frequency 1000, the U-Net's
    default, and dim 12 with 100) and compares with the layer, then builds a model from it on a
    ``keras.Input`` (a symbolic tensor, the way the U-Net uses it) and runs that model.
    """
    import keras

    from prodimg_lib.generation.unet import SinusoidalEmbedding

    name = "sinusoidal_features"
    if _unanswered(fn):
        return not_answered(name)
    backend = keras.backend.backend()  # the reference layer is float32 whatever the dtype policy (mixed_bfloat16 on GPUs)
    n = len(_TIMES)
    t = keras.ops.convert_to_tensor(_TIMES)
    cases = [(8, 1000.0), (12, 100.0)]
    for dim, top in cases:
        label = f"t = [{', '.join(f'{v:g}' for v in _TIMES)}], dim = {dim}, max_frequency = {top:g}"
        got, error = call_answer(name, fn, t, dim, top)
        if error is not None:
            text = error.message.lower()
            if any(k in text for k in ("broadcast", "incompatible shapes", "must match the size", "dimensions must be equal")):
                return failed(f"For {label}: {error.message.rstrip('.')}. t has shape (N,) and the frequencies "
                              "(dim / 2,): make t a column, keras.ops.reshape(t, (-1, 1)) or t[:, None], so that "
                              "their product has shape (N, dim / 2).")
            if "double" in text or "float64" in text:
                return failed(f"For {label}: {error.message.rstrip('.')}. float32 and float64 tensors meet: on "
                              "TensorFlow, integers divided (keras.ops.arange(half) / (half - 1)) give float64, "
                              "while t is float32. Make the frequencies float32 from the start, "
                              "keras.ops.arange(half, dtype=\"float32\").")
            if _is_numpy_error(error.message):
                return failed(f"For {label}: {error.message.rstrip('.')}. t is a {backend} tensor here, as inside "
                              f"the U-Net, and this looks like NumPy code, which works on NumPy arrays but not on "
                              f"every tensor. {_NUMPY_ADVICE}")
            return failed(f"For {label}: {error.message}")
        try:
            value = to_numpy(got)
        except Exception:
            return failed(f"{name} should return a tensor of shape (N, dim), got {type(got).__name__}.")
        if value.shape != (n, dim):
            return failed(f"For {label}: the features have shape {value.shape}, expected ({n}, {dim}): one row of "
                          f"dim features per time.{_shape_hint(value.shape, n, dim)}")
        expected = to_numpy(SinusoidalEmbedding(dim, max_frequency=top, dtype="float32")(t))
        result = compare_arrays(name, value, expected, rtol=0.0, atol=_EMBEDDING_ATOL)
        if not result:
            hint = next((m for v, m in _embedding_mistakes(_TIMES, dim, top)
                         if np.allclose(value, v, rtol=0.0, atol=_EMBEDDING_ATOL)), "")
            return failed(f"For {label}: {result.message}" + (f" {hint}" if hint else ""))

    # Inside a model, as in the U-Net: t is a symbolic keras.Input of unknown batch size.
    dim, top = cases[0]
    symbolic = keras.Input((), name="t")
    out, error = call_answer(name, fn, symbolic, dim, top)
    if error is not None:
        if _is_numpy_error(error.message):
            return failed(f"{name} gives the right values on {backend} tensors, but it fails on the symbolic input "
                          f"of a Keras model ({error.message.rstrip('.')}). {_NUMPY_ADVICE}")
        return failed(f"{name} gives the right values on {backend} tensors, but it fails on the input of a Keras "
                      f"model, keras.Input(()), whose batch size is unknown (None): {error.message} Compute the "
                      "features from t with keras.ops only; keras.ops.reshape(t, (-1, 1)) makes the column without "
                      "the batch size.")
    if not isinstance(out, keras.KerasTensor):
        return failed(f"{name} gives the right values on {backend} tensors, but on the symbolic input of a Keras "
                      f"model it returns a {type(out).__name__}, not a symbolic tensor: build the result from t with "
                      "keras.ops only.")
    try:
        inside = model_outputs(keras.Model(symbolic, out), _TIMES)
    except Exception as exc:  # the learner's operations failed inside a model
        cause = _exception_text(exc)
        if "none" in cause.lower():
            advice = ("Inside a model the batch size is unknown (t.shape[0] is None): make t a column with "
                      "keras.ops.reshape(t, (-1, 1)) or t[:, None], without the batch size.")
        elif _is_numpy_error(cause):
            advice = _NUMPY_ADVICE
        else:
            advice = "Compute the features from t with keras.ops only, without NumPy or the batch size of t."
        return failed(f"{name} gives the right values on {backend} tensors, but a model built from it failed "
                      f"({type(exc).__name__}: {cause}). {advice}")
    expected = to_numpy(SinusoidalEmbedding(dim, max_frequency=top, dtype="float32")(t))
    if np.shape(inside) != expected.shape or not np.allclose(inside, expected, rtol=0.0, atol=_EMBEDDING_ATOL):
        return failed(f"{name} gives the right values on {backend} tensors, but other values inside a Keras model: "
                      "compute them from t with keras.ops only, without Python branches on the values.")
    return passed(f"{name} matches SinusoidalEmbedding (the sines of the frequencies 1 .. max_frequency, growing "
                  "geometrically, then the cosines), on tensors and inside a model.")
