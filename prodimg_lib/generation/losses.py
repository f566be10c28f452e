"""The GAN losses, computed from the discriminator's logits with ``keras.ops`` (every backend).

Conventions, corrected from the source article (section 5.2): real images are labelled 1
and generated ones 0; the discriminator returns logits and the losses use the stable
``from_logits=True`` form. The NumPy references of notebook 01
(:mod:`prodimg_lib.reference.losses`) compute the same values, and the tests check it.
"""

from __future__ import annotations

from keras import ops

__all__ = ["LOSS_KINDS", "d_loss_from_logits", "g_loss_from_logits", "class_loss_from_logits"]

LOSS_KINDS = ("non_saturating", "minimax")


def _bce_to_constant(target: float, logits):
    """Mean binary cross-entropy of ``logits`` against the constant label ``target`` (stable)."""
    logits = ops.convert_to_tensor(logits, dtype="float32")
    return ops.mean(ops.binary_crossentropy(ops.full_like(logits, target), logits, from_logits=True))


def d_loss_from_logits(real_logits, fake_logits, label_smoothing: float = 0.0):
    """Discriminator loss ``BCE(1 - label_smoothing, real) + BCE(0, fake)`` from logits.

    With ``label_smoothing=0`` this is :func:`prodimg_lib.reference.losses.discriminator_loss` with
    ``from_logits=True``: ``mean(-ln D(x)) + mean(-ln(1 - D(G(z))))``, a sum of two
    binary cross-entropies. One-sided label smoothing (Salimans et al., 2016) lowers only
    the real target (to 0.9 for 0.1); fakes keep the target 0.

    Args:
        real_logits: discriminator logits on real images, shape (N, 1) (any shape works).
        fake_logits: logits on generated images, any shape.
        label_smoothing: in [0, 0.5).
    Returns:
        A scalar tensor, >= 0 (``2 ln 2`` ≈ 1.386 when D outputs 0.5 everywhere).
    """
    return _bce_to_constant(1.0 - label_smoothing, real_logits) + _bce_to_constant(0.0, fake_logits)


def g_loss_from_logits(fake_logits, loss: str = "non_saturating"):
    """Generator loss from the discriminator's logits on generated images.

    * ``"non_saturating"`` (default): ``mean(-ln D(G(z)))`` = ``BCE(1, fake)``;
    * ``"minimax"``: ``mean(ln(1 - D(G(z))))`` = ``-BCE(0, fake)``, the original game's
      term, whose gradient vanishes when the discriminator wins (shown in notebook 01).

    Equals :func:`prodimg_lib.reference.losses.generator_loss` with ``from_logits=True``.
    """
    if loss == "non_saturating":
        return _bce_to_constant(1.0, fake_logits)
    if loss == "minimax":
        return -_bce_to_constant(0.0, fake_logits)
    raise ValueError(f"loss must be one of {LOSS_KINDS}, got {loss!r}")


def class_loss_from_logits(labels, class_logits):
    """Mean cross-entropy of the class logits against integer labels: the auxiliary class term (AC-GAN).

    ``mean(-ln softmax(class_logits)[label])``. The discriminator minimises it on real
    images and their labels (it learns to name the class); the generator minimises it
    on its own images and the labels it was asked for (it learns to make the class
    unmistakable).

    Args:
        labels: integer classes, shape (N,), in ``[0, num_classes)``.
        class_logits: shape (N, num_classes), unnormalised.
    Returns:
        A scalar tensor, >= 0 (``ln num_classes`` for uniform logits).
    """
    labels = ops.cast(labels, "int32")
    class_logits = ops.convert_to_tensor(class_logits, dtype="float32")
    return ops.mean(ops.sparse_categorical_crossentropy(labels, class_logits, from_logits=True))
