"""The pretrained set: which model is used, checksums, the build command, and the shipped files themselves."""

import json
import re

import keras
import numpy as np
import pytest

from prodimg_lib.course import artifacts
from prodimg_lib.course import cli
from prodimg_lib.course import pretrained
from prodimg_lib.course.pretrained import __main__ as pretrained_cli
from prodimg_lib.files import sha256_of
from prodimg_lib.generation import dcgan


def _tiny_generator(seed=0):
    keras.utils.set_random_seed(seed)
    return dcgan.build_conditional_generator(8, 10, 4)


@pytest.fixture
def build(tmp_path, monkeypatch):
    monkeypatch.setenv("PRODIMG_BUILD_DIR", str(tmp_path / "build"))
    return tmp_path / "build"


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A pretrained set of one model (``cdcgan_generator``) in a folder of the shipped layout, turned on."""
    folder = tmp_path / "pretrained"
    folder.mkdir()
    _tiny_generator().save(folder / "cdcgan_generator.keras")
    record = {"file": "cdcgan_generator.keras", "sha256": sha256_of(folder / "cdcgan_generator.keras"),
              "bytes": (folder / "cdcgan_generator.keras").stat().st_size, "notebook": "06_conditional_dcgan.ipynb",
              "profile": "cpu", "backend": "jax", "keras": keras.__version__, "device": "CPU",
              "date": "2026-12-01T18:00:00+00:00", "commit": "abc", "notebook_seconds": 1.0, "metrics": {"fcd": 3.5}}
    (folder / "manifest.json").write_text(json.dumps({"format": 1, "models": {"cdcgan_generator": record}}))
    monkeypatch.setenv(pretrained.ENV_PRETRAINED, str(folder))
    return folder


def test_the_learners_model_comes_first_then_the_pretrained_one(build, shipped):
    lines = []
    model = artifacts.load_model("cdcgan_generator", log=lines.append)
    assert lines == ["cdcgan_generator: the course's pretrained model (06_conditional_dcgan.ipynb, cpu profile, jax, "
                     "2026-12-01; checksum verified); run notebooks/06_conditional_dcgan.ipynb to train your own"]
    np.testing.assert_array_equal(model.get_weights()[0], _tiny_generator().get_weights()[0])
    artifacts.save_model(_tiny_generator(seed=1), "cdcgan_generator")  # the learner trained one
    model = artifacts.load_model("cdcgan_generator", log=lines.append)
    assert lines[1].startswith(f"cdcgan_generator: your model, {artifacts.model_path('cdcgan_generator')} (saved ")
    np.testing.assert_array_equal(model.get_weights()[0], _tiny_generator(seed=1).get_weights()[0])
    with pytest.raises(artifacts.ModelNotFoundError, match="no pretrained one of that name.*04_product_data"):
        artifacts.load_model("classifier")


def test_a_tampered_or_missing_pretrained_file_is_refused(build, shipped):
    path = shipped / "cdcgan_generator.keras"
    raw = path.read_bytes()
    path.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))  # one bit flipped
    with pytest.raises(artifacts.CorruptModelError, match="does not match its manifest.*force-reinstall.*06_conditional"):
        artifacts.load_model("cdcgan_generator")
    path.unlink()
    with pytest.raises(artifacts.CorruptModelError, match="listed in its manifest but .* is missing"):
        artifacts.load_model("cdcgan_generator")
    (shipped / "manifest.json").write_text("{not json")
    with pytest.raises(ValueError, match="manifest .* cannot be read"):
        artifacts.load_model("cdcgan_generator")


def test_pretrained_models_can_be_turned_off(build, shipped, monkeypatch):
    monkeypatch.setenv(pretrained.ENV_PRETRAINED, "off")
    with pytest.raises(artifacts.ModelNotFoundError, match=r"pretrained models are off \(PRODIMG_PRETRAINED=off\)"):
        artifacts.load_model("cdcgan_generator")


def test_generate_works_with_only_the_pretrained_model_and_says_so(build, shipped, tmp_path, capsys):
    assert cli.main(["generate", "--class", "sneaker", "--count", "3", "--out", str(tmp_path / "g")]) == 0
    out = capsys.readouterr().out
    assert "cdcgan_generator: the course's pretrained model" in out and "wrote 3 Sneaker image(s)" in out
    assert not build.exists() or not any((build / "models").glob("*.keras"))  # nothing trained, nothing copied


def _fake_run(models_made, failed=()):
    """A stand-in for run_course: each notebook 'saves' tiny models into the work folder's models/."""
    def run(profile, work, notebooks):
        entries = []
        for notebook in notebooks:
            status = "failed" if notebook in failed else "ok"
            if status == "ok":
                for name in models_made.get(notebook, []):
                    keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save(work / "models" / f"{name}.keras")
            entries.append({"notebook": notebook, "status": status, "seconds": 12.5, "metrics": {"psnr": 30.1},
                            **({"error": "ValueError: boom"} if status != "ok" else {})})
        return {"notebooks": entries, "failed": [e["notebook"] for e in entries if e["status"] != "ok"]}
    return run


