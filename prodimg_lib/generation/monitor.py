"""Watching a GAN train: per-batch loss curves, live figures, and the architecture drawn.

Keras logs, after each batch, the *running mean* of every metric since the start of the
epoch: ``m_k = (x_1 + ... + x_k) / k``. That hides the batch-to-batch behaviour a GAN
lesson needs (a discriminator that suddenly wins, a loss that oscillates).
:class:`BatchHistory` recovers each batch's own value exactly,

    x_k = k * m_k - (k - 1) * m_(k-1),

and :class:`LiveProgress` redraws the curves and the current samples in the notebook
after every epoch (one figure updated in place; nothing is shown outside a notebook).
:func:`draw_architecture` draws a model's layers as boxes labelled with their output
shapes.
"""

from __future__ import annotations

import numpy as np

import keras
from keras import ops

__all__ = ["instant_values", "BatchHistory", "plot_gan_curves", "LiveProgress", "layer_table", "draw_architecture"]

GAN_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


def instant_values(running_means) -> np.ndarray:
    """Per-batch values from the running means ``m_1, ..., m_K`` that Keras logs within an epoch.

    Args:
        running_means: 1-D sequence, ``m_k`` the mean of the first k batch values.

    Returns:
        float64 array of the K batch values ``x_k = k m_k - (k - 1) m_(k-1)``.
    """
    m = np.asarray(running_means, dtype=np.float64)
    if m.ndim != 1:
        raise ValueError(f"running_means must be one-dimensional, got shape {m.shape}")
    k = np.arange(1, len(m) + 1)
    previous = np.concatenate([[0.0], m[:-1]])
    return k * m - (k - 1) * previous


class BatchHistory(keras.callbacks.Callback):
    """Record each batch's own ``d_loss``, ``g_loss``, ``d_real`` and ``d_fake`` during ``fit``.

    Attributes:
        values: name -> list of per-batch values over the whole run (all epochs).
        epoch_starts: index in ``values`` where each epoch began.
    """

    def __init__(self, keys=GAN_KEYS):
        super().__init__()
        self.keys = tuple(keys)
        self.values = {k: [] for k in self.keys}
        self.epoch_starts: list[int] = []
        self._means = {k: [] for k in self.keys}

    def on_epoch_begin(self, epoch, logs=None):
        self._flush()
        self.epoch_starts.append(len(self.values[self.keys[0]]))

    def on_train_batch_end(self, batch, logs=None):
        for k in self.keys:
            if logs and k in logs:
                self._means[k].append(float(ops.convert_to_numpy(logs[k])))

    def _flush(self):
        for k in self.keys:
            if self._means[k]:
                self.values[k] += instant_values(self._means[k]).tolist()
                self._means[k] = []

    def on_epoch_end(self, epoch, logs=None):
        self._flush()

    def on_train_end(self, logs=None):
        self._flush()


