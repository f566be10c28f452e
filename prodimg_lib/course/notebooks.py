"""Executing, checking and cleaning the course notebooks (used by the course runner and the tests).

Conventions checked here:

- exactly one cell tagged ``parameters`` (papermill injects ``PROFILE`` after it);
- committed notebooks carry no image outputs, and text outputs only in cells tagged
  ``nbval-check-output`` (deterministic values that ``pytest --nbval-lax`` compares).

Maintainers refresh those stored outputs after editing a notebook with
``python -m prodimg_lib.course.notebooks refresh notebooks/NN_name.ipynb``; that also rewrites
the cells that show library code (:mod:`prodimg_lib.course.shown_code`), which
``... notebooks show-code PATHS`` does alone, without running anything.
"""

from __future__ import annotations

import copy
import os
import sys
import tempfile
from pathlib import Path

import nbformat

__all__ = [
    "CHECK_TAG",
    "KEY_FIGURE_TAG",
    "notebook_dir",
    "course_notebooks",
    "find_notebook",
    "parameters_cells",
    "image_outputs",
    "key_figure",
    "execute",
    "strip_outputs",
    "write_notebook",
    "refresh_checked_outputs",
]

CHECK_TAG = "nbval-check-output"
# The cell whose figure the course map shows for a notebook (else its last figure).
KEY_FIGURE_TAG = "key-figure"


def notebook_dir() -> Path:
    """The ``notebooks/`` folder of the course repository."""
    return Path(__file__).resolve().parents[2] / "notebooks"


def course_notebooks(folder: str | os.PathLike | None = None) -> list[Path]:
    """The course notebooks ``NN_topic.ipynb`` in order."""
    folder = Path(folder) if folder is not None else notebook_dir()
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def find_notebook(spec, folder: str | os.PathLike | None = None) -> Path:
    """The course notebook that ``spec`` names: a number (``9``, ``"09"``), a name with or without
    ``.ipynb`` (``"09_super_resolution"``), or a path to a notebook file.

    Raises:
        FileNotFoundError: no such notebook; the message lists the course's notebooks.
    """
    notebooks = course_notebooks(folder)
    text = str(spec).strip()
    path = Path(text).expanduser()
    if path.suffix == ".ipynb" and path.is_file():
        return path
    stem = path.name.removesuffix(".ipynb")
    for notebook in notebooks:
        if notebook.stem == stem or (stem.isdigit() and notebook.stem.split("_")[0] == f"{int(stem):02d}"):
            return notebook
    listing = ", ".join(n.stem for n in notebooks) or "none found"
    raise FileNotFoundError(f"no course notebook {text!r}: give a number (09), a name (09_super_resolution) or a path; "
                            f"the notebooks are: {listing}")


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def parameters_cells(nb) -> list[int]:
    """Indices of the cells tagged ``parameters``."""
    return [i for i, c in enumerate(nb["cells"]) if "parameters" in _tags(c)]


def image_outputs(nb) -> int:
    """How many outputs of the notebook hold an image."""
    return sum(
        1
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if any(key.startswith("image/") for key in out.get("data", {}))
    )


def key_figure(nb) -> bytes | None:
    """The PNG of a notebook's key figure: the image output of the first cell tagged ``key-figure``,
    else the last image output of the notebook; None when it has none."""
    import base64

    def pngs(cells):
        return [o["data"]["image/png"] for c in cells for o in c.get("outputs", [])
                if isinstance(o.get("data"), dict) and "image/png" in o["data"]]

    tagged = [c for c in nb.cells if KEY_FIGURE_TAG in _tags(c)]
    found = pngs(tagged[:1]) or pngs(nb.cells)[-1:]
    if not found:
        return None
    data = found[0]
    return base64.b64decode("".join(data) if isinstance(data, list) else data)


def execute(
    source: str | os.PathLike,
    output: str | os.PathLike,
    *,
    profile: str = "smoke",
    parameters: dict | None = None,
    timeout: int | None = None,
    progress: bool = False,
    kernel_name: str = "python3",
):
    """Run a notebook headless with papermill, in its own folder, and return the executed notebook.

    ``PROFILE`` is passed as a parameter; TensorFlow's C++ log is silenced in the kernel.
    With ``progress``, a bar shows the cell being run of how many and the time elapsed, and
    the cells' printed output (the training's epoch lines among it) is shown as it comes.
    Raises ``papermill.PapermillExecutionError`` when a cell fails (the executed copy, with
    the traceback, is still written to ``output``).
    """
    import papermill

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # inherited by the kernel
    source = Path(source).resolve()
    return papermill.execute_notebook(
        str(source),
        str(output),
        parameters={"PROFILE": profile, **(parameters or {})},
        kernel_name=kernel_name,
        cwd=str(source.parent),
        progress_bar=progress,
        stdout_file=sys.stdout if progress else None,
        stderr_file=sys.stderr if progress else None,
        execution_timeout=timeout,
    )


