"""The exercise checkers of notebook 05 (dcgan).

Each ``check_...`` function runs a learner's answer on fixed cases and returns a
:class:`~prodimg_lib.course.exercises.checking.CheckResult` that says what is right or wrong.
"""

from __future__ import annotations

from typing import Any

from keras import layers
import numpy as np

from prodimg_lib.generation.dcgan import transposed_output_size
from prodimg_lib.generation.losses import d_loss_from_logits
from prodimg_lib.course.exercises.checking import Case, CheckResult, check_cases, failed, is_unanswered, not_answered, passed, run_candidate


def check_transposed_output_size(fn) -> "CheckResult":
    """Check a learner's ``fn(n, kernel, stride, padding)`` against Keras's ``Conv2DTranspose``."""

    cases = [(7, 4, 2, "same"), (14, 4, 2, "same"), (7, 4, 2, "valid"), (4, 3, 1, "valid"), (5, 2, 3, "valid"),
             (3, 3, 3, "same"), (1, 7, 1, "valid")]
    for n, k, s, p in cases:
        got, error = run_candidate("your output-size function", fn, n, k, s, p)
        if error is not None:
            return error
        expected = transposed_output_size(n, k, s, p)
        call = f"n={n}, kernel={k}, stride={s}, padding='{p}'"
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
            return failed(f"for {call} it should return a whole number, got {got!r}.")
        if got == expected:
            continue
        if p == "same" and got == n:
            return failed(f"for {call} you returned {got}: a transposed convolution *multiplies* the size by the stride ('same': n * stride = {expected}).")
        if p == "valid" and got == (n - k) // s + 1:
            return failed(f"for {call} you returned {got}: that is the size of an ordinary (downsampling) convolution; the transposed one goes the other way, (n - 1) * stride + kernel = {expected}.")
        return failed(f"for {call} you returned {got}, expected {expected}.")
    return passed("your formula gives the same sizes as Keras's Conv2DTranspose.")


def check_conv_transpose_parameters(fn) -> "CheckResult":
    """Check a learner's ``fn(kernel, in_channels, out_channels, use_bias)`` against Keras's parameter count."""

    cases = [(4, 128, 64, False), (4, 64, 32, False), (3, 32, 1, True), (5, 3, 7, True), (1, 10, 10, False)]
    for k, cin, cout, bias in cases:
        got, error = run_candidate("your parameter count", fn, k, cin, cout, bias)
        if error is not None:
            return error
        layer = layers.Conv2DTranspose(cout, k, use_bias=bias)
        layer.build((None, 7, 7, cin))
        expected = layer.count_params()
        call = f"kernel={k}, in_channels={cin}, out_channels={cout}, use_bias={bias}"
        if got == expected:
            continue
        if got == k * k * cin * cout + cout and not bias:
            return failed(f"for {call} you returned {got}: with use_bias=False there is no bias vector ({expected}).")
        if got == k * k * cin * cout and bias:
            return failed(f"for {call} you returned {got}: add one bias per output channel ({expected}).")
        if got == k * cin * cout + (cout if bias else 0):
            return failed(f"for {call} you returned {got}: the kernel is k x k, so k * k weights per (input, output) channel pair.")
        return failed(f"for {call} you returned {got}, Keras counts {expected}.")
    return passed("your count matches Keras for every layer.")


def check_smoothed_d_loss(fn) -> "CheckResult":
    """Check a learner's ``fn(real_logits, fake_logits, smoothing)`` (NumPy) against :func:`d_loss_from_logits`."""

    rng = np.random.default_rng(5)
    cases = []
    for smoothing, n in [(0.0, 4), (0.1, 6), (0.2, 3)]:
        real, fake = rng.normal(1, 2, (n, 1)), rng.normal(-1, 2, (n, 1))
        expected = float(d_loss_from_logits(real, fake, smoothing))
        sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
        two_sided = float(np.mean(-(1 - smoothing) * np.log(sig(real)) - smoothing * np.log(1 - sig(real)))
                          + np.mean(-(1 - smoothing) * np.log(1 - sig(fake)) - smoothing * np.log(sig(fake))))
        no_smoothing = float(d_loss_from_logits(real, fake, 0.0))
        probs = float(np.mean(-np.log(real.clip(1e-7, None))) if (real > 0).all() else np.nan)
        mistakes = [(two_sided, "That smooths both sides; one-sided smoothing changes only the real target (to 1 - smoothing), fakes keep 0.")]
        if smoothing:
            mistakes.append((no_smoothing, "The smoothing is not used: the real images' target is 1 - smoothing."))
        cases.append(Case((real, fake, smoothing), expected, f"smoothing={smoothing}, {n} logits each",
                          tuple(m for m in mistakes if np.isfinite(m[0])), nonfinite_hint=(
                              "The inputs are logits: apply the sigmoid first (or use the stable form)." if np.isnan(probs) else "")))
    return check_cases("your discriminator loss", fn, cases)


