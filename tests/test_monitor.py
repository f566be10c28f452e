import matplotlib

matplotlib.use("Agg")
import keras
import numpy as np
import pytest

from prodimg_lib.generation import gan
from prodimg_lib.generation import monitor
from prodimg_lib.generation import sampling
from prodimg_lib.generation.dataset import make_dataset
from prodimg_lib.generation import dcgan


def test_instant_values_invert_running_means():
    values = np.array([3.0, -1.0, 4.0, 1.5, 9.0])
    running = np.cumsum(values) / np.arange(1, 6)
    np.testing.assert_allclose(monitor.instant_values(running), values)
    with pytest.raises(ValueError, match="one-dimensional"):
        monitor.instant_values(np.zeros((2, 2)))


def _tiny_gan():
    model = gan.GAN(dcgan.build_generator(8, 4), dcgan.build_discriminator(4), latent_dim=8, seed=0)
    model.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
    return model


def test_batch_history_records_each_batch_of_every_epoch():
    images = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    model, record = _tiny_gan(), monitor.BatchHistory()
    model.fit(make_dataset(images, 16), epochs=2, callbacks=[record], verbose=0)
    assert record.epoch_starts == [0, 4]
    assert all(len(v) == 8 for v in record.values.values())
    # the mean of an epoch's batch values is the epoch mean Keras reports
    running_last = model.history.history["d_loss"][-1]
    assert np.mean(record.values["d_loss"][4:]) == pytest.approx(running_last, rel=1e-4)


def test_live_progress_records_outside_a_notebook_and_figures_draw():
    images = np.random.default_rng(1).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
    model, live = _tiny_gan(), monitor.LiveProgress(sampling.fixed_noise(8, 8), ncols=4)
    model.fit(make_dataset(images, 16), epochs=1, callbacks=[live], verbose=0)
    assert len(live.values["g_loss"]) == 2
    fig = live._figure(1)
    assert len(fig.axes) == 3
    axes = monitor.plot_gan_curves(live.values)
    assert axes[0].get_xlabel() == "training step (batch)"


def test_layer_table_and_architecture_drawing():
    generator = dcgan.build_generator(16, 4)
    rows = monitor.layer_table(generator)
    assert rows[0] == ("noise", "InputLayer", (16,), 0)
    assert rows[-1][2] == (28, 28, 1)
    assert sum(r[3] for r in rows) == generator.count_params()
    ax = monitor.draw_architecture(generator)
    assert ax.get_title() == "generator"
