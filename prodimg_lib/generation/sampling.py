"""Sampling a trained generator: fixed and truncated noise, images on request, latent paths.

Everything here works on NumPy arrays and on any Keras backend: model outputs become NumPy
through ``keras.ops.convert_to_numpy`` (``Model.predict`` already returns NumPy).
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.generation.dcgan import is_conditional, num_classes_of

__all__ = ["fixed_noise", "truncated_noise", "generate", "interpolate", "class_agreement"]

def fixed_noise(n: int, latent_dim: int, seed: int = 0) -> np.ndarray:
    """``n`` standard-normal noise vectors (n, latent_dim), float32, the same for the same seed.

    Feeding the same noise to the generator after every epoch shows how the *same*
    samples evolve, which is what makes the sample grids and the GIF readable.
    """
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def truncated_noise(n: int, latent_dim: int, threshold: float, seed: int = 0) -> np.ndarray:
    """Normal noise (n, latent_dim) with every value outside [-threshold, threshold] redrawn (the truncation trick).

    Brock, Donahue and Simonyan (BigGAN, ICLR 2019): noise from the centre of the normal
    distribution gives the generator's most typical images; a lower threshold trades variety
    for fidelity. ``threshold`` > 0; about 2 or more changes little.
    """
    threshold = float(threshold)
    if not threshold > 0:
        raise ValueError(f"the truncation threshold must be positive, got {threshold!r}")
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n, latent_dim))
    outside = np.abs(noise) > threshold
    while outside.any():
        noise[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(noise) > threshold
    return noise.astype(np.float32)


def generate(generator, count: int, labels=None, *, seed: int = 0, truncation: float | None = None,
             batch_size: int = 500) -> np.ndarray:
    """Images from a saved or trained generator: ``(count, H, W, C)`` float32 in [-1, 1].

    Args:
        generator: a DCGAN generator (noise -> images) or a conditional one ([noise, labels] -> images).
        count: number of images (>= 1).
        labels: for a conditional generator: one class for all (an int or a name such as
            "sneaker", see :func:`prodimg_lib.data.class_index`) or ``count`` labels; must be
            None for an unconditional one.
        seed: seed of the normal noise (:func:`fixed_noise`): the same seed gives the same images.
        truncation: None for standard normal noise; a threshold t > 0 for the truncation trick
            (:func:`truncated_noise`): more typical images, less variety.
        batch_size: images per forward pass.

    Raises:
        ValueError: a bad count, labels given to an unconditional generator or missing for a
            conditional one, or an unknown class.
    """
    from prodimg_lib.data import NUM_CLASSES, class_index

    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    latent_dim = int(generator.inputs[0].shape[-1])
    noise = fixed_noise(int(count), latent_dim, seed) if truncation is None else truncated_noise(int(count), latent_dim, truncation, seed)
    if is_conditional(generator):
        if labels is None:
            raise ValueError("this generator is conditional: pass labels (a class name or index, or one label per image)")
        if isinstance(labels, (str, int, np.integer)):
            labels = np.full(int(count), class_index(labels), dtype=np.int32)
        labels = np.asarray([class_index(v) for v in labels] if np.asarray(labels).dtype.kind in "USO" else labels)
        if labels.shape != (count,) or labels.min() < 0 or labels.max() >= (num_classes_of(generator) or NUM_CLASSES):
            raise ValueError(f"labels must be {count} class indices in [0, {num_classes_of(generator)}), got {labels!r}")
        inputs = [noise, labels.astype(np.int32)]
    else:
        if labels is not None:
            raise ValueError("this generator is unconditional (noise only): leave labels out")
        inputs = noise
    return np.asarray(generator.predict(inputs, batch_size=batch_size, verbose=0), dtype=np.float32)


def interpolate(z0, z1, steps: int, method: str = "slerp") -> np.ndarray:
    """Points between two latent vectors, ends included: shape ``(steps, latent_dim)``, float32.

    ``"linear"``: ``(1 - t) z0 + t z1``. ``"slerp"`` (spherical, White 2016): follows the
    great circle, ``sin((1 - t) w) / sin(w) z0 + sin(t w) / sin(w) z1`` with ``w`` the angle
    between the two vectors. Normal noise in many dimensions lies near a sphere of radius
    ``sqrt(latent_dim)``; a straight line cuts through its inside, where the generator saw
    no training noise (the midpoint's norm is about 0.71 of the ends'), while slerp keeps the
    norm.

    Args:
        z0, z1: vectors of shape (latent_dim,).
        steps: number of points (>= 2), at ``t = 0, 1/(steps-1), ..., 1``.
        method: "slerp" or "linear".
    """
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    if z0.ndim != 1 or z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must be vectors of the same length, got shapes {z0.shape} and {z1.shape}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    if method == "linear":
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    if method != "slerp":
        raise ValueError(f"method must be 'slerp' or 'linear', got {method!r}")
    cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if np.sin(omega) < 1e-6:  # (anti)parallel vectors: the circle is not defined, fall back to a line
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    return ((np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)).astype(np.float32)


def class_agreement(requested, predicted) -> float:
    """Share of generated images whose predicted class is the requested one, in [0, 1]."""
    requested, predicted = np.asarray(requested), np.asarray(predicted)
    if requested.shape != predicted.shape or requested.ndim != 1 or not len(requested):
        raise ValueError(f"requested and predicted must be label vectors of one length, got {requested.shape} and {predicted.shape}")
    return float(np.mean(requested == predicted))
