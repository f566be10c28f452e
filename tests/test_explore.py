"""Data-set statistics of notebook 04 and its exercise checkers."""

import numpy as np
import pytest

from prodimg_lib.course.exercises import product_data as exercises
from prodimg_lib.data import explore


# --- class counts and mean images ------------------------------------------------------------


def test_class_counts_of_the_sample_are_balanced(sample):
    np.testing.assert_array_equal(explore.class_counts(sample.y_train), np.full(10, 100))
    np.testing.assert_array_equal(explore.class_counts(sample.y_test), np.full(10, 20))


def test_class_counts_include_missing_classes():
    counts = explore.class_counts(np.array([0, 2, 2, 4]), num_classes=6)
    assert counts.tolist() == [1, 0, 2, 0, 1, 0]
    assert counts.dtype == np.int64


@pytest.mark.parametrize(
    "labels, error, match",
    [
        (np.array([0.0, 1.0]), TypeError, "integer"),
        (np.array([0, 10]), ValueError, r"\[0, 10\)"),
        (np.array([-1, 3]), ValueError, r"\[0, 10\)"),
        (np.eye(10, dtype=int)[[1, 2, 3]], ValueError, "one-hot"),
        (np.zeros((2, 2, 2), dtype=int), ValueError, "1-D"),
        (np.array([True, False]), TypeError, "integer"),
    ],
)
def test_class_counts_reject_bad_labels(labels, error, match):
    with pytest.raises(error, match=match):
        explore.class_counts(labels)


def test_mean_images_equal_a_loop_over_classes(sample):
    means = explore.mean_images(sample.x_train, sample.y_train)
    assert means.shape == (10, 28, 28) and means.dtype == np.float64
    for c in range(10):
        np.testing.assert_allclose(means[c], sample.x_train[sample.y_train == c].astype(np.float64).mean(axis=0))
    assert 0 <= means.min() and means.max() <= 255


def test_mean_images_keep_the_channel_axis_and_float_units():
    images = np.stack([np.full((2, 3, 1), v, dtype=np.float32) for v in (-1.0, 1.0, 0.5, 0.0)])
    means = explore.mean_images(images, np.array([0, 0, 1, 1]), num_classes=2)
    assert means.shape == (2, 2, 3, 1)
    np.testing.assert_allclose(means[:, 0, 0, 0], [0.0, 0.25])


def test_mean_images_errors():
    images = np.zeros((4, 5, 5), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"class\(es\) \[2\] have no images"):
        explore.mean_images(images, np.array([0, 1, 1, 0]), num_classes=3)
    with pytest.raises(ValueError, match="same length"):
        explore.mean_images(images, np.array([0, 1, 1]), num_classes=2)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        explore.mean_images(np.zeros((4, 25)), np.array([0, 1, 1, 0]), num_classes=2)
    with pytest.raises(ValueError, match="NaN"):
        explore.mean_images(np.full((2, 3, 3), np.nan), np.array([0, 1]), num_classes=2)
    with pytest.raises(TypeError, match="numbers"):
        explore.mean_images(np.full((2, 3, 3), "x"), np.array([0, 1]), num_classes=2)
    with pytest.raises(ValueError, match="num_classes"):
        explore.mean_images(images, np.array([0, 1, 1, 0]), num_classes=0)


def test_nearest_mean_classifier(sample):
    means = explore.mean_images(sample.x_train, sample.y_train)
    # each mean image is nearest to itself
    np.testing.assert_array_equal(explore.nearest_mean_predict(means, means), np.arange(10))
    predicted = explore.nearest_mean_predict(sample.x_test, means, batch_size=37)
    assert predicted.shape == (200,) and predicted.dtype == np.int64
    # a simple baseline: clearly better than chance (10 %), clearly worse than a CNN
    accuracy = float(np.mean(predicted == sample.y_test))
    assert 0.5 < accuracy < 0.85
    # the same as the brute-force distances
    d = ((sample.x_test[:, None].astype(float) - means[None]) ** 2).sum(axis=(2, 3))
    np.testing.assert_array_equal(predicted, d.argmin(axis=1))
    with pytest.raises(ValueError, match="means must have shape"):
        explore.nearest_mean_predict(sample.x_test, means[:, :27])


