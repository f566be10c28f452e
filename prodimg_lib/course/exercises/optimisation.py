"""The exercise checkers of notebook 02 (optimisation).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

from typing import Any, Callable
import numpy as np

from prodimg_lib.reference.optim import AdamState, MomentumState, adam_step, make_linear_data, momentum_step
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases


def check_gd_step(fn: Callable[[Any, Any, float], Any] | None) -> CheckResult:
    """Check a learner's ``fn(param, grad, lr) -> new_param`` (one gradient-descent step)."""
    rng = np.random.default_rng(10)
    inputs = [
        (np.array(1.5), np.array(0.4), 0.1, "param=1.5, grad=0.4, lr=0.1"),
        (rng.normal(size=5), rng.normal(size=5), 0.05, "random arrays of length 5, lr=0.05"),
    ]
    cases = []
    for p, g, lr, label in inputs:
        cases.append(
            Case(
                (p, g, lr),
                p - lr * g,
                label,
                mistakes=(
                    (p + lr * g, "The step goes uphill: subtract lr·grad (move against the gradient)."),
                    (p - g, "The learning rate is missing: the step is lr·grad."),
                    (-lr * g, "That is the step itself: add it to the parameter."),
                ),
            )
        )
    return check_cases("gd_step", fn, cases)


def check_linear_grad(fn: Callable[[float, float, np.ndarray, np.ndarray], Any] | None) -> CheckResult:
    """Check a learner's ``fn(w, b, x, y) -> (dw, db)``, the gradient of ``mean(½(y - (w x + b))²)``."""
    x_small = np.array([0.0, 1.0, 2.0, 3.0])
    inputs = [
        (0.5, -0.3, x_small, 2.0 * x_small + 1.0, "w=0.5, b=-0.3, x=[0, 1, 2, 3], y=2x+1"),
        (-1.2, 0.8, *make_linear_data(20, 1.5, -0.5, 0.3, seed=3), "random data, 20 points"),
    ]
    cases = []
    for w, b, x, y, label in inputs:
        r = y - (w * x + b)
        dw, db = -np.mean(r * x), -np.mean(r)
        cases.append(
            Case(
                (w, b, x, y),
                (dw, db),
                label,
                output_names=("dw", "db"),
                mistakes=(
                    ((-np.mean(r), db), "dw is missing the factor x: by the chain rule d/dw ½(y - (wx+b))² = -(y - (wx+b))·x."),
                    ((-dw, -db), "The signs are wrong: with r = y - (wx+b), dL/dw = -mean(r·x) and dL/db = -mean(r)."),
                    ((2 * dw, 2 * db), "Twice the gradient: the loss has a factor ½ that cancels the 2 of the square."),
                    ((len(x) * dw, len(x) * db), "That is the gradient of the sum: the loss is a mean, divide by the number of points."),
                    ((db, dw), "dw and db are swapped: return (dw, db)."),
                ),
            )
        )
    return check_cases("linear_grad", fn, cases)


