"""``prodimg generate`` / ``prodimg enhance`` and the functions behind them, with tiny saved models."""

import re

import keras
import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from prodimg_lib.course import apply
from prodimg_lib.course import artifacts
from prodimg_lib.course import cli
from prodimg_lib.generation import dcgan
from prodimg_lib.generation.unet import build_unet
from prodimg_lib.enhancement.models.restore import build_dncnn
from prodimg_lib.enhancement.models.sr import build_espcn


@pytest.fixture
def build(tmp_path, monkeypatch):
    monkeypatch.setenv("PRODIMG_BUILD_DIR", str(tmp_path / "build"))
    return tmp_path / "build"


@pytest.fixture
def saved_models(build):
    keras.utils.set_random_seed(0)
    artifacts.save_model(dcgan.build_conditional_generator(16, 10, 4), "cdcgan_generator")
    artifacts.save_model(build_dncnn(1, width=4, depth=3, noise_map=True), "denoise_photo")
    for factor in (2, 4):
        artifacts.save_model(build_espcn(factor, 1, width=4), f"sr_x{factor}_photo")
    return build


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(skdata.coffee()[::4, ::4]).save(folder / "coffee.jpg")          # colour, 100x150
    Image.fromarray(skdata.camera()[::8, ::8]).save(folder / "camera.png")          # grayscale, 64x64
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_tiled_prediction_matches_the_whole_image_away_from_the_border():
    keras.utils.set_random_seed(1)
    model = build_espcn(2, 1, width=4)
    image = np.random.default_rng(0).uniform(-1, 1, (50, 37, 1)).astype("float32")
    whole = np.asarray(model.predict(image[None], verbose=0))[0]
    tiled = apply.tiled_predict(model, image, 2, tile=24, overlap=6)
    assert tiled.shape == (100, 74, 1)
    np.testing.assert_allclose(tiled[12:-12, 12:-12], np.clip(whole, -1, 1)[12:-12, 12:-12], atol=1e-5)
    with pytest.raises(ValueError, match="overlap"):
        apply.tiled_predict(model, image, 2, tile=16, overlap=8)


def test_enhance_folder_keeps_names_sizes_and_inputs(saved_models, photos, tmp_path):
    before = {p.name: p.read_bytes() for p in photos.iterdir()}
    out = tmp_path / "out"
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        result = apply.enhance_folder(photos, out, upscale=2, denoise=True, progress=False)
    assert sorted(p.name for p in result["written"]) == ["camera.png", "coffee.jpg"]
    assert [p.name for p, _ in result["skipped"]] == ["notes.txt"]
    assert np.asarray(Image.open(out / "coffee.jpg")).shape == (200, 300, 3)
    assert np.asarray(Image.open(out / "camera.png")).shape == (128, 128)
    assert {p.name: p.read_bytes() for p in photos.iterdir()} == before  # inputs untouched


