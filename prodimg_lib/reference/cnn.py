"""NumPy reference implementations of the basic CNN operations, forward and backward.

Everything here uses the NHWC layout of Keras: images are ``(N, H, W, C)`` arrays
(batch, height, width, channels) and a convolution kernel is ``(kh, kw, C_in, C_out)``,
exactly the array ``keras.layers.Conv2D(...).get_weights()[0]`` returns. A dense kernel
is ``(D, M)``, like ``keras.layers.Dense``. Computations are done in float64.

Every layer comes as a pair:

* ``out, cache = <op>_forward(x, ...)`` computes the output and keeps what the
  backward pass needs;
* ``grads = <op>_backward(dout, cache)`` takes ``dout = dL/dout`` (same shape as
  ``out``) and returns the gradient of the loss with respect to each input.

The activations (ReLU, sigmoid, tanh, softmax) are in :mod:`.activations`, the numerical
gradient checker in :mod:`.gradcheck`; this module also holds the corrected worked examples of
the source article.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from prodimg_lib.reference.activations import relu, sigmoid, softmax, tanh

__all__ = [
    # shapes
    "conv_output_size",
    "same_padding",
    # layers
    "conv2d_forward",
    "conv2d_backward",
    "maxpool_forward",
    "maxpool_backward",
    "avgpool_forward",
    "avgpool_backward",
    "dense_forward",
    "dense_backward",
    # worked examples
    "worked_example_conv_patch",
    "worked_example_dense_softmax",
]

Cache = dict[str, Any]
IntPair = int | tuple[int, int]


# --------------------------------------------------------------------------- helpers


def _pair(value: IntPair, name: str) -> tuple[int, int]:
    """Turn ``3`` or ``(3, 3)`` into ``(3, 3)``; reject non-positive sizes."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in pair):
        raise ValueError(f"{name} must be a positive integer or a pair of positive integers, got {value!r}.")
    return int(pair[0]), int(pair[1])


