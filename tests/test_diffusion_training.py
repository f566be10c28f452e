"""Training a denoiser with fit: compile checks, checkpoints, exact resume, the EMA, damage and divergence.

A run of three short epochs (8x8 images, width 8, three batches of four) is trained once for the
module; the other runs are compared with it weight for weight.
"""

import shutil

import keras
import numpy as np
import pytest

from prodimg_lib.generation import checkpoint, diffusion_training as training
from prodimg_lib.generation.callbacks import TrainingDiverged
from prodimg_lib.generation.diffusion import NoisyBatches
from prodimg_lib.generation.unet import build_unet

SHAPE = (8, 8, 1)
CLASSES = 3
WIDTH = 8
EPOCHS = 3


def _data():
    rng = np.random.default_rng(0)
    return rng.uniform(-0.9, 0.9, (16, *SHAPE)).astype(np.float32), (np.arange(16) % CLASSES).astype(np.int32)


def make_batches(seed=1, batches_per_epoch=3):
    images, labels = _data()
    return NoisyBatches(images, labels, 4, "flow", num_classes=CLASSES, image_shape=SHAPE,
                        batches_per_epoch=batches_per_epoch, seed=seed)


def make_network(width=WIDTH, compile=True, **compile_kwargs):
    keras.utils.set_random_seed(0)
    network = build_unet(SHAPE, width=width, num_classes=CLASSES)
    if compile:
        compile_kwargs.setdefault("ema_momentum", 0.9)
        training.compile_denoiser(network, **compile_kwargs)
    return network


def _weights(network):
    return [keras.ops.convert_to_numpy(w) for w in network.weights]


def _saved(folder, compile=False):
    return keras.models.load_model(folder / training.NETWORK_FILE, compile=compile, safe_mode=True)


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """Three epochs in one run (keep=2): the run folder, the history and the final weights."""
    out = tmp_path_factory.mktemp("straight")
    network = make_network()
    history = training.train_denoiser(network, make_batches(), EPOCHS, out, keep=2, verbose=0)
    return {"out": out, "ckpt": out / "checkpoints", "history": history, "weights": _weights(network)}


# --------------------------------------------------------------------------- compile


def test_compile_denoiser_sets_adam_with_the_ema_and_mse():
    network = make_network(learning_rate=2e-3, ema_momentum=0.95)
    optimizer = network.optimizer
    assert isinstance(optimizer, keras.optimizers.Adam) and optimizer.use_ema and optimizer.ema_momentum == 0.95
    assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(2e-3)
    assert network.loss == "mse"
    assert not make_network(ema_momentum=None).optimizer.use_ema


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": 0}, "learning_rate must be a positive number"),
    ({"learning_rate": -1e-3}, "learning_rate must be a positive number"),
    ({"learning_rate": "1e-3"}, "learning_rate must be a positive number"),
    ({"learning_rate": None}, "learning_rate must be a positive number"),
    ({"ema_momentum": 0.0}, r"ema_momentum must be a number in \(0, 1\) or None"),
    ({"ema_momentum": 1.0}, r"ema_momentum must be a number in \(0, 1\) or None"),
    ({"ema_momentum": 1}, r"ema_momentum must be a number in \(0, 1\) or None"),
    ({"ema_momentum": "0.99"}, r"ema_momentum must be a number in \(0, 1\) or None"),
])
def test_bad_compile_arguments_are_clear_errors(kwargs, message):
    network = make_network(compile=False)
    with pytest.raises(ValueError, match=message):
        training.compile_denoiser(network, **kwargs)


# --------------------------------------------------------------------------- checkpoints and resume


def _untimed(history):
    return {k: v for k, v in history.items() if k != "seconds"}


def test_training_writes_the_newest_checkpoints_with_the_history(straight):
    assert [p.name for p in checkpoint.list_checkpoints(straight["ckpt"])] == ["epoch-0002", "epoch-0003"]
    history = straight["history"]
    assert history["epoch"] == [1, 2, 3] and len(history["loss"]) == 3 and np.all(np.isfinite(history["loss"]))
    assert len(history["seconds"]) == 3 and all(s > 0 for s in history["seconds"])  # each epoch's training time
    assert checkpoint.load_state(straight["ckpt"] / "epoch-0003")["history"] == history
    assert not list(straight["ckpt"].glob(".*"))  # no temporary folder left behind


def test_two_epochs_then_a_fresh_model_and_one_more_is_the_straight_run(straight, tmp_path, capsys):
    first = training.train_denoiser(make_network(), make_batches(), 2, tmp_path, verbose=0)
    assert first["epoch"] == [1, 2]
    resumed_network = make_network()  # a new process: a fresh model and fresh batches, restored from epoch 2
    history = training.train_denoiser(resumed_network, make_batches(), EPOCHS, tmp_path, verbose=0)
    assert "Resuming from checkpoint epoch-0002 (epoch 2 of 3)" in capsys.readouterr().out
    assert history["seconds"][:2] == first["seconds"]  # merged across the resume (timings differ between runs)
    assert _untimed(history) == _untimed(straight["history"])  # the very same losses
    _assert_same(_weights(resumed_network), straight["weights"])  # to the last bit, EMA included
    _assert_same(_saved(tmp_path / "checkpoints" / "epoch-0003").get_weights(),
                 _saved(straight["ckpt"] / "epoch-0003").get_weights())


