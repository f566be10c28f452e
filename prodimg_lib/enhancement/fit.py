"""The one supervised training loop of the library, and the shared pieces of the image-to-image models.

- :func:`fit_supervised`: compile a model with Adam on a cosine-decayed learning rate and a
  loss, and fit it on (inputs, targets) arrays (optionally through an augmenter). Both
  supervised trainings of the course call it: :func:`train_image_to_image` here (the
  super-resolution, restoration and tone models) and
  :func:`prodimg_lib.evaluation.classifier.train_classifier` (the product classifier);
- :func:`train_image_to_image`: check image-to-image data against the model, then
  :func:`fit_supervised` with an MSE or L1 loss;
- :func:`clip_to_model_range`: clip a tensor to [-1, 1] with standard layers only
  (``Rescaling`` and ``ReLU(max_value=...)``), so models that add a learned residual to
  their input still output valid images and still load in safe mode.

Every image-to-image model maps images (N, H, W, C) float in [-1, 1] (plus, for the
inpainting U-Net, a mask in {0, 1}) to images in [-1, 1].
"""

from __future__ import annotations

import numpy as np

from prodimg_lib.data.pixels import as_images, check_positive_int, check_scalar

__all__ = ["LOSSES", "fit_supervised", "clip_to_model_range", "train_image_to_image"]

LOSSES = ("mse", "l1")
# The cosine decay ends at this fraction of the initial learning rate.
FINAL_LEARNING_RATE = 0.05


def fit_supervised(
    model,
    x,
    y,
    *,
    loss,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    metrics=None,
    validation_data=None,
    augmenter=None,
    verbose: int | str = 2,
    seed: int | None = 0,
    callbacks=None,
    jit_compile: bool | str = "auto",
):
    """Compile ``model`` with Adam and ``loss``, fit it on ``(x, y)``; return the Keras ``History``.

    The learning rate follows a cosine decay from ``learning_rate`` to 5 % of it over the
    run, which gains accuracy in short runs. Compiling again resets the optimiser.

    Args:
        model: a ``keras.Model``.
        x, y: the training inputs (an array, or a list for a model with several inputs) and
            targets (an array, or a list for a model with several outputs), already checked by
            the caller; the set must hold at least one batch.
        loss: a Keras loss (name or object).
        epochs, batch_size: as in ``fit`` (positive integers).
        learning_rate: initial Adam learning rate (> 0).
        metrics: Keras metrics to report, or None.
        validation_data: ``(inputs, targets)`` or None.
        augmenter: a Keras model applied to the inputs during training only, e.g.
            :func:`prodimg_lib.data.augment.build_augmenter`. Training then runs a wrapper
            ``augmenter -> model`` that shares the model's layers; ``model`` itself stays free
            of augmentation (so it saves and predicts without it). Single-input models only.
        verbose: as in ``fit`` (2: one line per epoch, for logs and papermill).
        seed: seeds Python, NumPy and the backend (``keras.utils.set_random_seed``) for
            reproducible shuffling and dropout; None leaves the global seeds alone. Weights were
            initialised when the model was built: seed before building for fully repeatable runs.
        callbacks: extra Keras callbacks.
        jit_compile: passed to ``compile`` ("auto", True for XLA, False); e.g. a run
            profile's :attr:`~prodimg_lib.course.profiles.Profile.jit_compile`.

    Returns:
        ``keras.callbacks.History`` with "loss" (and "val_loss", and the metrics) per epoch.

    Raises:
        TypeError: not a Keras model.
        ValueError: bad epochs, batch size or learning rate, or fewer examples than one batch.
        FloatingPointError: the training loss became NaN or infinite (training diverged).
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    learning_rate = check_scalar(learning_rate, "learning_rate", low=0.0, low_open=True)
    n = len(y[0]) if isinstance(y, (list, tuple)) else len(y)
    if n < batch_size:
        raise ValueError(
            f"the training set ({n} images) is smaller than one batch ({batch_size}); "
            "use a smaller batch_size or more data"
        )
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    steps = epochs * int(np.ceil(n / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps,
                                                      alpha=FINAL_LEARNING_RATE)
    compile_args = dict(optimizer=keras.optimizers.Adam(learning_rate=schedule), loss=loss, metrics=metrics,
                        jit_compile=jit_compile)
    model.compile(**compile_args)
    trainer = model
    if augmenter is not None:
        inputs = keras.Input(shape=tuple(model.input_shape[1:]), name="images")
        trainer = keras.Model(inputs, model(augmenter(inputs)), name=f"augmented_{model.name}")
        trainer.compile(**compile_args)  # the same optimiser: the wrapper's trainable variables are the model's own
    history = trainer.fit(x, y, batch_size=batch_size, epochs=epochs, validation_data=validation_data,
                          verbose=verbose, callbacks=callbacks, shuffle=True)
    losses = history.history.get("loss", [])
    if losses and not np.all(np.isfinite(losses)):
        raise FloatingPointError(
            f"training diverged: the loss became {losses[-1]} (NaN or infinite); lower the learning rate"
        )
    return history


def clip_to_model_range(x, name: str = "clip"):
    """Clip a symbolic tensor to [-1, 1] with standard layers: shift by +1, ReLU capped at 2, shift back.

    Equivalent to ``keras.ops.clip(x, -1, 1)``; the gradient is 1 inside the range and 0 outside.
    The three layers compute in float32 whatever the dtype policy, so that under mixed
    precision (``mixed_bfloat16``, the gpu profile) the model's output, and the loss computed
    from it, stay in float32.

    Args:
        x: a Keras tensor of any shape.
        name: prefix of the three layers' names.

    Returns:
        The clipped Keras tensor, same shape.
    """
    from keras import layers

    x = layers.Rescaling(1.0, offset=1.0, dtype="float32", name=f"{name}_shift")(x)
    x = layers.ReLU(max_value=2.0, dtype="float32", name=f"{name}_relu")(x)
    return layers.Rescaling(1.0, offset=-1.0, dtype="float32", name=f"{name}_unshift")(x)


def _check_inputs(model, inputs, name: str) -> list[np.ndarray]:
    """The model's inputs as a list of checked arrays (images in [-1, 1]; inputs named "mask" in [0, 1])."""
    arrays = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    names = [t.name for t in model.inputs] if hasattr(model, "inputs") else []
    if len(arrays) != len(model.inputs):
        raise ValueError(
            f"{name}: the model takes {len(model.inputs)} input(s) ({', '.join(names)}), got {len(arrays)} array(s)"
        )
    checked = []
    for i, (array, spec) in enumerate(zip(arrays, model.inputs)):
        label = f"{name}[{i}]" if len(arrays) > 1 else name
        is_mask = "mask" in getattr(spec, "name", "")
        array = np.asarray(array)
        array, _ = as_images(array.astype(np.float32) if array.dtype == bool else array, label, channels=None,
                             batch_only=True, low=0.0 if is_mask else -1.0)
        expected = tuple(spec.shape[1:])
        if len(expected) == 3 and any(e is not None and e != a for e, a in zip(expected, array.shape[1:])):
            raise ValueError(f"{label} has shape {array.shape}, the model expects (N, {', '.join(map(str, expected))})")
        checked.append(array)
    if len({len(a) for a in checked}) != 1:
        raise ValueError(f"{name}: the arrays hold different numbers of images {[len(a) for a in checked]}")
    return checked


