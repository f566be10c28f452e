"""The GAN model: losses, train_step, data pipeline, divergence, sample grids, checkpoints and resume."""

import json
import shutil

import keras
import numpy as np
import pytest
from keras import ops
from PIL import Image

from prodimg_lib import data
from prodimg_lib import viz
from prodimg_lib.course.exercises import conditional_dcgan as conditional_dcgan_exercises
from prodimg_lib.course.exercises import dcgan as dcgan_exercises
from prodimg_lib.generation import checkpoint
from prodimg_lib.generation import gan
from prodimg_lib.generation import sampling
from prodimg_lib.generation.callbacks import DivergenceGuard, SampleGrid, TrainingDiverged, make_gif
from prodimg_lib.generation.dataset import make_dataset
from prodimg_lib.generation.losses import LOSS_KINDS, class_loss_from_logits, d_loss_from_logits, g_loss_from_logits
from prodimg_lib.reference import losses
from prodimg_lib.generation import dcgan

LATENT = 8
WIDTH = 4


@pytest.fixture(scope="module")
def sample():
    """256 images (N, 28, 28, 1) in [-1, 1] from the committed sample, with their labels."""
    fm = data.load_sample()
    return data.to_minus_one_one(fm.x_train[:256])[..., None], fm.y_train[:256].astype(np.int32)


def _adam():
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


def make_gan(seed=0, conditional=False, width=WIDTH, dropout=0.3, compile=True, class_head=False, **compile_kwargs):
    keras.utils.set_random_seed(seed)
    if conditional:
        g = dcgan.build_conditional_generator(LATENT, 10, width)
        d = dcgan.build_conditional_discriminator(10, width, dropout=dropout, class_head=class_head)
    else:
        g = dcgan.build_generator(LATENT, width)
        d = dcgan.build_discriminator(width, dropout=dropout)
    model = gan.GAN(g, d, latent_dim=LATENT, conditional=conditional, seed=seed)
    if compile:
        compile_kwargs.setdefault("d_optimizer", _adam())
        compile_kwargs.setdefault("g_optimizer", _adam())
        model.compile(**compile_kwargs)
    return model


def _numpy(x):
    return ops.convert_to_numpy(x)


# --------------------------------------------------------------------------- losses


def test_loss_functions_agree_with_the_numpy_references():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(0, 3, (16, 1)), rng.normal(0, 3, (16, 1))
    real[0], fake[0] = 60.0, -60.0  # far in the tails: stable from logits
    assert float(d_loss_from_logits(real, fake)) == pytest.approx(losses.discriminator_loss(real, fake, from_logits=True), rel=1e-5)
    for kind in LOSS_KINDS:
        assert float(g_loss_from_logits(fake, kind)) == pytest.approx(
            losses.generator_loss(fake, kind, from_logits=True), rel=1e-5, abs=1e-6
        )
    with pytest.raises(ValueError, match="loss must be one of"):
        g_loss_from_logits(fake, "wasserstein")


def test_class_loss_is_the_mean_cross_entropy_of_the_requested_classes():
    rng = np.random.default_rng(1)
    logits, labels = rng.normal(0, 4, (32, 10)), rng.integers(0, 10, 32)
    logits[0, labels[0]] = 80.0  # a confident right answer: ~0, without overflow
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected = -np.mean(log_softmax[np.arange(32), labels])
    assert float(class_loss_from_logits(labels, logits)) == pytest.approx(expected, rel=1e-5)
    assert float(class_loss_from_logits(labels, np.zeros((32, 10)))) == pytest.approx(np.log(10), rel=1e-6)


def test_one_sided_label_smoothing_changes_only_the_real_term():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(2, 1, (32, 1)), rng.normal(-2, 1, (32, 1))
    smoothed = float(d_loss_from_logits(real, fake, label_smoothing=0.1))
    expected = losses.binary_crossentropy_from_logits(np.full_like(real, 0.9), real) + losses.binary_crossentropy_from_logits(
        np.zeros_like(fake), fake
    )
    assert smoothed == pytest.approx(expected, rel=1e-5)
    # one-sided: the increase does not depend on the fake logits at all
    other_fake = rng.normal(0, 1, (32, 1))
    delta = smoothed - float(d_loss_from_logits(real, fake))
    delta_other = float(d_loss_from_logits(real, other_fake, 0.1)) - float(d_loss_from_logits(real, other_fake))
    assert delta == pytest.approx(delta_other, abs=1e-6) and delta > 0  # confident real logits now cost more


