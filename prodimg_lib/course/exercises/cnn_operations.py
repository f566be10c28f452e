"""The exercise checkers of notebook 03 (cnn operations).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

from typing import Any, Callable
import numpy as np

from prodimg_lib.reference.activations import softmax
from prodimg_lib.reference.cnn import avgpool_forward, conv2d_backward, conv2d_forward, conv_output_size, maxpool_forward
from prodimg_lib.course.exercises.checking import CheckResult, compare_arrays, failed, passed, run_answer, run_candidate


def _first(value: Any) -> Any:
    """Accept both ``out`` and ``(out, cache)`` from a learner's forward function."""
    if isinstance(value, tuple) and len(value) == 2:
        return value[0]
    return value


def _close(got: np.ndarray, expected: np.ndarray) -> bool:
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=1e-5, atol=1e-6))


def _to_array(value: Any) -> np.ndarray | None:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _call(name: str, fn: Callable[..., Any] | None, *args: Any) -> tuple[Any, CheckResult | None]:
    """Run a learner's function; a ``None`` result (an unfinished ``...`` body, or a missing
    ``return``) is reported as such instead of as a wrong shape."""
    got, error = run_candidate(name, fn, *args)
    if error is None and got is None:
        return None, failed(f"{name} returned None: its body is still empty (`...`) or it has no `return` statement.")
    return got, error


