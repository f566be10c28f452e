"""Solutions to the exercises of notebook 03 (for teachers; tests run each through its checker)."""

import numpy as np


def conv2d(x, w, b):
    """Exercise 1: convolution (a cross-correlation, as in Keras), stride 1, 'valid' padding.

    x (N, H, W, C_in), w (kh, kw, C_in, C_out), b (C_out,) -> (N, H - kh + 1, W - kw + 1, C_out).
    """
    x, w, b = (np.asarray(a, dtype=np.float64) for a in (x, w, b))
    n, h, wd, _ = x.shape
    kh, kw, _, c_out = w.shape
    out = np.empty((n, h - kh + 1, wd - kw + 1, c_out))
    for i in range(h - kh + 1):
        for j in range(wd - kw + 1):
            patch = x[:, i : i + kh, j : j + kw, :]  # (N, kh, kw, C_in)
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2])) + b
    return out


def output_size(n, k, stride, padding):
    """Exercise 2: output size along one axis, Keras rules for 'valid' and 'same'."""
    if padding == "same":
        return -(-n // stride)  # ceil(n / stride), whatever k
    if padding == "valid":
        return (n - k) // stride + 1
    raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")


def maxpool(x, pool_size, stride):
    """Exercise 3: max pooling, 'valid' padding, each channel separately."""
    x = np.asarray(x, dtype=np.float64)
    n, h, w, c = x.shape
    h_out, w_out = (h - pool_size) // stride + 1, (w - pool_size) // stride + 1
    out = np.empty((n, h_out, w_out, c))
    for i in range(h_out):
        for j in range(w_out):
            window = x[:, i * stride : i * stride + pool_size, j * stride : j * stride + pool_size, :]
            out[:, i, j, :] = window.max(axis=(1, 2))
    return out


def softmax(z):
    """Exercise 4: numerically stable softmax over the last axis."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def keras_feature_map(kernel):
    """Exercise 5: one k x k kernel in a Keras Conv2D (no bias, 'valid', stride 1), weights set by hand.

    Conv2D computes a cross-correlation, so the kernel goes in as it is: kernel[u, v] at [u, v, 0, 0].
    """
    import keras

    k = kernel.shape[0]
    conv = keras.layers.Conv2D(1, k, use_bias=False)
    model = keras.Sequential([keras.Input((None, None, 1)), conv])  # the Input builds the layer
    conv.set_weights([np.asarray(kernel, dtype="float32").reshape(k, k, 1, 1)])
    return model


def conv2d_backward(x, w, grad_out):
    """Exercise 6: gradients of a stride-1 'valid' convolution of one image x (H, W, C_in).

    dw[u, v, c, o] = sum_ij x[i + u, j + v, c] * g[i, j, o]; db[o] = sum_ij g[i, j, o];
    dx is the 'full' convolution of g with w: every input pixel collects from each window it was in.
    """
    x, w, g = (np.asarray(a, dtype=np.float64) for a in (x, w, grad_out))
    k = w.shape[0]
    h_out, w_out, _ = g.shape
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for i in range(h_out):
        for j in range(w_out):
            patch = x[i : i + k, j : j + k, :]  # (k, k, C_in)
            dw += patch[:, :, :, None] * g[i, j][None, None, None, :]
            dx[i : i + k, j : j + k, :] += np.tensordot(w, g[i, j], axes=([3], [0]))  # (k, k, C_in)
    db = g.sum(axis=(0, 1))
    return dx, dw, db


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import cnn_operations as exercises

    return [
        exercises.check_conv2d(conv2d),
        exercises.check_output_size(output_size),
        exercises.check_maxpool(maxpool),
        exercises.check_softmax(softmax),
        exercises.check_keras_feature_map(keras_feature_map),
        exercises.check_conv2d_backward(conv2d_backward),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