@pytest.mark.parametrize("loss, smoothing", [("non_saturating", 0.0), ("minimax", 0.0), ("non_saturating", 0.2)])
def test_train_step_computes_the_documented_losses(sample, loss, smoothing):
    """One step with learning rate 0: the logged losses equal the loss functions applied by hand.

    Real images are labelled 1 and fakes 0, and the generator's loss goes through D(G(z)).
    """
    images = sample[0][:32]
    model = make_gan(
        seed=3, dropout=0.0, d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(0.0),
        loss=loss, label_smoothing=smoothing,
    )
    logs = model.fit(make_dataset(images, 32, shuffle=False), epochs=1, verbose=0).history

    seeds = keras.random.SeedGenerator(3)  # replays the GAN's noise: the same seed, the same draws
    z1 = keras.random.normal((32, LATENT), seed=seeds)
    z2 = keras.random.normal((32, LATENT), seed=seeds)
    real_logits = model.discriminator(images, training=True)
    fake_logits = model.discriminator(model.generator(z1, training=True), training=True)
    g_logits = model.discriminator(model.generator(z2, training=True), training=True)
    real_np, fake_np = _numpy(real_logits), _numpy(fake_logits)
    expected_d = losses.binary_crossentropy_from_logits(np.full_like(real_np, 1 - smoothing), real_np) + (
        losses.binary_crossentropy_from_logits(np.zeros_like(fake_np), fake_np)
    )
    assert logs["d_loss"][0] == pytest.approx(expected_d, rel=1e-4)
    assert logs["g_loss"][0] == pytest.approx(losses.generator_loss(_numpy(g_logits), loss, from_logits=True), rel=1e-4)
    assert logs["d_real"][0] == pytest.approx(float(np.mean(losses.sigmoid(real_np))), rel=1e-4)
    assert logs["d_fake"][0] == pytest.approx(float(np.mean(losses.sigmoid(fake_np))), rel=1e-4)


# --------------------------------------------------------------------------- set-up errors


def test_compile_and_construction_errors_are_clear():
    g, d = dcgan.build_generator(LATENT, WIDTH), dcgan.build_discriminator(WIDTH)
    with pytest.raises(ValueError, match="latent_dim is 16 but the generator takes noise of length 8"):
        gan.GAN(g, d, latent_dim=16)
    with pytest.raises(ValueError, match="conditional=True needs the conditional models"):
        gan.GAN(g, d, latent_dim=LATENT, conditional=True)
    with pytest.raises(dcgan.IncompatibleModelsError):
        gan.GAN(g, dcgan.build_discriminator(WIDTH, image_shape=(32, 32, 1)), latent_dim=LATENT)
    model = gan.GAN(g, d, latent_dim=LATENT)
    with pytest.raises(RuntimeError, match="compile the GAN first"):
        model.fit(np.zeros((4, 28, 28, 1), np.float32))
    opt = _adam()
    with pytest.raises(ValueError, match="two different optimizer objects"):
        model.compile(opt, opt)
    with pytest.raises(ValueError, match="loss must be one of"):
        model.compile(_adam(), _adam(), loss="hinge")
    with pytest.raises(ValueError, match="label_smoothing"):
        model.compile(_adam(), _adam(), label_smoothing=0.7)
    with pytest.raises(ValueError, match=r"needs a discriminator with a class head: build_conditional_discriminator\(\.\.\., class_head=True\)"):
        model.compile(_adam(), _adam(), class_weight=1.0)
    headed = make_gan(conditional=True, class_head=True, compile=False)
    for bad in (-1.0, float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match="class_weight must be a finite number >= 0"):
            headed.compile(_adam(), _adam(), class_weight=bad)
    headed.compile(_adam(), _adam())
    assert headed.class_weight == 1.0 and [m.name for m in headed.metrics][-2:] == ["d_class", "g_class"]


def test_gan_is_registered_and_its_config_round_trips():
    model = make_gan(compile=False, conditional=True)
    assert keras.saving.get_registered_name(gan.GAN) == "prodimg_lib>GAN"
    clone = gan.GAN.from_config(model.get_config())
    assert clone.conditional and clone.num_classes == 10 and clone.latent_dim == LATENT
    assert clone.generator.output_shape == (None, 28, 28, 1)


# --------------------------------------------------------------------------- data