def check_conv2d(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(x, w, b)``: stride 1, 'valid' padding, NHWC, Keras kernel layout.

    ``x`` is ``(N, H, W, C_in)``, ``w`` ``(kh, kw, C_in, C_out)``, ``b`` ``(C_out,)``; the
    function returns ``(N, H-kh+1, W-kw+1, C_out)`` (or ``(out, cache)``).
    """
    rng = np.random.default_rng(0)
    cases = [
        (np.arange(25.0).reshape(1, 5, 5, 1), np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, 0.0]])[:, :, None, None], np.array([0.5])),
        (rng.normal(size=(2, 6, 7, 3)), rng.normal(size=(3, 2, 3, 4)), rng.normal(size=4)),
    ]
    for x, w, b in cases:
        got, error = _call("your conv2d", fn, x.copy(), w.copy(), b.copy())
        if error is not None:
            return error
        got_arr = _to_array(_first(got))
        if got_arr is None:
            return failed(f"your conv2d should return an array, got {type(got).__name__}.")
        expected = conv2d_forward(x, w, b)[0]
        if _close(got_arr, expected):
            continue
        n, h, wd, _ = x.shape
        kh, kw, _, c_out = w.shape
        if got_arr.shape == (n, c_out) + expected.shape[1:3]:
            return failed("the output is channels-first (N, C, H, W); Keras uses channels-last (N, H, W, C).")
        if got_arr.shape == (n, h, wd, c_out):
            return failed(f"the output has the input's size {h}x{wd}: that is 'same' padding. With 'valid' padding it is {h - kh + 1}x{wd - kw + 1}.")
        if got_arr.shape != expected.shape:
            return failed(f"your conv2d returned shape {got_arr.shape}, expected {expected.shape} = (N, H-kh+1, W-kw+1, C_out).")
        if _close(got_arr, conv2d_forward(x, w[::-1, ::-1], b)[0]):
            return failed("you flipped the kernel (a mathematical convolution). Keras' Conv2D does not flip it: "
                          "it computes a cross-correlation, sum(patch * w).")
        if _close(got_arr, conv2d_forward(x, w, np.zeros_like(b))[0]):
            return failed("the values are right except for the bias: add b[o] to every output of filter o.")
        return compare_arrays("your conv2d output", got_arr, expected)
    return passed("your convolution matches keras.layers.Conv2D (stride 1, 'valid').")


def check_output_size(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(n, k, stride, padding)`` for ``padding`` in ``{"valid", "same"}``."""
    cases = [(28, 3, 1, "valid"), (28, 3, 1, "same"), (28, 5, 2, "valid"), (28, 5, 2, "same"),
             (7, 2, 2, "valid"), (7, 2, 2, "same"), (32, 1, 3, "valid"), (5, 5, 1, "valid")]
    for n, k, s, p in cases:
        got, error = _call("your output-size function", fn, n, k, s, p)
        if error is not None:
            return error
        expected = conv_output_size(n, k, s, p)
        call = f"n={n}, k={k}, stride={s}, padding='{p}'"
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
            return failed(f"for {call} it should return a whole number, got {got!r}.")
        if got == expected:
            continue
        if not float(got).is_integer():
            return failed(f"for {call} you returned {got}: an output size is a whole number; round down with // (valid) or up (same).")
        if p == "same" and got == n and s > 1:
            return failed(f"for {call} you returned {got}: 'same' keeps the size only for stride 1; in general it is ceil(n / stride) = {expected}.")
        if p == "same":
            return failed(f"for {call} you returned {got}, expected ceil(n / stride) = {expected}. With 'same' the kernel size does not matter.")
        if got == n - k + 1 and s > 1:
            return failed(f"for {call} you returned {got}: divide by the stride, floor((n - k) / stride) + 1 = {expected}.")
        if got == expected - 1:
            return failed(f"for {call} you returned {got}: don't forget the + 1 (the first window), floor((n - k) / stride) + 1 = {expected}.")
        return failed(f"for {call} you returned {got}, expected floor((n - k) / stride) + 1 = {expected}.")
    return passed("your formula gives the same sizes as Keras for 'valid' and 'same' padding.")


def check_maxpool(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(x, pool_size, stride)`` for ``x`` of shape ``(N, H, W, C)``, 'valid' padding."""
    rng = np.random.default_rng(1)
    cases = [(np.arange(16.0).reshape(1, 4, 4, 1), 2, 2), (rng.normal(size=(2, 7, 6, 3)), 2, 2), (rng.normal(size=(1, 7, 7, 2)), 3, 2)]
    for x, pool, stride in cases:
        got, error = _call("your max pooling", fn, x.copy(), pool, stride)
        if error is not None:
            return error
        got_arr = _to_array(_first(got))
        if got_arr is None:
            return failed(f"your max pooling should return an array, got {type(got).__name__}.")
        expected = maxpool_forward(x, pool, stride)[0]
        if _close(got_arr, expected):
            continue
        n, h, w, c = x.shape
        if got_arr.shape == (n, -(-h // stride), -(-w // stride), c) and got_arr.shape != expected.shape:
            return failed(f"for a {h}x{w} input you returned {got_arr.shape[1]}x{got_arr.shape[2]}: Keras' default 'valid' "
                          f"pooling drops the leftover rows/columns, giving {expected.shape[1]}x{expected.shape[2]}.")
        if got_arr.shape[:3] == expected.shape[:3] and got_arr.shape[3] != c:
            return failed(f"your output has {got_arr.shape[3]} channel(s) instead of {c}: pool each channel separately (over height and width only).")
        if got_arr.shape != expected.shape:
            return failed(f"your max pooling returned shape {got_arr.shape}, expected {expected.shape}.")
        if _close(got_arr, avgpool_forward(x, pool, stride)[0]):
            return failed("you computed the average of each window; max pooling takes the maximum.")
        return compare_arrays("your max pooling output", got_arr, expected)
    return passed("your max pooling matches keras.layers.MaxPooling2D.")


def check_softmax(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(z)``: softmax over the last axis of ``z`` (shape ``(N, K)``)."""
    cases = [
        np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0], [-1.0, 3.0, 0.5]]),
        np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]]),
        np.array([[5.0], [-3.0]]),
    ]
    for z in cases:
        with np.errstate(all="ignore"):  # a naive exp(1000) overflows: report it, don't warn
            got, error = _call("your softmax", fn, z.copy())
        if error is not None:
            return error
        got_arr = _to_array(got)
        if got_arr is None:
            return failed(f"your softmax should return an array, got {type(got).__name__}.")
        expected = softmax(z)
        if _close(got_arr, expected):
            continue
        if got_arr.shape != expected.shape:
            return failed(f"your softmax returned shape {got_arr.shape}, expected {expected.shape}: "
                          "keep the shape (use keepdims=True in the sum).")
        if not np.all(np.isfinite(got_arr)) and np.max(np.abs(z)) < 100:
            return failed(f"for logits {z.tolist()} your softmax gives NaN or inf values.")
        if not np.all(np.isfinite(got_arr)):
            return failed(f"for logits {z[0].tolist()} your softmax gives NaN or inf: exp overflows. "
                          "Subtract the maximum logit first (z - z.max(axis=-1, keepdims=True)); the result does not change.")
        with np.errstate(all="ignore"):
            if _close(got_arr, softmax(z, axis=0)):
                return failed("you normalised over the wrong axis (columns sum to 1): use axis=-1, one distribution per row.")
            if _close(got_arr, np.exp(z) / np.exp(z).sum()):
                return failed("you divided by the sum of the whole array: sum each row, np.sum(e, axis=-1, keepdims=True).")
            if _close(got_arr, np.exp(z) / np.exp(z).sum(axis=-1)[None, :]):
                return failed("the row sums are broadcast along the wrong axis: use np.sum(e, axis=-1, keepdims=True).")
        if not np.allclose(got_arr.sum(axis=-1), 1.0):
            return failed("your rows do not sum to 1: divide the exponentials by their sum over the last axis.")
        if z.shape[1] == 1:
            return failed("the softmax of a single logit must be 1 (one class gets all the probability).")
        return compare_arrays("your softmax output", got_arr, expected)
    return passed("your softmax is correct and numerically stable.")


