"""Atomic writes: a file or a folder appears complete, or not at all.

Everything the library writes goes through here: saved models, exported images, manifests,
the course summary, checkpoints. Each writer writes into a temporary file (or folder) *beside*
the target, in the same directory and so on the same file system, flushes it to disk
(``fsync``), then renames it over the target. A rename within one file system is atomic on
POSIX systems (and ``os.replace`` is on Windows too), so a run stopped at any moment (a
closed Colab tab, a full disk) leaves either the old file or the new one, never half of one;
a failed write removes its temporary file.

- :func:`atomic_write_bytes`, :func:`atomic_write_text`, :func:`atomic_write_json`: one file;
- :func:`atomic_save_model`: a Keras model as ``.keras``;
- :func:`atomic_folder`: a folder written file by file, published by one rename at the end,
  and :func:`remove_folder`, its counterpart for deleting one;
- :func:`describe_error`: why a file could not be read or written, in one short line;
- :func:`sha256_of`: a file's checksum, to verify what was shipped or downloaded.

This module imports nothing from the rest of the library (it is its bottom layer).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

__all__ = [
    "FILE_MODE",
    "TMP_PREFIX",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "atomic_save_model",
    "atomic_folder",
    "remove_folder",
    "describe_error",
    "sha256_of",
]

# Permissions of a written file (mkstemp creates files readable by their owner only).
FILE_MODE = 0o644
# Name prefix of temporary folders (see atomic_folder): readers skip names that start with it.
TMP_PREFIX = ".tmp-"


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    """Flush a directory's entries (the renames in it); a no-op where directories cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _publish(write: Callable[[Path], None], path, suffix: str = ".part") -> Path:
    """Run ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``; return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        _fsync_file(tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(target.parent)
    return target


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (parent folders are created); return the path."""
    return _publish(lambda tmp: tmp.write_bytes(bytes(data)), path)


def atomic_write_text(path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; return the path."""
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_write_json(path, value, *, indent: int | None = 2) -> Path:
    """Write ``value`` as JSON to ``path`` atomically; return the path.

    The value is serialised first, so a value that is not JSON leaves the old file untouched.
    """
    return atomic_write_text(path, json.dumps(value, indent=indent))


def atomic_save_model(model, path, *, include_optimizer: bool = True) -> Path:
    """Save a Keras model to ``path`` (a ``.keras`` file) atomically; return the path.

    ``model.save`` writes a temporary ``.keras`` file beside the target (Keras picks the format
    from the suffix), which is renamed to ``path`` once complete.

    Args:
        include_optimizer: False saves the architecture and weights only (an uncompiled copy),
            for a model that is only used, not trained further: a ``.keras`` file otherwise
            holds the optimizer's state too (Adam's two moments and an EMA make it four times
            the size of the weights).
    """
    target = Path(path)
    if target.suffix != ".keras":
        raise ValueError(f"a Keras model file must end in .keras, got {target.name!r}")
    if not include_optimizer and getattr(model, "optimizer", None) is not None:
        copy = type(model).from_config(model.get_config())  # the same architecture, not compiled
        copy.set_weights(model.get_weights())
        model = copy
    return _publish(lambda tmp: model.save(tmp), target, suffix=".keras")


@contextmanager
def atomic_folder(path, *, prefix: str = TMP_PREFIX) -> Iterator[Path]:
    """Write a folder atomically: ``with atomic_folder(final) as tmp:`` write the files into ``tmp``.

    ``tmp`` is a new folder beside ``path`` named ``<prefix><name>-<random>``. When the block
    ends without an error, every file in it is flushed to disk and ``tmp`` is renamed to
    ``path``: the folder then exists complete, or (after a crash) not at all, only the
    temporary folder, which readers skip by its prefix. When the block raises, ``tmp`` is
    deleted and the error goes on. The folder's files are expected at its top level.

    Raises:
        FileExistsError: ``path`` exists already (a folder is never replaced).
    """
    final = Path(path)
    if final.exists():
        raise FileExistsError(f"{final} already exists")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{prefix}{final.name}-", dir=final.parent))
    try:
        yield tmp
        for item in tmp.iterdir():
            if item.is_file():
                _fsync_file(item)
        _fsync_dir(tmp)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(final.parent)


def remove_folder(path, *, prefix: str = TMP_PREFIX) -> None:
    """Delete a folder so that no half-deleted copy can look complete: rename it (to a ``prefix`` name), then remove it."""
    folder = Path(path)
    trash = folder.with_name(f"{prefix}delete-{folder.name}-{os.getpid()}-{time.time_ns()}")
    os.rename(folder, trash)
    shutil.rmtree(trash, ignore_errors=True)


def describe_error(error: BaseException, limit: int = 200) -> str:
    """``"TypeName: message"`` on one line (whitespace collapsed), the message cut to ``limit`` characters.

    For error messages that name a damaged file: libraries' own messages (Keras, zipfile,
    NumPy) can run over many lines.
    """
    reason = " ".join(str(error).split())
    if len(reason) > limit:
        reason = reason[: limit - 3] + "..."
    return f"{type(error).__name__}: {reason}"


def sha256_of(path) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