def test_make_dataset_batches(sample):
    images, labels = sample
    ds = make_dataset(images, 100)
    batches = list(ds)
    assert len(batches) == 2 and all(tuple(b.shape) == (100, 28, 28, 1) for b in batches)  # remainder dropped
    x, y = next(iter(make_dataset(images, 64, labels=labels, shuffle=False)))
    np.testing.assert_array_equal(_numpy(x), images[:64])
    np.testing.assert_array_equal(_numpy(y), labels[:64])


def test_make_dataset_reshuffles_every_epoch_from_its_seed(sample):
    images = sample[0][:200]
    ds = make_dataset(images, 50, seed=4)
    epoch_of = lambda d: np.concatenate([d[i] for i in range(len(d))])  # noqa: E731
    first = epoch_of(ds)
    assert len(np.unique(first.reshape(len(first), -1), axis=0)) == 200  # every image once per epoch
    ds.on_epoch_end()  # what fit does after each epoch
    second = epoch_of(ds)
    assert not np.array_equal(first, second)
    again = make_dataset(images, 50, seed=4)
    np.testing.assert_array_equal(epoch_of(again), first)  # the same seed, the same order
    again.set_epoch(1)  # what train() does when a run resumes after epoch 1
    np.testing.assert_array_equal(epoch_of(again), second)
    assert not np.array_equal(epoch_of(make_dataset(images, 50, seed=5)), first)


def test_too_little_data_for_one_batch_is_an_error(sample):
    with pytest.raises(ValueError, match="too little data for one batch: 10 images but batch_size=32"):
        make_dataset(sample[0][:10], 32)


@pytest.mark.parametrize(
    "transform, message",
    [
        (lambda x: data.from_minus_one_one(x), "uint8 pixels.*to_minus_one_one"),
        (lambda x: (x + 1) / 2, r"looks like \[0, 1\] scaling"),
        (lambda x: (x + 1) * 127.5, r"must lie in \[-1, 1\].*to_minus_one_one"),
        (lambda x: x[..., 0], r"without the channel axis; use images\[..., None\]"),
        (lambda x: x[:, :14], r"must have shape \(N, 28, 28, 1\)"),
    ],
)
def test_badly_prepared_images_get_errors_that_say_the_fix(sample, transform, message):
    with pytest.raises((TypeError, ValueError), match=message):
        make_dataset(transform(sample[0]), 32)


def test_bad_labels_are_errors(sample):
    images, labels = sample
    with pytest.raises(ValueError, match="one per image"):
        make_dataset(images, 32, labels=labels[:10])
    with pytest.raises(ValueError, match="non-negative integers"):
        make_dataset(images, 32, labels=labels.astype(np.float32))


# --------------------------------------------------------------------------- training


def test_short_fit_changes_the_weights_and_logs_finite_metrics(sample):
    model = make_gan(seed=1)
    before_g = [w.copy() for w in model.generator.get_weights()]
    before_d = [w.copy() for w in model.discriminator.get_weights()]
    history = model.fit(make_dataset(sample[0], 64), epochs=2, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    for name, values in history.items():
        assert len(values) == 2 and np.all(np.isfinite(values)), name
    assert all(0.0 <= v <= 1.0 for v in history["d_real"] + history["d_fake"])
    assert any(not np.array_equal(a, b) for a, b in zip(before_g, model.generator.get_weights()))
    assert any(not np.array_equal(a, b) for a, b in zip(before_d, model.discriminator.get_weights()))


def test_conditional_gan_needs_labels_in_the_data(sample):
    model = make_gan(conditional=True)
    with pytest.raises(ValueError, match=r"conditional GAN trains on \(images, labels\) batches"):
        model.fit(make_dataset(sample[0], 64), epochs=1, verbose=0)


def test_nan_stops_training_with_a_clear_error():
    model = make_gan()
    poisoned = np.full((64, 28, 28, 1), np.nan, np.float32)  # bypasses make_dataset's checks
    with pytest.raises(TrainingDiverged, match=r"diverged in epoch 1, batch 1: d_loss is nan.*learning rate") as info:
        model.fit(poisoned, batch_size=32, epochs=3, verbose=0)
    assert (info.value.epoch, info.value.batch, info.value.loss_name) == (1, 1, "d_loss")


def test_divergence_guard_names_the_loss_and_epoch():
    guard = DivergenceGuard()
    guard.on_epoch_begin(4)
    guard.on_train_batch_end(0, {"d_loss": 0.7, "d_real": float("nan")})  # only losses are checked
    with pytest.raises(TrainingDiverged, match="epoch 5, batch 2: g_loss is inf"):
        guard.on_train_batch_end(1, {"d_loss": 0.7, "g_loss": float("inf")})


class _NoBatches(keras.utils.PyDataset):
    def __len__(self):
        return 0

    def __getitem__(self, index):
        raise IndexError(index)


def test_a_data_set_without_any_batch_is_an_error():
    with pytest.raises(ValueError, match="gives no batch"):
        make_gan().fit(_NoBatches(), epochs=1, verbose=0)


def test_an_epoch_without_any_batch_is_an_error():
    tf = pytest.importorskip("tensorflow")  # a tf.data pipeline that yields nothing, past GAN.fit's check
    model = make_gan()
    empty = tf.data.Dataset.from_tensor_slices(np.zeros((10, 28, 28, 1), np.float32)).batch(32, drop_remainder=True)
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="ran no training step"):
        model.fit(empty, epochs=1, verbose=0)


