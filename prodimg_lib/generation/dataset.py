"""Training batches for the GAN without ``tf.data``: a ``keras.utils.PyDataset`` over NumPy arrays.

It runs on every Keras backend and keeps the guarantees a GAN needs: every batch is full
(BatchNorm and the loss always see the same batch size), the order is reshuffled every
epoch from a seed, and too little data for one batch is an error, not a silent epoch of
zero steps. The order of epoch ``e`` depends only on ``(seed, e)``, so a run resumed from
a checkpoint after epoch ``e`` sees the same batches as the run that was interrupted.
"""

from __future__ import annotations

import keras
import numpy as np

from prodimg_lib.data import as_model_images

__all__ = ["GANBatches", "make_dataset", "make_pair_dataset"]


class GANBatches(keras.utils.PyDataset):
    """Full batches of images (and labels), in a seeded order that changes every epoch.

    ``len(batches)`` is ``N // batch_size``; ``batches[i]`` is the i-th batch of the current
    epoch: images (batch_size, H, W, C) float32, or ``(images, labels)`` with labels int32.
    Keras calls :meth:`on_epoch_end` after every epoch, which moves to the next order.

    Attributes:
        epoch: the epoch (0-based) whose order ``batches[i]`` follows; :func:`prodimg_lib.generation.gan.train`
            sets it when a run resumes.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray | None, batch_size: int, shuffle: bool, seed: int):
        super().__init__()
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle, self.seed = int(batch_size), bool(shuffle), int(seed)
        self.epoch = 0
        self._order = self._order_of(0)

    def _order_of(self, epoch: int) -> np.ndarray:
        n = len(self.images)
        return np.random.default_rng([self.seed, epoch]).permutation(n) if self.shuffle else np.arange(n)

    def set_epoch(self, epoch: int) -> None:
        """Continue with the order of ``epoch`` (0-based): the batches an uninterrupted run would see."""
        self.epoch = int(epoch)
        self._order = self._order_of(self.epoch)

    def __len__(self) -> int:
        return len(self.images) // self.batch_size

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range: there are {len(self)} full batches")
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        if self.labels is None:
            return self.images[rows]
        return self.images[rows], self.labels[rows]

    def on_epoch_end(self) -> None:
        self.set_epoch(self.epoch + 1)


def make_dataset(images, batch_size: int, labels=None, shuffle: bool = True, seed: int = 0,
                 image_shape=(28, 28, 1)) -> GANBatches:
    """Training batches for :class:`~prodimg_lib.generation.gan.GAN`, on every Keras backend.

    Args:
        images: float32 array (N, H, W, C) in [-1, 1], by default (N, 28, 28, 1). Convert
            uint8 pixels with ``data.to_minus_one_one(x)[..., None]``.
        batch_size: images per batch; every batch is full (the last ``N % batch_size``
            images of an epoch's order are left out), so BatchNorm and the loss always see
            the same batch size.
        labels: class labels (N,) of non-negative integers, for a conditional GAN; the
            batches are then ``(images, labels)``.
        shuffle: a new order every epoch (seeded by ``seed``).
        seed: shuffling seed.
        image_shape: the expected ``(H, W, C)``.

    Returns:
        A :class:`GANBatches` with ``N // batch_size`` batches per epoch.

    Raises:
        ValueError: wrong dtype, shape or range (the message gives the fix), labels that do
            not fit the images, or fewer than ``batch_size`` images (training would
            otherwise silently run zero steps).
    """
    image_shape = tuple(image_shape)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    images = as_model_images(images, "images", image_shape, unit_range="error")
    n = len(images)
    if n < batch_size:
        raise ValueError(
            f"too little data for one batch: {n} images but batch_size={batch_size}. Every batch must be full, "
            "so training would run zero steps and silently learn nothing; use more images or a smaller batch_size"
        )
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},), one per image; got {labels.shape}")
        if not np.issubdtype(labels.dtype, np.integer) or (labels.size and labels.min() < 0):
            raise ValueError(f"labels must be non-negative integers (class indices), got dtype {labels.dtype}")
        labels = labels.astype(np.int32)
    return GANBatches(images, labels, batch_size, shuffle, seed)


def make_pair_dataset(conditions, targets, batch_size: int, shuffle: bool = True, seed: int = 0) -> GANBatches:
    """Training batches of ``(condition, target)`` pairs for :class:`~prodimg_lib.generation.image_gan.ImageGAN`.

    Args:
        conditions: float32 (N, h, w, c) in [-1, 1], the generator's inputs (drawings, small images).
        targets: float32 (N, H, W, C) in [-1, 1], what it should make of each.
        batch_size, shuffle, seed: as in :func:`make_dataset` (every batch full, a seeded order).

    Returns:
        A :class:`GANBatches` whose batches are ``(conditions, targets)``.

    Raises:
        ValueError: arrays of the wrong shape, dtype or range, different counts, or fewer pairs
            than one batch.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    arrays = []
    # Targets entirely in [0, 1] are images scaled by 1/255 (an error: the generator ends in tanh); a
    # condition might be (a blank drawing), so it only warns.
    for name, images, unit_range in (("conditions", conditions, "warn"), ("targets", targets, "error")):
        images = np.asarray(images)
        if images.ndim != 4:
            raise ValueError(f"{name} must be a batch (N, H, W, C), got shape {images.shape}")
        arrays.append(as_model_images(images, name, images.shape[1:], unit_range=unit_range))
    conditions, targets = arrays
    if len(conditions) != len(targets):
        raise ValueError(f"conditions and targets must pair up: {len(conditions)} conditions, {len(targets)} targets")
    if len(conditions) < batch_size:
        raise ValueError(f"too little data for one batch: {len(conditions)} pairs but batch_size={batch_size}; use more "
                         "pairs or a smaller batch_size")
    return GANBatches(conditions, targets, batch_size, shuffle, seed)
