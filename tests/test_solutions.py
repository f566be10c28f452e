"""Every teacher's solution passes the checker the notebook uses for it."""

import importlib.util
from pathlib import Path

import pytest

from prodimg_lib.course.notebooks import course_notebooks

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"solution_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("[0-9][0-9]_*.py")), ids=lambda p: p.stem)
def test_solutions_pass_their_checkers(path):
    results = _load(path).check_all()
    assert len(results) >= 3, "each notebook has at least three checked exercises"
    failures = [r for r in results if not r]
    assert not failures, failures


def test_every_notebook_has_solutions():
    for notebook in course_notebooks():
        assert (SOLUTIONS / f"{notebook.stem}.py").is_file(), f"no solutions/{notebook.stem}.py"
