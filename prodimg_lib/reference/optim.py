"""Gradient-descent optimisers on NumPy parameters, a linear-regression playground, checkers.

The update functions are pure: they return new parameters (and a new optimizer
state) and never modify their inputs. ``params`` and ``grads`` are either one
array or a list of arrays (one per parameter tensor, like a Keras model's
``trainable_variables``); the result has the same form.

:func:`momentum_step` and :func:`adam_step` follow ``keras.optimizers.SGD`` and
``keras.optimizers.Adam`` (Keras 3) exactly, so a notebook can compare them with Keras:

* SGD with momentum: ``v <- momentum*v - lr*g`` then ``p <- p + v``
  (Nesterov: ``p <- p + momentum*v_new - lr*g``).
* Adam: ``m <- m + (1-beta_1)(g - m)``, ``v <- v + (1-beta_2)(g² - v)``,
  ``alpha = lr*sqrt(1 - beta_2**t)/(1 - beta_1**t)``, ``p <- p - alpha*m/(sqrt(v) + epsilon)``
  with ``t`` = 1 on the first update. This differs from the paper's
  ``lr*m_hat/(sqrt(v_hat) + epsilon)`` only in where epsilon enters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Literal, Sequence, Union

import numpy as np


__all__ = [
    "gd_step",
    "sgd_step",
    "minibatches",
    "MomentumState",
    "momentum_step",
    "AdamState",
    "adam_step",
    "make_linear_data",
    "linear_loss",
    "linear_grad",
    "TrainResult",
    "train",
    "OPTIMIZERS",
]

Params = Union[np.ndarray, Sequence[np.ndarray]]
OptimizerName = Literal["gd", "sgd", "momentum", "adam"]
OPTIMIZERS: tuple[str, ...] = ("gd", "sgd", "momentum", "adam")


# --------------------------------------------------------------------------- helpers


def _as_list(params: Any) -> tuple[list[np.ndarray], bool]:
    """``(list of float64 arrays, was_single)``: a list/tuple is several tensors, anything else one."""
    if isinstance(params, (list, tuple)):
        return [np.array(p, dtype=np.float64) for p in params], False
    return [np.array(params, dtype=np.float64)], True


def _params_and_grads(params: Params, grads: Params) -> tuple[list[np.ndarray], list[np.ndarray], bool]:
    ps, single = _as_list(params)
    gs, _ = _as_list(grads)
    if len(ps) != len(gs):
        raise ValueError(f"got {len(ps)} parameter arrays but {len(gs)} gradient arrays.")
    for i, (p, g) in enumerate(zip(ps, gs)):
        if p.shape != g.shape:
            raise ValueError(f"parameter {i} has shape {p.shape} but its gradient has shape {g.shape}.")
    return ps, gs, single


def _state_list(name: str, arrays: list[np.ndarray], params: list[np.ndarray]) -> list[np.ndarray]:
    if len(arrays) != len(params) or any(a.shape != p.shape for a, p in zip(arrays, params)):
        raise ValueError(f"the optimizer state's {name} do not match the parameters' shapes.")
    return arrays


def _out(ps: list[np.ndarray], single: bool) -> Params:
    return ps[0] if single else ps


def _check_nonneg(**values: float) -> None:
    for name, value in values.items():
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0, got {value}.")


def _check_beta(**values: float) -> None:
    for name, value in values.items():
        if not 0 <= value < 1:
            raise ValueError(f"{name} must be in [0, 1), got {value}.")


# --------------------------------------------------------------------------- optimisers


def gd_step(params: Params, grads: Params, lr: float) -> Params:
    """One gradient-descent step ``p <- p - lr*g`` (``keras.optimizers.SGD()`` without momentum).

    Args:
        params: an array, or a list of arrays.
        grads: gradients of the loss, same structure and shapes as ``params``.
        lr: learning rate, >= 0.
    Returns:
        The new parameters, same structure as ``params``.
    """
    _check_nonneg(lr=lr)
    ps, gs, single = _params_and_grads(params, grads)
    return _out([p - lr * g for p, g in zip(ps, gs)], single)


def sgd_step(params: Params, grads: Params, lr: float) -> Params:
    """Stochastic gradient descent step: the same update as :func:`gd_step`.

    The difference is only where ``grads`` come from: the gradient of the loss on a
    mini-batch (see :func:`minibatches`) instead of the whole data set.
    """
    return gd_step(params, grads, lr)


def minibatches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    seed: int | np.random.Generator | None = 0,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(x_batch, y_batch)`` for one epoch, in a shuffled order.

    Args:
        x: inputs, shape (n, ...).
        y: targets, shape (n, ...).
        batch_size: samples per batch, >= 1. The last batch is smaller when
            ``batch_size`` does not divide n (unless ``drop_last``).
        seed: an int seed (the same seed gives the same order) or a
            ``numpy.random.Generator`` (reuse one Generator for a new order every epoch).
        drop_last: skip the last, incomplete batch.
    Yields:
        Batches of shape (batch_size, ...); every sample appears exactly once per epoch.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}.")
    if len(x) == 0:
        raise ValueError("x and y are empty.")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    order = rng.permutation(len(x))
    stop = len(x) - len(x) % batch_size if drop_last else len(x)
    for start in range(0, stop, int(batch_size)):
        idx = order[start : start + int(batch_size)]
        yield x[idx], y[idx]


@dataclass(frozen=True)
class MomentumState:
    """State of SGD with momentum: one velocity array per parameter (Keras's ``momentums``)."""

    velocities: list[np.ndarray]

    @classmethod
    def zeros_like(cls, params: Params) -> "MomentumState":
        ps, _ = _as_list(params)
        return cls([np.zeros_like(p) for p in ps])


def momentum_step(
    params: Params,
    grads: Params,
    state: MomentumState | None = None,
    lr: float = 0.01,
    momentum: float = 0.9,
    nesterov: bool = False,
) -> tuple[Params, MomentumState]:
    """One step of SGD with momentum, exactly as ``keras.optimizers.SGD(lr, momentum, nesterov)``.

    ``v <- momentum*v - lr*g``; then ``p <- p + v`` (or, with Nesterov,
    ``p <- p + momentum*v - lr*g`` using the new ``v``). The velocity already contains
    the learning rate and points downhill.

    Args:
        params: an array or a list of arrays.
        grads: same structure and shapes.
        state: the previous state, or None for zero velocities (the first step).
        lr: learning rate, >= 0 (Keras default 0.01).
        momentum: in [0, 1); 0 gives plain gradient descent.
        nesterov: use Nesterov momentum.
    Returns:
        ``(new_params, new_state)``.
    """
    _check_nonneg(lr=lr)
    _check_beta(momentum=momentum)
    ps, gs, single = _params_and_grads(params, grads)
    state = state if state is not None else MomentumState.zeros_like(ps)
    vs = _state_list("velocities", [np.asarray(v, dtype=np.float64) for v in state.velocities], ps)
    new_vs = [momentum * v - lr * g for v, g in zip(vs, gs)]
    if nesterov:
        new_ps = [p + momentum * v - lr * g for p, v, g in zip(ps, new_vs, gs)]
    else:
        new_ps = [p + v for p, v in zip(ps, new_vs)]
    return _out(new_ps, single), MomentumState(new_vs)


@dataclass(frozen=True)
class AdamState:
    """State of Adam: first moments ``m``, second moments ``v`` (one array per parameter)
    and ``t``, the number of updates done so far."""

    m: list[np.ndarray]
    v: list[np.ndarray]
    t: int = 0

    @classmethod
    def zeros_like(cls, params: Params) -> "AdamState":
        ps, _ = _as_list(params)
        return cls([np.zeros_like(p) for p in ps], [np.zeros_like(p) for p in ps], 0)


def adam_step(
    params: Params,
    grads: Params,
    state: AdamState | None = None,
    lr: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
) -> tuple[Params, AdamState]:
    """One Adam step, exactly as ``keras.optimizers.Adam`` (Keras 3, ``amsgrad=False``).

    With ``t = state.t + 1``::

        m <- m + (1 - beta_1) * (g - m)           # = beta_1*m + (1-beta_1)*g
        v <- v + (1 - beta_2) * (g**2 - v)
        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        p <- p - alpha * m / (sqrt(v) + epsilon)

    Args:
        params: an array or a list of arrays.
        grads: same structure and shapes.
        state: the previous state, or None for zeros (the first step).
        lr: learning rate, >= 0 (Keras default 0.001).
        beta_1, beta_2: decay rates of the moment estimates, in [0, 1).
        epsilon: small constant added to ``sqrt(v)``, >= 0 (Keras default 1e-7).
    Returns:
        ``(new_params, new_state)``; each parameter moves by at most about ``lr``
        per step in the first steps.
    """
    _check_nonneg(lr=lr, epsilon=epsilon)
    _check_beta(beta_1=beta_1, beta_2=beta_2)
    ps, gs, single = _params_and_grads(params, grads)
    state = state if state is not None else AdamState.zeros_like(ps)
    ms = _state_list("m", [np.asarray(m, dtype=np.float64) for m in state.m], ps)
    vs = _state_list("v", [np.asarray(v, dtype=np.float64) for v in state.v], ps)
    t = state.t + 1
    alpha = lr * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
    new_ms = [m + (1.0 - beta_1) * (g - m) for m, g in zip(ms, gs)]
    new_vs = [v + (1.0 - beta_2) * (g * g - v) for v, g in zip(vs, gs)]
    new_ps = [p - alpha * m / (np.sqrt(v) + epsilon) for p, m, v in zip(ps, new_ms, new_vs)]
    return _out(new_ps, single), AdamState(new_ms, new_vs, t)


# --------------------------------------------------------------------------- linear regression


def _xy(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D arrays of the same length, got shapes {x.shape} and {y.shape}.")
    if x.size == 0:
        raise ValueError("x and y are empty.")
    return x, y


def make_linear_data(
    n: int = 100,
    true_w: float = 2.0,
    true_b: float = -1.0,
    noise: float = 0.1,
    seed: int = 0,
    x_range: tuple[float, float] = (-1.0, 1.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Data for ``y = true_w * x + true_b + noise * N(0, 1)``.

    Args:
        n: number of samples, >= 1.
        noise: standard deviation of the Gaussian noise, >= 0 (0: exact line).
        seed: seed of the NumPy Generator (same seed, same data).
        x_range: ``x`` is uniform in this interval.
    Returns:
        ``(x, y)``, both of shape (n,).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}.")
    _check_nonneg(noise=noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(x_range[0], x_range[1], size=n)
    y = true_w * x + true_b + noise * rng.standard_normal(n)
    return x, y


def linear_loss(w: Any, b: Any, x: Any, y: Any) -> np.ndarray | float:
    """Loss ``mean(½ (y - (w x + b))²)`` of the model ``w x + b``.

    Args:
        w, b: numbers, or arrays of the same shape (e.g. a grid from ``np.meshgrid``
            for a contour plot): the loss is computed for each pair.
        x, y: data, shape (n,).
    Returns:
        A float for scalar ``w, b``, otherwise an array of their shape; values >= 0.
    """
    x, y = _xy(x, y)
    w, b = np.broadcast_arrays(np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64))
    residual = y - (w[..., None] * x + b[..., None])
    loss = np.mean(0.5 * residual**2, axis=-1)
    return float(loss) if loss.ndim == 0 else loss


def linear_grad(w: float, b: float, x: Any, y: Any) -> tuple[float, float]:
    """Gradient of :func:`linear_loss` with respect to ``(w, b)``.

    With the residual ``r = y - (w x + b)``: ``d/dw ½r² = -r·x`` and ``d/db ½r² = -r``,
    so ``dL/dw = -mean(r·x)`` and ``dL/db = -mean(r)``. (The factor ``x`` in ``dL/dw``
    comes from the chain rule; the source article leaves it out.)

    Args:
        w, b: numbers.
        x, y: data, shape (n,).
    Returns:
        ``(dL/dw, dL/db)`` as floats.
    """
    x, y = _xy(x, y)
    r = y - (w * x + b)
    return float(-np.mean(r * x)), float(-np.mean(r))


@dataclass(frozen=True)
class TrainResult:
    """The result of :func:`train`.

    Attributes:
        optimizer: the optimizer's name.
        path: parameters ``(w, b)`` before each step and after the last, shape (steps + 1, 2).
        loss: full-data :func:`linear_loss` at each point of ``path``, shape (steps + 1,).
    """

    optimizer: str
    path: np.ndarray
    loss: np.ndarray

    @property
    def w(self) -> np.ndarray:
        return self.path[:, 0]

    @property
    def b(self) -> np.ndarray:
        return self.path[:, 1]


def train(
    optimizer: OptimizerName,
    x: Any,
    y: Any,
    *,
    steps: int = 100,
    lr: float = 0.1,
    batch_size: int | None = None,
    seed: int = 0,
    w0: float = 0.0,
    b0: float = 0.0,
    momentum: float = 0.9,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
) -> TrainResult:
    """Fit ``y ≈ w x + b`` with one of the optimisers, recording the path for plotting.

    Args:
        optimizer: ``"gd"`` (full batch), ``"sgd"`` (mini-batches), ``"momentum"`` or ``"adam"``.
        x, y: data, shape (n,).
        steps: number of parameter updates.
        lr: learning rate.
        batch_size: samples per gradient; None means the whole data set, except for
            ``"sgd"`` where None means 1. ``"gd"`` always uses the whole data set.
        seed: seed of the mini-batch order (reshuffled every epoch).
        w0, b0: starting point.
        momentum: for ``"momentum"``; ``beta_1, beta_2, epsilon``: for ``"adam"``.
    Returns:
        A :class:`TrainResult` with the path, shape (steps + 1, 2), and the loss history.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}.")
    if optimizer == "gd" and batch_size is not None:
        raise ValueError("'gd' uses the whole data set; use 'sgd' for mini-batches.")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}.")
    x, y = _xy(x, y)
    if optimizer == "sgd" and batch_size is None:
        batch_size = 1
    rng = np.random.default_rng(seed)

    def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        while True:
            if batch_size is None:
                yield x, y
            else:
                yield from minibatches(x, y, batch_size, rng)

    theta = np.array([w0, b0], dtype=np.float64)
    m_state: MomentumState | None = None
    a_state: AdamState | None = None
    path = [theta]
    stream = batches()
    for _ in range(steps):
        xb, yb = next(stream)
        grad = np.array(linear_grad(theta[0], theta[1], xb, yb))
        if optimizer in ("gd", "sgd"):
            theta = gd_step(theta, grad, lr)
        elif optimizer == "momentum":
            theta, m_state = momentum_step(theta, grad, m_state, lr, momentum)
        else:
            theta, a_state = adam_step(theta, grad, a_state, lr, beta_1, beta_2, epsilon)
        path.append(theta)
    path_arr = np.stack(path)
    return TrainResult(optimizer, path_arr, np.asarray(linear_loss(path_arr[:, 0], path_arr[:, 1], x, y)).reshape(-1))


# --------------------------------------------------------------------------- checkers


