"""Run the whole course headless: every notebook, executed copies, HTML pages and a summary.

``prodimg course --profile smoke`` (what ``make course`` calls) writes::

    build/notebooks/NN_topic.ipynb   executed copies, with figures
    build/html/NN_topic.html         the same as web pages
    build/figures/NN_topic.png       each notebook's key figure
    build/summary.json               per notebook: status, seconds, reported metrics
    build/index.html                 the course map: every page with its key figure, run time and headline results

While it runs it shows the notebook, the cell being run of how many, the time elapsed, and the
cells' printed output (the training's epoch lines among it).

A failing notebook is recorded (with its error) and the run goes on with the next one;
the command exits non-zero if any notebook failed.
"""

from __future__ import annotations

import datetime as _dt
import html
import os
import re
import time
from pathlib import Path

from prodimg_lib.files import atomic_write_bytes, atomic_write_json, atomic_write_text

__all__ = ["run_course", "export_html", "write_index", "headline_metrics"]

# Metrics shown on the index page: accuracies, distances, agreements, PSNR/SSIM and their gains.
HEADLINE = re.compile(r"(accuracy|fcd|agreement|psnr|ssim|gain|entropy|error|loss_at)", re.I)


def export_html(notebook, path: Path) -> None:
    """Write an executed notebook as a stand-alone HTML page (JupyterLab look, Mermaid rendered)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
    atomic_write_text(path, body)


def headline_metrics(metrics: dict, limit: int = 6) -> list[tuple[str, object]]:
    """The numbers worth a glance on the index page: up to ``limit`` headline metrics, in report order."""
    chosen = [(k, v) for k, v in metrics.items() if HEADLINE.search(k) and isinstance(v, (int, float)) and not isinstance(v, bool)]
    return chosen[:limit]


def _title(notebook_path: Path) -> str:
    import nbformat

    try:
        first = nbformat.read(notebook_path, as_version=4).cells[0].source.splitlines()[0]
    except (OSError, IndexError, ValueError):
        return notebook_path.stem
    return first.lstrip("# ").strip() or notebook_path.stem


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write_index(summary: dict, out_dir: str | os.PathLike, notebooks_dir: str | os.PathLike | None = None) -> Path:
    """Write ``out_dir/index.html``: every notebook with its page, status, run time, key figure and headline results.

    Args:
        summary: as written to ``summary.json`` by :func:`run_course`.
        out_dir: the build folder (``html/`` pages are linked relative to it).
        notebooks_dir: where the source notebooks are (for their titles); default ``notebooks/``.

    Returns:
        The path of the page.
    """
    out = Path(out_dir)
    source = Path(notebooks_dir) if notebooks_dir else Path(__file__).resolve().parents[2] / "notebooks"
    rows = []
    for entry in summary["notebooks"]:
        stem = Path(entry["notebook"]).stem
        title = html.escape(_title(source / entry["notebook"]))
        page = out / "html" / f"{stem}.html"
        link = f'<a href="html/{stem}.html">{title}</a>' if page.exists() else title
        status = "ok" if entry["status"] == "ok" else f'<span class="failed">{html.escape(entry["status"])}: ' \
            f'{html.escape(entry.get("error", ""))}</span>'
        results = "<br>".join(f"{html.escape(k)}: <b>{html.escape(_fmt(v))}</b>" for k, v in headline_metrics(entry["metrics"]))
        seconds = "" if entry["seconds"] is None else f"{entry['seconds']:.0f} s"
        figure = f'<img src="{html.escape(entry["figure"])}" alt="key figure of {html.escape(stem)}">' \
            if entry.get("figure") and (out / entry["figure"]).is_file() else ""
        rows.append(f"<tr><td>{link}</td><td>{status}</td><td class=num>{seconds}</td><td>{figure}</td>"
                    f"<td>{results}</td></tr>")
    total = summary.get("total_seconds")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Deep learning for product images: course run ({html.escape(summary['profile'])})</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 90em; line-height: 1.4; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 0.4em 0.6em; text-align: left; vertical-align: top; }}
td.num {{ text-align: right; white-space: nowrap; }}
img {{ max-width: 24em; max-height: 14em; }}
.failed {{ color: #b00; }}
</style></head><body>
<h1>Deep learning for product image generation and enhancement</h1>
<p>Profile <b>{html.escape(summary['profile'])}</b>, started {html.escape(summary.get('started', ''))}{
    f", {len(summary['notebooks'])} notebooks in {total / 60:.1f} minutes" if total else ""}.
Each link opens the executed notebook with its figures; the numbers are the ones it reported.
Generator distances are Fréchet classifier distances (features of the course's product classifier; not comparable
with InceptionV3 FID).</p>
<table><tr><th>notebook</th><th>status</th><th>run time</th><th>key figure</th><th>headline results</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
    return atomic_write_text(out / "index.html", page)


def run_course(profile: str | None = None, out_dir: str | os.PathLike = "build", notebooks=None) -> dict:
    """Execute the course notebooks in order under ``profile`` and write ``out_dir``.

    Args:
        profile: "smoke", "cpu" or "gpu"; None picks the default for this machine.
        out_dir: where executed notebooks, HTML pages and ``summary.json`` go.
        notebooks: the notebooks to run, each a number, a name or a path (:func:`find_notebook`);
            default: every ``notebooks/NN_*.ipynb``.

    Returns:
        The summary written to ``summary.json``.

    Raises:
        FileNotFoundError: a notebook that is not in the course (the message lists them).
    """
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    from prodimg_lib.course.notebooks import course_notebooks, execute, find_notebook, key_figure
    from prodimg_lib.course.profiles import get_profile
    from prodimg_lib.course.report import metrics_of

    chosen = get_profile(profile).name
    paths = [find_notebook(n) for n in notebooks] if notebooks else course_notebooks()
    if not paths:
        raise FileNotFoundError("no notebooks to run (expected notebooks/NN_topic.ipynb files)")
    out = Path(out_dir)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "html").mkdir(parents=True, exist_ok=True)
    os.environ["PRODIMG_BUILD_DIR"] = str(out.resolve())
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
            execute(path, executed_path, profile=chosen, progress=True)
        except PapermillExecutionError as exc:
            entry["status"] = "failed"
            entry["error"] = f"{exc.ename}: {exc.evalue}"
        entry["seconds"] = round(time.perf_counter() - start, 1)
        if executed_path.exists():
            executed = nbformat.read(executed_path, as_version=4)
            entry["metrics"] = metrics_of(executed)
            figure = key_figure(executed)
            if figure is not None:
                entry["figure"] = f"figures/{path.stem}.png"
                atomic_write_bytes(out / entry["figure"], figure)
            export_html(executed, out / "html" / (path.stem + ".html"))
        print(f"[{chosen}] {path.name}: {entry['status']} in {entry['seconds']} s", flush=True)
        summary["notebooks"].append(entry)
        atomic_write_json(out / "summary.json", summary)
        write_index(summary, out)
    summary["total_seconds"] = round(time.perf_counter() - total, 1)
    summary["failed"] = [e["notebook"] for e in summary["notebooks"] if e["status"] != "ok"]
    atomic_write_json(out / "summary.json", summary)
    write_index(summary, out)
    return summary
