"""The library's key code, shown as code cells of the notebooks and kept identical to the library.

A notebook shows the code it is about (a loss, a training step, a model's blocks) in a code
cell whose metadata names the library objects it shows::

    "metadata": {"library_code": ["prodimg_lib.generation.losses:d_loss_from_logits"]}

The cell's text is made from the library: a comment naming the file, the imports the code
needs, and each object's source without its docstring. Running the cell defines the same
functions in the notebook, so a learner can read them on the committed page, call them and
change them. There is one implementation: the library's. :func:`drifted_cells` (run by the
tests) reports a cell whose text is no longer what the library would give, and
``python -m prodimg_lib.course.notebooks refresh`` rewrites such cells.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import sys
import textwrap
from pathlib import Path

__all__ = ["LIBRARY_CODE_KEY", "library_objects", "shown_code", "library_code_cells", "drifted_cells",
           "refresh_shown_code"]

LIBRARY_CODE_KEY = "library_code"
_ROOT = Path(__file__).resolve().parents[2]


def _resolve(spec: str):
    """``(module, object)`` for ``"package.module:name"`` (or ``"package.module:Class.method"``)."""
    module_name, sep, qualname = spec.partition(":")
    if not sep or not qualname:
        raise ValueError(f"a library_code entry is 'module:name', got {spec!r}")
    module = importlib.import_module(module_name)
    obj = module
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ValueError(f"{module_name} has no {qualname!r} (library_code entry {spec!r})") from None
    return module, obj


def library_objects(cell) -> list[str]:
    """The ``module:name`` entries a cell shows (empty for an ordinary cell)."""
    return list(cell.get("metadata", {}).get(LIBRARY_CODE_KEY, []))


def _is_docstring(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _source_without_docstrings(obj) -> str:
    source = textwrap.dedent(inspect.getsource(obj))
    drop: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and len(node.body) > 1 \
                and _is_docstring(node.body[0]):
            drop.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))
    lines = [line for number, line in enumerate(source.splitlines(), start=1) if number not in drop]
    return "\n".join(lines).rstrip()


def _import_line(name: str, value, home) -> tuple[str, str]:
    """``(module, import statement)`` that gives ``name`` the value it has in the library module ``home``."""
    if inspect.ismodule(value):
        if value.__name__ == name:
            return name, f"import {name}"
        package = importlib.import_module(value.__name__.split(".")[0])
        if getattr(package, name, None) is value:
            return package.__name__, f"from {package.__name__} import {name}"
        return value.__name__, f"import {value.__name__} as {name}"
    origin = getattr(value, "__module__", None)
    if origin and getattr(importlib.import_module(origin), name, None) is value:
        return origin, name
    return home.__name__, name


def _import_order(line: str) -> tuple[bool, str]:
    """The standard library's imports first, then the others, each alphabetically."""
    return line.split()[1].split(".")[0] not in sys.stdlib_module_names, line


def _from_import(origin: str, names: list[str], width: int = 110) -> str:
    line = f"from {origin} import {', '.join(names)}"
    if len(line) <= width:
        return line
    body = textwrap.fill(", ".join(names), width - 4, initial_indent="    ", subsequent_indent="    ")
    return f"from {origin} import (\n{body},\n)"


def shown_code(specs: list[str]) -> str:
    """The text of a cell that shows the library objects ``specs`` (``["module:name", ...]``).

    Raises:
        ValueError: an entry that is not ``module:name`` or names nothing in the library.
    """
    resolved = [_resolve(spec) for spec in specs]
    sources = [_source_without_docstrings(obj) for _, obj in resolved]
    defined = {getattr(obj, "__name__", "") for _, obj in resolved}
    used: dict[str, tuple] = {}
    for (module, _), source in zip(resolved, sources):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Name) and node.id in vars(module) and node.id not in defined \
                    and not hasattr(builtins, node.id) and node.id != "annotations":
                used.setdefault(node.id, (vars(module)[node.id], module))
    plain, grouped = set(), {}
    for name, (value, home) in used.items():
        origin, line = _import_line(name, value, home)
        if line.startswith(("import ", "from ")):
            plain.add(line)
        else:
            grouped.setdefault(origin, []).append(name)
    from_lines = [line for line in plain if line.startswith("from ")]
    from_lines += [_from_import(origin, sorted(names)) for origin, names in grouped.items()]
    imports = sorted((line for line in plain if line.startswith("import ")), key=_import_order)
    imports += sorted(from_lines, key=_import_order)
    files = sorted({Path(inspect.getsourcefile(module)).resolve().relative_to(_ROOT).as_posix() for module, _ in resolved})
    header = f"# The library's code from {', '.join(files)}, docstrings left out (the tests keep the two the same)."
    return "\n\n\n".join(["\n".join([header, *imports]), *sources]) + "\n"


def library_code_cells(nb) -> list[int]:
    """Indices of the cells that show library code."""
    return [i for i, cell in enumerate(nb["cells"]) if library_objects(cell)]


def _source(cell) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def drifted_cells(nb) -> list[str]:
    """One message per library-code cell whose text is not what the library gives now."""
    messages = []
    for i in library_code_cells(nb):
        specs = library_objects(nb["cells"][i])
        if _source(nb["cells"][i]).rstrip() != shown_code(specs).rstrip():
            messages.append(f"cell {i} shows {', '.join(specs)} but its text differs from the library's; "
                            f"run python -m prodimg_lib.course.notebooks refresh on the notebook")
    return messages


def refresh_shown_code(nb) -> int:
    """Rewrite the library-code cells of ``nb`` from the library (in place); return how many changed."""
    changed = 0
    for i in library_code_cells(nb):
        cell = nb["cells"][i]
        text = shown_code(library_objects(cell)).rstrip("\n")
        if _source(cell) != text:
            cell["source"] = text
            changed += 1
    return changed
