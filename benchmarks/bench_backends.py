"""Training speed of the course's models on every Keras backend: ``python -m benchmarks backends``.

What it measures, each Keras backend (TensorFlow, JAX, PyTorch) in its own subprocess with
``KERAS_BACKEND`` set (a process's backend is fixed once Keras is imported):

1. the library's DCGAN training step (:class:`prodimg_lib.generation.gan.GAN`, the ``cpu``
   profile's width and batch size, latent 64, two ``Adam(2e-4, beta_1=0.5)``), trained with
   ``fit`` on batches from :func:`~prodimg_lib.generation.dataset.make_dataset`, the way a
   learner trains it;
2. the x2 EDSR-style super-resolution step (:func:`prodimg_lib.enhancement.models.sr.build_edsr`
   with the profile's settings from :func:`~prodimg_lib.enhancement.recipes.super_resolution.sr_settings`),
   compiled and fitted as :func:`prodimg_lib.enhancement.fit.train_image_to_image` does it (Adam
   with cosine decay, MSE, NumPy arrays, batches of 64);
3. a reference row: the TensorFlow tutorial's DCGAN (:mod:`benchmarks.reference_dcgan`), its own
   ``tf.function`` loop, on TensorFlow only;

each in float32 and under the mixed-precision policy ``mixed_bfloat16`` with ``jit_compile`` off
and on (TensorFlow: XLA; JAX: ``jax.jit``, off means op-by-op; PyTorch: ``torch.compile``), and
under ``mixed_float16`` with the backend's default only (``--full-matrix``: both). Keras's default
(``jit_compile="auto"``) is off on a CPU-only TensorFlow, on for JAX and off for PyTorch; the
table marks the default. A configuration that fails is a row with its error; one that runs past
``config_timeout`` seconds is stopped (``torch.compile`` can take many minutes on a small CPU),
and the backend's later ``jit_compile=True`` configurations are then skipped, with that reason.

Timing: a timer callback notes the clock at the end of every batch (Keras turns the logs into
Python numbers before calling a callback, so each step has finished). The first
``warmup`` steps (tracing, compiling) are left out; the images per second are those of the
next ``steps`` steps (fewer when a configuration's ``max_seconds``, twice that for the float32
rows that compare the backends, runs out first; the row says how many). Each row also gives
the process's CPU seconds per step and the cores it kept busy (CPU seconds / wall seconds):
on a CPU shared with other jobs that, with the load average, says how much of the machine the
measurement had. Inputs are synthetic random images in [-1, 1]: the speed does not depend
on the pixel values.

FLOPs: :func:`forward_macs` counts the multiply-adds of the Conv2D, Conv2DTranspose and Dense
layers from their shapes (bias additions, normalisation, activations and element-wise layers
are not counted); a FLOP is half a multiply-add (FLOPs = 2 x MACs). Convention: a training
pass through a model costs 3 x its forward FLOPs (the backward pass ~2x: gradients of the
inputs and of the weights). Per real image, the GAN step is
``D fwd+bwd on real + D fwd+bwd on fake + G fwd`` (discriminator step) ``+ (G + D) fwd+bwd``
(generator step) = ``9 F_D + 4 F_G``; the tutorial's step (one forward pass, two tapes) is
``3 F_G + 3 F_D (real) + F_D + 2 x 2 F_D (fake: one backward pass per tape)`` = ``3 F_G + 8 F_D``;
a plain model (EDSR) ``3 F``. The frozen depth-to-space ``Conv2DTranspose`` of the EDSR model
is counted: the backend multiplies by its 0/1 kernel like any other.

The arithmetic limit is measured: the best float32 rate of a 2048 x 2048 matrix product (best
of several) in NumPy and in each backend's own matmul; the ``% of peak`` column divides by the
best of those. The nominal peak (cores x GHz x 32 float32 FLOPs per cycle with AVX2 + FMA, two
256-bit FMA units) is given beside it, with where the clock rate came from.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
import types
from pathlib import Path

import numpy as np

from benchmarks.common import jsonable, machine

__all__ = [
    "BACKENDS",
    "PRECISIONS",
    "JIT_MODES",
    "MODELS",
    "LATENT_DIM",
    "forward_macs",
    "forward_flops",
    "gan_step_flops",
    "tutorial_step_flops",
    "training_flops",
    "nominal_peak",
    "matmul_rate",
    "numpy_matmul_peak",
    "backend_matmul_peak",
    "bench_sizes",
    "default_configs",
    "run_configs",
    "run_backends_benchmark",
    "format_backends_table",
]

BACKENDS = ("tensorflow", "jax", "torch")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
JIT_MODES = (False, True)
MODELS = ("dcgan", "edsr")
LATENT_DIM = 64
DEFAULT_STEPS = 20
DEFAULT_WARMUP = 2
DEFAULT_MAX_SECONDS = 8.0  # timed seconds per configuration, at most (at least MIN_TIMED_STEPS steps)
DEFAULT_CONFIG_TIMEOUT = 120.0  # a configuration (building, compiling, all steps) that takes longer is stopped
MIN_TIMED_STEPS = 3
MATMUL_N = 2048
MATMUL_REPEATS = 5
TRAINING_MULTIPLIER = 3  # training FLOPs of a model = 3 x forward (backward ~2 x forward)
BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


# --------------------------------------------------------------------------- FLOPs


def _prod(values) -> int:
    out = 1
    for v in values:
        out *= int(v)
    return out


def _layer_macs(layer, in_shape, out_shape) -> int:
    """Multiply-adds of one call of a Conv/ConvTranspose/Dense layer (0 for other layers)."""
    from keras import layers

    if isinstance(layer, layers.Dense):
        # (N, ..., in) -> (N, ..., units): one in x units product per leading position
        return _prod(in_shape[1:-1]) * int(in_shape[-1]) * int(layer.units)
    if isinstance(layer, (layers.Conv1DTranspose, layers.Conv2DTranspose, layers.Conv3DTranspose)):
        # every input pixel scatters a kernel-sized block of every output channel
        c_in, c_out = _channels(layer, in_shape), _channels(layer, out_shape)
        return _prod(_spatial(layer, in_shape)) * c_in * _prod(layer.kernel_size) * c_out
    if isinstance(layer, (layers.Conv1D, layers.Conv2D, layers.Conv3D)) and not isinstance(
        layer, (layers.DepthwiseConv2D, layers.SeparableConv2D)
    ):
        c_in, c_out = _channels(layer, in_shape), _channels(layer, out_shape)
        groups = int(getattr(layer, "groups", 1) or 1)
        return _prod(_spatial(layer, out_shape)) * c_out * _prod(layer.kernel_size) * (c_in // groups)
    return 0


def _channels(layer, shape) -> int:
    return int(shape[1] if getattr(layer, "data_format", "channels_last") == "channels_first" else shape[-1])


def _spatial(layer, shape) -> tuple:
    return tuple(shape[2:] if getattr(layer, "data_format", "channels_last") == "channels_first" else shape[1:-1])


def _concrete(model, input_shape):
    """``model`` itself when its inputs' shapes are known, else a clone built on ``input_shape``."""
    import keras

    if input_shape is None:
        shapes = [tuple(t.shape[1:]) for t in model.inputs]
        if any(d is None for s in shapes for d in s):
            raise ValueError(f"{model.name} has unknown input sizes {shapes}: pass input_shape (without the batch axis)")
        return model
    inputs = keras.Input(tuple(input_shape), name="flops_input")
    return keras.models.clone_model(model, input_tensors=inputs)


