"""Helpers shared by the checkers of the Keras exercises (a learner writes Keras code: a model, a layer block, a loss).

They complement :mod:`.checking`: a Keras answer is usually a function that returns a model
or a tensor, so a checker must tell the untouched exercise cell (a body of ``...``, which
returns None) from a function that forgot its ``return``, run models quickly on every
backend, and build its own small reference models without waiting for JAX to compile.
"""

from __future__ import annotations

import contextlib
import dis
import warnings
from typing import Any, Callable

import numpy as np

from prodimg_lib.course.exercises.checking import CheckResult, failed, not_answered, run_candidate

__all__ = ["is_stub", "call_answer", "model_outputs", "fast_initialisation", "to_numpy"]


def is_stub(fn: Any) -> bool:
    """True for a function whose body is only ``...`` or ``pass``: the exercise cell as it starts."""
    try:
        ops = [(i.opname, i.argval) for i in dis.get_instructions(fn) if i.opname not in ("RESUME", "NOP")]
    except TypeError:
        return False
    return ops in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


def call_answer(name: str, fn: Callable[..., Any] | None, *args: Any, **kwargs: Any) -> tuple[Any, CheckResult | None]:
    """Like :func:`~.checking.run_candidate`, and a ``None`` result is an error too.

    ``None``, ``...`` or an untouched exercise function give ``not_answered``; a function that
    runs and returns None is told it forgot its ``return``.
    """
    if fn is not None and fn is not Ellipsis and is_stub(fn):
        return None, not_answered(name)
    value, error = run_candidate(name, fn, *args, **kwargs)
    if error is not None:
        return None, error
    if value is None:
        return None, failed(f"{name} returned None: did you forget the `return` statement?")
    return value, None


def to_numpy(value: Any) -> np.ndarray:
    """A backend tensor, Keras variable or array-like as a float64 NumPy array."""
    import keras

    return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)


def model_outputs(model, inputs):
    """A model's output(s) on NumPy inputs, as NumPy arrays (a list for several outputs).

    On JAX one compiled call (``predict_on_batch``) is much faster than an eager call, which
    compiles every operation on its own; TensorFlow and PyTorch run the model eagerly, which is
    fast there and creates no ``tf.function`` to retrace.
    """
    import keras

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. an input given without the list the model was built with
        if keras.backend.backend() == "jax":
            out = model.predict_on_batch(inputs)
        else:
            out = model(inputs, training=False)
    if isinstance(out, (list, tuple)):
        return [np.asarray(keras.ops.convert_to_numpy(o)) for o in out]
    return np.asarray(keras.ops.convert_to_numpy(out))


def fast_initialisation():
    """A context in which a checker builds its own models quickly.

    Building a model draws its initial weights. On JAX every new weight shape compiles a random
    number generator, and JAX's default (partitionable) generator compiles several times more
    slowly on a CPU than the classic one; the checkers' models only need *some* weights, so they
    are built with the classic one. Other backends need nothing.
    """
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return jax.threefry_partitionable(False)
    return contextlib.nullcontext()
