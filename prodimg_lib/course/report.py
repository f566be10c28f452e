"""Headline numbers a notebook reports, collected by the course runner into ``build/summary.json``.

A notebook calls ``report_metrics(test_accuracy=0.91, ...)``; in Jupyter this shows a small
table, and the values travel in the notebook's output under a dedicated MIME type, where
:func:`metrics_of` finds them after a headless run.
"""

from __future__ import annotations

import json
import math
from numbers import Real

__all__ = ["METRICS_MIME", "clean_metrics", "report_metrics", "metrics_of"]

METRICS_MIME = "application/vnd.prodimg.metrics+json"


def _plain(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Real):
        value = float(value) if not float(value).is_integer() or isinstance(value, float) else int(value)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"metric value {value} is not finite")
        return value
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    raise TypeError(f"metrics must be numbers, strings or booleans, got {type(value).__name__}")


def clean_metrics(**metrics) -> dict:
    """The metrics as plain JSON values; NaN, infinities and non-numbers are errors."""
    return {name: _plain(value) for name, value in metrics.items()}


def report_metrics(**metrics) -> None:
    """Display the notebook's headline numbers and hand them to the course runner."""
    clean = clean_metrics(**metrics)
    text = "\n".join(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}" for k, v in clean.items())
    try:
        from IPython.display import display

        display({METRICS_MIME: clean, "text/plain": text}, raw=True)
    except ImportError:  # plain Python: just print them
        print(text)


def metrics_of(notebook) -> dict:
    """All metrics a (executed) notebook reported, later values overriding earlier ones."""
    found: dict = {}
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if METRICS_MIME in data:
                payload = data[METRICS_MIME]
                found.update(json.loads(payload) if isinstance(payload, str) else payload)
    return found