def forward_macs(model, input_shape=None) -> dict:
    """Multiply-adds of one forward pass of ONE image through ``model``, per layer.

    Counts Conv1D/2D/3D (``groups`` respected), their transposed forms and Dense layers from
    their input and output shapes; other layers (normalisation, activations, additions,
    reshapes) count 0 and are left out. Nested models are counted through.

    Args:
        model: a functional or Sequential ``keras.Model``.
        input_shape: the shape of one input image, e.g. ``(14, 14, 1)``; needed when the model
            takes any size (``(None, None, C)``), None otherwise.

    Returns:
        ``{layer name: MACs}`` for every layer that has any (names of nested models' layers
        are prefixed ``"model/"``).
    """
    model = _concrete(model, input_shape)
    out: dict = {}
    for layer in model.layers:
        if hasattr(layer, "layers") and hasattr(layer, "inputs"):  # a nested model
            for name, macs in forward_macs(layer).items():
                out[f"{layer.name}/{name}"] = out.get(f"{layer.name}/{name}", 0) + macs
            continue
        nodes = getattr(layer, "_inbound_nodes", None) or []
        calls = []
        for node in nodes:
            ins, outs = list(getattr(node, "input_tensors", []) or []), list(getattr(node, "outputs", []) or [])
            if ins and outs:
                calls.append((tuple(ins[0].shape), tuple(outs[0].shape)))
        if not calls:
            try:
                calls = [(tuple(layer.input.shape), tuple(layer.output.shape))]
            except (AttributeError, ValueError):
                continue
        macs = sum(_layer_macs(layer, i, o) for i, o in calls)
        if macs:
            out[layer.name] = out.get(layer.name, 0) + macs
    return out


def forward_flops(model, input_shape=None) -> int:
    """FLOPs of one forward pass of one image: 2 x :func:`forward_macs` summed."""
    return 2 * sum(forward_macs(model, input_shape).values())


def training_flops(forward: int) -> int:
    """Training FLOPs per image of a plain model: ``3 x forward`` (the convention of this module)."""
    return TRAINING_MULTIPLIER * int(forward)


def gan_step_flops(f_g: int, f_d: int) -> int:
    """Training FLOPs per real image of one :class:`GAN` step from the two forward counts.

    Discriminator step: D forward+backward on the real and on the generated batch (2 x 3 F_D)
    and G forward to make the fakes (F_G, no gradient); generator step: G and D forward+backward
    on fresh noise (3 F_G + 3 F_D). In all ``9 F_D + 4 F_G``.
    """
    return 9 * int(f_d) + 4 * int(f_g)


def tutorial_step_flops(f_g: int, f_d: int) -> int:
    """Training FLOPs per image of the tutorial's step: ``3 F_G + 8 F_D``.

    One forward pass (G, D on real, D on fake) recorded by two tapes: D's tape goes back through D
    on real and fake (2 F_D each), G's tape back through D on the fake (2 F_D) and then G (2 F_G).
    """
    return 3 * int(f_g) + 8 * int(f_d)


# --------------------------------------------------------------------------- the CPU's limit


def _lscpu() -> dict:
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in text.splitlines() if ":" in line)}


def nominal_peak() -> dict:
    """The CPU's nominal float32 peak: usable cores x GHz x FLOPs per cycle per core.

    FLOPs per cycle: 32 with AVX2 and FMA (two 256-bit FMA units: 2 x 8 lanes x 2), 64 with
    AVX-512 (assuming two 512-bit units), 16 with AVX alone, 8 otherwise. The clock: lscpu's
    "CPU max MHz" when the system reports one, else the current "cpu MHz" of /proc/cpuinfo
    (under a hypervisor often the nominal base clock; boost clocks are higher).

    Returns:
        dict with model, cores, ghz, ghz_source, flops_per_cycle, isa and gflops.
    """
    info = _lscpu()
    flags = set(info.get("Flags", "").split())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    ghz, source = None, None
    if info.get("CPU max MHz"):
        ghz, source = float(info["CPU max MHz"]) / 1000, "lscpu CPU max MHz"
    else:
        try:
            mhz = [float(m) for m in re.findall(r"^cpu MHz\s*:\s*([\d.]+)", Path("/proc/cpuinfo").read_text(), re.M)]
        except OSError:
            mhz = []
        if mhz:
            ghz, source = max(mhz) / 1000, "/proc/cpuinfo cpu MHz (current clock; no max MHz reported)"
    if "avx512f" in flags:
        per_cycle, isa = 64, "AVX-512 + FMA (assumed 2 units)"
    elif "avx2" in flags and "fma" in flags:
        per_cycle, isa = 32, "AVX2 + FMA (2 x 256-bit FMA units)"
    elif "avx" in flags:
        per_cycle, isa = 16, "AVX"
    else:
        per_cycle, isa = 8, "SSE"
    return {
        "model": info.get("Model name"),
        "cores": cores,
        "ghz": ghz,
        "ghz_source": source,
        "flops_per_cycle": per_cycle,
        "isa": isa,
        "gflops": None if ghz is None else cores * ghz * per_cycle,
    }


