"""The GAN benchmark (benchmarks.bench_gan) end to end on the committed sample, with tiny models."""

import json
import math

import keras
import numpy as np
import pytest

from benchmarks import __main__ as benchmarks_main
from benchmarks import bench_gan
from benchmarks import reference_dcgan
from prodimg_lib import data
from prodimg_lib.course.artifacts import load_or_train_classifier
from prodimg_lib.evaluation.judge import DISTANCE_LABEL, features_and_labels
from prodimg_lib.evaluation.classifier import build_classifier, train_classifier

ON_TENSORFLOW = keras.backend.backend() == "tensorflow"
needs_tensorflow = pytest.mark.skipif(not ON_TENSORFLOW, reason="the TensorFlow tutorial's DCGAN runs on the tensorflow backend only")
MODELS = [bench_gan.LIBRARY, bench_gan.TUTORIAL] if ON_TENSORFLOW else [bench_gan.LIBRARY]

BUDGET = 3.0


@pytest.fixture(scope="module")
def sample():
    s = data.load_sample()
    return s, data.to_minus_one_one(s.x_train)[..., None], data.to_minus_one_one(s.x_test)[..., None]


@pytest.fixture(scope="module")
def tiny_classifier(sample):
    s, x_train, _ = sample
    model = build_classifier(width=4, features=16)
    train_classifier(model, x_train, s.y_train, epochs=1, batch_size=100, verbose=0)
    return model


@pytest.fixture(scope="module")
def results(sample, tiny_classifier, tmp_path_factory):
    s, x_train, x_test = sample
    out = tmp_path_factory.mktemp("bench")
    return bench_gan.run_gan_benchmark(
        x_train, x_test, tiny_classifier, BUDGET, n_eval=64, out_dir=out, grid_size=16,
        library=dict(width=4, batch_size=32, latent_dim=8),
        tutorial=dict(width=4, batch_size=64, noise_dim=10),
        data_name="committed sample", classifier_source="tiny test classifier", y_test=s.y_test, log=lambda *a: None,
    )