def strip_outputs(nb, keep_from=None):
    """Return a copy of ``nb`` without outputs, except text outputs of cells tagged ``nbval-check-output``.

    Args:
        nb: the notebook to clean.
        keep_from: an executed copy of the same notebook whose checked outputs should be stored
            (cells are matched by position, papermill's injected cell left out); None keeps the checked outputs ``nb`` already has.
    """
    clean = copy.deepcopy(nb)
    source_cells = [c for c in (keep_from or nb)["cells"] if "injected-parameters" not in _tags(c)]
    if len(source_cells) != len(clean["cells"]):
        raise ValueError("the executed notebook has a different number of cells")
    count = 0
    for cell, executed in zip(clean["cells"], source_cells):
        if cell["cell_type"] != "code":
            continue
        cell["outputs"], cell["execution_count"] = [], None
        cell["metadata"].pop("execution", None)
        cell["metadata"].pop("papermill", None)
        if CHECK_TAG in _tags(cell):
            count += 1
            kept = []
            for out in executed.get("outputs", []):
                if out["output_type"] == "stream" and out.get("name") == "stdout":
                    kept.append(nbformat.v4.new_output("stream", name="stdout", text=out["text"]))
                elif out["output_type"] in ("execute_result", "display_data") and "text/plain" in out.get("data", {}):
                    kept.append(
                        nbformat.v4.new_output(
                            "execute_result", data={"text/plain": out["data"]["text/plain"]}, execution_count=count
                        )
                    )
            cell["outputs"], cell["execution_count"] = kept, count
    clean["metadata"].pop("papermill", None)
    return clean


def write_notebook(nb, path: str | os.PathLike) -> Path:
    """Write a notebook as ``nbformat.write`` does (with a final newline), atomically; return the path."""
    from prodimg_lib.files import atomic_write_text

    text = nbformat.writes(nb)
    return atomic_write_text(path, text if text.endswith("\n") else text + "\n")


def refresh_checked_outputs(path: str | os.PathLike, profile: str = "smoke") -> None:
    """Rewrite a notebook's library-code cells from the library (:mod:`.shown_code`), execute it, and
    store only the outputs of its ``nbval-check-output`` cells.

    What the run saves goes to ``$PRODIMG_BUILD_DIR`` if set, else to ``build/refresh/`` (not
    ``build/``), so that refreshing a notebook never replaces the models of a real course run;
    refreshing the notebooks in order lets the later ones find the models of the earlier ones.
    """
    from prodimg_lib.course.artifacts import build_dir

    from prodimg_lib.course.shown_code import refresh_shown_code

    path = Path(path)
    original = nbformat.read(path, as_version=4)
    if refresh_shown_code(original):  # the library's code cells first: the run executes them
        write_notebook(original, path)
    saved = os.environ.get("PRODIMG_BUILD_DIR")
    if not saved:
        os.environ["PRODIMG_BUILD_DIR"] = str(build_dir() / "refresh")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            executed = execute(path, Path(tmp) / path.name, profile=profile)
    finally:
        if not saved:
            os.environ.pop("PRODIMG_BUILD_DIR", None)
    write_notebook(strip_outputs(original, keep_from=executed), path)


def _main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m prodimg_lib.course.notebooks")
    sub = parser.add_subparsers(dest="command", required=True)
    refresh = sub.add_parser("refresh", help="re-run notebooks (smoke) and keep only nbval-checked outputs")
    refresh.add_argument("paths", nargs="+")
    strip = sub.add_parser("strip", help="remove outputs other than the stored nbval-checked ones")
    strip.add_argument("paths", nargs="+")
    show = sub.add_parser("show-code", help="rewrite the cells that show library code from the library (no run)")
    show.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    for p in args.paths:
        if args.command == "refresh":
            refresh_checked_outputs(p)
        elif args.command == "show-code":
            from prodimg_lib.course.shown_code import refresh_shown_code

            nb = nbformat.read(p, as_version=4)
            if refresh_shown_code(nb):
                write_notebook(nb, p)
        else:
            write_notebook(strip_outputs(nbformat.read(p, as_version=4)), p)
        print(f"{args.command}: {p}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
