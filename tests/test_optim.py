"""Tests of prodimg_lib.reference.optim and its exercise checkers: agreement with Keras optimizers, linear regression, checkers."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from prodimg_lib.course.exercises import optimisation as exercises  # noqa: E402
from prodimg_lib.reference import optim as O  # noqa: E402

ATOL = 1e-6


def random_problem(seed: int, steps: int) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Parameters of several shapes and a different gradient for every step."""
    rng = np.random.default_rng(seed)
    shapes = [(3,), (2, 4), ()]
    params = [rng.normal(size=s) for s in shapes]
    grads = [[rng.normal(size=s) for s in shapes] for _ in range(steps)]
    return params, grads


def keras_run(optimizer: "keras.optimizers.Optimizer", params: list[np.ndarray], grads: list[list[np.ndarray]]) -> list[np.ndarray]:
    variables = [keras.Variable(p.astype("float32")) for p in params]
    for step_grads in grads:
        optimizer.apply_gradients(zip([keras.ops.convert_to_tensor(g.astype("float32")) for g in step_grads], variables))
    return [np.asarray(v.numpy()) for v in variables]


def assert_params_close(got: list[np.ndarray], expected: list[np.ndarray]) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=0, atol=ATOL)


# --------------------------------------------------------------------------- agreement with Keras


@pytest.mark.parametrize("steps", [1, 5])
def test_gd_step_matches_keras_sgd(steps: int) -> None:
    params, grads = random_problem(0, steps)
    expected = keras_run(keras.optimizers.SGD(learning_rate=0.1), params, grads)
    for g in grads:
        params = O.gd_step(params, g, 0.1)
    assert_params_close(params, expected)


@pytest.mark.parametrize("steps", [1, 6])
@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_step_matches_keras_sgd_momentum(steps: int, nesterov: bool) -> None:
    params, grads = random_problem(1, steps)
    expected = keras_run(keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=nesterov), params, grads)
    state = None
    for g in grads:
        params, state = O.momentum_step(params, g, state, lr=0.05, momentum=0.9, nesterov=nesterov)
    assert_params_close(params, expected)


@pytest.mark.parametrize("steps", [1, 10])
@pytest.mark.parametrize("hyper", [{}, {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4}])
def test_adam_step_matches_keras_adam(steps: int, hyper: dict) -> None:
    params, grads = random_problem(2, steps)
    expected = keras_run(keras.optimizers.Adam(**hyper), params, grads)
    kwargs = {"lr": hyper.get("learning_rate", 0.001), **{k: v for k, v in hyper.items() if k != "learning_rate"}}
    state = None
    for g in grads:
        params, state = O.adam_step(params, g, state, **kwargs)
    assert state.t == steps
    assert_params_close(params, expected)


def test_keras_default_hyperparameters_are_the_defaults_here() -> None:
    adam = keras.optimizers.Adam()
    assert (adam.beta_1, adam.beta_2, adam.epsilon) == (0.9, 0.999, 1e-7)
    params, grads = random_problem(3, 1)
    expected = keras_run(keras.optimizers.Adam(), params, grads)
    assert_params_close(O.adam_step(params, grads[0])[0], expected)


def test_updates_do_not_modify_their_inputs() -> None:
    p, g = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    O.gd_step(p, g, 0.1)
    O.momentum_step(p, g, None, 0.1)
    state = O.AdamState.zeros_like(p)
    O.adam_step(p, g, state)
    np.testing.assert_array_equal(p, [1.0, 2.0])
    assert state.t == 0 and np.all(state.m[0] == 0)


