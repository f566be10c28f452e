"""Benchmarks of the course's models: ``python -m benchmarks gan`` and ``... enhance``.

The enhancement benchmark (``enhance``) trains every enhancement model of notebooks 09-11 with
a run profile's settings (the experiments of :mod:`prodimg_lib.experiments`) and prints one table per
task: method, PSNR, SSIM and seconds, the classical baselines (tuned on held-out images)
beside the learned models, all on Fashion-MNIST test images.

The GAN benchmark trains, one after the other and for the *same wall-clock budget* on the
same data (full Fashion-MNIST in [-1, 1]):

1. this library's DCGAN: :class:`prodimg_lib.generation.gan.GAN` with the builders of
   :mod:`prodimg_lib.generation.dcgan`, the ``cpu`` profile's width and batch size (32, 128),
   latent 64, two ``Adam(2e-4, beta_1=0.5)``, the non-saturating loss, trained with ``fit``;
2. the TensorFlow DCGAN tutorial's model and loop (:mod:`benchmarks.reference_dcgan`):
   noise 100, batch 256, two ``Adam(1e-4)``, a ``tf.function`` step with two tapes;

then judges 10,000 samples of each against the 10,000 test images, in the feature space of
the course's product classifier, and prints for both: training images per second, the
Fréchet classifier distance (FCD), the kernel classifier distance (KID), precision and
recall, and the class histogram's uniformity; and the same numbers for 10,000 *real*
training images (the floor: what a perfect generator would get with this sample size).

**Fréchet classifier distance (features of the course's product classifier; not comparable
with InceptionV3 FID).** See :mod:`prodimg_lib.evaluation.feature_space`.

Reading the numbers: FCD and KID judge fidelity and diversity together; precision alone
does not. Samples that are all alike and lie in one dense corner of the real data (for
example faint blobs the classifier calls sneakers) can reach precision 1.0 with recall 0:
read precision with recall and the class histogram.

Each trainer checks the clock after every training step and stops as soon as the budget is
spent, so it ends within the budget plus one step. The budget counts from the start of
training, graph tracing included (both trainers pay it).

Usage::

    python -m benchmarks gan --budget-seconds 600 --out build/bench/gan
    python -m benchmarks gan --budget-seconds 120 --classifier build/models/classifier.keras

From Python (what the tests do, with tiny sizes)::

    results = bench_gan.run_gan_benchmark(x_train, x_test, classifier, budget_seconds=600, out_dir="out")
    print(bench_gan.format_table(results))
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import keras
import numpy as np

from benchmarks import reference_dcgan
from benchmarks.common import jsonable, machine
from benchmarks.reference_dcgan import LoopResult, StepClock
from prodimg_lib.evaluation.judge import DISTANCE_LABEL, evaluate_samples, features_and_labels, real_features, two_headed

__all__ = [
    "DISTANCE_LABEL",
    "LIBRARY",
    "TUTORIAL",
    "BudgetStop",
    "TrainedGenerator",
    "train_library_dcgan",
    "train_tutorial_dcgan",
    "run_gan_benchmark",
    "format_table",
]

LIBRARY = "library_dcgan"


TUTORIAL = "tutorial_dcgan"


TITLES = {LIBRARY: "library DCGAN", TUTORIAL: "TF tutorial DCGAN", "floor": "floor (real train)"}


class BudgetStop(keras.callbacks.Callback):
    """Stop ``fit`` after the step during which ``budget_seconds`` of wall-clock time ran out.

    The clock starts when the callback is created (create it just before ``fit``, so that
    tracing counts). ``result`` (a :class:`~benchmarks.reference_dcgan.LoopResult`) holds
    the steps, images, timings and last losses once ``fit`` returns.

    Args:
        budget_seconds: the budget (> 0).
        batch_size: images per step (full batches, as :func:`prodimg_lib.generation.dataset.make_dataset` makes).
    """

    def __init__(self, budget_seconds: float, batch_size: int):
        super().__init__()
        self._clock, self.batch_size = StepClock(budget_seconds), int(batch_size)

    @property
    def result(self) -> LoopResult:
        return self._clock.result

    def on_train_batch_begin(self, batch, logs=None):
        self._clock.begin_step()

    def on_train_batch_end(self, batch, logs=None):
        if logs:  # reading the values waits for the step
            self._clock.result.losses = {k: float(keras.ops.convert_to_numpy(v)) for k, v in logs.items() if k.endswith("loss")}
        if self._clock.end_step(self.batch_size):
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self._clock.finish()


@dataclass
class TrainedGenerator:
    """A generator trained under a budget, with what its training did.

    Attributes:
        name: :data:`LIBRARY` or :data:`TUTORIAL`.
        generate: noise (N, latent_dim) float32 -> images (N, 28, 28, 1) float32 in [-1, 1].
        latent_dim: length of the noise vectors.
        settings: the training settings (for the report).
        loop: steps, images and timings (:class:`~benchmarks.reference_dcgan.LoopResult`).
    """

    name: str
    generate: Callable[[np.ndarray], np.ndarray]
    latent_dim: int
    settings: dict
    loop: LoopResult


def _predictor(model, batch_size: int = 500):
    return lambda noise: np.asarray(model.predict(np.asarray(noise, np.float32), batch_size=batch_size, verbose=0))


def train_library_dcgan(images, budget_seconds: float, *, width: int = 32, latent_dim: int = 64,
                        batch_size: int = 128, learning_rate: float = 2e-4, beta_1: float = 0.5,
                        seed: int = 0) -> TrainedGenerator:
    """Train this library's DCGAN (``GAN`` + ``dcgan`` builders, ``fit``) for ``budget_seconds``.

    Args:
        images: float32 (N, 28, 28, 1) in [-1, 1], N >= batch_size.
        budget_seconds: wall-clock budget, counted from the call to ``fit`` (tracing included).
        width, latent_dim, batch_size: model and batch sizes (cpu profile: 32, 64, 128).
        learning_rate, beta_1: of both Adam optimizers (DCGAN's 2e-4 and 0.5).
        seed: seeds Keras (weights, dropout), the noise and the shuffling.

    Returns:
        A :class:`TrainedGenerator` named :data:`LIBRARY`.
    """
    from prodimg_lib.generation import dcgan, gan
    from prodimg_lib.generation.dataset import make_dataset

    keras.utils.set_random_seed(seed)
    dataset = make_dataset(images, batch_size, seed=seed)
    model = gan.GAN(dcgan.build_generator(latent_dim, width), dcgan.build_discriminator(width), latent_dim=latent_dim, seed=seed)
    model.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1),
                  g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1), loss="non_saturating")
    stop = BudgetStop(budget_seconds, batch_size)
    model.fit(dataset, epochs=1_000_000, callbacks=[stop], verbose=0)
    settings = dict(model="prodimg_lib.generation.gan.GAN + generation.dcgan", width=width, latent_dim=latent_dim, batch_size=batch_size,
                    optimizer=f"2 x Adam({learning_rate:g}, beta_1={beta_1:g})", loss="non_saturating",
                    generator_parameters=model.generator.count_params(),
                    discriminator_parameters=model.discriminator.count_params())
    return TrainedGenerator(LIBRARY, _predictor(model.generator), latent_dim, settings, stop.result)


def train_tutorial_dcgan(images, budget_seconds: float, *, width: int = reference_dcgan.WIDTH,
                         noise_dim: int = reference_dcgan.NOISE_DIM, batch_size: int = reference_dcgan.BATCH_SIZE,
                         learning_rate: float = reference_dcgan.LEARNING_RATE, seed: int = 0) -> TrainedGenerator:
    """Train the TensorFlow tutorial's DCGAN with its own loop for ``budget_seconds``.

    Args:
        images: float32 (N, 28, 28, 1) in [-1, 1], N >= batch_size.
        budget_seconds: wall-clock budget, counted from the loop's start (tracing included).
        width, noise_dim, batch_size, learning_rate: tutorial: 64, 100, 256, 1e-4.
        seed: seeds Keras (weights, dropout, noise) and the shuffling.

    Returns:
        A :class:`TrainedGenerator` named :data:`TUTORIAL`.
    """
    model = reference_dcgan.TutorialDCGAN(noise_dim, width, batch_size, learning_rate, seed=seed)
    dataset = reference_dcgan.make_dataset(images, batch_size, seed=seed)
    loop = reference_dcgan.train_for(model, dataset, budget_seconds)
    settings = dict(model="TensorFlow DCGAN tutorial (benchmarks.reference_dcgan)", width=width, latent_dim=noise_dim,
                    batch_size=batch_size, optimizer=f"2 x Adam({learning_rate:g})", loss="non_saturating (tutorial)",
                    generator_parameters=model.generator.count_params(),
                    discriminator_parameters=model.discriminator.count_params())
    return TrainedGenerator(TUTORIAL, _predictor(model.generator), noise_dim, settings, loop)


def _training_summary(loop: LoopResult, batch_images: int, train_size: int, budget: float) -> dict:
    """Throughput and timings of a budgeted run.

    ``images_per_second`` is over the whole run, tracing included; ``steady_images_per_second``
    leaves the first step (tracing) out (None after a single step).
    """
    steady_images, steady_seconds = loop.images - batch_images, loop.seconds - loop.first_step_seconds
    return dict(
        asdict(loop),
        budget_seconds=budget,
        epochs=loop.images / train_size,
        images_per_second=loop.images / loop.seconds if loop.seconds > 0 else float("nan"),
        steady_images_per_second=steady_images / steady_seconds if loop.steps > 1 and steady_seconds > 0 else None,
        overshoot_seconds=loop.seconds - budget,
    )


def _save_grid(images, path: Path, ncols: int = 8) -> Path:
    from prodimg_lib.data.photos import write_photo
    from prodimg_lib.viz import grid_image

    return write_photo(grid_image(images, ncols=ncols, scale=2), path)


def _judge(trained: TrainedGenerator, classifier, reference: dict, n_eval: int, seed: int, out_dir, grid_size: int) -> dict:
    """Sample ``n_eval`` images from fixed noise, measure them, save the grid; the model's report."""
    from prodimg_lib.data import as_model_images

    noise = np.random.default_rng(seed + 1).standard_normal((n_eval, trained.latent_dim)).astype(np.float32)
    with warnings.catch_warnings():  # a poor generator may make only bright pixels: the metrics say so, no warning
        warnings.filterwarnings("ignore", message=".*looks like \\[0, 1\\] scaling")
        samples = as_model_images(trained.generate(noise), f"{trained.name} samples", (28, 28, 1))
        features, labels = features_and_labels(classifier, samples)
    report = {"metrics": evaluate_samples(features, labels, reference["test"], seed=seed)}
    if out_dir is not None:
        grid = _save_grid(samples[:grid_size], Path(out_dir) / f"{trained.name}_samples.png")
        report["sample_grid"] = str(grid)
    return report


def run_gan_benchmark(x_train, x_test, classifier, budget_seconds: float, *, n_eval: int = 10_000,
                      library: dict | None = None, tutorial: dict | None = None, out_dir=None, seed: int = 0,
                      grid_size: int = 64, data_name: str = "Fashion-MNIST", classifier_source: str = "",
                      y_test=None, command: str | None = None, log=print) -> dict:
    """Train both DCGANs for ``budget_seconds`` each, one after the other, and measure them.

    Args:
        x_train: (N, 28, 28, 1) float32 in [-1, 1], the training images of both.
        x_test: (M, 28, 28, 1) float32 in [-1, 1], the reference set of the distances.
        classifier: the product classifier (see :func:`load_or_train_classifier`).
        budget_seconds: wall-clock training budget of *each* trainer (> 0).
        n_eval: generated samples per model, and the size of the floor's training subset.
        library, tutorial: keyword overrides of :func:`train_library_dcgan` and
            :func:`train_tutorial_dcgan` (e.g. tiny widths in tests).
        out_dir: where ``results.json`` and the two sample grids (PNG) go; None writes nothing.
        seed: seeds training, the evaluation noise and the floor subset.
        grid_size: samples in each grid.
        data_name, classifier_source: descriptions for the report.
        y_test: labels of ``x_test``; when given, the classifier's test accuracy is reported.
        command: the command line, recorded in the results.
        log: progress lines (``print``; a no-op to silence).

    Returns:
        A JSON-ready dict: ``distance_label``, ``budget_seconds``, ``data``, ``eval_samples``,
        ``classifier``, ``floor`` (metrics of ``n_eval`` real training images), ``models``
        (``library_dcgan`` and ``tutorial_dcgan``, each with ``settings``, ``training`` and
        ``metrics``), ``fcd_ratio_tutorial_over_library``, ``machine`` and ``seconds``.
    """
    from prodimg_lib.data import as_model_images
    from prodimg_lib.evaluation.classifier import FEATURES_LAYER

    start = time.perf_counter()
    x_train = as_model_images(x_train, "x_train", (28, 28, 1), unit_range="error")
    x_test = as_model_images(x_test, "x_test", (28, 28, 1), unit_range="error")
    n_eval = int(n_eval)
    if n_eval < 4:
        raise ValueError(f"n_eval must be at least 4 (precision and recall need k + 1 samples), got {n_eval}")
    start_machine = machine()
    log(f"Features of {len(x_test):,} test and {min(n_eval, len(x_train)):,} training images (the floor) ...")
    if len(classifier.outputs) == 1:  # one model for features and labels: one pass over each image set
        classifier = two_headed(classifier, FEATURES_LAYER)
    reference = real_features(classifier, x_test, x_train, n_eval, seed)
    results = {
        "benchmark": "gan",
        "command": command,
        "distance_label": DISTANCE_LABEL,
        "budget_seconds": float(budget_seconds),
        "data": {"name": data_name, "train_images": len(x_train), "test_images": len(x_test)},
        "eval_samples": n_eval,
        "classifier": {"source": classifier_source},
        "floor": {"metrics": evaluate_samples(reference["floor"], reference["floor_labels"], reference["test"], seed=seed),
                  "images": len(reference["floor"])},
        "models": {},
    }
    if y_test is not None:
        results["classifier"]["test_accuracy"] = float(np.mean(reference["test_labels"] == np.asarray(y_test)))
    trainers = [(LIBRARY, train_library_dcgan, library or {})]
    try:
        reference_dcgan.require_tensorflow()
        trainers.append((TUTORIAL, train_tutorial_dcgan, tutorial or {}))
    except RuntimeError as exc:  # the library's DCGAN runs on every backend; the tutorial is TensorFlow code
        log(f"Leaving out the {TITLES[TUTORIAL]}: {exc}")
        results["tutorial_left_out"] = str(exc)
    for name, trainer, overrides in trainers:
        log(f"Training the {TITLES[name]} for {budget_seconds:g} s ...")
        trained = trainer(x_train, budget_seconds, seed=seed, **overrides)
        training = _training_summary(trained.loop, trained.settings["batch_size"], len(x_train), float(budget_seconds))
        log(f"  {training['steps']} steps, {training['images']:,} images ({training['epochs']:.2f} epochs) in "
            f"{training['seconds']:.1f} s: {training['images_per_second']:.0f} images/s; evaluating {n_eval:,} samples ...")
        report = _judge(trained, classifier, reference, n_eval, seed, out_dir, grid_size)
        results["models"][name] = {"settings": trained.settings, "training": training, **report}
        del trained
    if TUTORIAL in results["models"]:
        lib, tut = (results["models"][n]["metrics"]["fcd"] for n in (LIBRARY, TUTORIAL))
        results["fcd_ratio_tutorial_over_library"] = tut / lib if lib > 0 else float("inf")
    results["machine"] = {**start_machine, "load_average_end": machine()["load_average_1_5_15_min"]}
    results["seconds"] = time.perf_counter() - start
    if out_dir is not None:
        path = Path(out_dir) / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(jsonable(results), indent=1, ensure_ascii=False) + "\n")
        results["results_json"] = str(path)
    return results


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(results: dict) -> str:
    """The benchmark as a text table: one column per model and one for the floor (real images)."""
    columns = [(TITLES[name], results["models"][name]) for name in (LIBRARY, TUTORIAL) if name in results["models"]]
    columns.append((TITLES["floor"], results["floor"]))
    rows = [
        ("training steps", lambda c: _fmt(c.get("training", {}).get("steps"), "d")),
        ("training seconds", lambda c: _fmt(c.get("training", {}).get("seconds"), ".1f")),
        ("epochs", lambda c: _fmt(c.get("training", {}).get("epochs"), ".2f")),
        ("images / second", lambda c: _fmt(c.get("training", {}).get("images_per_second"), ".0f")),
        ("images / s after 1st step", lambda c: _fmt(c.get("training", {}).get("steady_images_per_second"), ".0f")),
        ("FCD (lower is better)", lambda c: _fmt(c["metrics"]["fcd"], ".4g")),
        ("KID (mean ± std)", lambda c: f"{c['metrics']['kid_mean']:.4g} ± {c['metrics']['kid_std']:.2g}"),
        ("precision", lambda c: _fmt(c["metrics"]["precision"], ".3f")),
        ("recall", lambda c: _fmt(c["metrics"]["recall"], ".3f")),
        ("class entropy / ln 10", lambda c: _fmt(c["metrics"]["normalised_entropy"], ".3f")),
        ("largest class share", lambda c: _fmt(c["metrics"]["largest_fraction"], ".3f")),
        ("classes present", lambda c: _fmt(c["metrics"]["classes_present"], "d")),
    ]
    cells = [[label] + [fn(col) for _, col in columns] for label, fn in rows]
    header = [""] + [title for title, _ in columns]
    widths = [max(len(row[i]) for row in cells + [header]) for i in range(len(header))]
    line = lambda row: "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))  # noqa: E731
    data = results["data"]
    out = [
        f"GAN benchmark: {results['budget_seconds']:g} s of training each on {data['name']} "
        f"({data['train_images']:,} training images); {results['eval_samples']:,} samples per model "
        f"against {data['test_images']:,} test images",
        f"Distances: {DISTANCE_LABEL}",
        f"Classifier: {results['classifier'].get('source', '')}"
        + (f" (test accuracy {results['classifier']['test_accuracy']:.1%})" if "test_accuracy" in results["classifier"] else ""),
        "",
        line(header),
        *(line(row) for row in cells),
        "",
        "Class histograms (the classifier's predicted classes 0-9 of the samples):",
        *(f"  {title.ljust(widths[0])}{' '.join(f'{v:>5d}' for v in col['metrics']['class_histogram'])}" for title, col in columns),
        "",
        (f"FCD ratio, tutorial / library: {results['fcd_ratio_tutorial_over_library']:.3g}"
         if "fcd_ratio_tutorial_over_library" in results else f"TF tutorial DCGAN left out: {results.get('tutorial_left_out')}"),
        f"Machine: {results['machine']['cpu_count']} CPUs, load average (1, 5, 15 min) "
        f"{results['machine']['load_average_1_5_15_min']} at the start, {results['machine']['load_average_end']} at the end",
    ]
    return "\n".join(out)