def check_momentum_step(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(param, grad, velocity, lr, momentum) -> (new_param, new_velocity)``.

    Keras convention: ``velocity <- momentum*velocity - lr*grad``, ``param <- param + velocity``.
    """
    rng = np.random.default_rng(12)
    inputs = [
        (np.array(1.0), np.array(0.5), np.array(-0.2), 0.1, 0.9, "param=1, grad=0.5, velocity=-0.2, lr=0.1, momentum=0.9"),
        (rng.normal(size=4), rng.normal(size=4), np.zeros(4), 0.05, 0.9, "the first step (zero velocity), arrays of length 4"),
        (rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), 0.1 * rng.normal(size=(2, 3)), 0.02, 0.8, "random arrays of shape (2, 3), momentum=0.8"),
    ]
    cases = []
    for p, g, v, lr, mu, label in inputs:
        new_p, state = momentum_step(p, g, MomentumState([v]), lr, mu)
        new_v = state.velocities[0]
        torch_v = mu * v + g
        cases.append(
            Case(
                (p, g, v, lr, mu),
                (new_p, new_v),
                label,
                output_names=("new_param", "new_velocity"),
                mistakes=(
                    ((p - lr * torch_v, torch_v), "That is the other convention (velocity = momentum·v + grad, then param -= lr·velocity): here, as in Keras, velocity = momentum·v - lr·grad and param += velocity."),
                    ((p + v, new_v), "The parameter moved with the old velocity: update the velocity first, then add the new one."),
                    ((p - lr * g, -lr * g), "The momentum term is missing: velocity = momentum·velocity - lr·grad."),
                    ((p + mu * v + lr * g, mu * v + lr * g), "The gradient term has the wrong sign: velocity = momentum·velocity - lr·grad."),
                    ((new_v, new_p), "The outputs are swapped: return (new_param, new_velocity)."),
                ),
            )
        )
    return check_cases("momentum_step", fn, cases)


def check_adam_step(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(param, grad, m, v, t, lr, beta_1, beta_2, epsilon) -> (new_param, new_m, new_v)``.

    ``t`` is the number of this update, 1 for the first one. Both the Keras form
    ``lr*sqrt(1-beta_2**t)/(1-beta_1**t) * m/(sqrt(v) + epsilon)`` and the paper's
    ``lr * m_hat/(sqrt(v_hat) + epsilon)`` are accepted (they differ by ~epsilon).
    """
    rng = np.random.default_rng(13)
    inputs = [
        (np.array(1.0), np.array(0.5), np.array(0.0), np.array(0.0), 1, 0.001, "the first step: param=1, grad=0.5, m=v=0, t=1"),
        (rng.normal(size=4), rng.normal(size=4), 0.1 * rng.normal(size=4), 0.1 * rng.uniform(size=4), 5, 0.01, "arrays of length 4 at t=5"),
        (rng.normal(size=(2, 2)), rng.normal(size=(2, 2)), 0.1 * rng.normal(size=(2, 2)), rng.uniform(size=(2, 2)), 100, 0.001, "arrays of shape (2, 2) at t=100"),
    ]
    b1, b2, eps = 0.9, 0.999, 1e-7
    cases = []
    for p, g, m, v, t, lr, label in inputs:
        new_p, state = adam_step(p, g, AdamState([m], [v], t - 1), lr, b1, b2, eps)
        new_m, new_v = state.m[0], state.v[0]

        def update(mm: np.ndarray, vv: np.ndarray, tt: int) -> np.ndarray:
            return p - lr * np.sqrt(1 - b2**tt) / (1 - b1**tt) * mm / (np.sqrt(vv) + eps)

        bad_v = b2 * v + (1 - b2) * g
        swapped_m = b1 * g + (1 - b1) * m
        cases.append(
            Case(
                (p, g, m, v, t, lr, b1, b2, eps),
                (new_p, new_m, new_v),
                label,
                output_names=("new_param", "new_m", "new_v"),
                mistakes=(
                    ((p - lr * new_m / (np.sqrt(new_v) + eps), new_m, new_v), "The bias correction is missing: divide m by (1 - beta_1**t) and v by (1 - beta_2**t)."),
                    ((update(new_m, new_v, t + 1), new_m, new_v), "The bias correction uses t + 1: t is already the number of this update (1 for the first)."),
                    *(
                        [((update(new_m, new_v, t - 1), new_m, new_v), "The bias correction uses t - 1: t is the number of this update (1 for the first).")]
                        if t > 1
                        else []
                    ),
                    ((update(new_m, bad_v, t), new_m, bad_v), "v should average the *squared* gradient: v = beta_2·v + (1 - beta_2)·grad²."),
                    ((p - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * new_m / (new_v + eps), new_m, new_v), "The square root of v is missing in the denominator."),
                    ((2 * p - update(new_m, new_v, t), new_m, new_v), "The step goes uphill: subtract the update from the parameter."),
                    ((update(swapped_m, new_v, t), swapped_m, new_v), "beta_1 and 1 - beta_1 are swapped: m = beta_1·m + (1 - beta_1)·grad."),
                ),
            )
        )
    return check_cases("adam_step", fn, cases)