# --------------------------------------------------------------------------- monitoring


def test_sample_grid_and_gif(tmp_path):
    grid = viz.grid_image(np.zeros((6, 28, 28, 1), np.float32), ncols=3, pad=2, scale=2)
    assert grid.shape == (2 * (2 * 30 + 2), 2 * (3 * 30 + 2)) and grid.dtype == np.uint8
    assert set(np.unique(grid)) == {128}  # 0 in [-1, 1] is mid-grey, as is the padding
    model = make_gan(compile=False)
    cb = SampleGrid(tmp_path / "s", sampling.fixed_noise(6, LATENT), ncols=3, every=2)
    cb.set_model(model)
    for epoch in range(4):
        cb.on_epoch_end(epoch)
    assert [p.name for p in cb.paths] == ["samples-epoch-0002.png", "samples-epoch-0004.png"]
    with Image.open(cb.paths[0]) as png:
        assert png.mode == "L" and png.size == (2 * (3 * 30 + 2), 2 * (2 * 30 + 2))
    gif = make_gif(tmp_path / "s", tmp_path / "out" / "samples.gif")
    with Image.open(gif) as animation:
        assert animation.n_frames == 2
    with pytest.raises(FileNotFoundError, match="no samples-epoch"):
        make_gif(tmp_path / "empty", tmp_path / "x.gif")
    np.testing.assert_array_equal(sampling.fixed_noise(4, 3, seed=5), sampling.fixed_noise(4, 3, seed=5))


# --------------------------------------------------------------------------- checkpoints


def _optimizer_arrays(model):
    return [v.numpy() for v in model.d_optimizer.variables + model.g_optimizer.variables]


