"""The checkers of the Keras (and backward-pass) exercises of notebooks 03 to 06 name the typical mistakes.

Each runs on the backend of the test run (``KERAS_BACKEND``), as in the notebooks; the training
step of notebook 05 is TensorFlow only. The right answers are checked by ``tests/test_solutions.py``.
"""

import numpy as np
import pytest

from prodimg_lib.course.exercises import cnn_operations, conditional_dcgan, dcgan, product_data


def _stub(*args):
    ...  # your code here


def _feature_map(flip=False, padding="valid", bias=False, set_weights=True):
    import keras

    def keras_feature_map(kernel):
        k = kernel.shape[0]
        conv = keras.layers.Conv2D(1, k, padding=padding, use_bias=bias)
        model = keras.Sequential([keras.Input((None, None, 1)), conv])
        if set_weights:
            kk = kernel[::-1, ::-1] if flip else kernel
            conv.set_weights([kk.reshape(k, k, 1, 1)] + ([np.zeros(1)] if bias else []))
        return model

    return keras_feature_map


def test_keras_feature_map_checker():
    check = cnn_operations.check_keras_feature_map
    assert check(_feature_map())
    assert "still empty" in check(_stub).message
    assert "cross-correlation" in check(_feature_map(flip=True)).message
    assert "padding='same'" in check(_feature_map(padding="same")).message
    assert "use_bias=False" in check(_feature_map(bias=True)).message
    assert "set_weights" in check(_feature_map(set_weights=False)).message
    assert "keras.Model" in check(lambda kernel: kernel).message


def test_conv2d_backward_checker():
    from prodimg_lib.reference.cnn import conv2d_backward, conv2d_forward

    def right(x, w, g):
        _, cache = conv2d_forward(x[None], w, np.zeros(w.shape[3]))
        dx, dw, db = conv2d_backward(g[None], cache)
        return dx[0], dw, db

    def no_flip(x, w, g):
        return right(x, w[::-1, ::-1], g)[0], right(x, w, g)[1], right(x, w, g)[2]

    def valid_dx(x, w, g):
        k = w.shape[0]
        dx = np.stack([[np.tensordot(g[i : i + k, j : j + k], w, axes=([0, 1, 2], [0, 1, 3]))
                        for j in range(g.shape[1] - k + 1)] for i in range(g.shape[0] - k + 1)])
        return dx, right(x, w, g)[1], right(x, w, g)[2]

    check = cnn_operations.check_conv2d_backward
    assert check(right)
    assert "still empty" in check(_stub).message
    flip = check(no_flip)
    assert not flip and "dx" in flip.message and "flipped" in flip.message and "dw" not in flip.message
    assert "'full' convolution" in check(valid_dx).message
    db_total = check(lambda x, w, g: (*right(x, w, g)[:2], g.sum()))
    assert "db" in db_total.message and "axis=(0, 1)" in db_total.message
    assert "dw is flipped" in check(lambda x, w, g: (right(x, w, g)[0], right(x, w, g)[1][::-1, ::-1], right(x, w, g)[2])).message
    assert "three arrays" in check(lambda x, w, g: right(x, w, g)[:2]).message


def _classifier(last="softmax", compile=True, loss="sparse_categorical_crossentropy", conv=True):
    import keras
    from keras import layers

    def build_small_classifier():
        model = keras.Sequential([keras.Input((28, 28, 1))]
                                 + ([layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(2)] if conv else [])
                                 + [layers.Flatten(), layers.Dense(10, activation=last)])
        if compile:
            model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
        return model

    return build_small_classifier


def test_small_classifier_checker_names_the_mistakes_before_training():
    import keras

    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (1000, 28, 28, 1)).astype("float32")
    labels = rng.integers(0, 10, 1000)
    data = (images, labels, images[:200], labels[:200])
    check = product_data.check_small_classifier
    assert "still empty" in check(_stub, *data).message
    assert "not compiled" in check(_classifier(compile=False), *data).message
    assert "logits" in check(_classifier(last=None), *data).message
    assert "from_logits=True" in check(_classifier(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)), *data).message
    assert "sparse_categorical_crossentropy" in check(_classifier(loss="categorical_crossentropy"), *data).message
    assert "Conv2D" in check(_classifier(conv=False), *data).message
    assert "[-1, 1]" in check(_classifier(), (images + 1) * 127.5, labels, images[:200], labels[:200]).message
    assert "at least" in check(_classifier(), images[:500], labels[:500], images[:200], labels[:200]).message