def test_build_records_every_model_a_notebook_saved(tmp_path, monkeypatch):
    from prodimg_lib.course import runner

    made = {"09_super_resolution.ipynb": ["sr_x2", "sr_x4", "sr_x2_photo", "sr_x4_photo"]}
    monkeypatch.setattr(runner, "run_course", _fake_run(made))
    target = tmp_path / "set"
    manifest = pretrained_cli.build("cpu", ["09"], target=target, log=lambda line: None)
    assert sorted(manifest["models"]) == ["sr_x2", "sr_x2_photo", "sr_x4", "sr_x4_photo"]
    record = manifest["models"]["sr_x4"]
    assert record["sha256"] == sha256_of(target / "sr_x4.keras") and record["notebook"] == "09_super_resolution.ipynb"
    assert record["profile"] == "cpu" and record["backend"] == keras.backend.backend()
    assert record["metrics"] == {"psnr": 30.1} and record["notebook_seconds"] == 12.5
    assert set(record) >= {"file", "bytes", "keras", "device", "date", "commit"}
    assert json.loads((target / "manifest.json").read_text()) == manifest
    assert pretrained_cli.check(target) == []
    # a failed notebook changes nothing of what was there, and the command says so
    monkeypatch.setattr(runner, "run_course", _fake_run(made, failed={"09_super_resolution.ipynb"}))
    with pytest.raises(RuntimeError, match="failed: 09_super_resolution"):
        pretrained_cli.build("cpu", ["09"], target=target, log=lambda line: None)
    assert json.loads((target / "manifest.json").read_text()) == manifest


def test_build_refuses_smoke_and_notebooks_that_save_nothing(tmp_path):
    with pytest.raises(ValueError, match="smoke profile trains for seconds"):
        pretrained_cli.build("smoke", target=tmp_path)
    with pytest.raises(ValueError, match="07_evaluating_generators.ipynb saves no model"):
        pretrained_cli.build("cpu", ["07"], target=tmp_path)
    with pytest.raises(FileNotFoundError, match="no course notebook '42'.*00_welcome"):
        pretrained_cli.build("cpu", ["42"], target=tmp_path)


def test_the_shipped_set_is_intact_and_small():
    """Every file the library ships matches its checksum and loads with safe mode on; the set stays small."""
    manifest = pretrained.read_manifest(pretrained.SHIPPED_DIR)
    assert set(manifest["models"]) == set(artifacts.MODEL_SOURCES), "every model a notebook saves ships"
    assert pretrained_cli.check(pretrained.SHIPPED_DIR) == []
    assert sum(r["bytes"] for r in manifest["models"].values()) <= 25e6
    for record in manifest["models"].values():
        assert record["profile"] in ("cpu", "gpu") and record["metrics"], record


def test_course_names_notebooks_by_number_name_or_path(capsys):
    from prodimg_lib.course.notebooks import find_notebook, notebook_dir

    expected = notebook_dir() / "09_super_resolution.ipynb"
    for spec in (9, "09", "09_super_resolution", "09_super_resolution.ipynb", str(expected)):
        assert find_notebook(spec).resolve() == expected
    assert cli.main(["course", "--profile", "smoke", "--out", "unused", "99"]) == 2
    err = capsys.readouterr().err
    assert "no course notebook '99'" in err and "12_product_pipeline" in err and len(err.strip().splitlines()) == 1


def test_the_benchmark_measures_the_shipped_files_again(tmp_path, monkeypatch, sample):
    """``python -m benchmarks pretrained``: the manifest's number beside the one measured now, and their difference."""
    from benchmarks.bench_pretrained import agree, format_pretrained_table, measure_pretrained
    from prodimg_lib.evaluation.classifier import build_classifier

    folder = tmp_path / "set"
    folder.mkdir()
    keras.utils.set_random_seed(0)
    build_classifier(width=4).save(folder / "classifier.keras")
    record = {"file": "classifier.keras", "sha256": sha256_of(folder / "classifier.keras"), "profile": "cpu",
              "metrics": {"test_accuracy": 0.5}}
    (folder / "manifest.json").write_text(json.dumps({"format": 1, "models": {"classifier": record}}))
    monkeypatch.setenv(pretrained.ENV_PRETRAINED, str(folder))
    (row,) = measure_pretrained(sample, log=lambda line: None)
    assert row["model"] == "classifier" and row["metric"] == "test_accuracy" and 0 <= row["measured"] <= 1
    assert row["difference"] == pytest.approx(row["measured"] - 0.5) and not agree([row])  # an untrained model
    record["metrics"]["test_accuracy"] = round(row["measured"], 4)  # what a notebook would have recorded
    (folder / "manifest.json").write_text(json.dumps({"format": 1, "models": {"classifier": record}}))
    (row,) = measure_pretrained(sample, log=lambda line: None)
    assert agree([row]) and "| classifier | test_accuracy |" in format_pretrained_table([row])
    (folder / "classifier.keras").write_bytes(b"changed")
    with pytest.raises(artifacts.CorruptModelError, match="does not match its manifest"):
        measure_pretrained(sample, log=lambda line: None)


def test_the_shipped_manifest_names_no_machine_folders(tmp_path):
    text = (pretrained.SHIPPED_DIR / "manifest.json").read_text()
    # an absolute path: a slash-rooted one with two or more parts, or a drive letter
    absolute = re.findall(r"(?:^|[\s,(\"])((?:/[\w.-]+){2,}|[A-Za-z]:\\\\)", text)
    assert not absolute, f"the shipped manifest names folders of the machine that built it: {absolute}"
    work = tmp_path / "run"
    metrics = {"classifier": f"classifier: your model, {work}/models/classifier.keras (saved 2026-12-07 13:22)", "fcd": 12.5}
    assert pretrained_cli._without_machine_paths(metrics, work) == {
        "classifier": "classifier: your model, build/models/classifier.keras (saved 2026-12-07 13:22)", "fcd": 12.5}
