"""Tests of prodimg_lib.reference.cnn: forward passes against Keras, backward passes against
numerical gradients, shape formulas, input validation, worked examples and checkers."""

from __future__ import annotations

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from prodimg_lib.course.exercises import cnn_operations as exercises  # noqa: E402
from prodimg_lib.reference import activations, cnn, gradcheck  # noqa: E402

ATOL = RTOL = 1e-5  # Keras runs in float32
GRAD_TOL = 1e-6  # our ops run in float64


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def keras_out(layer_or_fn, x32: np.ndarray) -> np.ndarray:
    return keras.ops.convert_to_numpy(layer_or_fn(x32)).astype(np.float64)


def distinct(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Random values at least 0.1 apart (max pooling's argmax must not flip under eps)."""
    size = int(np.prod(shape))
    return (rng(seed).permutation(size) * 0.1 - size * 0.05).reshape(shape)


def away_from_zero(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Random values with |x| >= 0.1 (the ReLU kink must not be crossed under eps)."""
    x = rng(seed).normal(size=shape)
    return np.sign(x) * (np.abs(x) + 0.1)


# --------------------------------------------------------------------------- forward vs Keras

CONV_CASES = [
    # N, H, W, C_in, C_out, k, stride, padding
    (2, 8, 8, 1, 4, 3, 1, "valid"),
    (2, 8, 8, 1, 4, 3, 1, "same"),
    (1, 9, 7, 3, 2, 3, 2, "valid"),
    (1, 9, 7, 3, 2, 3, 2, "same"),
    (2, 6, 6, 2, 3, 1, 1, "valid"),
    (1, 7, 7, 2, 3, 1, 2, "same"),
    (1, 8, 8, 3, 5, 2, 1, "same"),  # even kernel: the extra zero goes bottom/right
    (1, 7, 8, 3, 5, 2, 2, "same"),
    (1, 8, 9, 2, 2, 2, 2, "valid"),
    (1, 10, 10, 2, 4, 5, 1, "valid"),
    (1, 10, 11, 3, 4, 5, 2, "same"),
    (2, 11, 10, 4, 1, 5, 2, "valid"),
    (1, 3, 3, 2, 2, 5, 1, "same"),  # kernel larger than the input is fine with 'same'
]


@pytest.mark.parametrize("n,h,w,c_in,c_out,k,s,padding", CONV_CASES)
def test_conv2d_forward_matches_keras(n, h, w, c_in, c_out, k, s, padding):
    g = rng(k * 100 + s * 10 + c_in)
    x = g.uniform(-1, 1, size=(n, h, w, c_in)).astype(np.float32)
    kernel = g.normal(size=(k, k, c_in, c_out)).astype(np.float32)
    bias = g.normal(size=c_out).astype(np.float32)
    layer = keras.layers.Conv2D(c_out, k, strides=s, padding=padding)
    layer.build((None, h, w, c_in))
    layer.set_weights([kernel, bias])
    expected = keras_out(layer, x)
    got, _ = cnn.conv2d_forward(x, kernel, bias, stride=s, padding=padding)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def test_conv2d_is_cross_correlation_not_flipped():
    x = np.arange(9.0).reshape(1, 3, 3, 1)
    w = np.zeros((3, 3, 1, 1))
    w[0, 0] = 1.0  # picks the top-left pixel of the window
    out, _ = cnn.conv2d_forward(x, w, np.zeros(1))
    assert out.item() == 0.0  # a flipped kernel would pick the bottom-right pixel, 8


def test_conv2d_is_fast_enough():
    x = rng().normal(size=(1, 28, 28, 1))
    w, b = rng(1).normal(size=(3, 3, 1, 8)), np.zeros(8)
    cnn.conv2d_forward(x, w, b)
    start = time.perf_counter()
    for _ in range(10):
        cnn.conv2d_forward(x, w, b, padding="same")
    assert (time.perf_counter() - start) / 10 < 0.02


POOL_CASES = [
    # H, W, C, pool, stride
    (8, 8, 3, 2, None),
    (7, 7, 2, 2, None),  # odd size: the last row and column are dropped
    (9, 8, 2, 3, 2),  # overlapping windows
    (7, 9, 1, 3, 1),
    (6, 7, 2, (2, 3), (1, 2)),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("h,w,c,pool,stride", POOL_CASES)
def test_pooling_matches_keras(kind, h, w, c, pool, stride):
    x = rng(h + w).normal(size=(2, h, w, c)).astype(np.float32)
    layer_cls, fn = {"max": (keras.layers.MaxPooling2D, cnn.maxpool_forward), "avg": (keras.layers.AveragePooling2D, cnn.avgpool_forward)}[kind]
    expected = keras_out(layer_cls(pool_size=pool, strides=stride), x)
    got, _ = fn(x, pool, stride)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("n,d,m", [(1, 4, 3), (5, 7, 2), (3, 16, 10)])
def test_dense_matches_keras(n, d, m):
    g = rng(d)
    x = g.normal(size=(n, d)).astype(np.float32)
    w, b = g.normal(size=(d, m)).astype(np.float32), g.normal(size=m).astype(np.float32)
    layer = keras.layers.Dense(m)
    layer.build((None, d))
    layer.set_weights([w, b])
    got, _ = cnn.dense_forward(x, w, b)
    np.testing.assert_allclose(got, keras_out(layer, x), rtol=RTOL, atol=ATOL)


ACTIVATIONS = {
    "relu": (keras.layers.ReLU(), activations.relu),
    "leaky_relu_0.2": (keras.layers.LeakyReLU(negative_slope=0.2), activations.leaky_relu),
    "leaky_relu_0.3": (keras.layers.LeakyReLU(), lambda x: activations.leaky_relu(x, alpha=0.3)),
    "sigmoid": (keras.activations.sigmoid, activations.sigmoid),
    "tanh": (keras.activations.tanh, activations.tanh),
    "softmax": (keras.layers.Softmax(), activations.softmax),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activations_match_keras(name):
    keras_fn, ours = ACTIVATIONS[name]
    x = (rng(1).normal(size=(4, 3, 5)) * 4).astype(np.float32)
    x[0, 0, :] = [30.0, -30.0, 0.0, 80.0, -80.0]  # saturated and large values
    np.testing.assert_allclose(ours(x), keras_out(keras_fn, x), rtol=RTOL, atol=ATOL)


def test_leaky_relu_defaults_documented():
    assert keras.layers.LeakyReLU().negative_slope == pytest.approx(0.3)  # the layer's default
    x = np.array([-2.0, 3.0])
    np.testing.assert_allclose(activations.leaky_relu(x), keras_out(keras.activations.leaky_relu, x.astype(np.float32)))


def test_softmax_is_stable_and_never_zero():
    z = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]])
    with np.errstate(over="raise", invalid="raise"):  # no overflow warning either
        s = activations.softmax(z)
        assert activations.sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]
    assert np.all(np.isfinite(s)) and np.all(s > 0)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0)
    np.testing.assert_allclose(s[1], 1 / 3)
    assert activations.softmax(np.array([[7.5]])).item() == 1.0


# --------------------------------------------------------------------------- backward vs numerical gradients


def loss_for(forward, dout):
    """Scalar whose gradient with respect to the forward's input is backward(dout)."""
    return lambda *args: float(np.sum(forward(*args)[0] * dout))


@pytest.mark.parametrize(
    "shape,k,s,padding",
    [((2, 5, 6, 2), 3, 1, "valid"), ((2, 5, 6, 2), 3, 1, "same"), ((1, 7, 6, 3), 3, 2, "same"),
     ((1, 6, 7, 2), 2, 2, "valid"), ((1, 6, 6, 2), 2, 2, "same"), ((1, 5, 5, 3), 1, 1, "valid")],
)
def test_conv2d_backward(shape, k, s, padding):
    g = rng(k + s)
    x, w, b = g.normal(size=shape), g.normal(size=(k, k, shape[3], 3)), g.normal(size=3)
    out, cache = cnn.conv2d_forward(x, w, b, stride=s, padding=padding)
    dout = g.normal(size=out.shape)
    dx, dw, db = cnn.conv2d_backward(dout, cache)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    assert gradcheck.gradient_check(lambda x_: np.sum(cnn.conv2d_forward(x_, w, b, s, padding)[0] * dout), x, dx) < GRAD_TOL
    assert gradcheck.gradient_check(lambda w_: np.sum(cnn.conv2d_forward(x, w_, b, s, padding)[0] * dout), w, dw) < GRAD_TOL
    assert gradcheck.gradient_check(lambda b_: np.sum(cnn.conv2d_forward(x, w, b_, s, padding)[0] * dout), b, db) < GRAD_TOL


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape,pool,stride", [((2, 4, 4, 2), 2, None), ((1, 7, 6, 2), 3, 2), ((1, 5, 5, 1), 2, 1)])
def test_pooling_backward(kind, shape, pool, stride):
    forward, backward = {"max": (cnn.maxpool_forward, cnn.maxpool_backward), "avg": (cnn.avgpool_forward, cnn.avgpool_backward)}[kind]
    x = distinct(shape)
    out, cache = forward(x, pool, stride)
    dout = rng(3).normal(size=out.shape)
    dx = backward(dout, cache)
    assert dx.shape == x.shape
    assert gradcheck.gradient_check(lambda x_: np.sum(forward(x_, pool, stride)[0] * dout), x, dx) < GRAD_TOL


def test_dense_backward():
    g = rng(4)
    x, w, b = g.normal(size=(3, 5)), g.normal(size=(5, 4)), g.normal(size=4)
    out, cache = cnn.dense_forward(x, w, b)
    dout = g.normal(size=out.shape)
    dx, dw, db = cnn.dense_backward(dout, cache)
    assert gradcheck.gradient_check(lambda x_: np.sum(cnn.dense_forward(x_, w, b)[0] * dout), x, dx) < GRAD_TOL
    assert gradcheck.gradient_check(lambda w_: np.sum(cnn.dense_forward(x, w_, b)[0] * dout), w, dw) < GRAD_TOL
    assert gradcheck.gradient_check(lambda b_: np.sum(cnn.dense_forward(x, w, b_)[0] * dout), b, db) < GRAD_TOL


@pytest.mark.parametrize(
    "forward,backward",
    [(activations.relu_forward, activations.relu_backward), (activations.leaky_relu_forward, activations.leaky_relu_backward),
     (lambda x: activations.leaky_relu_forward(x, alpha=0.3), activations.leaky_relu_backward),
     (activations.sigmoid_forward, activations.sigmoid_backward), (activations.tanh_forward, activations.tanh_backward),
     (activations.softmax_forward, activations.softmax_backward), (lambda z: activations.softmax_forward(z, axis=0), activations.softmax_backward)],
    ids=["relu", "leaky_relu", "leaky_relu_0.3", "sigmoid", "tanh", "softmax", "softmax_axis0"],
)
def test_activation_backward(forward, backward):
    x = away_from_zero((3, 4), seed=5) * 2
    out, cache = forward(x)
    dout = rng(6).normal(size=out.shape)
    dx = backward(dout, cache)
    assert dx.shape == x.shape
    assert gradcheck.gradient_check(loss_for(forward, dout), x, dx) < GRAD_TOL


def test_gradient_check_catches_wrong_gradients():
    x = rng(7).normal(size=(2, 3))
    out, cache = activations.sigmoid_forward(x)
    dout = np.ones_like(out)
    f = loss_for(activations.sigmoid_forward, dout)
    assert gradcheck.gradient_check(f, x, activations.sigmoid_backward(dout, cache)) < GRAD_TOL
    assert gradcheck.gradient_check(f, x, out * dout) > 1e-2  # forgot the chain rule: s instead of s(1-s)
    assert gradcheck.gradient_check(f, x, activations.sigmoid_backward(dout, cache) * 1.001) > 1e-4


def test_numerical_gradient_leaves_input_alone():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = gradcheck.numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)


# --------------------------------------------------------------------------- output size


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_output_size_matches_keras(padding):
    for n in (5, 6, 7, 8, 28):
        for k in (1, 2, 3, 5):
            for s in (1, 2, 3):
                if padding == "valid" and k > n:
                    continue
                x = np.zeros((1, n, n + 1, 1), dtype=np.float32)
                out = keras.ops.conv(x, np.zeros((k, k, 1, 1), dtype=np.float32), strides=s, padding=padding)
                assert out.shape[1:3] == (cnn.conv_output_size(n, k, s, padding), cnn.conv_output_size(n + 1, k, s, padding)), (n, k, s)
                if padding == "valid":
                    pooled = keras.ops.max_pool(x, pool_size=k, strides=s, padding="valid")
                    assert pooled.shape[1] == cnn.conv_output_size(n, k, s, "valid")


@pytest.mark.parametrize("n,k,s,p", [(28, 3, 1, 1), (32, 3, 2, 1), (7, 5, 2, 2), (5, 3, 1, 0)])
def test_output_size_explicit_padding(n, k, s, p):
    expected = (n + 2 * p - k) // s + 1
    assert cnn.conv_output_size(n, k, s, p) == expected
    x = np.zeros((1, n + 2 * p, n + 2 * p, 1), dtype=np.float32)  # zeros added by hand, then 'valid'
    assert keras.ops.conv(x, np.zeros((k, k, 1, 1), dtype=np.float32), strides=s).shape[1] == expected


def test_output_size_textbook_values():
    assert cnn.conv_output_size(28, 3) == 26
    assert cnn.conv_output_size(28, 5, 2, "same") == 14
    assert cnn.conv_output_size(7, 2, 2, "valid") == 3
    assert cnn.same_padding(8, 2, 1) == (0, 1)  # odd total: the extra zero goes after
    assert cnn.same_padding(7, 3, 2) == (1, 1)


# --------------------------------------------------------------------------- input validation

ONES = np.ones


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: cnn.conv2d_forward(ONES((5, 5, 1)), ONES((3, 3, 1, 2)), ONES(2)), "4-D"),
        (lambda: cnn.conv2d_forward(ONES((1, 5, 5, 3)), ONES((3, 3, 1, 2)), ONES(2)), "channel"),
        (lambda: cnn.conv2d_forward(ONES((1, 5, 5, 1)), ONES((3, 3, 1)), ONES(2)), "4-D kernel"),
        (lambda: cnn.conv2d_forward(ONES((1, 5, 5, 1)), ONES((3, 3, 1, 2)), ONES(3)), "bias|b must"),
        (lambda: cnn.conv2d_forward(ONES((1, 2, 5, 1)), ONES((3, 3, 1, 2)), ONES(2)), "larger than the input"),
        (lambda: cnn.conv2d_forward(ONES((1, 5, 5, 1)), ONES((3, 3, 1, 2)), ONES(2), padding="full"), "padding"),
        (lambda: cnn.conv2d_forward(ONES((1, 5, 5, 1)), ONES((3, 3, 1, 2)), ONES(2), stride=0), "stride"),
        (lambda: cnn.maxpool_forward(ONES((1, 5, 5)), 2), "4-D"),
        (lambda: cnn.maxpool_forward(ONES((1, 1, 5, 1)), 2), "larger than the input"),
        (lambda: cnn.avgpool_forward(ONES((1, 5, 5, 1)), 0), "pool_size"),
        (lambda: cnn.dense_forward(ONES((2, 3, 4)), ONES((12, 2)), ONES(2)), "2-D"),
        (lambda: cnn.dense_forward(ONES((2, 3)), ONES((4, 2)), ONES(2)), r"\(D, M\)"),
        (lambda: cnn.conv_output_size(3, 5, 1, "valid"), "larger"),
        (lambda: cnn.conv_output_size(28, 3, 0, "valid"), "stride"),
        (lambda: cnn.conv_output_size(28, 3, 1, "full"), "padding"),
    ],
)
def test_bad_input_raises_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- worked examples


