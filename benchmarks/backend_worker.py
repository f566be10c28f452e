"""What runs inside one backend's process for ``python -m benchmarks backends``.

:mod:`benchmarks.bench_backends` starts ``python -m benchmarks.backend_worker --worker SPEC OUT``
once per backend, with ``KERAS_BACKEND`` set (a process's backend is fixed once Keras is
imported). The worker builds each configuration (model, precision, ``jit_compile``), trains it
for a few timed steps and appends one JSON line per result to ``OUT``. The sizes of the models
and the list of configurations are here too, so that the parent and its workers agree on them.
"""

from __future__ import annotations

import json
import re
import signal
import time
import traceback
import types
import sys
from pathlib import Path

import numpy as np

from benchmarks.common import jsonable, machine
from benchmarks.flops import (
    MATMUL_N,
    backend_matmul_peak,
    forward_flops,
    gan_step_flops,
    training_flops,
    tutorial_step_flops,
)

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
BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


# --------------------------------------------------------------------------- sizes and configurations


def bench_sizes(profile_name: str = "cpu") -> dict:
    """Model sizes of a run profile: the DCGAN (width, batch, latent 64), the x2 EDSR settings, the tutorial's."""
    from prodimg_lib.course.profiles import get_profile
    from prodimg_lib.experiments.super_resolution import sr_settings

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
    # the experiments' own training (Adam, cosine decay to 5 %, MSE), with XLA on or off
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


def error_text(exc: BaseException) -> str:
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
            header["matmul"] = {"error": error_text(exc)}
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
            log(f"[{backend}] {config_label(row)}: {row['error']}")
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
            row["error"] = error_text(exc)
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
            jit_timed_out = config_label(row)
        row["load_average_1_5_15_min"] = machine()["load_average_1_5_15_min"]
        rows.append(row)
        if "error" in row:
            log(f"[{backend}] {config_label(row)}: FAILED {row['error']}")
        else:
            log(f"[{backend}] {config_label(row)}: {row['images_per_second']:.1f} images/s "
                f"({row['timed_steps']} steps, first step {row['first_step_seconds']:.1f} s, load {row['load_average_1_5_15_min'][0]})")
        if emit:
            emit("row", row)
    return {"header": header, "rows": rows}


def config_label(row: dict) -> str:
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


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        raise SystemExit(_worker(sys.argv[2], sys.argv[3]))
    raise SystemExit("run it as: python -m benchmarks backends [--help]")
