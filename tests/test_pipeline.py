import csv
import json

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest
from PIL import Image

from prodimg_lib.course.exercises import product_pipeline as exercises
from prodimg_lib.enhancement import pipeline


def test_stage_timer_adds_up_stages():
    timer = pipeline.StageTimer()
    with timer("a"):
        pass
    with timer("b"):
        pass
    with timer("a"):
        pass
    assert list(timer.seconds) == ["a", "b"] and timer.total >= 0


def test_white_background_whitens_black_and_keeps_the_product():
    x = np.array([-1.0, -0.85, -0.5, 0.3, 1.0], np.float32).reshape(1, 1, 5, 1)
    out = pipeline.white_background(x)[0, 0, :, 0]
    np.testing.assert_allclose(out, [1.0, 1.0, -0.5, 0.3, 1.0], atol=1e-6)
    with pytest.raises(ValueError):
        pipeline.white_background(np.full((1, 2, 2, 1), 3.0, np.float32))


def test_quality_gate_gives_reasons():
    probabilities = np.array([[0.05, 0.95], [0.6, 0.4], [0.3, 0.7], [0.01, 0.99]])
    results = pipeline.quality_gate(probabilities, [1, 1, 1, 1], [2.0, 2.0, 2.0, 0.5], min_confidence=0.8)
    assert [r["accepted"] for r in results] == [True, False, False, False]
    assert "looks like a 0" in results[1]["reasons"][0]
    assert "unsure" in results[2]["reasons"][0] and "unrealistic" in results[3]["reasons"][0]
    with pytest.raises(ValueError, match="must agree"):
        pipeline.quality_gate(probabilities, [1, 1], [1.0, 1.0])


def test_exports_images_sheet_manifest(tmp_path):
    images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32)
    paths = pipeline.save_images(images, ["a", "b", "c"], tmp_path / "img")
    assert [p.name for p in paths] == ["a.png", "b.png", "c.png"] and Image.open(paths[0]).size == (28, 28)
    sheet = pipeline.save_catalogue_sheet(images, ["x", "y", "z"], tmp_path / "sheet.png", ncols=2)
    assert Image.open(sheet).size[0] > 100
    rows = [{"file": "a.png", "class": "Bag", "confidence": 0.9, "reasons": []},
            {"file": "b.png", "class": "Bag", "confidence": 0.4, "reasons": ["unsure", "unrealistic"]}]
    csv_path, json_path = pipeline.write_manifest(rows, tmp_path)
    assert list(csv.DictReader(csv_path.open()))[1]["reasons"] == "unsure; unrealistic"
    assert json.loads(json_path.read_text()) == rows
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img", "manifest.csv", "manifest.json", "sheet.png"], \
        "no temporary file left behind"


def test_exercise_checkers_reject_typical_mistakes():
    assert not exercises.check_white_background(lambda x, t, s: np.where(x <= t, 1.0, x))
    assert not exercises.check_gate_one(lambda p, r, realism, mc, mr: p[r] >= mc)
    wrong = exercises.check_acceptance_by_class(lambda r, a, n: np.bincount(r[a], minlength=n).astype(float))
    assert not wrong and "counts" in wrong.message
    assert not exercises.check_white_background(...)


def test_background_mask_keeps_dark_areas_inside_the_product():
    x = np.full((1, 7, 7, 1), -1.0, np.float32)
    x[0, 1:6, 1:6] = 0.5          # a bright product
    x[0, 3, 3] = -1.0             # with a dark hole inside
    mask = pipeline.background_mask(x)
    assert mask[0, 0, 0, 0] and not mask[0, 3, 3, 0] and not mask[0, 2, 2, 0]
    out = pipeline.white_background(x, mask=mask)
    assert out[0, 0, 0, 0] == 1.0 and out[0, 3, 3, 0] == -1.0 and out[0, 2, 2, 0] == 0.5