# --------------------------------------------------------------------------- the training step (TensorFlow)

_STEP_LATENT, _STEP_WIDTH, _STEP_BATCH, _STEP_SEED = 8, 8, 8, 123
_BACKEND_MESSAGE = ("this exercise is written with tf.GradientTape: run the notebook with the TensorFlow backend "
                    "(KERAS_BACKEND=tensorflow).")


def _tiny_gan(template, loss: str, smoothing: float):
    """A small unconditional GAN with the template's weights, the same noise seed and two SGD optimizers.

    SGD (an update proportional to the gradient) makes every mistake visible in the weights; the two
    learning rates differ so that a swapped optimizer changes them too. No dropout: both copies must
    compute exactly the same thing.
    """
    import keras

    from prodimg_lib.generation import dcgan as builders
    from prodimg_lib.generation.gan import GAN

    generator = builders.build_generator(_STEP_LATENT, _STEP_WIDTH)
    discriminator = builders.build_discriminator(_STEP_WIDTH, dropout=0.0)
    if template is not None:  # None: the weights the builders draw
        generator.set_weights(template[0])
        discriminator.set_weights(template[1])
    gan = GAN(generator, discriminator, latent_dim=_STEP_LATENT, seed=_STEP_SEED)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.05), g_optimizer=keras.optimizers.SGD(0.1), loss=loss, label_smoothing=smoothing)
    return gan


class _StepRecorder:
    """Records what a step does with the GAN: each optimizer update (which weights) and each noise draw."""

    def __init__(self, gan):
        self.updates: list[tuple[str, list[int]]] = []
        self.draws: list[Any] = []
        self.g_ids = [id(v) for v in gan.generator.trainable_variables]
        self.d_ids = [id(v) for v in gan.discriminator.trainable_variables]
        for who, optimizer, own in (("d", gan.d_optimizer, self.d_ids), ("g", gan.g_optimizer, self.g_ids)):
            optimizer.apply = self._recording(optimizer.apply, who, own)
        draw = gan.sample_inputs

        def sample_inputs(batch_size):
            self.draws.append(batch_size)
            return draw(batch_size)

        gan.sample_inputs = sample_inputs

    def _recording(self, apply, who, own):
        def recorded(grads, trainable_variables=None):
            ids = own if trainable_variables is None else [id(v) for v in trainable_variables]
            self.updates.append((who, ids))
            return apply(grads, trainable_variables)

        return recorded

    def problem(self, finished: bool = True) -> str | None:
        """What the recorded updates and draws show to be wrong, or None.

        ``finished`` is False when the step raised: then only the updates it made are judged.
        """
        g_ids, d_ids = set(self.g_ids), set(self.d_ids)
        d_calls = [set(ids) for who, ids in self.updates if who == "d"]
        g_calls = [set(ids) for who, ids in self.updates if who == "g"]
        right = "gan.d_optimizer updates the discriminator, gan.g_optimizer the generator (each keeps its own state for its own network)."
        if d_calls and g_calls and all(c <= g_ids for c in d_calls) and all(c <= d_ids for c in g_calls):
            return "the optimizers are swapped: " + right
        for c in d_calls:
            if c & g_ids and c & d_ids:
                return ("the discriminator step changed the generator's weights too: in that step the generator must not learn. "
                        "Make the fake images before the tape and ask the tape for the gradient with respect to "
                        "gan.discriminator.trainable_weights only.")
            if c & g_ids:
                return "gan.d_optimizer was given the generator's weights, the wrong optimizer: " + right
        for c in g_calls:
            if c & g_ids and c & d_ids:
                return ("the generator step changed the discriminator's weights too: only the generator learns in that step; "
                        "ask the tape for the gradient of g_loss with respect to gan.generator.trainable_weights only.")
            if c & d_ids:
                return "gan.g_optimizer was given the discriminator's weights, the wrong optimizer: " + right
        if not finished:
            return None
        if not d_calls:
            return "the discriminator's weights were not updated: apply its gradients with gan.d_optimizer.apply(grads, weights)."
        if not g_calls:
            return "the generator's weights were not updated: apply its gradients with gan.g_optimizer.apply(grads, weights)."
        if len(d_calls) > 1 or len(g_calls) > 1:
            return (f"the discriminator was updated {len(d_calls)} times and the generator {len(g_calls)} times: one step "
                    "updates each network once.")
        if self.updates[0][0] == "g":
            return ("the generator was updated first: the discriminator step comes first, then the generator step through "
                    "the updated discriminator.")
        if d_calls[0] != d_ids or g_calls[0] != g_ids:
            return ("only some of the weights were updated: use all of gan.discriminator.trainable_weights and "
                    "gan.generator.trainable_weights.")
        if not self.draws:
            return ("the noise does not come from gan.sample_inputs: draw it with noise, _ = gan.sample_inputs(batch_size), "
                    "so that the step is reproducible (the GAN's own seed).")
        if len(self.draws) == 1:
            return ("gan.sample_inputs was called only once: the generator step reused the discriminator step's noise. "
                    "Draw fresh noise for the generator step with a second gan.sample_inputs(batch_size).")
        if len(self.draws) > 2:
            return f"gan.sample_inputs was called {len(self.draws)} times: draw noise once for each of the two steps."
        if any(_as_int(n) != _STEP_BATCH for n in self.draws):
            return f"gan.sample_inputs was called with {self.draws}: draw as many noise vectors as there are real images ({_STEP_BATCH})."
        return None


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _variant_step(gan, real, *, loss=None, smoothing=None, training=True, old_discriminator=False, swapped=False):
    """The library's TensorFlow step, with one of the typical mistakes switched on (all off: the step itself)."""
    import tensorflow as tf

    from prodimg_lib.generation.losses import g_loss_from_logits

    discriminator, generator = gan.discriminator, gan.generator
    loss = gan.loss_kind if loss is None else loss
    smoothing = gan.label_smoothing if smoothing is None else smoothing
    n = int(real.shape[0])
    noise, _ = gan.sample_inputs(n)
    fake = generator(noise, training=training)
    with tf.GradientTape() as tape:
        real_logits, fake_logits = discriminator(real, training=training), discriminator(fake, training=training)
        d_loss = d_loss_from_logits(fake_logits, real_logits, smoothing) if swapped else d_loss_from_logits(real_logits, fake_logits, smoothing)
    d_grads = tape.gradient(d_loss, discriminator.trainable_weights)
    if not old_discriminator:
        gan.d_optimizer.apply(d_grads, discriminator.trainable_weights)
    noise, _ = gan.sample_inputs(n)
    with tf.GradientTape() as tape:
        g_loss = g_loss_from_logits(discriminator(generator(noise, training=training), training=training), loss)
    g_grads = tape.gradient(g_loss, generator.trainable_weights)
    if old_discriminator:
        gan.d_optimizer.apply(d_grads, discriminator.trainable_weights)
    gan.g_optimizer.apply(g_grads, generator.trainable_weights)
    return {"d_loss": d_loss, "g_loss": g_loss}


