"""The library on the three Keras backends: nothing imported that the backend does not need, and
training on several devices with Keras's distribution API (JAX)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = [b for b in ("tensorflow", "jax", "torch") if importlib.util.find_spec(b) is not None]


def _python(code: str, **env) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT,
                            env={**os.environ, **env})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_importing_the_library_imports_no_backend(backend):
    loaded = _python("import json, sys; import prodimg_lib; "
                     "print(json.dumps([m for m in ('tensorflow', 'keras', 'jax', 'torch') if m in sys.modules]))",
                     KERAS_BACKEND=backend)
    assert json.loads(loaded) == []


def test_the_generation_modules_import_only_the_chosen_backend():
    """Under JAX or PyTorch, the GAN, its steps, data and checkpoints import no TensorFlow."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        pytest.skip("TensorFlow is the backend of this run")
    code = ("import sys; from prodimg_lib.generation import callbacks, checkpoint, dataset, gan, monitor, sampling, steps; "
            "from prodimg_lib import experiments; from prodimg_lib.enhancement import fit; from prodimg_lib.evaluation import judge; "
            "print('tensorflow' in sys.modules)")
    assert _python(code, KERAS_BACKEND=backend) == "False"


DATA_PARALLEL = """
import numpy as np, keras, jax
from prodimg_lib.generation import dcgan, gan
from prodimg_lib.generation.dataset import make_dataset

def run(distribution):
    keras.distribution.set_distribution(distribution)
    keras.utils.set_random_seed(0)
    model = gan.GAN(dcgan.build_generator(8, 4), dcgan.build_discriminator(4, dropout=0.0), latent_dim=8, seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    images = np.random.default_rng(0).uniform(-1, 1, (128, 28, 28, 1)).astype("float32")
    history = model.fit(make_dataset(images, 32, shuffle=False), epochs=2, verbose=0).history
    devices = len(model.generator.weights[0].value.sharding.device_set)
    return history, model.generator.get_weights(), devices

one, w_one, _ = run(None)
two, w_two, devices = run(keras.distribution.DataParallel(devices=jax.devices()))
import json
print(json.dumps({"devices": len(jax.devices()), "weights_on": devices,
      "history_difference": max(abs(a - b) for k in one for a, b in zip(one[k], two[k])),
      "weight_difference": float(max(np.abs(a - b).max() for a, b in zip(w_one, w_two)))}))
"""


def test_data_parallel_on_two_devices_trains_like_one():
    """keras.distribution.DataParallel: each device gets half of every batch, the weights are replicated.

    Two CPU devices stand in for two GPUs (XLA's host-platform device count); the step is the
    same code, and the result equals the one-device run up to float rounding.
    """
    if keras.backend.backend() != "jax":
        pytest.skip("the distribution API trains GANs on the JAX backend")
    out = json.loads(_python(DATA_PARALLEL, KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2"))
    assert out["devices"] == 2 and out["weights_on"] == 2
    assert out["history_difference"] < 1e-5 and out["weight_difference"] < 1e-5
