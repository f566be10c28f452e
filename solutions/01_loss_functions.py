"""Solutions to the exercises of notebook 01 (for teachers; tests run each through its checker)."""

import numpy as np

EPS = 1e-7


def my_mse(y_true, y_pred):
    """Exercise 1: mean squared error, the mean over all elements."""
    y_true, y_pred = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    return float(np.mean((y_true - y_pred) ** 2))


def my_bce(y_true, p, eps=EPS):
    """Exercise 2: binary cross-entropy from probabilities (natural log), p clipped to [eps, 1 - eps]."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def my_discriminator_loss(real_scores, fake_scores):
    """Exercise 3: BCE of the real scores against 1 plus BCE of the fake scores against 0."""
    real, fake = np.asarray(real_scores, dtype=np.float64), np.asarray(fake_scores, dtype=np.float64)
    return my_bce(np.ones_like(real), real) + my_bce(np.zeros_like(fake), fake)


def my_generator_loss(fake_scores):
    """Exercise 4: non-saturating generator loss mean(-ln D(G(z))) = BCE of the fakes against the label 1."""
    fake = np.asarray(fake_scores, dtype=np.float64)
    return my_bce(np.ones_like(fake), fake)


def my_minimax_generator_loss(fake_scores):
    """Exercise 5: minimax generator loss mean(ln(1 - D(G(z)))) = minus the BCE of the fakes against 0 (never positive)."""
    fake = np.clip(np.asarray(fake_scores, dtype=np.float64), EPS, 1.0 - EPS)
    return float(np.mean(np.log(1.0 - fake)))


# Exercise 6: L_D = -ln 0.5 - ln(1 - 0.5) = 2 ln 2.
ANSWER_L_D_AT_CHANCE = 1.3863

# Exercise 7 (open): with fake_score=0.01 the minimax gradient per logit is -0.01 and the
# non-saturating one -0.99: a generator whose fakes are easily rejected (the start of training)
# gets almost no signal from the minimax loss and a strong one from the non-saturating loss.


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import checking
    from prodimg_lib.course.exercises import loss_functions as exercises
    from prodimg_lib.reference import losses

    return [
        exercises.check_mse(my_mse),
        exercises.check_bce(my_bce),
        exercises.check_discriminator_loss(my_discriminator_loss),
        exercises.check_generator_loss(my_generator_loss, "non_saturating"),
        exercises.check_generator_loss(my_minimax_generator_loss, "minimax"),
        checking.check_value("L_D at D(x) = D(G(z)) = 0.5", ANSWER_L_D_AT_CHANCE, losses.discriminator_loss([0.5], [0.5])),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
