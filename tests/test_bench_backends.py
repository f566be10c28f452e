"""The backends speed benchmark (benchmarks.bench_backends, its worker and benchmarks.flops): the FLOP counter against hand counts, and a
tiny end-to-end run on the current backend only (no GPU, no other backend needed)."""

import json
import math

import keras
import pytest
from keras import layers

from benchmarks import __main__ as benchmarks_main
from benchmarks import flops


def _tiny_model():
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same", name="conv")(inputs)  # 8*8 outputs x 4 filters x 3*3*3 = 6912
    x = layers.ReLU()(x)  # not counted
    x = layers.Conv2DTranspose(2, 2, strides=2, name="up")(x)  # 8*8 inputs x 4 channels x 2*2 x 2 filters = 2048
    x = layers.Conv2D(6, 1, strides=2, groups=2, name="grouped")(x)  # 8*8 x 6 x 1*1 x (2/2) = 384
    x = layers.Flatten()(x)  # 8*8*6 = 384 features
    outputs = layers.Dense(5, name="dense")(x)  # 384 x 5 = 1920
    return keras.Model(inputs, outputs)


def test_forward_macs_by_hand():
    macs = flops.forward_macs(_tiny_model())
    assert macs == {"conv": 6912, "up": 2048, "grouped": 384, "dense": 1920}
    assert flops.forward_flops(_tiny_model()) == 2 * (6912 + 2048 + 384 + 1920)


def test_forward_macs_any_size_model_needs_a_shape():
    inputs = keras.Input((None, None, 1))
    x = layers.Conv2D(3, 3, padding="same", name="c")(inputs)
    model = keras.Model(inputs, layers.Dense(2, name="d")(x))  # Dense on (N, H, W, 3): H*W*3*2
    with pytest.raises(ValueError, match="input_shape"):
        flops.forward_macs(model)
    assert flops.forward_macs(model, (5, 7, 1)) == {"c": 5 * 7 * 3 * 9, "d": 5 * 7 * 3 * 2}


def test_dcgan_and_step_conventions():
    from prodimg_lib.generation import dcgan

    w, z = 4, 8
    g, d = flops.forward_macs(dcgan.build_generator(z, w)), flops.forward_macs(dcgan.build_discriminator(w))
    assert g == {"project": z * 7 * 7 * 4 * w, "up1": 7 * 7 * 4 * w * 16 * 2 * w, "up2": 14 * 14 * 2 * w * 16 * w,
                 "to_image": 28 * 28 * 9 * w}
    assert d == {"down1": 14 * 14 * w * 16, "down2": 7 * 7 * 2 * w * 16 * w, "down3": 4 * 4 * 4 * w * 16 * 2 * w,
                 "logit": 4 * 4 * 4 * w}
    assert flops.gan_step_flops(10, 1) == 9 * 1 + 4 * 10
    assert flops.tutorial_step_flops(10, 1) == 3 * 10 + 8 * 1
    assert flops.training_flops(7) == 21


def test_nominal_peak_and_matmul():
    peak = flops.nominal_peak()
    assert peak["cores"] >= 1 and peak["flops_per_cycle"] in (8, 16, 32, 64)
    assert peak["gflops"] is None or peak["gflops"] > 0
    rate = flops.matmul_rate(lambda: None, n=64, repeats=2)
    assert rate["gflops_best"] > 0 and rate["n"] == 64


def test_tiny_run_on_the_current_backend(tmp_path):
    """``python -m benchmarks backends`` for this backend, smoke sizes, 2 timed steps, float32, the backend's default jit."""
    backend = keras.backend.backend()
    out = tmp_path / "out"
    rc = benchmarks_main.main(["backends", "--backends", backend, "--steps", "2", "--warmup", "1",
                               "--profile", "smoke", "--precisions", "float32", "--jit", "default", "--matmul-size", "256",
                               "--out", str(out)])
    assert rc == 0
    results = json.loads((out / "results.json").read_text())
    assert results["sizes"]["profile"] == "smoke"
    assert results["peak_gflops"]["limit_used"] > 0
    rows = {r["model"]: r for r in results["rows"]}
    expected = {"dcgan", "edsr"} | ({"reference"} if backend == "tensorflow" else set())
    assert set(rows) == expected, results["rows"]
    assert all(r["backend"] == backend and r["precision"] == "float32" for r in rows.values())
    edsr = rows["edsr"]
    assert "error" not in edsr, edsr.get("error")
    assert edsr["timed_steps"] == 2 and edsr["images_per_second"] > 0
    assert edsr["flops_per_image"] == 3 * edsr["forward_flops"]["edsr"]
    assert 0 < edsr["fraction_of_measured_peak"] < 2 and math.isfinite(edsr["gflops_per_second"])
    assert "| model | backend |" in results["table"] and "EDSR" in results["table"]
    if backend == "tensorflow":
        assert "error" not in rows["reference"], rows["reference"].get("error")
    gan = rows["dcgan"]
    assert "error" not in gan, gan.get("error")
    assert gan["timed_steps"] == 2 and gan["images_per_second"] > 0
    f = gan["forward_flops"]
    assert gan["flops_per_image"] == 9 * f["discriminator"] + 4 * f["generator"]