def matmul_rate(fn, n: int = MATMUL_N, repeats: int = MATMUL_REPEATS) -> dict:
    """GFLOP/s of ``fn()`` (which computes one n x n float32 product and waits for it): best and median."""
    fn()  # warm-up (thread pools, allocation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    flops = 2.0 * n**3
    return {"n": n, "repeats": repeats, "gflops_best": flops / min(times) / 1e9,
            "gflops_median": flops / float(np.median(times)) / 1e9}


def numpy_matmul_peak(n: int = MATMUL_N, repeats: int = MATMUL_REPEATS) -> dict:
    """NumPy's float32 ``a @ b`` rate (its BLAS, all threads)."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    return dict(matmul_rate(lambda: a @ b, n, repeats), library=f"numpy {np.__version__}")


def backend_matmul_peak(n: int = MATMUL_N, repeats: int = MATMUL_REPEATS) -> dict:
    """The current Keras backend's own float32 matmul rate (``tf.linalg.matmul``, ``jnp.dot``, ``torch.mm``)."""
    import keras

    name = keras.backend.backend()
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    if name == "tensorflow":
        import tensorflow as tf

        ta, tb = tf.constant(a), tf.constant(b)
        fn = lambda: tf.linalg.matmul(ta, tb).numpy()  # noqa: E731 (.numpy() waits for the result)
        lib = f"tf.linalg.matmul {tf.__version__}"
    elif name == "jax":
        import jax
        import jax.numpy as jnp

        ja, jb = jnp.asarray(a), jnp.asarray(b)
        dot = jax.jit(jnp.dot)
        fn = lambda: dot(ja, jb).block_until_ready()  # noqa: E731
        lib = f"jax.numpy.dot (jit) {jax.__version__}"
    elif name == "torch":
        import torch

        pa, pb = torch.from_numpy(a), torch.from_numpy(b)
        fn = lambda: torch.mm(pa, pb)  # noqa: E731 (synchronous on the CPU)
        lib = f"torch.mm {torch.__version__} ({torch.get_num_threads()} threads)"
    else:
        return {"error": f"no matmul for backend {name}"}
    return dict(matmul_rate(fn, n, repeats), library=lib)


# --------------------------------------------------------------------------- sizes and configurations


def bench_sizes(profile_name: str = "cpu") -> dict:
    """Model sizes of a run profile: the DCGAN (width, batch, latent 64), the x2 EDSR settings, the tutorial's."""
    from prodimg_lib.course.profiles import get_profile
    from prodimg_lib.enhancement.recipes.super_resolution import sr_settings

    profile = get_profile(profile_name)
    sr = sr_settings(profile, 2, "edsr")
    tiny = profile.name == "smoke"
    return {
        "profile": profile.name,
        "dcgan": {"width": int(profile.width), "batch_size": int(profile.batch_size), "latent_dim": LATENT_DIM,
                  "learning_rate": 2e-4, "beta_1": 0.5},
        "edsr": {k: sr[k] for k in ("factor", "width", "blocks", "batch_size", "learning_rate")},
        # the tutorial's own sizes (width 64, batch 256, noise 100); a small copy for the smoke profile
        "reference": ({"width": 8, "batch_size": 64, "noise_dim": 16} if tiny
                      else {"width": 64, "batch_size": 256, "noise_dim": 100}),
    }


def default_configs(backend: str, precisions=PRECISIONS, jit_modes=JIT_MODES, models=MODELS,
                    reference: bool = True, full_matrix: bool = False) -> list[dict]:
    """The configurations measured on one backend (+ the tutorial's DCGAN on TensorFlow).

    float32 and mixed_bfloat16 with every jit mode of ``jit_modes``; mixed_float16 only with the
    backend's default jit setting (it is on a CPU a curiosity: no CPU here computes in float16),
    unless ``full_matrix``, which measures every precision with every jit mode.
    """
    jit_modes = list(dict.fromkeys(default_jit(backend) if j == "default" else bool(j) for j in jit_modes))
    configs = []
    for m in models:
        for p in precisions:
            modes = jit_modes if (full_matrix or p != "mixed_float16") else [default_jit(backend)]
            configs += [{"model": m, "precision": p, "jit": j} for j in modes]
    # jit_compile=False first: a compiler interrupted at its time limit (torch.compile) cannot then
    # leave anything behind for the configurations that do not use it
    configs.sort(key=lambda c: bool(c["jit"]))
    if reference and backend == "tensorflow":
        configs.append({"model": "reference", "precision": "float32", "jit": False})
    return configs


def default_jit(backend: str) -> bool:
    """What ``jit_compile="auto"`` resolves to on a CPU-only machine: on for JAX, off for TensorFlow and PyTorch."""
    return backend == "jax"


# --------------------------------------------------------------------------- timing (in the worker)


def _step_timer(warmup: int, steps: int, max_seconds: float):
    import keras

    class StepTimer(keras.callbacks.Callback):
        """Clock at every batch end; stops training after ``warmup + steps`` steps or ``max_seconds`` timed."""

        def __init__(self):
            super().__init__()
            self.start = None
            self.ends: list[float] = []
            self.cpu_ends: list[float] = []  # the process's CPU time (all threads) at the same moments
            self.last_logs: dict = {}

        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()
            self.cpu_start = time.process_time()

        def on_train_batch_end(self, batch, logs=None):
            # The logs are Python numbers here (Keras converts them before calling a non-async
            # callback), so the step has finished; float() makes sure of it on every backend.
            self.last_logs = {k: float(np.asarray(v)) for k, v in (logs or {}).items()}
            now = time.perf_counter()
            self.ends.append(now)
            self.cpu_ends.append(time.process_time())
            timed = len(self.ends) - warmup
            if timed >= steps or (timed >= MIN_TIMED_STEPS and now - self.ends[warmup - 1] >= max_seconds):
                self.model.stop_training = True

    return StepTimer()


