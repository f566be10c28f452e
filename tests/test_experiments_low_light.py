"""Notebook 11's section 7: low light as shot, the classical chain tuned stage by stage, both low-light networks."""

import keras
import numpy as np
import pytest

from prodimg_lib.course.profiles import get_profile
from prodimg_lib.data import degrade
from prodimg_lib.enhancement import classical
from prodimg_lib.experiments import low_light, tone


def test_shoot_dark_is_reproducible_and_dark(sample):
    dark, clean = low_light.shoot_dark(sample.x_test[:20], seed=4)
    assert dark.shape == clean.shape == (20, 28, 28, 1) and dark.dtype == np.float32
    np.testing.assert_array_equal(dark, degrade.low_light_as_shot(clean, seed=4))
    np.testing.assert_array_equal(dark, low_light.shoot_dark(sample.x_test[:20], seed=4)[0])
    assert dark.mean() < clean.mean() - 0.2


def test_chain_tuning_stage_by_stage_and_rows(sample):
    dark, clean = low_light.shoot_dark(sample.x_test[:16], seed=5)
    chain = low_light.tune_chain(dark, clean, log=None)
    assert set(chain) == {"levels_gamma", "clahe", "nl_means", "psnr"}
    for stage in low_light.CHAIN_TITLES:
        assert set(chain[stage]) == set(low_light.CHAIN_GRIDS[stage])
    out = low_light.classical_chain(dark, chain)
    assert out.shape == dark.shape and out.dtype == np.float32
    from prodimg_lib.evaluation.image_quality import psnr
    assert psnr(clean, out) == pytest.approx(chain["psnr"], abs=1e-6)  # the chain's own held-out score
    # the denoising stage pays on these noisy shots, and the chain beats levels + gamma alone
    assert chain["nl_means"]["h"] > 0 and chain["psnr"] > psnr(clean, low_light.classical_chain(dark, chain, stages=1))
    rows, outputs = low_light.evaluate_as_shot(dark, clean, chain)
    keys = [r["key"] for r in rows]
    assert keys[0] == "dark" and keys[1] == "chain1" and keys[-1] == "chain3"
    assert ("chain2" in keys) == (chain["clahe"]["clip_limit"] > 0)
    assert rows[-1]["method"].endswith("non-local means") and rows[-1]["psnr"] == pytest.approx(chain["psnr"], abs=1e-6)


@pytest.mark.parametrize("objective", low_light.OBJECTIVES)
def test_low_light_runs_train_save_and_evaluate(sample, tmp_path, objective):
    profile = get_profile("smoke")
    fit, held = tone.split_held_out(sample.x_train[:256])
    prepare = dict(tone.PREPARE, gamma=1.0) if objective == "supervised" else None
    run = low_light.train_low_light(fit, profile, objective=objective, prepare=prepare, validation=held, verbose=0, log=None)
    assert run.objective == objective and run.n_train == len(fit) and "val_loss" in run.history
    dark, clean = low_light.shoot_dark(sample.x_test[:24], 0)
    out = low_light.enhance_low_light(run, dark)
    assert out.shape == dark.shape and out.mean() > dark.mean()
    run.model.save(tmp_path / "low_light.keras")
    loaded = keras.models.load_model(tmp_path / "low_light.keras", safe_mode=True)
    x = classical.levels_gamma(dark, **run.prepare) if run.prepare else dark
    np.testing.assert_allclose(loaded.predict(x, verbose=0), run.model.predict(x, verbose=0), atol=1e-5)
    chain = {"levels_gamma": {"gamma": 1.0, "high": 99.5}, "clahe": {"clip_limit": 0}, "nl_means": {"h": 0.06}}
    rows, _ = low_light.evaluate_as_shot(dark, clean, chain, [run])
    assert rows[-1]["key"] == objective and np.isfinite(rows[-1]["psnr"])


def test_low_light_arguments_are_checked():
    profile = get_profile("smoke")
    images = np.zeros((200, 8, 8, 1), np.float32)
    with pytest.raises(ValueError, match="objective"):
        low_light.train_low_light(images, profile, objective="unsupervised", verbose=0, log=None)
    with pytest.raises(ValueError, match="prepare"):
        low_light.train_low_light(images, profile, objective="zero_reference", prepare={"gamma": 1.0}, verbose=0, log=None)
    with pytest.raises(TypeError, match="LowLightRun"):
        low_light.enhance_low_light(object(), images)
