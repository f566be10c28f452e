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
    artifacts.save_model(build_dncnn(1, width=4, depth=3), "denoise")
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