# --- confusion matrices ------------------------------------------------------------------------


def test_confusion_matrix_rows_are_true_classes():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    cm = explore.confusion_matrix(y_true, y_pred, num_classes=3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm.sum(axis=1), explore.class_counts(y_true, 3))
    np.testing.assert_array_equal(cm.sum(axis=0), explore.class_counts(y_pred, 3))
    assert explore.confusion_matrix(y_true, y_pred).shape == (10, 10)


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match="same length"):
        explore.confusion_matrix(np.array([0, 1]), np.array([0]))
    probabilities = np.full((3, 10), 0.1)
    with pytest.raises(ValueError, match="argmax"):
        explore.confusion_matrix(np.array([0, 1, 2]), probabilities)
    with pytest.raises(ValueError, match="y_pred"):
        explore.confusion_matrix(np.array([0, 1]), np.array([0, 12]))


def test_accuracies_from_a_confusion_matrix():
    cm = np.array([[50, 0, 0], [10, 30, 10], [0, 5, 5]])
    assert explore.accuracy_from_confusion(cm) == pytest.approx(85 / 110)
    np.testing.assert_allclose(explore.per_class_accuracy(cm), [1.0, 0.6, 0.5])
    with_empty = np.array([[3, 1], [0, 0]])
    acc = explore.per_class_accuracy(with_empty)
    assert acc[0] == pytest.approx(0.75) and np.isnan(acc[1])
    with pytest.raises(ValueError, match="empty"):
        explore.accuracy_from_confusion(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="square"):
        explore.per_class_accuracy(np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        explore.accuracy_from_confusion(np.array([[1, -1], [0, 1]]))


def test_accuracy_agrees_with_the_labels():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, 500)
    y_pred = np.where(rng.random(500) < 0.7, y_true, rng.integers(0, 10, 500))
    cm = explore.confusion_matrix(y_true, y_pred)
    assert explore.accuracy_from_confusion(cm) == pytest.approx(np.mean(y_true == y_pred))


def test_most_confused_pairs():
    cm = np.array([[9, 4, 0], [1, 8, 6], [4, 0, 7]])
    assert explore.most_confused(cm, top=3) == [(1, 2, 6), (0, 1, 4), (2, 0, 4)]
    assert explore.most_confused(np.eye(3, dtype=int) * 5) == []
    with pytest.raises(ValueError, match="top"):
        explore.most_confused(cm, top=0)


# --- checkers ----------------------------------------------------------------------------------


def _reference_mean_images(images, labels):
    return np.stack([images[labels == c].mean(axis=0) for c in range(10)])


def test_checkers_accept_correct_answers():
    assert exercises.check_mean_images(_reference_mean_images)
    assert exercises.check_confusion_matrix(lambda t, p: explore.confusion_matrix(t, p))
    assert exercises.check_accuracy(lambda cm: np.trace(cm) / np.sum(cm))
    assert exercises.check_horizontal_flip(lambda x: x[:, :, ::-1, :])
    assert exercises.check_label_preserving({"a", "c", "e", "f"})
    assert exercises.check_label_preserving("a, C, e, f")


def _placeholder(*args):
    ...


@pytest.mark.parametrize(
    "checker",
    [exercises.check_mean_images, exercises.check_confusion_matrix, exercises.check_accuracy, exercises.check_horizontal_flip],
)
def test_unanswered_exercises_give_not_yet_without_raising(checker):
    for answer in (None, ..., _placeholder):
        result = checker(answer)
        assert not result
        assert "empty" in result.message or "None" in result.message
    assert not exercises.check_label_preserving(...)


