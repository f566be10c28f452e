"""Load a folder of your own product photos, and write photos (:func:`read_photo`, :func:`write_photo`).

Two layouts are understood (the same conventions as ``keras.utils.image_dataset_from_directory``):

- flat: ``photos/a.jpg, photos/b.png, ...`` gives unlabelled images;
- one subfolder per class: ``photos/mugs/*.jpg, photos/shoes/*.jpg`` gives labels
  0, 1, ... in alphabetical order of the subfolder names; the files of a class are searched at
  every depth below its folder (``photos/mugs/red/m1.jpg`` is a mug), and files directly in
  ``photos/`` are then ignored, with a warning.

Every photo is read with Pillow, turned upright according to its EXIF orientation,
converted to RGB or grayscale (16-bit grayscale scaled to 8 bits, transparent areas put on
white), and brought to one size. Files that cannot be read as an
image are skipped and counted in one warning; an empty or missing folder is an error.

:func:`demo_photo_folder` writes a few photographs that ship with scikit-image into a
folder, for the notebooks that try their tools on photos when you give them none of yours.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from prodimg_lib.data.pixels import as_photo
from prodimg_lib.files import atomic_write_bytes

__all__ = ["PhotoFolder", "load_photo_folder", "read_photo", "write_photo", "UnreadableFilesWarning",
           "DEMO_PHOTOS", "demo_photo_folder", "HELD_OUT_PHOTOS", "TRAINING_PHOTOS", "skimage_photo"]

# Colour photographs of scikit-image, none of them a Fashion-MNIST product: a cup on a saucer,
# a cat, a portrait and a rocket; with the subfolder each gets in a folder sorted by class.
DEMO_PHOTOS = ("coffee", "chelsea", "astronaut", "rocket")
_DEMO_CLASSES = {"coffee": "cups", "chelsea": "cats", "astronaut": "astronauts", "rocket": "rockets"}
_DEMO_CLOSEUPS = {"coffee": (slice(0, 400), slice(150, 440)), "rocket": (slice(110, 427), slice(255, 385))}

# The course's held-out photographs (scikit-image's file names): the photo models (notebook 09) and
# ``prodimg enhance`` are measured on these (notebooks 09 and 12, README), and no model or setting
# is trained or tuned on them. A motion-blurred clock, a stereo pair of a motorcycle, a colour
# wheel, a stained tissue section, a brick wall and a page of text.
HELD_OUT_PHOTOS = ("clock_motion", "motorcycle_left", "motorcycle_right", "color", "ihc", "brick", "page")
# The photographs the photo models are trained on: all of scikit-image's other photographs
# (the four demo photos among them), none of the held-out ones.
TRAINING_PHOTOS = ("astronaut", "camera", "cell", "chelsea", "coffee", "coins", "grass", "gravel",
                   "hubble_deep_field", "microaneurysms", "moon", "retina", "rocket", "text")
# A file name of scikit-image's data folder -> how scikit-image loads it (default: the function of that name).
_SKIMAGE_LOADERS = {"clock_motion": lambda d: d.clock(), "motorcycle_left": lambda d: d.stereo_motorcycle()[0],
                    "motorcycle_right": lambda d: d.stereo_motorcycle()[1], "color": lambda d: d.colorwheel(),
                    "ihc": lambda d: d.immunohistochemistry()}

_FITS = ("pad", "crop", "stretch")
_MODES = {"rgb": "RGB", "grayscale": "L"}


class UnreadableFilesWarning(UserWarning):
    """Some files in a photo folder could not be read as images and were skipped."""


@dataclass
class PhotoFolder:
    """Photos loaded from a folder.

    Attributes:
        images: uint8 array (N, height, width, channels), values in [0, 255]; channels is 3 for
            "rgb" and 1 for "grayscale".
        labels: int array (N,) of class indices, or None for a flat folder.
        class_names: subfolder names in label order (empty for a flat folder).
        paths: the file each image came from, in the same order.
        skipped: files that could not be read, with the reason.
    """

    images: np.ndarray
    labels: np.ndarray | None
    class_names: list[str]
    paths: list[Path]
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)


def _files_in(folder: Path, *, recursive: bool = False) -> list[Path]:
    """The files of a folder (``recursive``: of its subfolders too), hidden names left out, sorted."""
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in candidates
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


# Pillow's modes of grayscale images with more than 8 bits (16-bit PNG and TIFF, 32-bit, float).
_DEEP_GRAY = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def _eight_bit(img: Image.Image) -> Image.Image:
    """A 16-bit (or 32-bit integer, or float) grayscale image scaled to 8 bits; other images as they are.

    ``convert("L")`` would clip such an image (a 0..65535 ramp becomes almost all white), so
    integer values are scaled by 255 / 65535 and float values, taken to be in [0, 1], by 255.
    """
    if img.mode not in _DEEP_GRAY:
        return img
    values = np.asarray(img, dtype=np.float64)
    values = values * 255.0 if img.mode == "F" else values / 257.0
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), "L")


def _upright(img: Image.Image, mode: str) -> Image.Image:
    """EXIF orientation applied, deep grayscale scaled to 8 bits, transparent cut-outs put on white, as ``mode``."""
    img = _eight_bit(ImageOps.exif_transpose(img))
    if img.mode in ("RGBA", "LA", "P"):  # put transparent product cut-outs on white
        rgba = img.convert("RGBA")
        img = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img.alpha_composite(rgba)
    return img.convert(mode)


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)


def read_photo(path: str | os.PathLike, *, keep_alpha: bool = False) -> np.ndarray:
    """One photo at its own size: uint8 (H, W, 1) for a grayscale file, (H, W, 3) otherwise.

    The EXIF orientation is applied and a 16-bit grayscale file is scaled to 8 bits (65535
    becomes 255), not clipped. Transparent areas are put on white, unless ``keep_alpha``:
    then a file with transparency (a product cut-out) gives (H, W, 4) RGBA pixels.

    Raises:
        OSError, PIL.UnidentifiedImageError: the file is not a readable image.
    """
    with Image.open(path) as img:
        if keep_alpha and _has_alpha(img):
            return np.asarray(ImageOps.exif_transpose(img).convert("RGBA"), dtype=np.uint8)
        gray = img.mode in ("1", "L", "LA", *_DEEP_GRAY)
        array = np.asarray(_upright(img, "L" if gray else "RGB"), dtype=np.uint8)
    return array[..., None] if array.ndim == 2 else array


def write_photo(pixels, path: str | os.PathLike) -> Path:
    """Write one uint8 image atomically, in the format its suffix names (PNG when unknown); return the path.

    Args:
        pixels: uint8 (H, W, C) with C 1, 3 or 4 (RGBA; as :func:`read_photo` gives), or (H, W) grayscale.
        path: the file; JPEG files are written at quality 95. Parent folders are created.

    Raises:
        ValueError: bad pixels, or RGBA pixels for a JPEG file (which has no alpha channel).
    """
    pixels = np.asarray(pixels)
    pixels = as_photo(pixels[..., None] if pixels.ndim == 2 else pixels, "pixels", channels=(1, 3, 4))
    path = Path(path)
    suffix = path.suffix.lower()
    if pixels.shape[-1] == 4 and suffix in (".jpg", ".jpeg"):
        raise ValueError(f"{path.name}: a JPEG file has no alpha channel; write RGBA pixels to a .png file")
    image = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
    options = {"quality": 95} if suffix in (".jpg", ".jpeg") else {}
    buffer = io.BytesIO()
    image.save(buffer, format=Image.registered_extensions().get(suffix, "PNG"), **options)
    return atomic_write_bytes(path, buffer.getvalue())


def _read(path: Path, size: tuple[int, int], mode: str, fit: str, pad_value: int) -> np.ndarray:
    with Image.open(path) as img:
        img = _upright(img, mode)
        width_height = (size[1], size[0])
        if fit == "stretch":
            img = img.resize(width_height, Image.Resampling.LANCZOS)
        elif fit == "crop":
            img = ImageOps.fit(img, width_height, Image.Resampling.LANCZOS)
        else:
            fill = pad_value if mode == "L" else (pad_value,) * 3
            img = ImageOps.pad(img, width_height, Image.Resampling.LANCZOS, color=fill)
        array = np.asarray(img, dtype=np.uint8)
    return array[..., None] if array.ndim == 2 else array


def load_photo_folder(
    path: str | os.PathLike,
    size: int | tuple[int, int] = (64, 64),
    *,
    color_mode: str = "rgb",
    fit: str = "pad",
    pad_value: int = 255,
) -> PhotoFolder:
    """Load every readable image in ``path`` (and its class subfolders), resized to one size.

    Args:
        path: the folder.
        size: output (height, width) in pixels, or one int for a square.
        color_mode: "rgb" (3 channels) or "grayscale" (1 channel).
        fit: how the aspect ratio is handled: "pad" keeps the whole photo and fills the
            border with ``pad_value`` (white by default, as on a product page), "crop" cuts
            the centre, "stretch" distorts.
        pad_value: border value in [0, 255] for ``fit="pad"``.

    Returns:
        A :class:`PhotoFolder`.

    Raises:
        FileNotFoundError: the folder does not exist.
        NotADirectoryError: the path is a file.
        ValueError: bad arguments, an empty folder, or no readable image at all.
    """
    folder = Path(path).expanduser()
    size = (size, size) if isinstance(size, int) else tuple(size)
    if len(size) != 2 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in size):
        raise ValueError(f"size must be a positive int or a (height, width) pair of positive ints, got {size!r}")
    if color_mode not in _MODES:
        raise ValueError(f"color_mode must be one of {list(_MODES)}, got {color_mode!r}")
    if fit not in _FITS:
        raise ValueError(f"fit must be one of {list(_FITS)}, got {fit!r}")
    if not 0 <= pad_value <= 255:
        raise ValueError(f"pad_value must be in [0, 255], got {pad_value}")
    if not folder.exists():
        raise FileNotFoundError(f"photo folder {folder} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file, not a folder of photos")

    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if subfolders:
        entries = [(f, label) for label, sub in enumerate(subfolders) for f in _files_in(sub, recursive=True)]
        class_names = [p.name for p in subfolders]
        ignored = _files_in(folder)
        if ignored:
            warnings.warn(
                f"{folder} has class subfolders, so the {len(ignored)} file(s) directly inside it were ignored",
                UserWarning,
                stacklevel=2,
            )
    else:
        entries = [(f, None) for f in _files_in(folder)]
        class_names = []
    if not entries:
        raise ValueError(f"photo folder {folder} contains no files")

    images, labels, paths, skipped = [], [], [], []
    for file, label in entries:
        try:
            images.append(_read(file, size, _MODES[color_mode], fit, pad_value))
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
            skipped.append((file, f"{type(exc).__name__}: {exc}"))
            continue
        labels.append(label)
        paths.append(file)
    if skipped:
        names = ", ".join(p.name for p, _ in skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        warnings.warn(
            f"skipped {len(skipped)} of {len(entries)} file(s) in {folder} that are not readable images: {names}",
            UnreadableFilesWarning,
            stacklevel=2,
        )
    if not images:
        raise ValueError(f"none of the {len(entries)} file(s) in {folder} could be read as an image")
    return PhotoFolder(
        images=np.stack(images),
        labels=np.asarray(labels, dtype=np.int64) if class_names else None,
        class_names=class_names,
        paths=paths,
        skipped=skipped,
    )


def demo_photo_folder(root: str | os.PathLike, names=DEMO_PHOTOS, *, shrink: int = 1, by_class: bool = False) -> Path:
    """Write photographs that ship with scikit-image into ``root``; return the folder.

    Args:
        root: the folder (created if missing).
        names: which of :data:`DEMO_PHOTOS`.
        shrink: an integer >= 1; each photo is reduced by it (the mean of each shrink x shrink
            block, Pillow's ``reduce``), to make small photos to enlarge.
        by_class: False writes ``NAME.png`` files side by side. True writes the folder a learner
            might have: one subfolder per kind (``cups/``, ``cats/``, ...), JPEG and PNG files, a
            close-up crop of the cup and of the rocket, and one broken file
            (``rockets/rocket_download.jpg``, the first 2 kB of a JPEG) that a loader must skip.

    Raises:
        ValueError: a name not in :data:`DEMO_PHOTOS`, or a shrink that is not a positive integer.
    """
    from skimage import data as skdata

    from prodimg_lib.data.pixels import check_positive_int

    shrink = check_positive_int(shrink, "shrink")
    unknown = [n for n in names if n not in DEMO_PHOTOS]
    if unknown:
        raise ValueError(f"no demo photo {unknown[0]!r}: the demo photos are {', '.join(DEMO_PHOTOS)}")
    root = Path(root)
    for name in names:
        photo = getattr(skdata, name)()
        files = {f"{name}.png": photo}
        if by_class:
            files = {f"{name}.{'png' if name == 'astronaut' else 'jpg'}": photo}
            if name in _DEMO_CLOSEUPS:
                files[f"{name}_closeup.png"] = photo[_DEMO_CLOSEUPS[name]]
        folder = root / _DEMO_CLASSES[name] if by_class else root
        folder.mkdir(parents=True, exist_ok=True)
        for file_name, pixels in files.items():
            image = Image.fromarray(pixels)
            (image.reduce(shrink) if shrink > 1 else image).save(folder / file_name)
    if by_class and "rocket" in names:
        jpeg = (root / "rockets" / "rocket.jpg").read_bytes()
        (root / "rockets" / "rocket_download.jpg").write_bytes(jpeg[:2048])
    return root


def skimage_photo(name: str) -> np.ndarray:
    """One of scikit-image's photographs at its own size: uint8 (H, W, 1) grayscale or (H, W, 3) colour.

    Args:
        name: one of :data:`HELD_OUT_PHOTOS` or :data:`TRAINING_PHOTOS` (or :data:`DEMO_PHOTOS`).

    Raises:
        ValueError: another name.
    """
    from skimage import data as skdata

    if name not in HELD_OUT_PHOTOS + TRAINING_PHOTOS + DEMO_PHOTOS:
        raise ValueError(f"no photograph {name!r}: choose one of {', '.join(HELD_OUT_PHOTOS + TRAINING_PHOTOS)}")
    pixels = np.asarray(_SKIMAGE_LOADERS.get(name, lambda d: getattr(d, name)())(skdata))
    if pixels.dtype != np.uint8:
        raise ValueError(f"scikit-image's {name!r} is not an 8-bit photograph ({pixels.dtype})")
    return pixels[..., None] if pixels.ndim == 2 else pixels[..., :3]
