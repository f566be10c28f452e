"""NumPy reference activations, forward and backward: ReLU, leaky ReLU, sigmoid, tanh and softmax.

Each comes as the plain function (``relu(x)``) and as a layer pair in the style of
:mod:`prodimg_lib.reference.cnn`: ``out, cache = relu_forward(x)`` and
``dx = relu_backward(dout, cache)``, with ``dout = dL/dout``. Computations are done in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "relu",
    "relu_forward",
    "relu_backward",
    "leaky_relu",
    "leaky_relu_forward",
    "leaky_relu_backward",
    "sigmoid",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh",
    "tanh_forward",
    "tanh_backward",
    "softmax",
    "softmax_forward",
    "softmax_backward",
]

Cache = dict[str, Any]


def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)`` elementwise; output range ``[0, inf)``."""
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, Cache]:
    """ReLU and its cache (any shape)."""
    x = np.asarray(x, dtype=np.float64)
    return relu(x), {"x": x}


def relu_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """``dout`` where ``x > 0``, else 0 (the kink at 0 gets gradient 0, as in Keras)."""
    return np.asarray(dout, dtype=np.float64) * (cache["x"] > 0)


def leaky_relu(x: np.ndarray, alpha: float = 0.2) -> np.ndarray:
    """``x`` for ``x > 0``, ``alpha * x`` otherwise; output range ``(-inf, inf)``.

    ``alpha`` is the slope for negative inputs. Keras calls it ``negative_slope``
    (``alpha`` in Keras 2, now deprecated) and the defaults differ: the layer
    ``keras.layers.LeakyReLU()`` uses ``negative_slope=0.3``, while the function
    ``keras.activations.leaky_relu`` uses 0.2, as here. Pass the slope explicitly.
    """
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * x)


def leaky_relu_forward(x: np.ndarray, alpha: float = 0.2) -> tuple[np.ndarray, Cache]:
    """Leaky ReLU (see :func:`leaky_relu`) and its cache."""
    x = np.asarray(x, dtype=np.float64)
    return leaky_relu(x, alpha), {"x": x, "alpha": alpha}


def leaky_relu_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """``dout`` where ``x > 0``, ``alpha * dout`` elsewhere."""
    return np.asarray(dout, dtype=np.float64) * np.where(cache["x"] > 0, 1.0, cache["alpha"])


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))``, computed without overflow; output range ``(0, 1)``."""
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-np.abs(x))  # in (0, 1], never overflows
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, Cache]:
    """Sigmoid and its cache (the output itself)."""
    out = sigmoid(x)
    return out, {"out": out}


def sigmoid_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """``dout * s * (1 - s)`` with ``s = sigmoid(x)``."""
    s = cache["out"]
    return np.asarray(dout, dtype=np.float64) * s * (1.0 - s)


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent; output range ``(-1, 1)``."""
    return np.tanh(np.asarray(x, dtype=np.float64))


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, Cache]:
    """tanh and its cache (the output itself)."""
    out = tanh(x)
    return out, {"out": out}


def tanh_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """``dout * (1 - tanh(x)**2)``."""
    return np.asarray(dout, dtype=np.float64) * (1.0 - cache["out"] ** 2)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: ``exp(z_i) / sum_j exp(z_j)``.

    Subtracting the maximum first leaves the result unchanged and keeps ``exp`` from
    overflowing on large logits. Every output is in ``(0, 1]``, never exactly 0 in
    exact arithmetic (float64 only rounds it to 0 when logits differ by more than ~745),
    and each slice sums to 1; the softmax of a single logit is 1.
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_forward(z: np.ndarray, axis: int = -1) -> tuple[np.ndarray, Cache]:
    """Softmax and its cache (the output and the axis)."""
    out = softmax(z, axis)
    return out, {"out": out, "axis": axis}


def softmax_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """Jacobian-vector product of softmax without building the Jacobian.

    The Jacobian is ``J = diag(s) - s s^T``, so ``J @ dout = s * (dout - sum(dout * s))``
    (sum along the softmax axis).
    """
    s, axis = cache["out"], cache["axis"]
    dout = np.asarray(dout, dtype=np.float64)
    return s * (dout - np.sum(dout * s, axis=axis, keepdims=True))