def test_single_array_in_single_array_out() -> None:
    new, state = O.momentum_step(np.array([1.0]), np.array([1.0]), None, lr=0.5)
    assert isinstance(new, np.ndarray) and new.shape == (1,)
    new_list, _ = O.adam_step([np.array([1.0])], [np.array([1.0])])
    assert isinstance(new_list, list)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: O.gd_step([np.zeros(2)], [np.zeros(3)], 0.1), "shape"),
        (lambda: O.gd_step([np.zeros(2)], [np.zeros(2), np.zeros(2)], 0.1), "gradient arrays"),
        (lambda: O.gd_step(np.zeros(2), np.zeros(2), -0.1), "lr"),
        (lambda: O.momentum_step(np.zeros(2), np.zeros(2), None, 0.1, momentum=1.0), "momentum"),
        (lambda: O.momentum_step(np.zeros(2), np.zeros(2), O.MomentumState([np.zeros(3)]), 0.1), "shapes"),
        (lambda: O.adam_step(np.zeros(2), np.zeros(2), None, beta_2=1.5), "beta_2"),
        (lambda: O.train("rmsprop", np.zeros(3), np.zeros(3)), "optimizer"),
        (lambda: O.train("gd", np.zeros(3), np.zeros(3), batch_size=2), "sgd"),
        (lambda: O.linear_loss(0.0, 0.0, np.zeros(3), np.zeros(2)), "same length"),
        (lambda: list(O.minibatches(np.zeros(3), np.zeros(3), 0)), "batch_size"),
    ],
)
def test_bad_input_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- mini-batches


def test_minibatches_cover_every_sample_once_and_are_reproducible() -> None:
    x, y = np.arange(10.0), 10 + np.arange(10.0)
    batches = list(O.minibatches(x, y, 3, seed=7))
    assert [len(xb) for xb, _ in batches] == [3, 3, 3, 1]
    assert sorted(np.concatenate([xb for xb, _ in batches])) == list(x)
    for xb, yb in batches:
        np.testing.assert_array_equal(yb, xb + 10)  # pairs stay together
    again = list(O.minibatches(x, y, 3, seed=7))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again))
    other = np.concatenate([xb for xb, _ in O.minibatches(x, y, 3, seed=8)])
    assert not np.array_equal(other, np.concatenate([xb for xb, _ in batches]))
    assert [len(xb) for xb, _ in O.minibatches(x, y, 3, seed=7, drop_last=True)] == [3, 3, 3]


def test_minibatches_reshuffle_with_a_shared_generator() -> None:
    x = np.arange(20.0)
    rng = np.random.default_rng(0)
    first = np.concatenate([xb for xb, _ in O.minibatches(x, x, 5, rng)])
    second = np.concatenate([xb for xb, _ in O.minibatches(x, x, 5, rng)])
    assert not np.array_equal(first, second)


# --------------------------------------------------------------------------- linear regression


def test_linear_grad_matches_numerical_gradient() -> None:
    x, y = O.make_linear_data(50, 1.5, 0.5, noise=0.3, seed=4)
    h = 1e-6
    for w, b in [(0.0, 0.0), (2.0, -1.0), (-3.0, 4.0)]:
        dw, db = O.linear_grad(w, b, x, y)
        num_dw = (O.linear_loss(w + h, b, x, y) - O.linear_loss(w - h, b, x, y)) / (2 * h)
        num_db = (O.linear_loss(w, b + h, x, y) - O.linear_loss(w, b - h, x, y)) / (2 * h)
        assert dw == pytest.approx(num_dw, rel=1e-6, abs=1e-8)
        assert db == pytest.approx(num_db, rel=1e-6, abs=1e-8)


def test_linear_loss_is_zero_at_the_truth_and_broadcasts_over_grids() -> None:
    x, y = O.make_linear_data(30, 2.0, -1.0, noise=0.0, seed=0)
    assert O.linear_loss(2.0, -1.0, x, y) == pytest.approx(0.0, abs=1e-20)
    assert O.linear_grad(2.0, -1.0, x, y) == pytest.approx((0.0, 0.0), abs=1e-12)
    W, B = np.meshgrid(np.linspace(0, 4, 5), np.linspace(-2, 0, 3))
    grid = O.linear_loss(W, B, x, y)
    assert grid.shape == (3, 5)
    assert grid[1, 2] == pytest.approx(0.0, abs=1e-20)
    assert grid[0, 0] == pytest.approx(O.linear_loss(W[0, 0], B[0, 0], x, y))


def test_gradient_descent_converges_to_the_true_parameters() -> None:
    x, y = O.make_linear_data(100, 2.0, -1.0, noise=0.0, seed=0)
    result = O.train("gd", x, y, steps=500, lr=0.5)
    np.testing.assert_allclose(result.path[-1], [2.0, -1.0], atol=1e-6)
    assert result.path.shape == (501, 2) and result.loss.shape == (501,)
    assert np.all(np.diff(result.loss) <= 1e-15)  # full-batch GD with a small lr never goes up