def test_after_fit_the_weights_are_the_ema_and_the_checkpoint_holds_the_raw_ones(straight):
    last = straight["ckpt"] / "epoch-0003"
    raw = _saved(last).get_weights()
    final = straight["weights"]
    assert all(not np.array_equal(r, f) for r, f in zip(raw, final) if r.size > 1)
    optimizer = _saved(last, compile=True).optimizer  # the averages travel in the checkpoint's optimizer
    averages = [keras.ops.convert_to_numpy(v) for v in optimizer.variables if v.path.endswith("_average")]
    _assert_same(averages, final)


def test_without_ema_the_weights_after_fit_are_the_last_checkpoints_and_a_divergence_stops_the_run(tmp_path):
    network = make_network(ema_momentum=None)
    training.train_denoiser(network, make_batches(), 1, tmp_path, verbose=0)
    ckpt = tmp_path / "checkpoints"
    _assert_same(_weights(network), _saved(ckpt / "epoch-0001").get_weights())
    # the same network (no second compilation of the step, which costs seconds), now with a learning
    # rate that throws the last layer to +-1e30 in one step: resumed from epoch 1, epoch 2 diverges
    network.optimizer.learning_rate = 1e30
    with pytest.raises(TrainingDiverged, match=r"diverged in epoch 2, batch [23]: loss is (nan|inf)") as info:
        training.train_denoiser(network, make_batches(), EPOCHS, tmp_path, verbose=0)
    assert info.value.epoch == 2
    assert [p.name for p in checkpoint.list_checkpoints(ckpt)] == ["epoch-0001"]  # no checkpoint of a diverged epoch


def test_a_finished_run_has_nothing_to_do_but_still_applies_the_ema(straight, capsys):
    network = make_network()
    history = training.train_denoiser(network, make_batches(), EPOCHS, straight["out"], verbose=0)
    assert "Already trained for 3 epochs (asked for 3): nothing to do" in capsys.readouterr().out
    assert history == straight["history"]
    _assert_same(_weights(network), straight["weights"])
    assert [p.name for p in checkpoint.list_checkpoints(straight["ckpt"])] == ["epoch-0002", "epoch-0003"]


def test_a_damaged_newest_checkpoint_is_moved_aside_and_the_previous_one_continues(straight, tmp_path):
    ckpt = tmp_path / "checkpoints"
    shutil.copytree(straight["ckpt"], ckpt)
    target = ckpt / "epoch-0003" / training.NETWORK_FILE
    target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    network = make_network()
    moved = r"epoch-0003 skipped and moved to .*damaged.*epoch-0003/network.keras cannot be read"
    with pytest.warns(UserWarning, match=moved):
        assert training.restore_denoiser(network, ckpt) == 2
    assert (ckpt / "damaged" / "epoch-0003" / training.NETWORK_FILE).is_file()  # kept, not deleted
    assert [p.name for p in checkpoint.list_checkpoints(ckpt)] == ["epoch-0002"]  # so that epoch 3 can be written again
    _assert_same(_weights(network), _saved(ckpt / "epoch-0002").get_weights())
    with pytest.raises(checkpoint.DamagedCheckpointError, match="no intact checkpoint.*epoch-0002/network.keras"):
        (ckpt / "epoch-0002" / training.NETWORK_FILE).write_bytes(b"")
        training.restore_denoiser(make_network(), ckpt)


def test_restore_brings_back_the_optimizer_state_but_not_the_learning_rate(straight):
    network = make_network(learning_rate=1e-5)  # e.g. a lower one, to resume after a divergence
    assert training.restore_denoiser(network, straight["ckpt"]) == 3
    optimizer = network.optimizer
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == 3 * 3  # epochs x batches
    assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(1e-5)
    saved = _saved(straight["ckpt"] / "epoch-0003", compile=True).optimizer
    for mine, theirs in zip(optimizer.variables, saved.variables):
        if not mine.path.endswith("learning_rate"):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(mine), keras.ops.convert_to_numpy(theirs))


def test_restore_errors(straight, tmp_path):
    with pytest.raises(FileNotFoundError, match="no complete checkpoint"):
        training.restore_denoiser(make_network(), tmp_path)
    assert training.restore_denoiser(make_network(), tmp_path / "missing", missing_ok=True) == 0
    with pytest.raises(checkpoint.CheckpointError, match="does not fit this one.*same builder and width"):
        training.restore_denoiser(make_network(width=WIDTH * 2), straight["ckpt"])
    assert [p.name for p in checkpoint.list_checkpoints(straight["ckpt"])] == ["epoch-0002", "epoch-0003"]
    with pytest.raises(checkpoint.CheckpointError, match=r"compile the network \(compile_denoiser\) before restoring"):
        training.restore_denoiser(make_network(compile=False), straight["ckpt"])
    with pytest.raises(checkpoint.CheckpointError, match=r"compile the network \(compile_denoiser\) before saving"):
        training.save_denoiser_checkpoint(make_network(compile=False), tmp_path, 1)
    network = make_network()
    assert training.restore_denoiser(network, straight["ckpt"]) == 3
    _assert_same(_weights(network), _saved(straight["ckpt"] / "epoch-0003").get_weights())  # the raw weights
    with pytest.raises(checkpoint.CheckpointError, match="epoch-0003 already exists"):
        training.save_denoiser_checkpoint(network, straight["ckpt"], 3)


def test_a_new_run_into_a_folder_of_another_is_refused(straight, tmp_path):
    shutil.copytree(straight["ckpt"], tmp_path / "checkpoints")
    with pytest.raises(checkpoint.CheckpointError, match="already holds epoch-0003.*restore"):
        training.train_denoiser(make_network(), make_batches(), EPOCHS, tmp_path, resume=False, verbose=0)
