"""Solutions to the exercises of notebook 02 (for teachers; tests run each through its checker)."""

import numpy as np


def linear_grad(w, b, x, y):
    """Exercise 1: gradient of mean(½(y - (w x + b))²) with respect to (w, b)."""
    r = np.asarray(y) - (w * np.asarray(x) + b)  # residuals: target minus prediction
    dw = -np.mean(r * x)  # chain rule: d/dw ½r² = r · dr/dw = -r·x
    db = -np.mean(r)
    return dw, db


def gd_step(param, grad, lr):
    """Exercise 2: one gradient-descent step."""
    return param - lr * grad


def momentum_step(param, grad, velocity, lr, momentum):
    """Exercise 3: one step of SGD with momentum, Keras convention."""
    new_velocity = momentum * velocity - lr * grad
    new_param = param + new_velocity
    return new_param, new_velocity


def adam_step(param, grad, m, v, t, lr, beta_1, beta_2, epsilon):
    """Exercise 4: one Adam step (the paper's form); t is the number of this update, from 1."""
    new_m = beta_1 * m + (1 - beta_1) * grad
    new_v = beta_2 * v + (1 - beta_2) * grad**2
    m_hat = new_m / (1 - beta_1**t)
    v_hat = new_v / (1 - beta_2**t)
    new_param = param - lr * m_hat / (np.sqrt(v_hat) + epsilon)
    return new_param, new_m, new_v


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import optimisation as exercises

    return [
        exercises.check_linear_grad(linear_grad),
        exercises.check_gd_step(gd_step),
        exercises.check_momentum_step(momentum_step),
        exercises.check_adam_step(adam_step),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
