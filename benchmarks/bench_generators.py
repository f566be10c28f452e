"""The class-conditional generators side by side, at the same training time: ``python -m benchmarks generators``.

Trains, one after the other, on the same data (full Fashion-MNIST in [-1, 1]) and for the same
wall-clock budget (checked after every step, tracing included):

- ``cdcgan``: the conditional DCGAN of notebook 06 (:mod:`prodimg_lib.generation.dcgan`,
  :class:`~prodimg_lib.generation.gan.GAN`), the profile's width and batch size, two
  ``Adam(2e-4, beta_1=0.5)``, a class head on the discriminator (``class_weight=1``; ``--class-weight``) and an EMA of
  the generator's weights (momentum 0.99); judged twice, with the averaged weights (``cdcgan``)
  and with the raw weights of the same run's last step (``cdcgan, raw weights``);
- ``cdcgan-plain``: the same without the class head and the EMA (a projection discriminator only);
- ``flow``: the flow-matching U-Net of notebook 08 (:mod:`prodimg_lib.generation.unet`,
  :class:`~prodimg_lib.generation.diffusion.NoisyBatches`, :func:`~prodimg_lib.generation.diffusion_training.compile_denoiser`),
  width 1.5 x the profile's, ``Adam(1e-3)`` with an EMA of the weights (momentum 0.99);
- ``ddpm``: the same U-Net trained to predict the noise, sampled with DDIM;

then judges ``--eval-samples`` samples of each (every class equally often) against as many test
images, with the course's product classifier, as notebooks 07 and 08 do, and prints one table:
training steps and seconds, Fréchet and kernel classifier distances, precision, recall, class
agreement, and sampling speed; with the floor (real training images) first.

**Fréchet classifier distance (features of the course's product classifier; not comparable
with InceptionV3 FID).**

Usage::

    python -m benchmarks generators --budget-seconds 480
    python -m benchmarks generators --models flow --step-counts 4 8 16 32 --guidance 3 5
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np

from benchmarks.bench_gan import BudgetStop
from benchmarks.common import jsonable, machine
from prodimg_lib.evaluation.judge import DISTANCE_LABEL, evaluate_samples, features_and_labels, real_features

__all__ = ["MODELS", "train_cdcgan", "train_denoising_model", "run_generators_benchmark", "format_generators_table"]

MODELS = ("cdcgan", "cdcgan-plain", "flow", "ddpm")


class _LastRawWeights(keras.callbacks.Callback):
    """Keeps the generator's weights of the last step, before ``fit`` ends by writing the EMA into them.

    It must come after :class:`BudgetStop` in the callbacks: it copies the weights once, in the
    step after which ``BudgetStop`` has set ``stop_training``.
    """

    def __init__(self, generator):
        super().__init__()
        self.generator, self.weights = generator, None

    def on_train_batch_end(self, batch, logs=None):
        if self.model.stop_training:
            if hasattr(self.model, "jax_state_sync"):  # the JAX trainer keeps the step's values to itself until asked
                self.model.jax_state_sync()
            self.weights = self.generator.get_weights()


def train_cdcgan(images, labels, budget_seconds: float, *, width: int, batch_size: int, seed: int = 0,
                 recipe: str = "notebook", class_weight: float = 1.0) -> dict:
    """The conditional DCGAN of notebook 06, trained for ``budget_seconds``; ``{"model", "steps", "seconds", ...}``.

    ``recipe="notebook"``: notebook 06's (class head weighted by ``class_weight``, EMA 0.99 of the
    generator's weights; ``"raw_weights"`` holds the last step's raw weights); ``"plain"``:
    a projection discriminator only, no EMA.
    """
    from prodimg_lib.generation import dcgan, gan
    from prodimg_lib.generation.dataset import make_dataset

    if recipe not in ("notebook", "plain"):
        raise ValueError(f"recipe must be 'notebook' or 'plain', got {recipe!r}")
    notebook = recipe == "notebook"
    keras.utils.set_random_seed(seed)
    dataset = make_dataset(images, batch_size, labels=labels, seed=seed)
    model = gan.GAN(dcgan.build_conditional_generator(64, 10, width),
                    dcgan.build_conditional_discriminator(10, width, class_head=notebook),
                    latent_dim=64, conditional=True, seed=seed)
    ema = {"use_ema": True, "ema_momentum": 0.99} if notebook else {}
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5, **ema),
                  **({"class_weight": class_weight} if notebook else {}))
    stop, raw = BudgetStop(budget_seconds, batch_size), _LastRawWeights(model.generator)
    model.fit(dataset, epochs=1_000_000, callbacks=[stop, raw], verbose=0)
    settings = f"width {width}, batch {batch_size}, 2 x Adam(2e-4, beta_1=0.5)"
    return {"model": model.generator, "steps": stop.result.steps, "seconds": stop.result.seconds,
            "raw_weights": raw.weights if notebook else None,
            "parameters": model.generator.count_params() + model.discriminator.count_params(),
            "settings": settings + (f", class head (weight {class_weight:g}), EMA 0.99" if notebook else ", projection only")}


def train_denoising_model(images, labels, budget_seconds: float, objective: str, *, width: int, batch_size: int,
                          ema_momentum: float = 0.99, seed: int = 0) -> dict:
    """The U-Net of notebook 08 trained for ``objective`` ("flow" or "ddpm") for ``budget_seconds``."""
    from prodimg_lib.generation.diffusion import NoisyBatches
    from prodimg_lib.generation.diffusion_training import compile_denoiser
    from prodimg_lib.generation.unet import build_unet

    keras.utils.set_random_seed(seed)
    network = build_unet(width=width)
    compile_denoiser(network, learning_rate=1e-3, ema_momentum=ema_momentum)
    batches = NoisyBatches(images, labels, batch_size, objective, seed=seed)
    stop = BudgetStop(budget_seconds, batch_size)
    network.fit(batches, epochs=1_000_000, callbacks=[stop], shuffle=False, verbose=0)
    return {"model": network, "steps": stop.result.steps, "seconds": stop.result.seconds,
            "parameters": network.count_params(),
            "settings": f"U-Net width {width}, batch {batch_size}, Adam(1e-3), EMA {ema_momentum}"}


def _sample(name: str, trained: dict, requested, steps: int, guidance: float, seed: int) -> np.ndarray:
    from prodimg_lib.generation import diffusion, sampling

    if name.startswith("cdcgan"):
        return sampling.generate(trained["model"], len(requested), requested, seed=seed)
    return diffusion.sample(trained["model"], name, requested, steps=steps, guidance=guidance, seed=seed)


def run_generators_benchmark(x_train, y_train, x_test, y_test, classifier, budget_seconds: float, *,
                             models=("cdcgan", "flow"), n_eval: int = 10_000, width: int = 32, batch_size: int = 128,
                             step_counts=(16,), guidances=(5.0,), class_weight: float = 1.0, out_dir=None, seed: int = 0,
                             classifier_source: str = "", command: str = "") -> dict:
    """Train each of ``models`` for ``budget_seconds``, judge ``n_eval`` samples of each; return the results.

    Args:
        x_train, x_test: float32 (N, 28, 28, 1) in [-1, 1]; y_train, y_test: their classes.
        classifier: the product classifier (the judge).
        models: names from :data:`MODELS`.
        width: the profile's width (the DCGAN's; the U-Net gets 1.5 times it).
        step_counts, guidances: the diffusion models' sampling settings to judge (every pair).
        class_weight: the weight of the conditional DCGAN's class term (``cdcgan``).
        out_dir: where to write ``results.json`` and a sample grid per model (None: nowhere).
    """
    from prodimg_lib import viz

    unknown = set(models) - set(MODELS)
    if unknown:
        raise ValueError(f"unknown model(s) {sorted(unknown)}; choose from {MODELS}")
    n_eval = min(int(n_eval), len(x_test))
    reference = real_features(classifier, x_test[:n_eval], x_train, n_floor=n_eval, seed=seed)
    requested = np.arange(n_eval) % 10
    floor = evaluate_samples(reference["floor"], reference["floor_labels"], reference["test"], seed=seed)
    results = {"command": command, "budget_seconds": budget_seconds, "n_eval": n_eval, "distance": DISTANCE_LABEL,
               "classifier": classifier_source, "keras_backend": keras.backend.backend(), "machine": machine(),
               "classifier_accuracy_real_test": float(np.mean(reference["test_labels"] == np.asarray(y_test)[:n_eval])),
               "floor": {"fcd": floor["fcd"], "kid": floor["kid_mean"], "precision": floor["precision"],
                         "recall": floor["recall"]}, "rows": []}
    for name in models:
        print(f"training {name} for {budget_seconds:g} s ...", flush=True)
        if name.startswith("cdcgan"):
            recipe = "plain" if name == "cdcgan-plain" else "notebook"
            trained = train_cdcgan(x_train, y_train, budget_seconds, width=width, batch_size=batch_size, seed=seed,
                                   recipe=recipe, class_weight=class_weight)
            settings = [(1, None, name)] + ([(1, None, "cdcgan, raw weights")] if trained["raw_weights"] else [])
        else:
            trained = train_denoising_model(x_train, y_train, budget_seconds, name, width=3 * width // 2,
                                            batch_size=batch_size, seed=seed)
            settings = [(s, g, name) for s in step_counts for g in guidances]
        for steps, guidance, label in settings:
            if label == "cdcgan, raw weights":  # the same run's last-step weights instead of their average
                trained["model"].set_weights(trained["raw_weights"])
            start = time.perf_counter()
            samples = _sample(name, trained, requested, steps, guidance, seed + 1)
            sampling_seconds = time.perf_counter() - start
            features, predicted = features_and_labels(classifier, samples)
            judged = evaluate_samples(features, predicted, reference["test"], seed=seed)
            row = {"model": label, "train_steps": trained["steps"], "train_seconds": trained["seconds"],
                   "parameters": trained["parameters"], "settings": trained["settings"],
                   "sampling_steps": steps, "guidance": guidance, "fcd": judged["fcd"], "kid": judged["kid_mean"],
                   "precision": judged["precision"], "recall": judged["recall"],
                   "agreement": float(np.mean(predicted == requested)),
                   "images_per_second": n_eval / sampling_seconds}
            results["rows"].append(row)
            print(format_generators_table({**results, "rows": [row]}, header=False), flush=True)
            if out_dir is not None:
                Path(out_dir).mkdir(parents=True, exist_ok=True)
                picked = np.concatenate([samples[requested == c][:10] for c in range(10)])
                from prodimg_lib.data.photos import write_photo

                file_name = f"{label.replace(', ', '-').replace(' ', '_')}-steps{steps}-guidance{guidance}.png"
                write_photo(viz.grid_image(picked, ncols=10, scale=2), Path(out_dir) / file_name)
    if out_dir is not None:
        path = Path(out_dir) / "results.json"
        path.write_text(json.dumps(jsonable(results), indent=2))
        results["results_json"] = str(path)
    return results


def format_generators_table(results: dict, header: bool = True) -> str:
    """The results as a Markdown table (the floor first)."""
    lines = []
    if header:
        f = results["floor"]
        lines += [f"{DISTANCE_LABEL}; {results['n_eval']:,} samples per row, training budget {results['budget_seconds']:g} s "
                  f"per model, Keras on {results['keras_backend']}; classifier accuracy on real test images "
                  f"{results['classifier_accuracy_real_test']:.3f}",
                  "",
                  "| model | train steps | train s | sampling steps | guidance | FCD | KCD | precision | recall | agreement | images/s |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
                  f"| real training images (floor) | | | | | {f['fcd']:.2f} | {f['kid']:.4f} | {f['precision']:.3f} | "
                  f"{f['recall']:.3f} | | |"]
    for r in results["rows"]:
        lines.append(f"| {r['model']} | {r['train_steps']} | {r['train_seconds']:.0f} | {r['sampling_steps']} | "
                     f"{'' if r['guidance'] is None else format(r['guidance'], 'g')} | {r['fcd']:.2f} | {r['kid']:.4f} | "
                     f"{r['precision']:.3f} | {r['recall']:.3f} | {r['agreement']:.3f} | {r['images_per_second']:.0f} |")
    return "\n".join(lines)
