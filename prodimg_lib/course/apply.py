"""The course's saved models applied to your own images: generate by class, enhance a folder.

What ``prodimg generate`` and ``prodimg enhance`` run (see :mod:`prodimg_lib.course.cli`):

- :func:`generate_to_folder`: images of one product class from the saved conditional
  generator (``build/models/cdcgan_generator.keras``, notebook 06) or the saved
  class-conditional flow-matching U-Net (``build/models/flow_generator.keras``, notebook 08),
  written as PNG files plus a contact sheet;
- :func:`enhance_folder`: every readable photo of a folder brightened, denoised and/or upscaled by the
  saved photo models (``low_light_photo.keras`` from notebook 11, the low-light network trained on
  photographs darkened as shot; ``denoise_photo.keras`` from notebook 10, the denoiser trained on
  photographs, told each photo's noise level or estimating it; ``sr_x2_photo.keras`` / ``sr_x4_photo.keras`` from notebook 09, the
  super-resolution models trained on photographs), written under the same file names into
  another folder. The Fashion-MNIST models are not used on photos: they learned clothing on
  black, and notebooks 09 and 10 measure them below the classical methods there.

The photos are processed at their own size, tile by tile, by
:func:`prodimg_lib.enhancement.photo.enhance_image` (also importable from here, with
:func:`prodimg_lib.enhancement.photo.tiled_predict`).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from prodimg_lib.data.pixels import check_positive_int, check_scalar
from prodimg_lib.enhancement.models.restore import takes_noise_level
from prodimg_lib.enhancement.photo import COLOUR_MODES, enhance_image, tiled_predict

__all__ = ["tiled_predict", "check_image_model", "check_generator_model", "check_flow_model", "enhance_image", "enhance_folder",
           "generate_to_folder", "prepare_output_folder", "PHOTO_SUFFIXES", "MAX_SCALE", "GENERATOR_MODELS", "MAX_STEPS",
           "MAX_NOISE_LEVEL"]

PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif")
MAX_SCALE = 32  # pixel enlargement of generated images: 28 x 32 = 896 pixels a side at most
# The generators of generate_to_folder: its ``model`` argument -> the saved model's name (artifacts.MODEL_SOURCES).
GENERATOR_MODELS = {"cdcgan": "cdcgan_generator", "flow": "flow_generator"}
MAX_STEPS = 1000  # Euler steps of the flow model at most
MAX_NOISE_LEVEL = 55.0  # the highest level the photo denoiser was trained on (grey levels out of 255)


def prepare_output_folder(out_dir, names, *, overwrite: bool = False) -> Path:
    """Create the output folder and make sure that writing ``names`` into it loses none of the user's files.

    Checked before anything is written, so that a refused run writes nothing.

    Args:
        out_dir: the output folder (created with its parents).
        names: the file names that will be written into it.
        overwrite: replace files of those names that are already there.

    Returns:
        The folder, as a ``Path``.

    Raises:
        NotADirectoryError: ``out_dir`` is a file.
        FileExistsError: some of ``names`` exist and ``overwrite`` is False (the message lists them).
        OSError: the folder cannot be created (read-only or full disk, no permission).
    """
    target = Path(out_dir).expanduser()
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"the output {target} is a file, not a folder: name a folder")
    existing = sorted(name for name in names if (target / name).exists())
    if existing and not overwrite:
        shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
        raise FileExistsError(f"{len(existing)} file(s) would be replaced in {target} ({shown}): choose another "
                              "output folder, or pass --overwrite to replace them")
    target.mkdir(parents=True, exist_ok=True)
    return target


def check_image_model(model, name: str, factor: int = 1, *, channels: int = 1, noise_level: bool = False) -> None:
    """Check that a loaded model is what the tools apply: ``channels``-channel images in, ``factor`` times larger out.

    Args:
        noise_level: also accept a denoiser that takes ``[images, noise_level]``, a level map
            (N, H, W, 1) beside the images (``build_dncnn(..., noise_map=True)``).

    Raises:
        ValueError: another kind of model (its inputs or its output size), named with the fix.
    """
    import keras

    shapes = [tuple(t.shape) for t in model.inputs]
    fix = "rebuild it with the notebook that makes it, or remove it from build/models"
    kind = "one-channel" if channels == 1 else f"{channels}-channel"
    with_level = noise_level and len(shapes) == 2 and len(shapes[1]) == 4 and shapes[1][-1] == 1
    if not (len(shapes) == 1 or with_level) or len(shapes[0]) != 4 or shapes[0][-1] != channels:
        raise ValueError(f"saved model {name!r} takes inputs of shape {', '.join(map(str, shapes))}; the tool needs "
                         f"{kind} images (N, H, W, {channels})" + (" and optionally a noise level map (N, H, W, 1)"
                                                                   if noise_level else "") + f": {fix}")
    probe = np.zeros((1, 8, 8, channels), "float32")
    try:
        out = model([probe, np.zeros((1, 8, 8, 1), "float32")] if with_level else probe, training=False)
        out = tuple(keras.ops.convert_to_numpy(out).shape)
    except Exception as error:  # noqa: BLE001 - a model that cannot take an 8 x 8 image is the wrong model
        raise ValueError(f"saved model {name!r} cannot run on an 8 x 8 {kind} image ({type(error).__name__}): "
                         f"{fix}") from None
    if out != (1, 8 * factor, 8 * factor, channels):
        raise ValueError(f"saved model {name!r} turns an 8 x 8 image into {out[1:]}, not ({8 * factor}, {8 * factor}, "
                         f"{channels}) (x{factor}): {fix}")


def check_generator_model(model, name: str = "cdcgan_generator") -> None:
    """Check that a loaded model is what ``generate`` needs: ``[noise, label] -> (N, 28, 28, 1)``, 10 classes.

    Raises:
        ValueError: another kind of model (an unconditional generator, another class count or
            image size), named with the fix.
    """
    from prodimg_lib.data import NUM_CLASSES
    from prodimg_lib.generation.dcgan import is_conditional, num_classes_of

    fix = "rebuild it with notebooks/06_conditional_dcgan.ipynb, or remove it from build/models"
    if not is_conditional(model):
        raise ValueError(f"saved model {name!r} takes {len(model.inputs)} input(s); the tool needs a conditional "
                         f"generator ([noise, label] -> image): {fix}")
    if num_classes_of(model) != NUM_CLASSES:
        raise ValueError(f"saved model {name!r} knows {num_classes_of(model)} classes, not the {NUM_CLASSES} "
                         f"product classes: {fix}")
    out = tuple(model.outputs[0].shape[1:]) if len(model.outputs) == 1 else None
    if out != (28, 28, 1):
        raise ValueError(f"saved model {name!r} makes images of shape {out}, not (28, 28, 1): {fix}")


def check_flow_model(model, name: str = "flow_generator") -> None:
    """Check that a loaded model is what ``generate --model flow`` needs: the U-Net of notebook 08.

    That is ``[noisy (N, 28, 28, 1), t (N,), labels (N,)] -> (N, 28, 28, 1)`` with a label embedding
    of the 10 product classes plus the null label (:func:`prodimg_lib.generation.unet.build_unet`).

    Raises:
        ValueError: another kind of model, named with the fix.
    """
    from prodimg_lib.data import NUM_CLASSES

    fix = "rebuild it with notebooks/08_diffusion.ipynb, or remove it from build/models"
    shapes = [tuple(t.shape[1:]) for t in model.inputs]
    if len(shapes) != 3 or shapes[0] != (28, 28, 1):
        raise ValueError(f"saved model {name!r} takes inputs of shape {', '.join(map(str, shapes))}; the tool needs "
                         f"the flow-matching U-Net ([noisy (N, 28, 28, 1), t (N,), labels (N,)] -> image): {fix}")
    try:
        labels = int(model.get_layer("label_embedding").input_dim)
    except ValueError:
        raise ValueError(f"saved model {name!r} has no 'label_embedding' layer; the tool needs the class-conditional "
                         f"flow-matching U-Net: {fix}") from None
    if labels != NUM_CLASSES + 1:
        raise ValueError(f"saved model {name!r} knows {labels - 1} classes (plus the null label), not the "
                         f"{NUM_CLASSES} product classes: {fix}")
    out = tuple(model.outputs[0].shape[1:]) if len(model.outputs) == 1 else None
    if out != (28, 28, 1):
        raise ValueError(f"saved model {name!r} predicts shape {out}, not (28, 28, 1): {fix}")


def enhance_folder(input_dir, out_dir, *, upscale: int | None = None, denoise: bool = False, progress: bool = True,
                   tile: int = 128, overwrite: bool = False, keep_alpha: bool = True, colour: str = "rgb",
                   low_light: bool = False, noise_level: float | None = None, log=None) -> dict:
    """Enhance every photo of ``input_dir`` (not its subfolders) into ``out_dir``, keeping file names.

    Args:
        input_dir: a folder of photos, any size, grayscale or colour.
        out_dir: where the results go (created); it must not be ``input_dir``, and an input
            file is never overwritten.
        upscale: 2 or 4 to upscale with ``sr_x2_photo`` / ``sr_x4_photo``, None to keep the size.
        denoise: True to denoise with ``denoise_photo`` (every colour channel, before enlarging).
        noise_level: with ``denoise``: the photos' noise in grey levels out of 255 (0 to 55; lower
            keeps more texture, higher removes more), or None to estimate it for each photo
            (see :func:`prodimg_lib.enhancement.photo.enhance_image`).
        low_light: True to correct dark shots with ``low_light_photo`` first (levels over the whole
            photo, then the network on the three channels; it denoises as it brightens).
        progress: show a progress bar.
        tile: tile size of :func:`tiled_predict`.
        overwrite: replace files of the output names already in ``out_dir`` (otherwise that
            is an error, raised before anything is written).
        keep_alpha: keep the transparency of cut-outs (an RGBA photo gives an RGBA photo, its
            alpha enlarged with bicubic interpolation); False puts them on white.
        colour: how colour photos are enlarged, "rgb" (each channel by the model) or "luma" (the
            luma by the model, the colour by bicubic interpolation; three times faster), see
            :func:`prodimg_lib.enhancement.photo.enhance_image`.
        log: called with one line per model, saying which is used (the learner's or the
            pretrained one, :func:`prodimg_lib.course.artifacts.load_model`); None says nothing.

    Returns:
        ``{"written": [paths], "skipped": [(path, reason)]}``.

    Raises:
        FileNotFoundError, NotADirectoryError: a missing input folder, or an output that is a file.
        FileExistsError: output files exist and ``overwrite`` is False.
        ValueError: nothing to do, a bad factor, an empty folder, ``out_dir`` equal to ``input_dir``.
        ModelNotFoundError: a saved model is missing (the message names the notebook that makes it).
        CorruptModelError: a model cannot be loaded; ValueError: one of the wrong kind (:func:`check_image_model`).
        OSError: the output folder cannot be written.
    """
    import keras

    from prodimg_lib.course import artifacts
    from prodimg_lib.data.photos import read_photo, write_photo

    source, target = Path(input_dir).expanduser(), Path(out_dir).expanduser()
    if not source.exists():
        raise FileNotFoundError(f"input folder {source} does not exist")
    if not source.is_dir():
        raise NotADirectoryError(f"{source} is a file; pass the folder that holds the photos")
    if upscale not in (None, 2, 4):
        raise ValueError(f"upscale must be 2 or 4, got {upscale!r}")
    if upscale is None and not denoise and not low_light:
        raise ValueError("nothing to do: ask for --low-light, --denoise, --upscale 2 and/or --upscale 4")
    if colour not in COLOUR_MODES:
        raise ValueError(f"colour must be one of {', '.join(map(repr, COLOUR_MODES))}, got {colour!r}")
    if noise_level is not None:
        if not denoise:
            raise ValueError("a noise level is for the denoiser: add --denoise, or leave out --noise-level")
        noise_level = check_scalar(noise_level, "noise level", low=0.0, high=MAX_NOISE_LEVEL)
    if target.resolve() == source.resolve():
        raise ValueError(f"the output folder must differ from the input folder ({source}): inputs are never overwritten")
    files = sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ValueError(f"input folder {source} contains no files")
    out_names = {path: path.name if path.suffix.lower() in PHOTO_SUFFIXES[:-1] else path.stem + ".png"
                 for path in files}
    brightener = artifacts.load_model("low_light_photo", log=log) if low_light else None
    denoiser = artifacts.load_model("denoise_photo", log=log) if denoise else None
    upscaler = artifacts.load_model(f"sr_x{upscale}_photo", log=log) if upscale else None
    if brightener is not None:
        check_image_model(brightener, "low_light_photo", channels=3)
    if denoiser is not None:
        check_image_model(denoiser, "denoise_photo", 1, noise_level=True)
        if noise_level is not None and not takes_noise_level(denoiser):
            raise ValueError("the saved 'denoise_photo' is a blind denoiser (an older build): it cannot be told a noise "
                             "level; rebuild it with notebooks/10_restoration.ipynb, or leave out --noise-level")
    if upscaler is not None:
        check_image_model(upscaler, f"sr_x{upscale}_photo", upscale)
    target = prepare_output_folder(target, out_names.values(), overwrite=overwrite)
    inputs = {p.resolve() for p in files}
    bar = keras.utils.Progbar(len(files), unit_name="photo") if progress else None
    written, skipped = [], []
    for i, path in enumerate(files):
        try:
            pixels = read_photo(path, keep_alpha=keep_alpha)
        except Exception as error:  # noqa: BLE001 - any unreadable file is skipped and counted
            skipped.append((path, f"{type(error).__name__}: {error}"))
        else:
            out_path = target / out_names[path]
            if out_path.resolve() in inputs:
                raise ValueError(f"{out_path} is an input file: refusing to overwrite it")
            write_photo(enhance_image(pixels, denoiser=denoiser, upscaler=upscaler, factor=upscale or 1, tile=tile,
                                      colour=colour, low_light=brightener, noise_level=noise_level), out_path)
            written.append(out_path)
        if bar is not None:
            bar.update(i + 1)
    if skipped:
        warnings.warn(f"skipped {len(skipped)} unreadable file(s) in {source}", UserWarning, stacklevel=2)
    if not written:
        raise ValueError(f"no readable photo in {source} ({len(skipped)} unreadable file(s))")
    return {"written": written, "skipped": skipped}


def generate_to_folder(class_name, count: int, out_dir, *, model: str = "cdcgan", seed: int = 0,
                       truncation: float | None = None, steps: int | None = None, guidance: float | None = None,
                       scale: int = 4, overwrite: bool = False, log=None) -> dict:
    """Generate ``count`` images of one product class with a saved class-conditional generator.

    Files: ``<class>_000.png`` ... (28x28 pixels times ``scale``, nearest neighbour) and
    ``<class>_sheet.png``, a contact sheet of all of them, whichever the model.

    Args:
        class_name: a Fashion-MNIST class name (forgiving about case and plurals) or index.
        count: the number of images (>= 1).
        out_dir: the output folder (created).
        model: ``"cdcgan"``, the conditional DCGAN of notebook 06 (``cdcgan_generator``: one
            network pass per image), or ``"flow"``, the flow-matching U-Net of notebook 08
            (``flow_generator``: ``steps`` Euler steps from noise to image, each one or, with
            guidance, two network passes).
        seed: the noise seed (>= 0); the same seed gives the same images.
        truncation: cdcgan only: a truncation threshold (> 0) for more typical images, or None.
        steps: flow only: Euler steps, 1 to :data:`MAX_STEPS` (None:
            :data:`prodimg_lib.generation.diffusion.DEFAULT_STEPS`).
        guidance: flow only: the classifier-free guidance scale (>= 0; 1 is the plain conditional
            model, more gives more class-typical images; None:
            :data:`prodimg_lib.generation.diffusion.DEFAULT_GUIDANCE`).
        scale: pixel enlargement, 1 to :data:`MAX_SCALE`.
        overwrite: replace files of the same names in ``out_dir`` (otherwise an error,
            raised before anything is written).
        log: called with one line saying which generator is used (see :func:`enhance_folder`).

    Returns:
        ``{"class": name, "files": [paths], "sheet": path}``.

    Raises:
        ValueError: an unknown class (the message lists the valid ones) or model, a bad count,
            seed, truncation, steps, guidance or scale, or an option of the other model.
        NotADirectoryError, FileExistsError, OSError: see :func:`prepare_output_folder`.
        ModelNotFoundError: no saved generator of that model (the message names the notebook
            that makes it, 06 or 08, and says whether a pretrained one is installed).
        CorruptModelError: an unreadable one; ValueError: another kind of model
            (:func:`check_generator_model`, :func:`check_flow_model`).
    """
    from prodimg_lib.course import artifacts
    from prodimg_lib.data import CLASS_NAMES, class_index, from_minus_one_one
    from prodimg_lib.data.photos import write_photo
    from prodimg_lib.viz import grid_image

    if model not in GENERATOR_MODELS:
        raise ValueError(f"model must be one of {', '.join(map(repr, GENERATOR_MODELS))}, got {model!r}")
    index = class_index(class_name)
    count = check_positive_int(count, "count")
    scale = check_positive_int(scale, "scale")
    if scale > MAX_SCALE:
        raise ValueError(f"scale must be from 1 to {MAX_SCALE} (28 x {MAX_SCALE} = {28 * MAX_SCALE} pixels), got {scale}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if model == "cdcgan":
        given = [name for name, value in (("steps", steps), ("guidance", guidance)) if value is not None]
        if given:
            raise ValueError(f"{' and '.join(given)} {'is an option' if len(given) == 1 else 'are options'} of the flow "
                             "model, not of cdcgan (which takes truncation): pass model='flow', or leave "
                             f"{'it' if len(given) == 1 else 'them'} out")
        if truncation is not None:
            check_scalar(truncation, "truncation", low=0.0, low_open=True)
    else:
        if truncation is not None:
            raise ValueError("truncation is an option of the cdcgan model, not of flow (which takes steps and guidance): "
                             "leave it out, or pass model='cdcgan'")
        from prodimg_lib.generation import diffusion

        steps = check_positive_int(diffusion.DEFAULT_STEPS if steps is None else steps, "steps", high=MAX_STEPS)
        guidance = check_scalar(diffusion.DEFAULT_GUIDANCE if guidance is None else guidance, "guidance", low=0.0)
    slug = re.sub(r"[^a-z0-9]+", "_", CLASS_NAMES[index].lower()).strip("_")
    names = [f"{slug}_{i:03d}.png" for i in range(count)] + [f"{slug}_sheet.png"]
    network = artifacts.load_model(GENERATOR_MODELS[model], log=log)
    if model == "cdcgan":
        check_generator_model(network)
    else:
        check_flow_model(network)
    target = prepare_output_folder(out_dir, names, overwrite=overwrite)
    if model == "cdcgan":
        from prodimg_lib.generation.sampling import generate

        images = generate(network, count, index, seed=seed, truncation=truncation)
    else:
        images = diffusion.sample(network, "flow", np.full(count, index, np.int32), steps=steps, guidance=guidance,
                                  seed=int(seed))
    files = []
    for i, image in enumerate(from_minus_one_one(images)):
        files.append(write_photo(np.repeat(np.repeat(image, scale, axis=0), scale, axis=1), target / f"{slug}_{i:03d}.png"))
    sheet = write_photo(grid_image(images, ncols=min(count, 8), scale=scale), target / f"{slug}_sheet.png")
    return {"class": CLASS_NAMES[index], "files": files, "sheet": sheet}
