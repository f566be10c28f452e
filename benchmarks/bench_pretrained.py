"""The shipped pretrained models, measured again: ``python -m benchmarks pretrained``.

For each shipped model, the headline numbers its notebook measured on held-out data when the
set was built (in ``manifest.json``) beside the same numbers measured now, on the same images,
with the same library functions the notebooks call. Inference is deterministic, so the two agree
to the manifest's rounding when the file is the one that was measured; a difference means the
file, the data or the code changed since.

Measured here: the classifier's test accuracy (notebook 04), the Fashion-MNIST super-resolution
PSNR at x2 and x4 (09), the photo super-resolution gain over bicubic (09), and the denoiser's PSNR
at sigma 15, 25 and 50 (10). The generators' numbers (05, 06) depend on the training run's own
samples and classifier and are not re-measured here; notebook 07 measures the shipped generators.
"""

from __future__ import annotations

import numpy as np

__all__ = ["measure_pretrained", "format_pretrained_table", "agree"]


def _classifier(model, fm, record):
    from prodimg_lib.data import to_minus_one_one
    from prodimg_lib.data.explore import accuracy_from_confusion, confusion_matrix

    probs = model.predict(to_minus_one_one(fm.x_test[..., None]), batch_size=512, verbose=0)
    return {"test_accuracy": accuracy_from_confusion(confusion_matrix(fm.y_test, probs.argmax(axis=1)))}


def _sr(factor):
    def measure(model, fm, record):
        from prodimg_lib.experiments import super_resolution as sr

        low, clean = sr.make_pairs(fm.x_test, factor)
        return {f"x{factor}_edsr_psnr": sr.evaluate(clean, sr.super_resolve(model, low))["psnr"]}
    return measure


def _sr_photo(factor):
    def measure(model, fm, record):
        from prodimg_lib.experiments import sr_photos

        rows, _ = sr_photos.evaluate_held_out({"shipped": model}, factor, downscalings=("bicubic",), colours=("rgb",))
        return {f"photos_x{factor}_gain_db": sr_photos.summarise(rows, ["shipped (rgb)"])[0]["gain_db"]}
    return measure


def _denoiser(model, fm, record):
    from prodimg_lib.course.profiles import get_profile
    from prodimg_lib.experiments import restoration

    _, _, test = restoration.load_splits(fm, get_profile(record["profile"]))
    return {f"dncnn_psnr_sigma{s}": restoration.evaluate_denoising(model, {}, test, s)[0][-1]["psnr"]
            for s in restoration.SIGMAS}


def _photo_denoiser(model, fm, record):
    from prodimg_lib.experiments import denoise_photos

    rows, _ = denoise_photos.evaluate_held_out({"shipped": model}, {}, sigmas=(25,))
    shipped = next(r for r in denoise_photos.summarise(rows) if r["method"] == "shipped")  # estimating the level, as the tool does
    return {"photos_sigma25_psnr": shipped["psnr"]}


def _photo_low_light(model, fm, record):
    from prodimg_lib.experiments import low_light_photos

    rows, _ = low_light_photos.evaluate_held_out(model, None)
    return {"photos_low_light_psnr": low_light_photos.summarise(rows)[-1]["psnr"]}


MEASURES = {"classifier": _classifier, "sr_x2": _sr(2), "sr_x4": _sr(4), "sr_x2_photo": _sr_photo(2),
            "sr_x4_photo": _sr_photo(4), "denoise": _denoiser, "denoise_photo": _photo_denoiser,
            "low_light_photo": _photo_low_light}


def measure_pretrained(fm, *, log=print) -> list[dict]:
    """Rows ``{model, metric, manifest, measured, difference}`` for every shipped model that is re-measured.

    Args:
        fm: the full Fashion-MNIST (uint8), as the set's notebooks used under ``cpu``/``gpu``.
        log: progress lines.

    Raises:
        CorruptModelError: a shipped file that does not match its checksum.
    """
    import keras

    from prodimg_lib.course import artifacts
    from prodimg_lib.course import pretrained

    rows = []
    for name in pretrained.read_manifest()["models"]:
        measure = MEASURES.get(name)
        if measure is None:
            log(f"{name}: not re-measured here (notebook 07 evaluates the shipped generators)")
            continue
        shipped = artifacts.pretrained_model(name)  # its checksum verified
        model = keras.models.load_model(shipped.path, safe_mode=True)
        for metric, value in measure(model, fm, shipped.record).items():
            recorded = shipped.record["metrics"].get(metric)
            rows.append({"model": name, "metric": metric, "manifest": recorded, "measured": float(value),
                         "difference": None if recorded is None else float(value) - float(recorded)})
            log(f"{name:12s} {metric:40s} manifest {recorded}  measured {float(value):.4f}")
    return rows


def format_pretrained_table(rows) -> str:
    """The rows as a Markdown table."""
    lines = ["| model | metric | manifest | measured now | difference |", "|---|---|---|---|---|"]
    for r in rows:
        diff = "" if r["difference"] is None else f"{r['difference']:+.4f}"
        shipped = "" if r["manifest"] is None else f"{r['manifest']:.4f}"
        lines.append(f"| {r['model']} | {r['metric']} | {shipped} | {r['measured']:.4f} | {diff} |")
    return "\n".join(lines)


def agree(rows, tolerance: float = 1e-3) -> bool:
    """True when every re-measured number equals the manifest's within ``tolerance`` (its rounding)."""
    return all(r["difference"] is not None and abs(r["difference"]) <= tolerance for r in rows) and bool(rows)
