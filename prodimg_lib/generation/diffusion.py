"""Diffusion (DDPM, DDIM) and flow matching for product images (notebook 08).

Both families learn to undo a *fixed* way of destroying images with Gaussian noise; what the
network learns is a plain regression, trained with the mean squared error of notebook 01.

**DDPM** (Ho, Jain and Abbeel, 2020). ``T`` noise levels with cumulative signal shares
``alpha_bar[1] > ... > alpha_bar[T] ~ 0``. The forward process has a closed form: a clean image
``x0`` at level ``t`` is::

    x_t = sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * eps,      eps ~ N(0, I)

and the network ``eps_theta(x_t, t)`` is trained to predict ``eps`` (MSE). Sampling walks the
levels back from pure noise with :func:`ddim_step`: ``eta = 1`` is DDPM's stochastic
(ancestral) step, ``eta = 0`` the deterministic DDIM step (Song, Meng and Ermon, 2021), which
can skip levels and so needs far fewer network calls.

**Flow matching** (rectified flow: Liu, Gong and Liu, 2023; Lipman et al., 2023). A straight
line from the image (``t = 0``) to the noise (``t = 1``)::

    x_t = (1 - t) * x0 + t * eps,           velocity  v = dx_t/dt = eps - x0

and the network ``v_theta(x_t, t)`` is trained to predict ``v`` (MSE). Sampling integrates
``dx/dt = v_theta`` from ``t = 1`` back to 0 with Euler steps (:func:`euler_step`).

**Classifier-free guidance** (Ho and Salimans, 2021): the network also learns the
unconditional prediction, because the label is replaced by the *null label* on a share of the
training images; at sampling, :func:`guided` mixes ``u + s * (c - u)`` (``s = 1``: the plain
conditional model; ``s > 1``: more class-typical images, less variety).

The data side of every objective (draw ``t`` and ``eps``, make ``x_t`` and the target) is NumPy,
done by :class:`NoisyBatches` for ``fit``; the network is any model with inputs
``[x_t (N, H, W, C), t (N,) in [0, 1], labels (N,)]``, such as :func:`prodimg_lib.generation.unet.build_unet`.
So the training is ``model.compile(optimizer, loss="mse"); model.fit(NoisyBatches(...))`` on every
Keras backend. Images are float32 in [-1, 1].
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np

from prodimg_lib.data import as_model_images
from prodimg_lib.data.pixels import as_labels, check_positive_int, check_scalar

__all__ = [
    "OBJECTIVES",
    "DEFAULT_STEPS",
    "DEFAULT_GUIDANCE",
    "ddpm_alpha_bars",
    "add_noise",
    "flow_interpolate",
    "NoisyBatches",
    "noisy_batch",
    "guided",
    "ddim_step",
    "euler_step",
    "sample",
    "Sampler",
]

OBJECTIVES = ("ddpm", "flow")
# Sampling defaults of the course's flow model (notebook 08 measures them): Euler steps and guidance scale.
DEFAULT_STEPS = 16
DEFAULT_GUIDANCE = 5.0
TIME_SAMPLING = ("logit_normal", "uniform")
DDPM_STEPS = 1000


# --------------------------------------------------------------------------- the forward process


def ddpm_alpha_bars(steps: int = DDPM_STEPS, schedule: str = "cosine") -> np.ndarray:
    """``alpha_bar[t]`` for ``t = 0 .. steps`` (float64, shape ``(steps + 1,)``, ``alpha_bar[0] = 1``).

    ``"linear"``: DDPM's betas ``1e-4 .. 0.02`` spaced evenly, ``alpha_bar_t = prod_{s<=t} (1 - beta_s)``.
    ``"cosine"`` (Nichol and Dhariwal, 2021): ``alpha_bar_t = f(t) / f(0)`` with
    ``f(t) = cos((t / T + 0.008) / 1.008 * pi / 2)^2``, each beta capped at 0.999. The linear
    schedule destroys small images early (little signal is left halfway); the cosine one
    spreads the levels more evenly.
    """
    steps = check_positive_int(steps, "steps", low=2)
    if schedule == "linear":
        betas = np.linspace(1e-4, 0.02, steps)
        return np.concatenate([[1.0], np.cumprod(1.0 - betas)])
    if schedule == "cosine":
        s = 0.008
        f = np.cos((np.arange(steps + 1) / steps + s) / (1 + s) * np.pi / 2) ** 2
        betas = np.minimum(1.0 - f[1:] / f[:-1], 0.999)
        return np.concatenate([[1.0], np.cumprod(1.0 - betas)])
    raise ValueError(f"schedule must be 'linear' or 'cosine', got {schedule!r}")


def _per_image(value, n: int) -> np.ndarray:
    """A scalar or (N,) value as (N, 1, 1, 1), to scale a batch of images."""
    value = np.asarray(value, dtype=np.float64)
    if value.ndim == 0:
        value = np.full(n, float(value))
    if value.shape != (n,):
        raise ValueError(f"expected one value per image, shape ({n},), got {value.shape}")
    return value.reshape(n, 1, 1, 1)


def _images_and_noise(x0, noise) -> tuple[np.ndarray, np.ndarray]:
    """``x0`` and ``noise`` as arrays, checked: a batch (N, H, W, C) and noise of exactly its shape.

    NumPy would broadcast a single image (its rows taken for images) or one noise image for all.
    """
    x0, noise = np.asarray(x0), np.asarray(noise)
    if x0.ndim != 4:
        raise ValueError(f"x0 must be a batch of images (N, H, W, C), got shape {x0.shape}; "
                         "add the batch axis to a single image: x0[None]")
    if noise.shape != x0.shape:
        raise ValueError(f"noise must have the shape of x0, {x0.shape}, got {noise.shape}")
    return x0, noise


def add_noise(x0, noise, alpha_bar) -> np.ndarray:
    """DDPM's closed form: ``sqrt(alpha_bar) * x0 + sqrt(1 - alpha_bar) * noise``.

    Args:
        x0: clean images (N, H, W, C) in [-1, 1].
        noise: standard normal, the shape of ``x0``.
        alpha_bar: the signal share in [0, 1], one number or one per image (N,).

    Returns:
        float32 (N, H, W, C).

    Raises:
        ValueError: ``x0`` not (N, H, W, C), ``noise`` of another shape, or ``alpha_bar`` neither
            one number nor (N,).
    """
    x0, noise = _images_and_noise(x0, noise)
    a = _per_image(alpha_bar, len(x0))
    return (np.sqrt(a) * x0 + np.sqrt(1.0 - a) * noise).astype(np.float32)


def flow_interpolate(x0, noise, t) -> np.ndarray:
    """Rectified flow's straight path: ``(1 - t) * x0 + t * noise`` (``t = 0`` clean, 1 pure noise).

    Args, result and errors as :func:`add_noise`, with ``t`` in [0, 1].
    """
    x0, noise = _images_and_noise(x0, noise)
    t = _per_image(t, len(x0))
    return ((1.0 - t) * x0 + t * noise).astype(np.float32)


# --------------------------------------------------------------------------- training data


class NoisyBatches(keras.utils.PyDataset):
    """Training batches of a diffusion or flow-matching model: ``((x_t, t, labels), target)``.

    For every clean batch ``x0`` (and labels), a fresh noise level and noise per image:

    - ``"ddpm"``: level ``k`` uniform in ``1..T``, ``x_t = add_noise(x0, eps, alpha_bar[k])``,
      input time ``t = k / T``, target ``eps``;
    - ``"flow"``: ``t`` from ``time_sampling``, ``x_t = flow_interpolate(x0, eps, t)``, target
      ``eps - x0`` (the velocity). ``"logit_normal"`` (Esser et al., 2024: ``t = sigmoid(n)``,
      ``n ~ N(0, 1)``) trains the middle times more often than the nearly clean and nearly
      pure-noise ends, where the target is easy; ``"uniform"`` draws t uniformly in [0, 1].

    With probability ``p_uncond`` a label is replaced by the null label ``num_classes``
    (classifier-free guidance). Batches are full; the image order is reshuffled every epoch, and
    batch ``i`` of epoch ``e`` depends only on ``(seed, e, i)``, so a resumed run sees what an
    uninterrupted one would. ``batches_per_epoch`` makes shorter epochs (the first batches of
    each new order), so that a time budget, which stops between epochs, can use its time well.

    Args:
        images: (N, H, W, C) float32 in [-1, 1].
        labels: (N,) class indices in [0, num_classes).
        batch_size: images per batch (at most N).
        objective: ``"ddpm"`` or ``"flow"``.
        num_classes: the number of classes (the null label is ``num_classes``).
        p_uncond: share of labels dropped, in [0, 1).
        alpha_bars: the DDPM schedule (default :func:`ddpm_alpha_bars`).
        time_sampling: ``"logit_normal"`` or ``"uniform"`` (flow only).
        batches_per_epoch: at most this many batches per epoch (None: all full batches).
        seed: seed of the order, the levels, the noise and the dropped labels.

    Raises:
        TypeError: uint8 images (scale them with ``data.to_minus_one_one``) or non-integer labels.
        ValueError: bad images, labels, sizes or objective (the message names it), or fewer
            images than one batch.
    """

    def __init__(self, images, labels, batch_size: int, objective: str = "flow", *, num_classes: int = 10,
                 p_uncond: float = 0.1, alpha_bars=None, time_sampling: str = "logit_normal",
                 batches_per_epoch: int | None = None, seed: int = 0, image_shape=(28, 28, 1)):
        super().__init__()
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
        self.images = as_model_images(images, "images", tuple(image_shape), unit_range="error")
        self.num_classes = check_positive_int(num_classes, "num_classes", low=2)
        self.labels = as_labels(labels, self.num_classes, "labels", num_images=len(self.images))
        self.batch_size = check_positive_int(batch_size, "batch_size")
        if len(self.images) < self.batch_size:
            raise ValueError(f"too little data for one batch: {len(self.images)} images but batch_size={self.batch_size}; "
                             "use more images or a smaller batch_size")
        self.objective = objective
        if time_sampling not in TIME_SAMPLING:
            raise ValueError(f"time_sampling must be one of {TIME_SAMPLING}, got {time_sampling!r}")
        self.time_sampling = time_sampling
        self.batches_per_epoch = None if batches_per_epoch is None else check_positive_int(batches_per_epoch, "batches_per_epoch")
        self.p_uncond = check_scalar(p_uncond, "p_uncond", low=0.0, high=0.999)
        self.alpha_bars = ddpm_alpha_bars() if alpha_bars is None else np.asarray(alpha_bars, np.float64)
        self.seed = int(seed)
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        """Continue with the order of ``epoch`` (0-based)."""
        self.epoch = int(epoch)
        self._order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.images))

    def on_epoch_end(self) -> None:
        self.set_epoch(self.epoch + 1)

    def __len__(self) -> int:
        full = len(self.images) // self.batch_size
        return full if self.batches_per_epoch is None else min(full, self.batches_per_epoch)

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range: there are {len(self)} full batches")
        rows = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        rng = np.random.default_rng([self.seed, self.epoch, index, 1])
        return noisy_batch(self.images[rows], self.labels[rows], self.objective, rng, num_classes=self.num_classes,
                           p_uncond=self.p_uncond, alpha_bars=self.alpha_bars, time_sampling=self.time_sampling)


def noisy_batch(x0, labels, objective: str, rng, *, num_classes: int, p_uncond: float, alpha_bars,
                time_sampling: str = "logit_normal"):
    """One training batch from clean images: ``((x_t, t, labels), target)`` (see :class:`NoisyBatches`).

    Args:
        x0: clean images (N, H, W, C) float32 in [-1, 1]; labels: (N,) class indices.
        objective: ``"ddpm"`` (target: the noise) or ``"flow"`` (target: the velocity).
        rng: a ``numpy.random.Generator``.

    Returns:
        ``x_t`` float32 like ``x0``, ``t`` float32 (N,) in [0, 1], labels int32 (N,) with a share
        ``p_uncond`` replaced by the null label ``num_classes``, and the target like ``x0``.
    """
    noise = rng.standard_normal(x0.shape).astype(np.float32)
    labels = np.where(rng.random(len(x0)) < p_uncond, num_classes, labels).astype(np.int32)
    if objective == "ddpm":
        steps = len(alpha_bars) - 1
        k = rng.integers(1, steps + 1, size=len(x0))      # a noise level per image, 1..T
        x_t, t, target = add_noise(x0, noise, alpha_bars[k]), k / steps, noise
    else:
        t = rng.random(len(x0)) if time_sampling == "uniform" else 1.0 / (1.0 + np.exp(-rng.standard_normal(len(x0))))
        x_t, target = flow_interpolate(x0, noise, t), noise - x0
    return (x_t, t.astype(np.float32), labels), target


# --------------------------------------------------------------------------- sampling


def guided(conditional, unconditional, scale: float):
    """Classifier-free guidance: ``unconditional + scale * (conditional - unconditional)``.

    ``scale = 0`` is the unconditional model, 1 the conditional one, above 1 pushes the sample
    further towards what makes it *this* class.
    """
    return unconditional + scale * (conditional - unconditional)


def ddim_step(x_t, eps, alpha_bar_t, alpha_bar_s, eta: float = 0.0, noise=None, clip: bool = True):
    """One step from level t to the less noisy level s < t, given the predicted noise ``eps``.

    The generalised step of DDIM (Song et al., 2021, eq. 12)::

        x0_hat = (x_t - sqrt(1 - ab_t) * eps) / sqrt(ab_t)              (clipped to [-1, 1])
        sigma  = eta * sqrt((1 - ab_s) / (1 - ab_t)) * sqrt(1 - ab_t / ab_s)
        x_s    = sqrt(ab_s) * x0_hat + sqrt(1 - ab_s - sigma^2) * eps + sigma * noise

    ``eta = 1`` with ``s = t - 1`` is DDPM's ancestral sampling step; ``eta = 0`` is the
    deterministic DDIM step (no new noise), which may jump over many levels at once.

    Args:
        x_t: images at level t (N, H, W, C); eps: the network's noise prediction, same shape.
        alpha_bar_t, alpha_bar_s: signal shares of the two levels, ``alpha_bar_s > alpha_bar_t``.
        eta: 0 (DDIM) to 1 (DDPM).
        noise: standard normal of the shape of ``x_t`` (needed when eta > 0).
        clip: clip ``x0_hat`` to the image range [-1, 1].

    Returns:
        ``x_s`` (float32).
    """
    ab_t, ab_s = float(alpha_bar_t), float(alpha_bar_s)
    x0_hat = (x_t - math.sqrt(1.0 - ab_t) * eps) / math.sqrt(ab_t)
    if clip:
        x0_hat = np.clip(x0_hat, -1.0, 1.0)
        eps = (x_t - math.sqrt(ab_t) * x0_hat) / math.sqrt(1.0 - ab_t)  # the noise that fits the clipped x0_hat
    sigma = eta * math.sqrt((1.0 - ab_s) / (1.0 - ab_t)) * math.sqrt(1.0 - ab_t / ab_s)
    x_s = math.sqrt(ab_s) * x0_hat + math.sqrt(max(1.0 - ab_s - sigma**2, 0.0)) * eps
    if sigma > 0:
        if noise is None:
            raise ValueError("eta > 0 adds noise: pass noise of the images' shape")
        x_s = x_s + sigma * noise
    return np.asarray(x_s, np.float32)


def euler_step(x_t, velocity, t: float, s: float):
    """One Euler step of ``dx/dt = v`` from time t to the earlier time s: ``x_t + (s - t) * v``.

    On the straight path of rectified flow, ``x_t - t * v`` is the predicted clean image, so an
    exact velocity would reach it in one step; a learned one is an average over the images
    that could lie behind ``x_t``, which is why sampling takes several steps.
    """
    return np.asarray(x_t + (float(s) - float(t)) * velocity, np.float32)


class Sampler:
    """Sampling a trained network: the network call (with guidance) and the steps.

    Args:
        network: inputs ``[x_t, t, labels]``, the prediction of ``objective``.
        objective: ``"ddpm"`` (noise prediction) or ``"flow"`` (velocity prediction).
        alpha_bars: the DDPM schedule the network was trained with.
        batch_size: images per forward pass.
    """

    def __init__(self, network, objective: str, *, alpha_bars=None, batch_size: int = 1000):
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
        self.network, self.objective = network, objective
        self.alpha_bars = ddpm_alpha_bars() if alpha_bars is None else np.asarray(alpha_bars, np.float64)
        self.batch_size = int(batch_size)
        self.null = int(network.get_layer("label_embedding").input_dim) - 1
        self.calls = 0  # network evaluations (images), for the cost of sampling

    def predict(self, x, t: float, labels, guidance: float):
        """The (guided) prediction for images ``x`` at time ``t``; one batched call for both halves."""
        n = len(x)
        t_in = np.full(n, t, np.float32)
        if guidance == 1.0:
            inputs, double = [x, t_in, labels], False
        else:
            null = np.full(n, self.null, np.int32)
            inputs = [np.concatenate([x, x]), np.concatenate([t_in, t_in]), np.concatenate([labels, null])]
            double = True
        out = np.asarray(self.network.predict(inputs, batch_size=self.batch_size, verbose=0), np.float32)
        self.calls += len(inputs[0])
        return guided(out[:n], out[n:], guidance) if double else out

    def clean_estimate(self, x, t: float, prediction):
        """The network's guess of the clean image behind ``x`` at time ``t`` (clipped to [-1, 1]).

        Flow: ``x - t * v``. DDPM: ``(x - sqrt(1 - ab) * eps) / sqrt(ab)`` at the level ``t * T``.
        """
        if self.objective == "flow":
            return np.clip(x - t * prediction, -1.0, 1.0)
        ab = self.alpha_bars[int(round(t * (len(self.alpha_bars) - 1)))]
        return np.clip((x - math.sqrt(1.0 - ab) * prediction) / math.sqrt(ab), -1.0, 1.0)

    def run(self, noise, labels, steps: int, guidance: float = 1.0, eta: float = 0.0, seed: int = 0,
            keep_path: bool = False):
        """Images from starting noise (N, H, W, C) in [-1, 1].

        ``"flow"``: ``steps`` Euler steps from t = 1 to 0. ``"ddpm"``: ``steps`` levels evenly
        spaced from T down to 1 (then the clean image), each a :func:`ddim_step` with ``eta``.

        Returns:
            The images; with ``keep_path``, ``(images, trace)`` where ``trace`` has ``"times"``
            (the ``steps + 1`` times, from 1 to 0), ``"states"`` (``x_t`` at each time) and
            ``"guesses"`` (the network's clean-image estimate at each time but the last).
        """
        x = np.asarray(noise, np.float32)
        rng = np.random.default_rng(seed)
        if self.objective == "flow":
            times = np.linspace(1.0, 0.0, steps + 1)
        else:
            total = len(self.alpha_bars) - 1
            times = np.unique(np.round(np.linspace(total, 0, steps + 1)).astype(int))[::-1] / total
        trace = {"times": list(times), "states": [x], "guesses": []}
        for t, s in zip(times[:-1], times[1:]):
            prediction = self.predict(x, t, labels, guidance)
            if keep_path:
                trace["guesses"].append(self.clean_estimate(x, t, prediction))
            if self.objective == "flow":
                x = euler_step(x, prediction, t, s)
            else:
                k, j = int(round(t * total)), int(round(s * total))
                noise_k = rng.standard_normal(x.shape).astype(np.float32) if eta > 0 and j > 0 else None
                x = ddim_step(x, prediction, self.alpha_bars[k], self.alpha_bars[j], eta=eta if j > 0 else 0.0,
                              noise=noise_k)
            if keep_path:
                trace["states"].append(x)
        images = np.clip(x, -1.0, 1.0)
        return (images, trace) if keep_path else images


def sample(network, objective: str, labels, *, steps: int = DEFAULT_STEPS, guidance: float = 1.0, eta: float = 0.0,
           seed: int = 0, alpha_bars=None, batch_size: int = 1000) -> np.ndarray:
    """Images of the requested classes from a trained network: (N, H, W, C) float32 in [-1, 1].

    Args:
        network: the trained U-Net.
        objective: ``"ddpm"`` or ``"flow"``, what the network was trained for.
        labels: (N,) class indices; the null label (``num_classes``) samples unconditionally.
        steps: network evaluations per image (twice that with guidance).
        guidance: classifier-free guidance scale (1: none).
        eta: DDPM only: 0 for DDIM, 1 for DDPM's stochastic steps.
        seed: seed of the starting noise (and of DDPM's step noise): same seed, same images.
    """
    labels = np.asarray(labels)
    null = int(network.get_layer("label_embedding").input_dim) - 1
    labels = as_labels(labels, null + 1, "labels")
    steps = check_positive_int(steps, "steps")
    check_scalar(guidance, "guidance", low=0.0)
    check_scalar(eta, "eta", low=0.0, high=1.0)
    image_shape = tuple(int(d) for d in network.inputs[0].shape[1:])
    noise = np.random.default_rng(seed).standard_normal((len(labels), *image_shape)).astype(np.float32)
    sampler = Sampler(network, objective, alpha_bars=alpha_bars, batch_size=batch_size)
    return sampler.run(noise, labels, steps, float(guidance), float(eta), seed=seed + 1)
