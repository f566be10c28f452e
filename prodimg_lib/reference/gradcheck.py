"""Numerical gradient checking: compare a backward pass with central differences (notebooks 01 and 03)."""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "gradient_check"]


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function: ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``.

    Args:
        f: takes an array shaped like ``x`` and returns a number (e.g. a loss).
        x: point where the gradient is taken (copied to float64, never modified).
        eps: step; 1e-5 balances truncation error (~eps**2) and rounding error (~1e-16/eps).

    Returns:
        Array of ``x``'s shape. Costs ``2 * x.size`` calls of ``f``: use small inputs.
    """
    x = np.array(x, dtype=np.float64)  # a private copy we may perturb
    grad = np.zeros_like(x)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + eps
        f_plus = float(f(x))
        flat_x[i] = old - eps
        f_minus = float(f(x))
        flat_x[i] = old
        flat_g[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference between two gradients, relative to their size.

    ``max_i |a_i - b_i| / max_i max(|a_i|, |b_i|)`` (0 when both are all zeros). Dividing by
    the largest entry rather than entry by entry keeps entries that are close to 0 in both
    arrays (where the finite-difference round-off dominates) from causing false alarms. In
    float64 a correct backward pass gives about 1e-9 or less; 1e-3 or more means a bug.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}.")
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    if scale == 0.0:
        return 0.0
    return float(np.max(np.abs(a - b)) / scale)


def gradient_check(f: Callable[[np.ndarray], float], x: np.ndarray, analytic_grad: np.ndarray, eps: float = 1e-5) -> float:
    """Compare an analytic gradient of ``f`` at ``x`` with :func:`numerical_gradient`.

    To check a layer's backward pass, pick a random ``dout`` and use
    ``f = lambda x: np.sum(layer_forward(x)[0] * dout)``, whose gradient is exactly
    what ``layer_backward(dout, cache)`` returns.

    Returns:
        The maximum relative error (see :func:`relative_error`); < 1e-6 is a pass.
    """
    return relative_error(analytic_grad, numerical_gradient(f, x, eps))