def test_gradient_descent_converges_to_least_squares_with_noise() -> None:
    x, y = O.make_linear_data(200, -1.0, 3.0, noise=0.5, seed=5)
    w_ls, b_ls = np.polyfit(x, y, 1)
    result = O.train("gd", x, y, steps=1000, lr=0.5)
    np.testing.assert_allclose(result.path[-1], [w_ls, b_ls], atol=1e-6)


@pytest.mark.parametrize("name, lr", [("sgd", 0.05), ("momentum", 0.05), ("adam", 0.05)])
def test_other_optimizers_reach_the_minimum_neighbourhood(name: str, lr: float) -> None:
    x, y = O.make_linear_data(100, 2.0, -1.0, noise=0.1, seed=0)
    result = O.train(name, x, y, steps=600, lr=lr, batch_size=10 if name == "sgd" else None)
    w_ls, b_ls = np.polyfit(x, y, 1)
    np.testing.assert_allclose(result.path[-1], [w_ls, b_ls], atol=0.05)
    assert result.loss[-1] < 0.01 * result.loss[0]


def test_sgd_training_is_reproducible_with_a_seed() -> None:
    x, y = O.make_linear_data(50, 1.0, 0.0, noise=0.2, seed=1)
    a = O.train("sgd", x, y, steps=30, lr=0.1, seed=3)
    b = O.train("sgd", x, y, steps=30, lr=0.1, seed=3)
    c = O.train("sgd", x, y, steps=30, lr=0.1, seed=4)
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.array_equal(a.path, c.path)


def test_make_linear_data_is_reproducible() -> None:
    a, b = O.make_linear_data(10, seed=2), O.make_linear_data(10, seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0].shape == a[1].shape == (10,)


# --------------------------------------------------------------------------- checkers


def _gd_uphill(p, g, lr):
    return p + lr * g


def _grad_without_x(w, b, x, y):
    r = y - (w * x + b)
    return -np.mean(r), -np.mean(r)


def _grad_reference(w, b, x, y):
    return O.linear_grad(w, b, x, y)


def _momentum_reference(p, g, v, lr, mu):
    v = mu * v - lr * g
    return p + v, v


def _momentum_other_convention(p, g, v, lr, mu):
    v = mu * v + g
    return p - lr * v, v


def _adam_paper(p, g, m, v, t, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g**2
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_keras_form(p, g, m, v, t, lr, b1, b2, eps):
    new_p, state = O.adam_step(p, g, O.AdamState([m], [v], t - 1), lr, b1, b2, eps)
    return new_p, state.m[0], state.v[0]


def _adam_no_bias_correction(p, g, m, v, t, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g**2
    return p - lr * m / (np.sqrt(v) + eps), m, v


def _adam_unsquared(p, g, m, v, t, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g
    return p - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(np.abs(v)) + eps), m, v


@pytest.mark.parametrize(
    "checker, right, wrong, hint",
    [
        (exercises.check_gd_step, lambda p, g, lr: p - lr * g, _gd_uphill, "uphill"),
        (exercises.check_linear_grad, _grad_reference, _grad_without_x, "factor x"),
        (exercises.check_momentum_step, _momentum_reference, _momentum_other_convention, "convention"),
        (exercises.check_adam_step, _adam_paper, _adam_no_bias_correction, "bias correction"),
        (exercises.check_adam_step, _adam_keras_form, _adam_unsquared, "squared"),
    ],
)
def test_checkers_accept_right_answers_and_explain_wrong_ones(checker, right, wrong, hint: str) -> None:
    assert checker(right)
    result = checker(wrong)
    assert not result
    assert hint in result.message


@pytest.mark.parametrize("checker", [exercises.check_gd_step, exercises.check_linear_grad, exercises.check_momentum_step, exercises.check_adam_step])
def test_checkers_handle_missing_and_broken_answers(checker) -> None:
    missing = checker(None)
    assert not missing and "still empty" in missing.message

    def raises(*args):
        raise ValueError("oops")

    assert "ValueError" in checker(raises).message


def test_multi_output_checker_explains_wrong_structure() -> None:
    result = exercises.check_momentum_step(lambda p, g, v, lr, mu: p)
    assert not result and "2 values" in result.message
