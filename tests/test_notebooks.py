"""The course notebooks: conventions, and a headless run of each alone under the smoke profile.

``pytest --nbval-lax`` (in the same suite, see pyproject.toml) runs every notebook once
more and compares the outputs of the cells tagged ``nbval-check-output``.
"""

import re

import nbformat
import pytest

from prodimg_lib import GITHUB_REPO, GITHUB_URL
from prodimg_lib.course.notebooks import CHECK_TAG, course_notebooks, execute, image_outputs, parameters_cells
from prodimg_lib.course.report import metrics_of

NOTEBOOKS = course_notebooks()
ids = [p.stem for p in NOTEBOOKS]


def _read(path):
    return nbformat.read(path, as_version=4)


def _code(path) -> str:
    return "\n".join(cell.source for cell in _read(path).cells if cell.cell_type == "code")


def uses_earlier_models(path) -> bool:
    """True when the notebook loads a model it does not save itself (an earlier notebook's, or a shipped one)."""
    return loads_earlier_models(path) or "load_or_train_classifier(" in _code(path)


def loads_earlier_models(path) -> bool:
    """True when the notebook loads a generator or enhancer of an earlier notebook (not only the classifier,
    which ``load_or_train_classifier`` takes from the build folder or the shipped set, else trains)."""
    code = _code(path)
    saved = set(re.findall(r'save_model\([^,]+,\s*f?"(\w+)', code))
    loaded = set(re.findall(r'artifacts\.load_model\(\s*"(\w+)"', code))
    return bool(loaded - saved) or "pretrained" in code


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks/NN_topic.ipynb found"
    assert NOTEBOOKS[0].name == "00_welcome.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_exactly_one_parameters_cell_setting_profile(path):
    nb = _read(path)
    cells = parameters_cells(nb)
    assert len(cells) == 1, f"{path.name} has {len(cells)} cells tagged 'parameters'; papermill needs exactly one"
    assert re.search(r"^PROFILE\s*=", nb.cells[cells[0]].source, re.M), "the parameters cell must set PROFILE"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_committed_without_images_and_only_checked_outputs(path):
    nb = _read(path)
    assert image_outputs(nb) == 0, f"{path.name} is committed with image outputs"
    stray = [i for i, c in enumerate(nb.cells) if c.get("outputs") and CHECK_TAG not in c.metadata.get("tags", [])]
    assert not stray, f"cells {stray} of {path.name} carry outputs but are not tagged {CHECK_TAG!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_colab_badge_and_install_cell_point_at_this_repository(path):
    nb = _read(path)
    badge = f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/main/notebooks/{path.name}"
    assert badge in nb.cells[0].source, f"the first cell of {path.name} needs the Colab badge {badge}"
    install = [c for c in nb.cells if "colab-install" in c.metadata.get("tags", [])]
    assert len(install) == 1 and GITHUB_URL in install[0].source
    assert 'if "google.colab" in sys.modules' in install[0].source, "the install cell must do nothing outside Colab"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_runs_headless_under_the_smoke_profile(path, tmp_path, monkeypatch):
    """Each notebook alone, in a fresh empty build folder, as on Colab: what it needs of earlier
    notebooks comes from the pretrained models shipped with the library (nbval's run of the
    notebooks in order, without them, covers the learner's own models).

    In the TensorFlow run, nbval executes every notebook too, with the same empty start for a
    notebook that uses no earlier notebook's model; there only the notebooks that load an earlier
    notebook's generator or enhancer (:func:`loads_earlier_models`) run alone a second time. The
    JAX run has no nbval and runs every notebook alone, 05 and 06 (which use only the classifier)
    among them."""
    import keras

    if keras.backend.backend() == "tensorflow" and not loads_earlier_models(path):
        why = "uses only the classifier of an earlier notebook" if uses_earlier_models(path) else "uses no earlier notebook's model"
        pytest.skip(f"{path.name} {why}: nbval's run of it in this TensorFlow run starts it as alone, but for the "
                    "classifier's source; the JAX run executes it alone, with the shipped models")
    monkeypatch.setenv("PRODIMG_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.delenv("PRODIMG_PRETRAINED", raising=False)
    executed = execute(path, tmp_path / path.name, profile="smoke")  # raises on any cell error
    metrics = metrics_of(executed)
    assert metrics, f"{path.name} reports no metrics (call report_metrics)"
    if "profile" in metrics:
        assert metrics["profile"] == "smoke"


def test_the_notebooks_that_use_earlier_models_are_found():
    assert [p.stem[:2] for p in NOTEBOOKS if uses_earlier_models(p)] == ["05", "06", "07", "08", "12"]
    assert [p.stem[:2] for p in NOTEBOOKS if loads_earlier_models(p)] == ["07", "08", "12"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_readme_course_map_links_every_notebook_with_its_badge(path):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert f"(notebooks/{path.name})" in readme
    assert f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/main/notebooks/{path.name}" in readme


def _exercise_cells(nb):
    """Code cells a learner completes: a `...` placeholder and a call of a library checker."""
    return [c for c in nb.cells if c.cell_type == "code" and re.search(r"(^|=|return)\s*\.\.\.", c.source, re.M)
            and re.search(r"\bcheck_\w+\(", c.source)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_classroom_conventions(path):
    """Learning objectives, estimated time per profile, three checked exercises, a summary, further reading."""
    nb = _read(path)
    first = nb.cells[0].source
    assert first.startswith("# "), f"{path.name} must open with its title"
    assert "**You will**" in first, f"{path.name}: the first cell needs the learning objectives ('**You will**')"
    time_line = first[first.find("**Estimated time**"):]
    assert "**Estimated time**" in first and all(p in time_line for p in ("smoke", "cpu", "gpu")), (
        f"{path.name}: the first cell needs '**Estimated time**' for the smoke, cpu and gpu profiles")
    assert len(_exercise_cells(nb)) >= 3, f"{path.name} needs at least three exercises with a checker"
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines() if line.startswith("## ")]
    assert "## Summary" in headings and "## Further reading" in headings, f"{path.name} needs a Summary and Further reading"


def test_the_drawn_pipelines_are_the_ones_in_the_markdown():
    """Notebooks 00 and 12 show a Mermaid diagram (GitHub, JupyterLab) and draw the same one (Colab)."""
    import matplotlib

    matplotlib.use("Agg")
    from prodimg_lib import flowchart
    from prodimg_lib.course import diagrams

    for name, text in [("00_welcome", diagrams.COURSE_PIPELINE), ("12_product_pipeline", diagrams.PRODUCT_PIPELINE)]:
        nb = _read(next(p for p in NOTEBOOKS if p.stem == name))
        blocks = [m.group(1) for c in nb.cells if c.cell_type == "markdown"
                  for m in re.finditer(r"```mermaid\n(.*?)```", c.source, re.S)]
        assert blocks == [text], f"{name}: the Mermaid diagram differs from prodimg_lib.course.diagrams"
        drawn = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "flowchart.draw(diagrams." in c.source]
        assert drawn, f"{name} does not draw its diagram for Colab"
        chart = flowchart.parse(text)
        assert len(chart.edges) >= 6 and set(chart.columns().values()) == set(range(6))
        fig = flowchart.draw(text)
        assert len(fig.axes[0].patches) == len(chart.labels)  # one shape per node


# From notebook 03 on, at least one exercise makes the learner write Keras code; its checker runs it.
KERAS_EXERCISES = {"03": "check_keras_feature_map", "04": "check_small_classifier", "05": "check_train_step",
                   "06": "check_projection_head", "07": "check_feature_extractor",
                   "08": "check_time_embedding", "09": "check_residual_block",
                   "10": "check_masked_l1", "11": "check_exposure_loss", "12": "check_generate_and_enlarge"}


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem[:2] >= "03"], ids=lambda p: p.stem)
def test_every_notebook_from_03_on_has_a_keras_exercise_whose_solution_is_checked(path):
    from pathlib import Path

    checker = KERAS_EXERCISES[path.stem[:2]]
    cells = [c.source for c in _exercise_cells(_read(path)) if f"{checker}(" in c.source]
    assert cells, f"{path.name} has no exercise cell that calls {checker}"
    solutions = (Path(__file__).resolve().parent.parent / "solutions" / f"{path.stem}.py").read_text()
    assert f"{checker}(" in solutions, f"solutions/{path.stem}.py does not run {checker}"