def test_train_step_checker():
    import keras

    check = dcgan.check_train_step
    if keras.backend.backend() != "tensorflow":
        result = check(_stub)
        assert not result and "KERAS_BACKEND=tensorflow" in result.message
        return
    import tensorflow as tf

    from prodimg_lib.generation.losses import d_loss_from_logits, g_loss_from_logits

    def step(same_noise=False, everything_in_d_step=False, loss=None):
        def my_train_step(gan, real):
            n, D, G = real.shape[0], gan.discriminator, gan.generator
            noise, _ = gan.sample_inputs(n)
            with tf.GradientTape() as tape:
                fake = G(noise, training=True)
                d_loss = d_loss_from_logits(D(real, training=True), D(fake, training=True), gan.label_smoothing)
            weights = D.trainable_weights + (G.trainable_weights if everything_in_d_step else [])
            gan.d_optimizer.apply(tape.gradient(d_loss, weights), weights)
            if not same_noise:
                noise, _ = gan.sample_inputs(n)
            with tf.GradientTape() as tape:
                g_loss = g_loss_from_logits(D(G(noise, training=True), training=True), loss or gan.loss_kind)
            gan.g_optimizer.apply(tape.gradient(g_loss, G.trainable_weights), G.trainable_weights)
            return {"d_loss": d_loss, "g_loss": g_loss}

        return my_train_step

    assert check(step())  # the fake images made inside the tape, but only D's gradient asked for: right
    assert "still empty" in check(_stub).message
    assert "fresh noise" in check(step(same_noise=True)).message
    assert "generator's weights too" in check(step(everything_in_d_step=True)).message
    assert "minimax" in check(step(loss="minimax")).message


def test_projection_head_checker():
    import keras
    from keras import layers

    def head(kind):
        def projection_head(num_classes, feature_dim):
            h, y = keras.Input((feature_dim,)), keras.Input((), dtype="int32")
            if kind == "one-hot":
                return keras.Model([h, y], layers.Dense(1)(layers.Concatenate()([h, layers.CategoryEncoding(num_classes, output_mode="one_hot")(y)])))
            v, u = layers.Embedding(num_classes, feature_dim)(y), layers.Dense(1)(h)
            if kind == "no dense":
                return keras.Model([h, y], layers.Dot(axes=1)([v, h]))
            if kind == "no sum":
                return keras.Model([h, y], layers.Add()([u, layers.Multiply()([v, h])]))
            return keras.Model([h, y], layers.Add()([u, layers.Dot(axes=1)([v, h])]))

        return projection_head

    check = conditional_dcgan.check_projection_head
    assert check(head("right"))
    assert "still empty" in check(_stub).message
    assert "no Embedding" in check(head("one-hot")).message
    assert "unconditional term is missing" in check(head("no dense")).message
    assert "sum the product over the feature axis" in check(head("no sum")).message


def test_class_term_checker_names_each_mistake():
    import numpy as np
    from keras import ops

    def right(requested, logits):
        return ops.mean(ops.sparse_categorical_crossentropy(requested, logits, from_logits=True))

    check = conditional_dcgan.check_class_term
    assert check(right)
    assert "still empty" in check(_stub).message
    assert "not a tensor" in check(lambda y, x: float(ops.convert_to_numpy(right(y, x)))).message
    assert "one cross-entropy per image" in check(lambda y, x: ops.sparse_categorical_crossentropy(y, x, from_logits=True)).message
    assert "summed" in check(lambda y, x: ops.sum(ops.sparse_categorical_crossentropy(y, x, from_logits=True))).message
    assert "sign is flipped" in check(lambda y, x: -right(y, x)).message
    assert "from_logits=True" in check(lambda y, x: ops.mean(ops.sparse_categorical_crossentropy(y, x))).message
    assert "own guess" in check(lambda y, x: right(ops.argmax(x, axis=-1), x)).message
    assert "mean cross-entropy of the requested classes is" in check(lambda y, x: right(y, x) + 0.5).message


@pytest.mark.parametrize("checker", [cnn_operations.check_keras_feature_map, cnn_operations.check_conv2d_backward,
                                     conditional_dcgan.check_projection_head, conditional_dcgan.check_class_term,
                                     dcgan.check_train_step])
def test_a_failing_answer_is_reported_not_raised(checker):
    def broken(*args):
        raise KeyError("oops")

    result = checker(broken)
    assert not result and ("KeyError" in result.message or "KERAS_BACKEND" in result.message)