def _timing(timer, warmup: int, batch_size: int) -> dict:
    ends = timer.ends
    if len(ends) <= warmup:
        raise RuntimeError(f"only {len(ends)} steps ran, fewer than the {warmup} warm-up steps + 1")
    steps = np.diff(np.asarray([ends[warmup - 1] if warmup else timer.start] + ends[warmup:]))
    seconds = float(np.sum(steps))
    cpu = timer.cpu_ends[-1] - (timer.cpu_ends[warmup - 1] if warmup else timer.cpu_start)
    return {
        # CPU seconds of this process (all its threads) per timed step, and the cores it kept busy on
        # average (cpu / wall): well under the core count means other jobs took the CPU (or the
        # backend could not use every core); spinning thread pools count as busy.
        "cpu_seconds_per_step": cpu / len(steps),
        "cores_busy": cpu / seconds,
        "warmup_steps": warmup,
        "timed_steps": int(len(steps)),
        "timed_seconds": seconds,
        "first_step_seconds": float(ends[0] - timer.start),
        "step_seconds_mean": seconds / len(steps),
        "step_seconds_median": float(np.median(steps)),
        "images_per_second": batch_size * len(steps) / seconds,
        "images_per_second_median_step": batch_size / float(np.median(steps)),
        "final_logs": timer.last_logs,
    }


def _output_layer(model):
    """The layer that produces ``model.outputs[0]``."""
    history = getattr(model.outputs[0], "_keras_history", None)
    op = getattr(history, "operation", None) or (history[0] if history else None)
    return op if op is not None else model.layers[-1]


def _dtype_report(models: dict, losses: dict, trackers: dict) -> dict:
    """Output dtypes of the models, loss dtypes, and the output layers that are not float32."""
    import keras

    out = {"outputs": {}, "losses": {k: str(keras.backend.standardize_dtype(v.dtype)) for k, v in losses.items()},
           "logged": {k: str(v) for k, v in trackers.items()}, "layers_needing_float32": []}
    for name, model in models.items():
        dtype = str(keras.backend.standardize_dtype(model.outputs[0].dtype))
        out["outputs"][name] = dtype
        if dtype != "float32":
            layer = _output_layer(model)
            out["layers_needing_float32"].append(f"{name}: {layer.name} ({type(layer).__name__})")
    return out


def _compile_kwargs(jit: bool) -> dict:
    return {"jit_compile": bool(jit)}


def _synthetic_images(n: int, shape=(28, 28, 1), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (n, *shape)).astype(np.float32)


def _bench_dcgan(sizes: dict, jit: bool, warmup: int, steps: int, max_seconds: float, check_dtypes: bool) -> dict:
    import keras

    from prodimg_lib.generation import dcgan
    from prodimg_lib.generation.dataset import make_dataset
    from prodimg_lib.generation.gan import GAN
    from prodimg_lib.generation.losses import d_loss_from_logits, g_loss_from_logits

    s = sizes["dcgan"]
    keras.utils.set_random_seed(0)
    generator = dcgan.build_generator(s["latent_dim"], s["width"])
    discriminator = dcgan.build_discriminator(s["width"])
    model = GAN(generator, discriminator, latent_dim=s["latent_dim"], seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(s["learning_rate"], beta_1=s["beta_1"]),
                  g_optimizer=keras.optimizers.Adam(s["learning_rate"], beta_1=s["beta_1"]), **_compile_kwargs(jit))
    images = _synthetic_images(s["batch_size"] * (warmup + steps))
    dataset = make_dataset(images, s["batch_size"], seed=0)
    timer = _step_timer(warmup, steps, max_seconds)
    model.fit(dataset, epochs=1, verbose=0, callbacks=[timer])
    row = _timing(timer, warmup, s["batch_size"])
    row["jit_effective"] = bool(model.jit_compile)
    f_g, f_d = forward_flops(generator), forward_flops(discriminator)
    row.update(forward_flops={"generator": f_g, "discriminator": f_d}, flops_per_image=gan_step_flops(f_g, f_d),
               batch_size=s["batch_size"])
    if check_dtypes:
        noise = keras.random.normal((4, s["latent_dim"]), seed=0)
        logits = discriminator(generator(noise, training=False), training=False)
        row["dtypes"] = _dtype_report(
            {"generator": generator, "discriminator": discriminator},
            {"d_loss": d_loss_from_logits(logits, logits), "g_loss": g_loss_from_logits(logits)},
            {name: tracker.dtype for name, tracker in model._trackers.items()} if hasattr(model, "_trackers") else {},
        )
    return row


def _bench_edsr(sizes: dict, jit: bool, warmup: int, steps: int, max_seconds: float, check_dtypes: bool) -> dict:
    import keras

    from prodimg_lib.data import degrade
    from prodimg_lib.enhancement.fit import train_image_to_image
    from prodimg_lib.enhancement.models.sr import build_edsr

    s = sizes["edsr"]
    keras.utils.set_random_seed(0)
    model = build_edsr(s["factor"], 1, width=s["width"], blocks=s["blocks"])
    n = s["batch_size"] * (warmup + steps)
    clean = _synthetic_images(n)
    low = degrade.downscale(clean, s["factor"]).astype(np.float32)
    timer = _step_timer(warmup, steps, max_seconds)
    # the recipes' own training (Adam, cosine decay to 5 %, MSE), with XLA on or off
    train_image_to_image(model, low, clean, epochs=1, batch_size=s["batch_size"], learning_rate=s["learning_rate"],
                         verbose=0, seed=None, callbacks=[timer], **_compile_kwargs(jit))
    row = _timing(timer, warmup, s["batch_size"])
    row["jit_effective"] = bool(model.jit_compile)
    lr_shape = tuple(low.shape[1:])
    row.update(forward_flops={"edsr": forward_flops(model, lr_shape)}, batch_size=s["batch_size"])
    row["flops_per_image"] = training_flops(row["forward_flops"]["edsr"])
    if check_dtypes:
        pred = model(low[:4], training=False)
        loss = model.compute_loss(x=low[:4], y=clean[:4], y_pred=pred)
        row["dtypes"] = _dtype_report({"edsr": model}, {"loss": loss}, {"loss": model._loss_tracker.dtype}
                                      if hasattr(model, "_loss_tracker") else {})
        row["dtypes"]["eager_output"] = str(keras.backend.standardize_dtype(pred.dtype))
    return row