def test_a_failing_answer_is_reported_not_raised():
    def broken(*args):
        raise KeyError("oops")

    result = exercises.check_mean_images(broken)
    assert not result and "KeyError" in result.message


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda x, y: np.stack([x[y == c].sum(axis=0) for c in range(10)]), "divide by the number of images of the class"),
        (lambda x, y: np.stack([x[y == c].sum(axis=0) / len(x) for c in range(10)]), "number of all images"),
        (lambda x, y: np.stack([x.mean(axis=0)] * 10), "images[labels == c]"),
        (lambda x, y: np.stack([x[y == c].mean(axis=0).T for c in range(10)]), "swapped"),
    ],
)
def test_mean_image_mistakes_get_hints(answer, hint):
    result = exercises.check_mean_images(answer)
    assert not result and hint in result.message


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda t, p: explore.confusion_matrix(t, p).T, "swapped"),
        (lambda t, p: explore.confusion_matrix(p, t), "swapped"),
        (lambda t, p: explore.confusion_matrix(t, p) / len(t), "counts images"),
        (lambda t, p: explore.confusion_matrix(t, p, num_classes=int(max(t.max(), p.max())) + 1), "num_classes = 10"),
    ],
)
def test_confusion_matrix_mistakes_get_hints(answer, hint):
    result = exercises.check_confusion_matrix(answer)
    assert not result and hint in result.message


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda cm: np.mean(np.diag(cm) / cm.sum(axis=1)), "balanced accuracy"),
        (lambda cm: 1 - np.trace(cm) / cm.sum(), "error rate"),
        (lambda cm: np.trace(cm), "divide it"),
        (lambda cm: np.trace(cm) / len(cm), "not the number of classes"),
    ],
)
def test_accuracy_mistakes_get_hints(answer, hint):
    result = exercises.check_accuracy(answer)
    assert not result and hint in result.message


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda x: x[:, ::-1], "vertical flip"),
        (lambda x: x[::-1], "order of the images"),
        (lambda x: x[..., ::-1], "unchanged"),  # one channel: reversing it changes nothing
        (lambda x: x[:, ::-1, ::-1], "180-degree"),
        (lambda x: x, "unchanged"),
    ],
)
def test_flip_mistakes_get_hints(answer, hint):
    result = exercises.check_horizontal_flip(answer)
    assert not result and hint in result.message


def test_library_flip_layer_agrees_with_the_numpy_flip():
    import keras

    images = np.random.default_rng(0).uniform(-1, 1, size=(3, 5, 6, 1)).astype("float32")
    flip = keras.layers.RandomFlip("horizontal", seed=1)
    # Over several calls, every output is either the input or its mirror image, and both occur.
    seen = set()
    for _ in range(8):
        out = keras.ops.convert_to_numpy(flip(images, training=True))
        for i in range(len(images)):
            if np.allclose(out[i], images[i]):
                seen.add("same")
            else:
                np.testing.assert_allclose(out[i], np.flip(images[i], axis=1))
                seen.add("mirrored")
    assert seen == {"same", "mirrored"}


@pytest.mark.parametrize(
    "answer, fragment",
    [
        ({"a", "b", "c", "e", "f"}, "(b)"),
        ({"a", "c", "e", "f", "g"}, "label can change"),
        ({"a", "c", "e", "f", "h"}, "black background"),
        ({"a", "c", "e", "f", "d"}, "lying on their side"),
        ({"a", "c"}, "left out"),
        ({"a", "z"}, "unknown"),
        ([1, 2], "letters"),
        (3, "set of letters"),
    ],
)
def test_label_preserving_checker_explains_each_wrong_choice(answer, fragment):
    result = exercises.check_label_preserving(answer)
    assert not result and fragment in result.message


def test_the_choices_agree_with_the_course_augmenter():
    """The augmenter of the course uses exactly the transformations marked as fitting."""
    from prodimg_lib.data import augment

    names = [layer.name for layer in augment.build_augmenter(seed=0).layers]
    assert names == ["flip", "rotation", "translation", "zoom"]
    fitting = {text for text, ok, _ in exercises.AUGMENTATION_CHOICES.values() if ok}
    assert any("horizontal flip" in t for t in fitting)
    assert any("tilt by a small angle" in t for t in fitting)
    assert any("shift" in t for t in fitting)
    assert any("zoom" in t for t in fitting)
    assert not any("vertical" in t for t in fitting)
