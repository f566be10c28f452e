"""The product classifier: a small CNN for 28x28 Fashion-MNIST images in [-1, 1].

It has two jobs in the course:

1. classify product photos (notebook 04). Measured on the full data set with a 2-core CPU:
   ``width=32``, 8 epochs, batch size 128, the default learning rate and a flip-only augmenter
   (``build_augmenter(flip=True, rotation=0, translation=0, zoom=0)``) reach 92.8% test
   accuracy in about 2.5 minutes;
2. serve as the *feature extractor* of the generator metrics (:mod:`prodimg_lib.evaluation.feature_space`): the
   128 activations of its penultimate Dense layer, named ``"features"``, describe an image
   the way the classifier sees it, and :func:`feature_extractor` returns a model that outputs them.

Architecture (``width`` = w), every convolution with 'same' padding, so that only the
pooling layers shrink the maps::

    input (28, 28, 1) in [-1, 1]
    Conv2D 3x3 (w)  -> MaxPool 2x2 -> BatchNorm -> ReLU     (28, 28, w)  -> (14, 14, w)
    Conv2D 3x3 (2w) -> MaxPool 2x2 -> BatchNorm -> ReLU     (14, 14, 2w) -> (7, 7, 2w)
    Conv2D 3x3 (4w) -> MaxPool 2x2 -> BatchNorm -> ReLU     (7, 7, 4w)   -> (3, 3, 4w)
    Flatten                                                 (9 * 4w,)
    Dense "features" (128, ReLU)                            (128,)   <- the feature space
    Dropout
    Dense (10, softmax)                                     class probabilities

Pooling comes straight after each convolution, before batch normalisation and ReLU:
max-pooling and ReLU commute, and normalising the pooled maps works as well as normalising
the full ones, but BatchNorm and ReLU then touch 4x fewer values. On a CPU those
memory-bound layers cost about as much as the convolutions, so this order trains about
a third faster than conv -> BN -> ReLU -> pool.

Only standard Keras layers are used (no ``Lambda``, no custom layer), so a saved
``classifier.keras`` loads with ``keras.models.load_model(path)`` in safe mode.
"""

from __future__ import annotations


from prodimg_lib.data.pixels import IMAGE_SHAPE, as_labels, as_model_images, check_positive_int

__all__ = [
    "FEATURES_LAYER",
    "build_classifier",
    "feature_extractor",
    "train_classifier",
]

FEATURES_LAYER = "features"


