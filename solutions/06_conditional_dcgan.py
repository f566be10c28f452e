"""Solutions to the exercises of notebook 06 (for teachers; tests run each through its checker)."""

import numpy as np


def grid_labels(num_classes, per_class):
    """Exercise 1: each class repeated per_class times, row after row."""
    return np.repeat(np.arange(num_classes), per_class)


def agreement(requested, predicted):
    """Exercise 2: the share of matches.

    If the classifier errs on generated images as often as on real ones (about 7 %), a perfect
    generator still scores only about 93 %: the classifier's accuracy bounds what can be measured
    (unless the generator's products are easier to classify than real ones).
    """
    return float(np.mean(np.asarray(requested) == np.asarray(predicted)))


def lerp(z0, z1, steps):
    """Exercise 3: t = 0, 1/(steps-1), ..., 1, both ends included."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return (1 - t) * np.asarray(z0) + t * np.asarray(z1)


def projection_head(num_classes, feature_dim):
    """Exercise 4: logit = Dense(1)(h) + <Embedding(y), h>, as in dcgan.build_conditional_discriminator."""
    import keras
    from keras import layers

    features = keras.Input((feature_dim,), name="features")
    labels = keras.Input((), dtype="int32", name="labels")
    unconditional = layers.Dense(1)(features)  # "does it look real?"
    label_vec = layers.Embedding(num_classes, feature_dim)(labels)  # (N, feature_dim): one vector per class
    projection = layers.Dot(axes=1)([label_vec, features])  # (N, 1): "does it look like this class?"
    return keras.Model([features, labels], layers.Add()([unconditional, projection]))


def class_term(requested, class_logits):
    """Exercise 5: the generator's auxiliary class term, the mean cross-entropy of the requested classes."""
    from keras import ops

    return ops.mean(ops.sparse_categorical_crossentropy(requested, class_logits, from_logits=True))


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import conditional_dcgan as exercises

    return [
        exercises.check_grid_labels(grid_labels),
        exercises.check_class_agreement(agreement),
        exercises.check_interpolation(lerp),
        exercises.check_projection_head(projection_head),
        exercises.check_class_term(class_term),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
