"""The enhancement benchmark: every enhancement model of notebooks 09-11 against the classical methods.

It trains each model with a run profile's settings (the experiments of
:mod:`prodimg_lib.experiments`) and prints one table per task: method, PSNR, SSIM and
seconds, the classical baselines (tuned on held-out images) beside the learned models, all on
Fashion-MNIST test images::

    python -m benchmarks enhance --profile cpu [--tasks super_resolution restoration tone low_light]
"""

from __future__ import annotations

import importlib
import time

from benchmarks.common import machine

ENHANCE_TASKS = ("super_resolution", "sr_photos", "restoration", "denoise_photos", "tone", "low_light",
                 "low_light_photos")


def run_enhance_benchmark(fm, profile, tasks=ENHANCE_TASKS, *, log=print) -> dict:
    """Train every enhancement model of ``tasks`` with ``profile``'s settings and measure all methods.

    Args:
        fm: Fashion-MNIST (``data.FashionMNIST``, uint8), the full set for real numbers.
        profile: a :class:`~prodimg_lib.course.profiles.Profile` (``cpu``: each model trained in
            at most about 5 minutes on 2 CPU cores).
        tasks: names of :mod:`prodimg_lib.experiments` modules to run.
        log: progress lines.

    Returns:
        ``{"rows": [...], "profile": name, "seconds": total, "machine": {...}}``; each row as
        returned by the recipe's ``benchmark`` (task, method, psnr, ssim, seconds, ...).
    """
    unknown = [t for t in tasks if t not in ENHANCE_TASKS]
    if unknown:
        raise ValueError(f"unknown task(s) {unknown}; choose from {', '.join(ENHANCE_TASKS)}")
    start_machine = machine()
    start = time.perf_counter()
    rows = []
    for task in tasks:
        module = importlib.import_module(f"prodimg_lib.experiments.{task}")
        log(f"== {task}")
        rows += module.benchmark(fm, profile, log=log)
    start_machine["load_average_end"] = machine()["load_average_1_5_15_min"]
    return {"rows": rows, "profile": profile.name, "seconds": time.perf_counter() - start, "machine": start_machine}


def format_enhance_table(results: dict) -> str:
    """The enhancement benchmark as one text table per task (method, PSNR, SSIM, seconds, ...)."""
    from prodimg_lib.viz import results_table

    out = []
    tasks = list(dict.fromkeys(row["task"] for row in results["rows"]))
    for task in tasks:
        rows = [{k: v for k, v in row.items() if k != "task"} for row in results["rows"] if row["task"] == task]
        out += [f"### {task}", "", results_table(rows), ""]
    m = results["machine"]
    out.append(f"Profile {results['profile']}; total {results['seconds']:.0f} s on {m['cpu_count']} CPUs, load average "
               f"(1, 5, 15 min) {m['load_average_1_5_15_min']} at the start, {m['load_average_end']} at the end")
    return "\n".join(out)
