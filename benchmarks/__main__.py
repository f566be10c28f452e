"""The benchmarks' command line: ``python -m benchmarks gan|enhance ...`` (``--help`` lists the options)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks import bench_backends
from benchmarks.bench_enhance import ENHANCE_TASKS, format_enhance_table, run_enhance_benchmark
from benchmarks.bench_gan import format_table, run_gan_benchmark
from benchmarks.bench_generators import MODELS, format_generators_table, run_generators_benchmark
from benchmarks.common import jsonable, positive_float

def main(argv=None) -> int:
    """``python -m benchmarks gan [--budget-seconds 600] [--out DIR] [--classifier PATH]``
    or ``python -m benchmarks generators [--budget-seconds 480] [--models cdcgan flow] [--out DIR]``
    or ``python -m benchmarks enhance [--profile cpu] [--tasks ...] [--out DIR]``
    or ``python -m benchmarks pretrained``."""
    from prodimg_lib.course.env import quiet_tensorflow

    quiet_tensorflow()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Benchmarks of the course's models")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("gan", help="this library's DCGAN against the TensorFlow tutorial's, same time budget")
    g.add_argument("--budget-seconds", type=positive_float, default=600.0, help="training time of each model (default 600)")
    g.add_argument("--out", default=None, help="output folder (default: <build>/bench/gan)")
    g.add_argument("--classifier", default=None, help="a saved product classifier (default: build/models/classifier.keras, "
                   "trained now if missing)")
    g.add_argument("--profile", default="cpu", choices=["smoke", "cpu", "gpu"],
                   help="width and batch size of the library's DCGAN (default cpu: 32 and 128)")
    g.add_argument("--eval-samples", type=int, default=10_000, help="generated samples per model (default 10000)")
    g.add_argument("--seed", type=int, default=0)
    gens = sub.add_parser("generators", help="the conditional DCGAN against the flow-matching (and DDPM) U-Net, "
                          "same training time, same judge")
    gens.add_argument("--budget-seconds", type=positive_float, default=480.0,
                      help="training time of each model (default 480: the cpu profile's budget)")
    gens.add_argument("--models", nargs="+", default=["cdcgan", "flow"], choices=list(MODELS))
    gens.add_argument("--profile", default="cpu", choices=["smoke", "cpu", "gpu"],
                      help="width and batch size (default cpu: 32 and 128; the U-Net gets 1.5 x the width)")
    gens.add_argument("--step-counts", nargs="+", type=int, default=[16], help="sampling steps to judge (default 16)")
    gens.add_argument("--guidance", nargs="+", type=float, default=[5.0], help="guidance scales to judge (default 5)")
    gens.add_argument("--class-weight", type=float, default=1.0,
                      help="weight of the conditional DCGAN's class term (default 1, notebook 06's)")
    gens.add_argument("--eval-samples", type=int, default=10_000, help="samples per model (default 10000)")
    gens.add_argument("--classifier", default=None, help="a saved product classifier (default: the course's)")
    gens.add_argument("--out", default=None, help="output folder (default: <build>/bench/generators)")
    gens.add_argument("--seed", type=int, default=0)
    e = sub.add_parser("enhance", help="every enhancement model against the classical methods, one table")
    e.add_argument("--profile", default="cpu", choices=["smoke", "cpu", "gpu"], help="training sizes (default cpu)")
    e.add_argument("--tasks", nargs="+", default=list(ENHANCE_TASKS), choices=list(ENHANCE_TASKS))
    e.add_argument("--out", default=None, help="output folder (default: <build>/bench/enhance)")
    sub.add_parser("pretrained", help="the shipped pretrained models' numbers measured again, beside the manifest's")
    b = sub.add_parser("backends", help="training speed of the DCGAN and EDSR steps on TensorFlow, JAX and PyTorch")
    bench_backends.add_arguments(b)
    args = parser.parse_args(argv)

    if args.command == "backends":
        return bench_backends.run_from_args(
            args, command="python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv))

    from prodimg_lib.course import artifacts
    from prodimg_lib.course.artifacts import load_or_train_classifier
    from prodimg_lib import data
    from prodimg_lib.course.profiles import get_profile

    if args.command == "pretrained":
        from benchmarks.bench_pretrained import agree, format_pretrained_table, measure_pretrained

        rows = measure_pretrained(data.load_fashion_mnist())
        print()
        print(format_pretrained_table(rows))
        print("\nno shipped model to measure" if not rows else "\nevery number agrees with the manifest" if agree(rows)
              else "\nsome numbers differ from the manifest")
        return 0 if agree(rows) else 1

    if args.command == "enhance":
        profile = get_profile(args.profile)
        fm = data.load_for_profile(profile)
        results = run_enhance_benchmark(fm, profile, args.tasks)
        out_dir = Path(args.out) if args.out else artifacts.build_dir() / "bench" / "enhance"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "results.json").write_text(json.dumps(jsonable(results), indent=2))
        print()
        print(format_enhance_table(results))
        print(f"\nWrote {out_dir / 'results.json'}")
        return 0

    if args.command == "generators":
        profile = get_profile(args.profile)
        full = data.load_fashion_mnist()
        x_train, x_test = (data.to_minus_one_one(x)[..., None] for x in (full.x_train, full.x_test))
        out_dir = Path(args.out) if args.out else artifacts.build_dir() / "bench" / "generators"
        classifier, source = load_or_train_classifier(args.classifier, full, out_dir=out_dir)
        results = run_generators_benchmark(
            x_train, full.y_train, x_test, full.y_test, classifier, args.budget_seconds, models=args.models,
            n_eval=args.eval_samples, width=profile.width, batch_size=profile.batch_size, step_counts=args.step_counts,
            guidances=args.guidance, class_weight=args.class_weight, out_dir=out_dir, seed=args.seed, classifier_source=source,
            command="python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv))
        print()
        print(format_generators_table(results))
        print(f"\nWrote {results['results_json']} and a sample grid per model in {out_dir}")
        return 0

    out_dir = Path(args.out) if args.out else artifacts.build_dir() / "bench" / "gan"
    profile = get_profile(args.profile)
    full = data.load_fashion_mnist()
    x_train, x_test = (data.to_minus_one_one(x)[..., None] for x in (full.x_train, full.x_test))
    classifier, source = load_or_train_classifier(args.classifier, full, out_dir=out_dir)
    results = run_gan_benchmark(
        x_train, x_test, classifier, args.budget_seconds, n_eval=args.eval_samples, out_dir=out_dir, seed=args.seed,
        library=dict(width=profile.width, batch_size=profile.batch_size, latent_dim=64),
        data_name="full Fashion-MNIST", classifier_source=source, y_test=full.y_test,
        command="python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
    )
    print()
    print(format_table(results))
    print(f"\nWrote {results['results_json']} and the sample grids in {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