def _as_images(x: Any, name: str = "x") -> np.ndarray:
    """Return ``x`` as a float64 ``(N, H, W, C)`` array or raise a clear ValueError."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(
            f"{name} must be a 4-D array (N, H, W, C), got {x.ndim}-D with shape {x.shape}; "
            "add a batch axis with x[None] or a channel axis with x[..., None]."
        )
    return x


def _check_padding(padding: str) -> str:
    padding = padding.lower() if isinstance(padding, str) else padding
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}.")
    return padding


# --------------------------------------------------------------------------- shapes


def conv_output_size(n: int, k: int, stride: int = 1, padding: str | int = "valid") -> int:
    """Size of a convolution or pooling output along one spatial axis.

    Args:
        n: input size (height or width), >= 1.
        k: kernel (or pool) size, >= 1.
        stride: step between windows, >= 1.
        padding: ``"valid"`` (no padding, only full windows: ``floor((n - k) / s) + 1``),
            ``"same"`` (Keras/TensorFlow: ``ceil(n / s)``, whatever ``k``), or an integer
            ``p`` of zeros added on *each* side (the textbook ``(n + 2p - k) // s + 1``).

    Returns:
        The output size, >= 1.

    Raises:
        ValueError: for non-positive sizes, an unknown padding, or a window larger than
            the (padded) input.
    """
    for name, value in (("n", n), ("k", k), ("stride", stride)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if isinstance(padding, str):
        if _check_padding(padding) == "same":
            return -(-n // stride)  # ceil(n / stride) with integers only
        p = 0
    else:
        p = int(padding)
        if p != padding or p < 0:
            raise ValueError(f"padding must be 'valid', 'same' or a non-negative integer, got {padding!r}.")
    if k > n + 2 * p:
        raise ValueError(f"the window ({k}) is larger than the padded input ({n} + 2*{p}); use padding='same' or a smaller kernel.")
    return (n + 2 * p - k) // stride + 1


def same_padding(n: int, k: int, stride: int = 1) -> tuple[int, int]:
    """Zeros added ``(before, after)`` one axis by Keras/TensorFlow ``padding='same'``.

    ``pad_total = max((ceil(n/s) - 1) * s + k - n, 0)``; ``before = pad_total // 2`` and the
    extra zero, when ``pad_total`` is odd (even kernels, strides > 1), goes *after*
    (bottom/right).
    """
    out = -(-n // stride)
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


# --------------------------------------------------------------------------- convolution


def conv2d_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: IntPair = 1, padding: str = "valid"
) -> tuple[np.ndarray, Cache]:
    """2-D convolution as computed by ``keras.layers.Conv2D`` (a cross-correlation).

    ``out[n, i, j, o] = b[o] + sum_{u, v, c} xp[n, i*s + u, j*s + v, c] * w[u, v, c, o]``
    where ``xp`` is the (zero-padded) input. The kernel is *not* flipped.

    Args:
        x: input images, shape ``(N, H, W, C_in)``, any real values.
        w: kernel, shape ``(kh, kw, C_in, C_out)`` (Keras layout).
        b: bias, shape ``(C_out,)``.
        stride: int or ``(sh, sw)``.
        padding: ``"valid"`` or ``"same"`` (Keras/TensorFlow rule, see :func:`same_padding`).

    Returns:
        ``out`` of shape ``(N, H_out, W_out, C_out)`` with sizes from
        :func:`conv_output_size`, and a cache for :func:`conv2d_backward`.
    """
    x = _as_images(x)
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if w.ndim != 4:
        raise ValueError(f"w must be a 4-D kernel (kh, kw, C_in, C_out), got shape {w.shape}.")
    kh, kw, c_in, c_out = w.shape
    if x.shape[3] != c_in:
        raise ValueError(f"channel mismatch: x has {x.shape[3]} channels (last axis) but the kernel expects C_in={c_in}.")
    if b.shape != (c_out,):
        raise ValueError(f"b must have shape ({c_out},) (one bias per filter), got {b.shape}.")
    sh, sw = _pair(stride, "stride")
    padding = _check_padding(padding)
    n, h, wd, _ = x.shape

    if padding == "same":
        pads = (same_padding(h, kh, sh), same_padding(wd, kw, sw))
    else:
        if kh > h or kw > wd:
            raise ValueError(f"kernel {kh}x{kw} is larger than the input {h}x{wd}; with padding='valid' it does not fit.")
        pads = ((0, 0), (0, 0))
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    h_out = (xp.shape[1] - kh) // sh + 1
    w_out = (xp.shape[2] - kw) // sw + 1

    # im2col: cols[n, i, j, u, v, c] = xp[n, i*sh + u, j*sw + v, c], one slice per kernel offset.
    cols = np.empty((n, h_out, w_out, kh, kw, c_in))
    for u in range(kh):
        for v in range(kw):
            cols[:, :, :, u, v, :] = xp[:, u : u + sh * h_out : sh, v : v + sw * w_out : sw, :]
    out = np.tensordot(cols, w, axes=([3, 4, 5], [0, 1, 2])) + b
    cache = {"x_shape": x.shape, "xp_shape": xp.shape, "pads": pads, "stride": (sh, sw), "cols": cols, "w": w}
    return out, cache


def conv2d_backward(dout: np.ndarray, cache: Cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv2d_forward`.

    Args:
        dout: ``dL/dout``, shape ``(N, H_out, W_out, C_out)``.
        cache: the cache returned by the forward pass.

    Returns:
        ``dx`` ``(N, H, W, C_in)``, ``dw`` ``(kh, kw, C_in, C_out)``, ``db`` ``(C_out,)``.
    """
    dout = np.asarray(dout, dtype=np.float64)
    cols, w = cache["cols"], cache["w"]
    kh, kw = w.shape[:2]
    sh, sw = cache["stride"]
    _, h_out, w_out, _ = dout.shape

    db = dout.sum(axis=(0, 1, 2))
    dw = np.tensordot(cols, dout, axes=([0, 1, 2], [0, 1, 2]))  # (kh, kw, C_in, C_out)
    dcols = np.tensordot(dout, w, axes=([3], [3]))  # (N, H_out, W_out, kh, kw, C_in)
    dxp = np.zeros(cache["xp_shape"])
    for u in range(kh):  # col2im: every input pixel collects from every window it was in
        for v in range(kw):
            dxp[:, u : u + sh * h_out : sh, v : v + sw * w_out : sw, :] += dcols[:, :, :, u, v, :]
    (top, _), (left, _) = cache["pads"]
    h, wd = cache["x_shape"][1:3]
    dx = dxp[:, top : top + h, left : left + wd, :]
    return dx, dw, db


# --------------------------------------------------------------------------- pooling


def _pool_windows(x: np.ndarray, pool_size: IntPair, stride: IntPair | None) -> tuple[np.ndarray, Cache]:
    """Stack the pooling windows: returns ``(N, H_out, W_out, ph*pw, C)`` and geometry."""
    x = _as_images(x)
    ph, pw = _pair(pool_size, "pool_size")
    sh, sw = _pair(stride, "stride") if stride is not None else (ph, pw)  # Keras: strides=None -> pool_size
    n, h, wd, c = x.shape
    if ph > h or pw > wd:
        raise ValueError(f"pool {ph}x{pw} is larger than the input {h}x{wd}.")
    h_out, w_out = (h - ph) // sh + 1, (wd - pw) // sw + 1
    windows = np.empty((n, h_out, w_out, ph * pw, c))
    for u in range(ph):
        for v in range(pw):
            windows[:, :, :, u * pw + v, :] = x[:, u : u + sh * h_out : sh, v : v + sw * w_out : sw, :]
    return windows, {"x_shape": x.shape, "pool": (ph, pw), "stride": (sh, sw)}


def _unpool(dwindows: np.ndarray, geo: Cache) -> np.ndarray:
    """Add each window's gradient back to the input pixels it came from (windows may overlap)."""
    (ph, pw), (sh, sw) = geo["pool"], geo["stride"]
    _, h_out, w_out, _, _ = dwindows.shape
    dx = np.zeros(geo["x_shape"])
    for u in range(ph):
        for v in range(pw):
            dx[:, u : u + sh * h_out : sh, v : v + sw * w_out : sw, :] += dwindows[:, :, :, u * pw + v, :]
    return dx


def maxpool_forward(x: np.ndarray, pool_size: IntPair = 2, stride: IntPair | None = None) -> tuple[np.ndarray, Cache]:
    """Max pooling with 'valid' padding, like ``keras.layers.MaxPooling2D``.

    Args:
        x: ``(N, H, W, C)``; each channel is pooled on its own.
        pool_size: int or ``(ph, pw)``.
        stride: int, ``(sh, sw)`` or None (Keras default: equal to ``pool_size``).

    Returns:
        ``out`` ``(N, floor((H-ph)/sh)+1, floor((W-pw)/sw)+1, C)`` and a cache.
        Leftover rows/columns that do not fill a window are dropped.
    """
    windows, geo = _pool_windows(x, pool_size, stride)
    arg = windows.argmax(axis=3)  # position of the max in each window
    out = np.take_along_axis(windows, arg[:, :, :, None, :], axis=3)[:, :, :, 0, :]
    return out, {**geo, "argmax": arg, "window_len": windows.shape[3]}


def maxpool_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """Gradient of max pooling: each window sends ``dout`` to its (first) maximum only.

    Args:
        dout: ``(N, H_out, W_out, C)``. Returns ``dx`` of shape ``(N, H, W, C)``.
    """
    dout = np.asarray(dout, dtype=np.float64)
    mask = np.arange(cache["window_len"])[None, None, None, :, None] == cache["argmax"][:, :, :, None, :]
    return _unpool(mask * dout[:, :, :, None, :], cache)


def avgpool_forward(x: np.ndarray, pool_size: IntPair = 2, stride: IntPair | None = None) -> tuple[np.ndarray, Cache]:
    """Average pooling with 'valid' padding, like ``keras.layers.AveragePooling2D``.

    Same arguments and output shape as :func:`maxpool_forward`.
    """
    windows, geo = _pool_windows(x, pool_size, stride)
    return windows.mean(axis=3), {**geo, "window_len": windows.shape[3]}


def avgpool_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """Gradient of average pooling: each window shares ``dout`` equally among its pixels."""
    dout = np.asarray(dout, dtype=np.float64)
    k = cache["window_len"]
    dwindows = np.broadcast_to(dout[:, :, :, None, :] / k, dout.shape[:3] + (k,) + dout.shape[3:])
    return _unpool(dwindows, cache)


# --------------------------------------------------------------------------- dense


def dense_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Cache]:
    """Fully connected layer ``out = x @ w + b`` like ``keras.layers.Dense`` (no activation).

    Args:
        x: ``(N, D)``; flatten images first (``x.reshape(len(x), -1)``).
        w: ``(D, M)`` (Keras layout: one column per neuron).
        b: ``(M,)``.

    Returns:
        ``out`` ``(N, M)`` and a cache.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (N, D), got shape {x.shape}; flatten images with x.reshape(len(x), -1).")
    if w.ndim != 2 or w.shape[0] != x.shape[1]:
        raise ValueError(f"w must have shape (D, M) with D = {x.shape[1]} inputs, got {w.shape}.")
    if b.shape != (w.shape[1],):
        raise ValueError(f"b must have shape ({w.shape[1]},), got {b.shape}.")
    return x @ w + b, {"x": x, "w": w}


def dense_backward(dout: np.ndarray, cache: Cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`dense_forward`: ``dx (N, D)``, ``dw (D, M)``, ``db (M,)``."""
    dout = np.asarray(dout, dtype=np.float64)
    return dout @ cache["w"].T, cache["x"].T @ dout, dout.sum(axis=0)