def check_dense(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(x, w, b)``: ``x (N, D)``, Keras kernel ``w (D, M)``, ``b (M,)`` -> ``(N, M)``."""
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=5)
    got, error = _call("your dense layer", fn, x.copy(), w.copy(), b.copy())
    if error is not None:
        return error
    got_arr = _to_array(_first(got))
    if got_arr is None:
        return failed(f"your dense layer should return an array, got {type(got).__name__}.")
    expected = x @ w + b
    if _close(got_arr, expected):
        return passed("your dense layer matches keras.layers.Dense.")
    if got_arr.shape == expected.T.shape:
        return failed("your output is transposed: with the Keras layout it is x @ w + b, shape (N, M).")
    if _close(got_arr, x @ w):
        return failed("you forgot the bias b.")
    return compare_arrays("your dense output", got_arr, expected)


# --------------------------------------------------------------------------- Keras and backward-pass exercises


def _keras_layers(model: Any, kind: type) -> list:
    """The layers of type ``kind`` in a Keras model, nested models included."""
    found, stack = [], [model]
    while stack:
        layer = stack.pop()
        if isinstance(layer, kind):
            found.append(layer)
        stack.extend(getattr(layer, "layers", None) or [])
    return found


def check_keras_feature_map(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(kernel)``: a Keras model, (N, H, W, 1) images -> the 'valid', stride-1 feature map.

    ``kernel`` is a (k, k) NumPy array; the model holds a ``Conv2D(1, k, use_bias=False)``
    whose weights are set to it. The answer is compared with the NumPy reference
    convolution on random 28 x 28 images for three kernels, one of them Sobel x (whose
    flip changes the sign), one random and one of even size.
    """
    import keras

    rng = np.random.default_rng(7)
    images = rng.normal(size=(3, 28, 28, 1)).astype(np.float32)
    sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    kernels = [("the Sobel x kernel (3 x 3)", sobel_x), ("a random 3 x 3 kernel", rng.normal(size=(3, 3))),
               ("a random 2 x 2 kernel", rng.normal(size=(2, 2)))]
    for label, kernel in kernels:
        k = kernel.shape[0]
        model, error = run_answer("keras_feature_map", fn, kernel.copy())
        if error is not None:
            return error
        if isinstance(model, keras.layers.Layer) and not isinstance(model, keras.Model):
            return failed(f"keras_feature_map returned a {type(model).__name__} layer; return a model that holds it, "
                          "e.g. keras.Sequential([keras.Input((None, None, 1)), conv]).")
        if not isinstance(model, keras.Model):
            return failed(f"keras_feature_map should return a keras.Model (or keras.Sequential), got {type(model).__name__}.")
        try:
            got = keras.ops.convert_to_numpy(model(images))
        except Exception as exc:  # the learner's model cannot take the images
            return failed(f"calling your model on a batch of shape {images.shape} raised {type(exc).__name__}: {exc}")
        got = np.asarray(got, dtype=np.float64)
        expected = conv2d_forward(images, kernel[:, :, None, None], np.zeros(1))[0]
        n, h, w, _ = images.shape
        convs = _keras_layers(model, keras.layers.Conv2D)
        with_bias = [c for c in convs if c.use_bias]
        if got.shape == (n, h, w, 1) and got.shape != expected.shape:
            return failed(f"for {label} the feature map is {h} x {w}, the input's size: that is padding='same'. "
                          f"The 'valid' map of a {k} x {k} kernel is {h - k + 1} x {w - k + 1} (Conv2D's default padding).")
        if got.shape[:3] == expected.shape[:3] and got.ndim == 4 and got.shape[3] != 1:
            return failed(f"the feature map has {got.shape[3]} channels: the Conv2D should have one filter, Conv2D(1, {k}).")
        if got.shape != expected.shape:
            return failed(f"for {label} on images of shape {images.shape} your model returned shape {got.shape}, "
                          f"expected {expected.shape} = (N, H - k + 1, W - k + 1, 1) (stride 1, 'valid').")
        if _close32(got, expected):
            if with_bias:
                return failed(f"the values are right, but the Conv2D has a bias (zero for now, and trained later): "
                              f"a feature map of one kernel has none; use Conv2D(1, {k}, use_bias=False).")
            continue
        flipped = conv2d_forward(images, kernel[::-1, ::-1, None, None], np.zeros(1))[0]
        if _close32(got, flipped):
            return failed(f"for {label} your map is the one of the kernel rotated by 180 degrees, a true convolution. "
                          "Conv2D computes a cross-correlation: set the kernel as it is, without flipping it.")
        if _close32(got, conv2d_forward(images, kernel.T[:, :, None, None], np.zeros(1))[0]):
            return failed(f"for {label} your map is the one of the transposed kernel (rows and columns swapped): "
                          "the Conv2D kernel is (k, k, 1, 1) with kernel[u, v] at [u, v, 0, 0], e.g. kernel.reshape(k, k, 1, 1).")
        if _close32(got, np.maximum(expected, 0.0)):
            return failed("the negative values are cut to 0: the Conv2D has a ReLU activation. A feature map here has no activation.")
        offset = got - expected
        if with_bias and np.allclose(offset, offset.flat[0], atol=1e-4):
            return failed(f"your map is off by a constant {offset.flat[0]:.4g}: the bias. Use Conv2D(1, {k}, use_bias=False) "
                          "and set the kernel only.")
        for conv in convs:
            weights = [np.asarray(v) for v in conv.get_weights()]
            if weights and weights[0].shape == (k, k, 1, 1) and not np.allclose(weights[0][:, :, 0, 0], kernel, atol=1e-6) \
                    and not np.allclose(weights[0][:, :, 0, 0], kernel[::-1, ::-1], atol=1e-6) \
                    and not np.allclose(weights[0][:, :, 0, 0], kernel.T, atol=1e-6):
                return failed(f"for {label} the Conv2D's kernel is not the one given (still its random initial weights?): "
                              "set it with conv.set_weights([kernel.reshape(k, k, 1, 1)]) once the layer is built.")
        return failed(f"for {label} your feature map differs from the reference by up to {np.max(np.abs(offset)):.3g}.")
    return passed("your Keras model computes the same feature maps as the NumPy convolution (a cross-correlation).")


def _close32(got: np.ndarray, expected: np.ndarray) -> bool:
    """Equal up to float32 rounding (Keras computes in float32)."""
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=1e-4, atol=1e-4))


