"""Solutions to the exercises of notebook 08 (for teachers; tests run each through its checker)."""

import math

import numpy as np


def add_noise(x0, noise, alpha_bar):
    """Exercise 1: DDPM's closed form, sqrt(alpha_bar) * x0 + sqrt(1 - alpha_bar) * noise.

    alpha_bar (one number, or one per image) becomes (N, 1, 1, 1), so that each image gets its
    own level; a plain (N,) array would meet the channel axis instead.
    """
    a = np.reshape(np.asarray(alpha_bar, dtype=np.float64), (-1, 1, 1, 1))
    return np.sqrt(a) * x0 + np.sqrt(1.0 - a) * noise


def flow_pair(x0, noise, t):
    """Exercise 2: rectified flow's x_t = (1 - t) x0 + t noise and its velocity d x_t / dt = noise - x0."""
    t = np.reshape(np.asarray(t, dtype=np.float64), (-1, 1, 1, 1))
    return (1.0 - t) * x0 + t * noise, noise - x0


def euler_step(x_t, velocity, t, s):
    """Exercise 3: one Euler step back in time, from t to s < t (s - t is negative)."""
    return x_t + (s - t) * velocity


def ddim_step(x_t, eps, alpha_bar_t, alpha_bar_s):
    """Exercise 4: the deterministic DDIM step: estimate the clean image, then noise it to level s with the same eps."""
    x0_hat = (x_t - math.sqrt(1.0 - alpha_bar_t) * eps) / math.sqrt(alpha_bar_t)
    return math.sqrt(alpha_bar_s) * x0_hat + math.sqrt(1.0 - alpha_bar_s) * eps


def guided(conditional, unconditional, scale):
    """Exercise 5: classifier-free guidance; scale 0 is unconditional, 1 conditional, above 1 beyond it."""
    return unconditional + scale * (conditional - unconditional)


def sinusoidal_features(t, dim, max_frequency=1000.0):
    """Exercise 6: the U-Net's time features (N,) -> (N, dim) with keras.ops only, [sin(f_k t), cos(f_k t)].

    The frequencies f_k = exp(k / (half - 1) * ln(max_frequency)) grow geometrically from 1 to
    max_frequency; t becomes a column (N, 1) so that t * f is (N, half).
    """
    from keras import ops

    half = dim // 2
    frequencies = ops.exp(ops.arange(half, dtype="float32") / (half - 1) * math.log(max_frequency))
    angles = ops.reshape(ops.cast(t, "float32"), (-1, 1)) * frequencies[None, :]
    return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import diffusion as exercises

    return [
        exercises.check_add_noise(add_noise),
        exercises.check_flow_pair(flow_pair),
        exercises.check_euler_step(euler_step),
        exercises.check_ddim_step(ddim_step),
        exercises.check_guidance(guided),
        exercises.check_time_embedding(sinusoidal_features),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