def _smooth(values, window: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def plot_gan_curves(values: dict, axes=None, *, window: int = 25, title_suffix: str = ""):
    """Plot losses and discriminator outputs per batch (moving average over ``window`` batches).

    Args:
        values: name -> per-batch values (:attr:`BatchHistory.values`).
        axes: two matplotlib axes, or None for a new (10, 3.5) figure.
        window: moving-average window in batches.
        title_suffix: added to both titles (e.g. the run's name).

    Returns:
        The two axes.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    n = len(values.get("d_loss", []))
    w = max(1, min(window, n // 4 or 1))
    x = np.arange(w, n + 1) if n >= w and w > 1 else np.arange(1, n + 1)
    for key, colour, label in [("d_loss", "tab:red", "discriminator loss"), ("g_loss", "tab:blue", "generator loss")]:
        axes[0].plot(x, _smooth(values.get(key, []), w), color=colour, label=label)
    axes[0].set_xlabel("training step (batch)")
    axes[0].set_ylabel("loss")
    axes[0].set_title(f"Losses{title_suffix}")
    axes[0].legend(fontsize=8)
    for key, colour, label in [("d_real", "tab:green", "D(x), real images"), ("d_fake", "tab:orange", "D(G(z)), generated")]:
        axes[1].plot(x, _smooth(values.get(key, []), w), color=colour, label=label)
    axes[1].axhline(0.5, color="gray", linestyle=":", linewidth=1)
    axes[1].set_ylim(0, 1)
    axes[1].set_xlabel("training step (batch)")
    axes[1].set_ylabel("mean discriminator output")
    axes[1].set_title(f"Discriminator outputs{title_suffix}")
    axes[1].legend(fontsize=8)
    return axes


class LiveProgress(BatchHistory):
    """:class:`BatchHistory` that also redraws curves and samples in the notebook after each epoch.

    One figure (loss curves, discriminator outputs, the samples of the fixed noise) is
    shown and then replaced in place after every epoch, so a long run shows its progress
    as it trains. Outside IPython it only records.

    Args:
        fixed_noise: (n, latent_dim) noise for the sample panel (e.g. ``gan.fixed_noise(32, 64)``).
        labels: (n,) labels for a conditional generator, else None.
        ncols: samples per row of the panel.
        window: moving-average window of the curves, in batches.
    """

    def __init__(self, fixed_noise, labels=None, *, ncols: int = 8, window: int = 25):
        super().__init__()
        self.noise = np.asarray(fixed_noise, dtype=np.float32)
        self.labels = None if labels is None else np.asarray(labels, dtype=np.int32)
        self.ncols, self.window = ncols, window
        self._handle = None

    def _figure(self, epoch: int):
        import matplotlib.pyplot as plt

        from prodimg_lib.viz import grid_image

        inputs = self.noise if self.labels is None else [self.noise, self.labels]
        samples = ops.convert_to_numpy(self.model.generator(inputs, training=False))
        fig = plt.figure(figsize=(12, 3.6))
        grid = fig.add_gridspec(1, 3, width_ratios=[1, 1, 0.9])
        axes = [fig.add_subplot(grid[0, i]) for i in range(3)]
        plot_gan_curves(self.values, axes[:2], window=self.window)
        axes[2].imshow(grid_image(samples, self.ncols), cmap="gray", vmin=0, vmax=255)
        axes[2].set_title(f"Samples after epoch {epoch}")
        axes[2].axis("off")
        fig.tight_layout()
        return fig

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            return
        if get_ipython() is None:
            return
        import matplotlib.pyplot as plt

        fig = self._figure(epoch + 1)
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)


def layer_table(model) -> list[tuple[str, str, tuple, int]]:
    """``(layer name, layer type, output shape without the batch axis, parameters)`` for each layer.

    Input layers are listed with 0 parameters. Works for functional and sequential models.
    """
    rows = []
    for layer in model.layers:
        shape = layer.output.shape if hasattr(layer, "output") else ()
        rows.append((layer.name, type(layer).__name__, tuple(shape[1:]), int(layer.count_params())))
    return rows


def draw_architecture(model, ax=None, *, title: str | None = None):
    """Draw a model's layers left to right as boxes labelled with their output shapes.

    A box's height grows with the spatial size of the layer's output (its width, for
    a vector, with the vector's length) and its darkness with the number of channels, so
    that the generator's "small and deep to large and shallow" shape is visible at a glance.
    Activation, normalisation and dropout layers are folded into the layer before them.

    Returns:
        The matplotlib axis.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    folded = {"BatchNormalization", "ReLU", "LeakyReLU", "Dropout", "Activation"}
    rows = [r for r in layer_table(model) if r[1] not in folded]
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 1.25 * len(rows)), 3.4))
    sizes = [float(np.prod(s[:-1])) ** 0.5 if len(s) >= 2 else float(s[0]) ** 0.5 if s else 1.0 for _, _, s, _ in rows]
    channels = [s[-1] if len(s) >= 2 else 1 for _, _, s, _ in rows]
    top = max(sizes)
    cmax = max(channels)
    for i, ((name, kind, shape, params), size, ch) in enumerate(zip(rows, sizes, channels)):
        h = 0.25 + 0.75 * size / top
        shade = 0.15 + 0.7 * np.log1p(ch) / np.log1p(cmax)
        ax.add_patch(Rectangle((i - 0.38, -h / 2), 0.76, h, facecolor=plt.cm.Blues(shade), edgecolor="black"))
        ax.text(i, h / 2 + 0.06, f"{name}\n{kind}", ha="center", va="bottom", fontsize=7)
        ax.text(i, -h / 2 - 0.06, " x ".join(str(d) for d in shape) + (f"\n{params:,} params" if params else ""),
                ha="center", va="top", fontsize=7)
        if i:
            ax.annotate("", xy=(i - 0.4, 0), xytext=(i - 0.6, 0), arrowprops=dict(arrowstyle="->"))
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(-1.05, 1.05)
    ax.axis("off")
    ax.set_title(title or model.name)
    return ax
