"""Tuning a classical method's parameters on held-out images, before it is compared with a learned model.

The methods are those of :mod:`prodimg_lib.enhancement.classical` (see its page for the
conventions); a grid point's score is the mean PSNR of :mod:`prodimg_lib.evaluation.image_quality`.
"""

from __future__ import annotations

import itertools
from typing import Callable, NamedTuple

import numpy as np

from prodimg_lib.enhancement.classical.resize import unsharp_mask, upscale
from prodimg_lib.enhancement.classical.restore import (
    denoise_bilateral,
    denoise_nl_means,
    denoise_tv,
    inpaint_biharmonic,
)
from prodimg_lib.enhancement.classical.tone import (
    adjust_brightness,
    adjust_contrast,
    adjust_gamma,
    adjust_saturation,
    auto_contrast,
    auto_gamma,
    clahe,
    equalize_hist,
    grey_world,
    levels_gamma,
    undo_low_light,
    white_patch,
)
from prodimg_lib.evaluation.image_quality import psnr

__all__ = ["METHODS", "DENOISE_GRIDS", "TuneResult", "tune"]


METHODS: dict[str, Callable] = {
    "upscale": upscale,
    "denoise_tv": denoise_tv,
    "denoise_bilateral": denoise_bilateral,
    "denoise_nl_means": denoise_nl_means,
    "inpaint_biharmonic": inpaint_biharmonic,
    "equalize_hist": equalize_hist,
    "clahe": clahe,
    "adjust_gamma": adjust_gamma,
    "auto_contrast": auto_contrast,
    "auto_gamma": auto_gamma,
    "levels_gamma": levels_gamma,
    "undo_low_light": undo_low_light,
    "grey_world": grey_world,
    "white_patch": white_patch,
    "adjust_brightness": adjust_brightness,
    "adjust_contrast": adjust_contrast,
    "adjust_saturation": adjust_saturation,
    "unsharp_mask": unsharp_mask,
}


# Search grids for tuning the denoisers with :func:`tune` (intensity parameters in [0, 1]
# units). They cover noise from sigma 10 to 50 on the 0-255 scale; for one noise level a
# finer grid around the best point gains a little more.
DENOISE_GRIDS: dict[str, dict[str, list]] = {
    "denoise_tv": {"weight": [0.02, 0.04, 0.06, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3]},
    "denoise_bilateral": {
        "sigma_color": [0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3],
        "sigma_spatial": [0.5, 1.0, 1.5, 2.0, 3.0],
    },
    "denoise_nl_means": {
        "h": [0.03, 0.05, 0.07, 0.09, 0.12, 0.15, 0.2],
        "patch_size": [3, 5],
        "patch_distance": [3, 5, 7],
    },
}


class TuneResult(NamedTuple):
    """What :func:`tune` found.

    Attributes:
        params: the best parameters (a dict to pass as ``method(images, **params)``).
        psnr: their mean PSNR on the tuning images, in dB.
        results: every grid point tried, as (params, PSNR) pairs in grid order.
    """

    params: dict
    psnr: float
    results: list


def tune(method, damaged, clean, grid: dict, *, fixed: dict | None = None) -> TuneResult:
    """Grid search: the parameters of a classical method that give the best mean PSNR.

    Tune on held-out images (a validation split), never on the test images the methods are
    then compared on, so that the classical baselines get the same fair treatment as a
    learned model whose hyper-parameters were chosen on validation data. Ties keep the
    first grid point.

    Args:
        method: a function ``method(images, **params)`` or the name of one of this module's
            (see :data:`METHODS`), e.g. "denoise_tv".
        damaged: (N, H, W, C) float in [-1, 1], the method's input (e.g. noisy images).
        clean: the matching references, the shape of the method's output.
        grid: ``{parameter: [values, ...]}``; every combination is tried (e.g.
            ``DENOISE_GRIDS["denoise_tv"]``).
        fixed: parameters passed unchanged to every call (e.g. ``{"sigma": 25}``).

    Returns:
        :class:`TuneResult` ``(params, psnr, results)``.

    Raises:
        ValueError: an unknown method name, an empty grid or an empty list of values.
        TypeError: a method that is not callable, or a parameter it does not take.
    """
    if isinstance(method, str):
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)} or pass a function")
        method = METHODS[method]
    if not callable(method):
        raise TypeError(f"method must be a function or a method name, got {type(method).__name__}")
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"grid must be a non-empty dict {{parameter: [values]}}, got {grid!r}")
    names = list(grid)
    values = []
    for name in names:
        options = list(grid[name]) if isinstance(grid[name], (list, tuple, np.ndarray, range)) else [grid[name]]
        if not options:
            raise ValueError(f"grid[{name!r}] holds no values")
        values.append(options)
    fixed = dict(fixed or {})
    results = []
    for combination in itertools.product(*values):
        params = dict(zip(names, combination))
        score = psnr(clean, method(damaged, **fixed, **params))
        results.append((params, score))
    best = max(range(len(results)), key=lambda i: results[i][1])  # max keeps the first of equal scores
    return TuneResult(params=results[best][0], psnr=results[best][1], results=results)
