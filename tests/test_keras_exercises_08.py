"""The checkers of notebook 08 (diffusion and flow matching) accept right answers and name the typical mistakes.

The Keras exercise (the U-Net's time features) runs on the backend of the test run
(``KERAS_BACKEND``), as in the notebook.
"""

import math

import numpy as np
import pytest

from prodimg_lib.course.exercises import diffusion as exercises


def _stub(*args, **kwargs):
    ...  # your code here


CHECKERS = [exercises.check_add_noise, exercises.check_flow_pair, exercises.check_euler_step,
            exercises.check_ddim_step, exercises.check_guidance, exercises.check_time_embedding]


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.__name__)
def test_the_untouched_exercise_cell_is_not_answered(checker):
    for answer in (None, ..., _stub):
        result = checker(answer)
        assert not result and "still empty" in result.message, (answer, result)

    def forgot_return(*args):
        args[0] + 1

    result = checker(forgot_return)
    assert not result and "return" in result.message

    def raises(*args):
        raise ZeroDivisionError("oops")

    result = checker(raises)
    assert not result and "raised ZeroDivisionError" in result.message


def _per_image(value):
    """One number as it is, one value per image (N,) as (N, 1, 1, 1)."""
    return np.reshape(np.asarray(value, np.float64), (-1, 1, 1, 1)) if np.ndim(value) else value


def test_add_noise_checker():
    check = exercises.check_add_noise

    def answer(sqrt_x=True, sqrt_e=True, swap=False, reshape=True):
        def add_noise(x0, noise, alpha_bar):
            a = _per_image(alpha_bar) if reshape else np.asarray(alpha_bar)
            signal, rest = (1 - a, a) if swap else (a, 1 - a)
            return (np.sqrt(signal) if sqrt_x else signal) * x0 + (np.sqrt(rest) if sqrt_e else rest) * noise
        return add_noise

    assert check(answer())
    result = check(answer(sqrt_x=False, sqrt_e=False))
    assert not result and "Both factors are square roots" in result.message
    assert "roles are swapped" in check(answer(swap=True)).message
    assert "noise's factor is sqrt(1 - alpha_bar)" in check(answer(sqrt_e=False)).message
    assert "clean image's factor is sqrt(alpha_bar)" in check(answer(sqrt_x=False)).message
    flat = check(answer(reshape=False))  # grey images: (N,) against the channel axis gives a wrong shape
    assert not flat and "shape (3, 4, 4, 3)" in flat.message and "(N, 1, 1, 1)" in flat.message
    colour = check(lambda x0, e, a: answer(reshape=False)(x0, e, a) if x0.shape[-1] != 1 else answer()(x0, e, a))
    assert not colour and "broadcast" in colour.message and "(N, 1, 1, 1)" in colour.message  # colour: NumPy raises
    indexed = check(lambda x0, e, a: np.sqrt(a[:, None, None, None]) * x0 + np.sqrt(1 - a[:, None, None, None]) * e)
    assert not indexed and "one number" in indexed.message


def test_flow_pair_checker():
    check = exercises.check_flow_pair

    def answer(sign=1, reverse=False, order=True, reshape=True):
        def flow_pair(x0, noise, t):
            t = _per_image(t) if reshape else np.asarray(t)
            x_t = t * x0 + (1 - t) * noise if reverse else (1 - t) * x0 + t * noise
            v = sign * (noise - x0)
            return (x_t, v) if order else (v, x_t)
        return flow_pair

    assert check(answer())
    assert check(lambda x0, e, t: list(answer()(x0, e, t)))
    assert "wrong sign" in check(answer(sign=-1)).message
    assert "x_t runs the wrong way" in check(answer(reverse=True)).message
    assert "from the noise (t = 0) to the image" in check(answer(reverse=True, sign=-1)).message
    assert "wrong order" in check(answer(order=False)).message
    flat = check(answer(reshape=False))
    assert not flat and "(N, 1, 1, 1)" in flat.message
    assert "2 values" in check(lambda x0, e, t: answer()(x0, e, t)[0]).message


def test_euler_step_checker():
    check = exercises.check_euler_step
    assert check(lambda x, v, t, s: x + (s - t) * v)
    assert check(lambda x, v, t, s: x - (t - s) * v)
    assert "wrong way" in check(lambda x, v, t, s: x + (t - s) * v).message
    assert "jumps all the way to t = 0" in check(lambda x, v, t, s: x - t * v).message
    assert "not t." in check(lambda x, v, t, s: x + t * v).message
    assert "not s." in check(lambda x, v, t, s: x + s * v).message


def test_ddim_step_checker():
    from prodimg_lib.generation import diffusion

    check = exercises.check_ddim_step

    def answer(renoise=True, signal_level="s", noise_level="s", divide=True, clip=False):
        def ddim_step(x_t, eps, ab_t, ab_s):
            levels = {"s": ab_s, "t": ab_t}
            x0_hat = x_t - np.sqrt(1 - ab_t) * eps
            if divide:
                x0_hat = x0_hat / np.sqrt(ab_t)
            if clip:
                x0_hat = np.clip(x0_hat, -1, 1)
            x_s = np.sqrt(levels[signal_level]) * x0_hat
            return x_s + np.sqrt(1 - levels[noise_level]) * eps if renoise else x_s
        return ddim_step

    assert check(answer())
    assert check(lambda x, e, a, b: diffusion.ddim_step(x, e, a, b, eta=0.0, clip=False))
    assert "only the signal part" in check(answer(renoise=False)).message
    assert "gives back x_t unchanged" in check(answer(signal_level="t", noise_level="t")).message
    assert "noise share of level s" in check(answer(noise_level="t")).message
    assert "signal share of level s" in check(answer(signal_level="t")).message
    assert "the division undoes" in check(answer(divide=False)).message
    assert "are swapped" in check(lambda x, e, a, b: answer()(x, e, b, a)).message
    assert "Don't clip" in check(answer(clip=True)).message
    assert "Don't clip" in check(lambda x, e, a, b: diffusion.ddim_step(x, e, a, b, eta=0.0, clip=True)).message
    no_sqrt = check(lambda x, e, a, b: b * (x - (1 - a) * e) / a + (1 - b) * e)
    assert not no_sqrt and "square roots" in no_sqrt.message