def test_checkpoint_crash_and_exact_resume(sample, tmp_path):
    ds = make_dataset(sample[0], 64, shuffle=False)  # a fixed batch order makes the resumed run comparable
    ckpt = tmp_path / "ckpt"

    reference = make_gan(seed=2)  # three epochs without interruption
    reference.fit(ds, epochs=3, verbose=0)

    first = make_gan(seed=2)
    grid = SampleGrid(tmp_path / "samples", sampling.fixed_noise(4, LATENT))
    first.fit(ds, epochs=2, verbose=0, callbacks=[checkpoint.GANCheckpoint(ckpt, keep=2), grid])
    assert [p.name for p in checkpoint.list_checkpoints(ckpt)] == ["epoch-0001", "epoch-0002"]
    saved = checkpoint.latest_checkpoint(ckpt)
    assert sorted(f.name for f in saved.iterdir()) == [
        "d_optimizer.npz", "discriminator.keras", "g_optimizer.npz", "generator.keras", "rng.npz", "state.json",
    ]
    state = json.loads((saved / "state.json").read_text())
    assert state["epoch"] == 2 and state["history"]["epoch"] == [1, 2] and len(state["history"]["g_loss"]) == 2

    # the crash: a write of epoch 3 that never finished, and a folder without state.json
    stale = ckpt / ".tmp-epoch-0003-abc123"
    stale.mkdir()
    (stale / "generator.keras").write_bytes(b"half a file")
    (ckpt / "epoch-0004").mkdir()
    assert checkpoint.latest_checkpoint(ckpt) == saved

    resumed = make_gan(seed=99)  # a fresh GAN with other weights and another noise seed
    with pytest.warns(UserWarning, match="epoch-0004 skipped and moved to .*damaged.*incomplete"):
        assert checkpoint.restore(resumed, ckpt) == 2
    assert (ckpt / "damaged" / "epoch-0004").is_dir()  # moved aside, not deleted
    for a, b in zip(first.generator.get_weights() + first.discriminator.get_weights(),
                    resumed.generator.get_weights() + resumed.discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_optimizer_arrays(first), _optimizer_arrays(resumed)):
        np.testing.assert_array_equal(a, b)

    resumed.fit(ds, epochs=3, initial_epoch=2, verbose=0, callbacks=[checkpoint.GANCheckpoint(ckpt, keep=2), grid])
    # weights, optimizer state and noise stream were restored: the same result as never stopping
    for a, b in zip(reference.generator.get_weights(), resumed.generator.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert [p.name for p in checkpoint.list_checkpoints(ckpt)] == ["epoch-0002", "epoch-0003"]  # keep=2
    assert not list(ckpt.glob(".tmp-*"))  # the stale temporary folder was cleaned up
    history = checkpoint.load_state(checkpoint.latest_checkpoint(ckpt))["history"]
    assert history["epoch"] == [1, 2, 3] and history["d_loss"][:2] == state["history"]["d_loss"]
    assert [p.name for p in grid.paths] == [f"samples-epoch-000{i}.png" for i in (1, 2, 3)]
    loaded = keras.models.load_model(checkpoint.latest_checkpoint(ckpt) / "generator.keras")
    np.testing.assert_array_equal(loaded.get_weights()[0], resumed.generator.get_weights()[0])


def test_class_head_and_generator_ema_resume_exactly_and_the_ema_is_what_remains(sample, tmp_path):
    """The recipe of notebook 06: an auxiliary class head, and Keras's EMA of the generator's weights."""
    ds = make_dataset(sample[0], 64, labels=sample[1], shuffle=False)
    ckpt = tmp_path / "ckpt"

    def headed_gan(seed):
        g_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5, use_ema=True, ema_momentum=0.9)
        return make_gan(seed=seed, conditional=True, class_head=True, g_optimizer=g_optimizer, class_weight=2.0)

    reference = headed_gan(3)
    history = reference.fit(ds, epochs=3, verbose=0).history
    assert {"d_class", "g_class"} <= set(history) and all(np.isfinite(history["d_class"] + history["g_class"]))

    first = headed_gan(3)
    first.fit(ds, epochs=2, verbose=0, callbacks=[checkpoint.GANCheckpoint(ckpt, keep=1)])
    resumed = headed_gan(77)
    assert checkpoint.restore(resumed, ckpt) == 2
    resumed.fit(ds, epochs=3, initial_epoch=2, verbose=0)
    for a, b in zip(reference.generator.get_weights(), resumed.generator.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

    # fit ends by writing the moving averages into the generator (Keras's finalize_variable_values);
    # the checkpoints keep the raw weights, and the averages beside them in the optimizer's state
    averages = [v.numpy() for v in resumed.g_optimizer.variables if v.path.endswith("_average")]
    assert len(averages) == len(resumed.generator.trainable_weights)
    for weight, average in zip(resumed.generator.trainable_weights, averages):
        np.testing.assert_array_equal(weight.numpy(), average)
    raw = keras.models.load_model(checkpoint.latest_checkpoint(ckpt) / "generator.keras")  # epoch 2, raw
    first_raw = [w.numpy() for w in first.generator.trainable_weights]  # after fit: epoch 2's averages
    assert not all(np.array_equal(a, r.numpy()) for a, r in zip(first_raw, raw.trainable_weights))

    # gan.train on a finished run trains nothing, and leaves the same averaged generator as the run itself
    run = tmp_path / "run"
    trained = headed_gan(5)
    gan.train(trained, ds, epochs=1, out_dir=run, n_samples=10, gif=False, verbose=0)
    again = headed_gan(6)
    gan.train(again, ds, epochs=1, out_dir=run, n_samples=10, gif=False, verbose=0)
    for a, b in zip(trained.generator.get_weights(), again.generator.get_weights()):
        np.testing.assert_array_equal(a, b)


KILLED_RUN = """
import os, signal, sys
import keras
from prodimg_lib import data, files
from prodimg_lib.generation import dcgan, gan
from prodimg_lib.generation.dataset import make_dataset

fsync = files._fsync_file
def fsync_or_die(path):  # the process dies while epoch 3's checkpoint is being written
    if ".tmp-epoch-0003" in str(path):
        os.kill(os.getpid(), signal.SIGKILL)
    fsync(path)
files._fsync_file = fsync_or_die

keras.utils.set_random_seed(2)
model = gan.GAN(dcgan.build_generator({latent}, {width}), dcgan.build_discriminator({width}, dropout=0.3),
                latent_dim={latent}, seed=2)
model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
images = data.to_minus_one_one(data.load_sample().x_train[:256])[..., None]
gan.train(model, make_dataset(images, 64, shuffle=False), 3, sys.argv[1], n_samples=4, gif=False, verbose=0)
"""


def test_a_run_killed_while_writing_a_checkpoint_resumes_from_the_last_complete_one(sample, tmp_path):
    """SIGKILL in the middle of epoch 3's checkpoint; the same call again trains epoch 3 only, as if never stopped."""
    import subprocess
    import sys

    run = tmp_path / "run"
    script = KILLED_RUN.format(latent=LATENT, width=WIDTH)
    killed = subprocess.run([sys.executable, "-c", script, str(run)], capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-2000:]
    ckpt = run / "checkpoints"
    assert [p.name for p in checkpoint.list_checkpoints(ckpt)] == ["epoch-0001", "epoch-0002"]
    assert len(list(ckpt.glob(".tmp-epoch-0003-*"))) == 1  # the half-written checkpoint the kill left
    before = checkpoint.load_state(ckpt / "epoch-0002")["history"]

    ds = make_dataset(sample[0], 64, shuffle=False)
    reference = make_gan(seed=2)
    reference.fit(ds, epochs=3, verbose=0)
    resumed = make_gan(seed=99)  # other weights: everything must come from the checkpoint
    epochs_run = []
    history = gan.train(resumed, ds, 3, run, n_samples=4, gif=False, verbose=0,
                        callbacks=[keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: epochs_run.append(e))])
    assert epochs_run == [2]  # only the third epoch was trained again
    assert history["epoch"] == [1, 2, 3] and history["g_loss"][:2] == before["g_loss"]
    assert not list(ckpt.glob(".tmp-*"))
    for a, b in zip(reference.generator.get_weights(), resumed.generator.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


CHECKPOINT_FILES = ["generator.keras", "discriminator.keras", "d_optimizer.npz", "g_optimizer.npz", "rng.npz",
                    "state.json"]


@pytest.mark.parametrize("keep_first, expected", [(False, ["epoch-0003"]), (True, ["epoch-0001", "epoch-0003"])])
def test_keep_first_keeps_the_first_epoch_beside_the_newest(sample, tmp_path, keep_first, expected):
    ckpt = tmp_path / "ckpt"
    make_gan(seed=3).fit(make_dataset(sample[0][:128], 64, shuffle=False), epochs=3, verbose=0,
                         callbacks=[checkpoint.GANCheckpoint(ckpt, keep=1, keep_first=keep_first)])
    assert [p.name for p in checkpoint.list_checkpoints(ckpt)] == expected


@pytest.fixture(scope="module")
def two_checkpoints(sample, tmp_path_factory):
    """A run stopped after two epochs: epoch-0001 and epoch-0002, and the GAN as it was after each."""
    ckpt = tmp_path_factory.mktemp("two") / "ckpt"
    gan_ = make_gan(seed=2)
    gan_.fit(make_dataset(sample[0], 64, shuffle=False), epochs=2, verbose=0,
             callbacks=[checkpoint.GANCheckpoint(ckpt, keep=2)])
    return ckpt


@pytest.mark.parametrize("damage", ["truncated", "emptied", "removed"])
@pytest.mark.parametrize("name", CHECKPOINT_FILES)
def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one(two_checkpoints, tmp_path, name, damage):
    ckpt = tmp_path / "ckpt"
    shutil.copytree(two_checkpoints, ckpt)
    target = ckpt / "epoch-0002" / name
    raw = target.read_bytes()
    if damage == "truncated":
        target.write_bytes(raw[: len(raw) // 2])
    elif damage == "emptied":
        target.write_bytes(b"")
    else:
        target.unlink()
    expected = make_gan(seed=7)
    checkpoint.restore(expected, ckpt, checkpoint=ckpt / "epoch-0001")
    resumed = make_gan(seed=99)
    with pytest.warns(UserWarning, match=rf"epoch-0002 skipped and moved to .*damaged.*({name}|no state.json)"):
        assert checkpoint.restore(resumed, ckpt) == 1
    for a, b in zip(expected.generator.get_weights() + expected.discriminator.get_weights(),
                    resumed.generator.get_weights() + resumed.discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert [p.name for p in checkpoint.list_checkpoints(ckpt)] == ["epoch-0001"]
    assert (ckpt / "damaged" / "epoch-0002").is_dir()  # kept, not deleted
    with pytest.raises(checkpoint.DamagedCheckpointError, match=r"epoch-0002/.*cannot be read|no such file"):
        checkpoint.restore(make_gan(), ckpt, checkpoint=ckpt / "damaged" / "epoch-0002")


def test_every_checkpoint_damaged_is_one_clear_error(two_checkpoints, tmp_path):
    ckpt = tmp_path / "ckpt"
    shutil.copytree(two_checkpoints, ckpt)
    for folder in checkpoint.list_checkpoints(ckpt):
        (folder / "rng.npz").write_bytes(b"")
    with pytest.raises(checkpoint.DamagedCheckpointError, match="no intact checkpoint.*epoch-0002/rng.npz.*epoch-0001/rng.npz"):
        checkpoint.restore(make_gan(), ckpt)
    assert len(checkpoint.list_checkpoints(ckpt)) == 2  # nothing moved when nothing could be restored


def test_a_later_incomplete_epoch_folder_is_refused_before_training(sample, tmp_path):
    (tmp_path / "epoch-0001").mkdir()  # e.g. copied without its state.json
    seen = []
    stop = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    with pytest.raises(checkpoint.CheckpointError, match="already holds epoch-0001 \\(incomplete: no state.json\\)"):
        make_gan().fit(make_dataset(sample[0], 64), epochs=1, verbose=0,
                       callbacks=[checkpoint.GANCheckpoint(tmp_path), stop])
    assert seen == []  # refused before the first batch, not after an epoch of training


def test_checkpoints_of_another_run_are_not_overwritten(sample, tmp_path):
    model = make_gan()
    checkpoint.save_checkpoint(model, tmp_path, epoch=2)
    with pytest.raises(checkpoint.CheckpointError, match="already holds epoch-0002.*restore"):
        make_gan().fit(make_dataset(sample[0], 64), epochs=1, verbose=0, callbacks=[checkpoint.GANCheckpoint(tmp_path)])


def test_restore_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no complete checkpoint"):
        checkpoint.restore(make_gan(), tmp_path)
    assert checkpoint.restore(make_gan(), tmp_path, missing_ok=True) == 0
    checkpoint.save_checkpoint(make_gan(), tmp_path, epoch=1)
    with pytest.raises(checkpoint.CheckpointError, match="does not fit this GAN.*width"):
        checkpoint.restore(make_gan(width=WIDTH * 2), tmp_path)
    with pytest.raises(checkpoint.CheckpointError, match="compile the GAN"):
        checkpoint.restore(make_gan(compile=False), tmp_path)


def test_train_helper_resumes_a_conditional_run(sample, tmp_path):
    images, labels = sample
    ds = make_dataset(images, 64, labels=labels)
    history = gan.train(make_gan(seed=4, conditional=True), ds, epochs=1, out_dir=tmp_path, n_samples=20, verbose=0)
    assert history["epoch"] == [1]
    history = gan.train(make_gan(seed=5, conditional=True), ds, epochs=2, out_dir=tmp_path, n_samples=20, verbose=0)
    assert history["epoch"] == [1, 2] and np.all(np.isfinite(history["g_loss"]))
    assert (tmp_path / "samples.gif").is_file()
    with Image.open(tmp_path / "samples" / "samples-epoch-0002.png") as png:  # 10 classes x 2 samples
        assert png.size == (2 * (2 * 30 + 2), 2 * (10 * 30 + 2))


def test_interpolation_ends_at_both_vectors_and_slerp_keeps_the_norm():
    rng = np.random.default_rng(0)
    z0, z1 = rng.normal(size=64), rng.normal(size=64)
    for method in ("linear", "slerp"):
        path = sampling.interpolate(z0, z1, 7, method)
        assert path.shape == (7, 64) and path.dtype == np.float32
        np.testing.assert_allclose(path[0], z0, rtol=1e-5)
        np.testing.assert_allclose(path[-1], z1, rtol=1e-5)
    norms = np.linalg.norm(sampling.interpolate(z0, z1, 5, "slerp"), axis=1)
    linear_mid = np.linalg.norm(sampling.interpolate(z0, z1, 5, "linear")[2])
    assert norms.min() > 0.9 * min(norms[0], norms[-1]) > linear_mid
    with pytest.raises(ValueError, match="steps"):
        sampling.interpolate(z0, z1, 1)
    with pytest.raises(ValueError, match="same length"):
        sampling.interpolate(z0, z1[:3], 4)


def test_class_agreement_and_the_exercise_checkers():
    assert sampling.class_agreement([1, 2, 3, 4], [1, 2, 0, 4]) == 0.75
    with pytest.raises(ValueError):
        sampling.class_agreement([1, 2], [1])
    assert conditional_dcgan_exercises.check_class_agreement(sampling.class_agreement)
    assert not conditional_dcgan_exercises.check_class_agreement(lambda a, b: int((np.asarray(a) == np.asarray(b)).sum()))
    assert conditional_dcgan_exercises.check_interpolation(lambda a, b, n: sampling.interpolate(a, b, n, "linear"))
    assert not conditional_dcgan_exercises.check_interpolation(lambda a, b, n: np.stack([(1 - t) * a + t * b for t in np.arange(n) / n]))

    def stable(real, fake, smoothing):
        softplus = lambda x: np.logaddexp(0, x)  # noqa: E731
        return np.mean((1 - smoothing) * softplus(-real) + smoothing * softplus(real)) + np.mean(softplus(fake))

    assert dcgan_exercises.check_smoothed_d_loss(stable)
    missing = dcgan_exercises.check_smoothed_d_loss(lambda r, f, s: stable(r, f, 0.0))
    assert not missing and "1 - smoothing" in missing.message
    assert not dcgan_exercises.check_smoothed_d_loss(...)


def test_generate_by_class_name_and_clear_errors():
    conditional = dcgan.build_conditional_generator(8, 10, 4)
    images = sampling.generate(conditional, 3, "sneakers", seed=1)
    assert images.shape == (3, 28, 28, 1) and images.dtype == np.float32 and np.abs(images).max() <= 1
    np.testing.assert_allclose(images, sampling.generate(conditional, 3, 7, seed=1), atol=1e-6)
    assert sampling.generate(conditional, 2, ["bag", "coat"]).shape == (2, 28, 28, 1)
    with pytest.raises(ValueError, match="conditional"):
        sampling.generate(conditional, 2)
    with pytest.raises(ValueError, match="unknown product class"):
        sampling.generate(conditional, 2, "hat")
    plain = dcgan.build_generator(8, 4)
    assert sampling.generate(plain, 2).shape == (2, 28, 28, 1)
    with pytest.raises(ValueError, match="unconditional"):
        sampling.generate(plain, 2, "bag")
    with pytest.raises(ValueError, match="count"):
        sampling.generate(plain, 0)
    assert conditional_dcgan_exercises.check_grid_labels(lambda c, p: np.repeat(np.arange(c), p))
    assert not conditional_dcgan_exercises.check_grid_labels(lambda c, p: np.tile(np.arange(c), p))


def test_truncated_noise_stays_inside_the_threshold_and_generate_uses_it():
    noise = sampling.truncated_noise(500, 16, 0.5, seed=3)
    assert noise.shape == (500, 16) and noise.dtype == np.float32 and np.abs(noise).max() <= 0.5
    np.testing.assert_array_equal(noise, sampling.truncated_noise(500, 16, 0.5, seed=3))
    with pytest.raises(ValueError, match="positive"):
        sampling.truncated_noise(2, 4, 0)
    generator = dcgan.build_generator(8, 4)
    assert not np.allclose(sampling.generate(generator, 4, truncation=0.3), sampling.generate(generator, 4))


@pytest.mark.parametrize("loss", ["non_saturating", "minimax"])
def test_generator_gradient_norm_is_the_analytic_one_for_a_linear_game(loss):
    # G(z) = z @ w (one "pixel"), D(x) = x: the logit is z @ w. Non-saturating: mean softplus(-l),
    # d/dw = mean(-sigmoid(-l) z); minimax: -mean softplus(l), d/dw = mean(-sigmoid(l) z).
    from prodimg_lib.generation.diagnostics import generator_gradient_norm

    w = np.array([[0.5], [-1.0]], dtype="float32")
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    generator.set_weights([w])
    discriminator = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
    z = np.random.default_rng(0).normal(size=(32, 2)).astype("float32")
    logits = (z @ w)[:, 0]
    weight = 1 / (1 + np.exp(logits)) if loss == "non_saturating" else 1 / (1 + np.exp(-logits))
    expected = np.linalg.norm(np.mean(-weight[:, None] * z, axis=0))
    assert generator_gradient_norm(generator, discriminator, z, loss) == pytest.approx(expected, rel=1e-4)


def test_generator_gradient_norm_refuses_an_unknown_loss():
    from prodimg_lib.generation.diagnostics import generator_gradient_norm

    with pytest.raises(ValueError, match="loss must be one of"):
        generator_gradient_norm(None, None, np.zeros((1, 2), "float32"), "wasserstein")
