"""Product image data: Fashion-MNIST, the committed sample, and scaling helpers.

Fashion-MNIST (Zalando Research, MIT licence) holds 70,000 grayscale 28x28 photos of
clothing, shoes and bags in ten classes. :func:`load_fashion_mnist` finds it offline
when it can and checks every file against the published SHA-256 of its *decompressed*
bytes, so a file that was re-compressed (as Debian's package does) still verifies,
and a corrupt or tampered one never loads.

Sources, tried in this order:

1. a directory given as ``data_dir=`` or in the environment variable
   ``PRODIMG_FASHION_MNIST_DIR``;
2. the project's data cache (``PRODIMG_CACHE_DIR``, default ``~/.cache/prodimg_lib``);
3. the files of Debian's package ``dataset-fashion-mnist``
   (``/usr/share/datasets/fashion-mnist``);
4. the canonical download (the address Keras uses), saved into the cache.

When every source fails, one :class:`DataNotFoundError` lists what was tried and how
to fix it.

Command line: ``python -m prodimg_lib.data fetch`` finds (or downloads) the data and
says where it came from.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import sys
import urllib.error
import urllib.request
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from prodimg_lib.files import atomic_write_bytes, describe_error

__all__ = [
    "ENV_DIR",
    "ENV_CACHE",
    "ENV_URL",
    "DEBIAN_DIR",
    "DOWNLOAD_URL",
    "SAMPLE_SHA256",
    "CLASS_NAMES",
    "NUM_CLASSES",
    "class_index",
    "FashionMNIST",
    "DataNotFoundError",
    "CorruptDataError",
    "Source",
    "default_sources",
    "locate_fashion_mnist",
    "load_fashion_mnist",
    "load_sample",
    "load_for_profile",
    "sample_path",
    "make_sample",
]

CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
NUM_CLASSES = len(CLASS_NAMES)

# Published SHA-256 of the decompressed files; (file name, digest, expected shape).
_FILES: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "x_train": (
        "train-images-idx3-ubyte",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        (60000, 28, 28),
    ),
    "y_train": (
        "train-labels-idx1-ubyte",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        (60000,),
    ),
    "x_test": (
        "t10k-images-idx3-ubyte",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        (10000, 28, 28),
    ),
    "y_test": (
        "t10k-labels-idx1-ubyte",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        (10000,),
    ),
}

DOWNLOAD_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
ENV_DIR = "PRODIMG_FASHION_MNIST_DIR"
ENV_CACHE = "PRODIMG_CACHE_DIR"
ENV_URL = "PRODIMG_FASHION_MNIST_URL"

SAMPLE_FILE = "fashion_mnist_sample.npz"
SAMPLE_PER_CLASS = {"train": 100, "test": 20}
# SHA-256 of the sample's array contents (see _arrays_digest), fixed by make_sample(seed=0).
SAMPLE_SHA256 = "0b3f1a1ed55efd6025005933615dd74ec5d3a2d6efcb8a693d5d43f461665a54"


class FashionMNIST(NamedTuple):
    """The four Fashion-MNIST arrays, unpackable as ``x_train, y_train, x_test, y_test``.

    ``x_*`` are uint8 images of shape (N, 28, 28) with values in [0, 255];
    ``y_*`` are uint8 class indices of shape (N,) in [0, 9] (see :data:`CLASS_NAMES`).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


class DataNotFoundError(FileNotFoundError):
    """No source could provide verified Fashion-MNIST data; the message says what was tried."""


class CorruptDataError(ValueError):
    """A data file is there but unreadable, incomplete or altered; the message names it and the fix."""


class _SourceFailed(Exception):
    """One source could not provide the data (the reason goes into the final report)."""


@dataclass(frozen=True)
class Source:
    """A place Fashion-MNIST may come from.

    Attributes:
        kind: "directory", "cache", "debian" or "download".
        location: a folder, or for "download" a base URL.
        description: how the source is named in reports.
    """

    kind: str
    location: str
    description: str

    def load(self, cache_dir: Path) -> FashionMNIST:
        if self.kind == "download":
            return _download_into(self.location, cache_dir)
        folder = Path(self.location)
        if folder.is_file():
            raise _SourceFailed(f"{folder} is a file: name the folder that holds the four *-ubyte.gz files")
        if not folder.is_dir():
            raise _SourceFailed(f"{folder} does not exist")
        return _load_folder(folder)


