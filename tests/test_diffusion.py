"""Diffusion and flow matching: the forward processes, the training batches, the sampling steps, the U-Net.

Tiny sizes throughout (8x8 images, width 8, three classes), so that the file runs in seconds on
every backend. The samplers are checked twice: with small untrained U-Nets (shapes, seeds, the
cost in network calls, errors) and with *oracle* networks that know the clean image of every
class, with which a correct sampler must return that image exactly.
"""

import math

import keras
import numpy as np
import pytest
from keras import layers, ops

from prodimg_lib.generation import diffusion, unet
from prodimg_lib.generation.diffusion import NoisyBatches

SHAPE = (8, 8, 1)
CLASSES = 3
NULL = CLASSES  # the null label of classifier-free guidance


def _images(n, seed=0, shape=SHAPE, low=-0.9, high=0.9):
    return np.random.default_rng(seed).uniform(low, high, (n, *shape)).astype(np.float32)


def _normal(shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _batches(n=20, objective="flow", batch_size=4, images=None, labels=None, **kwargs):
    images = _images(n) if images is None else images
    labels = np.arange(len(images)) % CLASSES if labels is None else labels
    kwargs.setdefault("num_classes", CLASSES)
    kwargs.setdefault("image_shape", images.shape[1:])
    return NoisyBatches(images, labels, batch_size, objective, **kwargs)


# --------------------------------------------------------------------------- the schedule


def test_linear_schedule_is_the_cumulative_product_of_ddpms_betas():
    ab = diffusion.ddpm_alpha_bars(1000, "linear")
    expected, running = [1.0], 1.0
    for k in range(1000):  # DDPM (Ho et al., 2020): beta_1 = 1e-4 .. beta_T = 0.02, evenly spaced
        running *= 1.0 - (1e-4 + k * (0.02 - 1e-4) / 999)
        expected.append(running)
    np.testing.assert_allclose(ab, expected, rtol=1e-12)
    assert ab.dtype == np.float64 and ab.shape == (1001,)
    assert ab[1] == pytest.approx(1 - 1e-4) and ab[-1] == pytest.approx(4.04e-5, rel=0.01)  # the paper's alpha_bar_T


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize("steps", [2, 10, 1000])
def test_schedules_start_at_one_and_decrease_strictly_inside_zero_one(schedule, steps):
    ab = diffusion.ddpm_alpha_bars(steps, schedule)
    assert ab.shape == (steps + 1,) and ab[0] == 1.0
    assert np.all(np.diff(ab) < 0)
    assert np.all((ab > 0) & (ab <= 1))


def test_cosine_schedule_ends_near_pure_noise_and_keeps_more_signal_halfway():
    cosine, linear = diffusion.ddpm_alpha_bars(1000, "cosine"), diffusion.ddpm_alpha_bars(1000, "linear")
    assert cosine[-1] < 1e-6
    assert cosine[500] > 2 * linear[500]  # the linear schedule has destroyed more of a small image halfway
    assert np.array_equal(diffusion.ddpm_alpha_bars(), cosine)  # the default


@pytest.mark.parametrize("kwargs, message", [
    ({"schedule": "quadratic"}, "schedule must be 'linear' or 'cosine'"),
    ({"steps": 1}, "steps must be an integer >= 2"),
    ({"steps": 10.5}, "steps must be"),
    ({"steps": True}, "steps must be"),
])
def test_bad_schedule_arguments_are_errors_that_name_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        diffusion.ddpm_alpha_bars(**kwargs)


# --------------------------------------------------------------------------- the forward processes


def test_add_noise_and_flow_interpolate_on_known_numbers():
    x0 = np.full((3, 2, 2, 1), 0.5, np.float32)
    noise = np.full((3, 2, 2, 1), -1.0, np.float32)
    out = diffusion.add_noise(x0, noise, 0.64)  # 0.8 * 0.5 + 0.6 * (-1)
    assert out.dtype == np.float32 and out.shape == x0.shape
    np.testing.assert_allclose(out, -0.2, atol=1e-7)
    per_image = diffusion.add_noise(x0, noise, [1.0, 0.0, 0.64])  # clean, pure noise, a mixture
    np.testing.assert_allclose(per_image[:, 0, 0, 0], [0.5, -1.0, -0.2], atol=1e-7)
    out = diffusion.flow_interpolate(x0, noise, 0.25)  # 0.75 * 0.5 + 0.25 * (-1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 0.125, atol=1e-7)
    per_image = diffusion.flow_interpolate(x0, noise, np.array([0.0, 1.0, 0.25]))
    np.testing.assert_allclose(per_image[:, 1, 1, 0], [0.5, -1.0, 0.125], atol=1e-7)


@pytest.mark.parametrize("function", [diffusion.add_noise, diffusion.flow_interpolate])
def test_forward_processes_refuse_values_that_do_not_fit_the_images(function):
    x0, noise = _images(3), _normal((3, *SHAPE))
    with pytest.raises(ValueError, match=r"one value per image, shape \(3,\)"):
        function(x0, noise, [0.5, 0.5])
    with pytest.raises(ValueError, match="one value per image"):
        function(x0, noise, np.full((3, 1), 0.5))
    with pytest.raises(ValueError, match="noise must have the shape of x0"):
        function(x0, noise[0], 0.5)  # one noise image would be broadcast to every image
    with pytest.raises(ValueError, match=r"x0 must be a batch of images \(N, H, W, C\)"):
        function(x0[0], noise[0], 0.5)  # a single image: its rows would be taken for images


def test_add_noise_has_the_documented_mean_and_variance_over_many_draws():
    n = 20000
    x0 = np.broadcast_to(np.array([-1.0, -0.3, 0.4, 1.0], np.float32).reshape(1, 2, 2, 1), (n, 2, 2, 1))
    for alpha_bar in (0.9, 0.3, 0.02):
        x_t = diffusion.add_noise(x0, _normal((n, 2, 2, 1), seed=int(alpha_bar * 100)), alpha_bar)
        np.testing.assert_allclose(x_t.mean(axis=0), math.sqrt(alpha_bar) * x0[0], atol=0.03)
        np.testing.assert_allclose(x_t.var(axis=0), 1 - alpha_bar, atol=0.03)


# --------------------------------------------------------------------------- the training batches


@pytest.mark.parametrize("objective", ["flow", "ddpm"])
def test_batches_have_the_inputs_and_target_fit_expects(objective):
    batches = _batches(objective=objective)
    (x_t, t, labels), target = batches[0]
    assert x_t.shape == target.shape == (4, *SHAPE) and t.shape == labels.shape == (4,)
    assert (x_t.dtype, t.dtype, labels.dtype, target.dtype) == (np.float32, np.float32, np.int32, np.float32)
    assert np.all((t >= 0) & (t <= 1)) and np.all((labels >= 0) & (labels <= NULL))
    assert len(batches) == 5


def test_flow_batches_hold_every_image_once_per_epoch_on_its_straight_path():
    images = _images(20)
    labels = np.arange(20) % CLASSES
    batches = _batches(images=images, labels=labels, p_uncond=0.0)
    orders = []
    for epoch in (0, 1):
        batches.set_epoch(epoch)
        order = []
        for i in range(len(batches)):
            (x_t, t, got_labels), target = batches[i]  # target = noise - x0, so x0 = x_t - t * target
            x0 = x_t - t[:, None, None, None] * target
            distances = np.abs(x0[:, None] - images[None]).max(axis=(2, 3, 4))
            index = distances.argmin(axis=1)
            assert distances.min(axis=1).max() < 1e-5
            np.testing.assert_array_equal(got_labels, labels[index])
            order.extend(index)
        assert sorted(order) == list(range(20))  # a permutation of the data set
        orders.append(order)
    assert orders[0] != orders[1]  # reshuffled in the second epoch


@pytest.mark.parametrize("alpha_bars", [None, diffusion.ddpm_alpha_bars(10, "linear")])
def test_ddpm_batches_are_the_closed_form_at_the_level_given_by_t(alpha_bars):
    x0 = _images(1)  # every image the same: x0 is known whatever the order
    batches = _batches(images=np.repeat(x0, 12, axis=0), objective="ddpm", batch_size=12, alpha_bars=alpha_bars)
    steps = 1000 if alpha_bars is None else 10
    assert len(batches.alpha_bars) == steps + 1
    (x_t, t, _), target = batches[0]
    k = np.round(t.astype(np.float64) * steps).astype(int)  # the level: t = k / T
    np.testing.assert_allclose(t * steps, k, atol=1e-3)
    assert np.all((k >= 1) & (k <= steps)) and len(set(k)) > 1
    ab = batches.alpha_bars[k][:, None, None, None]
    np.testing.assert_allclose(x_t, np.sqrt(ab) * x0 + np.sqrt(1 - ab) * target, atol=1e-6)
    assert abs(target.mean()) < 0.2 and 0.7 < target.std() < 1.3  # the target is the standard normal noise


def test_labels_are_dropped_to_the_null_label_at_the_p_uncond_rate():
    images, labels = _images(2000, shape=(2, 2, 1)), np.ones(2000, np.int32)
    (_, _, got), _ = _batches(images=images, labels=labels, batch_size=2000, p_uncond=0.3)[0]
    assert set(np.unique(got)) == {1, NULL}
    assert np.mean(got == NULL) == pytest.approx(0.3, abs=0.05)
    for i in range(3):
        (_, _, got), _ = _batches(images=images, labels=labels, batch_size=500, p_uncond=0.0)[i]
        assert np.all(got == 1)


def _assert_same_batch(a, b):
    for x, y in zip([*a[0], a[1]], [*b[0], b[1]]):
        np.testing.assert_array_equal(x, y)


def _differ(a, b):
    return not np.array_equal(a[0][0], b[0][0])


@pytest.mark.parametrize("objective", ["flow", "ddpm"])
def test_a_batch_depends_only_on_seed_epoch_and_index(objective):
    first = _batches(objective=objective, seed=3)
    epoch0 = [first[i] for i in range(len(first))]
    second = _batches(objective=objective, seed=3)
    _assert_same_batch(second[3], epoch0[3])  # in any order of access
    _assert_same_batch(second[0], epoch0[0])
    assert _differ(_batches(objective=objective, seed=4)[0], epoch0[0])
    first.on_epoch_end()  # what fit calls: the next epoch, a new order, new noise
    assert first.epoch == 1 and _differ(first[0], epoch0[0])
    epoch1 = first[2]
    second.set_epoch(1)  # a resumed run continues with the order of its epoch
    _assert_same_batch(second[2], epoch1)
    second.set_epoch(0)
    for i in range(len(second)):
        _assert_same_batch(second[i], epoch0[i])


def test_batches_per_epoch_caps_the_number_of_full_batches():
    assert len(_batches(n=22)) == 5  # full batches only
    assert len(_batches(batches_per_epoch=2)) == 2
    assert len(_batches(batches_per_epoch=10)) == 5
    short = _batches(batches_per_epoch=2, seed=5)
    _assert_same_batch(short[1], _batches(seed=5)[1])  # the first batches of each order
    with pytest.raises(IndexError, match="batch 2 out of range"):
        short[2]


def test_logit_normal_times_favour_the_middle():
    images = _images(4000, shape=(1, 1, 1))
    shares = {}
    for sampling in ("logit_normal", "uniform"):
        (_, t, _), _ = _batches(images=images, batch_size=4000, time_sampling=sampling)[0]
        assert 0 < t.min() and t.max() < 1
        shares[sampling] = np.mean((t > 0.25) & (t < 0.75))
    assert shares["uniform"] == pytest.approx(0.5, abs=0.04)
    assert shares["logit_normal"] == pytest.approx(0.73, abs=0.04)  # P(|n| < logit(0.75)) for n ~ N(0, 1)


@pytest.mark.parametrize("change, error, message", [
    ({"images": (_images(20) * 127 + 128).astype(np.uint8)}, TypeError, "uint8 pixels"),
    ({"images": (_images(20) + 1) / 2}, ValueError, r"looks like \[0, 1\] scaling"),
    ({"images": _images(20)[..., 0]}, ValueError, "without the channel axis"),
    ({"labels": np.arange(20) % CLASSES + 1}, ValueError, r"labels must be in \[0, 3\)"),
    ({"labels": np.arange(19) % CLASSES}, ValueError, "one class index per image"),
    ({"labels": np.arange(20) / 20}, TypeError, "labels must be integer class indices"),
    ({"batch_size": 21}, ValueError, "too little data for one batch: 20 images but batch_size=21"),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
    ({"objective": "score"}, ValueError, "objective must be one of"),
    ({"time_sampling": "beta"}, ValueError, "time_sampling must be one of"),
    ({"p_uncond": 1.0}, ValueError, "p_uncond must be <="),
    ({"num_classes": 1, "labels": np.zeros(20, int)}, ValueError, "num_classes must be an integer >= 2"),
    ({"batches_per_epoch": 0}, ValueError, "batches_per_epoch must be a positive integer"),
])
def test_bad_batches_arguments_are_clear_errors(change, error, message):
    kwargs = {"images": _images(20), "labels": np.arange(20) % CLASSES, "batch_size": 4, "objective": "flow",
              "num_classes": CLASSES, "image_shape": SHAPE, **change}
    with pytest.raises(error, match=message):
        NoisyBatches(kwargs.pop("images"), kwargs.pop("labels"), kwargs.pop("batch_size"), kwargs.pop("objective"),
                     **kwargs)


# --------------------------------------------------------------------------- the steps


def test_a_deterministic_ddim_step_with_the_true_noise_lands_on_the_forward_process():
    ab = diffusion.ddpm_alpha_bars()
    x0, eps = _images(4).astype(np.float64), _normal((4, *SHAPE)).astype(np.float64)
    for t, s in [(600, 300), (1000, 1), (50, 0), (2, 1)]:
        # in float64: at t = T, sqrt(alpha_bar) is 5e-5, and x_t in float32 would lose x0's digits
        x_t = np.sqrt(ab[t]) * x0 + np.sqrt(1 - ab[t]) * eps
        for clip in (True, False):
            x_s = diffusion.ddim_step(x_t, eps, ab[t], ab[s], clip=clip)
            assert x_s.dtype == np.float32
            np.testing.assert_allclose(x_s, np.sqrt(ab[s]) * x0 + np.sqrt(1 - ab[s]) * eps, atol=1e-5)
        noise = _normal(x0.shape, seed=9)
        np.testing.assert_array_equal(diffusion.ddim_step(x_t, eps, ab[t], ab[s], eta=0.0, noise=noise),
                                      diffusion.ddim_step(x_t, eps, ab[t], ab[s]))  # eta = 0 adds no noise


def test_ddim_clips_the_predicted_clean_image():
    ab = diffusion.ddpm_alpha_bars()
    x_t = 3 * _normal((4, *SHAPE))
    wrong = np.zeros_like(x_t)  # a bad noise prediction: x0_hat = x_t / sqrt(ab_t), far outside [-1, 1]
    np.testing.assert_allclose(diffusion.ddim_step(x_t, wrong, ab[500], 1.0), np.clip(x_t / np.sqrt(ab[500]), -1, 1),
                               atol=1e-6)
    np.testing.assert_allclose(diffusion.ddim_step(x_t, wrong, ab[500], 1.0, clip=False), x_t / np.sqrt(ab[500]),
                               rtol=1e-6)


@pytest.mark.parametrize("t", [2, 300, 999])
def test_eta_one_one_level_down_is_ddpms_posterior(t):
    ab = diffusion.ddpm_alpha_bars()
    s = t - 1
    beta = 1 - ab[t] / ab[s]
    beta_tilde = (1 - ab[s]) / (1 - ab[t]) * beta  # DDPM's posterior variance of x_{t-1} given x_t and x0
    x0, eps = _images(2, low=-0.5, high=0.5), _normal((2, *SHAPE))
    x_t = diffusion.add_noise(x0, eps, ab[t])
    mean = diffusion.ddim_step(x_t, eps, ab[t], ab[s], eta=1.0, noise=np.zeros_like(x_t))
    shifted = diffusion.ddim_step(x_t, eps, ab[t], ab[s], eta=1.0, noise=np.ones_like(x_t))
    np.testing.assert_allclose(shifted - mean, math.sqrt(beta_tilde), rtol=1e-4)
    posterior_mean = (np.sqrt(ab[s]) * beta / (1 - ab[t]) * x0
                      + np.sqrt(1 - beta) * (1 - ab[s]) / (1 - ab[t]) * x_t)  # DDPM's mu_tilde(x_t, x0)
    np.testing.assert_allclose(mean, posterior_mean, atol=1e-5)
    with pytest.raises(ValueError, match="eta > 0 adds noise: pass noise"):
        diffusion.ddim_step(x_t, eps, ab[t], ab[s], eta=1.0)


def test_an_euler_step_with_the_exact_velocity_follows_the_straight_path():
    x0, eps = _images(3), _normal((3, *SHAPE))
    velocity = eps - x0
    out = diffusion.euler_step(diffusion.flow_interpolate(x0, eps, 1.0), velocity, 1.0, 0.0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, x0, atol=1e-6)  # from pure noise to the image in one step
    out = diffusion.euler_step(diffusion.flow_interpolate(x0, eps, 0.7), velocity, 0.7, 0.2)
    np.testing.assert_allclose(out, diffusion.flow_interpolate(x0, eps, 0.2), atol=1e-6)


def test_guidance_mixes_the_two_predictions_linearly():
    c, u = _normal((2, *SHAPE), seed=1), _normal((2, *SHAPE), seed=2)
    np.testing.assert_array_equal(diffusion.guided(c, u, 0.0), u)
    np.testing.assert_allclose(diffusion.guided(c, u, 1.0), c, atol=1e-6)
    for s in (-1.0, 0.5, 3.0, 7.5):
        np.testing.assert_allclose(diffusion.guided(c, u, s), u + s * (c - u), atol=1e-5)
    np.testing.assert_allclose(diffusion.guided(c, u, 3.0) - diffusion.guided(c, u, 2.0), c - u, atol=1e-5)


# --------------------------------------------------------------------------- sampling


def _oracle(objective, targets, alpha_bars=None):
    """A network that knows the clean image of every label (``targets``: one image per label, the null label's last).

    Its prediction is the exact noise (DDPM) or velocity (flow) of the straight path from that
    image through ``x_t``, so a correct sampler must end on the label's image.
    """
    n_labels, shape = len(targets), targets.shape[1:]
    x = keras.Input(shape, name="noisy")
    t = keras.Input((), name="t")
    labels = keras.Input((), dtype="int32", name="labels")
    embedding = layers.Embedding(n_labels, int(np.prod(shape)), name="label_embedding")
    x0 = layers.Reshape(shape)(embedding(labels))
    if objective == "flow":
        def predict(args):  # v = (x_t - x0) / t, since x_t = (1 - t) x0 + t eps
            x_t, x0_, t_ = args
            return (x_t - x0_) / ops.reshape(t_, (-1, 1, 1, 1))
    else:
        table, steps = np.asarray(alpha_bars, np.float32), len(alpha_bars) - 1

        def predict(args):  # eps = (x_t - sqrt(ab) x0) / sqrt(1 - ab), at the level k = t * T
            x_t, x0_, t_ = args
            k = ops.cast(ops.round(t_ * steps), "int32")
            ab = ops.reshape(ops.take(ops.convert_to_tensor(table), k), (-1, 1, 1, 1))
            return (x_t - ops.sqrt(ab) * x0_) / ops.sqrt(1.0 - ab)
    model = keras.Model([x, t, labels], layers.Lambda(predict)([x, x0, t]))
    embedding.set_weights([targets.reshape(n_labels, -1)])
    return model


@pytest.mark.parametrize("objective, steps", [("flow", 1), ("flow", 4), ("ddpm", 1), ("ddpm", 4)])
def test_a_sampler_with_an_exact_network_returns_the_image_of_the_class(objective, steps):
    targets = _images(CLASSES + 1, seed=3, low=-0.4, high=0.4)
    targets[NULL] = 0.0
    alpha_bars = diffusion.ddpm_alpha_bars(1000, "linear")
    oracle = _oracle(objective, targets, alpha_bars)
    labels = np.array([0, 1, 2, NULL, 1])
    noise = _normal((len(labels), *SHAPE), seed=5)
    sampler = diffusion.Sampler(oracle, objective, alpha_bars=alpha_bars)
    images = sampler.run(noise, labels, steps)
    # float32: at t = T the image is 0.6% of x_t (sqrt(alpha_bar_T) = 0.0064), so a 1e-7 error in x_t
    # weighs about 1e-4 in the clean image the first step predicts
    np.testing.assert_allclose(images, targets[labels], atol=1e-3)
    assert sampler.calls == len(labels) * steps
    # guidance: the mix of the predictions for the class and for the null label; here it points
    # at null + s * (class - null), which the sampler must reach (inside [-1, 1], so unclipped)
    for scale in (0.0, 2.0):
        guided = diffusion.Sampler(oracle, objective, alpha_bars=alpha_bars).run(noise, labels, steps, guidance=scale)
        np.testing.assert_allclose(guided, targets[NULL] + scale * (targets[labels] - targets[NULL]), atol=1e-3)


def test_sample_with_an_exact_ddpm_network_and_random_steps_still_ends_on_the_image():
    targets = _images(CLASSES + 1, seed=4, low=-0.5, high=0.5)
    oracle = _oracle("ddpm", targets, diffusion.ddpm_alpha_bars())
    labels = np.array([2, 0, 1])
    images = diffusion.sample(oracle, "ddpm", labels, steps=5, eta=1.0, seed=7)
    np.testing.assert_allclose(images, targets[labels], atol=1e-3)  # the last step (to level 0) adds no noise


@pytest.fixture(scope="module")
def small_unet():
    """An untrained U-Net for 8x8 images whose last layer is random (an untrained one predicts exactly 0)."""
    keras.utils.set_random_seed(0)
    net = unet.build_unet(SHAPE, width=8, num_classes=CLASSES)
    last = net.get_layer("prediction")
    last.kernel.assign(0.3 * _normal(tuple(last.kernel.shape), seed=11))
    return net


@pytest.mark.parametrize("objective", ["flow", "ddpm"])
def test_sample_gives_images_in_range_reproducible_from_the_seed(small_unet, objective):
    labels = [0, 1, 2, NULL]
    images = diffusion.sample(small_unet, objective, labels, steps=2, seed=1)
    assert images.shape == (4, *SHAPE) and images.dtype == np.float32
    assert images.min() >= -1 and images.max() <= 1 and np.all(np.isfinite(images))
    again = diffusion.sample(small_unet, objective, labels, steps=2, seed=1)
    np.testing.assert_array_equal(images, again)
    other = diffusion.sample(small_unet, objective, labels, steps=2, seed=2)
    assert not np.allclose(images, other)
    guided = diffusion.sample(small_unet, objective, labels, steps=2, seed=1, guidance=3.0)
    assert guided.shape == images.shape and not np.allclose(guided, images)


@pytest.mark.parametrize("objective", ["flow", "ddpm"])
def test_guidance_doubles_the_network_calls(small_unet, objective):
    noise, labels = _normal((3, *SHAPE)), np.array([0, 1, 2])
    plain = diffusion.Sampler(small_unet, objective)
    plain.run(noise, labels, steps=3)
    assert plain.calls == 3 * 3  # images x steps
    guided = diffusion.Sampler(small_unet, objective)
    guided.run(noise, labels, steps=3, guidance=2.0)
    assert guided.calls == 2 * 3 * 3  # the conditional and the unconditional prediction
    assert guided.null == NULL == unet.null_label(small_unet)


def test_ddpm_sampling_with_eta_one_depends_on_the_seed_only(small_unet):
    noise, labels = _normal((2, *SHAPE)), np.array([0, 1])
    sampler = diffusion.Sampler(small_unet, "ddpm")
    a = sampler.run(noise, labels, steps=3, eta=1.0, seed=1)
    np.testing.assert_array_equal(a, sampler.run(noise, labels, steps=3, eta=1.0, seed=1))
    assert not np.allclose(a, sampler.run(noise, labels, steps=3, eta=1.0, seed=2))
    deterministic = sampler.run(noise, labels, steps=3, eta=0.0, seed=1)
    np.testing.assert_array_equal(deterministic, sampler.run(noise, labels, steps=3, eta=0.0, seed=2))


@pytest.mark.parametrize("kwargs, message", [
    ({"labels": [0, NULL + 1]}, r"labels must be in \[0, 4\)"),
    ({"labels": [-1, 0]}, r"labels must be in \[0, 4\)"),
    ({"steps": 0}, "steps must be a positive integer"),
    ({"steps": 2.5}, "steps must be a positive integer"),
    ({"guidance": -1.0}, "guidance must be >= 0"),
    ({"eta": 1.5}, "eta must be <= 1"),
    ({"objective": "score"}, "objective must be one of"),
])
def test_bad_sampling_arguments_are_clear_errors(small_unet, kwargs, message):
    kwargs = {"objective": "flow", "labels": [0, 1], **kwargs}
    with pytest.raises(ValueError, match=message):
        diffusion.sample(small_unet, kwargs.pop("objective"), kwargs.pop("labels"), **kwargs)


def test_sampling_labels_must_be_integers(small_unet):
    with pytest.raises(TypeError, match="labels must be integer class indices"):
        diffusion.sample(small_unet, "flow", [0.5, 1.0])


# --------------------------------------------------------------------------- the U-Net


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_unet_predicts_an_image_shaped_zero_before_training(shape):
    keras.utils.set_random_seed(0)
    net = unet.build_unet(shape, width=8, num_classes=10)
    assert net.output_shape == (None, *shape)
    x = _images(2, shape=shape)
    out = ops.convert_to_numpy(net([x, np.array([0.1, 0.9], np.float32), np.array([3, 10], np.int32)], training=False))
    assert out.shape == (2, *shape) and out.dtype == np.float32
    assert np.all(out == 0)  # the last layer starts at zero
    assert unet.null_label(net) == 10


def test_unet_null_label_is_its_number_of_classes():
    assert unet.null_label(unet.build_unet(SHAPE, width=4, num_classes=5)) == 5
    assert unet.null_label(unet.build_unet(SHAPE, width=4, num_classes=1)) == 1


def test_unet_saves_and_loads_back_in_safe_mode(small_unet, tmp_path):
    x, t, labels = _images(3), np.array([0.0, 0.5, 1.0], np.float32), np.array([0, 2, NULL], np.int32)
    before = np.asarray(small_unet.predict([x, t, labels], verbose=0))
    assert np.abs(before).max() > 0
    small_unet.save(tmp_path / "unet.keras")
    loaded = keras.models.load_model(tmp_path / "unet.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded.predict([x, t, labels], verbose=0)), before, rtol=1e-6, atol=1e-6)
    assert unet.null_label(loaded) == NULL
    assert isinstance(loaded.get_layer("time_features"), unet.SinusoidalEmbedding)


@pytest.mark.parametrize("kwargs, message", [
    ({"image_shape": (30, 30, 1)}, "multiples of 4"),
    ({"image_shape": (28, 26, 1)}, "multiples of 4"),
    ({"image_shape": (28, 28)}, r"\(H, W, C\)"),
    ({"image_shape": (28, 28, 0)}, r"\(H, W, C\)"),
    ({"width": 0}, "width must be a positive integer"),
    ({"width": 8.0}, "width must be a positive integer"),
    ({"width": True}, "width must be a positive integer"),
    ({"num_classes": 0}, "num_classes must be a positive integer"),
])
def test_bad_unet_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        unet.build_unet(**kwargs)


def test_sinusoidal_embedding_values_and_config():
    layer = unet.SinusoidalEmbedding(8, max_frequency=1000.0)
    t = np.array([0.0, 0.5, 1.0], np.float32)
    out = ops.convert_to_numpy(layer(t))
    assert out.shape == (3, 8) and layer.compute_output_shape((3,)) == (3, 8)
    np.testing.assert_array_equal(out[0], [0, 0, 0, 0, 1, 1, 1, 1])  # sin 0, cos 0
    frequencies = 1000.0 ** (np.arange(4) / 3)  # 1 .. max_frequency, geometrically
    angles = t[:, None].astype(np.float64) * frequencies
    expected = np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    np.testing.assert_allclose(out, expected, atol=5e-4)  # float32 angles up to 1000 rad
    copy = unet.SinusoidalEmbedding.from_config(layer.get_config())
    assert (copy.dim, copy.max_frequency) == (8, 1000.0)
    np.testing.assert_array_equal(ops.convert_to_numpy(copy(t)), out)
    assert keras.saving.get_registered_object("prodimg_lib>SinusoidalEmbedding") is unet.SinusoidalEmbedding


@pytest.mark.parametrize("dim", [7, 0, 1, True, 8.0])
def test_sinusoidal_embedding_refuses_a_bad_dimension(dim):
    with pytest.raises(ValueError, match="dim must be an even integer >= 2"):
        unet.SinusoidalEmbedding(dim)