def _bench_reference(sizes: dict, warmup: int, steps: int, max_seconds: float) -> dict:
    import keras

    from benchmarks import reference_dcgan

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError("the tutorial's DCGAN is TensorFlow code (tf.function, GradientTape)")
    s = sizes["reference"]
    model = reference_dcgan.TutorialDCGAN(noise_dim=s["noise_dim"], width=s["width"], batch_size=s["batch_size"], seed=0)
    dataset = reference_dcgan.make_dataset(_synthetic_images(s["batch_size"] * (warmup + steps)), s["batch_size"], seed=0)

    # the same bookkeeping as the fit timer, for the tutorial's hand-written loop
    timer = types.SimpleNamespace(start=time.perf_counter(), cpu_start=time.process_time(), ends=[], cpu_ends=[],
                                  last_logs={})
    for batch in dataset:
        gen_loss, disc_loss = model.train_step(batch)
        timer.last_logs = {"g_loss": float(gen_loss), "d_loss": float(disc_loss)}  # waits for the step
        now = time.perf_counter()
        timer.ends.append(now)
        timer.cpu_ends.append(time.process_time())
        timed = len(timer.ends) - warmup
        if timed >= steps or (timed >= MIN_TIMED_STEPS and now - timer.ends[warmup - 1] >= max_seconds):
            break
    row = _timing(timer, warmup, s["batch_size"])
    row["jit_effective"] = False
    f_g, f_d = forward_flops(model.generator), forward_flops(model.discriminator)
    row.update(forward_flops={"generator": f_g, "discriminator": f_d}, flops_per_image=tutorial_step_flops(f_g, f_d),
               batch_size=s["batch_size"])
    return row


class ConfigTimeout(Exception):
    """A configuration ran past its time limit."""


def _run_one(config: dict, sizes: dict, warmup: int, steps: int, max_seconds: float) -> dict:
    import keras

    precision, jit, name = config["precision"], bool(config["jit"]), config["model"]
    if precision == "float32":  # the rows that compare the backends: twice the timing budget
        max_seconds = 2 * max_seconds
    keras.mixed_precision.set_global_policy(precision)
    try:
        check = precision != "float32"
        if name == "dcgan":
            return _bench_dcgan(sizes, jit, warmup, steps, max_seconds, check)
        if name == "edsr":
            return _bench_edsr(sizes, jit, warmup, steps, max_seconds, check)
        if name == "reference":
            return _bench_reference(sizes, warmup, steps, max_seconds)
        raise ValueError(f"unknown model {name!r}")
    finally:
        keras.mixed_precision.set_global_policy("float32")


def _error_text(exc: BaseException) -> str:
    """``Type: first line`` of an exception, plus the line Keras highlights (the cause) when it wraps one."""
    raw = str(exc)
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in raw.strip().splitlines()]
    lines = [line for line in lines if line]
    text = f"{type(exc).__name__}: {lines[0] if lines else ''}"
    bold = re.search(r"\x1b\[1m(.*?)(\x1b\[0m|$)", raw, re.S)
    if bold and bold.group(1).strip() and bold.group(1).strip() not in text:
        text += " " + " ".join(bold.group(1).split())
    return text[:400]


def run_configs(configs, sizes: dict, *, steps: int = DEFAULT_STEPS, warmup: int = DEFAULT_WARMUP,
                max_seconds: float = DEFAULT_MAX_SECONDS, config_timeout: float | None = DEFAULT_CONFIG_TIMEOUT,
                matmul: bool = True, matmul_size: int = MATMUL_N, emit=None, log=print) -> dict:
    """Run configurations on the current backend in this process; return ``{"header": ..., "rows": [...]}``.

    Every configuration is built, compiled and trained afresh; one that fails (or runs past
    ``config_timeout`` seconds) becomes a row with ``error`` and the others still run.
    ``emit(kind, record)`` is called with each record as soon as it exists (the worker writes
    them to its results file, so a killed worker keeps what it measured).
    """
    import keras

    backend = keras.backend.backend()
    versions = {"keras": keras.__version__}
    module = BACKEND_MODULES.get(backend)
    try:
        versions[backend] = __import__(module).__version__
    except (ImportError, AttributeError):
        pass
    header = {"backend": backend, "versions": versions, "machine_start": machine()}
    if matmul:
        try:
            header["matmul"] = backend_matmul_peak(matmul_size)
        except Exception as exc:  # noqa: BLE001 (reported, not fatal)
            header["matmul"] = {"error": _error_text(exc)}
        log(f"[{backend}] matmul {matmul_size}x{matmul_size} float32: {header['matmul'].get('gflops_best', float('nan')):.1f} "
            f"GFLOP/s ({header['matmul'].get('library', header['matmul'].get('error'))})")
    if emit:
        emit("header", header)
    rows = []
    use_alarm = bool(config_timeout) and hasattr(signal, "SIGALRM")

    fired = []

    def on_alarm(signum, frame):
        fired.append(True)
        raise ConfigTimeout(f"stopped after {config_timeout:.0f} s (building, compiling and training)")

    jit_timed_out = None  # a jit configuration that ran past the limit: the later ones are skipped
    for config in configs:
        row = {"backend": backend, **config, "jit_default": default_jit(backend) if config["model"] != "reference"
               else False}
        if config["jit"] and jit_timed_out:
            row["error"] = f"skipped: jit_compile=True of {jit_timed_out} already ran past {config_timeout:.0f} s"
            row["load_average_1_5_15_min"] = machine()["load_average_1_5_15_min"]
            rows.append(row)
            log(f"[{backend}] {_config_label(row)}: {row['error']}")
            if emit:
                emit("row", row)
            continue
        start = time.perf_counter()
        fired.clear()
        previous = signal.signal(signal.SIGALRM, on_alarm) if use_alarm else None
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, float(config_timeout))
        try:
            row.update(_run_one(config, sizes, warmup, steps, max_seconds))
        except Exception as exc:  # noqa: BLE001 (each configuration's failure is a result)
            row["error"] = _error_text(exc)
            row["traceback_tail"] = traceback.format_exc().strip().splitlines()[-6:]
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        row["wall_seconds"] = time.perf_counter() - start
        if fired and "error" not in row:
            # The limit passed but the exception never reached us: torch.compile catches errors while it
            # compiles and falls back to running the step without it, so the figure may be of eager steps.
            row["warning"] = (f"the {config_timeout:.0f} s limit passed during this configuration and was swallowed "
                              "(torch.compile falls back to eager on errors): the steps timed may not be compiled")
            row["error_suppressed"] = True
        if config["jit"] and ("ConfigTimeout" in row.get("error", "") or row.get("error_suppressed")):
            jit_timed_out = _config_label(row)
        row["load_average_1_5_15_min"] = machine()["load_average_1_5_15_min"]
        rows.append(row)
        if "error" in row:
            log(f"[{backend}] {_config_label(row)}: FAILED {row['error']}")
        else:
            log(f"[{backend}] {_config_label(row)}: {row['images_per_second']:.1f} images/s "
                f"({row['timed_steps']} steps, first step {row['first_step_seconds']:.1f} s, load {row['load_average_1_5_15_min'][0]})")
        if emit:
            emit("row", row)
    return {"header": header, "rows": rows}


