"""The notebooks show the library's key code, and what they show is the library's code."""

import copy

import nbformat
import pytest

from prodimg_lib.course.notebooks import course_notebooks
from prodimg_lib.course.shown_code import (drifted_cells, library_code_cells, library_objects, refresh_shown_code,
                                           shown_code)

NOTEBOOKS = {p.stem[:2]: p for p in course_notebooks()}

# What each notebook is about, and must show as code.
KEY_CODE = {
    "05": ["prodimg_lib.generation.dcgan:build_generator", "prodimg_lib.generation.dcgan:build_discriminator",
           "prodimg_lib.generation.losses:d_loss_from_logits", "prodimg_lib.generation.losses:g_loss_from_logits",
           "prodimg_lib.generation.steps:tensorflow_train_step"],
    "06": ["prodimg_lib.generation.dcgan:build_conditional_generator",
           "prodimg_lib.generation.dcgan:build_conditional_discriminator"],
    "07": ["prodimg_lib.evaluation.feature_space:frechet_distance"],
    "08": ["prodimg_lib.generation.diffusion:add_noise", "prodimg_lib.generation.diffusion:noisy_batch",
           "prodimg_lib.generation.unet:build_unet", "prodimg_lib.generation.diffusion:ddim_step",
           "prodimg_lib.generation.diffusion:euler_step", "prodimg_lib.generation.diffusion:guided"],
    "09": ["prodimg_lib.enhancement.models.sr:build_espcn", "prodimg_lib.enhancement.models.sr:_residual_block",
           "prodimg_lib.enhancement.models.sr:build_edsr", "prodimg_lib.enhancement.fit:fit_supervised"],
    "10": ["prodimg_lib.enhancement.models.restore:build_dncnn",
           "prodimg_lib.enhancement.models.restore:build_inpainting_unet"],
    "11": ["prodimg_lib.enhancement.models.tone:build_curve_estimator"],
}


def _read(number):
    return nbformat.read(NOTEBOOKS[number], as_version=4)


@pytest.mark.parametrize("number", sorted(NOTEBOOKS))
def test_the_code_a_notebook_shows_is_the_library_code(number):
    assert drifted_cells(_read(number)) == []


@pytest.mark.parametrize("number", sorted(KEY_CODE))
def test_each_notebook_shows_the_code_it_is_about(number):
    nb = _read(number)
    shown = {spec for i in library_code_cells(nb) for spec in library_objects(nb.cells[i])}
    missing = [spec for spec in KEY_CODE[number] if spec not in shown]
    assert not missing, f"notebook {number} does not show {missing}"


@pytest.mark.parametrize("number", sorted(KEY_CODE))
def test_a_shown_cell_runs_on_its_own_and_defines_what_it_shows(number):
    nb = _read(number)
    for i in library_code_cells(nb):
        namespace = {}
        exec(compile(nb.cells[i].source, f"notebook {number}, cell {i}", "exec"), namespace)
        for spec in library_objects(nb.cells[i]):
            assert callable(namespace.get(spec.split(":")[1])), (number, i, spec)


def test_a_shown_builder_builds_the_same_model_as_the_library():
    import keras

    from prodimg_lib.enhancement.models import sr

    namespace = {}
    exec(shown_code(["prodimg_lib.enhancement.models.sr:_residual_block", "prodimg_lib.enhancement.models.sr:build_edsr"]),
         namespace)
    keras.utils.set_random_seed(0)
    ours = namespace["build_edsr"](2, width=8, blocks=2)
    keras.utils.set_random_seed(0)
    theirs = sr.build_edsr(2, width=8, blocks=2)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert ours.count_params() == theirs.count_params()


def test_a_cell_that_drifted_from_the_library_is_reported_and_refreshed():
    nb = copy.deepcopy(_read("05"))
    i = library_code_cells(nb)[0]
    nb.cells[i].source = nb.cells[i].source.replace("strides=2", "strides=3", 1)
    messages = drifted_cells(nb)
    assert len(messages) == 1 and f"cell {i}" in messages[0] and "refresh" in messages[0]
    assert refresh_shown_code(nb) == 1
    assert drifted_cells(nb) == []


def test_shown_code_leaves_out_docstrings_and_imports_what_the_code_needs():
    text = shown_code(["prodimg_lib.generation.losses:d_loss_from_logits"])
    assert text.startswith("# The library's code from prodimg_lib/generation/losses.py")
    assert '"""' not in text
    assert "from prodimg_lib.generation.losses import _bce_to_constant" in text


@pytest.mark.parametrize("spec, message", [("prodimg_lib.generation.losses", "module:name"),
                                           ("prodimg_lib.generation.losses:no_such_loss", "has no 'no_such_loss'")])
def test_a_bad_library_code_entry_is_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        shown_code([spec])
