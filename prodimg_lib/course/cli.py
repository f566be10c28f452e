"""The ``prodimg`` command: ``course``, ``generate``, ``enhance``, ``env``, ``fetch-data``.

Examples::

    prodimg course --profile cpu                     # run every notebook, write build/
    prodimg generate --class sneaker --count 16 --out sneakers/
    prodimg generate --model flow --class bag --count 8 --steps 32 --guidance 3 --out bags/
    prodimg enhance my_photos/ --out enhanced/ --upscale 2 --denoise
    prodimg enhance dark_photos/ --out brightened/ --low-light

``generate --model`` chooses the generator: ``cdcgan`` (the default), the conditional DCGAN of
notebook 06 (``--truncation``), or ``flow``, the class-conditional flow-matching U-Net of
notebook 08 (``--steps`` Euler steps, ``--guidance`` classifier-free guidance scale); an option
of the other model is an error. Both write the same files: one PNG per image and a contact sheet.

``generate`` and ``enhance`` use the models the notebooks save in ``build/models/``
(``$PRODIMG_BUILD_DIR/models`` if set) and, where there is none, the pretrained models shipped
with the library; each says which it used. A model that is in neither is an error that names
the notebook that creates it.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

__all__ = ["main"]


def _int_from(low: int, high: int | None = None):
    """An argparse type: an integer in [low, high]; argparse names the option in its error."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(
                f"must be {f'from {low} to {high}' if high is not None else f'{low} or more'}, got {value}")
        return value
    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number 0 or more, got {text}")
    return value


def _flow_defaults() -> tuple[int, float]:
    """``diffusion.DEFAULT_STEPS`` and ``DEFAULT_GUIDANCE`` for the help text, read from the module's source.

    Importing :mod:`prodimg_lib.generation.diffusion` imports Keras and its backend (seconds), which
    ``--help`` and the other commands do not need; ``generate_to_folder`` uses the module's own values.
    """
    import ast
    import importlib.util

    values = {}
    tree = ast.parse(Path(importlib.util.find_spec("prodimg_lib.generation.diffusion").origin).read_text(encoding="utf-8"))
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name) and target.id in ("DEFAULT_STEPS", "DEFAULT_GUIDANCE"):
                values[target.id] = ast.literal_eval(node.value)
    return values["DEFAULT_STEPS"], values["DEFAULT_GUIDANCE"]


def _model_option_error(args) -> str | None:
    """The error for an option of the other generator (``--truncation`` with flow, ``--steps``/``--guidance`` with cdcgan)."""
    if args.model == "flow":
        if args.truncation is not None:
            return ("--truncation is an option of --model cdcgan, not of --model flow (which takes --steps and "
                    "--guidance): leave it out, or use --model cdcgan")
        return None
    given = [option for option, value in (("--steps", args.steps), ("--guidance", args.guidance)) if value is not None]
    if not given:
        return None
    one = len(given) == 1
    return (f"{' and '.join(given)} {'is an option' if one else 'are options'} of --model flow, not of --model cdcgan "
            f"(which takes --truncation): add --model flow, or leave {'it' if one else 'them'} out")