def _config_label(row: dict) -> str:
    return f"{row['model']} {row['precision']} jit={'on' if row['jit'] else 'off'}"


def _worker(spec_path: str, out_path: str) -> int:
    """Subprocess entry: read the spec, run its configurations, append JSON lines to ``out_path``."""
    from prodimg_lib.course.env import quiet_tensorflow

    quiet_tensorflow()
    spec = json.loads(Path(spec_path).read_text())
    out = Path(out_path)

    def emit(kind, record):
        with out.open("a") as f:
            f.write(json.dumps({"kind": kind, "record": jsonable(record)}) + "\n")

    import keras

    backend = keras.backend.backend()
    configs = default_configs(backend, spec["precisions"], spec["jit_modes"], spec["models"], spec["reference"],
                              spec.get("full_matrix", False))
    run_configs(configs, spec["sizes"], steps=spec["steps"], warmup=spec["warmup"], max_seconds=spec["max_seconds"],
                config_timeout=spec["config_timeout"], matmul_size=spec.get("matmul_size", MATMUL_N), emit=emit, log=lambda line: print(line, flush=True))
    return 0


# --------------------------------------------------------------------------- the parent: all backends


def _installed(backend: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(BACKEND_MODULES[backend]) is not None


def run_backends_benchmark(backends=BACKENDS, *, profile: str = "cpu", steps: int = DEFAULT_STEPS,
                           warmup: int = DEFAULT_WARMUP, max_seconds: float = DEFAULT_MAX_SECONDS,
                           precisions=PRECISIONS, jit_modes=JIT_MODES, models=MODELS, reference: bool = True,
                           full_matrix: bool = False, matmul_size: int = MATMUL_N, config_timeout: float = DEFAULT_CONFIG_TIMEOUT,
                           backend_timeout: float = 1800.0,
                           work_dir=None, command: str | None = None, log=print) -> dict:
    """Measure every backend, each in a subprocess with ``KERAS_BACKEND`` set; return the results.

    Returns:
        ``{"rows": [...], "backends": {name: header or error}, "numpy_matmul", "nominal_peak",
        "peak_gflops" (the limit the fractions use), "sizes", "settings", "machine", "seconds"}``;
        each row gains ``gflops_per_second``, ``fraction_of_measured_peak`` and ``fraction_of_nominal_peak``.
    """
    import tempfile

    if warmup < 1 or steps < 1:
        raise ValueError("warmup and steps must be at least 1")
    start = time.perf_counter()
    sizes = bench_sizes(profile)
    results = {
        "command": command,
        "machine": machine(),
        "nominal_peak": nominal_peak(),
        "sizes": sizes,
        "settings": {"steps": steps, "warmup": warmup, "max_seconds": max_seconds, "config_timeout": config_timeout,
                     "precisions": list(precisions), "jit_modes": list(jit_modes), "models": list(models),
                     "full_matrix": full_matrix,
                     "flop_convention": "FLOPs = 2 x multiply-adds of Conv/ConvTranspose/Dense layers; training = 3 x "
                                        "forward; GAN step = 9 F_D + 4 F_G per real image; tutorial step = 3 F_G + 8 F_D",
                     "inputs": "synthetic uniform random images in [-1, 1]"},
        "backends": {},
        "rows": [],
    }
    log(f"numpy matmul {matmul_size}x{matmul_size} float32 ...")
    results["numpy_matmul"] = numpy_matmul_peak(matmul_size)
    log(f"numpy: {results['numpy_matmul']['gflops_best']:.1f} GFLOP/s; nominal peak "
        f"{results['nominal_peak']['gflops']} GFLOP/s")
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        for backend in backends:
            if backend not in BACKENDS:
                raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
            if not _installed(backend):
                results["backends"][backend] = {"error": f"{BACKEND_MODULES[backend]} is not installed"}
                log(f"[{backend}] not installed: skipped")
                continue
            spec = {"sizes": sizes, "steps": steps, "warmup": warmup, "max_seconds": max_seconds,
                    "config_timeout": config_timeout, "precisions": list(precisions), "jit_modes": list(jit_modes),
                    "models": list(models), "reference": reference, "full_matrix": full_matrix,
                    "matmul_size": matmul_size}
            spec_path, out_path = Path(tmp) / f"{backend}.json", Path(tmp) / f"{backend}.jsonl"
            spec_path.write_text(json.dumps(spec))
            env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
            log(f"== {backend}")
            header, rows, error = _run_worker(backend, spec_path, out_path, env, root, backend_timeout, log)
            results["backends"][backend] = header if error is None else dict(header or {}, error=error)
            results["rows"] += rows
    _add_rates(results)
    results["machine"]["load_average_end"] = machine()["load_average_1_5_15_min"]
    results["seconds"] = time.perf_counter() - start
    return results


def _run_worker(backend, spec_path, out_path, env, cwd, timeout, log):
    cmd = [sys.executable, "-m", "benchmarks.bench_backends", "--worker", str(spec_path), str(out_path)]
    error = None
    tail: list[str] = []
    try:
        proc = subprocess.Popen(cmd, env=env, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as exc:
        return None, [], _error_text(exc)
    def pump():  # progress lines as they come; the rest (warnings, tracebacks) kept as the tail
        for line in proc.stdout:
            line = line.rstrip()
            if line.startswith("["):
                log(line)
            elif line:
                tail.append(line)
                del tail[:-15]

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        error = f"worker stopped after {timeout:.0f} s"
    reader.join(timeout=10)
    if error is None and proc.returncode != 0:
        error = f"worker exited with status {proc.returncode}: " + " | ".join(tail[-5:])
    header, rows = None, []
    if out_path.exists():
        for line in out_path.read_text().splitlines():
            item = json.loads(line)
            if item["kind"] == "header":
                header = item["record"]
            else:
                rows.append(item["record"])
    return header, rows, error


def _add_rates(results: dict) -> None:
    """GFLOP/s and fractions of the limit for every measured row; sets ``peak_gflops``."""
    measured = {"numpy": results["numpy_matmul"].get("gflops_best")}
    for name, header in results["backends"].items():
        rate = ((header or {}).get("matmul") or {}).get("gflops_best")
        if rate:
            measured[name] = rate
    measured = {k: v for k, v in measured.items() if v}
    best = max(measured, key=measured.get) if measured else None
    n = results["numpy_matmul"].get("n", MATMUL_N)
    results["peak_gflops"] = {"measured_matmul": measured, "limit_used": measured.get(best), "limit_source":
                              f"best measured {n}x{n} float32 matmul ({best})" if best else None,
                              "nominal": results["nominal_peak"].get("gflops")}
    for row in results["rows"]:
        if "images_per_second" not in row:
            continue
        gflops = row["images_per_second"] * row["flops_per_image"] / 1e9
        row["gflops_per_second"] = gflops
        row["fraction_of_measured_peak"] = gflops / measured[best] if best else None
        nominal = results["nominal_peak"].get("gflops")
        row["fraction_of_nominal_peak"] = gflops / nominal if nominal else None


# --------------------------------------------------------------------------- the table


MODEL_LABELS = {"dcgan": "DCGAN (library GAN.fit)", "edsr": "EDSR x2 (compile+fit)",
                "reference": "TF tutorial DCGAN (tf.function loop)"}
PRECISION_LABELS = {"float32": "float32", "mixed_bfloat16": "mixed bf16", "mixed_float16": "mixed fp16"}


def format_backends_table(results: dict) -> str:
    """The results as one Markdown table, with the limit, the convention and the machine under it."""
    sizes = results["sizes"]
    lines = [
        "| model | backend | precision | jit_compile | images/s | step (ms) | timed steps | cores busy | first step (s) | "
        "GFLOP/s | % of peak | % nominal | load (1 min) |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def pct(x):
        return "" if x is None else f"{100 * x:.1f}"

    order = {m: i for i, m in enumerate(("dcgan", "reference", "edsr"))}
    rows = sorted(results["rows"], key=lambda r: (order.get(r["model"], 9), PRECISIONS.index(r["precision"]),
                                                   BACKENDS.index(r["backend"]), bool(r["jit"])))
    for r in rows:
        jit = ("on" if r["jit"] else "off") + (" (default)" if bool(r["jit"]) == bool(r.get("jit_default")) else "")
        if r["model"] == "reference":
            jit = "off (tf.function)"
        if r.get("warning"):
            jit += " [limit passed, see note]"
        head = f"| {MODEL_LABELS.get(r['model'], r['model'])} | {r['backend']} | {PRECISION_LABELS.get(r['precision'], r['precision'])} | {jit} |"
        load = r.get("load_average_1_5_15_min", [""])[0]
        if "error" in r:
            error = r["error"].replace("|", "/")[:220]
            lines.append(f"{head} not measured: {error} | | | | | | | | {load} |")
            continue
        lines.append(
            f"{head} {r['images_per_second']:.1f} | {1000 * r['step_seconds_mean']:.0f} | {r['timed_steps']} | "
            f"{r['cores_busy']:.2f} | "
            f"{r['first_step_seconds']:.1f} | "
            f"{r['gflops_per_second']:.1f} | {pct(r['fraction_of_measured_peak'])} | {pct(r['fraction_of_nominal_peak'])} | {load} |"
        )
    for name, header in results["backends"].items():
        if header and header.get("error") and not any(r["backend"] == name for r in results["rows"]):
            lines.append(f"| (all) | {name} | | | not measured: {header['error'][:160]} | | | | | | | | |")
    peak, nominal = results["peak_gflops"], results["nominal_peak"]
    matmuls = ", ".join(f"{k} {v:.1f}" for k, v in peak["measured_matmul"].items())
    s = results["settings"]
    d, e, t = sizes["dcgan"], sizes["edsr"], sizes["reference"]
    flops = {}
    for r in results["rows"]:
        if "flops_per_image" in r:
            flops.setdefault(r["model"], r["flops_per_image"])
    flop_text = "; ".join(f"{MODEL_LABELS[m]} {v / 1e6:.1f} MFLOP" for m, v in flops.items())
    m = results["machine"]
    lines += [
        "",
        f"All rows on this machine's CPU ({nominal.get('model')}, {m['cpu_count']} cores, no GPU): mixed precision and "
        "XLA/jit are measured here on a CPU; the gpu profile is where they matter, and these CPU figures do not predict "
        "GPU ones.",
        f"Sizes (profile {sizes['profile']}): DCGAN width {d['width']}, batch {d['batch_size']}, latent {d['latent_dim']}, "
        f"Adam {d['learning_rate']:g}/{d['beta_1']}; EDSR x{e['factor']} width {e['width']}, {e['blocks']} blocks, batch "
        f"{e['batch_size']} (14x14 -> 28x28), Adam {e['learning_rate']:g} cosine, MSE; tutorial DCGAN width {t['width']}, "
        f"batch {t['batch_size']}, noise {t['noise_dim']}. Synthetic images in [-1, 1].",
        f"Steady state: {s['warmup']} warm-up steps left out, then up to {s['steps']} timed steps (fewer when "
        f"{s['max_seconds']:g} s of timing, {2 * s['max_seconds']:g} s for float32, ran out; at least {MIN_TIMED_STEPS}); "
        "images/s = real images per second; step = mean timed step; cores busy = the process's CPU seconds / wall "
        "seconds while timed; first step includes tracing/compiling.",
        f"Training FLOPs per image: {flop_text}. {s['flop_convention']}.",
        f"% of peak = GFLOP/s / {peak['limit_used']:.1f} GFLOP/s, the {peak['limit_source']}; measured matmul GFLOP/s: "
        f"{matmuls}. % nominal = / {nominal.get('gflops') or float('nan'):.1f} GFLOP/s = {nominal.get('cores')} cores x "
        f"{nominal.get('ghz') or float('nan'):.3f} GHz ({nominal.get('ghz_source')}) x {nominal.get('flops_per_cycle')} "
        f"FLOPs/cycle ({nominal.get('isa')}).",
        f"Load average (1, 5, 15 min): {m['load_average_1_5_15_min']} at the start, {m.get('load_average_end')} at the "
        f"end; total {results.get('seconds', float('nan')):.0f} s.",
    ]
    warned = [f"{r['backend']} {_config_label(r)}" for r in results["rows"] if r.get("warning")]
    if warned:
        lines.append(f"[limit passed, see note]: {', '.join(warned)}: the {s['config_timeout']:g} s limit passed while "
                     "compiling and the exception was swallowed (torch.compile falls back to eager on errors), so the "
                     "timed steps may not be compiled ones.")
    dtype_lines = _dtype_lines(results["rows"])
    if dtype_lines:
        lines += ["", "Mixed precision dtypes (model outputs, loss as computed, logged loss tracker):", *dtype_lines]
    return "\n".join(lines)


def _dtype_lines(rows) -> list[str]:
    seen, out = set(), []
    for r in rows:
        d = r.get("dtypes")
        if not d:
            continue
        key = (r["backend"], r["model"], r["precision"])
        if key in seen:
            continue
        seen.add(key)
        need = ", ".join(d["layers_needing_float32"]) or "none"
        out.append(f"- {r['backend']} {r['model']} {r['precision']}: outputs {d['outputs']}, loss {d['losses']}, "
                   f"logged {d['logged']}; output layers not float32: {need}")
    return out


# --------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m benchmarks backends``."""
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=list(BACKENDS),
                        help="backends to measure, each in its own subprocess (default: all three)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS,
                        help=f"timed steps per configuration after the warm-up (default {DEFAULT_STEPS})")
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP,
                        help=f"warm-up steps left out of the timing (default {DEFAULT_WARMUP})")
    parser.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS,
                        help=f"stop timing a configuration after this many seconds, twice that for float32 (default "
                             f"{DEFAULT_MAX_SECONDS:g}; at least {MIN_TIMED_STEPS} steps)")
    parser.add_argument("--precisions", nargs="+", default=list(PRECISIONS), choices=list(PRECISIONS))
    parser.add_argument("--jit", nargs="+", default=["off", "on"], choices=["off", "on", "default"],
                        help="jit_compile settings to measure (default: off and on; 'default': the backend's "
                             "Keras default, on for JAX, off for TensorFlow and PyTorch on a CPU)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--full-matrix", action="store_true",
                        help="mixed_float16 with every --jit setting too (default: only the backend's default)")
    parser.add_argument("--no-reference", action="store_true", help="leave out the TensorFlow tutorial's DCGAN")
    parser.add_argument("--profile", default="cpu", choices=["smoke", "cpu", "gpu"],
                        help="model sizes (default cpu; smoke: tiny models, for tests)")
    parser.add_argument("--config-timeout", type=float, default=DEFAULT_CONFIG_TIMEOUT,
                        help=f"seconds after which one configuration is stopped (default {DEFAULT_CONFIG_TIMEOUT:g})")
    parser.add_argument("--matmul-size", type=int, default=MATMUL_N,
                        help=f"n of the n x n float32 matmul that measures the peak (default {MATMUL_N})")
    parser.add_argument("--out", default=None, help="output folder (default: <build>/bench/backends)")


