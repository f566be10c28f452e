"""Training speed of the course's models on every Keras backend: ``python -m benchmarks backends``.

What it measures, each Keras backend (TensorFlow, JAX, PyTorch) in its own subprocess with
``KERAS_BACKEND`` set (a process's backend is fixed once Keras is imported):

1. the library's DCGAN training step (:class:`prodimg_lib.generation.gan.GAN`, the ``cpu``
   profile's width and batch size, latent 64, two ``Adam(2e-4, beta_1=0.5)``), trained with
   ``fit`` on batches from :func:`~prodimg_lib.generation.dataset.make_dataset`, the way a
   learner trains it;
2. the x2 EDSR-style super-resolution step (:func:`prodimg_lib.enhancement.models.sr.build_edsr`
   with the profile's settings from :func:`~prodimg_lib.experiments.super_resolution.sr_settings`),
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

FLOPs and the CPU's arithmetic limit are counted and measured by :mod:`benchmarks.flops`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path


from benchmarks.backend_worker import (
    BACKENDS,
    BACKEND_MODULES,
    DEFAULT_CONFIG_TIMEOUT,
    DEFAULT_MAX_SECONDS,
    DEFAULT_STEPS,
    DEFAULT_WARMUP,
    JIT_MODES,
    LATENT_DIM,
    MIN_TIMED_STEPS,
    MODELS,
    PRECISIONS,
    bench_sizes,
    config_label,
    default_configs,
    error_text,
    run_configs,
)
from benchmarks.common import jsonable, machine
from benchmarks.flops import MATMUL_N, nominal_peak, numpy_matmul_peak

__all__ = [
    "BACKENDS",
    "PRECISIONS",
    "JIT_MODES",
    "MODELS",
    "LATENT_DIM",
    "bench_sizes",
    "default_configs",
    "run_configs",
    "run_backends_benchmark",
    "format_backends_table",
]

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
    cmd = [sys.executable, "-m", "benchmarks.backend_worker", "--worker", str(spec_path), str(out_path)]
    error = None
    tail: list[str] = []
    try:
        proc = subprocess.Popen(cmd, env=env, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as exc:
        return None, [], error_text(exc)
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
    warned = [f"{r['backend']} {config_label(r)}" for r in results["rows"] if r.get("warning")]
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