def test_worked_example_conv_patch():
    ex = cnn.worked_example_conv_patch()
    assert ex["conv"] == 6.0 and ex["article_value"] != ex["conv"]
    assert ex["relu"] == 6.0
    assert ex["sigmoid"] == pytest.approx(0.9975, abs=5e-5)
    assert ex["tanh"] == pytest.approx(0.99998771, abs=1e-8) and ex["tanh"] < 1.0
    # the article's own expansion: nine products, kernel factors alternating 1, 0, ... -> 5
    assert ex["article_expansion_factors"].shape == (9,)
    assert ex["article_expansion_sum"] == 5.0
    assert len({ex["conv"], ex["article_value"], ex["article_expansion_sum"]}) == 3
    np.testing.assert_array_equal(ex["kernel"].reshape(-1), [1, 0, 1, 1, 0, 1, 1, 0, 1])
    out, _ = cnn.conv2d_forward(ex["patch"][None, :, :, None], ex["kernel"][:, :, None, None], np.zeros(1))
    assert out.item() == ex["conv"]


def test_worked_example_dense_softmax():
    ex = cnn.worked_example_dense_softmax()
    assert ex["x"].shape == (4,) and ex["w"].shape == (4, 3) and ex["b"].shape == (3,)
    assert ex["n_params"] == 15
    np.testing.assert_allclose(ex["logits"], [2.0, 1.0, 0.0])
    assert ex["logits"].shape == (3,)
    np.testing.assert_allclose(ex["probs"], [0.66524096, 0.24472847, 0.09003057], atol=1e-8)
    assert np.all(ex["probs"] > 0) and ex["probs"].sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(ex["single_logit_softmax"], [1.0])
    layer = keras.layers.Dense(3, activation="softmax")
    layer.build((None, 4))
    layer.set_weights([ex["w"].astype(np.float32), ex["b"].astype(np.float32)])
    np.testing.assert_allclose(keras_out(layer, ex["x"][None].astype(np.float32))[0], ex["probs"], atol=1e-6)


