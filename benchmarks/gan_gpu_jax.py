"""The ``gpu`` profile's DCGAN and conditional DCGAN, trained on a GPU with Keras's JAX backend.

The course trains its GANs with :class:`prodimg_lib.generation.gan.GAN`, whose ``train_step`` uses
TensorFlow's gradient tape. This script measures what the ``gpu`` profile's settings reach
on a GPU machine that has JAX but no TensorFlow: the *same* model builders
(:mod:`prodimg_lib.generation.dcgan`), the same losses (:func:`prodimg_lib.generation.losses.d_loss_from_logits`,
:func:`prodimg_lib.generation.losses.g_loss_from_logits`, written in ``keras.ops``), the same optimizers and
the same two-step update (discriminator on real and generated images, then generator through
the discriminator with fresh noise), written as a jitted JAX step with ``stateless_call``.
It then judges 10,000 samples with the course's product classifier, as notebook 07 does.

Usage (on the GPU machine)::

    KERAS_BACKEND=jax python benchmarks/gan_gpu_jax.py --data fashion_mnist.npz \\
        --classifier classifier.keras --epochs 40 --out results/

``--data`` is an ``.npz`` with ``x_train, y_train, x_test, y_test`` (uint8, as
:func:`prodimg_lib.data.load_fashion_mnist` returns them); ``--classifier`` a saved product
classifier (``build/models/classifier.keras``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402


def train(x, y, *, conditional: bool, epochs: int, width: int, batch_size: int, lr: float, latent_dim: int = 64,
          label_smoothing: float = 0.0, seed: int = 0, log=print):
    """Train a (conditional) DCGAN on x (N, 28, 28, 1) in [-1, 1]; return the generator and timings."""
    import jax
    import keras

    from prodimg_lib.generation.gan import d_loss_from_logits, g_loss_from_logits
    from prodimg_lib.enhancement.models import dcgan

    keras.utils.set_random_seed(seed)
    if conditional:
        G = dcgan.build_conditional_generator(latent_dim, 10, width)
        D = dcgan.build_conditional_discriminator(10, width)
    else:
        G, D = dcgan.build_generator(latent_dim, width), dcgan.build_discriminator(width)
    g_opt, d_opt = keras.optimizers.Adam(lr, beta_1=0.5), keras.optimizers.Adam(lr, beta_1=0.5)
    g_opt.build(G.trainable_variables)
    d_opt.build(D.trainable_variables)

    def g_call(g_tv, g_ntv, noise, labels):
        return G.stateless_call(g_tv, g_ntv, [noise, labels] if conditional else noise, training=True)

    def d_call(d_tv, d_ntv, images, labels):
        return D.stateless_call(d_tv, d_ntv, [images, labels] if conditional else images, training=True)

    @jax.jit
    def step(state, real, real_labels, key):
        g_tv, g_ntv, g_ov, d_tv, d_ntv, d_ov = state
        k1, k2, k3, k4 = jax.random.split(key, 4)
        n = real.shape[0]
        # 1. discriminator: real -> 1 (minus smoothing), generated -> 0
        fake_labels = jax.random.randint(k2, (n,), 0, 10)
        fake, g_ntv = g_call(g_tv, g_ntv, jax.random.normal(k1, (n, latent_dim)), fake_labels)

        def d_loss_fn(d_tv, d_ntv):
            real_logits, d_ntv = d_call(d_tv, d_ntv, real, real_labels)
            fake_logits, d_ntv = d_call(d_tv, d_ntv, jax.lax.stop_gradient(fake), fake_labels)
            loss = d_loss_from_logits(real_logits, fake_logits, label_smoothing)
            return loss, (d_ntv, jax.nn.sigmoid(real_logits).mean(), jax.nn.sigmoid(fake_logits).mean())

        (d_loss, (d_ntv, d_real, d_fake)), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d_tv, d_ntv)
        d_tv, d_ov = d_opt.stateless_apply(d_ov, grads, d_tv)
        # 2. generator, through the updated discriminator, on fresh noise
        g_labels = jax.random.randint(k4, (n,), 0, 10)

        def g_loss_fn(g_tv, g_ntv, d_ntv):
            images, g_ntv = g_call(g_tv, g_ntv, jax.random.normal(k3, (n, latent_dim)), g_labels)
            logits, d_ntv = d_call(d_tv, d_ntv, images, g_labels)
            return g_loss_from_logits(logits), (g_ntv, d_ntv)

        (g_loss, (g_ntv, d_ntv)), grads = jax.value_and_grad(g_loss_fn, has_aux=True)(g_tv, g_ntv, d_ntv)
        g_tv, g_ov = g_opt.stateless_apply(g_ov, grads, g_tv)
        return (g_tv, g_ntv, g_ov, d_tv, d_ntv, d_ov), (d_loss, g_loss, d_real, d_fake)

    state = ([v.value for v in G.trainable_variables], [v.value for v in G.non_trainable_variables],
             [v.value for v in g_opt.variables], [v.value for v in D.trainable_variables],
             [v.value for v in D.non_trainable_variables], [v.value for v in d_opt.variables])
    rng = np.random.default_rng(seed)
    key = jax.random.PRNGKey(seed)
    steps_per_epoch = len(x) // batch_size
    history = []
    start = time.perf_counter()
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        epoch_logs = []
        for b in range(steps_per_epoch):
            idx = order[b * batch_size:(b + 1) * batch_size]
            key, sub = jax.random.split(key)
            state, logs = step(state, x[idx], y[idx].astype(np.int32), sub)
            epoch_logs.append(logs)
        means = np.asarray(jax.device_get(epoch_logs), dtype=np.float64).mean(axis=0)  # epoch means, as fit logs them
        history.append(dict(epoch=epoch + 1, seconds=round(time.perf_counter() - start, 1),
                            **dict(zip(("d_loss", "g_loss", "d_real", "d_fake"), np.round(means, 4).tolist()))))
        if (epoch + 1) % max(1, epochs // 10) == 0 or epoch == 0:
            log(json.dumps(history[-1]))
    seconds = time.perf_counter() - start
    g_tv, g_ntv = state[0], state[1]
    for variable, value in zip(G.trainable_variables, g_tv):
        variable.assign(value)
    for variable, value in zip(G.non_trainable_variables, g_ntv):
        variable.assign(value)
    images_per_second = epochs * steps_per_epoch * batch_size / seconds
    return G, dict(seconds=round(seconds, 1), images_per_second=round(images_per_second), history=history)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--classifier", required=True)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--eval-samples", type=int, default=10_000)
    parser.add_argument("--runs", nargs="+", default=["dcgan", "cdcgan"], choices=["dcgan", "cdcgan"])
    parser.add_argument("--max-train", type=int, default=None, help="use only the first N training images (quick checks)")
    parser.add_argument("--out", default="gan_gpu_results")
    args = parser.parse_args(argv)

    import keras
    from PIL import Image

    from prodimg_lib import bench, data, gan

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with np.load(args.data, allow_pickle=False) as npz:
        fm = data.FashionMNIST(*(npz[k] for k in ("x_train", "y_train", "x_test", "y_test")))
    if args.max_train:
        fm = fm._replace(x_train=fm.x_train[: args.max_train], y_train=fm.y_train[: args.max_train])
    x_train = data.to_minus_one_one(fm.x_train)[..., None]
    x_test = data.to_minus_one_one(fm.x_test)[..., None]
    classifier = keras.models.load_model(args.classifier, safe_mode=True)
    reference = bench.real_features(classifier, x_test, x_train, n_floor=args.eval_samples, seed=0)
    floor = bench.evaluate_samples(reference["floor"], reference["floor_labels"], reference["test"])
    results = {"backend": keras.backend.backend(), "settings": vars(args), "floor_fcd": floor["fcd"]}
    import jax

    results["device"] = str(jax.devices()[0])
    print("device:", results["device"], "| floor FCD", round(floor["fcd"], 4), flush=True)
    for run in args.runs:
        conditional = run == "cdcgan"
        generator, timing = train(x_train, fm.y_train, conditional=conditional, epochs=args.epochs, width=args.width,
                                  batch_size=args.batch_size, lr=args.lr, label_smoothing=args.label_smoothing)
        requested = np.arange(args.eval_samples) % 10
        samples = gan.generate(generator, args.eval_samples, requested if conditional else None, seed=1)
        features, labels = bench.features_and_labels(classifier, samples)
        scores = bench.evaluate_samples(features, labels, reference["test"])
        if conditional:
            scores["class_agreement"] = gan.class_agreement(requested, labels)
        results[run] = {**timing, "metrics": scores}
        grid = samples[:100][np.argsort(requested[:100], kind="stable")] if conditional else samples[:100]  # a row per class
        Image.fromarray(gan.grid_image(grid, ncols=10, scale=2)).save(out / f"{run}_samples.png")
        generator.save(out / f"{run}_generator.keras")
        print(run, json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in scores.items()
                               if k in ("fcd", "precision", "recall", "normalised_entropy", "class_agreement")}),
              f"| {timing['seconds']} s, {timing['images_per_second']} images/s", flush=True)
    (out / "results.json").write_text(json.dumps(bench._jsonable(results), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
