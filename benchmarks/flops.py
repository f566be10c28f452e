"""FLOPs of the course's models, and the arithmetic limit of this machine's CPU (for ``python -m benchmarks backends``).

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

import os
import re
import subprocess
import time
from pathlib import Path

import numpy as np

__all__ = [
    "forward_macs",
    "forward_flops",
    "training_flops",
    "gan_step_flops",
    "tutorial_step_flops",
    "nominal_peak",
    "matmul_rate",
    "numpy_matmul_peak",
    "backend_matmul_peak",
]

TRAINING_MULTIPLIER = 3  # training FLOPs of a model = 3 x forward (backward ~2 x forward)
MATMUL_N = 2048
MATMUL_REPEATS = 5


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