def test_enhance_folder_errors_name_the_problem(saved_models, photos, tmp_path, build):
    with pytest.raises(ValueError, match="must differ from the input folder"):
        apply.enhance_folder(photos, photos, upscale=2, progress=False)
    with pytest.raises(ValueError, match="nothing to do"):
        apply.enhance_folder(photos, tmp_path / "o", progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="contains no files"):
        apply.enhance_folder(tmp_path / "empty", tmp_path / "o", upscale=2, progress=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        apply.enhance_folder(tmp_path / "nowhere", tmp_path / "o", upscale=2, progress=False)
    (build / "models" / "sr_x4_photo.keras").unlink()
    with pytest.raises(artifacts.ModelNotFoundError, match="09_super_resolution"):
        apply.enhance_folder(photos, tmp_path / "o", upscale=4, progress=False)


def test_enhance_colour_luma_from_the_command_line(saved_models, photos, tmp_path, capsys):
    args = ["enhance", str(photos), "--upscale", "2", "--no-progress"]
    assert cli.main(args + ["--out", str(tmp_path / "rgb")]) == 0
    assert cli.main(args + ["--out", str(tmp_path / "luma"), "--colour", "luma"]) == 0
    rgb, luma = (np.asarray(Image.open(tmp_path / folder / "coffee.jpg")) for folder in ("rgb", "luma"))
    assert rgb.shape == luma.shape == (200, 300, 3) and not np.array_equal(rgb, luma)
    gray_rgb, gray_luma = (np.asarray(Image.open(tmp_path / folder / "camera.png")) for folder in ("rgb", "luma"))
    np.testing.assert_array_equal(gray_rgb, gray_luma)  # one channel: the modes agree
    with pytest.raises(SystemExit):
        cli.main(args + ["--out", str(tmp_path / "x"), "--colour", "hsv"])
    assert "invalid choice: 'hsv'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="colour must be one of 'rgb', 'luma'"):
        apply.enhance_folder(photos, tmp_path / "y", upscale=2, colour="lab", progress=False)


def test_enhance_with_a_noise_level(saved_models, photos, tmp_path, capsys):
    args = ["enhance", str(photos), "--denoise", "--no-progress"]
    assert cli.main(args + ["--out", str(tmp_path / "told"), "--noise-level", "5"]) == 0
    assert "wrote 2 photo(s)" in capsys.readouterr().out
    assert cli.main(["enhance", str(photos), "--out", str(tmp_path / "x"), "--upscale", "2", "--noise-level", "5"]) == 2
    assert "add --denoise" in capsys.readouterr().err
    with pytest.raises(ValueError, match="noise level must be <= 55"):
        apply.enhance_folder(photos, tmp_path / "y", denoise=True, noise_level=80, progress=False)
    with pytest.raises(SystemExit):
        cli.main(args + ["--out", str(tmp_path / "z"), "--noise-level", "-3"])
    artifacts.save_model(build_dncnn(1, width=4, depth=3), "denoise_photo")  # a blind denoiser, as older builds made
    assert cli.main(args + ["--out", str(tmp_path / "blind"), "--overwrite"]) == 0  # still used without a level
    assert cli.main(args + ["--out", str(tmp_path / "blind"), "--overwrite", "--noise-level", "5"]) == 2
    assert "blind denoiser" in capsys.readouterr().err
    artifacts.save_model(build_dncnn(3, width=4, depth=3, noise_map=True), "denoise_photo")
    with pytest.raises(ValueError, match="optionally a noise level map"):
        apply.enhance_folder(photos, tmp_path / "w", denoise=True, progress=False)


def test_generate_writes_images_and_a_sheet(saved_models, tmp_path):
    result = apply.generate_to_folder("sneakers", 5, tmp_path / "gen", seed=3, scale=2)
    assert result["class"] == "Sneaker"
    assert [p.name for p in result["files"]] == [f"sneaker_{i:03d}.png" for i in range(5)]
    assert np.asarray(Image.open(result["files"][0])).shape == (56, 56)
    assert result["sheet"].is_file()
    with pytest.raises(ValueError, match="the classes are: 0 'T-shirt/top'"):
        apply.generate_to_folder("hat", 2, tmp_path / "gen")


def test_command_line_reports_errors_in_one_line(build, photos, tmp_path, capsys):
    assert cli.main(["generate", "--class", "bag", "--count", "2", "--out", str(tmp_path / "g")]) == 2
    assert "06_conditional_dcgan" in capsys.readouterr().err
    assert cli.main(["enhance", str(photos), "--out", str(tmp_path / "e"), "--upscale", "2"]) == 2
    assert "09_super_resolution" in capsys.readouterr().err


def test_command_line_generate_and_enhance(saved_models, photos, tmp_path, capsys):
    assert cli.main(["generate", "--class", "ankle boot", "--count", "3", "--out", str(tmp_path / "g")]) == 0
    assert "wrote 3 Ankle boot image(s)" in capsys.readouterr().out
    assert cli.main(["generate", "--class", "hat", "--out", str(tmp_path / "g")]) == 2
    assert "unknown product class 'hat'" in capsys.readouterr().err
    assert cli.main(["enhance", str(photos), "--out", str(tmp_path / "e"), "--denoise", "--no-progress"]) == 0
    assert "wrote 2 photo(s)" in capsys.readouterr().out


def test_generate_never_replaces_a_users_file_without_being_asked(saved_models, tmp_path, capsys):
    out = tmp_path / "gen"
    out.mkdir()
    (out / "bag_000.png").write_bytes(b"the user's own picture")
    with pytest.raises(FileExistsError, match=r"1 file\(s\) would be replaced.*bag_000.png.*--overwrite"):
        apply.generate_to_folder("bag", 3, out)
    assert sorted(p.name for p in out.iterdir()) == ["bag_000.png"]  # nothing written
    assert cli.main(["generate", "--class", "bag", "--count", "3", "--out", str(out)]) == 2
    assert "would be replaced" in capsys.readouterr().err
    assert (out / "bag_000.png").read_bytes() == b"the user's own picture"
    assert cli.main(["generate", "--class", "bag", "--count", "3", "--out", str(out), "--overwrite"]) == 0
    assert np.asarray(Image.open(out / "bag_000.png")).shape == (112, 112)


def test_enhance_never_replaces_a_users_file_without_being_asked(saved_models, photos, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "camera.png").write_bytes(b"keep me")
    args = ["enhance", str(photos), "--out", str(out), "--upscale", "2", "--no-progress"]
    assert cli.main(args) == 2
    assert "camera.png" in capsys.readouterr().err and (out / "camera.png").read_bytes() == b"keep me"
    assert sorted(p.name for p in out.iterdir()) == ["camera.png"]
    assert cli.main([*args, "--overwrite"]) == 0
    assert np.asarray(Image.open(out / "camera.png")).shape == (128, 128)


@pytest.mark.parametrize("command", ["generate", "enhance"])
def test_an_output_that_is_a_file_or_unwritable_is_one_line(saved_models, photos, tmp_path, capsys, monkeypatch,
                                                            command):
    args = (["generate", "--class", "bag", "--count", "2"] if command == "generate"
            else ["enhance", str(photos), "--upscale", "2", "--no-progress"])
    a_file = tmp_path / "a_file.png"
    a_file.write_bytes(b"x")
    assert cli.main([*args, "--out", str(a_file)]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and len(err.strip().splitlines()) == 1
    assert a_file.read_bytes() == b"x"

    def read_only(self, *a, **k):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(tmp_path), "mkdir", read_only)
    assert cli.main([*args, "--out", str(tmp_path / "locked" / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"prodimg {command}: error:") and "Permission denied" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("option, value, says", [
    ("--scale", "0", "must be from 1 to 32"), ("--scale", "-3", "must be from 1 to 32"),
    ("--scale", "100000", "must be from 1 to 32"), ("--seed", "-5", "must be 0 or more"),
    ("--count", "0", "must be from 1 to 10000"), ("--truncation", "-1", "must be a positive number"),
    ("--scale", "two", "expected an integer"),
])
def test_bad_generate_options_are_named(tmp_path, capsys, option, value, says):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["generate", "--class", "bag", "--out", str(tmp_path / "g"), option, value])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: {says}" in err, err
    assert not (tmp_path / "g").exists()


def test_generate_to_folder_checks_its_arguments_before_loading_the_model(tmp_path):
    for kwargs, match in [({"scale": 0}, "scale"), ({"scale": 100000}, "scale must be from 1 to 32"),
                          ({"seed": -5}, "seed must be a non-negative"), ({"truncation": 0.0}, "truncation")]:
        with pytest.raises(ValueError, match=match):
            apply.generate_to_folder("bag", 2, tmp_path / "g", **kwargs)
    assert not (tmp_path / "g").exists()


@pytest.mark.parametrize("damage", ["empty", "truncated", "not_a_zip", "weights_corrupted"])
def test_a_damaged_saved_model_is_one_clear_error(saved_models, photos, tmp_path, capsys, damage):
    import zipfile

    path = artifacts.model_path("sr_x2_photo")
    raw = path.read_bytes()
    if damage == "empty":
        path.write_bytes(b"")
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "not_a_zip":
        path.write_text("not a model")
    else:  # a valid archive whose weights file is garbage
        rebuilt = tmp_path / "rebuilt.keras"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(rebuilt, "w") as dst:
            for item in src.infolist():
                data = src.read(item)
                dst.writestr(item, data[: len(data) // 3] if item.filename.endswith(".h5") else data)
        path.write_bytes(rebuilt.read_bytes())
    with pytest.raises(artifacts.CorruptModelError, match=r"'sr_x2_photo' at .*sr_x2_photo.keras cannot be loaded"
                                                          r".*run notebooks/09_super_resolution.ipynb again"):
        artifacts.load_model("sr_x2_photo")
    assert cli.main(["enhance", str(photos), "--out", str(tmp_path / "e"), "--upscale", "2", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "cannot be loaded" in err and len(err.strip().splitlines()) == 1


def test_a_model_refused_by_safe_mode_is_one_clear_error(build):
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    artifacts.save_model(model, "denoise")
    with pytest.raises(artifacts.CorruptModelError, match="'denoise'.*cannot be loaded.*(safe|Lambda)"):
        artifacts.load_model("denoise")


def test_a_model_of_the_wrong_kind_is_refused_before_use(saved_models, photos, tmp_path, capsys):
    artifacts.save_model(build_espcn(2, 3, width=4), "sr_x2_photo")  # a colour model
    args = ["enhance", str(photos), "--out", str(tmp_path / "e"), "--upscale", "2", "--no-progress"]
    assert cli.main(args) == 2
    assert "one-channel images" in capsys.readouterr().err
    artifacts.save_model(build_espcn(4, 1, width=4), "sr_x2_photo")  # a x4 model under the x2 name
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "not (16, 16, 1) (x2)" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "e").exists() or not any((tmp_path / "e").iterdir())


@pytest.mark.parametrize("wrong, reason", [
    (lambda: dcgan.build_generator(16, 4), "takes 1 input"),                                     # unconditional
    (lambda: dcgan.build_conditional_generator(16, 3, 4), "knows 3 classes"),                    # other classes
    (lambda: dcgan.build_conditional_generator(16, 10, 4, (32, 32, 1)), r"shape \(32, 32, 1\)"),  # other size
])
def test_generate_refuses_a_generator_of_the_wrong_kind(saved_models, tmp_path, capsys, wrong, reason):
    artifacts.save_model(wrong(), "cdcgan_generator")
    assert cli.main(["generate", "--class", "bag", "--count", "2", "--out", str(tmp_path / "g")]) == 2
    err = capsys.readouterr().err
    assert re.search(reason, err), err
    assert "06_conditional_dcgan" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "g").exists()


def test_enhance_keeps_the_transparency_of_cut_outs(saved_models, tmp_path, capsys):
    folder = tmp_path / "cutouts"
    folder.mkdir()
    rgba = np.zeros((24, 32, 4), dtype=np.uint8)
    rgba[..., :3] = 90
    rgba[6:18, 8:24, 3] = 255  # an opaque product on a transparent background
    Image.fromarray(rgba, "RGBA").save(folder / "bag.png")
    assert cli.main(["enhance", str(folder), "--out", str(tmp_path / "kept"), "--upscale", "2", "--no-progress"]) == 0
    kept = np.asarray(Image.open(tmp_path / "kept" / "bag.png"))
    assert kept.shape == (48, 64, 4)
    assert kept[0, 0, 3] == 0 and kept[24, 32, 3] == 255  # transparent border, opaque product
    assert cli.main(["enhance", str(folder), "--out", str(tmp_path / "flat"), "--upscale", "2", "--no-progress",
                     "--flatten-alpha"]) == 0
    flat = np.asarray(Image.open(tmp_path / "flat" / "bag.png"))
    assert flat.shape == (48, 64, 3)
    assert flat[0, 0].min() > 200  # on white


# --------------------------------------------------------------------------- generate --model flow


@pytest.fixture
def flow_model(build):
    """A tiny untrained flow-matching U-Net saved as ``flow_generator``, its last layer made non-zero.

    (``build_unet`` starts that layer at zero, so an untrained network predicts 0; random weights
    there make the images depend on the network, the class and the time, as a trained one does.)
    """
    keras.utils.set_random_seed(0)
    network = build_unet(width=8)
    layer = network.get_layer("prediction")
    rng = np.random.default_rng(0)
    layer.set_weights([rng.normal(0, 0.05, w.shape).astype("float32") for w in layer.get_weights()])
    artifacts.save_model(network, "flow_generator")
    return build


def _pixels(folder):
    return {p.name: np.asarray(Image.open(p)) for p in sorted(folder.iterdir())}


def test_generate_with_the_flow_model_writes_the_same_files(flow_model, tmp_path, capsys):
    result = apply.generate_to_folder("sneakers", 3, tmp_path / "gen", model="flow", steps=2, guidance=2.0, seed=1,
                                      scale=2)
    assert result["class"] == "Sneaker"
    assert [p.name for p in result["files"]] == [f"sneaker_{i:03d}.png" for i in range(3)]
    assert np.asarray(Image.open(result["files"][0])).shape == (56, 56)
    assert result["sheet"] == tmp_path / "gen" / "sneaker_sheet.png" and result["sheet"].is_file()
    args = ["generate", "--model", "flow", "--class", "ankle boot", "--count", "2", "--steps", "2", "--guidance", "0",
            "--out", str(tmp_path / "g")]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert f"flow_generator: your model, {artifacts.model_path('flow_generator')}" in out
    assert "wrote 2 Ankle boot image(s) and ankle_boot_sheet.png" in out
    assert sorted(_pixels(tmp_path / "g")) == ["ankle_boot_000.png", "ankle_boot_001.png", "ankle_boot_sheet.png"]
    assert np.asarray(Image.open(tmp_path / "g" / "ankle_boot_000.png")).shape == (112, 112)  # --scale 4 by default


def test_generate_with_the_flow_model_is_seeded(flow_model, tmp_path):
    def run(folder, seed):
        args = ["generate", "--model", "flow", "--class", "bag", "--count", "2", "--steps", "2", "--seed", str(seed),
                "--out", str(tmp_path / folder)]
        assert cli.main(args) == 0
        return _pixels(tmp_path / folder)

    first, again, other = run("a", 5), run("b", 5), run("c", 6)
    assert sorted(first) == ["bag_000.png", "bag_001.png", "bag_sheet.png"]
    for name in first:
        np.testing.assert_array_equal(first[name], again[name])
    assert not np.array_equal(first["bag_000.png"], other["bag_000.png"])
    assert not np.array_equal(first["bag_000.png"], first["bag_001.png"])  # each image has its own noise


def test_generate_passes_the_flow_defaults_and_options_to_the_sampler(flow_model, tmp_path, monkeypatch, capsys):
    from prodimg_lib.generation import diffusion

    calls = []

    def fake_sample(network, objective, labels, **kwargs):
        calls.append((objective, np.asarray(labels).tolist(), kwargs))
        return np.zeros((len(labels), 28, 28, 1), "float32")

    monkeypatch.setattr(diffusion, "sample", fake_sample)
    assert cli.main(["generate", "--model", "flow", "--class", "bag", "--count", "2", "--out", str(tmp_path / "a")]) == 0
    assert cli.main(["generate", "--model", "flow", "--class", "sneaker", "--count", "1", "--steps", "7",
                     "--guidance", "1.5", "--seed", "9", "--out", str(tmp_path / "b")]) == 0
    assert calls == [("flow", [8, 8], {"steps": diffusion.DEFAULT_STEPS, "guidance": diffusion.DEFAULT_GUIDANCE, "seed": 0}),
                     ("flow", [7], {"steps": 7, "guidance": 1.5, "seed": 9})]
    capsys.readouterr()
    with pytest.raises(SystemExit):
        cli.main(["generate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--model {cdcgan,flow}" in text and "cdcgan, the conditional DCGAN of notebook 06" in text
    assert "flow, the class-conditional flow-matching U-Net of notebook 08" in text
    assert f"Euler steps, 1 to 1000 (default {diffusion.DEFAULT_STEPS})" in text
    assert f"guidance scale, 0 or more (default {diffusion.DEFAULT_GUIDANCE:g};" in text


@pytest.mark.parametrize("args, says", [
    (["--model", "flow", "--truncation", "1.0"],
     "--truncation is an option of --model cdcgan, not of --model flow (which takes --steps and --guidance)"),
    (["--steps", "8"], "--steps is an option of --model flow, not of --model cdcgan (which takes --truncation)"),
    (["--model", "cdcgan", "--guidance", "2"], "--guidance is an option of --model flow, not of --model cdcgan"),
    (["--steps", "8", "--guidance", "2"], "--steps and --guidance are options of --model flow, not of --model cdcgan"),
])
def test_an_option_of_the_other_model_is_refused_in_one_line(saved_models, flow_model, tmp_path, capsys, args, says):
    assert cli.main(["generate", "--class", "bag", "--count", "2", "--out", str(tmp_path / "g"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("prodimg generate: error: ") and says in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "g").exists()


@pytest.mark.parametrize("option, value, says", [
    ("--steps", "0", "must be from 1 to 1000"), ("--steps", "1001", "must be from 1 to 1000"),
    ("--steps", "2.5", "expected an integer"), ("--guidance", "-1", "must be a number 0 or more"),
    ("--guidance", "inf", "must be a number 0 or more"), ("--guidance", "lots", "expected a number"),
    ("--model", "vae", "invalid choice: 'vae'"),
])
def test_bad_flow_options_are_named(tmp_path, capsys, option, value, says):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["generate", "--model", "flow", "--class", "bag", "--out", str(tmp_path / "g"), option, value])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: {says}" in err, err
    assert not (tmp_path / "g").exists()


def test_generate_to_folder_checks_the_model_and_its_options_before_loading_it(tmp_path):
    for kwargs, match in [({"model": "vae"}, "model must be one of 'cdcgan', 'flow'"),
                          ({"model": "flow", "truncation": 1.0}, "truncation is an option of the cdcgan model"),
                          ({"steps": 4}, "steps is an option of the flow model"),
                          ({"model": "cdcgan", "steps": 4, "guidance": 2.0}, "steps and guidance are options of the flow"),
                          ({"model": "flow", "steps": 0}, r"steps must be an integer in \[1, 1000\]"),
                          ({"model": "flow", "steps": 1001}, r"steps must be an integer in \[1, 1000\]"),
                          ({"model": "flow", "guidance": -0.5}, "guidance must be >= 0"),
                          ({"model": "flow", "seed": -1}, "seed must be a non-negative")]:
        with pytest.raises(ValueError, match=match):
            apply.generate_to_folder("bag", 2, tmp_path / "g", **kwargs)
    assert not (tmp_path / "g").exists()


def test_a_missing_flow_model_names_notebook_08(build, saved_models, tmp_path, capsys, monkeypatch):
    from prodimg_lib.course import pretrained

    args = ["generate", "--model", "flow", "--class", "bag", "--count", "2", "--out", str(tmp_path / "g")]
    assert cli.main(args) == 2  # the shipped models off, as in every test
    err = capsys.readouterr().err
    assert "'flow_generator' not found" in err and "run notebooks/08_diffusion.ipynb" in err
    assert len(err.strip().splitlines()) == 1
    empty_set = tmp_path / "pretrained"
    empty_set.mkdir()
    (empty_set / "manifest.json").write_text('{"format": 1, "models": {}}')
    monkeypatch.setenv(pretrained.ENV_PRETRAINED, str(empty_set))  # a pretrained set without a flow model
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "no pretrained one of that name is installed: run notebooks/08_diffusion.ipynb" in err, err
    assert not (tmp_path / "g").exists()


@pytest.mark.parametrize("wrong, reason", [
    (lambda: dcgan.build_conditional_generator(16, 10, 4), "takes inputs of shape"),           # a GAN generator
    (lambda: build_unet(width=4, num_classes=3), "knows 3 classes"),                           # other classes
])
def test_generate_refuses_a_flow_model_of_the_wrong_kind(build, tmp_path, capsys, wrong, reason):
    artifacts.save_model(wrong(), "flow_generator")
    assert cli.main(["generate", "--model", "flow", "--class", "bag", "--count", "2", "--out", str(tmp_path / "g")]) == 2
    err = capsys.readouterr().err
    assert re.search(reason, err), err
    assert "08_diffusion" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "g").exists()


def test_model_cdcgan_is_what_generate_did_before(saved_models, flow_model, tmp_path, capsys):
    from prodimg_lib.data import from_minus_one_one
    from prodimg_lib.generation.sampling import generate

    base = ["generate", "--class", "bag", "--count", "3", "--seed", "4", "--truncation", "1.5", "--scale", "2"]
    assert cli.main([*base, "--out", str(tmp_path / "default")]) == 0
    assert cli.main([*base, "--model", "cdcgan", "--out", str(tmp_path / "cdcgan")]) == 0
    assert capsys.readouterr().out.count("cdcgan_generator: your model") == 2
    default, explicit = _pixels(tmp_path / "default"), _pixels(tmp_path / "cdcgan")
    assert sorted(default) == ["bag_000.png", "bag_001.png", "bag_002.png", "bag_sheet.png"]
    for name in default:
        np.testing.assert_array_equal(default[name], explicit[name])
    expected = from_minus_one_one(generate(artifacts.load_model("cdcgan_generator"), 3, "bag", seed=4, truncation=1.5))
    for i in range(3):  # the conditional DCGAN's images, pixel for pixel, enlarged 2x
        np.testing.assert_array_equal(default[f"bag_{i:03d}.png"][::2, ::2], expected[i][..., 0])