def build_classifier(
    width: int = 32,
    num_classes: int = 10,
    input_shape: tuple[int, int, int] = IMAGE_SHAPE,
    dropout: float = 0.3,
    *,
    features: int = 128,
):
    """Build the (uncompiled) product classifier CNN.

    Args:
        width: filters of the first convolution; the next ones have 2x and 4x as many.
        num_classes: number of output classes.
        input_shape: (H, W, C) of one image; H and W at least 8 (three 2x2 poolings).
        dropout: dropout rate between the features and the output, in [0, 1).
        features: units of the "features" layer (the feature space of the metrics).

    Returns:
        ``keras.Model`` named "product_classifier": (N, *input_shape) float32 in [-1, 1] ->
        (N, num_classes) class probabilities (softmax).

    Raises:
        ValueError: a non-positive width, class count or feature count, a dropout outside
            [0, 1), or an input shape that is not (H >= 8, W >= 8, C >= 1).
    """
    import keras
    from keras import layers

    width = check_positive_int(width, "width")
    num_classes = check_positive_int(num_classes, "num_classes", low=2)
    features = check_positive_int(features, "features")
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or min(input_shape[:2]) < 8 or input_shape[2] < 1:
        raise ValueError(f"input_shape must be (H, W, C) with H and W at least 8, got {input_shape}")

    inputs = keras.Input(shape=input_shape, name="images")
    x = inputs
    for i, filters in enumerate((width, 2 * width, 4 * width), start=1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(int(features), activation="relu", name=FEATURES_LAYER)(x)
    x = layers.Dropout(float(dropout), name="dropout")(x)
    outputs = layers.Dense(int(num_classes), activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="product_classifier")


def feature_extractor(classifier):
    """A model sharing the classifier's weights that outputs its "features" layer.

    Args:
        classifier: a model from :func:`build_classifier` (trained, or loaded from ``.keras``).

    Returns:
        ``keras.Model`` named "feature_extractor": (N, H, W, C) in [-1, 1] -> (N, features)
        float32 (ReLU activations, so >= 0).

    Raises:
        TypeError: not a Keras model.
        ValueError: the model has no layer named "features".
    """
    import keras

    if not isinstance(classifier, keras.Model):
        raise TypeError(f"classifier must be a keras.Model, got {type(classifier).__name__}")
    try:
        layer = classifier.get_layer(FEATURES_LAYER)
    except ValueError:
        raise ValueError(
            f"the model {classifier.name!r} has no layer named {FEATURES_LAYER!r}; "
            "build it with prodimg_lib.evaluation.classifier.build_classifier"
        ) from None
    return keras.Model(classifier.inputs, layer.output, name="feature_extractor")


def train_classifier(
    model,
    x_train,
    y_train,
    x_val=None,
    y_val=None,
    epochs: int = 8,
    batch_size: int = 128,
    augmenter=None,
    verbose: int | str = 2,
    seed: int | None = 0,
    *,
    learning_rate: float = 3e-3,
    callbacks=None,
):
    """Compile the classifier and train it; return the Keras ``History``.

    Checks the images and labels, then trains with :func:`prodimg_lib.enhancement.fit.fit_supervised`
    (the course's one supervised training loop): Adam, sparse categorical cross-entropy and the
    accuracy metric, compiled anew (which resets the optimiser), the learning rate on a cosine
    decay from ``learning_rate`` to 5% of it over the run, which gains accuracy in short runs.

    Args:
        model: from :func:`build_classifier`.
        x_train, x_val: (N, H, W, C) float32 images in [-1, 1] (the model's input shape).
        y_train, y_val: (N,) integer class indices in [0, num_classes).
        x_val, y_val: validation data, or both None.
        epochs, batch_size: as in ``fit``; the training set must hold at least one batch.
        augmenter: e.g. :func:`prodimg_lib.data.augment.build_augmenter`. Training then runs a
            wrapper ``augmenter -> model`` that shares the model's layers; ``model`` itself
            stays free of augmentation (so it saves and predicts without it).
        verbose: as in ``fit`` (2: one line per epoch, for logs and papermill).
        seed: seeds Python, NumPy and the backend (``keras.utils.set_random_seed``) for
            reproducible shuffling and dropout; None leaves the global seeds alone. Weights were
            initialised when the model was built: seed before building for fully repeatable runs.
        learning_rate: initial Adam learning rate.
        callbacks: extra Keras callbacks.

    Returns:
        ``keras.callbacks.History``: ``history.history`` holds "loss", "accuracy" and, with
        validation data, "val_loss" and "val_accuracy", one value per epoch.

    Raises:
        TypeError, ValueError: bad images or labels (the message names the array and the fix),
            a training set smaller than one batch, or bad epochs / batch size.
        FloatingPointError: training diverged.
    """
    import keras

    from prodimg_lib.enhancement.fit import fit_supervised

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    image_shape = tuple(model.input_shape[1:])
    num_classes = int(model.output_shape[-1])
    x_train = as_model_images(x_train, "x_train", image_shape)
    y_train = as_labels(y_train, num_classes, "y_train", num_images=len(x_train))
    if (x_val is None) != (y_val is None):
        raise ValueError("pass both x_val and y_val, or neither")
    validation_data = None
    if x_val is not None:
        x_val = as_model_images(x_val, "x_val", image_shape)
        validation_data = (x_val, as_labels(y_val, num_classes, "y_val", num_images=len(x_val)))
    return fit_supervised(
        model, x_train, y_train, loss="sparse_categorical_crossentropy", metrics=["accuracy"], epochs=epochs,
        batch_size=batch_size, learning_rate=learning_rate, validation_data=validation_data, augmenter=augmenter,
        verbose=verbose, seed=seed, callbacks=callbacks,
    )