# --------------------------------------------------------------------------- worked examples


def worked_example_conv_patch() -> dict[str, Any]:
    """The source article's convolution example, corrected.

    A 3x3 patch of ones under the kernel ``[[1, 0, 1], [1, 0, 1], [1, 0, 1]]`` gives
    ``sum(patch * kernel) = 6`` (six ones meet six ones; the article says 3). Then
    ``ReLU(6) = 6`` and ``sigmoid(6) = 0.9975``.

    The article's written expansion, ``1*1 + 1*0 + 1*1 + 1*0 + 1*1 + 1*0 + 1*1 + 1*0 + 1*1``,
    alternates the kernel factors 1, 0, 1, 0, ... over all nine products, which is not the
    kernel read row by row (1, 0, 1, 1, 0, 1, 1, 0, 1); its terms add up to 5
    (``article_expansion_factors`` and ``article_expansion_sum``).
    """
    patch = np.ones((3, 3))
    kernel = np.array([[1.0, 0.0, 1.0]] * 3)
    value = float(np.sum(patch * kernel))
    article_factors = np.array([1.0, 0.0] * 4 + [1.0])  # the kernel factors as the article writes them
    return {
        "patch": patch,
        "kernel": kernel,
        "conv": value,  # 6.0
        "article_value": 3.0,  # what the source article wrongly states
        "article_expansion_factors": article_factors,
        "article_expansion_sum": float(np.sum(patch.reshape(-1) * article_factors)),  # 5.0
        "relu": float(relu(value)),  # 6.0
        "sigmoid": float(sigmoid(value)),  # 0.99752738
        "tanh": float(tanh(value)),  # 0.99998771
    }


def worked_example_dense_softmax() -> dict[str, Any]:
    """The source article's fully connected example, corrected.

    4 inputs and 3 neurons need a ``(4, 3)`` kernel (Keras layout, ``12`` weights plus
    ``3`` biases) and give **3 logits**, one per neuron; softmax turns them into 3
    probabilities that are all strictly positive and sum to 1. The numbers are chosen
    so the logits are ``[2, 1, 0]``. Softmax of a single logit is always ``[1.0]``.
    """
    x = np.array([1.0, 2.0, -1.0, 0.5])
    w = np.array(
        [
            [0.5, 0.0, 0.0],
            [0.5, 0.5, -0.5],
            [0.0, 0.5, 1.0],
            [1.0, 1.0, 2.0],
        ]
    )
    b = np.array([0.0, 0.0, 1.0])
    logits = x @ w + b  # [2., 1., 0.]
    return {
        "x": x,
        "w": w,
        "b": b,
        "n_params": w.size + b.size,  # 15
        "logits": logits,
        "probs": softmax(logits),  # [0.66524096, 0.24472847, 0.09003057]
        "single_logit_softmax": softmax(np.array([2.0])),  # [1.]
    }