def _simple(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def class_index(name) -> int:
    """The class index of a Fashion-MNIST class name, forgiving about case, spaces and plurals.

    ``"Sneaker"``, ``"sneakers"``, ``"ankle boot"``, ``"T-shirt"``, ``"tshirt"``, ``"top"`` and
    ``"bag"`` all work; an integer 0-9 (or its string) is returned as is.

    Raises:
        ValueError: an unknown name; the message lists the valid ones.
    """
    if isinstance(name, (int, np.integer)) and not isinstance(name, bool) and 0 <= int(name) < len(CLASS_NAMES):
        return int(name)
    text = str(name).strip()
    if text.isdigit() and int(text) < len(CLASS_NAMES):
        return int(text)
    wanted = _simple(text)
    for index, class_name in enumerate(CLASS_NAMES):
        forms = {_simple(class_name), *(_simple(part) for part in class_name.split("/"))}
        if wanted in forms or (wanted.endswith("s") and wanted[:-1] in forms) or (wanted.endswith("es") and wanted[:-2] in forms):
            return index
    valid = ", ".join(f"{i} {n!r}" for i, n in enumerate(CLASS_NAMES))
    raise ValueError(f"unknown product class {name!r}; the classes are: {valid}")

def cache_dir() -> Path:
    """The project's data cache (``$PRODIMG_CACHE_DIR`` or ``~/.cache/prodimg_lib``) for Fashion-MNIST."""
    base = os.environ.get(ENV_CACHE) or Path.home() / ".cache" / "prodimg_lib"
    return Path(base) / "fashion-mnist"


def default_sources(data_dir: str | os.PathLike | None = None, *, download: bool = True) -> list[Source]:
    """The sources :func:`load_fashion_mnist` tries, in order."""
    sources = []
    if data_dir is not None:
        sources.append(Source("directory", str(data_dir), f"directory given as data_dir ({data_dir})"))
    elif os.environ.get(ENV_DIR):
        sources.append(Source("directory", os.environ[ENV_DIR], f"directory from ${ENV_DIR} ({os.environ[ENV_DIR]})"))
    sources.append(Source("cache", str(cache_dir()), f"project cache ({cache_dir()})"))
    sources.append(Source("debian", str(DEBIAN_DIR), f"Debian package dataset-fashion-mnist ({DEBIAN_DIR})"))
    if download:
        url = os.environ.get(ENV_URL) or DOWNLOAD_URL
        sources.append(Source("download", url, f"download from {url}"))
    return sources


def _read_file(folder: Path, name: str) -> bytes:
    """Decompressed bytes of ``name`` in ``folder`` (``name.gz`` or uncompressed ``name``)."""
    for candidate, opener in ((folder / f"{name}.gz", gzip.open), (folder / name, open)):
        if candidate.is_file():
            try:
                with opener(candidate, "rb") as fh:
                    return fh.read()
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise _SourceFailed(f"{candidate} is unreadable ({exc})") from exc
    raise _SourceFailed(f"{name}.gz is missing in {folder}")


def _parse_idx(raw: bytes, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Parse an IDX file (big-endian header: magic, then one uint32 per dimension)."""
    ndim = len(shape)
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if raw[2] != 0x08 or raw[3] != ndim or dims != shape:
        raise _SourceFailed(f"{name} has an unexpected IDX header {dims}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _verified(raw: bytes, name: str, digest: str) -> bytes:
    got = hashlib.sha256(raw).hexdigest()
    if got != digest:
        raise _SourceFailed(f"{name} fails its checksum (sha256 {got[:12]}..., expected {digest[:12]}...)")
    return raw


def _load_folder(folder: Path) -> FashionMNIST:
    return _from_raw({name: _verified(_read_file(folder, name), name, digest) for name, digest, _ in _FILES.values()})


def _from_raw(raw_files: dict[str, bytes]) -> FashionMNIST:
    """The four arrays from the decompressed, verified IDX files (``{name: bytes}``)."""
    return FashionMNIST(**{key: _parse_idx(raw_files[name], name, shape) for key, (name, _, shape) in _FILES.items()})


def _download_into(base_url: str, target: Path) -> FashionMNIST:
    """Download the four files, verify each, and store them in ``target`` atomically.

    A verified download is used even when it cannot be stored (a read-only or full cache
    folder): one warning says so, and the next run downloads again.
    """
    payloads, raw_files = {}, {}
    for name, digest, _ in _FILES.values():
        url = base_url.rstrip("/") + f"/{name}.gz"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                payload = response.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise _SourceFailed(f"could not download {url} ({exc})") from exc
        try:
            raw = gzip.decompress(payload)
        except (OSError, EOFError) as exc:
            raise _SourceFailed(f"{url} is not a gzip file ({exc})") from exc
        payloads[name], raw_files[name] = payload, _verified(raw, name, digest)
    try:
        for name, payload in payloads.items():
            atomic_write_bytes(target / f"{name}.gz", payload)
    except OSError as exc:
        warnings.warn(f"Fashion-MNIST was downloaded and verified but could not be stored in {target} ({exc}); "
                      f"it is used from memory this time. Set {ENV_CACHE} to a writable folder to keep it.",
                      stacklevel=4)
    return _from_raw(raw_files)


_HOW_TO_FIX = """How to fix it (any one of these):
  - with internet access: python -m prodimg_lib.data fetch   (downloads into the project cache)
  - on Debian or Ubuntu, as root: apt-get install dataset-fashion-mnist
  - download the four *-ubyte.gz files of Fashion-MNIST yourself and set {env} to their folder
  - for a quick look only: load_fashion_mnist(sample=True) uses the small sample shipped with the course"""


def locate_fashion_mnist(
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    sources: Sequence[Source] | None = None,
) -> tuple[FashionMNIST, Source]:
    """Load verified Fashion-MNIST from the first source that works; return it with that source.

    Raises:
        DataNotFoundError: when every source fails; the message lists each source and why.
    """
    sources = list(sources) if sources is not None else default_sources(data_dir, download=download)
    failed: list[tuple[Source, str]] = []
    for source in sources:
        try:
            found = source.load(cache_dir())
        except _SourceFailed as exc:
            failed.append((source, str(exc)))
            continue
        named = [f"{s.description}: {why}" for s, why in failed if s.kind == "directory"]
        if named:  # a folder the user named did not work: say so, though a later source did
            warnings.warn(f"Fashion-MNIST loaded from {source.description}; the folder you named was skipped "
                          f"({'; '.join(named)})", stacklevel=2)
        return found, source
    reasons = [f"  {i}. {s.description}: {why}" for i, (s, why) in enumerate(failed, 1)]
    if not download and not any(s.kind == "download" for s in sources):
        reasons.append(f"  {len(reasons) + 1}. download: not attempted (download=False)")
    raise DataNotFoundError(
        "Fashion-MNIST could not be loaded. Tried:\n" + "\n".join(reasons) + "\n" + _HOW_TO_FIX.format(env=ENV_DIR)
    )


def load_fashion_mnist(
    data_dir: str | os.PathLike | None = None,
    *,
    sample: bool = False,
    download: bool = True,
    sources: Sequence[Source] | None = None,
) -> FashionMNIST:
    """Load Fashion-MNIST as uint8 arrays.

    Args:
        data_dir: a folder holding the four ``*-ubyte.gz`` (or uncompressed) files; tried first.
        sample: load the small committed sample (100 train and 20 test images per class)
            instead of the full data set.
        download: allow the download as the last resort.
        sources: override the list of sources (for tests and unusual set-ups).

    Returns:
        ``FashionMNIST(x_train, y_train, x_test, y_test)``: images (N, 28, 28) uint8 in [0, 255],
        labels (N,) uint8 in [0, 9]. Full data: 60,000 train and 10,000 test images.

    Raises:
        DataNotFoundError: no source worked (the message lists them and how to fix it).
    """
    if sample:
        return load_sample()
    return locate_fashion_mnist(data_dir, download=download, sources=sources)[0]


def load_for_profile(profile) -> FashionMNIST:
    """The data a run profile asks for: the full set, or the committed sample (``smoke``).

    ``profile.max_train_images`` caps the training split (the first images, which are in
    random class order). Prints one line saying which data is used, so that a run never
    passes the sample off as the full set.
    """
    data = load_fashion_mnist() if profile.full_data else load_sample()
    if profile.max_train_images is not None and len(data.x_train) > profile.max_train_images:
        data = data._replace(x_train=data.x_train[: profile.max_train_images], y_train=data.y_train[: profile.max_train_images])
    print(
        f"Data: {profile.data_name}, {len(data.x_train):,} training and {len(data.x_test):,} test images "
        f"(profile {profile.name!r})"
    )
    return data


# --- the committed sample ------------------------------------------------------------------


def sample_path() -> Path:
    """Where the committed sample lives: ``data/`` of the course repository (or ``$PRODIMG_DATA_DIR``)."""
    base = os.environ.get("PRODIMG_DATA_DIR") or Path(__file__).resolve().parents[2] / "data"
    return Path(base) / SAMPLE_FILE


def _arrays_digest(data: FashionMNIST) -> str:
    """sha256 of the four arrays' shapes and bytes; every array must be uint8 (no cast hides other values)."""
    h = hashlib.sha256()
    for array in data:
        if array.dtype != np.uint8:
            raise TypeError(f"sample arrays must be uint8, got {array.dtype}")
        h.update(str(array.shape).encode())
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


def load_sample(path: str | os.PathLike | None = None) -> FashionMNIST:
    """Load the committed sample: 1,000 train and 200 test images, balanced over the ten classes.

    The four uint8 arrays are checked against :data:`SAMPLE_SHA256`.

    Raises:
        DataNotFoundError: the file is missing (or ``path`` is a folder).
        CorruptDataError: the file is not a readable ``.npz``, lacks an array, holds another dtype
            than uint8, or fails its checksum; the message names the file and how to restore it.
    """
    path = Path(path) if path is not None else sample_path()
    if not path.is_file():
        what = "is a folder, not the sample file" if path.is_dir() else "is missing"
        raise DataNotFoundError(
            f"The Fashion-MNIST sample {path} {what}. It ships in the course repository's data/ "
            "folder: clone the repository, or set PRODIMG_DATA_DIR to the folder that holds it."
        )
    fix = ("restore it from the course repository (git checkout -- data/" + SAMPLE_FILE + ") or clone the "
           "repository again")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in FashionMNIST._fields if key not in npz.files]
            if missing:
                raise CorruptDataError(f"{path} lacks the array(s) {', '.join(missing)}: {fix}")
            data = FashionMNIST(*(npz[key] for key in FashionMNIST._fields))
    except CorruptDataError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:  # truncated, empty, not a zip
        raise CorruptDataError(f"{path} is not a readable .npz file ({describe_error(exc)}): {fix}") from None
    wrong = [f"{name} is {array.dtype}" for name, array in zip(FashionMNIST._fields, data) if array.dtype != np.uint8]
    if wrong:
        raise CorruptDataError(f"{path} does not hold uint8 pixels and labels ({', '.join(wrong)}): {fix}")
    digest = _arrays_digest(data)
    if digest != SAMPLE_SHA256:
        raise CorruptDataError(
            f"{path} fails its checksum (sha256 {digest[:12]}..., expected {SAMPLE_SHA256[:12]}...): {fix}"
        )
    return data


def make_sample(full: FashionMNIST, path: str | os.PathLike, *, seed: int = 0) -> str:
    """Write the balanced sample drawn from the full data to ``path``; return its content digest.

    For each class, ``SAMPLE_PER_CLASS`` images are drawn at random (without replacement)
    from each split; the kept images stay in their original (class-mixed) order.
    """
    rng = np.random.default_rng(seed)
    picked = {}
    for split in ("train", "test"):
        x, y = getattr(full, f"x_{split}"), getattr(full, f"y_{split}")
        idx = np.sort(
            np.concatenate(
                [rng.choice(np.flatnonzero(y == c), SAMPLE_PER_CLASS[split], replace=False) for c in range(NUM_CLASSES)]
            )
        )
        picked[f"x_{split}"], picked[f"y_{split}"] = x[idx], y[idx]
    sample = FashionMNIST(**picked)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **sample._asdict())
    path = str(path) if str(path).endswith(".npz") else f"{path}.npz"  # the name np.savez_compressed would give
    atomic_write_bytes(path, buffer.getvalue())
    return _arrays_digest(sample)


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m prodimg_lib.data", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("fetch", help="find or download Fashion-MNIST and say where it came from")
    fetch.add_argument("--data-dir", help="a folder with the four *-ubyte.gz files")
    make = sub.add_parser("make-sample", help="write the committed sample from the full data")
    make.add_argument("--out", default=str(sample_path()))
    args = parser.parse_args(argv)
    try:
        full, source = locate_fashion_mnist(getattr(args, "data_dir", None))
    except DataNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.command == "fetch":
        print(f"Fashion-MNIST verified: {len(full.x_train)} train + {len(full.x_test)} test images from {source.description}")
        return 0
    digest = make_sample(full, args.out)
    print(f"wrote {args.out} (content sha256 {digest})")
    if digest != SAMPLE_SHA256:
        print("SAMPLE_SHA256 in prodimg_lib/data.py differs: update it to the digest above.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
