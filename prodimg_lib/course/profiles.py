"""Named run sizes for the notebooks: ``smoke``, ``cpu`` and ``gpu``.

Every notebook has a ``parameters`` cell with ``PROFILE = None`` and reads all of its
sizes (data, epochs, batch size, model width, how many images to show) from the
:class:`Profile` that :func:`get_profile` returns, so one word scales the whole course:

- ``smoke``: seconds per notebook on a 2-core CPU, on the committed sample; it proves
  that the code runs and nothing more (its numbers are not results).
- ``cpu``: a short but real run on a laptop CPU, on the full data (minutes per notebook).
- ``gpu``: the full course results, meant for a Colab GPU.

``PROFILE = None`` means: the environment variable ``PRODIMG_PROFILE`` if set, otherwise
``gpu`` when a GPU is visible and ``cpu`` when not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

__all__ = ["Profile", "PROFILES", "get_profile", "default_profile_name", "configure_keras", "ENV_PROFILE",
           "ENV_TRAIN_BUDGET"]

ENV_PROFILE = "PRODIMG_PROFILE"
# Replaces the profile's training budget: "off" for none (every planned epoch), or seconds.
ENV_TRAIN_BUDGET = "PRODIMG_TRAIN_BUDGET"


@dataclass(frozen=True)
class Profile:
    """Sizes of one run profile.

    Attributes:
        name: "smoke", "cpu" or "gpu".
        description: one line for reports.
        full_data: True to use the full Fashion-MNIST, False for the committed sample.
        images_per_class: images per class in overview grids.
        max_train_images: cap on training images (None: all of them).
        epochs: training epochs for the course's models.
        batch_size: mini-batch size.
        width: base number of filters of the course's CNNs (models scale from it).
        cnn_epochs: epochs of the small Fashion-MNIST classifier CNN of notebook 03
            (it converges in far fewer epochs than a GAN).
        gan_epochs: epochs of the DCGAN and the conditional DCGAN (notebooks 05 and 06).
        sr_epochs: epochs of each super-resolution model (notebook 09).
        restore_epochs: epochs of the denoiser (notebook 10); the inpainting network trains 1.5 times as many.
        tone_epochs: epochs of the low-light curve estimator (notebook 11).
        diffusion_epochs: epochs of the flow-matching model of notebook 08 (its DDPM model trains
            half as many); under ``cpu`` an epoch there is 100 batches, so the time budget stops
            training close to its end.
        precision: Keras dtype policy of the course's models: "float32", or "mixed_bfloat16"
            (layers compute in bfloat16, weights, outputs and losses stay float32), or "auto":
            mixed_bfloat16 on GPUs that compute bfloat16 natively, float32 elsewhere (see
            :func:`configure_keras`).
        train_budget_s: seconds of training per notebook, or None for no bound: whole epochs
            run while the next fits in the budget, at least one and at most the profile's epochs
            (:class:`prodimg_lib.course.budget.TimeBudget`), so a slower machine waits about as
            long and trains fewer epochs. A notebook that trains several models gives each a
            share (notebook 09: six trainings; 10: two) and says so in its header; the short
            failure runs of notebook 05 get a quarter each, beside its DCGAN's whole budget.
        xla: compile the training steps with XLA. JAX always does; with ``xla=True``
            TensorFlow does too. PyTorch never does (Keras's ``jit_compile=True`` there means
            ``torch.compile``, another compiler, slow to start); see :attr:`jit_compile`.
    """

    name: str
    description: str
    full_data: bool
    images_per_class: int
    max_train_images: int | None
    epochs: int
    batch_size: int
    width: int
    cnn_epochs: int = 1
    gan_epochs: int = 1
    sr_epochs: int = 1
    restore_epochs: int = 1
    tone_epochs: int = 1
    diffusion_epochs: int = 1
    precision: str = "float32"
    train_budget_s: float | None = None
    xla: bool = False

    @property
    def jit_compile(self) -> bool | str:
        """The ``jit_compile`` argument of ``compile`` for this profile on the active backend."""
        import keras

        return True if self.xla and keras.backend.backend() == "tensorflow" else "auto"

    @property
    def data_name(self) -> str:
        """How the data this profile uses is named in reports."""
        return "full Fashion-MNIST" if self.full_data else "committed Fashion-MNIST sample"


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        description="seconds per notebook on the committed sample; proves the code runs, results are not meaningful",
        full_data=False,
        images_per_class=4,
        max_train_images=512,
        epochs=1,
        batch_size=64,
        width=8,
        cnn_epochs=1,
        gan_epochs=1,
        sr_epochs=1,
        restore_epochs=1,
        tone_epochs=1,
        diffusion_epochs=1,
    ),
    "cpu": Profile(
        name="cpu",
        description="minutes per notebook on a laptop CPU, full data; real but short runs",
        full_data=True,
        images_per_class=8,
        max_train_images=None,
        epochs=5,
        batch_size=128,
        width=32,
        cnn_epochs=8,
        gan_epochs=7,
        sr_epochs=2,
        restore_epochs=2,
        tone_epochs=3,
        diffusion_epochs=40,
        train_budget_s=480.0,
    ),
    "gpu": Profile(
        name="gpu",
        description="the full course results on a GPU (for example Colab)",
        full_data=True,
        images_per_class=8,
        max_train_images=None,
        epochs=30,
        batch_size=256,
        width=64,
        cnn_epochs=15,
        gan_epochs=100,
        sr_epochs=20,
        restore_epochs=20,
        tone_epochs=30,
        diffusion_epochs=30,
        precision="auto",
        xla=True,
    ),
}


def default_profile_name() -> str:
    """``$PRODIMG_PROFILE`` if set, else ``gpu`` when a GPU is visible, else ``cpu``."""
    from_env = os.environ.get(ENV_PROFILE, "").strip()
    if from_env:
        return from_env
    from prodimg_lib.course.devices import gpu_names

    return "gpu" if gpu_names() else "cpu"


def get_profile(name: str | None = None, **overrides) -> Profile:
    """Return the named profile (``None``: :func:`default_profile_name`).

    ``$PRODIMG_TRAIN_BUDGET`` replaces the profile's ``train_budget_s``: ``off`` trains every
    planned epoch, a number of seconds sets another budget (for example on a slow machine that
    may take longer). Keyword overrides replace single fields, e.g. ``get_profile("cpu", epochs=2)``.

    Raises:
        ValueError: the name is not one of ``smoke``, ``cpu``, ``gpu``, an override is not a field,
            or ``$PRODIMG_TRAIN_BUDGET`` is neither ``off`` nor a positive number.
    """
    name = default_profile_name() if name is None else str(name)
    key = name.strip().lower()
    if key not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    profile = PROFILES[key]
    budget = os.environ.get(ENV_TRAIN_BUDGET, "").strip().lower()
    if budget:
        profile = replace(profile, train_budget_s=_budget_from_env(budget))
    if overrides:
        unknown = set(overrides) - set(Profile.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown profile field(s) {sorted(unknown)}; fields are {list(Profile.__dataclass_fields__)}")
        profile = replace(profile, **overrides)
    return profile


def _budget_from_env(text: str) -> float | None:
    if text == "off":
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not (seconds > 0 and seconds != float("inf")):
        raise ValueError(f"{ENV_TRAIN_BUDGET} must be 'off' or a positive number of seconds, got {text!r}")
    return seconds


def configure_keras(profile: Profile) -> str:
    """Set Keras's global dtype policy for ``profile`` before its models are built; return the policy.

    ``precision="auto"`` gives ``mixed_bfloat16`` where every GPU computes bfloat16 natively
    (:func:`prodimg_lib.course.devices.gpu_supports_bfloat16`) and ``float32`` elsewhere (a CPU,
    or an older GPU that would emulate it). bfloat16 keeps float32's exponent range, so
    unlike float16 it needs no loss scaling; the course's models keep their outputs in float32
    and the losses are computed in float32.
    """
    import keras

    policy = profile.precision
    if policy == "auto":
        from prodimg_lib.course.devices import gpu_supports_bfloat16

        policy = "mixed_bfloat16" if gpu_supports_bfloat16() else "float32"
    if policy not in ("float32", "mixed_bfloat16"):
        raise ValueError(f"precision must be 'float32', 'mixed_bfloat16' or 'auto', got {profile.precision!r}")
    keras.mixed_precision.set_global_policy(policy)
    return policy