def _trainable(model) -> list[np.ndarray]:
    import keras

    return [np.asarray(keras.ops.convert_to_numpy(v), dtype=np.float64) for v in model.trainable_variables]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.allclose(x, y, rtol=1e-5, atol=1e-5) for x, y in zip(a, b))


def _scalar(value) -> float | None:
    import keras

    try:
        array = np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)
    except Exception:  # not a number at all
        return None
    return float(array) if array.size == 1 else None


def _reset(gan, template, seed_state, loss: str, smoothing: float):
    """Put a tiny GAN back to its starting point: the template's weights, the first noise, this loss."""
    gan.generator.set_weights(template[0])
    gan.discriminator.set_weights(template[1])
    gan.seed_generator.state.assign(seed_state)
    gan.loss_kind, gan.label_smoothing = loss, smoothing
    for metric in gan.metrics:  # the step returns the epoch means: start them again
        metric.reset_state()
    return gan


def _check_step_once(fn, template, real, reference, seed_state, loss: str, smoothing: float) -> CheckResult:
    """Run the learner's step and the library's on two identical GANs; compare weights and losses, name mistakes."""
    from prodimg_lib.generation.steps import tensorflow_train_step

    expected = tensorflow_train_step(_reset(reference, template, seed_state, loss, smoothing), real)
    expected = {k: float(np.asarray(expected[k])) for k in ("d_loss", "g_loss")}
    reference_weights = (_trainable(reference.discriminator), _trainable(reference.generator))
    learner = _tiny_gan(template, loss, smoothing)
    recorder = _StepRecorder(learner)
    got, error = run_candidate("my_train_step", fn, learner, real)
    if error is None and got is None and not recorder.updates:
        return not_answered("my_train_step")
    problem = recorder.problem(finished=error is None)
    if problem is not None:
        return failed(problem)
    if error is not None:
        hint = (" (gan.sample_inputs returns a pair: noise, labels = gan.sample_inputs(batch_size); labels is None here)"
                if recorder.draws else "")
        return failed(error.message + hint)
    if not isinstance(got, dict):
        return failed(f"my_train_step should return a dict {{'d_loss': ..., 'g_loss': ...}}, got {type(got).__name__}.")
    missing = [k for k in ("d_loss", "g_loss") if k not in got]
    if missing:
        return failed(f"the returned dict has no {' and no '.join(repr(k) for k in missing)}: return {{'d_loss': d_loss, 'g_loss': g_loss}}.")
    learner_weights = (_trainable(learner.discriminator), _trainable(learner.generator))
    d_ok = _same(learner_weights[0], reference_weights[0])
    g_ok = _same(learner_weights[1], reference_weights[1])
    if not (d_ok and g_ok):
        training = (dict(training=False), "call the networks with training=True (gan.generator(noise, training=True), and the "
                                          "same for the discriminator): in training, BatchNormalization uses the batch's statistics.")
        if not d_ok:  # the discriminator step went wrong
            variants = [training,
                        (dict(swapped=True), "real and fake are swapped in the discriminator's loss: d_loss_from_logits("
                                             "real_logits, fake_logits, ...) takes the logits of the real images first.")]
            if smoothing:
                variants.append((dict(smoothing=0.0), f"the discriminator's loss ignores the label smoothing ({smoothing} here): "
                                                      "d_loss_from_logits(real_logits, fake_logits, gan.label_smoothing)."))
        else:  # only the generator step went wrong
            other = "non_saturating" if loss == "minimax" else "minimax"
            variants = [
                (dict(old_discriminator=True), "the generator step went through the discriminator as it was before its update: "
                                               "apply the discriminator's gradients first, then compute the generator's loss in a "
                                               "second tape, through the updated discriminator."),
                (dict(loss=other), f"the generator's loss ignores gan.loss_kind (it is {loss!r} here): use "
                                   "g_loss_from_logits(logits, gan.loss_kind)." if loss == "minimax" else
                                   "the generator minimised the minimax loss; use g_loss_from_logits(logits, gan.loss_kind), "
                                   "the non-saturating loss here."),
                training,
            ]
        for flags, message in variants:
            _variant_step(_reset(reference, template, seed_state, loss, smoothing), real, **flags)
            if _same(learner_weights[0], _trainable(reference.discriminator)) and _same(learner_weights[1], _trainable(reference.generator)):
                return failed(message)
        wrong = [name for name, ok in (("discriminator", d_ok), ("generator", g_ok)) if not ok]
        where = " and the ".join(wrong)
        return failed(f"after your step the {where}'s weights differ from those of the library's step "
                      f"(tensorflow_train_step in prodimg_lib.generation.steps).")
    for key in ("d_loss", "g_loss"):
        value, want = _scalar(got[key]), expected[key]
        if value is None:
            return failed(f"{key} should be a number (a scalar tensor), got {type(got[key]).__name__}.")
        if not np.isclose(value, want, rtol=1e-5, atol=1e-5):
            return failed(f"the weights are updated correctly, but the returned {key} is {value:.6g}, expected {want:.6g}: "
                          f"return the loss computed in its step.")
    return passed()