def _check_targets(model, inputs: list[np.ndarray], targets, name: str) -> np.ndarray:
    """Targets matching the model's output for these inputs (shape checked on one image)."""
    targets, _ = as_images(targets, name, channels=None, batch_only=True)
    if len(targets) != len(inputs[0]):
        raise ValueError(f"{name} holds {len(targets)} images, the inputs {len(inputs[0])}")
    out_shape = tuple(model.compute_output_shape(tuple((1, *a.shape[1:]) for a in inputs)
                                                 if len(inputs) > 1 else (1, *inputs[0].shape[1:])))
    if tuple(targets.shape[1:]) != out_shape[1:]:
        raise ValueError(
            f"{name} has shape {targets.shape}, but the model maps inputs of shape {inputs[0].shape[1:]} to "
            f"{out_shape[1:]}"
        )
    return targets


def train_image_to_image(
    model,
    inputs,
    targets,
    epochs: int = 5,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    *,
    validation_data=None,
    loss: str = "mse",
    verbose: int | str = 2,
    seed: int | None = 0,
    callbacks=None,
    jit_compile: bool | str = "auto",
):
    """Check image-to-image data against the model and train it with an MSE or L1 loss; return the ``History``.

    Training is :func:`fit_supervised` (Adam, cosine decay from ``learning_rate`` to 5 % of it,
    as :func:`prodimg_lib.evaluation.classifier.train_classifier`).

    Args:
        model: a ``keras.Model`` (e.g. from :func:`build_espcn`, :func:`build_dncnn`).
        inputs: its input: (N, H, W, C) float32 in [-1, 1], or a list for models with several
            inputs (``[damaged, mask]`` for the inpainting U-Net; inputs whose name contains
            "mask" must lie in [0, 1]).
        targets: the clean images, the shape of the model's output for ``inputs``, in [-1, 1].
        epochs, batch_size: as in ``fit``; the training set must hold at least one batch.
        learning_rate: initial Adam learning rate (> 0).
        validation_data: ``(inputs, targets)`` checked like the training data, or None.
        loss: "mse" (PSNR is a log of the MSE, so this optimises it directly) or "l1"
            (mean absolute error, often a little sharper).
        verbose: as in ``fit`` (2: one line per epoch).
        seed: seeds Python, NumPy and the backend for reproducible shuffling; None leaves them.
        callbacks: extra Keras callbacks.
        jit_compile: passed to ``compile`` (see :func:`fit_supervised`).

    Returns:
        ``keras.callbacks.History`` with "loss" (and "val_loss") per epoch.

    Raises:
        TypeError, ValueError: a non-model, bad arrays (wrong shape, range, dtype, NaN, length),
            a training set smaller than one batch, bad epochs, batch size, learning rate or loss.
        FloatingPointError: training diverged.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    x = _check_inputs(model, inputs, "inputs")
    y = _check_targets(model, x, targets, "targets")
    validation = None
    if validation_data is not None:
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (inputs, targets)")
        vx = _check_inputs(model, validation_data[0], "validation inputs")
        validation = (vx if len(vx) > 1 else vx[0], _check_targets(model, vx, validation_data[1], "validation targets"))
    return fit_supervised(
        model, x if len(x) > 1 else x[0], y, loss="mean_squared_error" if loss == "mse" else "mean_absolute_error",
        epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, validation_data=validation,
        verbose=verbose, seed=seed, callbacks=callbacks, jit_compile=jit_compile,
    )