# --------------------------------------------------------------------------- checkers


def _conv(**kwargs):
    return lambda x, w, b: cnn.conv2d_forward(x, w, b, **kwargs)[0]


def _not_implemented(*args):
    raise NotImplementedError


def _maxpool_same(x, pool, stride):
    """Typical mistake: 'same'-style pooling that keeps partial windows."""
    n, h, w, c = x.shape
    ho, wo = -(-h // stride), -(-w // stride)
    pad_h, pad_w = max((ho - 1) * stride + pool - h, 0), max((wo - 1) * stride + pool - w, 0)
    xp = np.pad(x, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), constant_values=-np.inf)
    return cnn.maxpool_forward(xp, pool, stride)[0]


CHECKER_CASES = {
    "conv2d": (exercises.check_conv2d, _conv(), [
        (lambda x, w, b: cnn.conv2d_forward(x, w[::-1, ::-1], b)[0], "flip"),
        (lambda x, w, b: cnn.conv2d_forward(x, w, 0 * b)[0], "bias"),
        (_conv(padding="same"), "'same'"),
        (lambda x, w, b: cnn.conv2d_forward(x, w, b)[0].transpose(0, 3, 1, 2), "channels-last"),
        (lambda x, w, b: cnn.conv2d_forward(x, w, b)[0] * 2, "differs"),
        (lambda x, w, b: x @ w, "raised"),
    ]),
    "output_size": (exercises.check_output_size, cnn.conv_output_size, [
        (lambda n, k, s, p: (n - k) / s + 1 if p == "valid" else -(-n // s), "whole number"),
        (lambda n, k, s, p: n - k + 1 if p == "valid" else -(-n // s), "divide by the stride"),
        (lambda n, k, s, p: (n - k) // s + 1 if p == "valid" else n, "ceil"),
        (lambda n, k, s, p: (n - k) // s if p == "valid" else -(-n // s), "+ 1"),
        (lambda n, k, s, p: "26", "whole number"),
    ]),
    "maxpool": (exercises.check_maxpool, cnn.maxpool_forward, [
        (lambda x, p, s: cnn.avgpool_forward(x, p, s)[0], "average"),
        (_maxpool_same, "drops"),
        (lambda x, p, s: cnn.maxpool_forward(x, p, s)[0].max(axis=-1, keepdims=True), "channel"),
        (lambda x, p, s: cnn.maxpool_forward(x, p, s)[0] + 1, "differs"),
    ]),
    "softmax": (exercises.check_softmax, activations.softmax, [
        (lambda z: np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True), "Subtract the maximum"),
        (lambda z: activations.softmax(z, axis=0), "axis"),
        (lambda z: np.exp(z - z.max()), "sum to 1"),
        (lambda z: np.exp(z - z.max(axis=-1, keepdims=True)), "divide the exponentials"),
        (lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(), "whole array"),
        (lambda z: (lambda e: e / e.sum(axis=-1))(np.exp(z - z.max())), "keepdims"),
        (lambda z: z / z.sum(axis=-1, keepdims=True), "NaN"),
    ]),
    "dense": (exercises.check_dense, cnn.dense_forward, [
        (lambda x, w, b: (x @ w + b).T, "transposed"),
        (lambda x, w, b: x @ w, "bias"),
        (lambda x, w, b: w @ x + b, "raised"),
    ]),
}


@pytest.mark.parametrize("name", list(CHECKER_CASES))
def test_checker_accepts_reference(name):
    check, reference, _ = CHECKER_CASES[name]
    result = check(reference)
    assert result, result.message
    assert result.ok is True


@pytest.mark.parametrize("name", list(CHECKER_CASES))
@pytest.mark.parametrize("placeholder", [None, ..., _not_implemented])
def test_checker_reports_missing_answer(name, placeholder):
    result = CHECKER_CASES[name][0](placeholder)
    assert not result
    assert "still empty" in result.message


@pytest.mark.parametrize(
    "name,index",
    [(name, i) for name, (_, _, wrong) in CHECKER_CASES.items() for i in range(len(wrong))],
)
def test_checker_explains_typical_mistakes(name, index):
    check, _, wrong = CHECKER_CASES[name]
    fn, hint = wrong[index]
    result = check(fn)
    assert not result
    assert len(result.message) > 20
    assert hint in result.message, result.message


@pytest.mark.parametrize("name", list(CHECKER_CASES))
def test_checker_explains_a_function_that_returns_none(name):
    def unfinished(*args):
        ...  # what an exercise cell holds before the learner answers

    result = CHECKER_CASES[name][0](unfinished)
    assert not result
    assert "returned None" in result.message and "return" in result.message


def test_checker_rejects_non_function():
    result = exercises.check_conv2d(42)
    assert not result and "function" in result.message