def run_from_args(args, command: str | None = None) -> int:
    """``python -m benchmarks backends``: run, print the table, write ``results.json``."""
    from prodimg_lib.course import artifacts

    if args.steps < 1 or args.warmup < 1:
        raise SystemExit("--steps and --warmup must be at least 1")
    results = run_backends_benchmark(
        args.backends, profile=args.profile, steps=args.steps, warmup=args.warmup, max_seconds=args.max_seconds,
        precisions=args.precisions, jit_modes=[j if j == "default" else j == "on" for j in args.jit], models=args.models,
        reference=not args.no_reference, full_matrix=args.full_matrix, matmul_size=args.matmul_size, config_timeout=args.config_timeout,
        command=command, log=lambda line: print(line, flush=True),
    )
    out_dir = Path(args.out) if args.out else artifacts.build_dir() / "bench" / "backends"
    out_dir.mkdir(parents=True, exist_ok=True)
    results["table"] = format_backends_table(results)
    (out_dir / "results.json").write_text(json.dumps(jsonable(results), indent=2))
    print()
    print(results["table"])
    print(f"\nWrote {out_dir / 'results.json'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        raise SystemExit(_worker(sys.argv[2], sys.argv[3]))
    raise SystemExit("run it as: python -m benchmarks backends [--help]")