def _finite_numbers(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _finite_numbers(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _finite_numbers(v)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def test_result_structure(results):
    assert results["distance_label"] == DISTANCE_LABEL
    assert "not comparable with InceptionV3 FID" in results["distance_label"]
    assert set(results["models"]) == set(MODELS)
    assert results["eval_samples"] == 64 and results["floor"]["images"] == 64
    assert results["data"] == {"name": "committed sample", "train_images": 1000, "test_images": 200}
    keys = {"fcd", "kid_mean", "kid_std", "precision", "recall", "class_histogram", "normalised_entropy",
            "kl_from_uniform", "classes_present", "largest_fraction"}
    for entry in [results["floor"], *results["models"].values()]:
        m = entry["metrics"]
        assert set(m) == keys
        assert m["fcd"] >= 0 and 0 <= m["precision"] <= 1 and 0 <= m["recall"] <= 1
        assert sum(m["class_histogram"]) == 64 and len(m["class_histogram"]) == 10
    for name in MODELS:
        t = results["models"][name]["training"]
        full = t["steps"] * results["models"][name]["settings"]["batch_size"]
        assert t["steps"] >= 1 and (t["images"] == full if name == bench_gan.LIBRARY else 0 < t["images"] <= full)
        assert t["images_per_second"] > 0
        assert set(t["losses"]) == {"d_loss", "g_loss"}
    if ON_TENSORFLOW:
        assert results["models"][bench_gan.TUTORIAL]["settings"]["latent_dim"] == 10
    else:
        assert "tensorflow backend only" in results["tutorial_left_out"]
    assert 0 <= results["classifier"]["test_accuracy"] <= 1


def test_numbers_are_finite(results):
    numbers = list(_finite_numbers({k: v for k, v in results.items() if k != "machine"}))
    assert numbers and all(math.isfinite(v) for v in numbers)
    assert math.isfinite(results["fcd_ratio_tutorial_over_library"]) if ON_TENSORFLOW else "fcd_ratio_tutorial_over_library" not in results


@pytest.mark.parametrize("name", MODELS)
def test_trainers_respect_the_budget(results, name):
    t = results["models"][name]["training"]
    # the step that ended past the budget was the last one, and the one before it (if any: on JAX
    # the first step's compilation alone can outlast the budget) ended within it
    assert t["previous_ended_seconds"] < BUDGET <= t["ended_seconds"] <= t["seconds"], t
    assert (t["previous_ended_seconds"] > 0) == (t["steps"] > 1), t


def test_files_written(results):
    saved = json.loads(open(results["results_json"], encoding="utf-8").read())
    assert saved["distance_label"] == DISTANCE_LABEL
    assert set(saved["models"]) == set(MODELS)
    from PIL import Image

    for name in MODELS:
        with Image.open(results["models"][name]["sample_grid"]) as grid:
            assert grid.size[0] > 28 and grid.mode == "L"


def test_table(results):
    table = bench_gan.format_table(results)
    for text in (DISTANCE_LABEL, "library DCGAN", "TF tutorial DCGAN", "floor", "images / second", "FCD", "KID"):
        if text == "TF tutorial DCGAN" and not ON_TENSORFLOW:
            text = "TF tutorial DCGAN left out"
        assert text in table


def test_features_and_labels_match_the_metrics_module(sample, tiny_classifier):
    from prodimg_lib.evaluation import feature_space

    _, _, x_test = sample
    features, labels = features_and_labels(tiny_classifier, x_test[:50])
    np.testing.assert_allclose(features, feature_space.compute_features(tiny_classifier, x_test[:50]), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(labels, feature_space.predict_labels(tiny_classifier, x_test[:50]))


@needs_tensorflow
def test_tutorial_models_have_the_tutorials_sizes():
    g, d = reference_dcgan.build_generator(), reference_dcgan.build_discriminator()
    assert g.count_params() == 2_330_944 and d.count_params() == 212_865  # the tutorial's model summaries
    assert g.output_shape == (None, 28, 28, 1) and d.output_shape == (None, 1)
    assert g.layers[-1].activation.__name__ == "tanh"


@needs_tensorflow
def test_tutorial_loop_stops_and_keeps_last_small_batch(sample):
    _, x_train, _ = sample
    model = reference_dcgan.TutorialDCGAN(noise_dim=4, width=2, batch_size=300, seed=0)
    result = reference_dcgan.train_for(model, reference_dcgan.make_dataset(x_train, 300), 60.0, max_steps=4)
    assert result.steps == 4 and result.images == 300 * 3 + 100  # the 100-image last batch of the epoch
    assert all(math.isfinite(v) for v in result.losses.values())
    with pytest.raises(ValueError, match="one batch"):
        reference_dcgan.make_dataset(x_train[:10], 300)


@pytest.mark.skipif(ON_TENSORFLOW, reason="checks the message given on the other backends")
def test_the_tutorial_says_it_needs_tensorflow():
    with pytest.raises(RuntimeError, match="tensorflow backend only"):
        reference_dcgan.TutorialDCGAN(noise_dim=4, width=2, batch_size=8)


def test_budget_must_be_positive(sample):
    _, x_train, _ = sample
    with pytest.raises(ValueError, match="budget_seconds"):
        bench_gan.train_library_dcgan(x_train, 0, width=2)


def test_classifier_missing_path_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_or_train_classifier(tmp_path / "nope.keras")


def test_classifier_trained_when_none_is_saved(sample, tmp_path, monkeypatch):
    monkeypatch.setenv("PRODIMG_BUILD_DIR", str(tmp_path / "build"))
    s, _, _ = sample
    lines = []
    model, description = load_or_train_classifier(
        None, s, out_dir=tmp_path / "out", log=lines.append, width=2, epochs=1, batch_size=200
    )
    assert "trained now" in description and lines == [f"Classifier: {description}"]
    assert (tmp_path / "out" / "classifier.keras").is_file()
    assert model.predict(np.zeros((2, 28, 28, 1), np.float32), verbose=0).shape == (2, 10)
    with pytest.raises(ValueError, match="no data"):
        load_or_train_classifier(None, None)


def test_command_line_rejects_a_bad_budget(capsys):
    with pytest.raises(SystemExit):
        benchmarks_main.main(["gan", "--budget-seconds", "0"])
    assert "positive" in capsys.readouterr().err


def test_the_generators_benchmark_judges_the_notebook_recipe_both_ways_and_the_plain_model(sample, tiny_classifier, tmp_path):
    from benchmarks import bench_generators

    s, x_train, x_test = sample
    results = bench_generators.run_generators_benchmark(
        x_train, s.y_train, x_test, s.y_test, tiny_classifier, 2.0, models=("cdcgan", "cdcgan-plain"),
        n_eval=40, width=4, batch_size=32, out_dir=tmp_path,
    )
    rows = {row["model"]: row for row in results["rows"]}
    assert list(rows) == ["cdcgan", "cdcgan, raw weights", "cdcgan-plain"]
    assert rows["cdcgan"]["train_steps"] == rows["cdcgan, raw weights"]["train_steps"] >= 1  # one run, judged twice
    assert "class head (weight 1), EMA 0.99" in rows["cdcgan"]["settings"] and "projection only" in rows["cdcgan-plain"]["settings"]
    # Keras starts the average at the first step's weights; from the second step on, the averaged and the
    # raw weights are different generators (on JAX the first step's compilation can use up the budget)
    if rows["cdcgan"]["train_steps"] == 1:
        assert rows["cdcgan"]["fcd"] == rows["cdcgan, raw weights"]["fcd"]
    else:
        assert rows["cdcgan"]["fcd"] != rows["cdcgan, raw weights"]["fcd"]
    for row in rows.values():
        assert all(math.isfinite(row[k]) for k in ("fcd", "kid", "precision", "recall", "agreement")), row
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "cdcgan-plain-steps1-guidanceNone.png", "cdcgan-raw_weights-steps1-guidanceNone.png", "cdcgan-steps1-guidanceNone.png"]
    table = bench_generators.format_generators_table(results)
    assert "| cdcgan, raw weights |" in table
    with pytest.raises(ValueError, match="recipe must be"):
        bench_generators.train_cdcgan(x_train, s.y_train, 1.0, width=4, batch_size=32, recipe="fancy")
