"""Run the whole course headless: every notebook, executed copies, HTML pages and a summary.

``prodimg course --profile smoke`` (what ``make course`` calls) writes::

    build/notebooks/NN_topic.ipynb   executed copies, with figures
    build/html/NN_topic.html         the same as web pages
    build/summary.json               per notebook: status, seconds, reported metrics

A failing notebook is recorded (with its error) and the run goes on with the next one;
the command exits non-zero if any notebook failed.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
from pathlib import Path

__all__ = ["run_course", "export_html"]


def export_html(notebook, path: Path) -> None:
    """Write an executed notebook as a stand-alone HTML page (JupyterLab look, Mermaid rendered)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
    path.write_text(body, encoding="utf-8")


def _write_json_atomically(data, path: Path) -> None:
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def run_course(profile: str | None = None, out_dir: str | os.PathLike = "build", notebooks=None) -> dict:
    """Execute the course notebooks in order under ``profile`` and write ``out_dir``.

    Args:
        profile: "smoke", "cpu" or "gpu"; None picks the default for this machine.
        out_dir: where executed notebooks, HTML pages and ``summary.json`` go.
        notebooks: paths to run (default: every ``notebooks/NN_*.ipynb``).

    Returns:
        The summary written to ``summary.json``.
    """
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    from .notebooks import course_notebooks, execute
    from .profiles import get_profile
    from .report import metrics_of

    chosen = get_profile(profile).name
    out = Path(out_dir)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "html").mkdir(parents=True, exist_ok=True)
    os.environ["PRODIMG_BUILD_DIR"] = str(out.resolve())
    paths = [Path(p) for p in notebooks] if notebooks else course_notebooks()
    if not paths:
        raise FileNotFoundError("no notebooks to run (expected notebooks/NN_topic.ipynb files)")
    summary = {
        "profile": chosen,
        "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "notebooks": [],
    }
    total = time.perf_counter()
    for path in paths:
        executed_path = out / "notebooks" / path.name
        entry = {"notebook": path.name, "status": "ok", "seconds": None, "metrics": {}}
        print(f"[{chosen}] {path.name} ...", flush=True)
        start = time.perf_counter()
        try:
            execute(path, executed_path, profile=chosen)
        except PapermillExecutionError as exc:
            entry["status"] = "failed"
            entry["error"] = f"{exc.ename}: {exc.evalue}"
        entry["seconds"] = round(time.perf_counter() - start, 1)
        if executed_path.exists():
            executed = nbformat.read(executed_path, as_version=4)
            entry["metrics"] = metrics_of(executed)
            export_html(executed, out / "html" / (path.stem + ".html"))
        print(f"[{chosen}] {path.name}: {entry['status']} in {entry['seconds']} s", flush=True)
        summary["notebooks"].append(entry)
        _write_json_atomically(summary, out / "summary.json")
    summary["total_seconds"] = round(time.perf_counter() - total, 1)
    summary["failed"] = [e["notebook"] for e in summary["notebooks"] if e["status"] != "ok"]
    _write_json_atomically(summary, out / "summary.json")
    return summary