def test_guidance_checker():
    check = exercises.check_guidance
    assert check(lambda c, u, s: u + s * (c - u))
    assert check(lambda c, u, s: s * c + (1 - s) * u)  # the same mix, written differently
    assert "scale = 0 is the conditional model" in check(lambda c, u, s: c + s * (c - u)).message
    swapped = check(lambda u, c, s: u + s * (c - u))  # the arguments in the other order
    assert not swapped and "roles of the two predictions are swapped" in swapped.message
    assert "order of the arguments" in swapped.message
    assert "points the wrong way" in check(lambda c, u, s: u + s * (u - c)).message
    assert "Add the scaled difference" in check(lambda c, u, s: s * (c - u)).message


def _features(column=True, cos_first=False, frequencies="geometric", stack=False, fixed_top=None, concat_axis=-1):
    from keras import ops

    def sinusoidal_features(t, dim, max_frequency=1000.0):
        top = fixed_top or max_frequency
        half = dim // 2
        k = ops.arange(half, dtype="float32")
        if frequencies == "geometric":
            f = ops.exp(k / (half - 1) * math.log(top))
        elif frequencies == "power":  # the same numbers, another order of operations
            f = ops.power(top, k / (half - 1))
        elif frequencies == "falling":
            f = ops.exp(-k / (half - 1) * math.log(top))
        elif frequencies == "by_half":
            f = ops.exp(k / half * math.log(top))
        elif frequencies == "log10":
            f = ops.exp(k / (half - 1) * math.log10(top))
        elif frequencies == "linear":
            f = ops.linspace(1.0, top, half)
        elif frequencies == "all":
            f = ops.exp(ops.arange(dim, dtype="float32") / (dim - 1) * math.log(top))
        angles = t[:, None] * f[None, :] if column else t * f  # (N, 1) * (1, half), or (N,) * (half,)
        parts = [ops.cos(angles), ops.sin(angles)] if cos_first else [ops.sin(angles), ops.cos(angles)]
        if stack:
            return ops.reshape(ops.stack(parts, axis=-1), (-1, dim)) if stack == "interleave" else ops.stack(parts, axis=-1)
        return ops.concatenate(parts, axis=concat_axis)
    return sinusoidal_features


def test_time_embedding_checker():
    check = exercises.check_time_embedding
    assert check(_features())
    assert check(_features(frequencies="power"))
    assert "cosines come first" in check(_features(cos_first=True)).message
    assert "interleaved" in check(_features(stack="interleave")).message
    assert "keras.ops.stack adds an axis" in check(_features(stack=True)).message
    assert "must *grow*" in check(_features(frequencies="falling")).message
    assert "divide k by half - 1" in check(_features(frequencies="by_half")).message
    assert "not log10" in check(_features(frequencies="log10")).message
    assert "evenly spaced" in check(_features(frequencies="linear")).message
    assert "half = dim // 2" in check(_features(frequencies="all")).message
    assert "along the last axis" in check(_features(concat_axis=0)).message
    assert "not a fixed 1000" in check(_features(fixed_top=1000.0)).message
    no_column = check(_features(column=False))
    assert not no_column and "t[:, None]" in no_column.message


def test_time_embedding_checker_explains_numpy_answers():
    def numpy_features(t, dim, max_frequency=1000.0):
        half = dim // 2
        f = np.exp(np.arange(half) / (half - 1) * np.log(max_frequency))
        angles = np.asarray(t)[:, None] * f
        return np.concatenate([np.sin(angles), np.cos(angles)], axis=-1)

    result = exercises.check_time_embedding(numpy_features)
    assert not result and "keras.ops only" in result.message and "NumPy" in result.message
    converted = exercises.check_time_embedding(
        lambda t, dim, top=1000.0: __import__("keras").ops.convert_to_tensor(numpy_features(t, dim, top)))
    assert not converted and "keras.ops only" in converted.message  # right numbers, but not inside a model


def test_time_embedding_checker_explains_batch_size_and_dtype_errors():
    import keras
    from keras import ops

    def batch_size_column(t, dim, max_frequency=1000.0):  # right on tensors, but a model's batch size is None
        half = dim // 2
        angles = ops.reshape(t, (t.shape[0], 1)) * ops.exp(ops.arange(half, dtype="float32") / (half - 1)
                                                            * math.log(max_frequency))
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)

    result = exercises.check_time_embedding(batch_size_column)
    assert not result and "t.shape[0] is None" in result.message and "keras.ops.reshape(t, (-1, 1))" in result.message

    def integer_arange(t, dim, max_frequency=1000.0):  # integers divided: float64 on TensorFlow, float32 elsewhere
        half = dim // 2
        angles = t[:, None] * ops.exp(ops.arange(half) / (half - 1) * math.log(max_frequency))
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)

    result = exercises.check_time_embedding(integer_arange)
    if keras.backend.backend() == "tensorflow":
        assert not result and "float64" in result.message and 'dtype="float32"' in result.message
    else:
        assert result


def test_time_embedding_checker_under_mixed_precision():
    """The gpu profile sets mixed_bfloat16 globally: the reference stays float32, so a right answer still passes."""
    import keras

    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        assert exercises.check_time_embedding(_features())
    finally:
        keras.config.set_dtype_policy(policy)