def main(argv=None) -> int:
    from prodimg_lib.course.apply import COLOUR_MODES, GENERATOR_MODELS, MAX_SCALE, MAX_STEPS
    from prodimg_lib.course.env import quiet_tensorflow

    quiet_tensorflow()
    parser = argparse.ArgumentParser(prog="prodimg", description="Deep learning for product images: course tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    course = sub.add_parser("course", help="execute every notebook headless and write build/")
    course.add_argument("--profile", choices=["smoke", "cpu", "gpu"], default=None,
                        help="run size (default: gpu if a GPU is visible, else cpu)")
    course.add_argument("--out", default="build", help="output folder (default: build)")
    course.add_argument("notebooks", nargs="*", help="only these notebooks: numbers (09), names or paths (default: all)")
    gen = sub.add_parser("generate", help="generate product images of one class with a saved class-conditional generator")
    gen.add_argument("--model", choices=list(GENERATOR_MODELS), default="cdcgan",
                     help="the generator: cdcgan, the conditional DCGAN of notebook 06 (default; one network pass per "
                          "image; takes --truncation), or flow, the class-conditional flow-matching U-Net of notebook 08 "
                          "(goes from noise to image in Euler steps; takes --steps and --guidance)")
    gen.add_argument("--class", dest="class_name", required=True, help="product class, e.g. sneaker, 'ankle boot', bag")
    gen.add_argument("--count", type=_int_from(1, 10_000), default=16, help="number of images, 1 to 10000 (default 16)")
    gen.add_argument("--out", required=True, help="output folder")
    gen.add_argument("--overwrite", action="store_true", help="replace files of the same names in the output folder")
    gen.add_argument("--seed", type=_int_from(0), default=0, help="noise seed (0 or more): the same seed gives the same images")
    gen.add_argument("--truncation", type=_positive_float, default=None,
                     help="cdcgan only: truncation threshold (e.g. 1.0): more typical images")
    default_steps, default_guidance = _flow_defaults()
    gen.add_argument("--steps", type=_int_from(1, MAX_STEPS), default=None,
                     help=f"flow only: Euler steps, 1 to {MAX_STEPS} (default {default_steps}); more are slower and "
                          "follow the learned flow more closely")
    gen.add_argument("--guidance", type=_non_negative_float, default=None,
                     help=f"flow only: classifier-free guidance scale, 0 or more (default {default_guidance:g}; 1: none; "
                          "more: more class-typical images, less variety; any value but 1 costs two network passes a step)")
    gen.add_argument("--scale", type=_int_from(1, MAX_SCALE), default=4,
                     help=f"pixel enlargement of the PNG files, 1 to {MAX_SCALE} (default 4: 112x112)")
    enh = sub.add_parser("enhance", help="brighten, denoise and/or upscale every photo of a folder with the saved models")
    enh.add_argument("input_dir", help="folder of photos (any size, grayscale or colour)")
    enh.add_argument("--out", required=True, help="output folder (must differ from the input folder)")
    enh.add_argument("--overwrite", action="store_true", help="replace files of the same names in the output folder")
    enh.add_argument("--upscale", type=int, choices=[2, 4], default=None,
                     help="super-resolution factor (the x2 and x4 models of notebook 09, trained on photographs)")
    enh.add_argument("--colour", choices=list(COLOUR_MODES), default="rgb",
                     help="how colour photos are enlarged: rgb, every channel by the model (default), or luma, the "
                          "brightness by the model and the colour by bicubic interpolation (three times faster)")
    enh.add_argument("--denoise", action="store_true", help="denoise before upscaling (notebook 10's photo denoiser, for noise levels 0 to 50)")
    enh.add_argument("--noise-level", type=_non_negative_float, default=None, metavar="SIGMA",
                     help="with --denoise: the photos' noise in grey levels out of 255, 0 to 55 (default: estimated "
                          "for each photo, which counts grain and fine texture as noise too; a lower level keeps more "
                          "texture, a higher one removes more)")
    enh.add_argument("--low-light", action="store_true",
                     help="correct dark, noisy shots first (notebook 11's photo low-light network: levels, then "
                          "learned tone curves and denoising; it denoises by itself, so --denoise is rarely needed with it)")
    enh.add_argument("--flatten-alpha", action="store_true",
                     help="put transparent cut-outs on white (default: keep their transparency)")
    enh.add_argument("--no-progress", action="store_true", help="no progress bar")
    sub.add_parser("env", help="print the environment report")
    fetch = sub.add_parser("fetch-data", help="find or download Fashion-MNIST and verify it")
    fetch.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)

    if args.command == "course":
        from prodimg_lib.course.runner import run_course

        try:
            summary = run_course(args.profile, args.out, args.notebooks or None)
        except FileNotFoundError as error:
            print(f"prodimg course: error: {error}", file=sys.stderr)
            return 2
        print(f"{len(summary['notebooks'])} notebook(s) in {summary['total_seconds']} s; summary in {args.out}/summary.json")
        if summary["failed"]:
            print("failed: " + ", ".join(summary["failed"]), file=sys.stderr)
            return 1
        return 0
    if args.command in ("generate", "enhance"):
        return _apply(args)
    if args.command == "env":
        from prodimg_lib.course.env import environment_report, format_report

        print(format_report(environment_report()))
        return 0
    from prodimg_lib.data.fashion_mnist import main as data_main

    return data_main(["fetch"] + (["--data-dir", args.data_dir] if args.data_dir else []))


def _apply(args) -> int:
    """``prodimg generate`` and ``prodimg enhance``: clear one-line errors instead of tracebacks."""
    from prodimg_lib.course import apply

    try:
        if args.command == "generate":
            refused = _model_option_error(args)
            if refused:
                print(f"prodimg generate: error: {refused}", file=sys.stderr)
                return 2
            result = apply.generate_to_folder(args.class_name, args.count, args.out, model=args.model, seed=args.seed,
                                              truncation=args.truncation, steps=args.steps, guidance=args.guidance,
                                              scale=args.scale, overwrite=args.overwrite, log=print)
            print(f"wrote {len(result['files'])} {result['class']} image(s) and {result['sheet'].name} to {args.out}")
            return 0
        with warnings.catch_warnings():  # the skipped files are listed below
            warnings.simplefilter("ignore", UserWarning)
            result = apply.enhance_folder(args.input_dir, args.out, upscale=args.upscale, denoise=args.denoise,
                                          low_light=args.low_light, progress=not args.no_progress, overwrite=args.overwrite,
                                          keep_alpha=not args.flatten_alpha, colour=args.colour,
                                          noise_level=args.noise_level, log=print)
    except (ValueError, OSError) as error:  # ModelNotFoundError is an OSError, CorruptModelError a ValueError
        print(f"prodimg {args.command}: error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(result['written'])} photo(s) to {args.out}; skipped {len(result['skipped'])} unreadable file(s)")
    for path, reason in result["skipped"]:
        print(f"  skipped {path.name}: {reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