def _conv_grads(x: np.ndarray, w: np.ndarray, grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference (dx, dw, db) of a stride-1 'valid' convolution of one image x (H, W, C_in)."""
    _, cache = conv2d_forward(x[None], w, np.zeros(w.shape[3]))
    dx, dw, db = conv2d_backward(grad_out[None], cache)
    return dx[0], dw, db


def check_conv2d_backward(fn: Callable[..., Any] | None) -> CheckResult:
    """Check a learner's ``fn(x, w, grad_out)`` -> ``(dx, dw, db)`` for a stride-1 'valid' convolution.

    ``x`` is (H, W, C_in), ``w`` (k, k, C_in, C_out) and ``grad_out`` = dL/dout
    (H - k + 1, W - k + 1, C_out). The reference is the library's backward pass, itself
    checked against central differences. Every wrong part is named, with the typical
    mistakes of ``dx`` (no padding, no flip).
    """
    rng = np.random.default_rng(8)
    cases = [("a 5 x 6 input with 2 channels and three 3 x 3 filters", (5, 6, 2), (3, 3, 2, 3)),
             ("a 4 x 4 input with 1 channel and one 2 x 2 filter", (4, 4, 1), (2, 2, 1, 1)),
             ("a 7 x 5 input with 3 channels and two 3 x 3 filters", (7, 5, 3), (3, 3, 3, 2))]
    for label, x_shape, w_shape in cases:
        x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
        k = w_shape[0]
        g = rng.normal(size=(x_shape[0] - k + 1, x_shape[1] - k + 1, w_shape[3]))
        got, error = run_answer("conv2d_backward", fn, x.copy(), w.copy(), g.copy())
        if error is not None:
            return error
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return failed(f"conv2d_backward should return three arrays (dx, dw, db), got {type(got).__name__}"
                          f"{f' of length {len(got)}' if isinstance(got, (tuple, list)) else ''}.")
        dx_ref, dw_ref, db_ref = _conv_grads(x, w, g)
        problems = []
        dx, dw, db = (_to_array(v) for v in got)
        if dx is None or not _close(dx, dx_ref):
            problems.append(_dx_problem(dx, dx_ref, x, w, g))
        if dw is None or not _close(dw, dw_ref):
            problems.append(_dw_problem(dw, dw_ref))
        if db is None or not _close(db, db_ref):
            problems.append(_db_problem(db, db_ref, g))
        if problems:
            return failed(f"for {label}: " + " ".join(problems))
    return passed("dx, dw and db are the gradients of the convolution: the backward pass convolves, with the flipped kernel.")


def _dx_problem(dx: np.ndarray | None, dx_ref: np.ndarray, x: np.ndarray, w: np.ndarray, g: np.ndarray) -> str:
    if dx is None:
        return "dx is not an array of numbers."
    h, wd, _ = x.shape
    k = w.shape[0]
    if dx.shape == (h - 2 * (k - 1), wd - 2 * (k - 1), x.shape[2]) or dx.shape[:2] == (h - 2 * (k - 1), wd - 2 * (k - 1)):
        return (f"dx has shape {dx.shape}, smaller than the input {x.shape}: a 'valid' correlation of grad_out shrinks it once more. "
                f"Pad grad_out with k - 1 = {k - 1} zeros on every side (a 'full' convolution) and flip the kernel.")
    if dx.shape != dx_ref.shape:
        return f"dx has shape {dx.shape}, expected the input's shape {dx_ref.shape}."
    if _close(dx, _conv_grads(x, w[::-1, ::-1], g)[0]):
        return ("dx is a 'full' correlation of grad_out with the kernel as it is: the kernel must be flipped "
                "(rotated by 180 degrees), dx is the full *convolution* of grad_out with w, summed over the output channels.")
    if _close(dx, np.zeros_like(dx_ref)):
        return "dx is all zeros."
    return f"dx differs from the reference by up to {np.max(np.abs(dx - dx_ref)):.3g}."


def _dw_problem(dw: np.ndarray | None, dw_ref: np.ndarray) -> str:
    if dw is None:
        return "dw is not an array of numbers."
    if dw.shape == (dw_ref.shape[0], dw_ref.shape[1], dw_ref.shape[3], dw_ref.shape[2]) and dw.shape != dw_ref.shape:
        return f"dw has shape {dw.shape}: the channel axes are swapped, it must be (k, k, C_in, C_out) = {dw_ref.shape}, like w."
    if dw.shape != dw_ref.shape:
        return f"dw has shape {dw.shape}, expected w's shape {dw_ref.shape}."
    if _close(dw, dw_ref[::-1, ::-1]):
        return "dw is flipped (rotated by 180 degrees): dw[u, v, c, o] = sum over i, j of x[i + u, j + v, c] * grad_out[i, j, o], no flip."
    return f"dw differs from the reference by up to {np.max(np.abs(dw - dw_ref)):.3g}."


def _db_problem(db: np.ndarray | None, db_ref: np.ndarray, g: np.ndarray) -> str:
    if db is None:
        return "db is not an array of numbers."
    if db.shape == () and np.isclose(float(db), g.sum()):
        return f"db is one number, the sum of all of grad_out: sum over the positions only, one value per filter, grad_out.sum(axis=(0, 1)) (shape {db_ref.shape})."
    if db.shape != db_ref.shape:
        return f"db has shape {db.shape}, expected one value per filter, {db_ref.shape}."
    if _close(db, g.mean(axis=(0, 1))):
        return "db is the mean of grad_out over the positions: the bias is added at every position, so its gradient is the sum."
    return f"db differs from the reference by up to {np.max(np.abs(db - db_ref)):.3g}."