def check_train_step(fn) -> "CheckResult":
    """Check a learner's ``fn(gan, real)``: one GAN training step written with ``tf.GradientTape`` (TensorFlow only).

    Two identical small GANs (same weights, same noise seed) take one step on the same batch,
    one with the library's :func:`~prodimg_lib.generation.steps.tensorflow_train_step`, the other
    with ``fn``; their weights and losses must agree. Run twice: with the non-saturating loss,
    then with ``loss="minimax"`` and ``label_smoothing=0.1``.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        return failed(_BACKEND_MESSAGE)
    if is_unanswered(fn):
        return not_answered("my_train_step")
    if not callable(fn):
        return failed(f"my_train_step should be a function, got {type(fn).__name__}.")
    keras.utils.set_random_seed(0)
    reference = _tiny_gan(None, "non_saturating", 0.0)
    template = (reference.generator.get_weights(), reference.discriminator.get_weights())
    real = keras.ops.convert_to_tensor(np.random.default_rng(9).uniform(-1, 1, (_STEP_BATCH, 28, 28, 1)).astype("float32"))
    seed_state = np.asarray(keras.ops.convert_to_numpy(reference.seed_generator.state))
    for loss, smoothing in (("non_saturating", 0.0), ("minimax", 0.1)):
        result = _check_step_once(fn, template, real, reference, seed_state, loss, smoothing)
        if not result:
            if smoothing and result.message.startswith("my_train_step is still empty"):
                return result
            prefix = f"With compile(loss='{loss}', label_smoothing={smoothing}): " if smoothing else ""
            return failed(prefix + result.message)
    return passed("your step updates both networks exactly as the library's tensorflow_train_step does, "
                  "with the non-saturating and the minimax loss, with and without label smoothing.")
