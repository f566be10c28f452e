"""Solutions to the exercises of notebook 12 (for teachers; tests run each through its checker)."""

import numpy as np


def white_background(images, threshold, softness):
    """Exercise 1: blend towards white (+1) where the pixel is near the black background."""
    x = np.asarray(images, dtype=np.float32)
    alpha = np.clip((x - threshold) / softness, 0.0, 1.0)
    return alpha * x + (1.0 - alpha) * 1.0


def gate(probabilities, requested, realism, min_confidence, min_realism):
    """Exercise 2: the requested class must be confident enough, and the image realistic enough.

    (A probability >= 0.5 for the requested class also makes it the predicted class.)
    """
    return bool(probabilities[requested] >= min_confidence and realism >= min_realism)


def acceptance_by_class(requested, accepted, num_classes):
    """Exercise 3: accepted / requested per class; 0 where nothing was requested."""
    requested, accepted = np.asarray(requested), np.asarray(accepted, dtype=bool)
    asked = np.bincount(requested, minlength=num_classes).astype(float)
    kept = np.bincount(requested[accepted], minlength=num_classes).astype(float)
    return np.divide(kept, asked, out=np.zeros(num_classes), where=asked > 0)


def generate_and_enlarge(generator, upscaler):
    """Exercise 5: one model, [noise (N, latent), labels (N,)] -> upscaler(generator([noise, labels])).

    New inputs shaped like the generator's; ``keras.Model(generator.inputs, upscaler(generator.output))``
    is the same model.
    """
    import keras

    noise = keras.Input(generator.inputs[0].shape[1:], name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    return keras.Model([noise, labels], upscaler(generator([noise, labels])), name="generate_and_enlarge")


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import product_pipeline as exercises

    return [
        exercises.check_white_background(white_background),
        exercises.check_gate_one(gate),
        exercises.check_acceptance_by_class(acceptance_by_class),
        exercises.check_generate_and_enlarge(generate_and_enlarge),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
