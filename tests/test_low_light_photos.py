"""The photo low-light network: its training pairs, the tool's brighten step, the held-out measurement, --low-light."""

import keras
import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from prodimg_lib.course import apply, artifacts, cli
from prodimg_lib.course.profiles import get_profile
from prodimg_lib.data import from_minus_one_one, to_minus_one_one
from prodimg_lib.enhancement import photo
from prodimg_lib.enhancement.classical import levels_gamma
from prodimg_lib.enhancement.models.tone import build_low_light_net
from prodimg_lib.experiments import low_light_photos as llp


def _random_net(seed=0, scale=0.2):
    keras.utils.set_random_seed(seed)
    model = build_low_light_net(3, width=4, iterations=2, denoiser_width=4, denoiser_depth=3)
    rng = np.random.default_rng(seed)
    for layer in model.get_layer("curve_estimator").layers + model.get_layer("dncnn").layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([rng.normal(0, scale, w.shape).astype(np.float32) for w in weights])
    return model


def test_pairs_are_levelled_crops_of_the_training_photos():
    dark, clean = llp.photo_dark_pairs(1, 3, names=("coffee", "camera"), patch=32, seed=0)
    assert dark.shape == clean.shape == (6, 32, 32, 3) and dark.dtype == clean.dtype == np.float32
    assert dark.min() >= -1 and dark.max() <= 1 and clean.min() >= -1 and clean.max() <= 1
    assert np.allclose(clean[3:, ..., 0], clean[3:, ..., 2])  # the grayscale photo as three equal channels
    np.testing.assert_array_equal(dark, llp.photo_dark_pairs(1, 3, names=("coffee", "camera"), patch=32, seed=0)[0])
    with pytest.raises(ValueError, match="held out"):
        llp.photo_dark_pairs(1, 2, names=("coffee", "page"))


def test_darken_photo_keeps_shape_and_darkens():
    for pixels in (skdata.coffee()[::4, ::4], skdata.camera()[::8, ::8, None]):
        dark = llp.darken_photo(pixels, seed=1)
        assert dark.shape == pixels.shape and dark.dtype == np.uint8 and dark.mean() < 0.6 * pixels.mean()


def test_brighten_is_levels_for_an_untrained_network_and_keeps_grayscale():
    model = build_low_light_net(3, width=4, iterations=2, denoiser_width=4, denoiser_depth=3)  # the identity
    colour = llp.darken_photo(skdata.coffee()[::4, ::4], seed=2)
    expected = from_minus_one_one(levels_gamma(to_minus_one_one(colour)[None], **photo.LOW_LIGHT_LEVELS)[0])
    assert np.abs(photo.brighten(colour, model).astype(int) - expected).max() <= 1
    grey = llp.darken_photo(skdata.camera()[::8, ::8, None], seed=3)
    out = photo.brighten(grey, model)
    assert out.shape == grey.shape and out.dtype == np.uint8 and out.mean() > grey.mean()


def test_brighten_tile_by_tile_equals_the_whole_photo():
    model = _random_net()
    dark = llp.darken_photo(skdata.coffee()[:150, :170], seed=4)
    x = levels_gamma(to_minus_one_one(dark)[None], **photo.LOW_LIGHT_LEVELS)
    whole = from_minus_one_one(np.clip(model.predict(x, verbose=0)[0], -1, 1))
    tiled = photo.brighten(dark, model, tile=80)
    inner = (slice(20, -20), slice(20, -20))
    assert np.abs(tiled[inner].astype(int) - whole[inner]).max() <= 1


def test_held_out_measurement_and_summary():
    chain = {"balance": "grey_world", "levels_gamma": {"gamma": 1.0, "high": 99.5}, "clahe": {"clip_limit": 0},
             "nl_means": {"h": 0.06}}
    model = build_low_light_net(3, width=4, iterations=2, denoiser_width=4, denoiser_depth=3)
    rows, outputs = llp.evaluate_held_out(model, chain, names=("color", "page"), size=48, keep_outputs=True)
    assert [r["photo"] for r in rows] == ["color", "page"]
    methods = ["dark", "grey world + levels + gamma", "grey world + levels + gamma + non-local means", "network"]
    assert [k for k in rows[0] if k not in ("photo", "size", "network seconds")] == methods
    assert outputs["page"]["network"].shape == outputs["page"]["clean"].shape == (48, 48, 1)
    summary = llp.summarise(rows)
    assert [r["method"] for r in summary] == methods
    net = summary[-1]
    assert net["gain_db"] == pytest.approx(np.mean([r["network"] - r[methods[2]] for r in rows]))
    assert all(np.isfinite(r[m]) for r in rows for m in methods)
    assert net["min_gain_db"] <= net["gain_db"] and net["worst"] in ("color", "page")


def test_settings_follow_the_profile():
    smoke, cpu = llp.photo_low_light_settings(get_profile("smoke")), llp.photo_low_light_settings(get_profile("cpu"))
    assert smoke["epochs"] == 1 and smoke["eval_size"] == 96 and cpu["eval_size"] is None
    assert cpu["epochs"] == 4 and cpu["darkenings"] * cpu["per_darkening"] * 14 > 10_000


@pytest.fixture
def build(tmp_path, monkeypatch):
    monkeypatch.setenv("PRODIMG_BUILD_DIR", str(tmp_path / "build"))
    return tmp_path / "build"


def test_enhance_folder_low_light(build, tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(llp.darken_photo(skdata.coffee()[::4, ::4], seed=5)).save(folder / "coffee.png")
    Image.fromarray(llp.darken_photo(skdata.camera()[::8, ::8, None], seed=6)[..., 0]).save(folder / "camera.png")
    artifacts.save_model(build_low_light_net(3, width=4, iterations=2, denoiser_width=4, denoiser_depth=3),
                         "low_light_photo")
    assert cli.main(["enhance", str(folder), "--out", str(tmp_path / "bright"), "--low-light", "--no-progress"]) == 0
    assert "wrote 2 photo(s)" in capsys.readouterr().out
    for name in ("coffee.png", "camera.png"):
        before, after = np.asarray(Image.open(folder / name)), np.asarray(Image.open(tmp_path / "bright" / name))
        assert after.shape == before.shape and after.mean() > before.mean() + 20
    # a one-channel model saved under the low-light name is refused with the fix
    from prodimg_lib.enhancement.models.restore import build_dncnn

    artifacts.save_model(build_dncnn(1, width=4, depth=3), "low_light_photo")
    with pytest.raises(ValueError, match="'low_light_photo'.*3-channel images"):
        apply.enhance_folder(folder, tmp_path / "again", low_light=True, progress=False)
