"""Tests of prodimg_lib.reference.losses and its exercise checkers: agreement with Keras, stability, input errors, checkers."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from prodimg_lib.course.exercises import checking  # noqa: E402
from prodimg_lib.course.exercises import loss_functions as exercises  # noqa: E402
from prodimg_lib.reference import losses as L  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6  # Keras computes in float32


def keras_value(loss: "keras.losses.Loss", y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(keras.ops.convert_to_numpy(loss(y_true.astype("float32"), y_pred.astype("float32"))))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


# --------------------------------------------------------------------------- agreement with Keras


@pytest.mark.parametrize("shape", [(7,), (5, 3), (2, 3, 4)])
def test_mse_matches_keras(rng: np.random.Generator, shape: tuple[int, ...]) -> None:
    y_true, y_pred = rng.normal(size=shape), rng.normal(size=shape)
    expected = keras_value(keras.losses.MeanSquaredError(), y_true, y_pred)
    assert L.mse(y_true, y_pred) == pytest.approx(expected, rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("shape", [(9,), (6, 4)])
def test_bce_from_probabilities_matches_keras(rng: np.random.Generator, shape: tuple[int, ...]) -> None:
    y = rng.integers(0, 2, size=shape).astype(float)
    p = rng.uniform(0.01, 0.99, size=shape)
    expected = keras_value(keras.losses.BinaryCrossentropy(from_logits=False), y, p)
    assert L.binary_crossentropy(y, p) == pytest.approx(expected, rel=RTOL, abs=ATOL)


def test_bce_soft_labels_match_keras(rng: np.random.Generator) -> None:
    y, p = rng.uniform(size=(4, 5)), rng.uniform(0.01, 0.99, size=(4, 5))
    expected = keras_value(keras.losses.BinaryCrossentropy(), y, p)
    assert L.binary_crossentropy(y, p) == pytest.approx(expected, rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("shape", [(9,), (6, 4)])
def test_bce_from_logits_matches_keras(rng: np.random.Generator, shape: tuple[int, ...]) -> None:
    y = rng.integers(0, 2, size=shape).astype(float)
    z = rng.normal(scale=4.0, size=shape)
    expected = keras_value(keras.losses.BinaryCrossentropy(from_logits=True), y, z)
    assert L.binary_crossentropy_from_logits(y, z) == pytest.approx(expected, rel=RTOL, abs=ATOL)
    assert L.binary_crossentropy_from_logits(y, z) == pytest.approx(L.binary_crossentropy(y, L.sigmoid(z)), rel=1e-9)


@pytest.mark.parametrize("from_logits", [False, True])
def test_discriminator_loss_is_sum_of_keras_bce_terms(rng: np.random.Generator, from_logits: bool) -> None:
    make = (lambda n: rng.normal(scale=3.0, size=n)) if from_logits else (lambda n: rng.uniform(0.01, 0.99, size=n))
    real, fake = make(8), make(8)
    bce = keras.losses.BinaryCrossentropy(from_logits=from_logits)
    expected = keras_value(bce, np.ones_like(real), real) + keras_value(bce, np.zeros_like(fake), fake)
    got = L.discriminator_loss(real, fake, from_logits=from_logits)
    assert got == pytest.approx(expected, rel=RTOL, abs=ATOL)
    # With equal batch sizes it is the batch mean of -ln D(x) - ln(1 - D(G(z))).
    d_real, d_fake = (L.sigmoid(real), L.sigmoid(fake)) if from_logits else (real, fake)
    assert got == pytest.approx(np.mean(-np.log(d_real) - np.log(1 - d_fake)), rel=1e-9)


@pytest.mark.parametrize("from_logits", [False, True])
def test_generator_losses_match_keras_bce(rng: np.random.Generator, from_logits: bool) -> None:
    fake = rng.normal(scale=3.0, size=10) if from_logits else rng.uniform(0.01, 0.99, size=10)
    bce = keras.losses.BinaryCrossentropy(from_logits=from_logits)
    non_saturating = keras_value(bce, np.ones_like(fake), fake)  # -mean ln D(G(z))
    minimax = -keras_value(bce, np.zeros_like(fake), fake)  # mean ln(1 - D(G(z)))
    assert L.generator_loss(fake, "non_saturating", from_logits) == pytest.approx(non_saturating, rel=RTOL, abs=ATOL)
    assert L.generator_loss(fake, "minimax", from_logits) == pytest.approx(minimax, rel=RTOL, abs=ATOL)


def test_discriminator_loss_allows_different_batch_sizes() -> None:
    real, fake = np.array([0.9, 0.8]), np.array([0.1, 0.2, 0.3])
    expected = -np.mean(np.log(real)) - np.mean(np.log(1 - fake))
    assert L.discriminator_loss(real, fake) == pytest.approx(expected)


# --------------------------------------------------------------------------- stability and gradients


def test_bce_from_logits_has_no_overflow_at_extremes() -> None:
    y = np.array([1.0, 0.0, 1.0, 0.0])
    z = np.array([1000.0, -1000.0, -1000.0, 1000.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # any overflow would raise FloatingPointError
        per_term = [L.binary_crossentropy_from_logits(y[i : i + 1], z[i : i + 1]) for i in range(4)]
        total = L.binary_crossentropy_from_logits(y, z)
        g = L.generator_loss(z, "non_saturating", from_logits=True)
        d = L.discriminator_loss(z, -z, from_logits=True)
    assert per_term == [0.0, 0.0, 1000.0, 1000.0]
    assert total == 500.0
    assert np.isfinite(g) and np.isfinite(d)


def test_bce_probabilities_are_clipped_like_keras() -> None:
    # p = 0 for a label 1 would be -ln 0 = inf without clipping.
    value = L.binary_crossentropy([1.0, 0.0], [0.0, 1.0])
    assert value == pytest.approx(-np.log(L.EPSILON))
    assert L.binary_crossentropy([1.0, 0.0], [1.0, 0.0]) == pytest.approx(-np.log(1 - L.EPSILON))


def test_sigmoid_and_logit() -> None:
    z = np.array([-1000.0, -5.0, 0.0, 5.0, 1000.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s = L.sigmoid(z)
    np.testing.assert_allclose(s, [0.0, 1 / (1 + np.exp(5)), 0.5, 1 / (1 + np.exp(-5)), 1.0])
    np.testing.assert_allclose(L.logit(L.sigmoid(z[1:4])), z[1:4], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", ["non_saturating", "minimax"])
def test_generator_grad_wrt_logit_matches_finite_differences(kind: str) -> None:
    z = np.linspace(-8, 8, 17)
    h = 1e-5
    loss = lambda zz: np.array([L.generator_loss([v], kind, from_logits=True) for v in zz])  # noqa: E731
    numeric = (loss(z + h) - loss(z - h)) / (2 * h)
    np.testing.assert_allclose(L.generator_loss_grad_wrt_logit(z, kind), numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("kind", ["non_saturating", "minimax"])
def test_generator_grad_wrt_score_matches_finite_differences(kind: str) -> None:
    d = np.linspace(0.05, 0.95, 10)
    h = 1e-6
    loss = lambda dd: np.array([L.generator_loss([v], kind) for v in dd])  # noqa: E731
    numeric = (loss(d + h) - loss(d - h)) / (2 * h)
    np.testing.assert_allclose(L.generator_loss_grad_wrt_score(d, kind), numeric, rtol=1e-5)


def test_minimax_gradient_vanishes_when_fakes_are_rejected() -> None:
    z = L.logit([1e-4])  # D(G(z)) = 1e-4: the discriminator rejects the fake
    assert abs(L.generator_loss_grad_wrt_logit(z, "minimax")[0]) < 1e-3
    assert L.generator_loss_grad_wrt_logit(z, "non_saturating")[0] == pytest.approx(-1.0, abs=1e-3)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: L.mse([1.0, 2.0], [1.0, 2.0, 3.0]), "shape"),
        (lambda: L.mse([], []), "empty"),
        (lambda: L.mse([1.0, np.nan], [1.0, 2.0]), "NaN"),
        (lambda: L.binary_crossentropy([1.0, 0.0], [0.5, 1.2]), r"\[0, 1\]"),
        (lambda: L.binary_crossentropy([1.0, 0.0], [0.5, -0.1]), r"\[0, 1\]"),
        (lambda: L.binary_crossentropy([2.0, 0.0], [0.5, 0.5]), "y_true"),
        (lambda: L.binary_crossentropy([1.0], [0.5, 0.5]), "shape"),
        (lambda: L.binary_crossentropy([], []), "empty"),
        (lambda: L.binary_crossentropy([1.0], [0.5], eps=0.0), "eps"),
        (lambda: L.binary_crossentropy_from_logits([1.0, 0.0], [3.0]), "shape"),
        (lambda: L.binary_crossentropy_from_logits([1.0], [np.inf]), "infinite"),
        (lambda: L.discriminator_loss([0.5], [1.5]), "fake_scores"),
        (lambda: L.discriminator_loss([], [0.5]), "empty"),
        (lambda: L.generator_loss([0.5], "wasserstein"), "kind"),
        (lambda: L.generator_loss([3.0]), "from_logits"),
        (lambda: L.generator_loss_grad_wrt_logit([0.0], "bad"), "kind"),
    ],
)
def test_bad_input_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- worked examples


def test_mse_worked_example_is_the_articles_corrected() -> None:
    ex = L.mse_example()
    np.testing.assert_array_equal(ex["y_true"], [2, 4, 6, 8, 10, 12, 14, 16, 18, 20])
    np.testing.assert_array_equal(ex["y_pred"], [3, 5, 7, 9, 11, 13, 15, 17, 19, 18])
    np.testing.assert_array_equal(ex["errors"], [-1] * 9 + [2])
    assert ex["sum_squared_errors"] == pytest.approx(13.0)
    assert ex["mse"] == pytest.approx(1.3)
    assert ex["mse"] == pytest.approx(keras_value(keras.losses.MeanSquaredError(), ex["y_true"], ex["y_pred"]), rel=RTOL)
    assert ex["source_article_value"] == 1.0


def test_bce_worked_example_is_the_articles_corrected() -> None:
    ex = L.bce_example()
    np.testing.assert_array_equal(ex["y_true"], [0, 1, 0, 1, 0, 1])
    np.testing.assert_array_equal(ex["p"], [0.6, 0.4, 0.8, 0.2, 0.9, 0.1])
    np.testing.assert_allclose(ex["per_sample"], -np.log([0.4, 0.4, 0.2, 0.2, 0.1, 0.1]), rtol=1e-12)
    np.testing.assert_allclose(np.round(ex["per_sample"], 3), [0.916, 0.916, 1.609, 1.609, 2.303, 2.303])
    assert ex["bce"] == pytest.approx(-np.log(0.2))  # mean of the six terms, ≈ 1.609
    assert round(ex["bce"], 3) == 1.609
    assert ex["bce"] == pytest.approx(keras_value(keras.losses.BinaryCrossentropy(), ex["y_true"], ex["p"]), rel=RTOL)
    assert ex["bce_sum"] == pytest.approx(6 * ex["bce"])
    assert ex["bce_without_negative_terms"] == pytest.approx(np.mean(-np.log([0.4, 0.2, 0.1])) / 2)
    assert ex["wrong_side"].all()  # every prediction is on the wrong side of 0.5
    assert ex["source_article_value"] == pytest.approx(3.48)


def test_adversarial_worked_example_is_the_articles_corrected() -> None:
    adv = L.adversarial_example()
    assert (adv["real_score"], adv["fake_score"]) == (0.9, 0.2)
    assert adv["discriminator_real_term"] == pytest.approx(-np.log(0.9))
    assert adv["discriminator_fake_term"] == pytest.approx(-np.log(0.8))
    assert adv["discriminator_loss"] == pytest.approx(-np.log(0.9) - np.log(0.8))
    assert round(adv["discriminator_loss"], 3) == 0.329
    assert adv["discriminator_loss"] == pytest.approx(adv["discriminator_real_term"] + adv["discriminator_fake_term"])
    assert adv["generator_loss_minimax"] == pytest.approx(np.log(0.8))
    assert round(adv["generator_loss_minimax"], 3) == -0.223
    assert adv["generator_loss_non_saturating"] == pytest.approx(-np.log(0.2))
    assert round(adv["generator_loss_non_saturating"], 3) == 1.609
    assert adv["grad_wrt_logit_minimax"] == pytest.approx(-0.2)
    assert adv["grad_wrt_logit_non_saturating"] == pytest.approx(-0.8)
    # The article's L_G = -ln(1 - D(G(z))) is minus the minimax loss: descending it lowers D(G(z)).
    assert adv["source_article_generator_loss"] == pytest.approx(-np.log(0.8))
    assert adv["grad_wrt_logit_source_article"] == pytest.approx(0.2)
    assert adv["source_article_discriminator_loss"] == pytest.approx(3.906)


def test_worked_examples_collects_all_three() -> None:
    ex = L.worked_examples()
    assert set(ex) == {"mse", "bce", "adversarial"}
    assert ex["mse"]["mse"] == pytest.approx(1.3)


def test_check_value_on_the_worked_examples() -> None:
    assert checking.check_value("MSE", 1.3, L.mse_example()["mse"])
    assert not checking.check_value("MSE", L.mse_example()["source_article_value"], L.mse_example()["mse"])
    assert checking.check_value("BCE", 1.609, L.bce_example()["bce"])
    assert checking.check_value("L_D", 0.329, L.adversarial_example()["discriminator_loss"], rtol=2e-3)


# --------------------------------------------------------------------------- checkers


def _bce_no_negative_term(y, p):
    return float(-np.mean(y * np.log(p)))


def _bce_log10(y, p):
    return float(-np.mean(y * np.log10(p) + (1 - y) * np.log10(1 - p)))


def _d_loss_averaged(real, fake):
    return (float(-np.mean(np.log(real))) + float(-np.mean(np.log(1 - fake)))) / 2


def _d_loss_wrong_sign(real, fake):
    return float(np.mean(np.log(real)) + np.mean(np.log(1 - fake)))


@pytest.mark.parametrize(
    "checker, reference, wrong, hint",
    [
        (exercises.check_mse, L.mse, lambda a, b: float(np.sum((a - b) ** 2)), "sum"),
        (exercises.check_mse, L.mse, lambda a, b: float(np.sqrt(np.mean((a - b) ** 2))), "square root"),
        (exercises.check_mse, L.mse, lambda a, b: float(np.sum((a - b) ** 2) / len(a)), "len"),
        (exercises.check_bce, L.binary_crossentropy, _bce_no_negative_term, "(1 - y)"),
        (exercises.check_bce, L.binary_crossentropy, _bce_log10, "log10"),
        (exercises.check_bce, L.binary_crossentropy, lambda y, p: -L.binary_crossentropy(y, p), "sign"),
        (exercises.check_discriminator_loss, L.discriminator_loss, _d_loss_averaged, "sum"),
        (exercises.check_discriminator_loss, L.discriminator_loss, _d_loss_wrong_sign, "sign"),
        (exercises.check_discriminator_loss, L.discriminator_loss, lambda r, f: -float(np.mean(np.log(r))), "fake term"),
    ],
)
def test_checkers_accept_reference_and_explain_wrong_answers(checker, reference, wrong, hint: str) -> None:
    assert checker(reference)
    result = checker(wrong)
    assert not result
    assert hint in result.message


@pytest.mark.parametrize("kind", ["non_saturating", "minimax"])
def test_check_generator_loss(kind: str) -> None:
    other = "minimax" if kind == "non_saturating" else "non_saturating"
    assert exercises.check_generator_loss(lambda f: L.generator_loss(f, kind), kind)
    result = exercises.check_generator_loss(lambda f: L.generator_loss(f, other), kind)
    assert not result and other.replace("_", "-") in result.message
    result = exercises.check_generator_loss(lambda f: -L.generator_loss(f, kind), kind)
    assert not result and "sign" in result.message


@pytest.mark.parametrize("checker", [exercises.check_mse, exercises.check_bce, exercises.check_discriminator_loss, exercises.check_generator_loss])
def test_checkers_handle_missing_broken_and_empty_answers(checker) -> None:
    missing = checker(None)
    assert not missing and "still empty" in missing.message
    assert not checker(...)

    def raises(*args):
        raise ZeroDivisionError("oops")

    broken = checker(raises)
    assert not broken and "ZeroDivisionError" in broken.message

    def forgot_return(*args):
        pass

    no_return = checker(forgot_return)
    assert not no_return and "return" in no_return.message


def test_check_mse_reports_per_element_answer() -> None:
    result = exercises.check_mse(lambda a, b: (a - b) ** 2)
    assert not result and "shape" in result.message and "mean" in result.message


def test_check_value() -> None:
    assert checking.check_value("MSE", 1.3, 1.3)
    assert checking.check_value("MSE", 1.3000001, 1.3)
    result = checking.check_value("MSE", 1.0, 1.3, {1.0: "Square the error of 2 as well."})
    assert not result and "Square the error" in result.message
    assert not checking.check_value("MSE", None, 1.3)
